"""The rendered repo audits its locked dependencies for known vulnerabilities (LAMBDA_SECURITY).

`make audit` runs pip-audit on the layer's requirements and on the whole lock, both exported from
uv.lock with their hashes, against OSV's advisories. These tests run the rendered target with the
real pip-audit (the release the rendered Makefile pins: tests/test_pins.py), offline: its OSV
queries go to a local service (tests/osv.py), which answers what each test needs, so nothing
depends on the network or on the advisories published today. The workflows are read as parsed
YAML: CI and the deploy's verify job run the target, and `make check` (offline) does not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import VENV_BIN, answer_set_params, run
from tests.osv import ADVISORY, Advisories, local_osv

pytestmark = pytest.mark.parametrize(
    "rendered", answer_set_params("defaults", "cdk-custom", "terraform-custom"), indirect=True
)

# What the layer's export and the whole lock's look like (`uv export` writes each requirement
# with a hash per file uv.lock knows; pip-audit checks only that one is there).
LAYER = {"pydantic": "2.13.5", "pydantic-core": "2.46.5", "annotated-types": "0.8.0"}
DEVELOPMENT = {"pytest": "9.1.0", "ruff": "0.17.3"}
# A requirement for another platform: pip-audit skips it, and --strict must not fail on that.
WINDOWS_ONLY = ("colorama", "0.4.6", "sys_platform == 'win32'")


@pytest.fixture
def advisories() -> Iterator[Advisories]:
    with local_osv() as service:
        yield service


def _exported(requirements: dict[str, str], extra: str = "") -> str:
    lines = [
        f"{name}=={version} \\\n    --hash=sha256:{'ab' * 32}\n"
        for name, version in requirements.items()
    ]
    return "# exported from uv.lock\n" + "".join(lines) + extra


@pytest.fixture
def locked(rendered: Path, tmp_path: Path) -> Path:
    """A copy of the render with a lock and its two exports, newer than the lock: `make audit`
    audits them as they are (the real exports are `make`'s and uv's, run by test_end_to_end)."""
    project = tmp_path / "project"
    shutil.copytree(rendered, project)
    (project / "uv.lock").write_text("version = 1\n")
    layer = project / "layer" / "requirements.txt"
    layer.write_text(_exported(LAYER))
    everything = project / "build" / "audit" / "requirements-all.txt"
    everything.parent.mkdir(parents=True)
    name, version, marker = WINDOWS_ONLY
    windows = f"{name}=={version} ; {marker} \\\n    --hash=sha256:{'cd' * 32}\n"
    everything.write_text(_exported({**LAYER, **DEVELOPMENT}, windows))
    # make rebuilds nothing: pyproject.toml < uv.lock < the exports.
    for age, path in enumerate(
        (everything, layer, project / "uv.lock", project / "pyproject.toml")
    ):
        os.utime(path, (1_700_000_000 - age * 60, 1_700_000_000 - age * 60))
    return project


def make_audit(
    project: Path, advisories: Advisories, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """The rendered `make audit`, with this environment's pip-audit and uv, against the local
    OSV service `advisories`."""
    pip_audit = f"{VENV_BIN / 'pip-audit'} --cache-dir {tmp_path / 'pip-audit-cache'}"
    return run(
        [
            "make",
            "--no-print-directory",
            "audit",
            f"UV={VENV_BIN / 'uv'}",
            f"PIP_AUDIT={pip_audit}",
            f"AUDIT_OSV_URL={advisories.url}",
        ],
        project,
    )


def test_the_audit_asks_about_every_locked_requirement_and_passes_when_none_is_known(
    locked: Path, advisories: Advisories, tmp_path: Path
) -> None:
    result = make_audit(locked, advisories, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No known vulnerabilities found" in result.stdout + result.stderr
    # Both exports, every package at its locked version; the other platform's one skipped.
    assert set(advisories.queried) == {*LAYER.items(), *DEVELOPMENT.items()}
    # The lock was neither re-resolved nor exported again: what was audited is what is locked.
    assert not re.search(r"\buv (lock|export)\b", result.stdout), result.stdout


@pytest.mark.parametrize("package", ["pydantic-core", "ruff"])
def test_a_known_vulnerability_fails_the_audit_naming_it(
    locked: Path, advisories: Advisories, tmp_path: Path, package: str
) -> None:
    """In what ships (the layer's pydantic-core) or in a development tool (ruff) alike."""
    advisories.vulnerable.add(package)
    result = make_audit(locked, advisories, tmp_path)
    assert result.returncode != 0
    [finding] = [line.split() for line in result.stdout.splitlines() if ADVISORY in line]
    assert finding[:3] == [package, {**LAYER, **DEVELOPMENT}[package], ADVISORY]


def test_a_requirement_without_its_hash_fails_the_audit(
    locked: Path, advisories: Advisories, tmp_path: Path
) -> None:
    """A line that is not a locked requirement is refused, not audited by a guessed version."""
    layer = locked / "layer" / "requirements.txt"
    stat = layer.stat()
    layer.write_text(layer.read_text() + "typing-extensions>=4\n")
    os.utime(layer, (stat.st_atime, stat.st_mtime))
    result = make_audit(locked, advisories, tmp_path)
    assert result.returncode != 0
    assert "typing-extensions" in result.stdout + result.stderr


def _workflow(rendered: Path, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (rendered / ".github" / "workflows" / f"{name}.yml").read_text()
    )
    return loaded


def _runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_ci_audits_on_every_pull_request_and_push(rendered: Path) -> None:
    workflow = _workflow(rendered, "ci")
    # PyYAML reads the key `on` as the boolean True.
    triggers: dict[str, Any] = yaml.safe_load((rendered / ".github/workflows/ci.yml").read_text())[
        True
    ]
    assert set(triggers) >= {"pull_request", "push"}
    auditing = [job for job in workflow["jobs"].values() if "make audit" in _runs(job)]
    assert len(auditing) == 1
    [job] = auditing
    assert job["permissions"] == {"contents": "read"}
    assert "if" not in job


def test_every_deploy_waits_for_the_audit(rendered: Path) -> None:
    """The verify job audits; the build job (and so every deploy job after it) needs verify."""
    jobs = _workflow(rendered, "deploy")["jobs"]
    assert "make audit" in _runs(jobs["verify"])
    assert jobs["build"]["needs"] == "verify"
    for name in ("deploy-dev", "deploy-prod"):
        needs = jobs[name]["needs"]
        assert "build" in ([needs] if isinstance(needs, str) else needs), name


def test_make_check_stays_offline_without_the_audit(rendered: Path) -> None:
    """`make check` runs offline (the template's tests run it): the audit, which needs the
    advisories, is a target of its own."""
    dry_run = run(["make", "-n", "check", "UV=uv"], rendered)
    assert dry_run.returncode == 0, dry_run.stderr
    assert not re.search(r"pip-audit", dry_run.stdout)
