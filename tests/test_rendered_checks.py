"""Each answer set renders a repo that passes its own checks, with the real tools: what its
`make check` runs (ruff, mypy, its tests and zizmor, for every IaC tool; `make validate` and checkov
on the deployed template, for SAM and CDK), with this environment's copies of the tools its lock
pins. Terraform's own checks of terraform/ are in tests/test_terraform_rendered.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest
import yaml

from tests.answer_sets import answer_sets_of
from tests.conftest import (
    CHECKOV,
    VENV_BIN,
    answer_set_params,
    built_once,
    deployed_template,
    iac_tool,
    run,
)

every_answer_set = pytest.mark.parametrize("rendered", answer_set_params(), indirect=True)
# The sets whose stack is a CloudFormation template (SAM's translation, CDK's synth).
cloudformation_answer_sets = pytest.mark.parametrize(
    "rendered", answer_set_params(*answer_sets_of("sam"), *answer_sets_of("cdk")), indirect=True
)


def _ok(result: CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@every_answer_set
def test_ruff_check_passes(rendered: Path) -> None:
    _ok(run([str(VENV_BIN / "ruff"), "check", "--no-cache", "."], rendered))


@every_answer_set
def test_ruff_format_would_change_nothing(rendered: Path) -> None:
    _ok(run([str(VENV_BIN / "ruff"), "format", "--no-cache", "--check", "."], rendered))


@every_answer_set
def test_mypy_strict_passes(rendered: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = _seeded_mypy_cache(rendered, tmp_path_factory)
    try:
        out = _ok(run(_mypy(cache), rendered))
    finally:
        shutil.rmtree(cache)  # some hundred megabytes, once per answer set
    assert "Success: no issues found" in out


def _mypy(cache: Path) -> list[str]:
    return [sys.executable, "-m", "mypy", "--cache-dir", str(cache)]


def _seeded_mypy_cache(rendered: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private mypy cache for `rendered`, copied from the session's cache of its Python version
    and kind (CDK or not). The stubs of boto3, pydantic and Powertools, and aws-cdk-lib, take a
    minute and more to analyse cold and seconds warm: analysed once per session, not once per
    worker. Each run then writes only its own copy: every render's package has the same module
    names, and two mypy runs writing one cache at once left one reading the other's (seen:
    "Module has no attribute" in a full run)."""
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    kind = "cdk" if iac_tool(rendered) == "cdk" else "app"

    def analyse(cache: Path) -> None:
        # Whether this first run passes is the test's to say, on its own copy.
        run(_mypy(cache), rendered)

    seed = built_once(f"mypy-cache-{answers['python_version']}-{kind}", tmp_path_factory, analyse)
    private = tmp_path_factory.mktemp("mypy-cache")
    shutil.copytree(seed, private, dirs_exist_ok=True)
    return private


@every_answer_set
def test_rendered_test_suite_passes(rendered: Path) -> None:
    # As a user runs it: none of this session's pytest options (PYTEST_ADDOPTS) apply.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=rendered,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    out = _ok(result)
    summary = out.strip().splitlines()[-1]
    outcomes = {word: int(count) for count, word in re.findall(r"(\d+) (\w+)", summary)}
    assert outcomes.get("passed", 0) > 0, summary
    assert not {"failed", "error", "errors"} & set(outcomes), summary


@cloudformation_answer_sets
def test_make_validate_then_cfn_lint_has_no_findings(
    translation: CompletedProcess[str], rendered: Path
) -> None:
    """SAM's translation, or CDK's synth with no cdk-nag finding left; then cfn-lint."""
    out = _ok(translation)
    assert "cfn-lint: 0 findings" in out
    if iac_tool(rendered) == "cdk":
        assert "(cdk-nag: no finding left)" in out
    assert deployed_template(rendered).stat().st_size > 10_000


# Resources CloudFormation adds to, never recreates under the same name: a retained one cannot
# make a retried create fail.
_APPEND_ONLY = {"AWS::Lambda::Version", "AWS::Lambda::LayerVersion"}


@cloudformation_answer_sets
def test_a_failed_first_create_leaves_nothing_that_blocks_its_retry(
    translation: CompletedProcess[str], rendered: Path
) -> None:
    """What outlives the stack is kept on deletion but not after a failed create (a retried
    create would otherwise fail on a name that "already exists"), and is kept on replacement."""
    _ok(translation)
    resources = _resources(rendered)
    kept = {
        logical_id: (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
        for logical_id, resource in resources.items()
        # CDK writes Delete, CloudFormation's default, where SAM writes nothing.
        if resource["Type"] not in _APPEND_ONLY
        and (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
        not in {(None, None), ("Delete", "Delete")}
    }
    kept_types = {resources[logical_id]["Type"] for logical_id in kept}
    assert {"AWS::Logs::LogGroup", "AWS::KMS::Key"} <= kept_types
    assert set(kept.values()) == {("RetainExceptOnCreate", "Retain")}


@cloudformation_answer_sets
def test_every_service_may_invoke_the_function_only_from_its_own_source(
    translation: CompletedProcess[str], rendered: Path
) -> None:
    """Each invoke permission of a service names the one resource it serves (SourceArn): by
    account alone, any bucket, topic or API of the account could invoke the function. A function
    URL's permissions are scoped to calls through the URL instead (its auth type, or
    `InvokedViaFunctionUrl` on the InvokeFunction permission a URL also needs)."""
    _ok(translation)
    resources = _resources(rendered)
    permissions = [
        resource["Properties"]
        for resource in resources.values()
        if resource["Type"] == "AWS::Lambda::Permission"
    ]
    for permission in permissions:
        scoped_by = {"SourceArn", "FunctionUrlAuthType", "InvokedViaFunctionUrl"} & set(permission)
        assert scoped_by, permission


@cloudformation_answer_sets
def test_every_role_the_stack_creates_has_the_chosen_permissions_boundary(
    translation: CompletedProcess[str], rendered: Path
) -> None:
    """With `permissions_boundary`, every IAM role of the deployed stack (SAM's implicit ones and
    CDK's custom-resource ones included) carries the boundary policy of the account it is
    deployed to; without, none does."""
    _ok(translation)
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    boundary = answers["permissions_boundary"]
    expected = (
        f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{boundary}" if boundary else None
    )
    resources = _resources(rendered)
    roles = {
        logical_id: _arn_text(resource["Properties"].get("PermissionsBoundary"))
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::IAM::Role"
    }
    assumed_by = {
        service
        for logical_id in roles
        for statement in resources[logical_id]["Properties"]["AssumeRolePolicyDocument"][
            "Statement"
        ]
        for service in _listed(statement["Principal"].get("Service"))
    }
    assert {"lambda.amazonaws.com", "codedeploy.amazonaws.com"} <= assumed_by
    assert roles == dict.fromkeys(roles, expected)


def _resources(rendered: Path) -> dict[str, Any]:
    """The Resources of the template `make validate` checked."""
    resources: dict[str, Any] = json.loads(deployed_template(rendered).read_text())["Resources"]
    return resources


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _arn_text(value: Any) -> str | None:
    """An ARN as one Fn::Sub text, however it is written: SAM writes Fn::Sub, CDK Fn::Join
    with Refs to pseudo parameters."""
    if value is None or isinstance(value, str):
        return value
    if "Fn::Sub" in value:
        text: str = value["Fn::Sub"]
        return text
    separator, parts = value["Fn::Join"]
    joined: str = separator.join(
        part if isinstance(part, str) else "${" + part["Ref"] + "}" for part in parts
    )
    return joined


@cloudformation_answer_sets
def test_checkov_has_no_failed_checks(translation: CompletedProcess[str], rendered: Path) -> None:
    _ok(translation)
    result = run(
        [
            str(CHECKOV),
            "--skip-download",
            "--framework",
            "cloudformation",
            "--file",
            str(deployed_template(rendered)),
            "--output",
            "json",
        ],
        rendered,
    )
    out = _ok(result)
    summary = json.loads(out)["summary"]
    assert summary["failed"] == 0
    assert summary["passed"] > 20


@every_answer_set
def test_zizmor_finds_nothing_in_the_workflows(rendered: Path) -> None:
    out = _ok(run([str(VENV_BIN / "zizmor"), "--offline", ".github/workflows"], rendered))
    assert "No findings" in out


@cloudformation_answer_sets
def test_every_skipped_checkov_check_has_a_written_reason(
    translation: CompletedProcess[str], rendered: Path
) -> None:
    """Every skip in the deployed template's metadata, where checkov reads them (SAM's template
    writes them, the CDK app adds them through infra/checkov.py), gives a reason a reviewer can
    weigh."""
    _ok(translation)
    skips = [
        skip
        for resource in _resources(rendered).values()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips, "expected at least one documented skip"
    for skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), skip
        assert len(skip.get("comment", "").split()) >= 5, skip
