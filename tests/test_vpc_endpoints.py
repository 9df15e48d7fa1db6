"""The network path of an in-VPC function to the AWS APIs it calls (issue 16, LAMBDA_NETWORKING).

The model's list of the services the function calls (includes/model/network.jinja) is held equal
to the boto3 clients the rendered adapters.py creates; then, with vpc_endpoints=create, what each
IaC tool deploys from it: one interface endpoint with private DNS per interface service, behind a
security group that admits HTTPS from the function's own group only, read from SAM's
translation (`limits`), CDK's synth (`cdk-eventbridge`) and the parsed Terraform
(`terraform-eventbridge`); nothing of it with `existing` or without a VPC. Every render here is
one test_rendered_checks.py validates anyway.
"""

from __future__ import annotations

import ast
import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from hcl2 import SerializationOptions

from tests.answer_checks import assert_rejected, rejection
from tests.answer_sets import ANSWER_SETS
from tests.conftest import answer_set_params, deployed_template
from tests.model import stack_model

HTTPS = 443


def _clients(project: Path, module: str = "adapters.py") -> list[str]:
    """The services of the boto3.client(...) calls in the rendered src/<package>/`module`, in
    order."""
    (adapters,) = project.glob(f"src/*/{module}")
    return [
        str(node.args[0].value)
        for node in ast.walk(ast.parse(adapters.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "client"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "boto3"
        and isinstance(node.args[0], ast.Constant)
    ]


@pytest.mark.parametrize("rendered", answer_set_params("defaults", "s3", "custom"), indirect=True)
def test_the_models_services_are_the_clients_the_function_creates(
    rendered: Path, request: pytest.FixtureRequest
) -> None:
    """sqs with idempotency (ssm, dynamodb); s3 without it, with a secret (ssm, s3,
    secretsmanager); sqs without it, with a secret (ssm, secretsmanager)."""
    answers = ANSWER_SETS[request.node.callspec.params["rendered"]]
    services = stack_model(**{**answers, "vpc_enabled": True})["network"]["services"]
    assert [entry["client"] for entry in services if entry["client"]] == _clients(rendered)
    # Each service once, and each with the endpoint type AWS offers for it.
    assert len({entry["service"] for entry in services}) == len(services)
    for entry in services:
        gateway = entry["service"] in {"s3", "dynamodb"}
        assert entry["type"] == ("Gateway" if gateway else "Interface")


@pytest.mark.parametrize("rendered", answer_set_params("s3", "custom"), indirect=True)
def test_the_models_hook_services_are_the_clients_the_pre_traffic_hook_creates(
    rendered: Path, request: pytest.FixtureRequest
) -> None:
    """s3 (codedeploy, lambda, s3: it puts the smoke object) and sqs (codedeploy, lambda)."""
    answers = ANSWER_SETS[request.node.callspec.params["rendered"]]
    network = stack_model(**{**answers, "vpc_enabled": True})["network"]
    hook_clients = [entry["client"] for entry in network["hook_services"]]
    assert hook_clients == _clients(rendered, "pre_traffic.py")
    # A service both call is listed once, as the function's.
    every = [entry["service"] for entry in network["all_services"]]
    assert sorted(every) == sorted({*_clients(rendered), *hook_clients})


@pytest.mark.parametrize(
    ("answers", "created"),
    [
        # The pre-traffic hook (smoke_test, on by default) invokes and reports from the VPC too.
        ({"vpc_enabled": True, "vpc_endpoints": "create"}, ["ssm", "codedeploy", "lambda"]),
        ({"vpc_enabled": True, "vpc_endpoints": "create", "smoke_test": False}, ["ssm"]),
        (
            {"trigger": "s3", "vpc_enabled": True, "vpc_endpoints": "create", "smoke_test": False},
            ["ssm"],
        ),
        (
            {"secret": True, "vpc_enabled": True, "vpc_endpoints": "create", "smoke_test": False},
            ["ssm", "secretsmanager"],
        ),
        (
            {"secret": True, "vpc_enabled": True, "vpc_endpoints": "create"},
            ["ssm", "secretsmanager", "codedeploy", "lambda"],
        ),
        # The Insights extension writes to CloudWatch Logs from inside the VPC.
        (
            {
                "lambda_insights": True,
                "vpc_enabled": True,
                "vpc_endpoints": "create",
                "smoke_test": False,
            },
            ["ssm", "logs"],
        ),
        (
            {"lambda_insights": True, "vpc_enabled": True, "vpc_endpoints": "create"},
            ["ssm", "logs", "codedeploy", "lambda"],
        ),
        ({"vpc_enabled": True}, []),
        ({}, []),
    ],
)
def test_only_create_in_a_vpc_makes_interface_endpoints(
    answers: dict[str, Any], created: list[str]
) -> None:
    network = stack_model(**answers)["network"]
    assert [entry["service"] for entry in network["interface_endpoints"]] == created
    assert network["create"] is bool(created)


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def _group_id(value: Any) -> str:
    """The logical id of the security group a {"Fn::GetAtt": [Id, "GroupId"]} names."""
    logical_id, attribute = value["Fn::GetAtt"]
    assert attribute == "GroupId"
    return str(logical_id)


def _service_name(value: Any) -> str:
    """An endpoint's ServiceName with the stack's Region as <region>: SAM writes a Fn::Sub, CDK
    a Fn::Join of the AWS::Region reference."""
    if "Fn::Sub" in value:
        return str(value["Fn::Sub"]).replace("${AWS::Region}", "<region>")
    separator, parts = value["Fn::Join"]
    return str(separator).join(
        "<region>" if part == {"Ref": "AWS::Region"} else str(part) for part in parts
    )


def _function_security_groups(template: dict[str, Any]) -> list[Any]:
    """The function's security groups as the stack writes them: the team's parameter joined
    with the stack's own group, split back into a list; its pre-traffic hook has the same
    subnets and groups (so the endpoints admit it too)."""
    vpc_configs = [
        properties["VpcConfig"]
        for properties in _resources(template, "AWS::Lambda::Function").values()
        if "VpcConfig" in properties
    ]
    # The function, and the pre-traffic hook with smoke_test.
    assert 1 <= len(vpc_configs) <= 2
    assert all(config == vpc_configs[0] for config in vpc_configs)
    separator, joined = vpc_configs[0]["SecurityGroupIds"]["Fn::Split"]
    assert separator == ","
    _, parts = joined["Fn::Join"]
    return list(parts)


@pytest.mark.parametrize("rendered", answer_set_params("limits", "cdk-eventbridge"), indirect=True)
def test_cloudformation_creates_one_private_endpoint_per_service_only_for_the_function(
    rendered: Path, translation: subprocess.CompletedProcess[str], request: pytest.FixtureRequest
) -> None:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    template = json.loads(deployed_template(rendered).read_text())
    assert template["Parameters"]["VpcId"]["Type"] == "AWS::EC2::VPC::Id"
    expected = [
        entry["service"]
        for entry in stack_model(**ANSWER_SETS[request.node.callspec.params["rendered"]])[
            "network"
        ]["interface_endpoints"]
    ]
    endpoints = _resources(template, "AWS::EC2::VPCEndpoint").values()
    # The hook is updated, and so run by the alias's deployment, only once its endpoints exist.
    (hook,) = (
        resource
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
        and "CodeDeployHook_" in json.dumps(resource["Properties"].get("FunctionName"))
    )
    hook_endpoints = {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::EC2::VPCEndpoint"
        and _service_name(resource["Properties"]["ServiceName"]).rsplit(".", 1)[1]
        in {"lambda", "codedeploy"}
    }
    assert len(hook_endpoints) == 2
    assert hook_endpoints <= set(hook["DependsOn"])
    services = sorted(_service_name(endpoint["ServiceName"]) for endpoint in endpoints)
    assert services == sorted(f"com.amazonaws.<region>.{service}" for service in expected)
    groups = _resources(template, "AWS::EC2::SecurityGroup")
    for endpoint in endpoints:
        assert endpoint["VpcEndpointType"] == "Interface"
        assert endpoint["PrivateDnsEnabled"] is True
        assert endpoint["VpcId"] == {"Ref": "VpcId"}
        assert endpoint["SubnetIds"] == {"Ref": "SubnetIds"}
        (endpoint_group,) = (_group_id(group) for group in endpoint["SecurityGroupIds"])
        # HTTPS in, from one group, which the function carries beside the team's groups.
        (rule,) = groups[endpoint_group]["SecurityGroupIngress"]
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", HTTPS, HTTPS)
        assert set(rule) & {"CidrIp", "CidrIpv6", "SourcePrefixListId"} == set()
        function_group = _group_id(rule["SourceSecurityGroupId"])
        team, own = _function_security_groups(template)
        assert team == {"Fn::Join": [",", {"Ref": "SecurityGroupIds"}]}
        assert _group_id(own) == function_group
        # No other rule admits anything into the endpoints' group.
        assert not _resources(template, "AWS::EC2::SecurityGroupIngress")
        # Egress: none from the endpoints (a rule matching no traffic replaces AWS's default
        # allow-all); from the function's group, HTTPS to the endpoints only.
        (no_egress,) = groups[endpoint_group]["SecurityGroupEgress"]
        assert no_egress["CidrIp"] == "255.255.255.255/32"
        assert no_egress["IpProtocol"] == "icmp"
        assert "SecurityGroupEgress" not in groups[function_group]
        (egress,) = _resources(template, "AWS::EC2::SecurityGroupEgress").values()
        assert _group_id(egress["GroupId"]) == function_group
        assert _group_id(egress["DestinationSecurityGroupId"]) == endpoint_group
        assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == (
            "tcp",
            HTTPS,
            HTTPS,
        )


@pytest.mark.parametrize(
    "rendered", answer_set_params("defaults", "eventbridge", "cdk-custom"), indirect=True
)
def test_cloudformation_creates_no_endpoint_with_existing_or_without_a_vpc(
    rendered: Path, translation: subprocess.CompletedProcess[str]
) -> None:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    template = json.loads(deployed_template(rendered).read_text())
    assert "VpcId" not in template.get("Parameters", {})
    kinds = {resource["Type"] for resource in template["Resources"].values()}
    assert not {kind for kind in kinds if kind.startswith("AWS::EC2::")}


def _terraform(project: Path) -> dict[tuple[str, str], dict[str, Any]]:
    resources: dict[tuple[str, str], dict[str, Any]] = {}
    for path in (project / "terraform").glob("*.tf"):
        parsed = hcl2.loads(
            path.read_text(encoding="utf-8"),
            serialization_options=SerializationOptions(
                strip_string_quotes=True, explicit_blocks=False
            ),
        )
        for block in parsed.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    resources[(kind, name)] = body
    return resources


@pytest.mark.parametrize("rendered", answer_set_params("terraform-eventbridge"), indirect=True)
def test_terraform_creates_one_private_endpoint_per_service_only_for_the_function(
    rendered: Path,
) -> None:
    resources = _terraform(rendered)
    expected = stack_model(**ANSWER_SETS["terraform-eventbridge"])["network"]
    endpoints = {
        name: body for (kind, name), body in resources.items() if kind == "aws_vpc_endpoint"
    }
    assert sorted(body["service_name"].rsplit(".", 1)[1] for body in endpoints.values()) == sorted(
        entry["service"] for entry in expected["interface_endpoints"]
    )
    for body in endpoints.values():
        assert body["vpc_endpoint_type"] == "Interface"
        assert body["private_dns_enabled"] is True
        assert body["vpc_id"] == "${var.vpc_id}"
        assert body["subnet_ids"] == "${var.subnet_ids}"
        assert body["security_group_ids"] == ["${aws_security_group.endpoints.id}"]
    # HTTPS in from the function's own group, the only ingress rule; nothing inline.
    (ingress,) = [body for (kind, _), body in resources.items() if kind.endswith("ingress_rule")]
    assert ingress["security_group_id"] == "${aws_security_group.endpoints.id}"
    assert ingress["referenced_security_group_id"] == "${aws_security_group.function.id}"
    assert (ingress["ip_protocol"], ingress["from_port"], ingress["to_port"]) == (
        "tcp",
        HTTPS,
        HTTPS,
    )
    assert "cidr_ipv4" not in ingress
    for group in ("endpoints", "function"):
        assert not {"ingress", "egress"} & set(resources[("aws_security_group", group)])
        assert resources[("aws_security_group", group)]["vpc_id"] == "${var.vpc_id}"
    (egress,) = [body for (kind, _), body in resources.items() if kind.endswith("egress_rule")]
    assert egress["security_group_id"] == "${aws_security_group.function.id}"
    assert egress["referenced_security_group_id"] == "${aws_security_group.endpoints.id}"
    function = resources[("aws_lambda_function", "function")]
    (vpc_config,) = function["vpc_config"]
    assert vpc_config["security_group_ids"] == (
        "${concat(var.security_group_ids, [aws_security_group.function.id])}"
    )
    # The pre-traffic hook takes the function's subnets and groups.
    (hook_vpc_config,) = resources[("aws_lambda_function", "pre_traffic_hook")]["vpc_config"]
    for argument in ("subnet_ids", "security_group_ids"):
        expected_argument = f"${{aws_lambda_function.function.vpc_config[0].{argument}}}"
        assert hook_vpc_config[argument] == expected_argument
    variables = (rendered / "terraform" / "variables.tf").read_text(encoding="utf-8")
    parsed = hcl2.loads(
        variables,
        serialization_options=SerializationOptions(strip_string_quotes=True, explicit_blocks=False),
    )
    (vpc_id,) = [block["vpc_id"] for block in parsed["variable"] if "vpc_id" in block]
    assert "regex" in vpc_id["validation"][0]["condition"]


@pytest.mark.parametrize("rendered", answer_set_params("terraform-custom"), indirect=True)
def test_terraform_creates_no_endpoint_with_existing(rendered: Path) -> None:
    resources = _terraform(rendered)
    assert not [key for key in resources if key[0].startswith(("aws_vpc_", "aws_security_group"))]
    assert not (rendered / "terraform" / "network.tf").exists()


def test_create_is_refused_without_a_vpc() -> None:
    assert_rejected(
        "vpc_endpoints",
        {"vpc_enabled": False, "vpc_endpoints": "create"},
        "existing without vpc_enabled",
    )


@pytest.mark.parametrize("value", ["nat", "Create", "gateway"])
def test_an_unknown_way_to_reach_the_services_is_refused(value: str) -> None:
    """By copier's check of the choices, which names the question and the values it takes."""
    message = rejection({"vpc_enabled": True, "vpc_endpoints": value})
    assert "'vpc_endpoints'" in message
    assert "['existing', 'create']" in message


def test_create_in_a_vpc_is_accepted() -> None:
    assert rejection({"vpc_enabled": True, "vpc_endpoints": "create"}) == ""


@pytest.mark.parametrize(
    "rendered",
    answer_set_params("limits", "cdk-eventbridge", "terraform-eventbridge"),
    indirect=True,
)
def test_each_deploy_passes_its_environments_vpc(rendered: Path) -> None:
    """The deploy jobs' `make deploy` step, dry-run with the step's environment: the VPC id of
    the GitHub variable VPC_ID reaches the stack's VpcId parameter (Terraform: var.vpc_id), and
    make refuses to deploy without it."""
    workflow = yaml.safe_load((rendered / ".github" / "workflows" / "deploy.yml").read_text())
    terraform = (rendered / "terraform").is_dir()
    variable = "TF_VAR_vpc_id" if terraform else "VPC_ID"
    for environment in ("dev", "prod"):
        job = workflow["jobs"][f"deploy-{environment}"]
        [step] = [s for s in job["steps"] if s.get("run", "").startswith("make deploy")]
        assert step["env"][variable] == "${{ vars.VPC_ID }}"
        step_env = {
            name: f"<{name}>" if "${{" in str(value) else str(value)
            for name, value in step["env"].items()
        }
        dry_run = run_with(["make", "-n", *shlex.split(step["run"])[1:]], rendered, step_env)
        assert dry_run.returncode == 0, dry_run.stderr
        if not terraform:
            assert "VpcId=${VPC_ID}" in dry_run.stdout.replace("\\\n", " ")
    # Without the variable, make stops before deploying, naming it.
    without = {**os.environ, "SUBNET_IDS": "s", "SECURITY_GROUP_IDS": "g"}
    without |= {"TF_VAR_subnet_ids": "[]", "TF_VAR_security_group_ids": "[]"}
    without.pop(variable, None)
    refused = subprocess.run(
        # -o: the build check and Terraform's init count as done; the recipe's checks run first.
        ["make", "--no-print-directory", "-o", "verify-build", "-o", "init", "deploy", "ENV=dev"],
        cwd=rendered,
        env=without,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
    assert f"set {variable}" in refused.stderr


def run_with(
    command: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
