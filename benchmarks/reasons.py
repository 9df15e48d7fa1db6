"""The measured reason for each missed target: what the harness knows about why (where a cold
start's time went beside typical's, import time by package group and the slowest modules, AWS
calls per invocation, the largest files or packages of an artefact)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from .importcost import GROUPS
from .markdown import calls_text, number

COLD_PARTS = {
    "start_s": "start",
    "import_s": "import",
    "first_invoke_s": "first event",
    "gc_s": "garbage collection within those two",
}


def split_medians(splits: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """The median of each part over the runs' splits (the parts of the first run)."""
    return {part: statistics.median(split[part] for split in splits) for part in splits[0]}


def _ms(seconds: float) -> str:
    return number(seconds * 1000)


def _parts(splits: Mapping[str, float], names: Mapping[str, str]) -> str:
    return ", ".join(f"{label} {_ms(splits[part])} ms" for part, label in names.items())


def _import_groups(cost: Mapping[str, Any]) -> str:
    groups = sorted(
        ((group, cost[group]["self_us"]) for group in GROUPS if group in cost),
        key=lambda item: -item[1],
    )
    return ", ".join(f"{group} {number(us / 1000)}" for group, us in groups if us)


def _slowest_modules(cost: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{module['module']} {number(module['self_us'] / 1000)}"
        for module in cost.get("slowest", [])[:5]
    )


def _largest(sizes: Mapping[str, int], count: int = 3) -> list[tuple[str, int]]:
    return sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[:count]


def cold(results: Mapping[str, Any]) -> list[str]:
    figures = results["cold_start"]
    typical = split_medians(figures["typical"]["child_splits_s"])
    costs = results.get("import_cost", {})
    lines = []
    for name, entry in figures.items():
        if entry["met"] is not False:
            continue
        line = (
            f"cold start of {name}: {_ms(entry['median'])} ms = {entry['ratio_typical']:.2f}x"
            f" typical (target ≤ {entry['target']}): "
            f"{_parts(split_medians(entry['child_splits_s']), COLD_PARTS)}; typical "
            f"{_parts(typical, COLD_PARTS)}"
        )
        if name in costs and "typical" in costs:
            line += (
                f". Import by group, self ms: {_import_groups(costs[name])}; typical "
                f"{_import_groups(costs['typical'])}. Slowest modules, self ms:"
                f" {_slowest_modules(costs[name])}"
            )
        lines.append(line)
    return lines


def snapstart(results: Mapping[str, Any]) -> list[str]:
    wall = results.get("warm_wall", {})
    lines = []
    for name, entry in results["snapstart"].get("handlers", {}).items():
        if entry["met"] is not False:
            continue
        parts = split_medians(entry["splits"])
        line = (
            f"SnapStart of {name}: {_ms(entry['median'])} ms after the snapshot ="
            f" {entry['ratio_typical_cold']:.3f}x typical's cold start (target ≤"
            f" {entry['target']}): after-restore hooks ({entry['after_restore_hooks']})"
            f" {_ms(parts['after_restore_hooks_s'])} ms, first event"
            f" {_ms(parts['first_invoke_s'])} ms, before-snapshot hooks"
            f" {entry['before_snapshot_hooks']}"
        )
        if name in wall:
            # What the first event pays beyond a warm one: its first calls' set-up.
            line += f"; a warm invocation takes {_ms(wall[name]['median'] / 1e6)} ms wall"
        lines.append(line)
    return lines


def warm(results: Mapping[str, Any]) -> list[str]:
    figures = results["warm"]
    typical_calls = calls_text(figures["typical"]["aws_calls"])
    return [
        f"warm CPU of {name}: {number(entry['median'])} µs = {entry['ratio_typical']:.2f}x"
        f" typical (target ≤ {entry['target']}): AWS calls per invocation"
        f" {calls_text(entry['aws_calls'])}; typical {typical_calls}"
        for name, entry in figures.items()
        if entry["met"] is False
    ]


def package(results: Mapping[str, Any]) -> list[str]:
    lines = []
    for trigger, entry in results["package"].items():
        if entry["function_met"] is False:
            files = ", ".join(
                f"{path} {size / 1024:.1f}" for path, size in _largest(entry["function_largest"])
            )
            lines.append(
                f"function zip of {trigger}: {entry['function_zip_bytes'] / 1024:.1f} KB;"
                f" largest files (compressed KB): {files}"
            )
        if entry["layer_met"] is False:
            packages = ", ".join(
                f"{path} {size / 2**20:.2f}"
                for path, size in _largest(entry["layer_package_bytes"])
            )
            lines.append(
                f"layer zip of {trigger}: {entry['layer_zip_bytes'] / 2**20:.2f} MB with bytecode"
                f" ({entry['layer_zip_bytes_no_bytecode'] / 2**20:.2f} MB without); largest"
                f" packages (compressed MB): {packages}"
            )
    return lines


def missed(results: Mapping[str, Any]) -> list[str]:
    """One line per missed target in `results` (report.write's), cold start first."""
    return [*cold(results), *snapstart(results), *warm(results), *package(results)]
