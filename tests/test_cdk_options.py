"""The CDK variant (issue 14) with the options that change the stack beyond the trigger: the
customer-managed key, the VPC, a permissions boundary, reserved concurrency, SnapStart and AWS's
Powertools layer, all at once in one synth of the SQS trigger, read against the stack model.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cdk import render_cdk, synthesize
from tests.model import stack_model

ANSWERS: dict[str, Any] = {
    "trigger": "sqs",
    "kms_key": "customer-managed",
    "vpc_enabled": True,
    "permissions_boundary": "boundaries/lambda-boundary",
    "reserved_concurrency": 12,
    "snapstart": True,
    "powertools_source": "layer",
}
STACK = "order-processor-dev"


class Synth:
    """The synthesized template of ANSWERS and the model it renders."""

    def __init__(self, project: Path, result: subprocess.CompletedProcess[str]) -> None:
        self.result = result
        self.model = stack_model(**ANSWERS)
        template = project / "cdk.out" / f"{STACK}.template.json"
        self.template: dict[str, Any] = (
            json.loads(template.read_text()) if template.exists() else {}
        )

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        """The stack's resources of `kind`, but the pre-traffic hook's (the construct
        PreTrafficHook, whose own tests are test_smoke_test.py's)."""
        resources: dict[str, dict[str, Any]] = self.template["Resources"]
        return {
            key: r
            for key, r in resources.items()
            if r["Type"] == kind and not key.startswith("PreTrafficHook")
        }

    def one(self, kind: str) -> dict[str, Any]:
        (resource,) = self.of_type(kind).values()
        return resource

    def function(self) -> dict[str, Any]:
        """The function (CDK adds none of its own with these answers: S3 notifications do)."""
        return self.one("AWS::Lambda::Function")

    def key_arn(self) -> dict[str, Any]:
        (key_id,) = self.of_type("AWS::KMS::Key")
        return {"Fn::GetAtt": [key_id, "Arn"]}


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    project = render_cdk(tmp_path_factory.mktemp("cdk-options") / "project", **ANSWERS)
    result = synthesize(project)
    return Synth(project, result)


def test_synth_passes_cdk_nag(synth: Synth) -> None:
    assert synth.result.returncode == 0, synth.result.stderr[-4000:]


def _as_sub(value: Any) -> str:
    """CDK's Fn::Join of text and pseudo-parameter Refs as the model's ${AWS::...} text."""
    parts = value["Fn::Join"][1] if isinstance(value, dict) else [value]
    return "".join(part if isinstance(part, str) else "${" + part["Ref"] + "}" for part in parts)


def test_every_role_is_under_the_permissions_boundary(synth: Synth) -> None:
    roles = synth.of_type("AWS::IAM::Role")
    assert len(roles) >= 2  # the execution role and CodeDeploy's
    for logical_id, role in roles.items():
        boundary = _as_sub(role["Properties"]["PermissionsBoundary"])
        assert boundary == synth.model["boundary"]["sub"], logical_id


def test_the_stack_key_encrypts_logs_environment_queues_and_idempotency_records(
    synth: Synth,
) -> None:
    key = synth.key_arn()
    assert synth.one("AWS::Logs::LogGroup")["Properties"]["KmsKeyId"] == key
    assert synth.function()["Properties"]["KmsKeyArn"] == key
    queues = synth.of_type("AWS::SQS::Queue")
    assert len(queues) == 2
    for logical_id, queue in queues.items():
        assert queue["Properties"]["KmsMasterKeyId"] == key, logical_id
    table = synth.one("AWS::DynamoDB::Table")["Properties"]["SSESpecification"]
    assert table == {"KMSMasterKeyId": key, "SSEEnabled": True, "SSEType": "KMS"}


def test_key_policy_admits_exactly_the_models_services(synth: Synth) -> None:
    statements = synth.one("AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]
    services = {s["Sid"]: s for s in statements if "Service" in s["Principal"]}
    assert sorted(services) == sorted(grant["sid"] for grant in synth.model["key_grants"])
    for grant in synth.model["key_grants"]:
        statement = services[grant["sid"]]
        assert sorted(statement["Action"]) == sorted(grant["actions"]), grant["sid"]
        assert sorted(statement["Condition"]) == sorted(op for op, _ in grant["conditions"])


def test_function_attaches_to_the_subnets_and_security_groups_given_at_deploy(
    synth: Synth,
) -> None:
    parameters = synth.template["Parameters"]
    assert parameters["SubnetIds"]["Type"] == "List<AWS::EC2::Subnet::Id>"
    assert parameters["SecurityGroupIds"]["Type"] == "List<AWS::EC2::SecurityGroup::Id>"
    assert synth.function()["Properties"]["VpcConfig"] == {
        "SubnetIds": {"Ref": "SubnetIds"},
        "SecurityGroupIds": {"Ref": "SecurityGroupIds"},
    }


def test_reserved_concurrency_and_snapstart_are_the_models(synth: Synth) -> None:
    function = synth.model["function"]
    properties = synth.function()["Properties"]
    assert properties["ReservedConcurrentExecutions"] == function["reserved_concurrency"] == 12
    assert properties["SnapStart"] == {"ApplyOn": function["snapstart"]["apply_on"]}


def test_function_runs_the_managed_powertools_layer_of_the_model(synth: Synth) -> None:
    layers = synth.function()["Properties"]["Layers"]
    assert len(layers) == 2  # with the project's dependency layer, a Ref
    assert _as_sub(layers[1]) == synth.model["function"]["powertools_layer"]["sub"]


@pytest.mark.parametrize(
    ("kind", "skips"),
    [
        ("AWS::Lambda::Function", "checkov_skips"),
        ("AWS::Logs::LogGroup", "log_group_checkov_skips"),
    ],
)
def test_checkov_skips_are_the_models(synth: Synth, kind: str, skips: str) -> None:
    metadata = synth.one(kind).get("Metadata", {}).get("checkov", {"skip": []})
    assert metadata["skip"] == [
        {"id": skip["id"], "comment": skip["comment"]} for skip in synth.model[skips]
    ]


def test_execution_role_carries_the_models_vpc_skip(synth: Synth) -> None:
    (role,) = (
        r
        for r in synth.of_type("AWS::IAM::Role").values()
        if "lambda.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
    )
    assert role["Metadata"]["checkov"]["skip"] == synth.model["role_checkov_skips"]
    assert synth.model["role_checkov_skips"], "vpc_enabled: the model skips CKV_AWS_111"
