"""What a rendered project does, run for real: one of its own tests, its `make invoke` on an
events file, or a few lines of Python in the environment its tests set; and what its
pyproject.toml declares, parsed."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from packaging.requirements import Requirement

from tests.conftest import run


def assert_rendered_test_passes(project: Path, node_id: str) -> int:
    """Runs one of the project's own tests (`tests/unit/test_x.py::test_y`) as `make test` does.

    Fails unless pytest collected it and every case of it passed: a test the template no longer
    renders is "not found" (exit code 4), a skipped one is not a pass. Returns how many cases
    passed (more than one for a parametrized test)."""
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", node_id], project)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    summary = result.stdout.strip().splitlines()[-1]
    outcomes = {word: int(count) for count, word in re.findall(r"(\d+) (\w+)", summary)}
    outcomes.pop("warning", None)
    outcomes.pop("warnings", None)
    assert set(outcomes) == {"passed"}, output  # nothing skipped, xfailed or deselected
    return outcomes["passed"]


@dataclass(frozen=True)
class Invocation:
    """What `make invoke` printed: the function's JSON log lines, then its response."""

    logs: list[dict[str, Any]]
    response: Any
    function_error: bool  # the handler raised; `response` is then Lambda's error object


def invoke(project: Path, event: str) -> Invocation:
    """`make invoke EVENT=events/<event>`: the rendered handler on an events file, offline."""
    result = run([sys.executable, "scripts/invoke.py", f"events/{event}"], project)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    # The response comes last: on one line (null), or indented between a "{" or "[" of its own
    # line and the closing one.
    start = len(lines) - 1
    if lines[-1] in ("}", "]"):
        start -= lines[::-1].index({"}": "{", "]": "["}[lines[-1]])
    return Invocation(
        logs=[json.loads(line) for line in lines[:start] if line.startswith("{")],
        response=json.loads("\n".join(lines[start:])),
        function_error="FunctionError: Unhandled" in result.stderr,
    )


_ENVIRONMENT_SET_BY_CONFTEST = """
import json, os
before = dict(os.environ)
import tests.conftest
print(json.dumps({k: v for k, v in os.environ.items() if before.get(k) != v}))
"""
_environments: dict[Path, dict[str, str]] = {}


def conftest_environment(project: Path) -> dict[str, str]:
    """The variables the project's tests/conftest.py sets when pytest imports it."""
    if project not in _environments:
        result = _python(project, _ENVIRONMENT_SET_BY_CONFTEST, {})
        assert result.returncode == 0, result.stderr
        _environments[project] = json.loads(result.stdout)
    return _environments[project]


def run_python(project: Path, code: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`code` run in the project, its src/ importable, in the environment its tests set."""
    return _python(project, code, conftest_environment(project), stdin)


def _python(
    project: Path, code: str, environment: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        input=stdin,
        env={**os.environ, **environment, "PYTHONPATH": os.pathsep.join(["src", "."])},
        capture_output=True,
        text=True,
        check=False,
    )


def requirements(project: Path, group: str | None = None) -> dict[str, Requirement]:
    """The project's runtime dependencies (no group) or one of its dependency groups, by name."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    listed = (
        pyproject["project"]["dependencies"]
        if group is None
        else pyproject["dependency-groups"][group]
    )
    return {requirement.name: requirement for requirement in map(Requirement, listed)}


def make_in(project: Path) -> Callable[..., str]:
    """A `make` of the rendered project as a user's clean shell runs it: nothing of this test
    run's interpreter (VIRTUAL_ENV, PYTHON*, UV_*, PYTEST*) leaks in, and uv uses the machine's
    Python, never a downloaded one. The returned function takes make's arguments, returns its
    stdout and fails the test (AssertionError with the output) when make fails."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VIRTUAL_ENV", "PYTHON", "UV_", "PYTEST"))
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"

    def make(*arguments: str) -> str:
        result = subprocess.run(
            ["make", *arguments], cwd=project, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"make {arguments}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    return make


# What the project's own commands write into a render (its .gitignore lists them), which other
# tests of the same shared render may have run: never part of what copier or cookiecutter render.
BUILD_OUTPUTS = frozenset(
    {"build", "cdk.out", ".aws-sam", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
)


def rendered_file(root: Path, path: Path) -> bool:
    """Whether `path`, under the render `root`, is a file the template rendered (no build output,
    nothing of git's)."""
    parts = path.relative_to(root).parts
    return path.is_file() and ".git" not in parts and not BUILD_OUTPUTS.intersection(parts)


def stack_facts_of(project: Path) -> ModuleType:
    """The rendered project's tests/stack_facts.py (its reader of its own stack), imported under a
    name of its own, so that renders of several projects do not share one module. Raises
    ImportError where there is none."""
    path = project / "tests" / "stack_facts.py"
    spec = importlib.util.spec_from_file_location(f"stack_facts_{abs(hash(project))}", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise ImportError(f"no stack_facts module: {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
