"""The CDK variant (issue 14, not offered yet) of the triggers it renders: one synth each, cdk-nag.

Each trigger's default answers with iac_tool=cdk render through an inline template (tests/cdk.py);
the rendered app synthesizes offline as `cdk synth` would run it (cdk.json's context in
CDK_CONTEXT_JSON), with cdk-nag's AwsSolutions checks as a policy-validation plugin. The
template it writes must hold the stack model's alarms, event source, failure handling, trigger
resources and grants.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cdk import cdk_template, render_cdk
from tests.model import stack_model

# The triggers the CDK rendering covers so far (includes/triggers/<trigger>/cdk.py.jinja).
TRIGGERS = ("sqs", "kinesis", "dynamodb-stream")
STACK = "order-processor-dev"
# What a resource's name is in CloudFormation, per model kind (for the model id -> logical id map).
_NAME_PROPERTY = {
    "sqs-queue": ("AWS::SQS::Queue", "QueueName"),
    "kinesis-stream": ("AWS::Kinesis::Stream", "Name"),
    "dynamodb-table": ("AWS::DynamoDB::Table", "TableName"),
}


class Synth:
    """The rendered project, the synth's outcome and what it wrote to cdk.out."""

    def __init__(
        self, trigger: str, project: Path, result: subprocess.CompletedProcess[str]
    ) -> None:
        self.trigger = trigger
        self.answers = {"trigger": trigger}
        self.model = stack_model(**self.answers)
        self.project = project
        self.result = result
        self.out = project / "cdk.out"

    def json(self, name: str) -> Any:
        return json.loads((self.out / name).read_text())

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.json(f"{STACK}.template.json")["Resources"]
        return resources

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {key: r for key, r in self.resources.items() if r["Type"] == kind}

    def logical_id(self, model_id: str) -> str:
        """The logical id CDK gave the model's resource (found by its name)."""
        resource = self.model["resources"][model_id]
        kind, name_property = _NAME_PROPERTY[resource["kind"]]
        name = f"{STACK}-{resource['name_suffix']}"
        (key,) = (
            k for k, r in self.of_type(kind).items() if r["Properties"][name_property] == name
        )
        return key

    def properties(self, model_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources[self.logical_id(model_id)]["Properties"]
        return properties


# One synth per trigger, shared by its tests: jsii's start-up dominates (5-15 s), so each trigger's
# tests run in one worker (its own xdist group), and the two workers split the triggers. The
# synths are kept for the session: a worker may run the tests of two triggers interleaved, and a
# parametrized module fixture would then synthesize again.
_SYNTHS: dict[str, Synth] = {}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test, once per trigger (or per trigger its `triggers` mark names), in the trigger's
    xdist group (marks of a fixture's params do not reach xdist's grouping; a test's
    parametrization does)."""
    if "synth" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("triggers")
        metafunc.parametrize(
            "trigger",
            [
                pytest.param(t, marks=pytest.mark.xdist_group(f"cdk-{t}"))
                for t in (only.args if only else TRIGGERS)
            ],
        )


@pytest.fixture
def synth(trigger: str, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    if trigger not in _SYNTHS:
        _SYNTHS[trigger] = _synthesize(trigger, tmp_path_factory)
    return _SYNTHS[trigger]


def _synthesize(trigger: str, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    assert shutil.which("node"), "CDK's jsii runtime needs node on PATH"
    template = cdk_template(tmp_path_factory.mktemp("cdk-template"))
    project = render_cdk(
        template, tmp_path_factory.mktemp(f"cdk-{trigger}") / "project", trigger=trigger
    )
    # `make build` puts the dependency layer here; synth only stages the directory.
    (project / "layer" / "build" / "python").mkdir(parents=True)
    context = json.loads((project / "cdk.json").read_text())["context"]
    env = {
        **os.environ,
        "CDK_OUTDIR": "cdk.out",
        # What the CLI passes: `python app.py` alone does not read cdk.json, and would
        # synthesize another stack (other feature flags, other version logical IDs).
        "CDK_CONTEXT_JSON": json.dumps(context),
    }
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return Synth(trigger, project, result)


def test_synth_passes_cdk_nag(synth: Synth) -> None:
    assert synth.result.returncode == 0, synth.result.stdout + synth.result.stderr
    report = synth.json("validation-report.json")
    findings = [
        (plugin["pluginName"], violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin.get("violations", [])
        for construct in violation["violatingConstructs"]
    ]
    assert findings == []


def test_every_acknowledgment_has_a_reason(synth: Synth) -> None:
    acknowledged = {
        (path, rule): reason
        for path, entries in synth.json(f"{STACK}.metadata.json").items()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule, reason in entry["data"].items()
    }
    # The findings AWS forces or the answers chose; nothing else is waved through.
    expected = [
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda]",
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-L1",
    ]
    if synth.trigger == "dynamodb-stream":
        # The table's streams, not one: the stream ARN changes when the stream is re-enabled.
        table = synth.logical_id("SourceTable")
        expected.append(f"AwsSolutions-IAM5[Resource::<{table}.Arn>/stream/*]")
    if synth.trigger in ("kinesis", "dynamodb-stream"):
        # The failed-batches queue is where failures end; it has no dead-letter queue of its own.
        expected.append("AwsSolutions-SQS3")
    assert sorted(rule.split("::", 1)[1] for _, rule in acknowledged) == sorted(expected)
    for (path, rule), reason in acknowledged.items():
        assert len(reason.split()) >= 8, f"{path} {rule}: the reason must say why"


def _resolved_name(value: Any) -> str:
    assert isinstance(value, str), f"expected a plain name, got {value!r}"
    return value


def test_alarms_are_the_models(synth: Synth) -> None:
    model = synth.model
    alarms = {
        _resolved_name(r["Properties"]["AlarmName"]): (key, r["Properties"])
        for key, r in synth.of_type("AWS::CloudWatch::Alarm").items()
    }
    assert sorted(alarms) == sorted(f"{STACK}-{alarm['name']}" for alarm in model["alarms"])
    rollback = set()
    for alarm in model["alarms"]:
        key, props = alarms[f"{STACK}-{alarm['name']}"]
        assert props["Namespace"] == alarm["namespace"]
        assert props["MetricName"] == alarm["metric"]
        assert props["Threshold"] == alarm["threshold"]
        assert props["ComparisonOperator"] == alarm["comparison"]
        assert props["EvaluationPeriods"] == alarm["evaluation_periods"]
        assert props["Period"] == alarm["period"]
        if alarm.get("extended_statistic"):
            assert props["ExtendedStatistic"] == alarm["extended_statistic"]
        else:
            assert props["Statistic"] == alarm["statistic"]
        assert sorted(d["Name"] for d in props["Dimensions"]) == sorted(
            name for name, _ in alarm["dimensions"]
        )
        assert props["TreatMissingData"] == "notBreaching"
        assert f"docs/runbook.md#{alarm['name']}" in props["AlarmDescription"]
        if alarm["rolls_back"]:
            rollback.add(key)
    (group,) = synth.of_type("AWS::CodeDeploy::DeploymentGroup").values()
    watched = {
        entry["Name"]["Ref"] for entry in group["Properties"]["AlarmConfiguration"]["Alarms"]
    }
    assert watched == rollback
    assert group["Properties"]["AutoRollbackConfiguration"]["Enabled"] is True


def test_event_source_is_the_models_on_the_alias(synth: Synth) -> None:
    source = synth.model["source"]
    (alias_id,) = synth.of_type("AWS::Lambda::Alias")
    alias = synth.resources[alias_id]["Properties"]
    assert alias["Name"] == synth.model["function"]["alias"]
    (mapping,) = synth.of_type("AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    # The alias, not the function: CDK names it "<function name>:<alias>" from the alias's ARN.
    function_name = json.dumps(props["FunctionName"])
    assert json.dumps({"Ref": alias_id}) in function_name
    assert f':{alias["Name"]}"' in function_name
    assert source["report_batch_item_failures"] is True
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == source["batch_size"]
    assert props["MaximumBatchingWindowInSeconds"] == source["batching_window_seconds"]
    source_id = synth.logical_id(source["resource"])
    if synth.trigger == "sqs":
        assert props["ScalingConfig"] == {"MaximumConcurrency": source["maximum_concurrency"]}
        assert props["EventSourceArn"] == {"Fn::GetAtt": [source_id, "Arn"]}
        return
    # The streams: per-shard order, bounded retries, parked positions.
    attribute = "StreamArn" if synth.trigger == "dynamodb-stream" else "Arn"
    assert props["EventSourceArn"] == {"Fn::GetAtt": [source_id, attribute]}
    assert props["StartingPosition"] == source["starting_position"]
    assert props["BisectBatchOnFunctionError"] is source["bisect_batch_on_function_error"]
    assert props["MaximumRetryAttempts"] == source["maximum_retry_attempts"]
    assert props["MaximumRecordAgeInSeconds"] == source["maximum_record_age_seconds"]
    assert props.get("ParallelizationFactor") == source.get("parallelization_factor")
    patterns = [
        json.loads(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])
    ]
    assert patterns == [json.loads(p) for p in source.get("filter_patterns", [])]
    (destination,) = (d for d in synth.model["destinations"] if d["kind"] == "on-failure")
    assert destination["id"] == source["on_failure"]
    assert props["DestinationConfig"] == {
        "OnFailure": {
            "Destination": {"Fn::GetAtt": [synth.logical_id(source["on_failure"]), "Arn"]}
        }
    }


def test_queues_are_the_models(synth: Synth) -> None:
    queues = {
        model_id: resource
        for model_id, resource in synth.model["resources"].items()
        if resource["kind"] == "sqs-queue"
    }
    assert len(synth.of_type("AWS::SQS::Queue")) == len(queues)
    for model_id, queue in queues.items():
        props = synth.properties(model_id)
        assert props["MessageRetentionPeriod"] == queue["retention_seconds"]
        assert props.get("VisibilityTimeout") == queue["visibility_timeout"]
        assert props.get("SqsManagedSseEnabled", False) is queue["service_writer"]
        if not queue["service_writer"]:
            assert props["KmsMasterKeyId"] == "alias/aws/sqs"
        if queue["redrive"]:
            assert props["RedrivePolicy"] == {
                "deadLetterTargetArn": {
                    "Fn::GetAtt": [synth.logical_id(queue["redrive"]["to"]), "Arn"]
                },
                "maxReceiveCount": queue["redrive"]["max_receive_count"],
            }
        else:
            assert "RedrivePolicy" not in props


@pytest.mark.triggers("kinesis")
def test_kinesis_stream_is_the_models(synth: Synth) -> None:
    stream = synth.model["resources"]["SourceStream"]
    props = synth.properties("SourceStream")
    assert props["ShardCount"] == stream["shard_count"]
    assert props["RetentionPeriodHours"] == stream["retention_hours"]
    assert props["StreamModeDetails"] == {"StreamMode": stream["stream_mode"]}
    assert props["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}
    # It goes with the stack, as in SAM (the runbook says what to drain first).
    assert synth.resources[synth.logical_id("SourceStream")]["DeletionPolicy"] == "Delete"


@pytest.mark.triggers("dynamodb-stream")
def test_dynamodb_source_table_is_the_models(synth: Synth) -> None:
    table = synth.model["resources"]["SourceTable"]
    resource = synth.resources[synth.logical_id("SourceTable")]
    props = resource["Properties"]
    assert props["KeySchema"] == [{"AttributeName": table["partition_key"], "KeyType": "HASH"}]
    assert props["StreamSpecification"] == {"StreamViewType": table["stream_view_type"]}
    assert props["DeletionProtectionEnabled"] is table["deletion_protection"]
    assert props["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": table["point_in_time_recovery"]
    }
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    # CDK's AWS_MANAGED: SSE under the AWS-managed aws/dynamodb key (SAM names the alias).
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert table["retain"] is True
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (
        "RetainExceptOnCreate",
        "Retain",
    )


def _resource_of_grant(synth: Synth, resource: Any) -> Any:
    """The CloudFormation value of a grant's resource of the trigger, or None for the others."""
    if isinstance(resource, dict) and resource.get("arn") in synth.model["resources"]:
        return {"Fn::GetAtt": [synth.logical_id(resource["arn"]), "Arn"]}
    if isinstance(resource, dict) and "sub" in resource:
        for model_id in synth.model["resources"]:
            prefix = "${" + model_id + ".Arn}"
            if resource["sub"].startswith(prefix):
                arn = {"Fn::GetAtt": [synth.logical_id(model_id), "Arn"]}
                return {"Fn::Join": ["", [arn, resource["sub"][len(prefix) :]]]}
    return None


def test_execution_role_holds_exactly_the_models_grants(synth: Synth) -> None:
    grants = synth.model["grants"]
    (function,) = synth.of_type("AWS::Lambda::Function").values()
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    (policy,) = synth.resources[role_id]["Properties"]["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert sorted(statements) == sorted(g["sid"] for g in grants)
    for grant in grants:
        actions = statements[grant["sid"]]["Action"]
        assert sorted([actions] if isinstance(actions, str) else actions) == sorted(
            grant["actions"]
        )
        expected = _resource_of_grant(synth, grant["resource"])
        if expected is not None:
            assert statements[grant["sid"]]["Resource"] == expected, grant["sid"]
    # No construct added a policy of its own (the event source's GetQueueUrl, for one).
    assert synth.of_type("AWS::IAM::Policy") == {}
