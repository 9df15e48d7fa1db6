"""The CDK variant of the sqs trigger (issue 14, not offered yet): one synth, with cdk-nag.

The default sqs answers with iac_tool=cdk render through an inline template (tests/cdk.py); the
rendered app synthesizes offline as `cdk synth` would run it (cdk.json's context in
CDK_CONTEXT_JSON), with cdk-nag's AwsSolutions checks as a policy-validation plugin. The
template it writes must hold the stack model's alarms, event source and redrive.
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

# One synth, shared: jsii's start-up dominates (5-15 s), so every test here runs in one worker.
pytestmark = pytest.mark.xdist_group("cdk-sqs")

ANSWERS = {"trigger": "sqs"}
STACK = "order-processor-dev"


class Synth:
    """The rendered project, the synth's outcome and what it wrote to cdk.out."""

    def __init__(self, project: Path, result: subprocess.CompletedProcess[str]) -> None:
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


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    assert shutil.which("node"), "CDK's jsii runtime needs node on PATH"
    template = cdk_template(tmp_path_factory.mktemp("cdk-template"))
    project = render_cdk(template, tmp_path_factory.mktemp("cdk-sqs") / "project", **ANSWERS)
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
    return Synth(project, result)


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
    # The three findings AWS forces or the answers chose; nothing else is waved through.
    assert sorted(rule.split("::", 1)[1] for _, rule in acknowledged) == [
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda]",
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-L1",
    ]
    for (path, rule), reason in acknowledged.items():
        assert len(reason.split()) >= 8, f"{path} {rule}: the reason must say why"


def _resolved_name(value: Any) -> str:
    assert isinstance(value, str), f"expected a plain name, got {value!r}"
    return value


def test_alarms_are_the_models(synth: Synth) -> None:
    model = stack_model(**ANSWERS)
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
    source = stack_model(**ANSWERS)["source"]
    (alias_id,) = synth.of_type("AWS::Lambda::Alias")
    alias = synth.resources[alias_id]["Properties"]
    assert alias["Name"] == stack_model(**ANSWERS)["function"]["alias"]
    (mapping,) = synth.of_type("AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    # The alias, not the function: CDK names it "<function name>:<alias>" from the alias's ARN.
    function_name = json.dumps(props["FunctionName"])
    assert json.dumps({"Ref": alias_id}) in function_name
    assert f':{alias["Name"]}"' in function_name
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["report_batch_item_failures"] is True
    assert props["ScalingConfig"] == {"MaximumConcurrency": source["maximum_concurrency"]}
    assert props["BatchSize"] == source["batch_size"]
    assert props["MaximumBatchingWindowInSeconds"] == source["batching_window_seconds"]
    queues = synth.of_type("AWS::SQS::Queue")
    assert props["EventSourceArn"] == {"Fn::GetAtt": [_queue(queues, "queue"), "Arn"]}


def _queue(queues: dict[str, dict[str, Any]], suffix: str) -> str:
    (key,) = (k for k, q in queues.items() if q["Properties"]["QueueName"] == f"{STACK}-{suffix}")
    return key


def test_redrive_is_the_models(synth: Synth) -> None:
    resources = stack_model(**ANSWERS)["resources"]
    queues = synth.of_type("AWS::SQS::Queue")
    source = queues[_queue(queues, resources["SourceQueue"]["name_suffix"])]["Properties"]
    dlq_id = _queue(queues, resources["DeadLetterQueue"]["name_suffix"])
    assert source["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": resources["SourceQueue"]["redrive"]["max_receive_count"],
    }
    assert source["VisibilityTimeout"] == resources["SourceQueue"]["visibility_timeout"]
    assert (
        queues[dlq_id]["Properties"]["MessageRetentionPeriod"]
        == (resources["DeadLetterQueue"]["retention_seconds"])
    )


def test_execution_role_holds_exactly_the_models_grants(synth: Synth) -> None:
    grants = stack_model(**ANSWERS)["grants"]
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
    # No construct added a policy of its own (the event source's GetQueueUrl, for one).
    assert synth.of_type("AWS::IAM::Policy") == {}
