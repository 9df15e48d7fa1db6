"""The stack's four tags (Environment, Service, Owner, CostCenter; LAMBDA_COMPLIANCE) reach every
resource that can carry tags, in each IaC tool's own way: SAM deploys each environment's stack with
them as stack tags (samconfig.toml), which CloudFormation propagates to every resource it creates
that supports tags; the CDK app tags each resource of the synthesized template (Tags.of); the
Terraform provider adds them to every resource (default_tags). The sets are ones other template
tests render and validate anyway: `custom` (an owner and a cost centre of its own), `s3` (the
longest slug), and their CDK and Terraform mirrors.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import cfnlint.data.schemas  # type: ignore[import-untyped]  # cfn-lint ships no type hints
import hcl2
import pytest
import yaml
from hcl2 import SerializationOptions

from tests.conftest import answer_set_params, deployed_template

TAG_KEYS = ("Environment", "Service", "Owner", "CostCenter")
SCHEMAS = Path(cfnlint.data.schemas.__file__).parent


def _answers(project: Path) -> dict[str, Any]:
    answers: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return answers


def _expected(project: Path, environment: str) -> dict[str, str]:
    answers = _answers(project)
    return {
        "Environment": environment,
        "Service": answers["project_slug"],
        "Owner": answers["owner_team"],
        "CostCenter": answers["cost_center"],
    }


@cache
def _tag_property(region: str, resource_type: str) -> str | None:
    """The property that holds a resource type's tags, from the CloudFormation resource schema
    cfn-lint ships for the Region (its `tagging` section), or None for a type without tags. A
    custom resource (`Custom::...`) has no schema and no tags: its properties go to its handler."""
    if resource_type.startswith("Custom::"):
        return None
    providers = json.loads((SCHEMAS / "providers" / f"{region}.json").read_text())
    schema = json.loads((SCHEMAS / "resources" / f"{providers[resource_type]}.json").read_text())
    tagging = schema.get("tagging", {})
    if not tagging.get("taggable") or "tagProperty" not in tagging:
        return None
    return str(tagging["tagProperty"]).removeprefix("/properties/")


def _tags(value: Any) -> dict[str, Any]:
    """A resource's tags as a mapping, whether CloudFormation lists them as Key/Value pairs."""
    if isinstance(value, list):
        return {tag["Key"]: tag["Value"] for tag in value}
    return dict(value or {})


@pytest.mark.parametrize("rendered", answer_set_params("custom", "s3"), indirect=True)
def test_sam_deploys_each_environment_with_the_four_tags(rendered: Path) -> None:
    samconfig = tomllib.loads((rendered / "samconfig.toml").read_text())
    for environment in ("dev", "prod"):
        deploy = samconfig[environment]["deploy"]["parameters"]
        # SAM CLI reads Key=value pairs separated by spaces, a value with spaces in quotes.
        pairs = dict(pair.split("=", 1) for pair in shlex.split(deploy["tags"]))
        assert pairs == _expected(rendered, environment)


@pytest.mark.parametrize("rendered", answer_set_params("cdk-custom", "cdk-s3"), indirect=True)
def test_every_taggable_resource_the_cdk_app_synthesizes_carries_the_four_tags(
    rendered: Path, translation: subprocess.CompletedProcess[str]
) -> None:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    template = json.loads(deployed_template(rendered).read_text())
    region = _answers(rendered)["aws_region"]
    expected = _expected(rendered, "dev")
    untagged = {
        logical_id: resource["Type"]
        for logical_id, resource in template["Resources"].items()
        if (prop := _tag_property(region, resource["Type"]))
        and {key: _tags(resource.get("Properties", {}).get(prop)).get(key) for key in TAG_KEYS}
        != expected
    }
    assert untagged == {}
    # The check reads tags where they are: a stack without its function would pass for nothing.
    assert any(r["Type"] == "AWS::Lambda::Function" for r in template["Resources"].values())


@pytest.mark.parametrize("rendered", answer_set_params("terraform-custom"), indirect=True)
def test_the_terraform_provider_tags_every_resource_with_the_four_tags(rendered: Path) -> None:
    versions = hcl2.loads(
        (rendered / "terraform" / "versions.tf").read_text(),
        serialization_options=SerializationOptions(strip_string_quotes=True, explicit_blocks=False),
    )
    (provider,) = [block["aws"] for block in versions["provider"] if "aws" in block]
    (default_tags,) = provider["default_tags"]
    expected = {**_expected(rendered, "${var.environment}")}
    assert default_tags["tags"] == expected
