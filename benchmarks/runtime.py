"""The Lambda-like runtime venvs every measured process runs in, one with bytecode, one without.

They hold what the Lambda runtime provides (boto3 and its dependencies, snapshot_restore_py),
what the rendered projects declare as their run-time dependencies (read from their pyproject.toml
on every run, so a changed dependency list is measured as it is), and what the baselines import.
One set of packages for all: every handler imports the same installed copies.

- `bytecode`: every package compiled as the dependency layer's build compiles it
  (COMPILE_COMMAND, hash-based .pyc that are never checked against their source);
- `no_bytecode`: the same packages, the runtime's still compiled (Lambda ships them so) but every
  other package, the layer's, without a single .pyc.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# The Lambda Python runtime ships the AWS SDK and, from Python 3.12, the SnapStart hook registry.
RUNTIME_PROVIDED = ("boto3", "snapshot-restore-py==1.0.0")
# How the dependency layer is byte-compiled; the venvs get the same .pyc flavour.
COMPILE_COMMAND = ("-m", "compileall", "-q", "-j0", "--invalidation-mode", "unchecked-hash")
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


def runtime_requirements(
    pyprojects: Iterable[Path], baseline_requirements: Path, pinned: Iterable[str] = ()
) -> list[str]:
    """What the runtime venvs install: the runtime's packages, the projects' dependencies, the
    `pinned` requirements (the layers' locked versions, which settle the projects' ranges) and
    the baselines' requirements file; sorted, each once."""
    requirements = [*RUNTIME_PROVIDED, *pinned]
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


@dataclass(frozen=True)
class Runtimes:
    """The two venvs' interpreters and which distributions count as the runtime's."""

    bytecode: Path
    no_bytecode: Path
    runtime_distributions: list[str]  # keep their bytecode in `no_bytecode`
    stripped_distributions: list[str]  # have none there


def record_top_levels(record: str) -> set[str]:
    """The top-level names (packages, modules) a wheel's RECORD installs into site-packages,
    without its metadata directory, caches and files installed elsewhere (scripts)."""
    names = set()
    for row in csv.reader(io.StringIO(record)):
        if not row or row[0].startswith(("..", "/")):
            continue
        first = row[0].split("/", 1)[0]
        if first.endswith((".dist-info", ".data")) or first == "__pycache__":
            continue
        names.add(first)
    return names


def installed_distributions(site: Path) -> dict[str, set[str]]:
    """Normalised distribution name -> its top-level names in `site`."""
    found: dict[str, set[str]] = {}
    for info in sorted(site.glob("*.dist-info")):
        name = next(
            (
                line.split(":", 1)[1].strip()
                for line in (info / "METADATA").read_text(errors="replace").splitlines()
                if line.startswith("Name:")
            ),
            info.name.split("-", 1)[0],
        )
        record = info / "RECORD"
        found[requirement_name(name)] = (
            record_top_levels(record.read_text()) if record.exists() else set()
        )
    return found


def runtime_kept(
    installed: Iterable[str], runtime: Iterable[str], layer: Iterable[str]
) -> set[str]:
    """The distributions whose bytecode Lambda itself provides: the runtime's, less any the layer
    ships too (the layer comes first on Lambda's sys.path, so its copy is the one imported)."""
    return set(installed) & (set(runtime) - set(layer))


def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages"))
    if len(found) != 1:
        raise RuntimeError(f"{venv} has {len(found)} site-packages directories")
    return found[0]


def _install(uv: Path, interpreter: Path, requirements: Iterable[str]) -> None:
    # No --compile-bytecode: what gets bytecode, and which kind, is decided afterwards.
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", str(interpreter), *requirements],
        check=True,
    )


def _frozen_names(uv: Path, interpreter: Path) -> list[str]:
    frozen = subprocess.run(
        [str(uv), "pip", "freeze", "--python", str(interpreter)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sorted(requirement_name(line) for line in frozen)


def compile_tree(interpreter: Path, paths: Iterable[Path]) -> None:
    """Byte-compiles `paths` with COMPILE_COMMAND, as the layer's build does."""
    targets = [str(path) for path in paths]
    if targets:
        subprocess.run([str(interpreter), *COMPILE_COMMAND, *targets], check=True)


def compile_runtime_only(
    interpreter: Path, site: Path, installed: dict[str, set[str]], kept: set[str]
) -> None:
    """Compiles the `kept` distributions' files (and the venv's own) in `site`, nothing else.
    Raises RuntimeError when any other distribution has bytecode."""
    keep_tops = {top for name in kept for top in installed[name]}
    # Files no distribution owns are the venv's own (uv's _virtualenv.py), no part of Lambda's
    # sys.path: compiled, so they cost the no-bytecode venv nothing the other does not pay.
    owned = {top for tops in installed.values() for top in tops}
    keep_tops |= {path.name for path in site.glob("*.py") if path.name not in owned}
    compile_tree(interpreter, [site / top for top in sorted(keep_tops)])
    strip_tops = {top for name in installed if name not in kept for top in installed[name]}
    strip_tops -= keep_tops
    # A single-file module's .pyc sits in site-packages' own __pycache__, named after it.
    modules = {top.removesuffix(".py") for top in strip_tops}
    left = [cache for top in strip_tops for cache in (site / top).rglob("__pycache__")]
    left += [pyc for pyc in site.glob("__pycache__/*.pyc") if pyc.name.split(".")[0] in modules]
    if left:
        raise RuntimeError(f"bytecode left in the layer's packages: {left[:5]}")


def build_runtime(  # noqa: PLR0913 - keyword-only after the venv's own facts
    uv: Path,
    python: Path,
    venv: Path,
    requirements: list[str],
    *,
    bytecode: bool,
    layer_names: Iterable[str] = (),
) -> tuple[Path, list[str], list[str]]:
    """Builds (or reuses, when nothing it depends on changed) one runtime venv.

    Returns (its interpreter, the distributions keeping bytecode, those stripped of it); with
    `bytecode` every distribution keeps it. Raises RuntimeError when a stripped distribution
    still has bytecode, CalledProcessError when uv or compileall fails.
    """
    layer = sorted({requirement_name(name) for name in layer_names})
    fingerprint = hashlib.sha256(
        "\n".join([str(python), f"bytecode={bytecode}", *requirements, "--", *layer]).encode()
    ).hexdigest()
    marker = venv / ".bench-requirements"
    interpreter = venv / "bin" / "python"
    plan_file = venv / ".bench-bytecode-plan.json"
    if marker.exists() and marker.read_text() == fingerprint and interpreter.exists():
        plan = json.loads(plan_file.read_text())
        return interpreter, plan["kept"], plan["stripped"]
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run(
        [str(uv), "venv", "--quiet", "--no-python-downloads", "--python", str(python), str(venv)],
        check=True,
    )
    # The runtime's packages first, alone: what they pull in is what Lambda provides.
    _install(uv, interpreter, RUNTIME_PROVIDED)
    provided = _frozen_names(uv, interpreter)
    _install(uv, interpreter, requirements)
    site = site_packages(venv)
    installed = installed_distributions(site)
    kept = set(installed) if bytecode else runtime_kept(installed, provided, layer)
    if bytecode:
        compile_tree(interpreter, [site])
    else:
        compile_runtime_only(interpreter, site, installed, kept)
    plan = {"kept": sorted(kept), "stripped": sorted(set(installed) - kept)}
    plan_file.write_text(json.dumps(plan))
    marker.write_text(fingerprint)
    return interpreter, plan["kept"], plan["stripped"]


def build_runtimes(
    uv: Path, python: Path, workdir: Path, requirements: list[str], layer_names: Iterable[str]
) -> Runtimes:
    """Both venvs, under workdir/runtime-bytecode and workdir/runtime-no-bytecode."""
    layer = list(layer_names)
    with_bytecode, _, _ = build_runtime(
        uv, python, workdir / "runtime-bytecode", requirements, bytecode=True
    )
    without, kept, stripped = build_runtime(
        uv,
        python,
        workdir / "runtime-no-bytecode",
        requirements,
        bytecode=False,
        layer_names=layer,
    )
    return Runtimes(
        bytecode=with_bytecode,
        no_bytecode=without,
        runtime_distributions=kept,
        stripped_distributions=stripped,
    )
