"""The rendered README's deployment-flow diagram (includes/deployment_flow.md.jinja) draws what the
stack does: the CodeDeploy configuration that shifts `live`, the pre-traffic hook exactly when the
stack has one, and exactly the alarms a deployment rolls back on. Read from the template `make
validate` checked: SAM's translation, or the CDK app's synth."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.answer_sets import answer_sets_of
from tests.conftest import answer_set_params, deployed_template
from tools.rendered_docs import mermaid, section

# Every SAM and CDK set: the hook on and off, each deployment strategy, each trigger family.
cloudformation_sets = pytest.mark.parametrize(
    "rendered", answer_set_params(*answer_sets_of("sam"), *answer_sets_of("cdk")), indirect=True
)


def _text(value: Any, variables: dict[str, str]) -> str:
    """A name the template gives as text, `Fn::Sub` or `Fn::Join`, with each `${Name}` or
    `{"Ref": Name}` of `variables` (the stack's parameters) replaced by its value.

    Raises:
        ValueError: on any other intrinsic function.
    """
    if isinstance(value, str):
        return re.sub(r"\$\{(\w+)\}", lambda found: variables[found.group(1)], value)
    (function, argument), *_ = value.items()
    if function == "Ref":
        return variables[argument]
    if function == "Fn::Sub":
        text, extra = (argument, {}) if isinstance(argument, str) else argument
        return _text(text, {**variables, **extra})
    if function == "Fn::Join":
        separator, parts = argument
        return str(separator).join(_text(part, variables) for part in parts)
    raise ValueError(f"not a name: {value}")


def _diagram(rendered: Path) -> str:
    return mermaid(section((rendered / "README.md").read_text(), "Deploy"))


@cloudformation_sets
def test_the_deployment_flow_draws_the_stacks_deployment_config_hook_and_rollback_alarms(
    rendered: Path, translation: subprocess.CompletedProcess[str]
) -> None:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    slug = yaml.safe_load((rendered / ".copier-answers.yml").read_text())["project_slug"]
    resources = json.loads(deployed_template(rendered).read_text())["Resources"]
    variables = {"Environment": "dev"}
    diagram = _diagram(rendered)
    ((group_id, group),) = (
        (key, resource)
        for key, resource in resources.items()
        if resource["Type"] == "AWS::CodeDeploy::DeploymentGroup"
    )
    config = _text(group["Properties"]["DeploymentConfigName"], variables)
    (drawn_config,) = re.findall(r"CodeDeploy shifts live:<br/>(\w+)\]", diagram)
    assert config == f"CodeDeployDefault.Lambda{drawn_config}"

    (alias,) = (r for r in resources.values() if r["Type"] == "AWS::Lambda::Alias")
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["DeploymentGroupName"] == {"Ref": group_id}
    has_hook = "BeforeAllowTrafficHook" in update
    assert ("pre-traffic hook invokes the new version" in diagram) == has_hook

    (drawn_alarms,) = re.findall(r"-->\|alarm: ([^|]+)\|", diagram)
    drawn = set(re.split(r",(?:<br/>)? ", drawn_alarms))
    rolling_back = {
        _text(resources[entry["Name"]["Ref"]]["Properties"]["AlarmName"], variables)
        for entry in group["Properties"]["AlarmConfiguration"]["Alarms"]
    }
    assert rolling_back == {f"{slug}-dev-{name}" for name in drawn}
