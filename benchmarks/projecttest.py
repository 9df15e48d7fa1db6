"""The default project's own `make install` and `make test`, as its user would first run them."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from .targets import BenchError


def _make(project: Path, target: str, uv: Path) -> float:
    # Our uv on PATH: the project's Makefile uses a uv it finds before bootstrapping its own.
    env = dict(os.environ, PATH=f"{uv.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("VIRTUAL_ENV", None)
    start = time.perf_counter()
    completed = subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=project,
        env=env,
        check=False,
        capture_output=True,
    )
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr).decode(errors="replace")[-4000:]
        raise BenchError(f"make {target} in {project} failed:\n{output}")
    return elapsed


def time_make_test(project: Path, uv: Path) -> dict[str, float]:
    """Wall seconds of `make install` (venv from the lock, uv's cache warm or not) and of the
    `make test` that follows it."""
    install = _make(project, "install", uv)
    return {"make_install_s": install, "make_test_s": _make(project, "test", uv)}
