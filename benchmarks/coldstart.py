"""Cold-start proxy: wall time of a fresh process that imports a handler and serves one event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .targets import Target, run_child


def measure(
    python: Path,
    targets: Sequence[Target],
    runs: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, dict[str, Any]]:
    """Per target: wall seconds of each run, and the child's own split of the last run.

    Each target first runs once, discarded: it writes the task root's .pyc files (the venv is
    compiled already) and warms the page cache. Then the targets take turns, run after run, so a
    burst of noise lands on all of them rather than on one.
    """
    for target in targets:
        run_child(python, target, "cold")
    samples: dict[str, dict[str, Any]] = {
        target.name: {"wall_s": [], "splits": []} for target in targets
    }
    for index in range(runs):
        progress(f"cold start: round {index + 1}/{runs}")
        for target in targets:
            wall, split = run_child(python, target, "cold")
            samples[target.name]["wall_s"].append(wall)
            samples[target.name]["splits"].append(split)
    return samples
