"""Warm overhead: microseconds per invocation of an already imported handler, in-process.

The target figure is the handler's own CPU time per invocation: its overhead. Wall time is kept
beside it; it adds the wait for the AWS stub's answers, one round trip per AWS call, which on
loopback here is a few hundred microseconds and in AWS a few milliseconds. The stub counts the
calls, so each handler's AWS calls per invocation are reported too.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .stub import CALLS_PATH
from .targets import Target, run_child


@dataclass(frozen=True)
class WarmFigures:
    """Per target: batch means of CPU and wall µs per call, and AWS calls per invocation by
    call name (warm-up calls included, so a call made once per process shows as a fraction)."""

    cpu_us: dict[str, list[float]]
    wall_us: dict[str, list[float]]
    aws_calls: dict[str, dict[str, float]]


def take_calls(endpoint_url: str) -> dict[str, int]:
    """The stub's call counts since they were last taken (and it starts counting afresh)."""
    # S310 warns of file: URLs; this one is the stub's, on loopback.
    with urllib.request.urlopen(endpoint_url + CALLS_PATH, timeout=10) as response:  # noqa: S310
        counts: dict[str, int] = json.loads(response.read())
    return counts


def per_invocation(counts: dict[str, int], invocations: int) -> dict[str, float]:
    """Each call's count divided by `invocations`, sorted by name. Raises ValueError when
    `invocations` is not positive."""
    if invocations <= 0:
        raise ValueError(f"invocations must be positive, got {invocations}")
    return {name: counts[name] / invocations for name in sorted(counts)}


def measure(  # noqa: PLR0913 - the run's facts, each used once
    python: Path,
    targets: Sequence[Target],
    calls: int,
    batch: int,
    *,
    endpoint_url: str,
    progress: Callable[[str], None] = lambda _: None,
) -> WarmFigures:
    """One process per target: the child warms up with a few calls first and checks every
    response; targets run one after another, so the stub's counts are each one's own."""
    figures = WarmFigures({}, {}, {})
    for target in targets:
        progress(f"warm: {target.name}")
        take_calls(endpoint_url)
        result = run_child(python, target, "warm", str(calls), str(batch)).result
        counts = take_calls(endpoint_url)
        figures.cpu_us[target.name] = [float(value) for value in result["batch_cpu_us"]]
        figures.wall_us[target.name] = [float(value) for value in result["batch_means_us"]]
        figures.aws_calls[target.name] = per_invocation(counts, int(result["invocations"]))
    return figures
