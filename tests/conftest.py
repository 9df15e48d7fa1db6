"""Renders each answer set once per test session (per xdist worker) and shares the result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import copier
import pytest
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


_translated: dict[Path, subprocess.CompletedProcess[str]] = {}


@pytest.fixture
def translation(rendered: Path) -> subprocess.CompletedProcess[str]:
    """The rendered repo's own `make validate` step: SAM translation, then cfn-lint."""
    if rendered not in _translated:
        _translated[rendered] = run([sys.executable, "scripts/validate_template.py"], cwd=rendered)
    return _translated[rendered]
