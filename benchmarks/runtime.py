"""The one Lambda-like runtime venv every measured process runs in.

It holds what the Lambda runtime provides (boto3 and its dependencies), what the rendered
projects declare as their run-time dependencies (read from their pyproject.toml on every run, so
a changed dependency list is measured as it is), and what the `typical` baseline imports. One venv
for all: every handler imports the same installed copies, byte-compiled once, as a built layer
would be.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterable
from pathlib import Path

# The Lambda Python runtime ships the AWS SDK.
RUNTIME_PROVIDED = ("boto3",)
POWERTOOLS = "aws-lambda-powertools"


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def project_requirements(pyproject: Path) -> list[str]:
    """The project's run-time dependencies; Powertools from its dev group when the project
    leaves Powertools to the managed layer (then it is not among the run-time dependencies)."""
    data = tomllib.loads(pyproject.read_text())
    dependencies = [str(item) for item in data.get("project", {}).get("dependencies", [])]
    if not any(requirement_name(item) == POWERTOOLS for item in dependencies):
        groups = data.get("dependency-groups", {})
        dependencies += [
            str(item)
            for item in groups.get("dev", [])
            if isinstance(item, str) and requirement_name(item) == POWERTOOLS
        ]
    return dependencies


def runtime_requirements(pyprojects: Iterable[Path], baseline_requirements: Path) -> list[str]:
    requirements = list(RUNTIME_PROVIDED)
    for pyproject in pyprojects:
        requirements += project_requirements(pyproject)
    for line in baseline_requirements.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            requirements.append(requirement)
    return sorted(set(requirements))


def find_python(version: str) -> Path:
    """An interpreter of the functions' Python version that runs: BENCH_PYTHON, then PATH, then
    pyenv (a pyenv shim on PATH may exist and still refuse to run)."""
    override = os.environ.get("BENCH_PYTHON")
    if override:
        return Path(override)
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [
        str(path) for path in sorted(pyenv_root.glob(f"versions/{version}*/bin/python{version}"))
    ]
    for candidate in candidates:
        if (
            candidate
            and subprocess.run([candidate, "-c", ""], check=False, capture_output=True).returncode
            == 0
        ):
            return Path(candidate)
    raise RuntimeError(f"no python{version} runs (PATH, pyenv); set BENCH_PYTHON to one")


def build_runtime(uv: Path, python: Path, venv: Path, requirements: list[str]) -> Path:
    """The venv's interpreter; rebuilt only when the requirements or the interpreter changed."""
    fingerprint = hashlib.sha256("\n".join([str(python), *requirements]).encode()).hexdigest()
    marker = venv / ".bench-requirements"
    interpreter = venv / "bin" / "python"
    if marker.exists() and marker.read_text() == fingerprint and interpreter.exists():
        return interpreter
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run(
        [str(uv), "venv", "--quiet", "--no-python-downloads", "--python", str(python), str(venv)],
        check=True,
    )
    subprocess.run(
        [
            str(uv),
            "pip",
            "install",
            "--quiet",
            "--compile-bytecode",
            "--python",
            str(interpreter),
            *requirements,
        ],
        check=True,
    )
    marker.write_text(fingerprint)
    return interpreter
