"""The smoke test on deploy (issue 16, LAMBDA_TESTING, LAMBDA_DEPLOYMENT): CodeDeploy's pre-traffic
hook, read from what each IaC tool deploys (SAM's translation and CDK's synth, both as `make
validate` leaves them, and the parsed Terraform with scripts/deploy.py's AppSpec), on answer sets
test_rendered_checks.py renders anyway: `s3` (the smoke object) and `custom` (the customer-managed
key and a permissions boundary) with the hook, `sns` without it (`smoke_test: False`), and their
CDK and Terraform mirrors. The hook's own behaviour is the rendered repo's
tests/unit/test_pre_traffic.py, which those renders run.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from hcl2 import SerializationOptions

from tests.conftest import answer_set_params, deployed_template

HOOK_PREFIX = "CodeDeployHook_"
# What the hook's role may do, by statement, on every stack; the options add to it.
BASE_ACTIONS = {
    "WriteOwnLogs": ["logs:CreateLogStream", "logs:PutLogEvents"],
    "SendTraces": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
    "InvokeNewVersion": ["lambda:InvokeFunction"],
    "ReportHookStatus": ["codedeploy:PutLifecycleEventHookExecutionStatus"],
}
EXTRA_ACTIONS: dict[str, dict[str, list[str]]] = {
    "s3": {"PutAndRemoveSmokeObject": ["s3:DeleteObjectVersion", "s3:PutObject"]},
    "custom": {"UseStackKey": ["kms:Decrypt"]},
}
# In a VPC (vpc_enabled), the hook runs in the function's subnets: Lambda manages its ENIs.
VPC_ACTIONS = {
    "ManageVpcNetworkInterfaces": [
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:UnassignPrivateIpAddresses",
    ]
}
HCL = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def _expected_actions(project: Path) -> dict[str, list[str]]:
    """The actions of each statement of the hook's policy, by Sid, sorted."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    vpc = VPC_ACTIONS if answers["vpc_enabled"] else {}
    return {**BASE_ACTIONS, **EXTRA_ACTIONS.get(_base(project), {}), **vpc}


def _base(project: Path) -> str:
    """Which grants beyond the base a project's hook holds: `s3`, `custom` (the stack key), or
    none (`other`)."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    if answers["trigger"] == "s3":
        return "s3"
    return "custom" if answers["kms_key"] == "customer-managed" else "other"


def _tail(value: Any) -> str:
    """The text a CloudFormation string value ends with: an Fn::Sub's, or an Fn::Join's last
    part (CDK)."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        return str(value["Fn::Sub"])
    if isinstance(value, dict) and "Fn::Join" in value:
        return str(value["Fn::Join"][1][-1])
    return str(value)


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return sorted(action if isinstance(action, list) else [action])


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {key: r for key, r in template["Resources"].items() if r["Type"] == kind}


def _hooks(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The template's functions named CodeDeployHook_* (by logical ID)."""
    return {
        key: r
        for key, r in _of_type(template, "AWS::Lambda::Function").items()
        if HOOK_PREFIX in json.dumps(r["Properties"].get("FunctionName", ""))
    }


def _function_id(template: dict[str, Any]) -> str:
    """The logical ID of the function the `live` alias serves (CDK adds handlers of its own)."""
    (alias,) = _of_type(template, "AWS::Lambda::Alias").values()
    function_id: str = alias["Properties"]["FunctionName"]["Ref"]
    return function_id


def _template(rendered: Path, translation: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    template: dict[str, Any] = json.loads(deployed_template(rendered).read_text())
    return template


cloudformation_with_hook = pytest.mark.parametrize(
    "rendered", answer_set_params("s3", "custom", "cdk-s3", "cdk-custom"), indirect=True
)


@cloudformation_with_hook
def test_codedeploy_runs_the_hook_before_any_traffic(
    rendered: Path, translation: subprocess.CompletedProcess[str]
) -> None:
    template = _template(rendered, translation)
    ((hook_id, hook),) = _hooks(template).items()
    (alias,) = _of_type(template, "AWS::Lambda::Alias").values()
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["BeforeAllowTrafficHook"] == {"Ref": hook_id}
    # CodeDeploy invokes it with the deployment role, whose AWS policy allows CodeDeployHook_*.
    (group,) = _of_type(template, "AWS::CodeDeploy::DeploymentGroup").values()
    role = template["Resources"][group["Properties"]["ServiceRoleArn"]["Fn::GetAtt"][0]]
    assert "AWSCodeDeployRoleForLambda" in json.dumps(role["Properties"]["ManagedPolicyArns"])
    # It tests the version this deploy publishes: that version's number, in its environment.
    variables = hook["Properties"]["Environment"]["Variables"]
    (version_id,) = _of_type(template, "AWS::Lambda::Version")
    assert version_id in json.dumps(variables["TARGET_VERSION"])
    assert variables["TARGET_FUNCTION_NAME"] == {"Ref": _function_id(template)}


@cloudformation_with_hook
def test_the_hooks_role_holds_exactly_its_grants(
    rendered: Path, translation: subprocess.CompletedProcess[str]
) -> None:
    template = _template(rendered, translation)
    (hook,) = _hooks(template).values()
    role_id = hook["Properties"]["Role"]["Fn::GetAtt"][0]
    role = template["Resources"][role_id]["Properties"]
    # Its inline policy alone: no managed policy, no policy of CDK's attached to it.
    assert "ManagedPolicyArns" not in role
    assert not [
        p for p in _of_type(template, "AWS::IAM::Policy").values() if role_id in json.dumps(p)
    ]
    (policy,) = role["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    expected = _expected_actions(rendered)
    assert {sid: _actions(s) for sid, s in statements.items()} == expected
    assert all(s["Effect"] == "Allow" for s in statements.values())
    function_id = _function_id(template)
    (group_id,) = _of_type(template, "AWS::CodeDeploy::DeploymentGroup")
    # Any version of the function (qualified ARNs), and nothing else.
    invoke = statements["InvokeNewVersion"]["Resource"]
    assert function_id in json.dumps(invoke)
    assert _tail(invoke).endswith(":*")
    assert group_id in json.dumps(statements["ReportHookStatus"]["Resource"])
    (log_group_id,) = [
        key
        for key, r in _of_type(template, "AWS::Logs::LogGroup").items()
        if json.dumps(hook["Properties"]["LoggingConfig"]["LogGroup"]) == json.dumps({"Ref": key})
    ]
    assert statements["WriteOwnLogs"]["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    if "PutAndRemoveSmokeObject" in statements:
        # The smoke object's keys alone: under the readable prefix, not the notified suffix.
        assert _tail(statements["PutAndRemoveSmokeObject"]["Resource"]).endswith(
            "/incoming/pre-traffic/*"
        )
    if _base(rendered) == "custom":
        assert "PermissionsBoundary" in role
        (key_id,) = _of_type(template, "AWS::KMS::Key")
        assert statements["UseStackKey"]["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}


@cloudformation_with_hook
def test_the_hook_retries_and_keeps_its_logs_like_the_function(
    rendered: Path, translation: subprocess.CompletedProcess[str]
) -> None:
    template = _template(rendered, translation)
    ((hook_id, hook),) = _hooks(template).items()
    (config,) = [
        c["Properties"]
        for c in _of_type(template, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": hook_id}
    ]
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (2, 3600)
    assert config["Qualifier"] == "$LATEST"
    groups = _of_type(template, "AWS::Logs::LogGroup")
    hook_group = groups[hook["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]]
    function = template["Resources"][_function_id(template)]
    function_group = groups[function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]]
    for setting in ("RetentionInDays", "KmsKeyId"):
        assert hook_group["Properties"].get(setting) == function_group["Properties"].get(setting)
    assert hook_group.get("DeletionPolicy") == function_group.get("DeletionPolicy")
    assert hook["Properties"]["TracingConfig"] == {"Mode": "Active"}


@pytest.mark.parametrize("rendered", answer_set_params("sns", "cdk-sns"), indirect=True)
def test_without_smoke_test_no_hook_is_deployed(
    rendered: Path, translation: subprocess.CompletedProcess[str]
) -> None:
    template = _template(rendered, translation)
    assert not _hooks(template)
    (alias,) = _of_type(template, "AWS::Lambda::Alias").values()
    assert "BeforeAllowTrafficHook" not in alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert not list(rendered.glob("src/*/pre_traffic.py"))
    assert not list(rendered.glob("src/*/smoke_event.json"))
    assert not (rendered / "tests" / "unit" / "test_pre_traffic.py").exists()


@pytest.mark.parametrize("rendered", answer_set_params("s3", "cdk-custom"), indirect=True)
def test_the_package_ships_the_valid_event(rendered: Path) -> None:
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    (shipped,) = rendered.glob("src/*/smoke_event.json")
    assert shipped.read_bytes() == (rendered / "events" / f"{answers['trigger']}.json").read_bytes()


def _terraform(rendered: Path, name: str) -> dict[str, Any]:
    parsed: dict[str, Any] = hcl2.loads(
        (rendered / "terraform" / name).read_text(encoding="utf-8"), serialization_options=HCL
    )
    return parsed


def _deploy_module(rendered: Path) -> Any:
    """The rendered scripts/deploy.py, imported under a name of its own."""
    name = f"deploy_{rendered.parent.name.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, rendered / "scripts" / "deploy.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "rendered", answer_set_params("terraform-s3", "terraform-custom"), indirect=True
)
def test_terraform_deploys_the_hook_and_deploy_py_names_it(rendered: Path) -> None:
    parsed = _terraform(rendered, "smoke_test.tf")
    resources = {
        (kind, name): body
        for block in parsed["resource"]
        for kind, named in block.items()
        for name, body in named.items()
    }
    hook = resources[("aws_lambda_function", "pre_traffic_hook")]
    assert hook["function_name"].startswith(HOOK_PREFIX)
    assert hook["role"] == "${aws_iam_role.pre_traffic_hook.arn}"
    assert hook["environment"][0]["variables"]["TARGET_VERSION"] == (
        "${aws_lambda_function.function.version}"
    )
    config = resources[("aws_lambda_function_event_invoke_config", "pre_traffic_hook")]
    assert (config["maximum_retry_attempts"], config["maximum_event_age_in_seconds"]) == (2, 3600)
    (document,) = [
        block["pre_traffic_hook"]
        for block in parsed["data"]
        if "pre_traffic_hook" in block.get("aws_iam_policy_document", {})
        for block in [block["aws_iam_policy_document"]]
    ]
    statements = {s["sid"]: s for s in document["statement"]}
    expected = _expected_actions(rendered)
    assert {sid: sorted(s["actions"]) for sid, s in statements.items()} == expected
    assert statements["InvokeNewVersion"]["resources"] == ["${aws_lambda_function.function.arn}:*"]
    assert statements["ReportHookStatus"]["resources"] == [
        "${aws_codedeploy_deployment_group.function.arn}"
    ]
    role = resources[("aws_iam_role", "pre_traffic_hook")]
    assert ("permissions_boundary" in role) == (_base(rendered) == "custom")
    outputs = {
        name: body
        for block in _terraform(rendered, "outputs.tf")["output"]
        for name, body in block.items()
    }
    assert outputs["pre_traffic_hook"]["value"] == (
        "${aws_lambda_function.pre_traffic_hook.function_name}"
    )
    # The deployment scripts/deploy.py creates runs the hook before it allows traffic.
    deploy = _deploy_module(rendered)
    target = deploy.Target("fn", "live", "7", "app", "group", "CodeDeployHook_fn")
    appspec = json.loads(deploy.appspec(target, "6"))
    assert appspec["Hooks"] == [{"BeforeAllowTraffic": "CodeDeployHook_fn"}]


@pytest.mark.parametrize("rendered", answer_set_params("terraform-sns"), indirect=True)
def test_terraform_without_smoke_test_deploys_no_hook(rendered: Path) -> None:
    assert not (rendered / "terraform" / "smoke_test.tf").exists()
    deploy = _deploy_module(rendered)
    target = deploy.Target("fn", "live", "7", "app", "group")
    assert "Hooks" not in json.loads(deploy.appspec(target, "6"))
