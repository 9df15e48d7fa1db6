"""AWS Control Tower's proactive controls in the rendered repo (scripts/controls.py, `make
controls`): on every answer set (SAM and CDK: every control; Terraform: those that map to the
HCL), each control the stack does not meet is one the model lists with its reason; a control
that newly fails, or a listed one that is met after all, fails the check naming the control. The
deployed template, or terraform/, is changed in a copy, so no render is added; the sets reuse the
session's translation or synth."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from tests.answer_sets import ANSWER_SETS
from tests.conftest import answer_set_params, deployed_template, make_validate, render, run

CLOUDFORMATION_SETS = [
    name for name, answers in ANSWER_SETS.items() if answers.get("iac_tool", "sam") != "terraform"
]
Template = dict[str, Any]


def _controls(project: Path, template: Path) -> CompletedProcess[str]:
    """The rendered repo's own check, as `make controls` runs it."""
    return run([sys.executable, "scripts/controls.py", "--template", str(template)], project)


def _listed_by_the_check(printed: str) -> set[str]:
    """The controls the check's table shows as not met, and listed."""
    return {
        line.split(" | ")[0].removeprefix("| ")
        for line in printed.splitlines()
        if "| not met (listed) |" in line
    }


def _documented_as_unmet(project: Path) -> set[str]:
    """The controls of docs/practices.md's table of controls not met."""
    documented = (project / "docs" / "practices.md").read_text().split("| Not met because |")[1]
    return {
        line.split(" | ")[0].removeprefix("| ")
        for line in documented.splitlines()
        if line.startswith("| CT.")
    }


def _resources(template: Template, kind: str) -> list[dict[str, Any]]:
    return [body for body in template["Resources"].values() if body["Type"] == kind]


def _without_grant_restriction(template: Template) -> None:
    for key in _resources(template, "AWS::KMS::Key"):
        policy = key["Properties"]["KeyPolicy"]
        policy["Statement"] = [
            statement for statement in policy["Statement"] if statement["Effect"] != "Deny"
        ]


def _logs_kept(days: int) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        for group in _resources(template, "AWS::Logs::LogGroup"):
            group["Properties"]["RetentionInDays"] = days

    return mutate


def _source_queue_without_redrive(template: Template) -> None:
    for queue in _resources(template, "AWS::SQS::Queue"):
        queue["Properties"].pop("RedrivePolicy", None)


def _mutated(
    project: Path, translation: CompletedProcess[str], tmp_path: Path, mutate: Callable[..., None]
) -> CompletedProcess[str]:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    template = json.loads(deployed_template(project).read_text())
    mutate(template)
    copy = tmp_path / "template.json"
    copy.write_text(json.dumps(template))
    return _controls(project, copy)


@pytest.mark.parametrize("rendered", answer_set_params(*CLOUDFORMATION_SETS), indirect=True)
def test_every_unmet_control_is_listed_with_its_reason(
    rendered: Path, translation: CompletedProcess[str]
) -> None:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    result = _controls(rendered, deployed_template(rendered))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "controls: every control is met or listed" in result.stdout


@pytest.mark.parametrize("rendered", answer_set_params("defaults", "cdk-custom"), indirect=True)
def test_docs_practices_md_lists_the_controls_the_check_allows(
    rendered: Path, translation: CompletedProcess[str]
) -> None:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    printed = _controls(rendered, deployed_template(rendered)).stdout
    assert _documented_as_unmet(rendered) == _listed_by_the_check(printed)


@pytest.mark.parametrize("rendered", answer_set_params("defaults", "cdk-custom"), indirect=True)
def test_a_key_that_lets_anyone_create_grants_fails_ct_kms_pr_3(
    rendered: Path, translation: CompletedProcess[str], tmp_path: Path
) -> None:
    result = _mutated(rendered, translation, tmp_path, _without_grant_restriction)
    assert result.returncode == 1, result.stdout
    assert "controls: 1 failed: CT.KMS.PR.3" in result.stderr


@pytest.mark.parametrize("rendered", answer_set_params("cdk-custom"), indirect=True)
def test_logs_kept_under_a_year_fail_ct_cloudwatch_pr_2_unless_listed(
    rendered: Path, translation: CompletedProcess[str], tmp_path: Path
) -> None:
    """cdk-custom keeps its logs 365 days, so the control is not listed."""
    result = _mutated(rendered, translation, tmp_path, _logs_kept(30))
    assert result.returncode == 1, result.stdout
    assert "controls: 1 failed: CT.CLOUDWATCH.PR.2" in result.stderr


@pytest.mark.parametrize("rendered", answer_set_params("defaults"), indirect=True)
def test_a_listed_control_the_stack_meets_is_stale(
    rendered: Path, translation: CompletedProcess[str], tmp_path: Path
) -> None:
    """defaults keeps its logs 30 days: with a year, the listed CT.CLOUDWATCH.PR.2 is stale."""
    result = _mutated(rendered, translation, tmp_path, _logs_kept(365))
    assert result.returncode == 1, result.stdout
    assert "controls: 1 failed: CT.CLOUDWATCH.PR.2" in result.stderr
    assert "| CT.CLOUDWATCH.PR.2 | STALE |" in result.stdout


@pytest.mark.parametrize("rendered", answer_set_params("defaults", "cdk-custom"), indirect=True)
def test_a_queue_without_a_redrive_fails_ct_sqs_pr_1_unless_it_is_a_dead_letter_queue(
    rendered: Path, translation: CompletedProcess[str], tmp_path: Path
) -> None:
    result = _mutated(rendered, translation, tmp_path, _source_queue_without_redrive)
    assert result.returncode == 1, result.stdout
    assert "controls: 1 failed: CT.SQS.PR.1" in result.stderr
    [row] = [line for line in result.stdout.splitlines() if line.startswith("| CT.SQS.PR.1 |")]
    assert "| FAIL |" in row
    assert "not dead-letter queues" in row


def test_a_public_http_api_lists_its_route_without_authorization_for_cdk(tmp_path: Path) -> None:
    """No answer set has a public HTTP API: CDK writes its route as a resource, whose
    AuthorizationType NONE fails CT.APIGATEWAY.PR.5 (SAM keeps routes in the OpenAPI body)."""
    project = tmp_path / "project"
    render(project, {"trigger": "http-api", "api_auth": "none", "iac_tool": "cdk"})
    synth = make_validate(project)
    assert synth.returncode == 0, synth.stdout + synth.stderr
    result = _controls(project, deployed_template(project))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CT.APIGATEWAY.PR.5" in _listed_by_the_check(result.stdout)


# --- Terraform: the controls whose rules map to the HCL, on terraform/ as planned -------------

TERRAFORM_SETS = [
    name for name, answers in ANSWER_SETS.items() if answers.get("iac_tool") == "terraform"
]


def _terraform_controls(project: Path, terraform: Path) -> CompletedProcess[str]:
    """The rendered repo's own check, as `make controls` runs it (the root on PYTHONPATH)."""
    return subprocess.run(
        [
            sys.executable,
            "scripts/controls.py",
            "--terraform",
            str(terraform),
            "--environment",
            "prod",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(project)},
    )


def _terraform_edited(
    project: Path, tmp_path: Path, pattern: str, replacement: str
) -> CompletedProcess[str]:
    """The check on a copy of terraform/ whose *.tf have `pattern` replaced (once at least)."""
    copy = tmp_path / "terraform"
    shutil.copytree(project / "terraform", copy)
    edited = 0
    for path in copy.glob("*.tf"):
        text, count = re.subn(pattern, replacement, path.read_text(), flags=re.DOTALL)
        path.write_text(text)
        edited += count
    assert edited, pattern
    return _terraform_controls(project, copy)


@pytest.mark.parametrize("rendered", answer_set_params(*TERRAFORM_SETS), indirect=True)
def test_every_unmet_mapped_control_is_listed_with_its_reason_for_terraform(
    rendered: Path,
) -> None:
    result = _terraform_controls(rendered, rendered / "terraform")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "controls: every control is met or listed" in result.stdout


@pytest.mark.parametrize("rendered", answer_set_params("terraform-custom"), indirect=True)
def test_docs_practices_md_lists_the_controls_the_terraform_check_allows(rendered: Path) -> None:
    printed = _terraform_controls(rendered, rendered / "terraform").stdout
    assert _documented_as_unmet(rendered) == _listed_by_the_check(printed)


@pytest.mark.parametrize("rendered", answer_set_params("terraform-custom"), indirect=True)
@pytest.mark.parametrize(
    ("pattern", "replacement", "control"),
    [
        (r"retention_in_days(\s*)= 365", r"retention_in_days\1= 30", "CT.CLOUDWATCH.PR.2"),
        (r"enable_key_rotation(\s*)= true", r"enable_key_rotation\1= false", "CT.KMS.PR.1"),
        (r"redrive_policy = jsonencode\(\{.*?\}\)", "", "CT.SQS.PR.1"),
    ],
    ids=["logs-kept-30-days", "key-not-rotated", "source-queue-without-redrive"],
)
def test_a_terraform_change_that_breaks_a_mapped_control_fails_naming_it(
    rendered: Path, tmp_path: Path, pattern: str, replacement: str, control: str
) -> None:
    """terraform-custom is strict: it meets each of these controls, so none is listed."""
    result = _terraform_edited(rendered, tmp_path, pattern, replacement)
    assert result.returncode == 1, result.stdout
    assert f"controls: 1 failed: {control}" in result.stderr
