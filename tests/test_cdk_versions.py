"""The CDK repo's deploy publishes a new function version (and so goes through CodeDeploy) exactly
when what the function runs changes (issue 14; tests/test_version_publishing.py is SAM's).

infra/function.py points the alias at `current_version`, whose logical ID carries CDK's hash of
the function's version-locked properties and, with cdk.json's recognizeLayerVersion, of its
layers' content: CloudFormation creates a version only when that ID changes. Checked on synths of
one rendered project (sqs, default answers), each after one edit a team (or Dependabot, then
`make build`) makes to it, and after rebuilds and a re-render that change nothing.

A synth costs ~10 s of CPU (node running the app and cdk-nag; jsii's start-up is 2 s of it), and
each app needs its own process (node resolves the asset paths against its own working directory):
the eleven synths run once, two at a time, in one fixture, whose results the tests read (one
xdist group).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import json
import py_compile
import re
import shutil
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cdk import render_cdk, synthesize
from tests.rendered import make_in

ANSWERS: dict[str, Any] = {"trigger": "sqs"}
# The one dependency of the layer this test builds, at the version its lock pins.
DEPENDENCY = "exchange_rates"
LOCKED, BUMPED = "1.0", "1.1"

Edit = Callable[[Path, "Registry"], None]


@dataclass(frozen=True)
class Synth:
    """What one synth published: the version's logical ID, and what the function runs (the
    properties of the function and of the layer), to prove an edit reached the stack."""

    version: str
    runs: dict[str, Any]


def _wheel(directory: Path, version: str) -> Path:
    """A pure-Python wheel of DEPENDENCY at `version`, written once (fixed zip timestamps)."""
    dist_info = f"{DEPENDENCY}-{version}.dist-info"
    files = {
        f"{DEPENDENCY}/__init__.py": f'VERSION = "{version}"\n',
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {DEPENDENCY.replace('_', '-')}\nVersion: {version}\n"
        ),
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }

    def digest(text: str) -> str:
        encoded = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())
        return encoded.rstrip(b"=").decode()

    files[f"{dist_info}/RECORD"] = "".join(
        f"{name},sha256={digest(text)},{len(text.encode())}\n" for name, text in files.items()
    ) + (f"{dist_info}/RECORD,,\n")
    wheel = directory / f"{DEPENDENCY}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), text)
    return wheel


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """The wheels' server, without a line on stderr per request."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Registry:
    """The wheels of DEPENDENCY, served over HTTP on localhost as a package index serves them:
    from a local file, uv would record the file's mtime in the layer (uv_cache.json), which no
    build from the index holds."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir()
        self.digests = {
            version: hashlib.sha256(_wheel(directory, version).read_bytes()).hexdigest()
            for version in (LOCKED, BUMPED)
        }

        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory))
        )
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.caches = directory / "uv-caches"
        self.caches.mkdir()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def build_layer(self, project: Path, version: str) -> None:
        """The layer's part of `make build`, from a lock pinning DEPENDENCY at `version`: the
        rendered layer/Makefile, on the requirements.txt `make build` would export (with the
        wheel's hash, as uv.lock holds it) into a fresh layer/build."""
        requirement = f"{DEPENDENCY.replace('_', '-')}=={version}"
        (project / "layer" / "requirements.txt").write_text(
            f"{requirement} --hash=sha256:{self.digests[version]}\n"
        )
        shutil.rmtree(project / "layer" / "build", ignore_errors=True)
        # Variables given to make reach the recipes' environment, so uv reads the UV_* ones.
        make_in(project)(
            "-s",
            "-C",
            "layer",
            "build-DependencyLayer",
            f"ARTIFACTS_DIR={project / 'layer' / 'build'}",
            f"UV={Path(sys.executable).parent / 'uv'}",
            # The runtime's Python (the test venv's is the answers' python_version, 3.13).
            f"PYTHON={sys.executable}",
            f"UV_FIND_LINKS={self.url}",
            "UV_NO_INDEX=1",
            # A cache of its own, as a build on a fresh CI runner: from a shared one, uv links
            # the same files into every build, whose mtimes then hide non-reproducible bytecode.
            f"UV_CACHE_DIR={tempfile.mkdtemp(dir=self.caches)}",
        )


def _package(project: Path) -> Path:
    [handler] = project.glob("src/*/handler.py")
    return handler.parent


def _substitute(
    relative: str, pattern: str, replacement: Callable[[re.Match[str]], str], lines: int = 1
) -> Edit:
    """An edit of the rendered infra where the team changes that setting: `lines` matches of
    `pattern` in the file `relative`, replaced."""

    def edit(project: Path, registry: Registry) -> None:
        path = project / relative
        text, count = re.subn(pattern, replacement, path.read_text())
        assert count == lines, f"{relative}: {pattern!r} matched {count} times, not {lines}"
        path.write_text(text)

    return edit


def _code(project: Path, registry: Registry) -> None:
    with (_package(project) / "logic.py").open("a") as logic:
        logic.write('\nRELEASE = "next"\n')


def _layer_content(project: Path, registry: Registry) -> None:
    # Dependabot bumps the lock; `make build` builds the layer again.
    registry.build_layer(project, BUMPED)


def _swap(choices: dict[str, str]) -> Callable[[re.Match[str]], str]:
    return lambda match: match[1] + choices[match[2]]


CHANGES_TO_WHAT_RUNS: dict[str, Edit] = {
    "code": _code,
    "layer content": _layer_content,
    "timeout": _substitute(
        "infra/function.py",
        r"\btimeout=Duration\.seconds\((\d+)\)",
        lambda match: f"timeout=Duration.seconds({int(match[1]) + 30})",
    ),
    "memory": _substitute(
        "infra/function.py",
        r"\bmemory_size=(\d+)",
        lambda match: f"memory_size={int(match[1]) + 64}",
    ),
    # The function's and the layer's (its compatible runtime and architecture): CDK refuses a
    # layer that does not list the function's.
    "runtime": _substitute(
        "infra/function.py",
        r"(\blambda_\.Runtime\.)(\w+)",
        _swap({"PYTHON_3_13": "PYTHON_3_12", "PYTHON_3_12": "PYTHON_3_13"}),
        lines=2,
    ),
    "architecture": _substitute(
        "infra/function.py",
        r"(\blambda_\.Architecture\.)(\w+)",
        _swap({"ARM_64": "X86_64", "X86_64": "ARM_64"}),
        lines=2,
    ),
    "environment variable": _substitute(
        "infra/stack.py",
        r"(\bvariables=\{)",
        lambda match: f'{match[1]}\n                "REVIEW_RULES": "v2",',
    ),
    "log level": _substitute(
        "infra/function.py",
        r"(\bapplication_log_level_v2=lambda_\.ApplicationLogLevel\.)(\w+)",
        _swap({"INFO": "DEBUG", "DEBUG": "INFO", "WARN": "DEBUG", "ERROR": "DEBUG"}),
    ),
}


def _published(project: Path) -> Synth:
    """Synthesize `project` as `cdk synth` does; its function's version and what it runs."""
    result = synthesize(project)
    assert result.returncode == 0, f"synth of {project}:\n{result.stdout}\n{result.stderr}"
    [template] = (project / "cdk.out").glob("*.template.json")
    resources: dict[str, dict[str, Any]] = json.loads(template.read_text())["Resources"]
    [version] = (key for key, r in resources.items() if r["Type"] == "AWS::Lambda::Version")
    runs = {
        key: r["Properties"]
        for key, r in resources.items()
        if r["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion")
    }
    return Synth(version, runs)


def _rebuilt_after_a_test_run(project: Path, registry: Registry) -> Synth:
    """The project synthesized again after `make test` left bytecode beside the code (with the
    sources' mtimes in it) and `make build` built the same lock's layer again."""
    for module in _package(project).glob("*.py"):
        # Where the interpreter writes it (named here: this process may have a pycache prefix).
        bytecode = (
            module.parent / "__pycache__" / f"{module.stem}.{sys.implementation.cache_tag}.pyc"
        )
        py_compile.compile(str(module), cfile=str(bytecode), doraise=True)
    registry.build_layer(project, LOCKED)
    return _published(project)


@pytest.fixture(scope="module")
def synths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Synth]]:
    """Every case's synth, by case: "original" (the rendered project with its layer built),
    "rebuilt" (the same project again after a test run and a rebuild), "re-rendered" (the same
    answers rendered and built in another directory) and each of CHANGES_TO_WHAT_RUNS (a copy of
    the original, edited)."""
    base = tmp_path_factory.mktemp("cdk-versions")
    registry = Registry(base / "registry")
    # Without bytecode, each synth compiles aws_cdk's modules again (seconds of CPU): the first
    # synths write it under this session's directory, the others read it there.
    with pytest.MonkeyPatch.context() as environment:
        environment.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
        environment.setenv("PYTHONPYCACHEPREFIX", str(base / "bytecode"))
        try:
            yield _synthesize_all(base, registry)
        finally:
            registry.server.shutdown()


def _synthesize_all(base: Path, registry: Registry) -> dict[str, Synth]:
    original = render_cdk(base / "original", **ANSWERS)
    registry.build_layer(original, LOCKED)
    copies = {}
    for case, edit in CHANGES_TO_WHAT_RUNS.items():
        copies[case] = shutil.copytree(original, base / case.replace(" ", "-"))
        edit(copies[case], registry)

    def original_then_rebuilt() -> tuple[Synth, Synth]:
        # One after the other: both write original/cdk.out.
        return _published(original), _rebuilt_after_a_test_run(original, registry)

    def re_rendered() -> Synth:
        project = render_cdk(base / "elsewhere" / "re-rendered", **ANSWERS)
        registry.build_layer(project, LOCKED)
        return _published(project)

    # Two at a time: the machine's two cores (node and the app each take one, in turns).
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(original_then_rebuilt)
        again = pool.submit(re_rendered)
        edited = {case: pool.submit(_published, copy) for case, copy in copies.items()}
        results = dict(zip(("original", "rebuilt"), first.result(), strict=True))
        results["re-rendered"] = again.result()
        results.update({case: future.result() for case, future in edited.items()})
    return results


# All in one xdist group: one worker runs the fixture's synths (two at a time) once.
pytestmark = pytest.mark.xdist_group("cdk-versions")


@pytest.mark.parametrize("change", CHANGES_TO_WHAT_RUNS)
def test_a_change_to_what_runs_publishes_a_new_version(
    change: str, synths: dict[str, Synth]
) -> None:
    original, changed = synths["original"], synths[change]
    assert changed.runs != original.runs, f"the {change} edit changed nothing the function runs"
    assert changed.version != original.version, f"a change of {change} publishes no version"


@pytest.mark.parametrize("case", ["rebuilt", "re-rendered"])
def test_an_unchanged_rebuild_publishes_no_new_version(case: str, synths: dict[str, Synth]) -> None:
    original, again = synths["original"], synths[case]
    differing = sorted(key for key in original.runs if again.runs.get(key) != original.runs[key])
    assert again.version == original.version, f"{case}: a new version; {differing} differ"
    assert again.runs == original.runs
