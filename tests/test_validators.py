"""Every validator rejects bad answers with a message naming the question and what it accepts,
before anything is written to the destination."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import render

BAD_ANSWERS: list[tuple[str, Any, str]] = [
    ("project_name", "1 starts with a digit", "starting with a letter"),
    ("project_name", "x", "3-64 characters"),
    ("project_slug", "Has_Upper", "lowercase letters, digits and single hyphens"),
    ("project_slug", "double--hyphen", "single hyphens"),
    ("package_name", "class", "not a Python keyword"),
    ("package_name", "9lives", "starting with a letter"),
    ("package_name", "boto3", "nor a dependency's name"),
    ("description", "too short", "10-256 characters"),
    ("owner_team", "team#1", "an AWS tag"),
    ("cost_center", "cost center", "1-64 characters"),
    ("aws_region", "mars-north-1", "such as eu-west-1"),
    ("aws_region", "EU-WEST-1", "such as eu-west-1"),
    ("trigger", "kafka", "['sqs']"),
    ("iac_tool", "pulumi", "['sam']"),
    ("python_version", "3.11", "['3.12', '3.13', '3.14']"),
    ("architecture", "sparc", "['arm64', 'x86_64']"),
    ("memory_size", 64, "from 128 to 10240"),
    ("memory_size", 10241, "from 128 to 10240"),
    ("timeout", 0, "from 1 to 900"),
    ("timeout", 901, "from 1 to 900"),
    ("reserved_concurrency", 0, "from 1 to 1000"),
    ("reserved_concurrency", 1001, "from 1 to 1000"),
    ("deployment_strategy", "blue-green", "['canary', 'linear', 'all-at-once']"),
    ("log_retention_days", 2, "[1, 3, 5, 7, 14, 30"),
    ("alarm_email", "oncall-at-example", "such as oncall@example.com"),
    ("kms_key", "none", "['aws-managed', 'customer-managed']"),
    ("powertools_source", "vendored", "['package', 'layer']"),
]


@pytest.mark.parametrize(("question", "value", "accepted"), BAD_ANSWERS)
def test_bad_answer_is_rejected_with_a_named_message(
    question: str, value: Any, accepted: str, tmp_path: Path
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=rf"'{question}'") as rejected:
        render(destination, {question: value})
    assert accepted in str(rejected.value)
    assert not destination.exists()


def test_every_question_is_covered_by_the_table() -> None:
    copier_yml = yaml.safe_load((Path(__file__).parent.parent / "copier.yml").read_text())
    asked_with_validator = {
        name
        for name, spec in copier_yml.items()
        if not name.startswith("_") and isinstance(spec, dict) and "validator" in spec
    }
    assert asked_with_validator == {question for question, _, _ in BAD_ANSWERS}
