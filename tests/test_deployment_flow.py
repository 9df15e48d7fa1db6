"""The rendered README's deployment-flow diagram (includes/deployment_flow.md.jinja) draws what the
stack does: the CodeDeploy configuration that shifts `live`, the pre-traffic hook exactly when the
stack has one, and exactly the alarms a deployment rolls back on. Read from the template `make
validate` checked: SAM's translation, or the CDK app's synth."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests import parity
from tests.answer_sets import answer_sets_of
from tests.conftest import answer_set_params, deployed_template
from tools.rendered_docs import mermaid, section

# Every SAM and CDK set: the hook on and off, each deployment strategy, each trigger family.
cloudformation_sets = pytest.mark.parametrize(
    "rendered", answer_set_params(*answer_sets_of("sam"), *answer_sets_of("cdk")), indirect=True
)


def _stack(rendered: Path) -> parity.Stack:
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    template = json.loads(deployed_template(rendered).read_text())
    return parity.read(template, answers["aws_region"], f"{answers['project_slug']}-dev")


def _diagram(rendered: Path) -> str:
    return mermaid(section((rendered / "README.md").read_text(), "Deploy"))


@cloudformation_sets
def test_the_deployment_flow_draws_the_stacks_deployment_config_hook_and_rollback_alarms(
    rendered: Path, translation: subprocess.CompletedProcess[str]
) -> None:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    stack = _stack(rendered)
    diagram = _diagram(rendered)
    (group,) = stack.of_type("AWS::CodeDeploy::DeploymentGroup").values()
    (drawn_config,) = re.findall(r"CodeDeploy shifts live:<br/>(\w+)\]", diagram)
    assert group.properties["DeploymentConfigName"] == f"CodeDeployDefault.Lambda{drawn_config}"

    has_hook = parity.deployment(stack)["pre-traffic hook"] is not None
    assert ("pre-traffic hook invokes the new version" in diagram) == has_hook

    (drawn_alarms,) = re.findall(r"-->\|alarm: ([^|]+)\|", diagram)
    drawn = set(re.split(r",(?:<br/>)? ", drawn_alarms))
    rolling_back = {
        name for name, alarm in parity.alarms(stack).items() if alarm["RollsBackTheDeployment"]
    }
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    prefix = f"{answers['project_slug']}-dev-"
    assert {name.removeprefix(prefix) for name in rolling_back} == drawn
