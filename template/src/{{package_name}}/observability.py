"""Logger, metrics and tracer shared by the handler; configured by POWERTOOLS_* variables.

The service name, metrics namespace and log level come from the environment that the stack sets,
so the same code logs and measures correctly in every environment.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

logger = Logger()
metrics = Metrics()
tracer = Tracer()


class ObservedBatchProcessor(BatchProcessor):
    """Batch processor that logs and counts every failed record before it is retried."""

    def failure_handler(self, record: Any, exception: Any) -> Any:
        _, error, _ = exception
        logger.warning(
            "record failed; it will be retried, then redriven to the DLQ",
            extra={"message_id": getattr(record, "message_id", None), "error": repr(error)},
        )
        metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=1)
        return super().failure_handler(record, exception)


__all__ = [
    "MetricUnit",
    "ObservedBatchProcessor",
    "PartialItemFailureResponse",
    "logger",
    "metrics",
    "tracer",
]
