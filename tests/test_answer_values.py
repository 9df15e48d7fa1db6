"""Answers are judged against the real sets AWS and Python use, as the whole string typed."""

from __future__ import annotations

import pytest

from tests.answer_checks import CONTEXT, COPIER_YML, asked, assert_rejected, rejection
from validation import refresh

# A valid answer for every free-text question (those without choices), to break one at a time.
VALID: dict[str, str] = {
    "project_name": "Order Processor",
    "project_slug": "order-processor",
    "package_name": "order_processor",
    "description": "Validates incoming orders and prices them.",
    "owner_team": "platform-team",
    "cost_center": "CC-0000",
    "aws_region": "eu-west-1",
    "batch_size": "10",
    "batching_window_seconds": "1",
    "event_source_name": "com.example.orders",
    "event_detail_type": "OrderPlaced",
    "schedule_expression": "rate(5 minutes)",
    "schedule_timezone": "Europe/Berlin",
    "jwt_issuer": "https://issuer.example.com",
    "jwt_audience": "orders-web",
    "api_cors_origins": "https://app.example.com, http://localhost:3000",
    "memory_size": "512",
    "timeout": "30",
    "reserved_concurrency": "10",
    "provisioned_concurrency": "2",
    "dev_memory_size": "256",
    "dev_reserved_concurrency": "4",
    "dev_batch_size": "5",
    "monthly_budget": "50",
    "permissions_boundary": "boundaries/lambda-workloads",
    "alarm_email": "oncall@example.com",
}
SINGLE_LINE = sorted(
    name
    for name, spec in COPIER_YML.items()
    if asked(name) and spec.get("type") == "str" and "choices" not in spec
)
CHOICES = sorted(name for name, spec in COPIER_YML.items() if asked(name) and "choices" in spec)


def test_every_free_text_question_has_a_valid_example() -> None:
    assert set(SINGLE_LINE) == set(VALID)


@pytest.mark.parametrize("question", SINGLE_LINE)
@pytest.mark.parametrize("spoiler", ["{}\n", "\t{}", "{}\u2028"])
def test_free_text_answer_with_a_control_character_is_refused(question: str, spoiler: str) -> None:
    data = {**CONTEXT.get(question, {}), question: spoiler.format(VALID[question])}
    assert f"question '{question}'" in rejection(data)


def test_valid_examples_are_accepted_together() -> None:
    assert rejection({**VALID, "trigger": "sqs"}) == ""


@pytest.mark.parametrize("question", CHOICES)
def test_choice_followed_by_a_newline_is_refused(question: str) -> None:
    choices = COPIER_YML[question]["choices"]
    first = choices[0] if isinstance(choices, list) else next(iter(choices.values()))
    value = first["value"] if isinstance(first, dict) else first
    data = {**CONTEXT.get(question, {}), question: f"{value}\n"}
    assert f"'{question}'" in rejection(data)


def test_validation_data_is_current_with_botocore_zoneinfo_and_dependencies() -> None:
    """validation/*.yml equal what validation/refresh.py derives from their sources now."""
    assert refresh.main(["--check"]) == 0


@pytest.mark.parametrize("region", ["eu-west-1", "eu-central-2", "mx-central-1", "ap-southeast-7"])
def test_commercial_region_is_accepted(region: str) -> None:
    assert rejection({"aws_region": region}) == ""


@pytest.mark.parametrize("region", ["us-east-9", "mars-north-1", "EU-WEST-1", "eu-west-1a"])
def test_region_that_does_not_exist_is_refused(region: str) -> None:
    assert_rejected("aws_region", {"aws_region": region}, "an AWS commercial region")


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn"), ("eusc-de-east-1", "aws-eusc")],
)
def test_region_of_another_partition_is_refused_by_name(region: str, partition: str) -> None:
    assert_rejected("aws_region", {"aws_region": region}, f"is in the {partition} partition")


@pytest.mark.parametrize(
    "zone", ["UTC", "Etc/GMT+5", "America/Argentina/Buenos_Aires", "Asia/Kathmandu"]
)
def test_iana_time_zone_is_accepted(zone: str) -> None:
    assert rejection({"trigger": "schedule", "schedule_timezone": zone}) == ""


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe/Berlín", "utc", "Factory", "+02:00"])
def test_unknown_time_zone_is_refused(zone: str) -> None:
    data = {"trigger": "schedule", "schedule_timezone": zone}
    assert_rejected("schedule_timezone", data, "an IANA time zone name")


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(12 hours)",
        "cron(30 2 * * ? *)",
        "cron(0 12 ? * MON-FRI *)",
        "cron(0/15 * * * ? *)",
        "cron(5,35 8-17 ? * mon-fri *)",
        "cron(0 8 1W * ? 2026-2030)",
        "cron(0 8 L * ? *)",
        "cron(0 9 ? * 6L *)",
        "cron(0 9 ? * 2#1 *)",
        "cron(0 0 1 JAN,JUL ? *)",
        "at(2028-02-29T00:00:00)",
        "at(2030-12-31T23:59:59)",
    ],
)
def test_scheduler_expression_is_accepted(expression: str) -> None:
    assert rejection({"trigger": "schedule", "schedule_expression": expression}) == ""


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("rate(1 minutes)", "rate(N unit)"),
        ("rate(0 minutes)", "rate(N unit)"),
        ("every 5 minutes", "rate(N unit)"),
        ("cron(61 * * * ? *)", "field minutes"),
        ("cron(0 24 * * ? *)", "field hours"),
        ("cron(0 0 32 * ? *)", "field day-of-month"),
        ("cron(0 0 * 13 ? *)", "field month"),
        ("cron(0 0 ? * 8 *)", "field day-of-week"),
        ("cron(0 0 * * ? 1969)", "field year"),
        ("cron(0 0 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 0 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 0 * * ?)", "cron(minutes hours"),
        ("cron(0  0 * * ? *)", "cron(minutes hours"),
        ("at(2030-02-29T00:00:00)", "a real date and time"),
        ("at(2030-13-01T00:00:00)", "a real date and time"),
        ("at(2030-01-01T24:00:00)", "a real date and time"),
        ("at(2030-01-01 00:00:00)", "at(yyyy-mm-ddThh:mm:ss)"),
    ],
)
def test_malformed_scheduler_expression_is_refused(expression: str, why: str) -> None:
    data = {"trigger": "schedule", "schedule_expression": expression}
    assert_rejected("schedule_expression", data, why)


@pytest.mark.parametrize(
    ("answers", "name"),
    [
        ({"package_name": "json"}, "json"),
        ({"package_name": "zoneinfo"}, "zoneinfo"),
        ({"package_name": "telnetlib"}, "telnetlib"),  # removed in 3.13, still there on 3.12
        ({"package_name": "boto3"}, "boto3"),
        ({"package_name": "moto"}, "moto"),
        ({"package_name": "pytest"}, "pytest"),
        ({"project_name": "Queue"}, "queue"),  # derived: Queue -> queue
        ({"project_name": "Email"}, "email"),
    ],
)
def test_package_that_would_shadow_a_module_is_refused(answers: dict[str, str], name: str) -> None:
    assert_rejected("package_name", answers, f"'{name}' is the name of a standard-library module")


def test_python_keyword_is_refused_as_package_name() -> None:
    assert_rejected("package_name", {"package_name": "lambda"}, "is a Python keyword")
