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

from . import coldstart, package, projecttest, render, report, runtime, warm
from .targets import BASELINE_NAMES, BASELINES, baseline_target, trigger_target, unused_udp_port

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


@dataclass(frozen=True)
class Mode:
    name: str
    cold_runs: int
    warm_calls: int
    warm_batch: int
    render_runs: int
    project_test: bool


FULL = Mode(
    "full", cold_runs=10, warm_calls=2000, warm_batch=100, render_runs=10, project_test=True
)
QUICK = Mode("quick", cold_runs=2, warm_calls=50, warm_batch=10, render_runs=2, project_test=False)


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


def measure(mode: Mode, repo: Path, workdir: Path, uv: Path, copier_cli: Path) -> dict[str, Any]:
    names = render.triggers(repo)
    projects: dict[str, render.Project] = {}
    for trigger in names:
        say(f"render {trigger}")
        projects[trigger] = render.render(repo, workdir / "projects" / trigger, trigger)
    sqs = projects["sqs"]

    say("runtime venv")
    requirements = runtime.runtime_requirements(
        [project.path / "pyproject.toml" for project in projects.values()],
        BASELINES / "requirements.txt",
    )
    python = runtime.build_runtime(
        uv, runtime.find_python(sqs.python_version), workdir / "runtime", requirements
    )
    runtime_python = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    frozen = subprocess.run(
        [str(uv), "pip", "freeze", "--python", str(python)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    with StubServer() as endpoint:
        xray_port = unused_udp_port()
        targets = [trigger_target(projects[name], endpoint, xray_port) for name in names]
        targets += [
            baseline_target(name, sqs, workdir, endpoint, xray_port) for name in BASELINE_NAMES
        ]
        say(f"cold start: {len(targets)} handlers x {mode.cold_runs} runs")
        cold = coldstart.measure(python, targets, mode.cold_runs, say)
        say(f"warm: {len(targets)} handlers x {mode.warm_calls} calls")
        warm_cpu, warm_wall = warm.measure(python, targets, mode.warm_calls, mode.warm_batch, say)

    packaged: dict[str, Any] = {}
    for name in names:
        say(f"package {name}")
        function_bytes = package.function_zip(projects[name], workdir / "artefacts")
        layer = package.build_layer(projects[name], uv, workdir / "artefacts")
        packaged[name] = {
            "function_zip_bytes": function_bytes,
            "function_met": function_bytes < report.FUNCTION_ZIP_LIMIT,
            "layer_zip_bytes": layer.zip_bytes,
            "layer_met": layer.zip_bytes < report.LAYER_ZIP_LIMIT,
            "botocore_in_layer": "botocore" in layer.packages,
            "layer_packages": layer.packages,
            "layer_requirements": layer.requirements,
        }

    say(f"render time: {mode.render_runs} runs")
    render_samples = render.time_render(repo, copier_cli, mode.render_runs, workdir / "scratch")
    render_figures: dict[str, Any] = {
        "copier_copy": {
            "samples": render_samples["copier_copy"],
            **report.summarize(render_samples["copier_copy"]),
        },
        "copier_version": {
            "samples": render_samples["copier_version"],
            **report.summarize(render_samples["copier_version"]),
        },
    }
    render_figures["ratio"] = report.ratio(
        render_figures["copier_copy"]["median"], render_figures["copier_version"]["median"]
    )
    render_figures["target"] = report.RENDER_RATIO_TARGET
    render_figures["met"] = render_figures["ratio"] <= report.RENDER_RATIO_TARGET

    project_test: dict[str, Any]
    if mode.project_test:
        say("default project: make install, make test")
        default = render.render(repo, workdir / "default-project", None)
        project_test = projecttest.time_make_test(default.path, uv)
    else:
        project_test = {"skipped": "quick mode does not run the default project's make test"}

    cold_figures = report.compare(
        {name: entry["wall_s"] for name, entry in cold.items()},
        BASELINE_NAMES,
        report.COLD_RATIO_TARGET,
    )
    for name, entry in cold_figures.items():
        entry["child_splits_s"] = cold[name]["splits"]
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
            "runtime_python": runtime_python,
            "runtime_packages": frozen,
            "mode": mode.name,
            "runs": {
                "cold_start": mode.cold_runs,
                "warm_calls": mode.warm_calls,
                "warm_batch": mode.warm_batch,
                "render": mode.render_runs,
            },
            "template_commit": template_commit(repo),
            "copier_version": copier_version,
        },
        "triggers": names,
        "baselines": list(BASELINE_NAMES),
        "cold_start": cold_figures,
        "warm": report.compare(warm_cpu, BASELINE_NAMES, report.WARM_RATIO_TARGET),
        "warm_wall": report.compare(warm_wall, BASELINE_NAMES, report.WARM_RATIO_TARGET),
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
