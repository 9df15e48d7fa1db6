"""Validating answers without rendering: copier's dry run (pretend) checks every answer and writes
nothing, so a table of answers is judged in well under a second each."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import copier
import yaml

from tests.conftest import ROOT

COPIER_YML: dict[str, Any] = yaml.safe_load((ROOT / "copier.yml").read_text())

# The trigger each trigger-specific question needs in order to be asked.
CONTEXT: dict[str, dict[str, str]] = {
    "batch_size": {"trigger": "sqs"},
    "batching_window_seconds": {"trigger": "sqs"},
    "event_source_name": {"trigger": "eventbridge"},
    "event_detail_type": {"trigger": "eventbridge"},
    "schedule_expression": {"trigger": "schedule"},
    "schedule_timezone": {"trigger": "schedule"},
    "api_auth": {"trigger": "http-api"},
    "jwt_issuer": {"trigger": "http-api", "api_auth": "jwt"},
    "jwt_audience": {"trigger": "http-api", "api_auth": "jwt"},
    "api_cors_origins": {"trigger": "http-api"},
    "vpc_endpoints": {"vpc_enabled": "true"},
}


def rejection(data: dict[str, Any], destination: Path | None = None) -> str:
    """copier's message for these answers ('' when all are accepted); nothing is written."""
    with tempfile.TemporaryDirectory() as scratch:
        try:
            copier.run_copy(
                str(ROOT),
                str(destination or Path(scratch) / "project"),
                data=data,
                defaults=True,
                pretend=True,
                unsafe=True,
                quiet=True,
                vcs_ref="HEAD",
            )
        except ValueError as rejected:
            return str(rejected)
    return ""


def assert_rejected(question: str, data: dict[str, Any], accepted: str) -> None:
    """The answers are refused by the validator of `question`, naming what it accepts."""
    message = rejection(data)
    assert f"question '{question}'" in message, message or "accepted"
    assert accepted in message, message


def asked(question: str) -> bool:
    spec = COPIER_YML[question]
    return not question.startswith("_") and spec.get("when") is not False
