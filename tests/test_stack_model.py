"""The stack model's derivations, each on its own (tests/model.py renders the model of given
answers through copier): every number computed from an answer, and the model's own consistency."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.model import alarm, stack_model

TRIGGERS: list[str] = list(
    yaml.safe_load((ROOT / "copier.yml").read_text())["trigger"]["choices"].values()
)
# What the base stack defines besides the trigger's resources (SAM's template.yaml.jinja,
# switched on iac_tool in its file name).
BASE_RESOURCES = {
    "Function", "FunctionLogGroup", "FunctionRole", "ConfigParameter", "EncryptionKey",
    "AlarmTopic", "IdempotencyTable", "DependencyLayer",
}  # fmt: skip


@pytest.mark.parametrize(
    ("timeout", "threshold_ms"), [(1, 800), (7, 5600), (30, 24000), (900, 720000)]
)
def test_the_duration_alarm_fires_at_80_percent_of_the_timeout(
    timeout: int, threshold_ms: int
) -> None:
    duration = alarm(stack_model(timeout=timeout), "DurationAlarm")
    assert (duration["threshold"], duration["extended_statistic"]) == (threshold_ms, "p99")


@pytest.mark.parametrize("timeout", [12, 13, 30, 59, 60, 61, 900])
def test_every_sdk_attempt_back_to_back_ends_within_a_timeout_of_12_s_or_more(timeout: int) -> None:
    sdk = stack_model(timeout=timeout)["sdk"]
    attempts = sdk["max_attempts"] * (sdk["connect_timeout_seconds"] + sdk["read_timeout_seconds"])
    assert attempts <= timeout
    assert 1 <= sdk["read_timeout_seconds"] <= 10


@pytest.mark.parametrize(("timeout", "visibility", "age"), [(30, 180, 900), (120, 720, 1440)])
def test_an_sqs_message_is_invisible_for_six_timeouts_and_old_after_two_visibilities(
    timeout: int, visibility: int, age: int
) -> None:
    model = stack_model(trigger="sqs", timeout=timeout)
    assert model["resources"]["SourceQueue"]["visibility_timeout"] == visibility
    assert alarm(model, "OldestMessageAgeAlarm")["threshold"] == age


@pytest.mark.parametrize("trigger", ["kinesis", "dynamodb-stream"])
@pytest.mark.parametrize(("timeout", "age_seconds"), [(30, 600), (150, 600), (300, 1200)])
def test_a_stream_falls_behind_after_four_timeouts_or_ten_minutes(
    trigger: str, timeout: int, age_seconds: int
) -> None:
    iterator_age = alarm(stack_model(trigger=trigger, timeout=timeout), "IteratorAgeAlarm")
    assert iterator_age["threshold"] == age_seconds * 1000  # the metric is in milliseconds


@pytest.mark.parametrize("trigger", ["kinesis", "dynamodb-stream"])
def test_one_poison_stream_record_alone_does_not_roll_a_release_back(trigger: str) -> None:
    # A stream retries a failed record within seconds, once per attempt; each attempt counts.
    model = stack_model(trigger=trigger)
    attempts = model["source"]["maximum_retry_attempts"] + 1
    records_failed = alarm(model, "RecordsFailedAlarm")
    assert records_failed["attempts"] == attempts
    assert records_failed["threshold"] == 2 * attempts
    assert (records_failed["period"], records_failed["evaluation_periods"]) == (60, 1)


@pytest.mark.parametrize("trigger", ["http-api", "rest-api"])
@pytest.mark.parametrize(("timeout", "integration_ms"), [(1, 1000), (10, 10000), (29, 29000)])
def test_api_gateway_waits_for_the_function_s_timeout_at_most_29_seconds(
    trigger: str, timeout: int, integration_ms: int
) -> None:
    source = stack_model(trigger=trigger, timeout=timeout)["source"]
    assert source["integration_timeout_ms"] == integration_ms


@pytest.mark.parametrize("trigger", ["http-api", "rest-api", "function-url"])
@pytest.mark.parametrize(("timeout", "threshold_ms"), [(1, 800), (3, 2400), (4, 3000), (10, 3000)])
def test_api_latency_pages_above_3_seconds_or_80_percent_of_a_shorter_timeout(
    trigger: str, timeout: int, threshold_ms: int
) -> None:
    latency = alarm(stack_model(trigger=trigger, timeout=timeout), "ApiLatencyAlarm")
    assert (latency["threshold"], latency["extended_statistic"]) == (threshold_ms, "p99")


@pytest.mark.parametrize(
    ("trigger", "reserved"),
    [
        ("sqs", None),
        ("kinesis", None),
        ("http-api", None),
        ("schedule", None),
        ("function-url", 10),
    ],
)
def test_only_a_function_url_reserves_concurrency_by_default(
    trigger: str, reserved: int | None
) -> None:
    """A function URL has no throttle but the reservation; every other trigger caps itself, so it
    reserves nothing of the account's pool unless asked to."""
    assert stack_model(trigger=trigger)["function"]["reserved_concurrency"] == reserved


@pytest.mark.parametrize(("reserved", "skipped"), [(0, True), (1, False), (10, False)])
def test_checkov_s_reserved_concurrency_check_is_skipped_with_a_reason_only_when_unreserved(
    reserved: int, skipped: bool
) -> None:
    skips = stack_model(trigger="kinesis", reserved_concurrency=reserved)["checkov_skips"]
    reasons = [skip["comment"] for skip in skips if skip["id"] == "CKV_AWS_115"]
    assert len(reasons) == int(skipped)


@pytest.mark.parametrize(
    ("trigger", "bound"),
    [
        ("sqs", "MaximumConcurrency caps it at 10 executions"),
        ("kinesis", "ParallelizationFactor 10 caps it at 10 batches"),
        ("dynamodb-stream", "one batch per shard"),
        ("http-api", "throttling (100 requests per second, burst 100)"),
        ("sns", "wait in Lambda's asynchronous queue"),
        ("function-url", "a function URL has no throttle of its own"),
    ],
)
def test_the_unreserved_skip_says_what_bounds_the_function_instead(
    trigger: str, bound: str
) -> None:
    skips = stack_model(trigger=trigger, reserved_concurrency=0)["checkov_skips"]
    [reason] = [skip["comment"] for skip in skips if skip["id"] == "CKV_AWS_115"]
    assert bound in reason


@pytest.mark.parametrize(
    ("reserved", "rate", "burst"), [(0, 100, 100), (1, 10, 10), (600, 6000, 5000)]
)
def test_an_api_admits_what_the_concurrency_it_is_sized_for_can_serve(
    reserved: int, rate: int, burst: int
) -> None:
    source = stack_model(trigger="http-api", reserved_concurrency=reserved)["source"]
    assert source["throttling"] == {"rate_limit": rate, "burst_limit": burst}


@pytest.mark.parametrize(
    ("trigger", "auth", "configured_in"),
    [("http-api", "iam", "api"), ("rest-api", "none", "resolver"), ("function-url", "none", "url")],
)
def test_cors_origins_are_listed_once_and_configured_in_one_place(
    trigger: str, auth: str, configured_in: str
) -> None:
    source = stack_model(
        trigger=trigger, api_auth=auth, api_cors_origins=" https://a.example, http://localhost:3000"
    )["source"]
    assert source["cors"]["allow_origins"] == ["https://a.example", "http://localhost:3000"]
    assert source["cors"]["configured_in"] == configured_in


@pytest.mark.parametrize("trigger", ["http-api", "rest-api", "function-url"])
def test_no_cors_without_origins(trigger: str) -> None:
    assert stack_model(trigger=trigger, api_auth="none")["source"]["cors"] is None


def test_cors_lets_a_sigv4_signing_browser_send_its_signature_headers() -> None:
    source = stack_model(trigger="http-api", api_cors_origins="https://a.example")["source"]
    assert {"authorization", "x-amz-date", "x-amz-security-token"} <= set(
        source["cors"]["allow_headers"]
    )


@pytest.mark.parametrize(("reserved", "maximum"), [(0, 10), (2, 2), (999, 999), (1000, 1000)])
def test_the_sqs_poller_is_capped_at_the_concurrency_it_is_sized_for(
    reserved: int, maximum: int
) -> None:
    source = stack_model(trigger="sqs", reserved_concurrency=reserved)["source"]
    assert source["maximum_concurrency"] == maximum


@pytest.mark.parametrize(("reserved", "factor"), [(0, 10), (1, 1), (3, 3), (10, 10), (50, 10)])
def test_one_kinesis_shard_runs_at_most_the_concurrency_it_is_sized_for(
    reserved: int, factor: int
) -> None:
    source = stack_model(trigger="kinesis", reserved_concurrency=reserved)["source"]
    assert source["parallelization_factor"] == factor


@pytest.mark.parametrize(
    ("strategy", "config"),
    [
        ("canary", "Canary10Percent5Minutes"),
        ("linear", "Linear10PercentEvery1Minute"),
        ("all-at-once", "AllAtOnce"),
    ],
)
def test_each_deployment_strategy_is_a_codedeploy_configuration(strategy: str, config: str) -> None:
    deployment = stack_model(deployment_strategy=strategy)["function"]["deployment"]
    assert deployment["codedeploy_config"] == config


@pytest.mark.parametrize("trigger", TRIGGERS)
class TestEveryTriggersModel:
    def test_alarm_ids_and_names_are_unique(self, trigger: str) -> None:
        alarms = stack_model(trigger=trigger)["alarms"]
        assert len({a["id"] for a in alarms}) == len({a["name"] for a in alarms}) == len(alarms)

    def test_only_the_function_s_errors_duration_and_record_failures_roll_a_deployment_back(
        self, trigger: str
    ) -> None:
        alarms = stack_model(trigger=trigger)["alarms"]
        # A batch trigger reports bad records instead of failing the invocation: its record
        # failures, counted per function version, roll a release back too.
        batch = ["RecordsFailedAlarm"] if trigger in {"sqs", "kinesis", "dynamodb-stream"} else []
        rolling_back = [a["id"] for a in alarms if a["rolls_back"]]
        assert rolling_back == ["ErrorsAlarm", "DurationAlarm", *batch]

    def test_every_grant_names_its_intent_and_a_resource_of_the_stack(self, trigger: str) -> None:
        model = stack_model(trigger=trigger, kms_key="customer-managed", vpc_enabled=True)
        known = BASE_RESOURCES | set(model["resources"])
        for grant in model["grants"]:
            assert grant["intent"], grant["sid"]
            assert grant["actions"], grant["sid"]
            resource: Any = grant["resource"]
            if resource != "*":
                assert _referenced(resource) <= known, grant["sid"]

    def test_destinations_and_the_source_are_resources_of_the_stack(self, trigger: str) -> None:
        model = stack_model(trigger=trigger)
        known = BASE_RESOURCES | set(model["resources"])
        assert {d["id"] for d in model["destinations"]} <= known
        assert model["source"]["kind"] in {"poll", "push", "api"}

    def test_no_grant_allows_every_action_of_a_service(self, trigger: str) -> None:
        model = stack_model(trigger=trigger, kms_key="customer-managed", vpc_enabled=True)
        actions = [action for grant in model["grants"] for action in grant["actions"]]
        assert not [action for action in actions if action.endswith(":*") or action == "*"]


def _referenced(value: Any) -> set[str]:
    """The resource ids a model value points at ({'sub': ...} names them as ${Id} or ${Id.Attr})."""
    if "sub" in value:
        return {
            name.split(".")[0]
            for name in re.findall(r"\$\{([^}]+)\}", value["sub"])
            if "::" not in name and name != "Environment"
        }
    [(kind, target)] = value.items()
    return {target[0] if kind == "attr" else target}
