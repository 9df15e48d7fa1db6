"""`make bench`: render every trigger, measure it beside the baselines, write the results.

    python -m benchmarks.run [--quick] [--out DIR]

Exits non-zero only when a measurement path breaks (a render, a build, a handler that does not
succeed); a missed target is a figure in the report, never a failure: timings are noisy.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import coldstart, importcost, package, projects, projecttest, render, report, runtime, warm
from .projects import Renders
from .targets import (
    BASELINE_NAMES,
    Target,
    baseline_target,
    run_child,
    trigger_target,
    unused_udp_port,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


@dataclass(frozen=True)
class Mode:
    name: str
    cold_runs: int
    import_runs: int
    warm_calls: int
    warm_batch: int
    render_runs: int
    project_test: bool


FULL = Mode(
    "full",
    cold_runs=10,
    import_runs=5,
    warm_calls=2000,
    warm_batch=100,
    render_runs=10,
    project_test=True,
)
QUICK = Mode(
    "quick",
    cold_runs=1,
    import_runs=1,
    warm_calls=50,
    warm_batch=10,
    render_runs=2,
    project_test=False,
)


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def template_commit(repo: Path) -> str:
    described = subprocess.run(
        ["git", "-C", str(repo), "describe", "--always", "--dirty", "--tags"],
        capture_output=True,
        text=True,
        check=False,
    )
    return described.stdout.strip() or "unknown"


def default_uv() -> Path:
    for candidate in (REPO / ".venv-boot" / "bin" / "uv", Path(sys.executable).parent / "uv"):
        if candidate.exists():
            return candidate
    found = shutil.which("uv")
    if not found:
        raise SystemExit("bench: no uv found; run `make bench`, which bootstraps it")
    return Path(found)


class StubServer:
    """The AWS stub in a process of its own, so its work never runs on the measured process's
    interpreter."""

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "stub.py")], stdout=subprocess.PIPE, text=True
        )
        port = self.process.stdout.readline().strip() if self.process.stdout else ""
        if not port.isdigit():
            self.process.kill()
            raise RuntimeError("the AWS stub did not start")
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def import_costs(python: Path, targets: list[Target], runs: int) -> dict[str, Any]:
    """`runs` `-X importtime` cold runs per target, summed by package group (importcost.py);
    targets take turns, run after run."""
    reports: dict[str, list[list[importcost.ImportLine]]] = {target.name: [] for target in targets}
    for index in range(runs):
        say(f"import cost: round {index + 1}/{runs}")
        for target in targets:
            run = run_child(python, target, "cold", flags=("-X", "importtime"))
            reports[target.name].append(importcost.parse(run.stderr))
    return {
        target.name: importcost.summarize(reports[target.name], {target.entry.split(".", 1)[0]})
        for target in targets
    }


def measure_snapstart(
    mode: Mode, restored: list[Target], baselines: list[Target], python: Path, cold: dict[str, Any]
) -> dict[str, Any]:
    """The part after the snapshot of every SnapStart render, and of the baselines (no hooks:
    their first event after init), against the baselines' cold starts in `cold`."""
    say(f"snapstart: {len(restored) + len(baselines)} handlers x {mode.cold_runs} runs")
    runs = coldstart.measure_restore(python, [*restored, *baselines], mode.cold_runs, say)
    cold_medians = {name: cold[name]["median"] for name in BASELINE_NAMES}
    return {
        "offered": True,
        "handlers": report.snapstart_figures(runs, cold_medians, BASELINE_NAMES),
    }


def measure_warm(
    mode: Mode,
    targets: list[Target],
    idempotency: dict[str, bool | None],
    python: Path,
    endpoint: str,
) -> dict[str, Any]:
    say(f"warm: {len(targets)} handlers x {mode.warm_calls} calls")
    figures = warm.measure(
        python, targets, mode.warm_calls, mode.warm_batch, endpoint_url=endpoint, progress=say
    )
    return {
        "warm": report.warm_figures(figures.cpu_us, idempotency, figures.aws_calls, BASELINE_NAMES),
        "warm_wall": report.compare(figures.wall_us, BASELINE_NAMES, {}),
    }


def measure_handlers(
    mode: Mode, renders: Renders, runtimes: runtime.Runtimes, workdir: Path
) -> dict[str, Any]:
    """Cold start (both venvs), import cost, SnapStart's part after the snapshot and warm
    overhead, every handler beside the baselines, against one AWS stub."""
    with StubServer() as endpoint:
        xray_port = unused_udp_port()

        def target(project: render.Project, name: str | None = None) -> Target:
            return trigger_target(project, endpoint, xray_port, name)

        sqs = renders.default["sqs"]
        baselines = [
            baseline_target(name, sqs, workdir, endpoint, xray_port) for name in BASELINE_NAMES
        ]
        defaults = {name: target(project) for name, project in renders.default.items()}
        handlers = [*defaults.values(), *baselines]
        pythons = {"bytecode": runtimes.bytecode, "no_bytecode": runtimes.no_bytecode}
        say(f"cold start: {len(handlers)} handlers x {len(pythons)} venvs x {mode.cold_runs} runs")
        samples = coldstart.measure(pythons, handlers, mode.cold_runs, say)
        cold = report.cold_figures(samples, BASELINE_NAMES)
        costs = import_costs(runtimes.bytecode, [defaults["sqs"], *baselines], mode.import_runs)
        snapstart: dict[str, Any] = {
            "offered": False,
            "note": "copier.yml has no `snapstart` question at this commit",
        }
        if renders.snapstart is not None:
            restored = [target(project) for project in renders.snapstart.values()]
            snapstart = measure_snapstart(mode, restored, baselines, runtimes.bytecode, cold)
        idempotency = {
            name: project.answers.get("idempotency") for name, project in renders.default.items()
        }
        variants = []
        for name, project in renders.idempotency_off.items():
            variants.append(target(project, name + report.IDEMPOTENCY_OFF))
            idempotency[name + report.IDEMPOTENCY_OFF] = False
        warm_targets = [*defaults.values(), *variants, *baselines]
        warm_figures = measure_warm(mode, warm_targets, idempotency, runtimes.bytecode, endpoint)
    return {"cold_start": cold, "snapstart": snapstart, "import_cost": costs, **warm_figures}


def measure_packages(renders: Renders, uv: Path, workdir: Path) -> dict[str, Any]:
    packaged: dict[str, Any] = {}
    for name, project in renders.default.items():
        say(f"package {name}")
        function_bytes = package.function_zip(project, workdir / "artefacts")
        python = runtime.find_python(project.python_version)
        layer = package.build_layer(project, uv, python, workdir / "artefacts")
        largest = package.compressed_sizes(workdir / "artefacts" / f"{name}-function.zip")
        packaged[name] = {
            "function_zip_bytes": function_bytes,
            "function_met": function_bytes < report.FUNCTION_ZIP_LIMIT,
            "function_largest": dict(list(largest.items())[:5]),
            "layer_zip_bytes": layer.zip_bytes,
            "layer_zip_bytes_no_bytecode": layer.zip_bytes_no_bytecode,
            "layer_built_by": layer.built_by,
            "layer_bytecode_files": layer.bytecode_files,
            "layer_met": layer.zip_bytes < report.LAYER_ZIP_LIMIT,
            "botocore_in_layer": "botocore" in layer.packages,
            "layer_packages": layer.packages,
            "layer_package_bytes": layer.package_bytes,
            "layer_requirements": layer.requirements,
        }
    return packaged


def measure_render(mode: Mode, repo: Path, copier_cli: Path, workdir: Path) -> dict[str, Any]:
    say(f"render time: {mode.render_runs} runs")
    samples = render.time_render(repo, copier_cli, mode.render_runs, workdir / "scratch")
    figures: dict[str, Any] = {
        command: {"samples": values, **report.summarize(values)}
        for command, values in samples.items()
    }
    figures["ratio"] = report.ratio(
        figures["copier_copy"]["median"], figures["copier_version"]["median"]
    )
    return figures


def measure(mode: Mode, repo: Path, workdir: Path, uv: Path, copier_cli: Path) -> dict[str, Any]:
    names = render.triggers(repo)
    renders = projects.render_all(repo, workdir, names, say)
    say("runtime venvs (bytecode, no bytecode)")
    runtimes, runtime_meta = projects.build_runtimes(renders, uv, workdir)
    handlers = measure_handlers(mode, renders, runtimes, workdir)
    packaged = measure_packages(renders, uv, workdir)
    render_figures = measure_render(mode, repo, copier_cli, workdir)

    project_test: dict[str, Any]
    if mode.project_test:
        say("default project: make install, make test")
        default = render.render(repo, workdir / "default-project")
        project_test = projecttest.time_make_test(default.path, uv)
    else:
        project_test = {"skipped": "quick mode does not run the default project's make test"}

    copier_version = subprocess.run(
        [str(copier_cli), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return {
        "meta": {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(),
            **runtime_meta,
            "mode": mode.name,
            "runs": {
                "cold_start": mode.cold_runs,
                "import_cost": mode.import_runs,
                "warm_calls": mode.warm_calls,
                "warm_batch": mode.warm_batch,
                "render": mode.render_runs,
            },
            "template_commit": template_commit(repo),
            "copier_version": copier_version,
        },
        "triggers": names,
        "baselines": list(BASELINE_NAMES),
        "variants": {
            "idempotency_off": list(renders.idempotency_off),
            "snapstart": list(renders.snapstart or {}),
        },
        **handlers,
        "package": packaged,
        "render": render_figures,
        "project_test": project_test,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="few runs; results under .work/")
    parser.add_argument("--out", type=Path, help="where results.md and results.json go")
    parser.add_argument("--workdir", type=Path, help="renders, venvs and artefacts")
    parser.add_argument("--uv", type=Path, help="the uv binary (default: the repo's)")
    parser.add_argument("--copier", type=Path, help="the copier CLI (default: beside python)")
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    workdir = (args.workdir or HERE / ".work" / mode.name).resolve()
    out = (args.out or (HERE / ".work" / "quick" if args.quick else HERE)).resolve()
    uv = (args.uv or default_uv()).resolve()
    copier_cli = (args.copier or Path(sys.executable).parent / "copier").resolve()
    started = time.perf_counter()
    load_at_start = load_average()
    try:
        results = measure(mode, REPO, workdir, uv, copier_cli)
    except Exception as error:  # a broken measurement path: say which, exit non-zero
        say(f"FAILED: {type(error).__name__}: {error}")
        if isinstance(error, subprocess.CalledProcessError) and error.stderr:
            stderr = error.stderr
            say(stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr)
        return 1
    results["meta"]["harness_seconds"] = round(time.perf_counter() - started, 1)
    # Other work on the machine is the main source of noise: say how busy it was.
    results["meta"]["load_average"] = f"{load_at_start} / {load_average()}"
    json_path, md_path = report.write(results, out)
    say(f"wrote {md_path} and {json_path} in {results['meta']['harness_seconds']} s")
    say(results["summary"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
