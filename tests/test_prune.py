"""Old function and layer versions are pruned after every successful deploy (seed 004).

The rendered `scripts/prune_versions.py` is unit-tested in the rendered repo
(tests/unit/test_prune_versions.py, botocore's Stubber; run by test_rendered_checks.py). Here:
`make deploy` runs it with --apply after the deployment and `make prune` runs it alone, dry by
default (`make -n`); each deploy job installs its boto3 before it has AWS credentials (the parsed
deploy workflow); and the deploy role's permissions in the README name every AWS API the script
calls (read from the script's syntax tree).
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import answer_set_params, iac_tool, run

pytestmark = pytest.mark.parametrize(
    "rendered",
    answer_set_params("defaults", "cdk-custom", "terraform-custom", "limits"),
    indirect=True,
)

DEPLOY_COMMAND = {
    "sam": r"\bsam deploy\b",
    "cdk": r"\bcdk deploy\b",
    "terraform": r"scripts/deploy\.py\b",
}


def _commands(project: Path, *arguments: str) -> list[str]:
    """The commands `make -n` prints for `arguments`, continuations joined."""
    dry_run = run(["make", "-n", *arguments], project)
    assert dry_run.returncode == 0, dry_run.stderr
    return dry_run.stdout.replace("\\\n", " ").splitlines()


def _prunes(commands: list[str]) -> list[list[str]]:
    return [
        shlex.split(command)[shlex.split(command).index("scripts/prune_versions.py") + 1 :]
        for command in commands
        if "scripts/prune_versions.py" in command
    ]


def _target(rendered: Path, environment: str) -> list[str]:
    """The arguments naming the environment's stack, as each tool's deploy names it."""
    slug = yaml.safe_load((rendered / ".copier-answers.yml").read_text())["project_slug"]
    return {
        "sam": ["--config-env", environment],
        "cdk": ["--stack-name", f"{slug}-{environment}"],
        "terraform": ["--terraform-outputs", f"build/terraform-outputs-{environment}.json"],
    }[iac_tool(rendered)]


def test_make_deploy_prunes_after_the_deployment(rendered: Path) -> None:
    commands = _commands(rendered, "deploy", "ENV=prod")
    [deployed] = [
        i for i, c in enumerate(commands) if re.search(DEPLOY_COMMAND[iac_tool(rendered)], c)
    ]
    [pruned] = [i for i, c in enumerate(commands) if "scripts/prune_versions.py" in c]
    # After: make stops at a failed deployment (or a rolled back one), so nothing is pruned then.
    assert deployed < pruned
    assert _prunes(commands) == [[*_target(rendered, "prod"), "--apply"]]


@pytest.mark.parametrize(("apply", "expected"), [([], []), (["APPLY=1"], ["--apply"])])
def test_make_prune_prints_the_plan_unless_told_to_apply(
    rendered: Path, apply: list[str], expected: list[str]
) -> None:
    commands = _commands(rendered, "prune", "ENV=dev", *apply)
    assert _prunes(commands) == [[*_target(rendered, "dev"), *expected]]


def _index(job: dict[str, Any], predicate: Any) -> int:
    return next(i for i, step in enumerate(job["steps"]) if predicate(step))


def test_each_deploy_job_installs_the_pruners_boto3_before_it_has_credentials(
    rendered: Path,
) -> None:
    """`make deploy` runs uv offline once credentials exist: the project's environment (boto3)
    must be installed before."""
    workflow = yaml.safe_load((rendered / ".github" / "workflows" / "deploy.yml").read_text())
    for name in ("deploy-dev", "deploy-prod"):
        job = workflow["jobs"][name]
        installed = _index(job, lambda step: step.get("run") == "make install")
        credentials = _index(
            job, lambda step: step.get("uses", "").startswith("aws-actions/configure-aws")
        )
        deployed = _index(job, lambda step: step.get("run", "").startswith("make deploy"))
        assert installed < credentials < deployed, name


# The clients' attribute names in the script, and the IAM service prefix of each.
SERVICES = {"lambda_": "lambda", "codedeploy": "codedeploy", "cloudformation": "cloudformation"}


def _called_actions(script: Path) -> set[str]:
    """The IAM actions of the AWS API calls in `script`: `<client>.<operation>(...)` and
    `<client>.get_paginator("<operation>")`, the operation in IAM's CamelCase."""
    actions = set()
    for node in ast.walk(ast.parse(script.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        client = (
            receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
        )
        if client not in SERVICES:
            continue
        operation = node.func.attr
        if operation == "get_paginator":
            [name] = node.args
            assert isinstance(name, ast.Constant)
            operation = str(name.value)
        camel = "".join(word.capitalize() for word in operation.split("_"))
        actions.add(f"{SERVICES[client]}:{camel}")
    return actions


def test_the_readme_grants_the_deploy_role_every_call_the_pruner_makes(rendered: Path) -> None:
    actions = _called_actions(rendered / "scripts" / "prune_versions.py")
    expected = {
        "lambda:ListVersionsByFunction",
        "lambda:ListAliases",
        "lambda:DeleteFunction",
        "lambda:ListLayerVersions",
        "lambda:DeleteLayerVersion",
        "codedeploy:ListDeployments",
    }
    if iac_tool(rendered) != "terraform":
        expected |= {"cloudformation:DescribeStacks", "cloudformation:ListStackResources"}
    assert actions == expected
    readme = (rendered / "README.md").read_text()
    deploy = readme[readme.index("\n## Deploy\n") :]
    deploy = deploy[: deploy.index("\n## ", 1)]
    named = set(re.findall(r"`(\w+:\w+)`", deploy))
    assert actions <= named, sorted(actions - named)
