"""Lambda entry point: parse each SQS record, call the logic, report failed records only."""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from . import adapters
from .logic import price_order
from .models import Order
from .observability import (
    MetricUnit,
    ObservedBatchProcessor,
    PartialItemFailureResponse,
    logger,
    metrics,
    tracer,
)

# A batch whose records all fail is still a partial response, not an invocation error: bad data
# is retried and dead-lettered without firing the errors alarm that rolls deployments back.
processor = ObservedBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def handle_record(record: SQSRecord) -> None:
    priced = price_order(Order.model_validate_json(record.body), adapters.runtime_config().get())
    logger.info("order priced", extra=priced.model_dump(mode="json"))
    metrics.add_metric(name="OrdersPriced", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, object], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
