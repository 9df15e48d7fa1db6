"""What a user does: render, then the rendered repo's own `make install` and `make check`, in a
fresh virtual environment that the rendered Makefile creates with uv."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import render

pytestmark = pytest.mark.slow


def test_rendered_repo_installs_and_passes_its_own_checks(tmp_path: Path) -> None:
    project = render(tmp_path / "project", {})
    env = {
        key: value
        for key, value in os.environ.items()
        # A clean shell: nothing of this test run's interpreter leaks into the rendered repo's.
        if not key.startswith(("VIRTUAL_ENV", "PYTHON", "UV_", "PYTEST"))
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"  # use the machine's Python 3.13, never fetch one

    for target in ("install", "check"):
        result = subprocess.run(
            ["make", target], cwd=project, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"make {target}:\n{result.stdout}\n{result.stderr}"

    assert (project / ".venv").is_dir()
    assert (project / "uv.lock").is_file()
    assert "cfn-lint: 0 findings" in result.stdout
