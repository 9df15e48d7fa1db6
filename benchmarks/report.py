"""Figures from raw samples: summaries, ratios to the baselines, the targets and the summary line;
`write` adds each missed target's measured reason (reasons.py) and saves results.json and
results.md (markdown.py)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import markdown, reasons

# The targets of issue 12. Ratios are against the `typical` baseline measured in the same run.
COLD_RATIO_TARGET = 0.9  # first response, bytecode present
SNAPSTART_RATIO_TARGET = 0.05  # the part after the snapshot, against typical's cold start
WARM_RATIO_TARGET = 1.0  # idempotency off, and the APIs (which have none)
WARM_IDEMPOTENT_RATIO_TARGET = 2.0  # two conditional writes per record to typical's one put
FUNCTION_ZIP_LIMIT = 50 * 1024
LAYER_ZIP_LIMIT = 8 * 1024 * 1024  # with bytecode, as the layer ships
IDEMPOTENCY_OFF = " (idempotency off)"  # the name suffix of a render with idempotency=false
TARGETS = {
    "cold_start_ratio": COLD_RATIO_TARGET,
    "snapstart_ratio": SNAPSTART_RATIO_TARGET,
    "warm_ratio": WARM_RATIO_TARGET,
    "warm_idempotent_ratio": WARM_IDEMPOTENT_RATIO_TARGET,
    "function_zip_bytes": FUNCTION_ZIP_LIMIT,
    "layer_zip_bytes": LAYER_ZIP_LIMIT,
}


def summarize(samples: Sequence[float]) -> dict[str, float]:
    if not samples:
        raise ValueError("no samples")
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
    }


def ratio(value: float, reference: float) -> float:
    if reference <= 0:
        raise ValueError(f"reference must be positive, got {reference}")
    return value / reference


def compare(
    samples: Mapping[str, Sequence[float]],
    baselines: Sequence[str],
    targets: Mapping[str, float | None],
) -> dict[str, dict[str, Any]]:
    """Per handler: its summary, its ratio to each baseline's median (`ratio_<baseline>`), its
    target (a ratio to `typical`; None for the baselines, or for a handler `targets` omits) and
    whether it is met (None where there is no target)."""
    medians = {name: summarize(values)["median"] for name, values in samples.items()}
    figures: dict[str, dict[str, Any]] = {}
    for name, values in samples.items():
        entry: dict[str, Any] = {"samples": list(values), **summarize(values)}
        for baseline in baselines:
            entry[f"ratio_{baseline}"] = ratio(medians[name], medians[baseline])
        target = None if name in baselines else targets.get(name)
        entry["target"] = target
        entry["met"] = None if target is None else entry["ratio_typical"] <= target
        figures[name] = entry
    return figures


def cold_figures(
    samples: Mapping[str, Mapping[str, Sequence[Mapping[str, float]]]], baselines: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """From coldstart.measure's samples (venv -> handler -> each run's split): per handler, the
    first response with bytecode against COLD_RATIO_TARGET, its runs' splits, and the same
    figures without bytecode under `no_bytecode` (reported only)."""

    def first_responses(venv: str) -> dict[str, list[float]]:
        return {
            name: [split["first_response_s"] for split in runs]
            for name, runs in samples[venv].items()
        }

    with_bytecode = first_responses("bytecode")
    figures = compare(with_bytecode, baselines, dict.fromkeys(with_bytecode, COLD_RATIO_TARGET))
    plain = compare(first_responses("no_bytecode"), baselines, {})
    for name, entry in figures.items():
        entry["child_splits_s"] = list(samples["bytecode"][name])
        plain[name].pop("target")
        plain[name].pop("met")
        entry["no_bytecode"] = {**plain[name], "child_splits_s": list(samples["no_bytecode"][name])}
    return figures


def snapstart_figures(
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    cold_medians: Mapping[str, float],
    baselines: Sequence[str],
) -> dict[str, dict[str, Any]]:
    """From coldstart.measure_restore's runs: per handler, the seconds after the snapshot, their
    ratio to each baseline's cold start (`cold_medians`: baseline -> median seconds;
    `ratio_<baseline>_cold`, typical's the target's) and the split."""
    figures: dict[str, dict[str, Any]] = {}
    for name, results in runs.items():
        samples = [float(result["after_snapshot_s"]) for result in results]
        entry: dict[str, Any] = {"samples": samples, **summarize(samples)}
        for baseline in baselines:
            entry[f"ratio_{baseline}_cold"] = ratio(entry["median"], cold_medians[baseline])
        entry["target"] = None if name in baselines else SNAPSTART_RATIO_TARGET
        entry["met"] = None if name in baselines else entry["ratio_typical_cold"] <= entry["target"]
        entry["splits"] = [
            {part: float(result[part]) for part in ("after_restore_hooks_s", "first_invoke_s")}
            for result in results
        ]
        entry["before_snapshot_hooks"] = int(results[0]["before_snapshot_hooks"])
        entry["after_restore_hooks"] = int(results[0]["after_restore_hooks"])
        figures[name] = entry
    return figures


def warm_figures(
    samples: Mapping[str, Sequence[float]],
    idempotency: Mapping[str, bool | None],
    aws_calls: Mapping[str, Mapping[str, float]],
    baselines: Sequence[str],
) -> dict[str, dict[str, Any]]:
    """Warm CPU per handler against its target: WARM_IDEMPOTENT_RATIO_TARGET with idempotency
    on, WARM_RATIO_TARGET off or without the question (None); with its AWS calls per
    invocation."""
    targets = {name: warm_target(idempotency.get(name)) for name in samples}
    figures = compare(samples, baselines, targets)
    for name, entry in figures.items():
        entry["idempotency"] = None if name in baselines else idempotency.get(name)
        entry["aws_calls"] = dict(aws_calls.get(name, {}))
    return figures


def warm_target(idempotency: bool | None) -> float:
    """The warm CPU target for a render: idempotency on, off, or not a question (None)."""
    return WARM_IDEMPOTENT_RATIO_TARGET if idempotency else WARM_RATIO_TARGET


def count_met(entries: Sequence[Mapping[str, Any]], key: str = "met") -> str:
    judged = [entry[key] for entry in entries if entry.get(key) is not None]
    return f"{sum(1 for met in judged if met)}/{len(judged)}"


def _judged(figures: Mapping[str, Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [entry for entry in figures.values() if entry.get("target") is not None]


def summary_line(results: Mapping[str, Any]) -> str:
    """`targets met: ...`: each target's count of handlers (or artefacts) meeting it."""
    warm = _judged(results["warm"])
    warm_on = [entry for entry in warm if entry.get("idempotency")]
    warm_off = [entry for entry in warm if not entry.get("idempotency")]
    snapstart = results["snapstart"]
    snapstart_count = (
        count_met(_judged(snapstart["handlers"])) if snapstart["offered"] else "not offered"
    )
    package = list(results["package"].values())
    return (
        f"targets met: cold start ≤ {COLD_RATIO_TARGET}x typical "
        f"{count_met(_judged(results['cold_start']))}; "
        f"SnapStart after snapshot ≤ {SNAPSTART_RATIO_TARGET}x typical cold {snapstart_count}; "
        f"warm ≤ {WARM_RATIO_TARGET}x typical (idempotency off, APIs) {count_met(warm_off)}; "
        f"warm ≤ {WARM_IDEMPOTENT_RATIO_TARGET}x typical (idempotency on) {count_met(warm_on)}; "
        f"function zip < {FUNCTION_ZIP_LIMIT // 1024} KB {count_met(package, 'function_met')}; "
        f"layer zip < {LAYER_ZIP_LIMIT // 1024 // 1024} MB with bytecode "
        f"{count_met(package, 'layer_met')}"
    )


def write(results: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """Adds the summary line and the missed targets' reasons to `results`, then writes
    out/results.json (everything, raw samples included) and out/results.md; returns both paths."""
    out.mkdir(parents=True, exist_ok=True)
    results["targets"] = TARGETS
    results["summary"] = summary_line(results)
    results["missed"] = reasons.missed(results)
    json_path, md_path = out / "results.json", out / "results.md"
    json_path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    md_path.write_text(markdown.render(results))
    return json_path, md_path
