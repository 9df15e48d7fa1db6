"""Warm overhead: microseconds per invocation of an already imported handler, in-process.

The target figure is the handler's own CPU time per invocation: its overhead. Wall time is kept
beside it; it adds the wait for the AWS stub's answers, one round trip per AWS call, which on
loopback here is a few hundred microseconds and in AWS a few milliseconds.
"""

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
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per target: the mean CPU and wall microseconds per call of each batch (one process per
    target; the child warms up with a few calls first and checks every response)."""
    cpu: dict[str, list[float]] = {}
    wall: dict[str, list[float]] = {}
    for target in targets:
        progress(f"warm: {target.name}")
        _, result = run_child(python, target, "warm", str(calls), str(batch))
        cpu[target.name] = [float(value) for value in result["batch_cpu_us"]]
        wall[target.name] = [float(value) for value in result["batch_means_us"]]
    return cpu, wall
