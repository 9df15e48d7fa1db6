"""results.md: one table per measure, each row with its target and whether it is met, and the
measured reason for each missed target."""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from .importcost import GROUPS


def number(value: float) -> str:
    """Whole units, but a decimal where a whole unit would round a small figure to nothing."""
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def met_mark(met: bool | None) -> str:
    return "—" if met is None else ("yes" if met else "no")


def _label(name: str, baselines: Sequence[str]) -> str:
    return f"*{name}* (baseline)" if name in baselines else name


def _median_part(splits: Sequence[Mapping[str, float]], part: str) -> float:
    return statistics.median(split[part] for split in splits)


def _ratios(entry: Mapping[str, Any], baselines: Sequence[str]) -> list[str]:
    # x typical to three places (the target's ratio), the others to the detail they need.
    return [
        f"{entry['ratio_typical']:.3f}",
        f"{entry['ratio_standard']:.3f}" if "standard" in baselines else "—",
        f"{entry['ratio_bare']:.1f}",
    ]


def _target(entry: Mapping[str, Any], what: str) -> str:
    return "—" if entry.get("target") is None else f"≤ {entry['target']} x {what}"


_COLD_PARTS = ("start_s", "import_s", "first_invoke_s", "gc_s")


def cold_table(cold: Mapping[str, Mapping[str, Any]], baselines: Sequence[str]) -> str:
    rows = []
    for name, entry in cold.items():
        splits = entry["child_splits_s"]
        plain = entry["no_bytecode"]
        rows.append(
            [
                _label(name, baselines),
                number(entry["median"] * 1000),
                *(number(_median_part(splits, part) * 1000) for part in _COLD_PARTS),
                number(entry["min"] * 1000),
                number(entry["max"] * 1000),
                *_ratios(entry, baselines),
                _target(entry, "typical"),
                met_mark(entry["met"]),
                number(plain["median"] * 1000),
                f"{plain['ratio_typical']:.3f}",
            ]
        )
    header = [
        "handler",
        "first response ms",
        "start ms",
        "import ms",
        "1st event ms",
        "of which GC ms",
        "min ms",
        "max ms",
        "x typical",
        "x standard",
        "x bare",
        "target",
        "met",
        "no bytecode ms",
        "no bytecode x typical",
    ]
    return table(header, rows)


def snapstart_text(snapstart: Mapping[str, Any], baselines: Sequence[str]) -> str:
    if not snapstart["offered"]:
        return f"Not offered: {snapstart['note']}"
    rows = []
    for name, entry in snapstart["handlers"].items():
        rows.append(
            [
                _label(name, baselines),
                number(entry["median"] * 1000),
                number(_median_part(entry["splits"], "after_restore_hooks_s") * 1000),
                number(_median_part(entry["splits"], "first_invoke_s") * 1000),
                f"{entry['before_snapshot_hooks']} / {entry['after_restore_hooks']}",
                number(entry["min"] * 1000),
                number(entry["max"] * 1000),
                f"{entry['ratio_typical_cold']:.3f}",
                f"{entry['ratio_standard_cold']:.3f}",
                f"{entry['ratio_bare_cold']:.2f}",
                _target(entry, "typical cold"),
                met_mark(entry["met"]),
            ]
        )
    header = [
        "handler",
        "after snapshot ms",
        "after-restore hooks ms",
        "1st event ms",
        "hooks before / after",
        "min ms",
        "max ms",
        "x typical cold start",
        "x standard cold start",
        "x bare cold start",
        "target",
        "met",
    ]
    return table(header, rows)


def calls_text(calls: Mapping[str, float]) -> str:
    """`PutItem 1.00, GetParameter 0.0005`: operation names (no service prefix), each with its
    count per invocation; `none` for no call."""
    shown = [f"{name.rpartition('.')[2]} {_count(count)}" for name, count in calls.items()]
    return ", ".join(shown) or "none"


def _count(count: float) -> str:
    # A call made once per process (a cached config read) must not round to nothing.
    return f"{count:.2f}" if count >= 0.01 else f"{count:.4f}".rstrip("0")


def warm_table(warm: Mapping[str, Mapping[str, Any]], baselines: Sequence[str]) -> str:
    rows = []
    for name, entry in warm.items():
        idempotency = entry.get("idempotency")
        rows.append(
            [
                _label(name, baselines),
                "—" if idempotency is None else ("on" if idempotency else "off"),
                number(entry["median"]),
                number(entry["min"]),
                number(entry["max"]),
                *_ratios(entry, baselines),
                _target(entry, "typical"),
                met_mark(entry["met"]),
                calls_text(entry.get("aws_calls", {})),
            ]
        )
    header = [
        "handler",
        "idempotency",
        "median µs",
        "min µs",
        "max µs",
        "x typical",
        "x standard",
        "x bare",
        "target",
        "met",
        "AWS calls per invocation",
    ]
    return table(header, rows)


def import_table(costs: Mapping[str, Mapping[str, Any]]) -> str:
    groups = [group for group in GROUPS if group in next(iter(costs.values()))]
    rows = [
        [
            name,
            number(cost["total"]["self_us"] / 1000),
            *(
                f"{number(cost[group]['self_us'] / 1000)} /"
                f" {number(cost[group]['cumulative_us'] / 1000)}"
                for group in groups
            ),
        ]
        for name, cost in costs.items()
    ]
    return table(["handler", "total ms", *(f"{group} ms" for group in groups)], rows)


def slowest_text(costs: Mapping[str, Mapping[str, Any]]) -> str:
    """Each handler's modules with the most self time, a line per handler."""
    lines = ["Slowest modules by self time (ms):", ""]
    for name, cost in costs.items():
        modules = ", ".join(
            f"`{module['module']}` {number(module['self_us'] / 1000)}"
            for module in cost.get("slowest", [])
        )
        lines.append(f"- {name}: {modules or 'none'}")
    return "\n".join(lines)


def package_table(package: Mapping[str, Mapping[str, Any]], targets: Mapping[str, Any]) -> str:
    rows = [
        [
            trigger,
            f"{entry['function_zip_bytes'] / 1024:.1f}",
            f"< {targets['function_zip_bytes'] // 1024} KB",
            met_mark(entry["function_met"]),
            f"{entry['layer_zip_bytes'] / 2**20:.2f}",
            f"{entry['layer_zip_bytes_no_bytecode'] / 2**20:.2f}",
            str(entry["layer_bytecode_files"]),
            f"< {targets['layer_zip_bytes'] // 2**20} MB",
            met_mark(entry["layer_met"]),
            "**yes**" if entry["botocore_in_layer"] else "no",
            ", ".join(entry["layer_packages"]),
        ]
        for trigger, entry in package.items()
    ]
    header = [
        "trigger",
        "function zip KB",
        "target",
        "met",
        "layer zip MB (as built)",
        "layer zip MB (no bytecode)",
        "layer .pyc files",
        "target (as built)",
        "met",
        "botocore in layer",
        "layer packages",
    ]
    return table(header, rows)


def render_table(render: Mapping[str, Any]) -> str:
    rows = [
        [
            "`copier copy --trust --defaults --vcs-ref HEAD`",
            f"{render['copier_copy']['median']:.3f}",
            f"{render['copier_copy']['min']:.3f}",
            f"{render['copier_copy']['max']:.3f}",
            f"{render['ratio']:.2f}",
        ],
        [
            "`copier --version` (start-up floor)",
            f"{render['copier_version']['median']:.3f}",
            f"{render['copier_version']['min']:.3f}",
            f"{render['copier_version']['max']:.3f}",
            "1.00",
        ],
    ]
    return table(["command", "median s", "min s", "max s", "x start-up"], rows)


def project_test_text(project_test: Mapping[str, Any]) -> str:
    if "skipped" in project_test:
        return f"Skipped: {project_test['skipped']}."
    return table(
        ["step", "seconds"],
        [
            ["`make install`", f"{project_test['make_install_s']:.1f}"],
            ["`make test`", f"{project_test['make_test_s']:.1f}"],
        ],
    )


def _layer_note(package: Mapping[str, Mapping[str, Any]]) -> str:
    built_by = sorted({str(entry.get("layer_built_by", "harness")) for entry in package.values()})
    how = " and ".join(f"`{way}`" for way in built_by)
    return (
        f"The layer as the project's `make build` would ship it (built by {how}; `harness`: the"
        " project has no layer/Makefile, so wheels for Lambda's platform, then compileall), and"
        " the same files without their bytecode."
    )


def _missed_text(missed: Sequence[str]) -> str:
    return "\n".join(f"- {line}" for line in missed) if missed else "Every target is met."


def render(results: Mapping[str, Any]) -> str:
    """The whole results.md for `results` (as report.write completes them)."""
    meta = results["meta"]
    baselines = results["baselines"]
    wall_rows = [
        [
            _label(name, baselines),
            number(entry["median"]),
            f"{entry['ratio_typical']:.3f}",
            f"{entry['ratio_standard']:.3f}" if "standard" in baselines else "—",
            f"{entry['ratio_bare']:.1f}",
        ]
        for name, entry in results["warm_wall"].items()
    ]
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
        "## Why targets were missed",
        "",
        _missed_text(results["missed"]),
        "",
        "## Cold-start proxy (spawn to the first response: start, import, first event)",
        "",
        "Task roots without bytecode, as Lambda's read-only /var/task has none unless shipped;"
        " the runtime venv's packages byte-compiled as the layer ships them. `no bytecode`: the"
        " layer's packages without any .pyc (the runtime's own keep theirs). `of which GC`: the"
        " garbage collections that ran during the import and the first event.",
        "",
        cold_table(results["cold_start"], baselines),
        "",
        "## SnapStart (after the snapshot: after-restore hooks and the first event)",
        "",
        snapstart_text(results["snapstart"], baselines),
        "",
        "## Import cost by package group (`-X importtime`, bytecode present, medians)",
        "",
        "Each cell: self ms / cumulative ms. Self: the time in the group's own modules, whose"
        " bodies run as they are imported (the groups add up to the total); `own code` is the"
        " handler's package, and its self time holds what its module-level code does: compiling"
        " it (no bytecode in the task root), building clients, models and decorators. Cumulative:"
        " the group's outermost imports with what they imported first from other groups, so"
        " groups overlap. The handler's import and the first event's lazy imports only.",
        "",
        import_table(results["import_cost"]) if results.get("import_cost") else "Not measured.",
        "",
        slowest_text(results.get("import_cost", {})),
        "",
        "## Warm overhead (in-process, CPU per invocation on the single-record path)",
        "",
        warm_table(results["warm"], baselines),
        "",
        "Wall time of the same invocations, reported only: it adds the wait for the AWS stub, one"
        " loopback round trip per AWS call (see the calls per invocation above).",
        "",
        table(["handler", "median µs", "x typical", "x standard", "x bare"], wall_rows),
        "",
        "## Deployment artefacts",
        "",
        _layer_note(results["package"]),
        "",
        package_table(results["package"], results["targets"]),
        "",
        "## Render time (reported only)",
        "",
        render_table(results["render"]),
        "",
        "## The default project's own tests",
        "",
        project_test_text(results["project_test"]),
        "",
    ]
    return "\n".join(parts)
