"""Each answer set renders a repo that passes its own checks, with the real tools."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from subprocess import CompletedProcess

import pytest
import yaml

from tests.conftest import CHECKOV, VENV_BIN, answer_set_params, run

pytestmark = pytest.mark.parametrize("rendered", answer_set_params(), indirect=True)


def _ok(result: CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_ruff_check_passes(rendered: Path) -> None:
    _ok(run([str(VENV_BIN / "ruff"), "check", "--no-cache", "."], rendered))


def test_ruff_format_would_change_nothing(rendered: Path) -> None:
    _ok(run([str(VENV_BIN / "ruff"), "format", "--no-cache", "--check", "."], rendered))


def test_mypy_strict_passes(rendered: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    # One cache per worker, shared by its renders: the stubs of boto3, pydantic and Powertools are
    # analysed once instead of once per answer set.
    cache = tmp_path_factory.getbasetemp() / "mypy-cache"
    out = _ok(run([sys.executable, "-m", "mypy", "--cache-dir", str(cache)], rendered))
    assert "Success: no issues found" in out


def test_rendered_test_suite_passes(rendered: Path) -> None:
    out = _ok(run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], rendered))
    assert " passed" in out
    assert "failed" not in out


def test_sam_translation_then_cfn_lint_has_no_findings(
    translation: CompletedProcess[str], rendered: Path
) -> None:
    out = _ok(translation)
    assert "cfn-lint: 0 findings" in out
    assert (rendered / "build" / "template.json").stat().st_size > 10_000


# Resources CloudFormation adds to, never recreates under the same name: a retained one cannot
# make a retried create fail.
_APPEND_ONLY = {"AWS::Lambda::Version", "AWS::Lambda::LayerVersion"}


def test_a_failed_first_create_leaves_nothing_that_blocks_its_retry(
    translation: CompletedProcess[str], rendered: Path
) -> None:
    """What outlives the stack is kept on deletion but not after a failed create (a retried
    create would otherwise fail on a name that "already exists"), and is kept on replacement."""
    _ok(translation)
    resources = json.loads((rendered / "build" / "template.json").read_text())["Resources"]
    kept = {
        logical_id: (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
        for logical_id, resource in resources.items()
        if resource["Type"] not in _APPEND_ONLY and "DeletionPolicy" in resource
    }
    assert {"FunctionLogGroup", "EncryptionKey"} <= set(kept)
    assert set(kept.values()) == {("RetainExceptOnCreate", "Retain")}


def test_every_service_may_invoke_the_function_only_from_its_own_source(
    translation: CompletedProcess[str], rendered: Path
) -> None:
    """Each invoke permission of a service names the one resource it serves (SourceArn): by
    account alone, any bucket, topic or API of the account could invoke the function. A function
    URL's permissions are scoped to calls through the URL instead (its auth type, or
    `InvokedViaFunctionUrl` on the InvokeFunction permission a URL also needs)."""
    _ok(translation)
    resources = json.loads((rendered / "build" / "template.json").read_text())["Resources"]
    permissions = [
        resource["Properties"]
        for resource in resources.values()
        if resource["Type"] == "AWS::Lambda::Permission"
    ]
    for permission in permissions:
        scoped_by = {"SourceArn", "FunctionUrlAuthType", "InvokedViaFunctionUrl"} & set(permission)
        assert scoped_by, permission


def test_every_role_the_stack_creates_has_the_chosen_permissions_boundary(
    translation: CompletedProcess[str], rendered: Path
) -> None:
    """With `permissions_boundary`, every IAM role of the deployed stack (SAM's implicit ones
    included) carries the boundary policy of the account it is deployed to; without, none does."""
    _ok(translation)
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    boundary = answers["permissions_boundary"]
    expected = (
        {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{boundary}"}
        if boundary
        else None
    )
    resources = json.loads((rendered / "build" / "template.json").read_text())["Resources"]
    roles = {
        logical_id: resource["Properties"].get("PermissionsBoundary")
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::IAM::Role"
    }
    assert {"FunctionRole", "CodeDeployServiceRole"} <= set(roles)
    assert roles == dict.fromkeys(roles, expected)


def test_checkov_has_no_failed_checks(translation: CompletedProcess[str], rendered: Path) -> None:
    _ok(translation)
    result = run(
        [
            str(CHECKOV),
            "--skip-download",
            "--framework",
            "cloudformation",
            "--file",
            "build/template.json",
            "--output",
            "json",
        ],
        rendered,
    )
    out = _ok(result)
    summary = json.loads(out)["summary"]
    assert summary["failed"] == 0
    assert summary["passed"] > 20


def test_zizmor_finds_nothing_in_the_workflows(rendered: Path) -> None:
    out = _ok(run([str(VENV_BIN / "zizmor"), "--offline", ".github/workflows"], rendered))
    assert "No findings" in out


def test_every_skipped_checkov_check_has_a_written_reason(rendered: Path) -> None:
    template = (rendered / "template.yaml").read_text()
    skips = re.findall(r"- id: (CKV_\w+)\n\s+comment: >-\n\s+(\S.{20,})", template)
    assert skips, "expected at least one documented skip"
    assert len(skips) == template.count("- id: CKV_")
