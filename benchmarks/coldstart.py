"""Cold-start proxy: the time from spawning a fresh process to the handler's first response, in
each runtime venv; and SnapStart's part after the snapshot, in a fresh process too."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .targets import BenchError, ChildRun, Target, bytecode_left, remove_bytecode, run_child


def first_response(run: ChildRun) -> dict[str, float]:
    """Seconds from just before the spawn to the first response (`first_response_s`), split into
    interpreter start up to child.py's first line (`start_s`), the handler's import (`import_s`)
    and the first invocation (`first_invoke_s`), with the garbage collection within those two
    (`gc_s`); the part after the response (interpreter exit) is left out. Raises BenchError when
    the child's timestamps are not on the parent's clock."""
    started_at = float(run.result["started_at"])
    responded_at = float(run.result["responded_at"])
    if not run.spawned_at <= started_at <= responded_at:
        raise BenchError(
            f"the child's monotonic timestamps ({started_at}, {responded_at}) do not follow the"
            f" spawn ({run.spawned_at}): not one clock"
        )
    return {
        "first_response_s": responded_at - run.spawned_at,
        "start_s": started_at - run.spawned_at,
        "import_s": float(run.result["import_s"]),
        "first_invoke_s": float(run.result["first_invoke_s"]),
        "gc_s": float(run.result["gc_s"]),
    }


def _clean(targets: Sequence[Target]) -> list[Path]:
    roots = sorted({target.task_root for target in targets})
    for root in roots:
        remove_bytecode(root)
    return roots


def _check_clean(roots: Sequence[Path]) -> None:
    left = bytecode_left(roots)
    if left:
        raise BenchError(f"a measured run wrote bytecode into a task root: {left[:5]}")


def measure(
    pythons: Mapping[str, Path],
    targets: Sequence[Target],
    runs: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, dict[str, list[dict[str, float]]]]:
    """Per venv name (keys of `pythons`), per target: each run's first_response() figures.

    The task roots hold no __pycache__ and the children write none. Each (target, venv) first
    runs once, discarded, to warm the page cache. Then the targets take turns, run after run and
    venv after venv, so a burst of noise lands on all of them rather than on one.
    """
    roots = _clean(targets)
    for target in targets:
        for python in pythons.values():
            run_child(python, target, "cold")
    samples: dict[str, dict[str, list[dict[str, float]]]] = {
        venv: {target.name: [] for target in targets} for venv in pythons
    }
    for index in range(runs):
        progress(f"cold start: round {index + 1}/{runs}")
        for target in targets:
            for venv, python in pythons.items():
                samples[venv][target.name].append(first_response(run_child(python, target, "cold")))
    _check_clean(roots)
    return samples


def measure_restore(
    python: Path,
    targets: Sequence[Target],
    runs: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, list[dict[str, Any]]]:
    """Per target: each run's result of child.py's `restore` mode (after_snapshot_s and its
    split), after one discarded run per target; targets take turns as in measure()."""
    roots = _clean(targets)
    for target in targets:
        run_child(python, target, "restore")
    samples: dict[str, list[dict[str, Any]]] = {target.name: [] for target in targets}
    for index in range(runs):
        progress(f"snapstart: round {index + 1}/{runs}")
        for target in targets:
            samples[target.name].append(run_child(python, target, "restore").result)
    _check_clean(roots)
    return samples
