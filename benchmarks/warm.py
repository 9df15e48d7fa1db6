"""Warm overhead: microseconds per invocation of an already imported handler, in-process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .targets import Target, run_child


def measure(
    python: Path,
    targets: Sequence[Target],
    calls: int,
    batch: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, list[float]]:
    """Per target: the mean microseconds per call of each batch (one process per target; the
    child warms up with a few calls first and checks every response)."""
    samples: dict[str, list[float]] = {}
    for target in targets:
        progress(f"warm: {target.name}")
        _, result = run_child(python, target, "warm", str(calls), str(batch))
        samples[target.name] = [float(value) for value in result["batch_means_us"]]
    return samples
