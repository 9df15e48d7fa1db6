"""What the stream triggers (kinesis, dynamodb-stream) render: asserted on the parsed stack and
pyproject.toml, and on what the rendered code does when run.

That records are decoded (base64 for Kinesis, DynamoDB's typed new image for the stream) and a
failure is reported by its sequence number: `test_make_invoke_reports_only_the_poison_*` below,
and the rendered `tests/unit/test_handler.py::test_only_the_poison_{record,change}_is_reported_by_
sequence_number`. That each alarm below links to an entry of the runbook: the rendered
`tests/unit/test_stack.py::test_every_alarm_has_a_runbook_entry` (the rendered suite runs for every
answer set in tests/test_rendered_checks.py). Where a behaviour is what a test of the rendered
suite exists for, that test is run by name below, so that it cannot silently stop being rendered:
per-key order (after a failed record, the later records of its partition key or item are held back
and reported with it), failures counted per function version for the rollback alarm, and the
idempotency key of each stream.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import answer_set_params, render
from tests.rendered import assert_rendered_test_passes, invoke, requirements
from tests.stack import function as _function
from tests.stack import resources as _resources

KEY_ARN = {"Fn::GetAtt": ["EncryptionKey", "Arn"]}
KEY_REF = {"Ref": "EncryptionKey"}
FAILURE_QUEUE_ARN = {"Fn::GetAtt": ["FailedBatchesQueue", "Arn"]}
# The clients of a SAM project's scripts/prune_versions.py: the stack's outputs, CodeDeploy's
# deployments, Lambda's versions.
SCRIPTS = {"cloudformation", "codedeploy", "lambda"}


def _event(project: Path, name: str) -> dict[str, Any]:
    properties: dict[str, Any] = _function(project)["Events"][name]["Properties"]
    return properties


def _statements(project: Path) -> dict[str, dict[str, Any]]:
    policy = _resources(project)["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def _alarms(project: Path) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in _resources(project).items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }


def _invoke_poison(project: Path, trigger: str) -> list[str]:
    response = invoke(project, f"{trigger}_poison.json").response
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def _extras(project: Path, name: str, group: str = "dev") -> set[str]:
    return set(requirements(project, group)[name].extras)


def _rollback_alarms(project: Path) -> set[str]:
    return {alarm["Ref"] for alarm in _function(project)["DeploymentPreference"]["Alarms"]}


def _package(project: Path) -> Path:
    [package] = [path for path in (project / "src").iterdir() if path.is_dir()]
    return package


class StreamOnPowertools:
    """What both stream triggers share, for every answer set of theirs: the handler on Powertools'
    BatchProcessor keeps each key in order, and a release failing its records is rolled back."""

    trigger: str
    unit = "tests/unit/test_handler.py"

    def test_the_home_made_batch_and_idempotency_modules_are_gone(self, rendered: Path) -> None:
        assert not {"batch.py", "idempotency.py"} & {p.name for p in _package(rendered).iterdir()}
        assert not (rendered / "tests" / "unit" / "test_idempotency.py").exists()

    def test_record_failures_of_the_new_version_roll_it_back(self, rendered: Path) -> None:
        alarm = _alarms(rendered)["RecordsFailedAlarm"]
        assert "RecordsFailedAlarm" in _rollback_alarms(rendered)
        dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        assert set(dimensions) == {"service", "function_version"}
        # The metric the handler emits: namespace and service are both the project's slug.
        assert (alarm["Namespace"], alarm["MetricName"]) == (dimensions["service"], "RecordsFailed")
        # One poison record fails on each of its 5 attempts within seconds: it alone must not
        # roll a good release back.
        assert alarm["Threshold"] == 10
        assert (alarm["Period"], alarm["EvaluationPeriods"]) == (60, 1)

    def test_failures_are_counted_per_version_and_held_back_records_are_not(
        self, rendered: Path
    ) -> None:
        assert_rendered_test_passes(
            rendered,
            f"{self.unit}::test_failed_{self.noun}s_are_counted_under_the_function_version"
            "_held_back_ones_not",
        )

    def test_after_a_failed_record_its_key_is_held_back_and_others_go_on(
        self, rendered: Path
    ) -> None:
        # Records [bad key A, good key A, good key B]: only B is processed, A's two are reported.
        assert_rendered_test_passes(
            rendered,
            f"{self.unit}::test_after_a_failed_{self.noun}_its_{self.key}_is_held_back"
            "_and_others_go_on",
        )

    def test_a_batch_of_only_bad_records_is_reported_not_raised(self, rendered: Path) -> None:
        assert_rendered_test_passes(
            rendered,
            f"{self.unit}::test_batch_of_only_bad_records_is_a_partial_response_not_an_error",
        )

    def test_the_runbook_says_what_to_do_when_bad_data_fired_the_rollback_alarm(
        self, rendered: Path
    ) -> None:
        runbook = (rendered / "docs" / "runbook.md").read_text()
        entry = runbook.split("## records-failed", 1)[1].split("\n## ", 1)[0]
        assert "rollback alarm" in entry
        assert "Bad data" in entry
        assert "record held back" in entry

    @property
    def noun(self) -> str:
        return "record" if self.trigger == "kinesis" else "change"

    @property
    def key(self) -> str:
        return "partition_key" if self.trigger == "kinesis" else "item"


@pytest.mark.parametrize(
    "rendered",
    answer_set_params("kinesis", "kinesis_custom"),
    indirect=True,
)
class TestKinesisOnPowertools(StreamOnPowertools):
    trigger = "kinesis"


@pytest.mark.parametrize(
    "rendered",
    answer_set_params("dynamodb_stream", "dynamodb_stream_custom"),
    indirect=True,
)
class TestDynamoDBStreamOnPowertools(StreamOnPowertools):
    trigger = "dynamodb-stream"


@pytest.mark.parametrize("rendered", answer_set_params("kinesis"), indirect=True)
class TestKinesis:
    def test_stream_is_one_provisioned_shard_kept_a_week(self, rendered: Path) -> None:
        stream = _resources(rendered)["SourceStream"]["Properties"]
        assert stream["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
        assert (stream["ShardCount"], stream["RetentionPeriodHours"]) == (1, 168)

    def test_stream_is_encrypted_with_the_aws_managed_kinesis_key(self, rendered: Path) -> None:
        encryption = _resources(rendered)["SourceStream"]["Properties"]["StreamEncryption"]
        assert encryption == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}

    def test_mapping_reads_in_order_and_parks_what_it_gives_up_on(self, rendered: Path) -> None:
        event = _function(rendered)["Events"]["Stream"]
        assert event["Type"] == "Kinesis"
        properties = event["Properties"]
        assert properties["StartingPosition"] == "TRIM_HORIZON"
        assert (properties["BatchSize"], properties["MaximumBatchingWindowInSeconds"]) == (100, 1)
        assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert properties["BisectBatchOnFunctionError"] is True
        assert properties["MaximumRetryAttempts"] == 4
        assert properties["MaximumRecordAgeInSeconds"] == 86400
        assert properties["DestinationConfig"] == {"OnFailure": {"Destination": FAILURE_QUEUE_ARN}}

    def test_one_shard_runs_as_many_batches_as_an_unreserved_function_is_sized_for(
        self, rendered: Path
    ) -> None:
        assert "ReservedConcurrentExecutions" not in _function(rendered)
        assert _event(rendered, "Stream")["ParallelizationFactor"] == 10

    def test_role_reads_this_stream_only_and_sends_to_the_failure_queue(
        self, rendered: Path
    ) -> None:
        statements = _statements(rendered)
        read = statements["ReadSourceStream"]
        assert read["Resource"] == {"Fn::GetAtt": ["SourceStream", "Arn"]}
        assert all(action.startswith("kinesis:") and "*" not in action for action in read["Action"])
        assert statements["ParkFailedBatches"]["Resource"] == FAILURE_QUEUE_ARN
        assert "ParkFailedBatchesEncrypt" not in statements  # the AWS-managed SQS key needs none

    def test_no_source_queue_is_rendered(self, rendered: Path) -> None:
        resources = _resources(rendered)
        assert not {"SourceQueue", "DeadLetterQueue"} & resources.keys()
        queues = [name for name, r in resources.items() if r["Type"] == "AWS::SQS::Queue"]
        assert queues == ["FailedBatchesQueue"]

    def test_alarms_on_parked_batches_iterator_age_and_write_throttling(
        self, rendered: Path
    ) -> None:
        alarms = _alarms(rendered)
        assert alarms["IteratorAgeAlarm"]["Threshold"] == 600_000  # ms; max(600 s, 4 x 30 s)
        assert alarms["StreamWriteThrottledAlarm"]["EvaluationPeriods"] == 3
        assert "FailedBatchesAlarm" in alarms

    def test_records_retried_after_a_failure_are_priced_once(self, rendered: Path) -> None:
        # A retry resends the records after the failed one; idempotency skips those priced before.
        assert_rendered_test_passes(
            rendered,
            "tests/integration/test_kinesis.py::test_records_retried_after_a_failure_are_priced_once",
        )

    def test_a_partition_key_stays_in_order_through_the_retries(self, rendered: Path) -> None:
        # Through the mapping's retries until it parks them: key A's later record never runs.
        assert_rendered_test_passes(
            rendered,
            "tests/integration/test_kinesis.py"
            "::test_a_partition_key_stays_in_order_behind_its_failed_record",
        )

    def test_idempotency_is_keyed_on_the_order_id_with_payload_validation(
        self, rendered: Path
    ) -> None:
        integration = "tests/integration/test_kinesis.py"
        assert_rendered_test_passes(
            rendered, f"{integration}::test_the_stored_result_is_keyed_on_the_order_id"
        )
        assert_rendered_test_passes(
            rendered,
            f"{integration}::test_another_order_under_a_processed_order_id_is_reported_not_priced",
        )

    def test_role_grants_the_idempotency_utility_exactly_its_calls(self, rendered: Path) -> None:
        records = _statements(rendered)["IdempotencyRecords"]
        assert set(records["Action"]) == {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        }

    def test_moto_emulates_every_service_the_tests_reach(self, rendered: Path) -> None:
        assert _extras(rendered, "moto") == {"dynamodb", "kinesis", "server", "sqs", "ssm"}

    def test_boto3_stubs_type_every_client(self, rendered: Path) -> None:
        # The function's clients, then scripts/prune_versions.py's.
        assert _extras(rendered, "boto3-stubs") == {"dynamodb", "kinesis", "sqs", "ssm"} | SCRIPTS

    def test_answers_file_records_the_trigger(self, rendered: Path) -> None:
        answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
        assert answers["trigger"] == "kinesis"
        assert "trigger_family" not in answers

    def test_make_invoke_reports_only_the_poison_record(self, rendered: Path) -> None:
        event = json.loads((rendered / "events" / "kinesis_poison.json").read_text())
        poison = event["Records"][1]["kinesis"]["sequenceNumber"]
        assert _invoke_poison(rendered, "kinesis") == [poison]


@pytest.mark.parametrize("rendered", answer_set_params("kinesis_custom"), indirect=True)
class TestKinesisCustom:
    def test_customer_managed_key_encrypts_stream_and_failure_queue(self, rendered: Path) -> None:
        resources = _resources(rendered)
        encryption = resources["SourceStream"]["Properties"]["StreamEncryption"]
        assert encryption == {"EncryptionType": "KMS", "KeyId": KEY_ARN}
        assert resources["FailedBatchesQueue"]["Properties"]["KmsMasterKeyId"] == KEY_REF

    def test_role_may_use_the_key_to_read_the_stream_and_park_batches(self, rendered: Path) -> None:
        statements = _statements(rendered)
        assert statements["DecryptMessagesAndEnvironment"]["Resource"] == KEY_ARN
        encrypt = statements["ParkFailedBatchesEncrypt"]
        assert (set(encrypt["Action"]), encrypt["Resource"]) == (
            {"kms:GenerateDataKey", "kms:Decrypt"},
            KEY_ARN,
        )

    def test_parallelization_follows_a_small_reserved_concurrency(self, rendered: Path) -> None:
        assert _event(rendered, "Stream")["ParallelizationFactor"] == 3

    def test_batching_answers_reach_the_mapping(self, rendered: Path) -> None:
        event = _event(rendered, "Stream")
        assert (event["BatchSize"], event["MaximumBatchingWindowInSeconds"]) == (500, 0)

    def test_iterator_age_threshold_grows_with_a_long_timeout(self, rendered: Path) -> None:
        assert _alarms(rendered)["IteratorAgeAlarm"]["Threshold"] == 1_200_000  # 4 x 300 s

    def test_without_idempotency_no_table_is_rendered(self, rendered: Path) -> None:
        assert "IdempotencyTable" not in _resources(rendered)

    def test_without_idempotency_records_after_a_failure_are_priced_on_every_retry(
        self, rendered: Path
    ) -> None:
        assert_rendered_test_passes(
            rendered,
            "tests/integration/test_kinesis.py"
            "::test_without_idempotency_records_after_a_failure_are_priced_on_every_retry",
        )

    def test_function_runs_in_the_vpc(self, rendered: Path) -> None:
        assert "VpcConfig" in _function(rendered)
        assert "ManageVpcNetworkInterfaces" in _statements(rendered)


@pytest.mark.parametrize("rendered", answer_set_params("dynamodb_stream"), indirect=True)
class TestDynamoDBStream:
    def test_table_keeps_orders_and_streams_both_images(self, rendered: Path) -> None:
        table = _resources(rendered)["SourceTable"]
        properties = table["Properties"]
        assert properties["KeySchema"] == [{"AttributeName": "order_id", "KeyType": "HASH"}]
        assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert properties["BillingMode"] == "PAY_PER_REQUEST"

    def test_table_is_protected_as_the_system_of_record(self, rendered: Path) -> None:
        table = _resources(rendered)["SourceTable"]
        assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == (
            "RetainExceptOnCreate",
            "Retain",
        )
        assert table["Properties"]["DeletionProtectionEnabled"] is True
        pitr = table["Properties"]["PointInTimeRecoverySpecification"]
        assert pitr == {"PointInTimeRecoveryEnabled": True}

    def test_table_is_encrypted_with_the_aws_managed_dynamodb_key(self, rendered: Path) -> None:
        sse = _resources(rendered)["SourceTable"]["Properties"]["SSESpecification"]
        assert sse["KMSMasterKeyId"] == "alias/aws/dynamodb"

    def test_mapping_passes_inserts_and_updates_and_parks_failures(self, rendered: Path) -> None:
        event = _function(rendered)["Events"]["TableStream"]
        assert event["Type"] == "DynamoDB"
        properties = event["Properties"]
        assert properties["Stream"] == {"Fn::GetAtt": ["SourceTable", "StreamArn"]}
        [only] = properties["FilterCriteria"]["Filters"]
        assert json.loads(only["Pattern"]) == {"eventName": ["INSERT", "MODIFY"]}
        assert properties["BisectBatchOnFunctionError"] is True
        assert properties["MaximumRetryAttempts"] == 4
        assert properties["MaximumRecordAgeInSeconds"] == 43200  # half the stream's 24 hours
        assert properties["DestinationConfig"] == {"OnFailure": {"Destination": FAILURE_QUEUE_ARN}}

    def test_role_reads_only_this_tables_streams(self, rendered: Path) -> None:
        read = _statements(rendered)["ReadSourceTableStream"]
        assert read["Resource"] == {"Fn::Sub": "${SourceTable.Arn}/stream/*"}
        assert set(read["Action"]) == {
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
        }

    def test_alarms_on_parked_batches_and_iterator_age(self, rendered: Path) -> None:
        alarms = _alarms(rendered)
        assert {"FailedBatchesAlarm", "IteratorAgeAlarm"} <= alarms.keys()
        assert "StreamWriteThrottledAlarm" not in alarms  # on-demand tables scale their writes

    def test_deleted_item_is_skipped_not_failed(self, rendered: Path) -> None:
        # The mapping's filter drops deletions already; the handler must cope without it too.
        assert_rendered_test_passes(
            rendered, "tests/unit/test_handler.py::test_deleted_item_is_skipped_not_failed"
        )

    def test_an_item_stays_in_order_through_the_retries(self, rendered: Path) -> None:
        # Through the mapping's retries until it parks them: item A's later change never runs.
        assert_rendered_test_passes(
            rendered,
            "tests/integration/test_dynamodb_stream.py"
            "::test_an_item_stays_in_order_behind_its_failed_change",
        )

    def test_every_update_is_a_new_version_to_price(self, rendered: Path) -> None:
        # Idempotency keys a change on the order id and its sequence number, not the order id.
        assert_rendered_test_passes(
            rendered,
            "tests/integration/test_dynamodb_stream.py"
            "::test_every_update_of_an_order_is_priced_as_a_new_version",
        )

    def test_moto_emulates_dynamodb_streams(self, rendered: Path) -> None:
        assert _extras(rendered, "moto") == {"dynamodb", "dynamodbstreams", "server", "sqs", "ssm"}

    def test_boto3_stubs_type_the_dynamodb_streams_client(self, rendered: Path) -> None:
        function_clients = {"dynamodb", "dynamodbstreams", "sqs", "ssm"}
        assert _extras(rendered, "boto3-stubs") == function_clients | SCRIPTS

    def test_make_invoke_reports_only_the_poison_change(self, rendered: Path) -> None:
        event = json.loads((rendered / "events" / "dynamodb-stream_poison.json").read_text())
        poison = event["Records"][1]["dynamodb"]["SequenceNumber"]
        assert _invoke_poison(rendered, "dynamodb-stream") == [poison]


@pytest.mark.parametrize("rendered", answer_set_params("dynamodb_stream_custom"), indirect=True)
class TestDynamoDBStreamCustom:
    def test_customer_managed_key_encrypts_table_and_failure_queue(self, rendered: Path) -> None:
        resources = _resources(rendered)
        sse = resources["SourceTable"]["Properties"]["SSESpecification"]
        assert sse["KMSMasterKeyId"] == KEY_REF
        assert resources["FailedBatchesQueue"]["Properties"]["KmsMasterKeyId"] == KEY_REF

    def test_role_may_use_the_key_to_read_changes_and_park_batches(self, rendered: Path) -> None:
        statements = _statements(rendered)
        assert statements["DecryptMessagesAndEnvironment"]["Resource"] == KEY_ARN
        assert statements["ParkFailedBatchesEncrypt"]["Resource"] == KEY_ARN

    def test_largest_batching_answers_reach_the_mapping(self, rendered: Path) -> None:
        event = _event(rendered, "TableStream")
        assert (event["BatchSize"], event["MaximumBatchingWindowInSeconds"]) == (10000, 300)

    def test_without_idempotency_no_table_is_rendered(self, rendered: Path) -> None:
        assert "IdempotencyTable" not in _resources(rendered)

    def test_without_idempotency_changes_after_a_failure_are_priced_on_every_retry(
        self, rendered: Path
    ) -> None:
        assert_rendered_test_passes(
            rendered,
            "tests/integration/test_dynamodb_stream.py"
            "::test_without_idempotency_changes_after_a_failure_are_priced_on_every_retry",
        )

    def test_names_derive_from_the_project_name(self, rendered: Path) -> None:
        table = _resources(rendered)["SourceTable"]["Properties"]
        assert table["TableName"] == {"Fn::Sub": "order-ledger-${Environment}-table"}
        assert (rendered / "src" / "order_ledger" / "handler.py").is_file()


@pytest.mark.parametrize(
    ("trigger", "node"),
    [
        ("kinesis", "test_kinesis.py::test_a_failed_record_is_parked_alone_and_its_key_goes_on"),
        (
            "dynamodb-stream",
            "test_dynamodb_stream.py::test_a_failed_change_is_parked_alone_and_its_item_goes_on",
        ),
    ],
)
def test_with_one_record_per_batch_the_failed_one_is_parked_alone(
    trigger: str, node: str, tmp_path: Path
) -> None:
    # BatchSize 1 (a valid answer): no later record shares the failed one's batch, so nothing is
    # held back behind it; the failed record is retried, parked, and its key goes on.
    project = render(tmp_path / "project", {"trigger": trigger, "batch_size": 1})
    assert_rendered_test_passes(project, f"tests/integration/{node}")
