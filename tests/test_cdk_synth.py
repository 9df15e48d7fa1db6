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
TRIGGERS = ("sqs", "kinesis", "dynamodb-stream", "http-api", "rest-api")
# The triggers whose source is an event source mapping (the others push or are called).
POLLED = ("sqs", "kinesis", "dynamodb-stream")
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


def _synthesize(
    trigger: str,
    tmp_path_factory: pytest.TempPathFactory,
    context: dict[str, Any] | None = None,
    **answers: Any,
) -> Synth:
    """Render the trigger's project (defaults, or these answers) and synthesize it, with
    cdk.json's context and then `context` (as `cdk synth -c key=value` adds to it)."""
    assert shutil.which("node"), "CDK's jsii runtime needs node on PATH"
    template = cdk_template(tmp_path_factory.mktemp("cdk-template"))
    project = render_cdk(
        template,
        tmp_path_factory.mktemp(f"cdk-{trigger}") / "project",
        trigger=trigger,
        **answers,
    )
    # `make build` puts the dependency layer here; synth only stages the directory.
    (project / "layer" / "build" / "python").mkdir(parents=True)
    context = {**json.loads((project / "cdk.json").read_text())["context"], **(context or {})}
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
    return Synth(trigger, project, result, **answers)


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
        if alarm.get("metrics"):
            _assert_metric_math(props, alarm)
            if alarm["rolls_back"]:
                rollback.add(key)
            continue
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
    if source.get("kind") != "api":
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


def _assert_metric_math(props: dict[str, Any], alarm: dict[str, Any]) -> None:
    """An alarm on the model's metric math: the expression, its label and the metrics it uses."""
    metrics = {m["Id"]: m for m in props["Metrics"]}
    (expression,) = (m for m in props["Metrics"] if "Expression" in m)
    assert expression["Expression"] == alarm["expression"]
    assert expression["Label"] == alarm["expression_label"]
    assert expression["ReturnData"] is True
    for used in alarm["metrics"]:
        stat = metrics[used["id"]]["MetricStat"]
        assert metrics[used["id"]]["ReturnData"] is False
        assert stat["Metric"]["Namespace"] == alarm["namespace"]
        assert stat["Metric"]["MetricName"] == used["metric"]
        assert stat["Stat"] == used["statistic"]
        assert stat["Period"] == alarm["period"]
        assert sorted(d["Name"] for d in stat["Metric"]["Dimensions"]) == sorted(
            name for name, _ in alarm["dimensions"]
        )
    assert len(metrics) == len(alarm["metrics"]) + 1


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
    assert len(synth.of_type("AWS::Logs::LogGroup")) == len(groups) + 1
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
