"""The CDK variant (issue 14, not offered yet) of the triggers it renders: one synth each, cdk-nag.

Each trigger's default answers with iac_tool=cdk render through an inline template (tests/cdk.py);
the rendered app synthesizes offline as `cdk synth` would run it (cdk.json's context in
CDK_CONTEXT_JSON), with cdk-nag's AwsSolutions checks as a policy-validation plugin. The
template it writes must hold the stack model's alarms, event source, failure handling, trigger
resources and grants.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cdk import render_cdk, synthesize, synthesized_once
from tests.model import stack_model

# The triggers the CDK rendering covers so far (includes/triggers/<trigger>/cdk.py.jinja).
TRIGGERS = (
    "sqs",
    "kinesis",
    "dynamodb-stream",
    "http-api",
    "rest-api",
    "s3",
    "function-url",
    "sns",
    "eventbridge",
    "schedule",
)
# The triggers whose event source is a mapping Lambda polls (the others are pushed or called).
POLLED = ("sqs", "kinesis", "dynamodb-stream")
STACK = "order-processor-dev"
# What a resource's name is in CloudFormation, per model kind (for the model id -> logical id map).
_NAME_PROPERTY = {
    "sqs-queue": ("AWS::SQS::Queue", "QueueName"),
    "kinesis-stream": ("AWS::Kinesis::Stream", "Name"),
    "dynamodb-table": ("AWS::DynamoDB::Table", "TableName"),
    # Named by a text with ${...} placeholders (bucket_name), or not named at all: the one
    # resource of its type in the stack.
    "s3-bucket": ("AWS::S3::Bucket", None),
    "lambda-function-url": ("AWS::Lambda::Url", None),
    "sns-topic": ("AWS::SNS::Topic", "TopicName"),
    "eventbridge-bus": ("AWS::Events::EventBus", "Name"),
    "scheduler-group": ("AWS::Scheduler::ScheduleGroup", "Name"),
}
# The triggers Lambda invokes asynchronously (includes/triggers/_async/).
_ASYNC = ("sns", "eventbridge", "schedule")
# Answer sets that change the async triggers, each synthesized once like a trigger's defaults: the
# generic tests run on them too (name -> (trigger, answers)).
_BOUNDARY = "boundaries/lambda-boundary"
_ANSWER_SETS: dict[str, tuple[str, dict[str, Any]]] = {
    "sns-answers": ("sns", {"kms_key": "customer-managed", "permissions_boundary": _BOUNDARY}),
    "eventbridge-answers": (
        "eventbridge",
        {
            "event_source_name": "com.acme.shop",
            "event_detail_type": "Order Placed",
            "kms_key": "customer-managed",
            "permissions_boundary": _BOUNDARY,
        },
    ),
    "schedule-answers": (
        "schedule",
        {
            "schedule_expression": "cron(0 6 * * ? *)",
            "schedule_timezone": "Europe/Berlin",
            "kms_key": "customer-managed",
            "permissions_boundary": _BOUNDARY,
        },
    ),
}


class Synth:
    """The rendered project, the synth's outcome and what it wrote to cdk.out."""

    def __init__(
        self,
        trigger: str,
        project: Path,
        result: subprocess.CompletedProcess[str],
        **answers: Any,
    ) -> None:
        self.trigger = trigger
        self.answers = {"trigger": trigger, **answers}
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
        if name_property is None:
            (key,) = self.of_type(kind)
            return key
        name = (
            f"{STACK}-{resource['name_suffix']}"
            if "name_suffix" in resource
            # A whole name of the model ({'sub': '<slug>-${Environment}...'}).
            else resource["name"]["sub"].replace("${Environment}", STACK.rsplit("-", 1)[1])
        )
        (key,) = (
            k for k, r in self.of_type(kind).items() if r["Properties"][name_property] == name
        )
        return key

    def properties(self, model_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources[self.logical_id(model_id)]["Properties"]
        return properties

    @property
    def function_id(self) -> str:
        """The logical id of the model's function (CDK may add functions of its own)."""
        (key,) = (
            k
            for k, r in self.of_type("AWS::Lambda::Function").items()
            if r["Properties"].get("FunctionName") == STACK
        )
        return key


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
                for t in (only.args if only else TRIGGERS + tuple(_ANSWER_SETS))
            ],
        )


@pytest.fixture
def synth(trigger: str, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    if trigger not in _SYNTHS:
        if trigger in _ANSWER_SETS:
            name, answers = _ANSWER_SETS[trigger]
            _SYNTHS[trigger] = _synthesize(name, tmp_path_factory, **answers)
        else:
            # A trigger's defaults: the synth test_cdk_parity reads too, made once for both.
            project, result = synthesized_once(trigger, tmp_path_factory)
            _SYNTHS[trigger] = Synth(trigger, project, result)
    return _SYNTHS[trigger]


def _synthesize(
    trigger: str,
    tmp_path_factory: pytest.TempPathFactory,
    context: dict[str, Any] | None = None,
    **answers: Any,
) -> Synth:
    """Render the trigger's project (defaults, or these answers) and synthesize it, with
    cdk.json's context and then `context` (as `cdk synth -c key=value` adds to it)."""
    project = render_cdk(
        tmp_path_factory.mktemp(f"cdk-{trigger}") / "project",
        trigger=trigger,
        **answers,
    )
    result = synthesize(project, context)
    return Synth(trigger, project, result, **answers)


def _assert_on_failure_destination_is_the_models(synth: Synth, props: dict[str, Any]) -> None:
    """`props` (an event source mapping's or an async invoke config's) send what Lambda gives
    up on to the model's on-failure destination, by reference."""
    source = synth.model["source"]
    (destination,) = (d for d in synth.model["destinations"] if d["kind"] == "on-failure")
    assert destination["id"] == source["on_failure"]
    assert props["DestinationConfig"] == {
        "OnFailure": {
            "Destination": {"Fn::GetAtt": [synth.logical_id(source["on_failure"]), "Arn"]}
        }
    }


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
    expected += _api_acknowledgments(synth)
    if synth.trigger in _ASYNC:
        # The on-failure queue and the source's dead-letter queue are where failures end.
        expected += ["AwsSolutions-SQS3"] * 2
    if synth.trigger == "sns":
        # cfn-lint's check knows unqualified functions only; the alias is the endpoint.
        expected.append("W3694")  # CloudFormation-Validate::W3694
    if synth.trigger == "s3":
        (read,) = (g for g in synth.model["grants"] if g["intent"] == "read-objects")
        expected += [
            # Server access logs; the failure queue is where failures end (like the streams').
            "AwsSolutions-S1",
            "AwsSolutions-SQS3",
            # The objects under the prefix, which producers name.
            f"AwsSolutions-IAM5[Resource::{_nag_text(read['resource']['sub'])}]",
            # CDK's notifications handler: AWS's basic execution policy on its role.
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        ]
    expected += _hook_acknowledgments(synth)
    assert sorted(rule.split("::", 1)[1] for _, rule in acknowledged) == sorted(expected)
    for (path, rule), reason in acknowledged.items():
        assert len(reason.split()) >= 8, f"{path} {rule}: the reason must say why"


def _has_hook(synth: Synth) -> bool:
    """Whether the project has the pre-traffic hook (smoke_test, on by default)."""
    return (synth.project / "infra" / "smoke_test.py").exists()


def _hook_acknowledgments(synth: Synth) -> list[str]:
    """The pre-traffic hook's acknowledged findings: X-Ray's "*", the runtime, any version of
    the function, and with S3 the smoke object's keys."""
    if not _has_hook(synth):
        return []
    found = [
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-L1",
        f"AwsSolutions-IAM5[Resource::<{synth.function_id}.Arn>:*]",
    ]
    if synth.trigger == "s3":
        bucket = synth.model["resources"][synth.model["source"]["bucket"]]["bucket_name"]
        found.append(
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::"
            f"{_nag_text(bucket['sub'])}/incoming/pre-traffic/*]"
        )
    return found


def _nag_text(text: str) -> str:
    """A model text with ${...} placeholders as cdk-nag names it: <AWS::Region>, dev."""
    return re.sub(r"\$\{(AWS::\w+)\}", r"<\1>", text.replace("${Environment}", "dev"))


def _cfn_text(text: str) -> Any:
    """A model text with ${Environment} and pseudo parameters as CDK writes it: a string, or a
    Fn::Join of its parts (None if it names another resource)."""
    text = text.replace("${Environment}", "dev")
    if re.search(r"\$\{(?!AWS::)", text):
        return None
    parts: list[Any] = [
        {"Ref": part[2:-1]} if part.startswith("${") else part
        for part in re.split(r"(\$\{AWS::\w+\})", text)
        if part
    ]
    return parts[0] if len(parts) == 1 else {"Fn::Join": ["", parts]}


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
        assert props["Threshold"] == alarm["threshold"]
        assert props["ComparisonOperator"] == alarm["comparison"]
        assert props["EvaluationPeriods"] == alarm["evaluation_periods"]
        if alarm.get("metrics"):
            # Metric math: the expression over the model's metrics (CDK names the expression).
            metrics = {m["Id"]: m for m in props["Metrics"]}
            (expression,) = (m for m in props["Metrics"] if "Expression" in m)
            assert expression["Expression"] == alarm["expression"]
            assert expression["ReturnData"] is True
            for metric in alarm["metrics"]:
                stat = metrics[metric["id"]]["MetricStat"]
                assert stat["Metric"]["Namespace"] == alarm["namespace"]
                assert stat["Metric"]["MetricName"] == metric["metric"]
                assert stat["Stat"] == metric["statistic"]
                assert stat["Period"] == alarm["period"]
                assert sorted(d["Name"] for d in stat["Metric"]["Dimensions"]) == sorted(
                    name for name, _ in alarm["dimensions"]
                )
        else:
            assert props["Namespace"] == alarm["namespace"]
            assert props["MetricName"] == alarm["metric"]
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


@pytest.mark.triggers(*POLLED)
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
    _assert_on_failure_destination_is_the_models(synth, props)


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
        if synth.model["function"]["kms_key"]:
            # Every queue under the stack's key (kms_key=customer-managed).
            (key_id,) = synth.of_type("AWS::KMS::Key")
            assert props["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
            assert props["KmsDataKeyReusePeriodSeconds"] == queue["kms_data_key_reuse_seconds"]
        else:
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
    # The AWS-managed key by its alias, as SAM names it (checkov's CKV_AWS_119 reads the name).
    assert props["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": "alias/aws/dynamodb",
    }
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
        # A spelled-out ARN (the S3 bucket's, named before the bucket exists).
        return _cfn_text(resource["sub"])
    return None


def test_execution_role_holds_exactly_the_models_grants(synth: Synth) -> None:
    grants = synth.model["grants"]
    function = synth.resources[synth.function_id]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    (policy,) = synth.resources[role_id]["Properties"]["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert sorted(statements) == sorted(g["sid"] for g in grants)
    for grant in grants:
        actions = statements[grant["sid"]]["Action"]
        assert sorted([actions] if isinstance(actions, str) else actions) == sorted(
            grant["actions"]
        )
        assert statements[grant["sid"]]["Effect"] == grant.get("effect", "Allow")
        expected = _resource_of_grant(synth, grant["resource"])
        if expected is not None:
            assert statements[grant["sid"]]["Resource"] == expected, grant["sid"]
    # No construct added a policy of its own (the event source's GetQueueUrl, for one).
    assert [
        key
        for key, policy in synth.of_type("AWS::IAM::Policy").items()
        if {"Ref": role_id} in policy["Properties"].get("Roles", [])
    ] == []


# --- The API Gateway triggers (http-api, rest-api) -------------------------------------------

_API_TRIGGERS = ("http-api", "rest-api")
# The auth answers beyond the default (iam), each its own synth: (trigger, answers, context).
_API_VARIANTS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "http-api-jwt": (
        "http-api",
        {
            "api_auth": "jwt",
            "jwt_issuer": "https://login.example.com/tenant-1",
            "jwt_audience": "orders-api",
        },
        {},
    ),
    "http-api-public": (
        "http-api",
        {"api_auth": "none", "api_cors_origins": "https://app.example.com,http://localhost:3000"},
        {},
    ),
    "rest-api-public": (
        "rest-api",
        {
            "api_auth": "none",
            "api_cors_origins": "https://app.example.com",
            "permissions_boundary": "boundaries/lambda-workloads",
        },
        {},
    ),
    # The account's logging role is set already: `cdk deploy -c SetApiGatewayLoggingRole=false`.
    "rest-api-shared-logging-role": ("rest-api", {}, {"SetApiGatewayLoggingRole": "false"}),
}


@pytest.fixture
def variant_synth(variant: str, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    if variant not in _SYNTHS:
        trigger, answers, context = _API_VARIANTS[variant]
        _SYNTHS[variant] = _synthesize(trigger, tmp_path_factory, context=context, **answers)
    return _SYNTHS[variant]


def _variants(*names: str) -> pytest.MarkDecorator:
    """Parametrize a test over these variants, each in its own xdist group (one synth each)."""
    return pytest.mark.parametrize(
        "variant",
        [pytest.param(name, marks=pytest.mark.xdist_group(f"cdk-{name}")) for name in names],
    )


def _api_acknowledgments(synth: Synth) -> list[str]:
    """The cdk-nag findings an API trigger acknowledges, by the answers (empty for the others)."""
    source = synth.model["source"]
    if synth.trigger not in _API_TRIGGERS:  # a function URL is an API without API Gateway
        return []
    expected = []
    public = source["auth"] == "none"
    if source["protocol"] == "http-api":
        # No authorizer on a route: the answers made the API public on purpose.
        return ["AwsSolutions-APIG4"] * len(source["routes"]) if public else []
    # No request validator (the resolver validates), no WAF web ACL of the stack's own, and
    # methods authorized by IAM or by nothing, never by Cognito.
    expected += ["AwsSolutions-APIG2", "AwsSolutions-APIG3"]
    expected += ["AwsSolutions-COG4"] * len(source["routes"])
    if public:
        expected += ["AwsSolutions-APIG4"] * len(source["routes"])
    if _logging_roles(synth):
        grant = synth.model["resources"]["ApiGatewayLoggingRole"]["grants"][0]
        pattern = grant["resource"]["sub"].replace("${", "<").replace("}", ">")
        expected.append(f"AwsSolutions-IAM5[Resource::{pattern}]")
    return expected


def _logging_roles(synth: Synth) -> dict[str, dict[str, Any]]:
    """The roles API Gateway assumes (the account's logging role)."""
    return {
        key: role
        for key, role in synth.of_type("AWS::IAM::Role").items()
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "apigateway.amazonaws.com"}
    }


def _only(synth: Synth, kind: str) -> tuple[str, dict[str, Any]]:
    ((key, resource),) = synth.of_type(kind).items()
    return key, resource


def _refers_to(value: Any, logical_id: str) -> bool:
    """Whether a CloudFormation value refers to the resource (Ref or GetAtt, at any depth)."""
    text = json.dumps(value)
    return json.dumps({"Ref": logical_id}) in text or f'["{logical_id}", ' in text


def _log_group(synth: Synth, model_id: str) -> tuple[str, dict[str, Any]]:
    """The log group of the model's resource, found by its name: the environment's, or (with an
    API's id in it) the text before the id."""
    name: str = synth.model["resources"][model_id]["name"].replace("${Environment}", "dev")

    def named(value: Any) -> bool:
        if isinstance(value, str):
            return value == name
        return bool(value["Fn::Join"][1][0] == name.partition("${")[0])

    (found,) = (
        (key, group)
        for key, group in synth.of_type("AWS::Logs::LogGroup").items()
        if named(group["Properties"]["LogGroupName"])
    )
    return found


@pytest.mark.triggers(*_API_TRIGGERS)
def test_api_log_groups_are_the_models(synth: Synth) -> None:
    groups = {
        model_id: resource
        for model_id, resource in synth.model["resources"].items()
        if resource["kind"] == "log-group"
    }
    # The function's own log group besides the API's.
    # The function's own log group besides the API's (and the pre-traffic hook's).
    assert len(synth.of_type("AWS::Logs::LogGroup")) == len(groups) + 1 + _has_hook(synth)
    for model_id, group in groups.items():
        _, resource = _log_group(synth, model_id)
        assert resource["Properties"]["RetentionInDays"] == group["retention_days"]
        assert group["retain"] is True
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (
            "RetainExceptOnCreate",
            "Retain",
        )


@pytest.mark.triggers("http-api")
def test_http_api_and_its_stage_are_the_models(synth: Synth) -> None:
    http_api = synth.model["resources"]["HttpApi"]
    source = synth.model["source"]
    api_id, api = _only(synth, "AWS::ApiGatewayV2::Api")
    assert api["Properties"]["ProtocolType"] == "HTTP"
    assert api["Properties"]["Name"] == STACK
    assert api["Properties"]["FailOnWarnings"] is http_api["fail_on_warnings"]
    _, stage = _only(synth, "AWS::ApiGatewayV2::Stage")
    props = stage["Properties"]
    assert props["ApiId"] == {"Ref": api_id}
    assert props["StageName"] == http_api["stage"]
    assert props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": source["throttling"]["rate_limit"],
        "ThrottlingBurstLimit": source["throttling"]["burst_limit"],
    }
    assert props["AccessLogSettings"]["Format"] == http_api["access_log"]["format"]
    group_id, _ = _log_group(synth, http_api["access_log"]["group"])
    assert _refers_to(props["AccessLogSettings"]["DestinationArn"], group_id)


@pytest.mark.triggers("http-api")
def test_http_api_routes_are_the_models_on_the_alias(synth: Synth) -> None:
    source = synth.model["source"]
    (alias_id,) = synth.of_type("AWS::Lambda::Alias")
    routes = synth.of_type("AWS::ApiGatewayV2::Route")
    assert sorted(r["Properties"]["RouteKey"] for r in routes.values()) == sorted(
        r["route_key"] for r in source["routes"]
    )
    integration_id, integration = _only(synth, "AWS::ApiGatewayV2::Integration")
    props = integration["Properties"]
    assert props["IntegrationType"] == "AWS_PROXY"
    assert props["IntegrationUri"] == {"Ref": alias_id}
    assert props["PayloadFormatVersion"] == source["payload_version"]
    assert props["TimeoutInMillis"] == source["integration_timeout_ms"]
    for route in routes.values():
        assert _refers_to(route["Properties"]["Target"], integration_id)
        assert route["Properties"]["AuthorizationType"] == "AWS_IAM"


@pytest.mark.triggers("rest-api")
def test_rest_api_and_its_stage_are_the_models(synth: Synth) -> None:
    rest_api = synth.model["resources"]["RestApi"]
    source = synth.model["source"]
    api_id, api = _only(synth, "AWS::ApiGateway::RestApi")
    assert api["Properties"]["Name"] == STACK
    assert api["Properties"]["EndpointConfiguration"] == {"Types": [rest_api["endpoint"]]}
    _, stage = _only(synth, "AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["RestApiId"] == {"Ref": api_id}
    assert props["StageName"] == "dev"  # the model's {'ref': 'Environment'}
    assert props["TracingEnabled"] is rest_api["tracing"]
    assert props["CacheClusterEnabled"] is rest_api["cache"]
    assert props["MethodSettings"] == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": source["throttling"]["rate_limit"],
            "ThrottlingBurstLimit": source["throttling"]["burst_limit"],
            "MetricsEnabled": rest_api["metrics"],
            "LoggingLevel": rest_api["logging_level"],
            "DataTraceEnabled": rest_api["data_trace"],
        }
    ]
    assert props["AccessLogSetting"]["Format"] == rest_api["access_log"]["format"]
    group_id, _ = _log_group(synth, rest_api["access_log"]["group"])
    assert _refers_to(props["AccessLogSetting"]["DestinationArn"], group_id)


@pytest.mark.triggers("rest-api")
def test_rest_api_methods_are_the_models_routes_on_the_alias(synth: Synth) -> None:
    source = synth.model["source"]
    (alias_id,) = synth.of_type("AWS::Lambda::Alias")
    paths = {
        key: "/" + r["Properties"]["PathPart"]
        for key, r in synth.of_type("AWS::ApiGateway::Resource").items()
    }
    methods = synth.of_type("AWS::ApiGateway::Method").values()
    routes = sorted(
        (
            paths.get(m["Properties"]["ResourceId"].get("Ref", ""), "/"),
            m["Properties"]["HttpMethod"],
        )
        for m in methods
    )
    assert routes == sorted((r["path"], r["method"]) for r in source["routes"])
    for method in methods:
        props = method["Properties"]
        assert props["AuthorizationType"] == "AWS_IAM"
        assert props["Integration"]["Type"] == "AWS_PROXY"
        assert props["Integration"]["TimeoutInMillis"] == source["integration_timeout_ms"]
        assert _refers_to(props["Integration"]["Uri"], alias_id)


@pytest.mark.triggers(*_API_TRIGGERS)
def test_api_may_invoke_only_the_alias_from_its_own_routes(synth: Synth) -> None:
    source = synth.model["source"]
    (alias_id,) = synth.of_type("AWS::Lambda::Alias")
    api_kind = {"http-api": "AWS::ApiGatewayV2::Api", "rest-api": "AWS::ApiGateway::RestApi"}
    api_id, _ = _only(synth, api_kind[source["protocol"]])
    permissions = list(synth.of_type("AWS::Lambda::Permission").values())
    # One per route: no test-invoke permission, none on the unpublished function.
    assert len(permissions) == len(source["routes"])
    for permission in permissions:
        props = permission["Properties"]
        assert props["Principal"] == "apigateway.amazonaws.com"
        assert props["Action"] == "lambda:InvokeFunction"
        assert props["FunctionName"] == {"Ref": alias_id}
        arn = props["SourceArn"]["Fn::Join"][1]
        assert {"Ref": api_id} in arn
        assert arn[0].startswith("arn:aws:execute-api:")


@pytest.mark.triggers(*_API_TRIGGERS)
def test_api_outputs_are_the_models(synth: Synth) -> None:
    outputs = synth.json(f"{STACK}.template.json")["Outputs"]
    # Only the model's: RestApi's own endpoint output is dropped, ApiUrl says it.
    assert sorted(outputs) == sorted(o["id"] for o in synth.model["outputs"])
    api_kind = {"http-api": "AWS::ApiGatewayV2::Api", "rest-api": "AWS::ApiGateway::RestApi"}
    api_id, _ = _only(synth, api_kind[synth.model["source"]["protocol"]])
    url = outputs["ApiUrl"]["Value"]["Fn::Join"][1]
    assert url[:2] == ["https://", {"Ref": api_id}]
    assert url[-1].endswith("/dev/" if synth.trigger == "rest-api" else "/")


@pytest.mark.triggers("rest-api")
def test_rest_api_sets_the_accounts_logging_role_from_the_model(synth: Synth) -> None:
    model_role = synth.model["resources"]["ApiGatewayLoggingRole"]
    ((role_id, role),) = _logging_roles(synth).items()
    (policy,) = role["Properties"]["Policies"]
    assert policy["PolicyName"] == model_role["policy_name"]
    statements = policy["PolicyDocument"]["Statement"]
    assert [(s["Sid"], sorted(s["Action"])) for s in statements] == [
        (g["sid"], sorted(g["actions"])) for g in model_role["grants"]
    ]
    for resource in (role, _only(synth, "AWS::ApiGateway::Account")[1]):
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (
            "RetainExceptOnCreate",
            "Retain",
        )
    account_id, account = _only(synth, "AWS::ApiGateway::Account")
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    # The stage logs only once the setting is made: its access log group waits for it.
    group = synth.model["resources"]["RestApi"]["access_log"]["group"]
    assert account_id in _log_group(synth, group)[1]["DependsOn"]


@pytest.mark.triggers(*_API_TRIGGERS)
@_variants(*_API_VARIANTS)
def test_each_api_auth_answer_synths_under_cdk_nag(variant_synth: Synth) -> None:
    synth = variant_synth
    assert synth.result.returncode == 0, synth.result.stdout + synth.result.stderr
    report = synth.json("validation-report.json")
    assert [p for p in report["pluginReports"] if p.get("violations")] == []
    acknowledged = [
        (rule, reason)
        for entries in synth.json(f"{STACK}.metadata.json").values()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule, reason in entry["data"].items()
    ]
    # The function's, as for every trigger, and the API's by the answers.
    expected = [
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda]",
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-L1",
        *_api_acknowledgments(synth),
        *_hook_acknowledgments(synth),
    ]
    assert sorted(rule.split("::", 1)[1] for rule, _ in acknowledged) == sorted(expected)
    for rule, reason in acknowledged:
        assert len(reason.split()) >= 8, f"{rule}: the reason must say why"


@pytest.mark.triggers(*_API_TRIGGERS)
@_variants(*_API_VARIANTS)
def test_api_authorization_is_the_answers(variant_synth: Synth) -> None:
    synth = variant_synth
    source = synth.model["source"]
    kind = {"http-api": "AWS::ApiGatewayV2::Route", "rest-api": "AWS::ApiGateway::Method"}
    expected = {"iam": "AWS_IAM", "jwt": "JWT", "none": "NONE"}[source["auth"]]
    routes = synth.of_type(kind[source["protocol"]]).values()
    assert [r["Properties"]["AuthorizationType"] for r in routes] == [expected] * len(
        source["routes"]
    )
    authorizers = synth.of_type("AWS::ApiGatewayV2::Authorizer")
    if source["auth"] != "jwt":
        assert authorizers == {}
        return
    ((authorizer_id, authorizer),) = authorizers.items()
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    assert authorizer["Properties"]["JwtConfiguration"] == {
        "Issuer": source["jwt"]["issuer"],
        "Audience": [source["jwt"]["audience"]],
    }
    assert authorizer["Properties"]["IdentitySource"] == [source["jwt"]["identity_source"]]
    for route in routes:
        assert route["Properties"]["AuthorizerId"] == {"Ref": authorizer_id}


@pytest.mark.triggers(*_API_TRIGGERS)
@_variants("http-api-public", "rest-api-public")
def test_api_cors_is_where_the_model_puts_it(variant_synth: Synth) -> None:
    synth = variant_synth
    cors = synth.model["source"]["cors"]
    if cors["configured_in"] == "resolver":
        # The REST API proxies preflight to the function's resolver: no OPTIONS mock methods.
        methods = synth.of_type("AWS::ApiGateway::Method").values()
        assert "OPTIONS" not in [m["Properties"]["HttpMethod"] for m in methods]
        return
    _, api = _only(synth, "AWS::ApiGatewayV2::Api")
    assert api["Properties"]["CorsConfiguration"] == {
        "AllowOrigins": cors["allow_origins"],
        "AllowMethods": cors["allow_methods"],
        "AllowHeaders": cors["allow_headers"],
        "MaxAge": cors["max_age"],
    }


@pytest.mark.triggers("rest-api")
@_variants("rest-api-public")
def test_rest_api_logging_role_is_under_the_permissions_boundary(variant_synth: Synth) -> None:
    ((_, role),) = _logging_roles(variant_synth).items()
    boundary = json.dumps(role["Properties"]["PermissionsBoundary"])
    assert ":policy/boundaries/lambda-workloads" in boundary


@pytest.mark.triggers("rest-api")
@_variants("rest-api-shared-logging-role")
def test_rest_api_leaves_a_set_logging_role_alone(variant_synth: Synth) -> None:
    synth = variant_synth
    assert _logging_roles(synth) == {}
    assert synth.of_type("AWS::ApiGateway::Account") == {}
    group = synth.model["resources"]["RestApi"]["access_log"]["group"]
    assert "DependsOn" not in _log_group(synth, group)[1]


# The S3 and function URL triggers (includes/triggers/{s3,function-url}/cdk.py.jinja).

# Answers that put every role under a boundary and the trigger's data under the stack key.
_GUARDED = {"permissions_boundary": "boundaries/lambda-boundary", "kms_key": "customer-managed"}


def _variant(synth: Synth, tmp_path_factory: pytest.TempPathFactory, **answers: str) -> Synth:
    """The synth of the trigger's default answers with `answers` changed, shared like `synth`."""
    key = synth.trigger + "".join(f" {k}={v}" for k, v in sorted(answers.items()))
    if key not in _SYNTHS:
        _SYNTHS[key] = _synthesize(synth.trigger, tmp_path_factory, None, **answers)
    return _SYNTHS[key]


def _alias_id(synth: Synth) -> str:
    (alias_id,) = synth.of_type("AWS::Lambda::Alias")
    assert synth.resources[alias_id]["Properties"]["Name"] == synth.model["function"]["alias"]
    return alias_id


def _findings(synth: Synth) -> list[tuple[str, str]]:
    assert synth.result.returncode == 0, synth.result.stdout + synth.result.stderr
    report = synth.json("validation-report.json")
    return [
        (violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin.get("violations", [])
        for construct in violation["violatingConstructs"]
    ]


@pytest.mark.triggers("s3")
def test_s3_bucket_is_the_models(synth: Synth) -> None:
    bucket = synth.model["resources"][synth.model["source"]["bucket"]]
    resource = synth.resources[synth.logical_id(synth.model["source"]["bucket"])]
    props = resource["Properties"]
    assert props["BucketName"] == _cfn_text(bucket["bucket_name"]["sub"])
    assert bucket["kms_key"] is None
    # SSE-KMS under the AWS-managed aws/s3 key, as SAM's template has it (no key id).
    assert props["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {
                "BucketKeyEnabled": bucket["bucket_key"],
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
            }
        ]
    }
    assert bucket["block_public_access"] is True
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": bucket["object_ownership"]}]
    }
    assert bucket["versioned"] is True
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["LifecycleConfiguration"]["Rules"] == [
        {
            "Id": "ExpireOverwrittenVersions",
            "NoncurrentVersionExpiration": {
                "NoncurrentDays": bucket["noncurrent_version_expiration_days"]
            },
            "Status": "Enabled",
        },
        {
            "AbortIncompleteMultipartUpload": {
                "DaysAfterInitiation": bucket["abort_incomplete_upload_days"]
            },
            "Id": "AbortIncompleteUploads",
            "Status": "Enabled",
        },
    ]
    assert bucket["retain"] is True
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (
        "RetainExceptOnCreate",
        "Retain",
    )


@pytest.mark.triggers("s3")
def test_s3_bucket_refuses_requests_without_tls(synth: Synth) -> None:
    bucket_id = synth.logical_id(synth.model["source"]["bucket"])
    assert synth.model["resources"][synth.model["source"]["bucket"]]["tls_only"] is True
    (policy,) = synth.of_type("AWS::S3::BucketPolicy").values()
    assert policy["Properties"]["Bucket"] == {"Ref": bucket_id}
    arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": [arn, {"Fn::Join": ["", [arn, "/*"]]}],
        }
    ]


@pytest.mark.triggers("s3")
def test_s3_notification_invokes_the_alias_for_the_models_keys(synth: Synth) -> None:
    source = synth.model["source"]
    (notifications,) = synth.of_type("Custom::S3BucketNotifications").values()
    props = notifications["Properties"]
    assert props["BucketName"] == {"Ref": synth.logical_id(source["bucket"])}
    (configuration,) = props["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    assert configuration["Events"] == [source["events"]]
    assert sorted(
        (r["Name"], r["Value"]) for r in configuration["Filter"]["Key"]["FilterRules"]
    ) == [("prefix", source["prefix"]), ("suffix", source["suffix"])]
    assert configuration["LambdaFunctionArn"] == {"Ref": _alias_id(synth)}
    assert set(props) == {
        "ServiceToken",
        "BucketName",
        "NotificationConfiguration",
        "Managed",
        "SkipDestinationValidation",
    }
    assert "QueueConfigurations" not in props["NotificationConfiguration"]
    # S3 checks that it may invoke the alias before it accepts the notification.
    (permission_id,) = synth.of_type("AWS::Lambda::Permission")
    assert permission_id in notifications["DependsOn"]


@pytest.mark.triggers("s3")
def test_s3_may_invoke_the_alias_for_this_bucket_in_this_account_only(synth: Synth) -> None:
    permission = synth.model["source"]["permission"]
    bucket = synth.model["resources"][synth.model["source"]["bucket"]]
    (props,) = (r["Properties"] for r in synth.of_type("AWS::Lambda::Permission").values())
    assert props["Action"] == "lambda:InvokeFunction"
    assert props["FunctionName"] == {"Ref": _alias_id(synth)}
    assert props["Principal"] == permission["principal"]
    assert props["SourceAccount"] == {"Ref": permission["source_account"]["ref"]}
    # The model spells the bucket's ARN out from its name (SAM must, to avoid a loop); CDK's
    # notification takes the bucket's own ARN attribute: the same ARN.
    assert permission["source_arn"]["sub"] == (
        "arn:${AWS::Partition}:s3:::" + bucket["bucket_name"]["sub"]
    )
    assert props["SourceArn"] == {
        "Fn::GetAtt": [synth.logical_id(synth.model["source"]["bucket"]), "Arn"]
    }


@pytest.mark.triggers("s3")
def test_s3_async_invocation_retries_and_failure_queue_are_the_models(synth: Synth) -> None:
    source = synth.model["source"]
    (destination,) = (d for d in synth.model["destinations"] if d["kind"] == "on-failure")
    assert destination["id"] == source["on_failure"]
    # The function's (the pre-traffic hook, with smoke_test, has its own).
    (props,) = (
        r["Properties"]
        for r in synth.of_type("AWS::Lambda::EventInvokeConfig").values()
        if r["Properties"]["FunctionName"] == {"Ref": synth.function_id}
    )
    # The alias's name, the last field of its ARN.
    assert props["Qualifier"] == {
        "Fn::Select": [7, {"Fn::Split": [":", {"Ref": _alias_id(synth)}]}]
    }
    assert props["MaximumRetryAttempts"] == source["maximum_retry_attempts"]
    assert props["MaximumEventAgeInSeconds"] == source["maximum_event_age_seconds"]
    assert props["DestinationConfig"] == {
        "OnFailure": {
            "Destination": {"Fn::GetAtt": [synth.logical_id(source["on_failure"]), "Arn"]}
        }
    }


@pytest.mark.triggers("s3")
def test_s3_notifications_handler_may_only_configure_this_bucket(synth: Synth) -> None:
    """CDK's custom-resource function writes the notification; its role may touch no other
    bucket (its managed policy writes logs, acknowledged with the reason)."""
    # The function aside, and the pre-traffic hook (smoke_test), whose name CodeDeploy requires.
    (handler_id,) = (
        k
        for k, r in synth.of_type("AWS::Lambda::Function").items()
        if k != synth.function_id
        and not str(r["Properties"].get("FunctionName", "")).startswith("CodeDeployHook_")
    )
    role_id = synth.resources[handler_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    (policy,) = (
        p["Properties"]
        for p in synth.of_type("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    )
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Action": "s3:PutBucketNotification",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [synth.logical_id(synth.model["source"]["bucket"]), "Arn"]},
        }
    ]
    (managed,) = synth.resources[role_id]["Properties"]["ManagedPolicyArns"]
    assert managed["Fn::Join"][1][-1].endswith("service-role/AWSLambdaBasicExecutionRole")


@pytest.mark.triggers("s3", "function-url")
def test_every_role_is_under_the_permissions_boundary(
    synth: Synth, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The execution role, CodeDeploy's and CDK's own (the S3 notifications handler's)."""
    guarded = _variant(synth, tmp_path_factory, **_GUARDED)
    assert _findings(guarded) == []
    roles = guarded.of_type("AWS::IAM::Role")
    # The function's, CodeDeploy's, the pre-traffic hook's (smoke_test), CDK's S3 handler's.
    hook = (guarded.project / "infra" / "smoke_test.py").exists()
    assert len(roles) == (3 if synth.trigger == "s3" else 2) + hook
    boundary = _cfn_text(
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/" + _GUARDED["permissions_boundary"]
    )
    for key, role in roles.items():
        assert role["Properties"].get("PermissionsBoundary") == boundary, key


@pytest.mark.triggers("s3")
def test_s3_bucket_and_failure_queue_use_the_stack_key_when_customer_managed(
    synth: Synth, tmp_path_factory: pytest.TempPathFactory
) -> None:
    guarded = _variant(synth, tmp_path_factory, **_GUARDED)
    source = guarded.model["source"]
    bucket = guarded.model["resources"][source["bucket"]]
    assert bucket["kms_key"] == {"arn": "EncryptionKey"}
    (key_id,) = guarded.of_type("AWS::KMS::Key")
    (rule,) = guarded.properties(source["bucket"])["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    assert rule["ServerSideEncryptionByDefault"] == {
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
        "SSEAlgorithm": "aws:kms",
    }
    assert rule["BucketKeyEnabled"] is True
    queue = guarded.properties(source["on_failure"])
    assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


@pytest.mark.triggers("function-url")
def test_function_url_is_the_models_on_the_alias(synth: Synth) -> None:
    source = synth.model["source"]
    props = synth.properties(source["url"])
    assert props["TargetFunctionArn"] == {"Fn::GetAtt": [synth.function_id, "Arn"]}
    assert props["Qualifier"] == synth.model["function"]["alias"]
    assert props["AuthType"] == source["auth_type"] == "AWS_IAM"
    assert props["InvokeMode"] == source["invoke_mode"]
    assert source["cors"] is None
    assert "Cors" not in props
    # Signed requests only: nothing grants the public an invocation.
    assert synth.of_type("AWS::Lambda::Permission") == {}


@pytest.mark.triggers("function-url")
def test_function_url_reserves_the_models_concurrency(synth: Synth) -> None:
    """A function URL has no throttle of its own: the reservation is it (10 by default)."""
    reserved = synth.model["function"]["reserved_concurrency"]
    assert reserved == 10
    function = synth.resources[synth.function_id]["Properties"]
    assert function["ReservedConcurrentExecutions"] == reserved


@pytest.mark.triggers("function-url")
def test_public_function_url_has_the_models_cors_and_public_permissions(
    synth: Synth, tmp_path_factory: pytest.TempPathFactory
) -> None:
    public = _variant(
        synth, tmp_path_factory, api_auth="none", api_cors_origins="https://app.example.com"
    )
    assert _findings(public) == []
    source = public.model["source"]
    props = public.properties(source["url"])
    assert props["AuthType"] == source["auth_type"] == "NONE"
    cors = source["cors"]
    assert props["Cors"] == {
        "AllowHeaders": cors["allow_headers"],
        "AllowMethods": cors["allow_methods"],
        "AllowOrigins": cors["allow_origins"],
        "MaxAge": cors["max_age"],
    }
    # What a public URL needs (SAM's translator adds the same two): anyone may invoke the
    # alias, through its URL only.
    alias = {"Ref": _alias_id(public)}
    permissions = sorted(
        (
            p["Properties"]["Action"],
            p["Properties"].get("FunctionUrlAuthType"),
            p["Properties"].get("InvokedViaFunctionUrl"),
        )
        for p in public.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "*" and p["Properties"]["FunctionName"] == alias
    )
    assert permissions == [
        ("lambda:InvokeFunction", None, True),
        ("lambda:InvokeFunctionUrl", "NONE", None),
    ]
    assert len(public.of_type("AWS::Lambda::Permission")) == 2


@pytest.mark.triggers("s3", "function-url")
def test_trigger_outputs_are_the_models(synth: Synth) -> None:
    outputs = synth.json(f"{STACK}.template.json")["Outputs"]
    for entry in synth.model["outputs"]:
        value = entry["value"]
        if "ref" in value and value["ref"] in synth.model["resources"]:
            expected: Any = {"Ref": synth.logical_id(value["ref"])}
        elif "attr" in value:
            expected = {"Fn::GetAtt": [synth.logical_id(value["attr"][0]), value["attr"][1]]}
        else:
            continue  # the function's and the stack's own, not the trigger's
        assert outputs[entry["id"]]["Value"] == expected, entry["id"]
        assert outputs[entry["id"]]["Description"] == entry["description"]


@pytest.mark.triggers("s3")
def test_s3_bucket_carries_the_models_checkov_skips(synth: Synth) -> None:
    """The same reasons as SAM's template, for checkov on the synthesized template."""
    bucket = synth.model["resources"][synth.model["source"]["bucket"]]
    resource = synth.resources[synth.logical_id(synth.model["source"]["bucket"])]
    # checkov's id and reason; a skip's `trivy` id is for Terraform's trivy ignores.
    expected = [{"id": skip["id"], "comment": skip["comment"]} for skip in bucket["checkov_skips"]]
    assert resource["Metadata"]["checkov"] == {"skip": expected}


# The asynchronously invoked triggers (sns, eventbridge, schedule).


def _only_resource(synth: Synth, kind: str) -> dict[str, Any]:
    (resource,) = synth.of_type(kind).values()
    properties: dict[str, Any] = resource["Properties"]
    return properties


def _invoke_permission(synth: Synth) -> dict[str, Any]:
    """The one resource-based permission to invoke the function: on the alias."""
    permission = _only_resource(synth, "AWS::Lambda::Permission")
    assert permission["Action"] == "lambda:InvokeFunction"
    assert permission["FunctionName"] == {"Ref": _alias_id(synth)}
    return permission


def _resource(synth: Synth, value: dict[str, str]) -> Any:
    """The CloudFormation value of a model reference: the alias, the stack's key or a resource."""
    if "alias_arn" in value:
        return {"Ref": _alias_id(synth)}
    if value["arn"] == "EncryptionKey":
        (key_id,) = synth.of_type("AWS::KMS::Key")
        return {"Fn::GetAtt": [key_id, "Arn"]}
    return {"Fn::GetAtt": [synth.logical_id(value["arn"]), "Arn"]}


def _scheduler_role(synth: Synth) -> tuple[str, dict[str, Any]]:
    """The role EventBridge Scheduler assumes (found by its trusted service)."""
    service = synth.model["resources"][synth.model["source"]["role"]]["service"]
    ((role_id, role),) = (
        (key, r)
        for key, r in synth.of_type("AWS::IAM::Role").items()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": service}
    )
    properties: dict[str, Any] = role["Properties"]
    return role_id, properties


@pytest.mark.triggers(*_ASYNC, *_ANSWER_SETS)
def test_async_invocation_of_the_alias_is_the_models(synth: Synth) -> None:
    source = synth.model["source"]
    assert source["invocation"] == "async"
    # The function's (the pre-traffic hook, with smoke_test, has its own).
    (props,) = (
        r["Properties"]
        for r in synth.of_type("AWS::Lambda::EventInvokeConfig").values()
        if r["Properties"]["FunctionName"] == {"Ref": synth.function_id}
    )
    # The alias's settings: CDK qualifies with the alias name, taken from the alias's ARN.
    assert json.dumps({"Ref": _alias_id(synth)}) in json.dumps(props["Qualifier"])
    assert props["MaximumRetryAttempts"] == source["maximum_retry_attempts"]
    assert props["MaximumEventAgeInSeconds"] == source["maximum_event_age_seconds"]
    _assert_on_failure_destination_is_the_models(synth, props)


@pytest.mark.triggers(*_ASYNC, *_ANSWER_SETS)
def test_queue_policies_admit_only_the_models_services(synth: Synth) -> None:
    """Each queue is TLS-only; an AWS service may send only to the queue the model lets it, on
    the model's conditions: for its own topic or rule (aws:SourceArn), acting for this account
    (aws:SourceAccount), as SAM's template states them."""
    policy = synth.model["resources"]["FailureQueuesPolicy"]
    assert policy["tls_only"] is True
    sends = {entry["resource"]["arn"]: entry for entry in policy["service_sends"]}
    for queue_id in policy["queues"]:
        queue_arn = {"Fn::GetAtt": [synth.logical_id(queue_id), "Arn"]}
        (statements,) = (
            r["Properties"]["PolicyDocument"]["Statement"]
            for r in synth.of_type("AWS::SQS::QueuePolicy").values()
            if r["Properties"]["Queues"] == [{"Ref": synth.logical_id(queue_id)}]
        )
        (deny,) = (s for s in statements if s["Effect"] == "Deny")
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        allows = [s for s in statements if s["Effect"] == "Allow"]
        if queue_id not in sends:
            assert allows == [], queue_id
            continue
        entry = sends[queue_id]
        (allow,) = allows
        assert allow["Principal"] == {"Service": entry["service"]}
        assert [allow["Action"]] == entry["actions"]
        assert allow["Resource"] == queue_arn
        expected = {
            operator: {key: _cloudformation(synth, value) for key, value in pairs}
            for operator, pairs in entry["conditions"]
        }
        written = {
            operator: {key: _joined(value) for key, value in pairs.items()}
            for operator, pairs in allow["Condition"].items()
        }
        assert written == expected


def _cloudformation(synth: Synth, value: Any) -> Any:
    """A model value as the dev stack's template writes it: {'ref'} as a Ref, {'sub'} as text."""
    if isinstance(value, dict) and "ref" in value:
        ref = value["ref"]
        return {"Ref": ref if ref.startswith("AWS::") else synth.logical_id(ref)}
    if isinstance(value, dict) and "sub" in value:
        return value["sub"].replace("${Environment}", "dev")
    return value


def _joined(value: Any) -> Any:
    """A CDK Fn::Join of texts and Refs as the one text it stands for (Refs as ${Name})."""
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(
            part if isinstance(part, str) else "${" + part["Ref"] + "}" for part in parts
        )
    return value


@pytest.mark.triggers("sns")
def test_sns_topic_is_the_models(synth: Synth) -> None:
    topic = synth.model["resources"][synth.model["source"]["topic"]]
    props = synth.properties(synth.model["source"]["topic"])
    # The AWS-managed SNS key, by its alias's ARN (SAM names the alias alone).
    assert json.dumps(props["KmsMasterKeyId"]).endswith(f':{topic["kms_key"]}"]]}}')
    assert topic["tls_only"] is True
    (topic_policy,) = (
        p["Properties"]
        for p in synth.of_type("AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [{"Ref": synth.logical_id(synth.model["source"]["topic"])}]
    )
    (deny,) = topic_policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert sorted(deny["Action"]) == sorted(topic["tls_only_actions"])
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.triggers("sns", "sns-answers")
def test_sns_subscription_invokes_the_alias_for_the_topic_only(synth: Synth) -> None:
    source = synth.model["source"]
    topic = {"Ref": synth.logical_id(source["topic"])}
    props = _only_resource(synth, "AWS::SNS::Subscription")
    assert props["Protocol"] == "lambda"
    assert props["TopicArn"] == topic
    assert props["Endpoint"] == {"Ref": _alias_id(synth)}
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {
            "Fn::GetAtt": [synth.logical_id(source["dead_letter_queue"]), "Arn"]
        }
    }
    permission = _invoke_permission(synth)
    assert permission["Principal"] == "sns.amazonaws.com"
    assert permission["SourceArn"] == topic


@pytest.mark.triggers("eventbridge", "eventbridge-answers")
def test_eventbridge_rule_targets_the_alias_with_the_models_retries(synth: Synth) -> None:
    source = synth.model["source"]
    synth.logical_id(source["bus"])  # the bus, by the model's name
    ((rule_id, rule),) = synth.of_type("AWS::Events::Rule").items()
    props = rule["Properties"]
    assert props["EventBusName"] == {"Ref": synth.logical_id(source["bus"])}
    assert props["Name"] == source["rule_name"]["sub"].replace("${Environment}", "dev")
    assert props["State"] == "ENABLED"
    assert props["EventPattern"] == dict(source["pattern"])
    (target,) = props["Targets"]
    assert target["Arn"] == {"Ref": _alias_id(synth)}
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": source["delivery_maximum_retry_attempts"],
        "MaximumEventAgeInSeconds": source["delivery_maximum_event_age_seconds"],
    }
    assert target["DeadLetterConfig"] == {
        "Arn": {"Fn::GetAtt": [synth.logical_id(source["dead_letter_queue"]), "Arn"]}
    }
    permission = _invoke_permission(synth)
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": [rule_id, "Arn"]}


@pytest.mark.triggers("schedule", "schedule-answers")
def test_schedule_runs_the_alias_with_the_models_job(synth: Synth) -> None:
    source = synth.model["source"]
    group_id = synth.logical_id(source["group"])
    ((schedule_id, schedule),) = synth.of_type("AWS::Scheduler::Schedule").items()
    props = schedule["Properties"]
    name = source["name"]["sub"].replace("${Environment}", "dev")
    assert (props["Name"], props["GroupName"]) == (name, name)
    # The group by name: the schedule waits for it explicitly.
    assert group_id in synth.resources[schedule_id]["DependsOn"]
    assert props["ScheduleExpression"] == source["expression"]
    assert props["ScheduleExpressionTimezone"] == source["timezone"]
    assert props["FlexibleTimeWindow"] == {"Mode": source["flexible_time_window"]}
    assert props["State"] == "ENABLED"
    assert props["Description"] == source["description"]
    target = props["Target"]
    assert target["Arn"] == {"Ref": _alias_id(synth)}
    assert target["RoleArn"] == {"Fn::GetAtt": [_scheduler_role(synth)[0], "Arn"]}
    assert json.loads(target["Input"]) == source["input"]
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": source["delivery_maximum_retry_attempts"],
        "MaximumEventAgeInSeconds": source["delivery_maximum_event_age_seconds"],
    }
    assert target["DeadLetterConfig"] == {
        "Arn": {"Fn::GetAtt": [synth.logical_id(source["dead_letter_queue"]), "Arn"]}
    }
    # Scheduler invokes with its role, not by a resource-based permission.
    assert synth.of_type("AWS::Lambda::Permission") == {}


@pytest.mark.triggers("schedule", "schedule-answers")
def test_scheduler_role_holds_exactly_the_models_grants(synth: Synth) -> None:
    role = synth.model["resources"][synth.model["source"]["role"]]
    _, props = _scheduler_role(synth)
    (trust,) = props["AssumeRolePolicyDocument"]["Statement"]
    # Trusted by Scheduler for this account and this stack's schedule group only.
    assert sorted(trust["Condition"]) == sorted(operator for operator, _ in role["conditions"])
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    group_arn = json.dumps(trust["Condition"]["ArnEquals"]["aws:SourceArn"])
    assert ':schedule-group/order-processor-dev"' in group_arn
    (policy,) = props["Policies"]
    assert policy["PolicyName"] == role["policy_name"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert sorted(statements) == sorted(grant["sid"] for grant in role["grants"])
    for grant in role["grants"]:
        actions = statements[grant["sid"]]["Action"]
        # CDK sorts a statement's actions.
        assert sorted([actions] if isinstance(actions, str) else actions) == sorted(
            grant["actions"]
        )
        assert statements[grant["sid"]]["Resource"] == _resource(synth, grant["resource"])


@pytest.mark.triggers(*_ANSWER_SETS)
def test_every_role_of_an_async_trigger_is_under_the_permissions_boundary(synth: Synth) -> None:
    roles = synth.of_type("AWS::IAM::Role")
    # The function's, CodeDeploy's and, for the schedule, Scheduler's.
    # (And the pre-traffic hook's, with smoke_test.)
    assert len(roles) == (3 if synth.trigger == "schedule" else 2) + _has_hook(synth)
    for role_id, role in roles.items():
        boundary = json.dumps(role["Properties"]["PermissionsBoundary"])
        assert boundary.endswith(f':policy/{synth.answers["permissions_boundary"]}"]]}}'), role_id


@pytest.mark.triggers(*_ANSWER_SETS)
def test_the_stack_key_admits_the_models_services(synth: Synth) -> None:
    """With kms_key=customer-managed, the key's policy holds each key grant of the model."""
    assert synth.model["function"]["kms_key"] is True
    (key,) = synth.of_type("AWS::KMS::Key").values()
    statements = {s.get("Sid"): s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    for grant in synth.model["key_grants"]:
        statement = statements[grant["sid"]]
        if isinstance(grant["service"], str):
            # (A service named by a {'sub'}, the logs endpoint of the Region, is CDK's Fn::Join.)
            assert statement["Principal"] == {"Service": grant["service"]}
        assert sorted(statement["Action"]) == sorted(grant["actions"])
        assert statement["Resource"] == "*"
        assert {op: sorted(c) for op, c in statement["Condition"].items()} == {
            op: sorted(k for k, _ in entries) for op, entries in grant["conditions"]
        }


@pytest.mark.triggers("sns-answers")
def test_sns_topic_is_under_the_stack_key(synth: Synth) -> None:
    topic_id = synth.model["source"]["topic"]
    assert synth.model["resources"][topic_id]["kms_key"] == {"ref": "EncryptionKey"}
    assert synth.properties(topic_id)["KmsMasterKeyId"] == _resource(
        synth, {"arn": "EncryptionKey"}
    )
