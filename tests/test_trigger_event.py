"""What the asynchronously invoked triggers (sns, s3, eventbridge, schedule) render: asserted on the
parsed stack and events, and on what the rendered code does when run, one answer set per trigger
(see tests/answer_sets.py).

That every alarm links to an entry of the runbook is proven for each answer set by the rendered
`tests/unit/test_stack.py::test_every_alarm_has_a_runbook_entry`; that the README and runbook
state the numbers and entries of the last release (the README's diagram of the on-failure queue
with its attempts, event age and retention among them) by tests/test_stack_baseline.py. The
documents are checked here only for the commands a user runs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import answer_set_params, run
from tests.rendered import Invocation, assert_rendered_test_passes, invoke, run_python
from tests.stack import function as _function
from tests.stack import resources as _resources

# The longest values CloudFormation substitutes into a bucket name here: prod, an account id, and
# the longest region code the aws_region question accepts.
LONGEST_SUBSTITUTIONS = {
    "${Environment}": "prod",
    "${AWS::AccountId}": "123456789012",
    "${AWS::Region}": "us-gov-northwest-1",
}


def _statements(project: Path, role: str = "FunctionRole") -> list[dict[str, Any]]:
    policies = _resources(project)[role]["Properties"]["Policies"]
    return [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]


def _key_statements(project: Path) -> dict[str, dict[str, Any]]:
    key = _resources(project)["EncryptionKey"]["Properties"]["KeyPolicy"]
    return {s["Sid"]: s for s in key["Statement"]}


def _package(project: Path) -> Path:
    [package] = [p for p in (project / "src").iterdir() if p.is_dir()]
    return package


def _event(project: Path, name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((project / "events" / name).read_text())
    return event


def _runbook_links(project: Path) -> dict[str, str]:
    """Each alarm's runbook entry, as its description links it."""
    links: dict[str, str] = {}
    for logical_id, resource in _resources(project).items():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            description = resource["Properties"]["AlarmDescription"]
            [links[logical_id]] = re.findall(r"runbook\.md#([a-z-]+)", description)
    return links


def _runbook_commands(project: Path) -> list[str]:
    """The shell blocks of the runbook, a continued line joined: what an operator runs."""
    runbook = (project / "docs" / "runbook.md").read_text()
    blocks = re.findall(r"^```(?:bash|sh)\n(.*?)^```$", runbook, re.M | re.S)
    return [command for block in blocks for command in block.replace("\\\n", "").splitlines()]


_poison_invocations: dict[Path, Invocation] = {}


def _invoke_poison(project: Path) -> Invocation:
    """`make invoke` on the trigger's poison event, once per render."""
    if project not in _poison_invocations:
        [poison] = (project / "events").glob("*_poison.json")
        _poison_invocations[project] = invoke(project, poison.name)
    return _poison_invocations[project]


ASYNC_ALARMS = {
    "FailureQueueDepthAlarm": "failure-queue-depth",
    "AsyncEventAgeAlarm": "async-event-age",
    "AsyncEventsDroppedAlarm": "async-events-dropped",
    "DestinationDeliveryFailuresAlarm": "destination-delivery-failures",
}


@pytest.mark.parametrize(
    "rendered", answer_set_params("sns", "s3", "eventbridge", "schedule"), indirect=True
)
class TestEveryAsyncTrigger:
    def test_retries_are_bounded_and_failures_go_to_the_failure_queue(self, rendered: Path) -> None:
        config = _function(rendered)["EventInvokeConfig"]
        assert config["MaximumRetryAttempts"] == 2
        assert config["MaximumEventAgeInSeconds"] == 3600
        on_failure = config["DestinationConfig"]["OnFailure"]
        assert on_failure["Destination"] == {"Fn::GetAtt": ["FailureQueue", "Arn"]}

    def test_every_async_alarm_links_its_runbook_entry(self, rendered: Path) -> None:
        assert _runbook_links(rendered).items() >= ASYNC_ALARMS.items()

    def test_runbook_takes_the_event_out_of_the_failure_record(self, rendered: Path) -> None:
        # A command the operator runs: Lambda's failure record holds the event as requestPayload.
        assert (
            "jq '.Messages[0].Body | fromjson | .requestPayload' failed.json > event.json"
            in _runbook_commands(rendered)
        )

    def test_runbook_redrives_the_event_asynchronously_to_the_live_alias(
        self, rendered: Path
    ) -> None:
        # Commands the operator runs: each event is given back as the trigger gives it, with the
        # retries and on-failure destination of the live alias (EventInvokeConfig is on it).
        redrives = [c for c in _runbook_commands(rendered) if c.startswith("aws lambda invoke")]
        assert redrives
        assert all(":live --invocation-type Event" in redrive for redrive in redrives)
        # The one that gives back what the command above took out of the failure record.
        assert [r for r in redrives if r.endswith("--payload fileb://event.json response.json")]

    def test_invalid_input_fails_the_invocation(self, rendered: Path) -> None:
        # Raising is the design: only a failed invocation reaches the on-failure queue.
        invocation = _invoke_poison(rendered)
        assert invocation.function_error
        assert invocation.response["errorType"] == "ValidationError"

    def test_make_invoke_reports_a_handler_error_as_lambda_does(self, rendered: Path) -> None:
        error = _invoke_poison(rendered).response
        assert error.keys() == {"errorMessage", "errorType", "requestId", "stackTrace"}
        assert error["errorMessage"]
        assert all(isinstance(frame, str) for frame in error["stackTrace"])


@pytest.mark.parametrize("rendered", answer_set_params("sns"), indirect=True)
class TestSns:
    def test_handler_prices_the_order_in_the_message_of_each_record(self, rendered: Path) -> None:
        assert_rendered_test_passes(
            rendered, "tests/unit/test_handler.py::test_valid_notification_prices_its_order"
        )

    def test_redelivered_notification_is_not_processed_twice(self, rendered: Path) -> None:
        assert_rendered_test_passes(
            rendered,
            "tests/integration/test_sns.py::test_redelivered_notification_is_not_processed_twice",
        )

    # Powertools' Idempotency utility, keyed on the order id with payload validation on.
    @pytest.mark.parametrize(
        "test",
        [
            "test_an_order_published_twice_returns_the_stored_result_without_pricing_again",
            "test_another_order_under_a_priced_order_id_is_refused_not_answered_with_its_result",
        ],
    )
    def test_idempotency_is_keyed_on_the_order(self, rendered: Path, test: str) -> None:
        assert_rendered_test_passes(rendered, f"tests/integration/test_sns.py::{test}")

    def test_topic_and_both_queues_use_the_stack_key(self, rendered: Path) -> None:
        resources = _resources(rendered)
        key = {"Ref": "EncryptionKey"}
        assert resources["OrdersTopic"]["Properties"]["KmsMasterKeyId"] == key
        for queue in ("FailureQueue", "TopicDeadLetterQueue"):
            assert resources[queue]["Properties"]["KmsMasterKeyId"] == key

    def test_sns_may_use_the_key_for_its_dlq_only_for_this_topic(self, rendered: Path) -> None:
        statement = _key_statements(rendered)["SnsRedrivesToTopicDeadLetterQueue"]
        assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
        source_arn = statement["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"]
        assert source_arn.endswith(":order-processor-${Environment}-orders")

    def test_function_may_encrypt_what_it_sends_to_the_failure_queue(self, rendered: Path) -> None:
        sids = {s["Sid"] for s in _statements(rendered)}
        assert {"SendFailedEventsToFailureQueue", "SendFailedEventsToFailureQueueEncrypt"} <= sids

    def test_subscription_redrives_to_the_topic_dlq(self, rendered: Path) -> None:
        subscription = _function(rendered)["Events"]["Orders"]["Properties"]
        assert subscription["Topic"] == {"Ref": "OrdersTopic"}
        dlq = {"Fn::GetAtt": ["TopicDeadLetterQueue", "Arn"]}
        assert subscription["RedrivePolicy"] == {"deadLetterTargetArn": dlq}

    def test_events_have_the_shape_sns_delivers(self, rendered: Path) -> None:
        [record] = _event(rendered, "sns.json")["Records"]
        assert record["EventSource"] == "aws:sns"
        assert json.loads(record["Sns"]["Message"])["order_id"] == "ord-1001"
        [poison] = _event(rendered, "sns_poison.json")["Records"]
        assert json.loads(poison["Sns"]["Message"])["items"][0]["quantity"] < 0

    def test_source_side_alarms_link_their_runbook_entries(self, rendered: Path) -> None:
        source_side = {
            "TopicDeadLetterQueueDepthAlarm": "topic-dlq-depth",
            "NotificationsFailedAlarm": "sns-notifications-failed",
            "NotificationsFailedToRedriveAlarm": "sns-redrive-failures",
        }
        assert _runbook_links(rendered).items() >= source_side.items()

    def test_schedule_code_is_not_rendered(self, rendered: Path) -> None:
        package = _package(rendered).name
        result = run_python(
            rendered,
            f"from {package} import logic, models\n"
            "print(hasattr(logic, 'plan_run'), hasattr(models, 'ScheduledJob'))",
        )
        assert result.stdout.split() == ["False", "False"], result.stderr
        assert not (_package(rendered) / "schedule.py").exists()
        assert not (rendered / "tests" / "unit" / "test_schedule.py").exists()


# Runs in the rendered project: two reads of an object in moto's S3, after boto3 was made unable to
# create a client.
READ_WITH_THE_IMPORTED_CLIENT = """
import boto3
from moto import mock_aws

with mock_aws():
    from {package} import adapters

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="orders")
    s3.put_object(Bucket="orders", Key="order.json", Body=b"{{}}")

    def refuse(*args, **kwargs):
        raise AssertionError("a client was created after the function's import")

    boto3.session.Session.client = refuse
    print(*(adapters.read_object("orders", "order.json") for _ in range(2)))
"""


@pytest.mark.parametrize("rendered", answer_set_params("s3"), indirect=True)
class TestS3:
    def test_bucket_name_fits_s3_for_the_longest_slug_and_region(self, rendered: Path) -> None:
        name = _resources(rendered)["IncomingBucket"]["Properties"]["BucketName"]["Fn::Sub"]
        for placeholder, value in LONGEST_SUBSTITUTIONS.items():
            name = name.replace(placeholder, value)
        assert len(name) <= 63
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*[a-z0-9]", name)

    def test_role_names_the_bucket_without_referring_to_it(self, rendered: Path) -> None:
        # A !GetAtt or !Ref to the bucket would close the loop notification -> function -> role.
        on_bucket = [s for s in _statements(rendered) if "s3:" in str(s["Action"])]
        assert on_bucket
        assert "IncomingBucket" not in str([s["Resource"] for s in on_bucket])

    # What the runbook's warning never to write to the bucket stands for: the function cannot.
    def test_role_denies_writes_to_the_bucket(self, rendered: Path) -> None:
        [deny] = [s for s in _statements(rendered) if s["Effect"] == "Deny"]
        assert "s3:PutObject" in deny["Action"]

    def test_s3_client_is_created_once_per_execution_environment(self, rendered: Path) -> None:
        # Reads still work once boto3 can create no client: they use the one made at import.
        result = run_python(
            rendered, READ_WITH_THE_IMPORTED_CLIENT.format(package=_package(rendered).name)
        )
        assert result.stdout.split() == ["b'{}'", "b'{}'"], result.stderr

    def test_without_idempotency_no_table_is_rendered(self, rendered: Path) -> None:
        assert "IdempotencyTable" not in _resources(rendered)
        assert "IDEMPOTENCY_TABLE_NAME" not in _function(rendered)["Environment"]["Variables"]

    def test_without_idempotency_no_module_of_it_is_rendered(self, rendered: Path) -> None:
        # A handler still importing it would fail the rendered suite (test_rendered_checks.py).
        assert not (_package(rendered) / "idempotency.py").exists()

    def test_make_invoke_prices_the_order_in_the_announced_object(self, rendered: Path) -> None:
        # scripts/invoke.py puts an example object where the events file says, into moto's S3.
        invocation = invoke(rendered, "s3.json")
        assert not invocation.function_error
        assert [order["order_id"] for order in invocation.response] == ["ord-1001"]

    def test_events_have_the_shape_s3_delivers(self, rendered: Path) -> None:
        [record] = _event(rendered, "s3.json")["Records"]
        assert record["eventName"] == "ObjectCreated:Put"
        assert record["s3"]["object"]["key"].startswith("incoming/")
        assert "versionId" in record["s3"]["object"]

    def test_function_runs_python_312_on_x86(self, rendered: Path) -> None:
        function = _function(rendered)
        assert (function["Runtime"], function["Architectures"]) == ("python3.12", ["x86_64"])


@pytest.mark.parametrize("rendered", answer_set_params("eventbridge"), indirect=True)
class TestEventBridge:
    def test_rule_matches_the_answered_source_and_detail_type(self, rendered: Path) -> None:
        rule = _function(rendered)["Events"]["OrderEvents"]["Properties"]
        assert rule["Pattern"] == {"source": ["com.acme.shop"], "detail-type": ["Order Placed"]}
        assert rule["EventBusName"] == {"Ref": "OrdersBus"}

    def test_rule_retries_then_dead_letters(self, rendered: Path) -> None:
        rule = _function(rendered)["Events"]["OrderEvents"]["Properties"]
        assert rule["RetryPolicy"] == {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600}
        assert rule["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["RuleDeadLetterQueue", "Arn"]}}

    def test_rule_dlq_uses_sqs_owned_keys_with_a_documented_skip(self, rendered: Path) -> None:
        # The AWS-managed SQS key cannot admit EventBridge; the stack key is not chosen here.
        dlq = _resources(rendered)["RuleDeadLetterQueue"]
        assert dlq["Properties"]["SqsManagedSseEnabled"] is True
        assert "KmsMasterKeyId" not in dlq["Properties"]
        [skip] = dlq["Metadata"]["checkov"]["skip"]
        assert skip["id"] == "CKV_AWS_27"

    def test_events_have_the_shape_eventbridge_delivers(self, rendered: Path) -> None:
        event = _event(rendered, "eventbridge.json")
        assert (event["source"], event["detail-type"]) == ("com.acme.shop", "Order Placed")
        assert event["detail"]["order_id"] == "ord-1001"

    def test_function_runs_in_the_vpc(self, rendered: Path) -> None:
        assert "VpcConfig" in _function(rendered)

    def test_another_order_under_a_priced_order_id_is_refused(self, rendered: Path) -> None:
        assert_rendered_test_passes(
            rendered,
            "tests/integration/test_eventbridge.py::"
            "test_another_order_under_a_priced_order_id_is_refused_not_answered_with_its_result",
        )


# Runs in the rendered project: its schedule input, stamped as Scheduler stamps it, planned by its
# own job model (models.ScheduledJob) and window planning (logic.plan_run).
PLAN_RUNS = """
import json, sys
from {package}.logic import plan_run
from {package}.models import ScheduledJob

template, times = json.load(sys.stdin)
for time in times:
    job = ScheduledJob.model_validate_json(
        template.replace("<aws.scheduler.scheduled-time>", time)
    )
    print(plan_run(job).model_dump_json())
"""


def _plan_runs(
    project: Path, schedule_input: str, times: list[datetime]
) -> list[tuple[datetime, datetime]]:
    """The windows the rendered function plans for runs at `times`, given the schedule's input."""
    result = subprocess.run(
        [sys.executable, "-c", PLAN_RUNS.format(package=_package(project).name)],
        cwd=project,
        input=json.dumps([schedule_input, [t.isoformat() for t in times]]),
        env={**os.environ, "PYTHONPATH": "src"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    planned = [json.loads(line) for line in result.stdout.splitlines()]
    return [
        (datetime.fromisoformat(p["window_start"]), datetime.fromisoformat(p["window_end"]))
        for p in planned
    ]


@pytest.mark.parametrize("rendered", answer_set_params("schedule"), indirect=True)
class TestSchedule:
    def _schedule(self, project: Path) -> dict[str, Any]:
        schedule: dict[str, Any] = _function(project)["Events"]["Run"]["Properties"]
        return schedule

    def test_schedule_uses_the_answered_expression_and_time_zone(self, rendered: Path) -> None:
        schedule = self._schedule(rendered)
        assert schedule["ScheduleExpression"] == "cron(0 6 * * ? *)"
        assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin"

    def test_input_is_stamped_with_the_scheduled_time_and_nothing_per_attempt(
        self, rendered: Path
    ) -> None:
        job = json.loads(self._schedule(rendered)["Input"])
        assert job["scheduled_time"] == "<aws.scheduler.scheduled-time>"
        assert "attempt" not in json.dumps(job)

    def test_runs_tile_time_across_the_2026_daylight_saving_changes(self, rendered: Path) -> None:
        # The answer set's cron(0 6 * * ? *) in Europe/Berlin runs at 06:00 on the local clock:
        # 23 hours apart across the March change, 25 across the October one.
        schedule = self._schedule(rendered)
        berlin = ZoneInfo(schedule["ScheduleExpressionTimezone"])
        lengths = set()
        for first_day in (datetime(2026, 3, 26, 6), datetime(2026, 10, 22, 6)):
            runs = [
                (first_day + timedelta(days=n)).replace(tzinfo=berlin).astimezone(UTC)
                for n in range(7)
            ]

            windows = _plan_runs(rendered, schedule["Input"], runs)

            # Each run covers from the run before it up to itself: no instant twice or never.
            assert windows[1:] == list(pairwise(runs))
            lengths |= {end - start for start, end in windows}
        assert {timedelta(hours=23), timedelta(hours=25)} <= lengths

    def test_rendered_window_tests_pass_across_the_changes(self, rendered: Path) -> None:
        tests = ["tests/unit/test_schedule.py", "-k", "across or any_instant"]
        result = run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], rendered
        )
        assert result.returncode == 0, result.stdout + result.stderr
        passed = re.search(r"(\d+) passed", result.stdout)
        # At least: four cron() expressions at each of the four changes (Berlin and New York,
        # spring and autumn 2026), windows tiling and each instant finding its run.
        assert passed is not None
        assert int(passed.group(1)) >= 4 * 4 * 2

    def test_a_run_delivered_again_returns_the_stored_result(self, rendered: Path) -> None:
        assert_rendered_test_passes(
            rendered,
            "tests/integration/test_schedule.py::test_a_run_delivered_again_returns_the_stored_result",
        )

    def test_a_run_under_another_schedule_is_refused(self, rendered: Path) -> None:
        assert_rendered_test_passes(
            rendered,
            "tests/integration/test_schedule.py::"
            "test_a_run_under_another_schedule_is_refused_not_answered_with_the_first_ones_result",
        )

    def test_scheduler_role_may_use_the_stack_key_for_its_dlq(self, rendered: Path) -> None:
        sids = {s["Sid"] for s in _statements(rendered, "SchedulerRole")}
        assert {"InvokeLiveAlias", "ReportUndeliveredRuns", "ReportUndeliveredRunsEncrypt"} <= sids

    def test_events_are_the_schedule_input(self, rendered: Path) -> None:
        assert _event(rendered, "schedule.json")["scheduled_time"] == "2026-01-01T06:00:00Z"
        poison = _event(rendered, "schedule_poison.json")
        assert poison["scheduled_time"].startswith("<aws.scheduler.")

    def test_source_side_alarms_watch_the_schedule_group(self, rendered: Path) -> None:
        alarms = [
            r["Properties"]
            for r in _resources(rendered).values()
            if r["Type"] == "AWS::CloudWatch::Alarm"
            and r["Properties"]["Namespace"] == "AWS/Scheduler"
        ]
        assert {a["MetricName"] for a in alarms} == {
            "TargetErrorCount",
            "InvocationsFailedToBeSentToDeadLetterCount",
        }
        assert all(
            a["Dimensions"] == [{"Name": "ScheduleGroup", "Value": {"Ref": "ScheduleGroup"}}]
            for a in alarms
        )
