"""Figures from raw samples, and the two results files: results.json (everything, raw samples
included) and results.md (one table per measure, each with its target and whether it is met)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# The targets of issue 5. Ratios are against the `typical` baseline measured in the same run.
COLD_RATIO_TARGET = 0.25
WARM_RATIO_TARGET = 0.5
RENDER_RATIO_TARGET = 2.0
FUNCTION_ZIP_LIMIT = 50 * 1024
LAYER_ZIP_LIMIT = 5 * 1024 * 1024


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
    samples: dict[str, list[float]], baselines: Sequence[str], target: float
) -> dict[str, dict[str, Any]]:
    """Per handler: its summary, its ratio to each baseline's median, and whether its ratio to
    `typical` meets `target` (None for the baselines themselves)."""
    medians = {name: summarize(values)["median"] for name, values in samples.items()}
    figures: dict[str, dict[str, Any]] = {}
    for name, values in samples.items():
        entry: dict[str, Any] = {"samples": list(values), **summarize(values)}
        for baseline in baselines:
            entry[f"ratio_{baseline}"] = ratio(medians[name], medians[baseline])
        entry["target"] = None if name in baselines else target
        entry["met"] = None if name in baselines else entry["ratio_typical"] <= target
        figures[name] = entry
    return figures


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def met_mark(met: bool | None) -> str:
    return "—" if met is None else ("yes" if met else "no")


def _number(value: float) -> str:
    """Whole units, but a decimal where a whole unit would round a small figure to nothing."""
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _ratio_rows(
    figures: dict[str, dict[str, Any]], scale: float, target_text: str, splits: bool = False
) -> list[list[str]]:
    rows = []
    for name, entry in figures.items():
        split_cells = []
        if splits:
            # Where a cold start's time goes, as the child saw it (median of each part).
            for part in ("import_s", "first_invoke_s"):
                values = [split[part] for split in entry["child_splits_s"]]
                split_cells.append(_number(statistics.median(values) * 1000))
        rows.append(
            [
                name if entry["target"] is not None else f"*{name}* (baseline)",
                _number(entry["median"] * scale),
                *split_cells,
                _number(entry["min"] * scale),
                _number(entry["max"] * scale),
                f"{entry['ratio_typical']:.3f}",
                f"{entry['ratio_bare']:.1f}",
                target_text if entry["target"] is not None else "—",
                met_mark(entry["met"]),
            ]
        )
    return rows


def count_met(entries: Sequence[dict[str, Any]], key: str = "met") -> str:
    judged = [entry[key] for entry in entries if entry.get(key) is not None]
    return f"{sum(1 for met in judged if met)}/{len(judged)}"


def render_markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    parts = [
        "# copier-aws-lambda benchmarks",
        "",
        f"- date: {meta['date']}",
        f"- machine: {meta['cpu']}, {meta['cores']} cores, {meta['os']}",
        f"- Python: orchestrator {meta['python']}; measured runtime {meta['runtime_python']}",
        f"- mode: {meta['mode']}; runs: {json.dumps(meta['runs'])}",
        f"- template: {meta['template_commit']}; {meta['copier_version']}",
        f"- load average (1 min) at start and end: {meta['load_average']}",
        "- medians over repeated runs; every run's handler response was checked for success",
        "",
        "**Summary:** " + results["summary"],
        "",
        "## Cold-start proxy (fresh process: start, import the handler, serve one event)",
        "",
        table(
            [
                "handler",
                "median ms",
                "import ms",
                "1st event ms",
                "min ms",
                "max ms",
                "x typical",
                "x bare",
                "target",
                "met",
            ],
            _ratio_rows(
                results["cold_start"], 1000, f"≤ {COLD_RATIO_TARGET} x typical", splits=True
            ),
        ),
        "",
        "## Deployment artefacts",
        "",
        table(
            [
                "trigger",
                "function zip KB",
                "target",
                "met",
                "layer zip MB",
                "target",
                "met",
                "botocore in layer",
                "layer packages",
            ],
            [
                [
                    trigger,
                    f"{entry['function_zip_bytes'] / 1024:.1f}",
                    f"< {FUNCTION_ZIP_LIMIT // 1024} KB",
                    met_mark(entry["function_met"]),
                    f"{entry['layer_zip_bytes'] / 1024 / 1024:.2f}",
                    f"< {LAYER_ZIP_LIMIT // 1024 // 1024} MB",
                    met_mark(entry["layer_met"]),
                    "**yes**" if entry["botocore_in_layer"] else "no",
                    ", ".join(entry["layer_packages"]),
                ]
                for trigger, entry in results["package"].items()
            ],
        ),
        "",
        "## Warm overhead (in-process, CPU per invocation on the single-record path)",
        "",
        table(
            ["handler", "median µs", "min µs", "max µs", "x typical", "x bare", "target", "met"],
            _ratio_rows(results["warm"], 1, f"≤ {WARM_RATIO_TARGET} x typical"),
        ),
        "",
        "Wall time of the same invocations, reported only: it adds the wait for the AWS stub, one"
        " loopback round trip per AWS call (idempotency makes two per record, the typical"
        " baseline one `put_item`).",
        "",
        table(
            ["handler", "median µs", "x typical"],
            [
                [name, _number(entry["median"]), f"{entry['ratio_typical']:.3f}"]
                for name, entry in results.get("warm_wall", {}).items()
            ],
        ),
        "",
        "## Render time",
        "",
        _render_table(results["render"]),
        "",
        "## The default project's own tests",
        "",
        _project_test_text(results["project_test"]),
        "",
    ]
    return "\n".join(parts)


def _render_table(render: dict[str, Any]) -> str:
    rows = [
        [
            "`copier copy --trust --defaults --vcs-ref HEAD`",
            f"{render['copier_copy']['median']:.3f}",
            f"{render['copier_copy']['min']:.3f}",
            f"{render['copier_copy']['max']:.3f}",
            f"{render['ratio']:.2f}",
            f"≤ {RENDER_RATIO_TARGET}",
            met_mark(render["met"]),
        ],
        [
            "`copier --version` (start-up floor)",
            f"{render['copier_version']['median']:.3f}",
            f"{render['copier_version']['min']:.3f}",
            f"{render['copier_version']['max']:.3f}",
            "1.00",
            "—",
            "—",
        ],
    ]
    return table(["command", "median s", "min s", "max s", "ratio", "target", "met"], rows)


def _project_test_text(project_test: dict[str, Any]) -> str:
    if "skipped" in project_test:
        return f"Skipped: {project_test['skipped']}."
    return table(
        ["step", "seconds"],
        [
            ["`make install`", f"{project_test['make_install_s']:.1f}"],
            ["`make test`", f"{project_test['make_test_s']:.1f}"],
        ],
    )


def summary_line(results: dict[str, Any]) -> str:
    triggers = [name for name in results["cold_start"] if name not in results["baselines"]]
    cold = [results["cold_start"][name] for name in triggers]
    warm = [results["warm"][name] for name in triggers]
    package = list(results["package"].values())
    return (
        f"targets met: cold start ≤ {COLD_RATIO_TARGET}x typical {count_met(cold)}; "
        f"warm ≤ {WARM_RATIO_TARGET}x typical {count_met(warm)}; "
        f"function zip < 50 KB {count_met(package, 'function_met')}; "
        f"layer zip < 5 MB {count_met(package, 'layer_met')}; "
        f"render ≤ {RENDER_RATIO_TARGET}x copier start-up {count_met([results['render']])}"
    )


def write(results: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    results["summary"] = summary_line(results)
    json_path, md_path = out / "results.json", out / "results.md"
    json_path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    md_path.write_text(render_markdown(results))
    return json_path, md_path
