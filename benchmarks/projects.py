"""The projects a run measures and the runtime venvs they run in: one render per trigger plus its
variants, and the two venvs (bytecode, no bytecode) built from what those renders declare."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import package, render, runtime
from .targets import BASELINES

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Renders:
    """Every project the run measures: one per trigger with copier's defaults, the triggers that
    ask about idempotency rendered again without it, and (when copier.yml asks) with SnapStart."""

    default: dict[str, render.Project]
    idempotency_off: dict[str, render.Project]
    snapstart: dict[str, render.Project] | None

    def all(self) -> list[render.Project]:
        variants = [*self.idempotency_off.values(), *(self.snapstart or {}).values()]
        return [*self.default.values(), *variants]


def render_all(repo: Path, workdir: Path, names: list[str], say: Progress) -> Renders:
    """Renders every trigger in `names` under workdir/projects: with copier's defaults, without
    idempotency where the trigger asks about it, with SnapStart where copier.yml offers it."""
    projects = workdir / "projects"
    default: dict[str, render.Project] = {}
    for trigger in names:
        say(f"render {trigger}")
        default[trigger] = render.render(repo, projects / trigger, {"trigger": trigger})
    # A trigger without the question (the APIs) records no `idempotency` answer.
    asks = [trigger for trigger, project in default.items() if "idempotency" in project.answers]
    idempotency_off = {}
    for trigger in asks:
        say(f"render {trigger}, idempotency off")
        idempotency_off[trigger] = render.render(
            repo, projects / f"{trigger}-no-idempotency", {"trigger": trigger, "idempotency": False}
        )
    snapstart = None
    if render.offers(repo, "snapstart"):
        snapstart = {}
        for trigger in names:
            say(f"render {trigger}, snapstart")
            snapstart[trigger] = render.render(
                repo, projects / f"{trigger}-snapstart", {"trigger": trigger, "snapstart": True}
            )
    return Renders(default, idempotency_off, snapstart)


def layer_pins(renders: Renders, uv: Path) -> list[str]:
    """Every project's layer requirements (its `make layer/requirements.txt`, which locks the
    project first): the default renders', and a variant's only where its run-time dependencies
    differ from its trigger's default render (locking takes seconds per project)."""
    pinned = set()
    for project in renders.default.values():
        pinned |= set(package.layer_requirements(project, uv))
    for project in renders.all():
        default = renders.default[project.trigger]
        if project is not default and runtime.project_requirements(
            project.path / "pyproject.toml"
        ) != runtime.project_requirements(default.path / "pyproject.toml"):
            pinned |= set(package.layer_requirements(project, uv))
    return sorted(pinned)


def build_runtimes(
    renders: Renders, uv: Path, workdir: Path
) -> tuple[runtime.Runtimes, dict[str, Any]]:
    """Both runtime venvs (runtime.build_runtimes), and the facts about them for results.json's
    meta: the interpreter's version, the installed packages, which keep bytecode."""
    projects = renders.all()
    pinned = layer_pins(renders, uv)
    # The layers' own packages are the ones the no-bytecode venv strips, even those (jmespath)
    # the runtime provides too: on Lambda the layer's copy comes first on sys.path.
    layer_names = {runtime.requirement_name(requirement) for requirement in pinned}
    requirements = runtime.runtime_requirements(
        [project.path / "pyproject.toml" for project in projects],
        BASELINES / "requirements.txt",
        pinned,
    )
    python = runtime.find_python(renders.default["sqs"].python_version)
    runtimes = runtime.build_runtimes(uv, python, workdir, requirements, sorted(layer_names))
    runtime_python = subprocess.run(
        [str(runtimes.bytecode), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    frozen = subprocess.run(
        [str(uv), "pip", "freeze", "--python", str(runtimes.bytecode)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    meta = {
        "runtime_python": runtime_python,
        "runtime_packages": frozen,
        "bytecode": {
            "compile_command": " ".join(["python", *runtime.COMPILE_COMMAND]),
            "kept_in_no_bytecode_venv": runtimes.runtime_distributions,
            "stripped_in_no_bytecode_venv": runtimes.stripped_distributions,
        },
    }
    return runtimes, meta
