"""What a user does: render, then the rendered repo's own `make install`, `make check`,
`make build` (the real `sam build`) and `make invoke`, in a fresh virtual environment that the
rendered Makefile creates with uv."""

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

    def make(*arguments: str) -> str:
        result = subprocess.run(
            ["make", *arguments], cwd=project, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"make {arguments}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    make("install")
    assert (project / ".venv").is_dir()
    assert (project / "uv.lock").is_file()

    checks = make("check")
    assert "cfn-lint: 0 findings" in checks
    assert "Failed checks: 0" in checks

    make("build")
    built = project / ".aws-sam" / "build"
    assert (built / "Function" / "order_processor" / "handler.py").is_file()
    layer = built / "DependencyLayer" / "python"
    assert (layer / "msgspec").is_dir()
    # The runtime provides the AWS SDK; a second copy in the layer would only cost size.
    assert not (layer / "botocore").exists()

    invoked = make("invoke", "EVENT=events/sqs_poison.json")
    assert invoked.count('"itemIdentifier"') == 1
    assert '"itemIdentifier": "c80e8021-a70a-42c7-a470-796e1186f753"' in invoked
