"""Provisioned concurrency on the `live` alias, scaled by Application Auto Scaling (issue 16,
LAMBDA_CONCURRENCY): the model's sizing, then what each IaC tool deploys from it, read from the
deployed form (SAM's translation, CDK's synth, the parsed Terraform) of the `custom` answer set
(25 reserved, 5 provisioned; dev reserves none, so dev's scaling stops at the unreserved sizing,
10), which test_rendered_checks.py renders and validates anyway.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2 import SerializationOptions

from tests.conftest import answer_set_params, deployed_template
from tests.model import alarm, stack_model
from tests.rendered import stack_facts_of

SERVICE_LINKED_ROLE = (
    "role/aws-service-role/lambda.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency"
)


@pytest.mark.parametrize(
    ("reserved", "provisioned", "maximum"), [(25, 5, 25), (0, 4, 10), (0, 30, 30)]
)
def test_scaling_reaches_the_concurrency_the_function_is_sized_for(
    reserved: int, provisioned: int, maximum: int
) -> None:
    """Up to the reservation; without one, up to the unreserved sizing (10), or the provisioned
    number when that is more, which the poller is then sized for too (never paying for
    environments the source could not keep busy)."""
    model = stack_model(
        trigger="sqs", reserved_concurrency=reserved, provisioned_concurrency=provisioned
    )
    scaling = model["function"]["provisioned_concurrency"]
    assert (scaling["min_capacity"], scaling["max_capacity"]) == (provisioned, maximum)
    assert model["source"]["maximum_concurrency"] == maximum


def test_no_provisioned_concurrency_by_default_and_no_spillover_alarm() -> None:
    model = stack_model()
    assert model["function"]["provisioned_concurrency"] is None
    with pytest.raises(KeyError):
        alarm(model, "ProvisionedSpilloverAlarm")


def test_sustained_spillover_pages_but_never_rolls_a_release_back() -> None:
    spillover = alarm(stack_model(provisioned_concurrency=3), "ProvisionedSpilloverAlarm")
    assert spillover["metric"] == "ProvisionedConcurrencySpilloverInvocations"
    assert spillover["evaluation_periods"] * spillover["period"] == 900
    assert not spillover["rolls_back"]


def _of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def _ref_id(template: dict[str, Any], value: Any) -> str | None:
    """The logical ID a {"Ref": ...} names (CDK reaches the function through its alias's ARN:
    Fn::Select of Fn::Split of the alias's Ref)."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::Select" in value:
        _, split = value["Fn::Select"]
        return _ref_id(template, split["Fn::Split"][1])
    return None


def _chosen(value: Any, environment: str) -> Any:
    """A value CloudFormation chooses on the IsProd condition (dev_sizing), as `environment` gets
    it; any other value as it is."""
    if isinstance(value, dict) and list(value) == ["Fn::If"] and value["Fn::If"][0] == "IsProd":
        return value["Fn::If"][1 if environment == "prod" else 2]
    return value


@pytest.mark.parametrize("rendered", answer_set_params("custom", "cdk-custom"), indirect=True)
def test_the_alias_is_provisioned_and_scaled_in_cloudformation(
    rendered: Path, translation: subprocess.CompletedProcess[str]
) -> None:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    template = json.loads(deployed_template(rendered).read_text())
    (alias,) = _of_type(template, "AWS::Lambda::Alias")
    assert alias["Properties"]["ProvisionedConcurrencyConfig"] == {
        "ProvisionedConcurrentExecutions": 5
    }
    (target,) = _of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    properties = target["Properties"]
    # CDK's synth is dev's; SAM's template chooses on IsProd.
    assert (properties["MinCapacity"], _chosen(properties["MaxCapacity"], "dev")) == (5, 10)
    if (rendered / "template.yaml").exists():
        assert _chosen(properties["MaxCapacity"], "prod") == 25
    assert properties["ScalableDimension"] == "lambda:function:ProvisionedConcurrency"
    assert SERVICE_LINKED_ROLE in json.dumps(properties["RoleARN"])
    # function:<the function>:live, by reference to the function or to its alias.
    parts = properties["ResourceId"].get("Fn::Sub") or properties["ResourceId"]["Fn::Join"][1]
    assert parts == "function:${Function}:live" or (
        parts[0] == "function:" and parts[-1] == ":live"
    )
    (policy,) = _of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    tracking = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking == {
        "TargetValue": 0.7,
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"
        },
    }
    assert _ref_id(template, policy["Properties"]["ScalingTargetId"]) in template["Resources"]


@pytest.mark.parametrize("rendered", answer_set_params("terraform-custom"), indirect=True)
def test_the_alias_is_provisioned_and_scaled_in_terraform(rendered: Path) -> None:
    parsed = hcl2.loads(
        (rendered / "terraform" / "function.tf").read_text(encoding="utf-8"),
        serialization_options=SerializationOptions(strip_string_quotes=True, explicit_blocks=False),
    )
    resources = {
        (kind, name): body
        for block in parsed["resource"]
        for kind, named in block.items()
        for name, body in named.items()
    }
    config = resources[("aws_lambda_provisioned_concurrency_config", "live")]
    assert config["qualifier"] == "${aws_lambda_alias.live.name}"
    assert config["provisioned_concurrent_executions"] == 5
    # Auto Scaling moves the number: Terraform must not move it back at the next apply.
    assert config["lifecycle"] == [{"ignore_changes": ["provisioned_concurrent_executions"]}]
    target = resources[("aws_appautoscaling_target", "provisioned_concurrency")]
    planned = stack_facts_of(rendered).for_environment
    assert (target["min_capacity"], planned(target, "prod")["max_capacity"]) == (5, 25)
    assert planned(target, "dev")["max_capacity"] == 10
    assert target["resource_id"] == (
        "function:${aws_lambda_function.function.function_name}:${aws_lambda_alias.live.name}"
    )
    assert SERVICE_LINKED_ROLE in target["role_arn"]
    policy = resources[("aws_appautoscaling_policy", "provisioned_concurrency")]
    assert (
        policy["resource_id"] == "${aws_appautoscaling_target.provisioned_concurrency.resource_id}"
    )
    (tracking,) = policy["target_tracking_scaling_policy_configuration"]
    assert tracking["target_value"] == 0.7
    assert tracking["predefined_metric_specification"] == [
        {"predefined_metric_type": "LambdaProvisionedConcurrencyUtilization"}
    ]
