"""The handlers under measurement (one per rendered project, three baselines) and how a child
runs one."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .environment import FunctionSpec, lambda_environment, read_function_spec
from .render import Project

CHILD = Path(__file__).with_name("child.py")
BASELINES = Path(__file__).with_name("baselines")
BASELINE_NAMES = ("bare", "standard", "typical")
# Each baseline's own variables, beside the Powertools ones every baseline gets.
BASELINE_VARIABLES: dict[str, dict[str, str]] = {
    "bare": {},
    "standard": {
        "IDEMPOTENCY_TABLE_NAME": "standard-baseline-idempotency",
        "CONFIG_PARAMETER_NAME": "/standard-baseline/config",
    },
    "typical": {"ORDERS_TABLE_NAME": "typical-baseline-orders"},
}
# How success looks for each trigger (see child.py); triggers not named here must not raise.
EXPECT = {
    "sqs": "batch",
    "kinesis": "batch",
    "dynamodb-stream": "batch",
    "http-api": "api",
    "rest-api": "api",
    "function-url": "api",
}


class BenchError(RuntimeError):
    """A measurement path broke: the harness reports it and exits non-zero."""


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # "trigger" or "baseline"
    entry: str  # module.function, as Lambda's Handler setting
    event: Path
    expect: str
    env: dict[str, str]

    @property
    def task_root(self) -> Path:
        return Path(self.env["LAMBDA_TASK_ROOT"])


@dataclass(frozen=True)
class ChildRun:
    """One finished child: the parent's `time.monotonic()` just before the spawn, the child's
    result JSON (its `*_at` fields are on the same clock) and its stderr."""

    spawned_at: float
    result: dict[str, Any]
    stderr: str


def unused_udp_port() -> int:
    """A loopback UDP port nobody listens on: X-Ray segments go there and are dropped, as they
    would be by a daemon that never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def trigger_target(
    project: Project, endpoint_url: str, xray_port: int, name: str | None = None
) -> Target:
    """The rendered project's function as Lambda would run it; `name` labels a variant render
    (default: the trigger)."""
    stack = f"{project.slug}-dev"
    spec = read_function_spec(project.path, stack, project.region)
    env = lambda_environment(
        function_name=stack,
        spec=spec,
        region=project.region,
        task_root=project.path / "src",
        endpoint_url=endpoint_url,
        xray_port=xray_port,
        python_version=project.python_version,
    )
    return Target(
        name=name or project.trigger,
        kind="trigger",
        entry=spec.handler,
        event=project.event,
        expect=EXPECT.get(project.trigger, "event"),
        env=env,
    )


def baseline_target(
    name: str, sqs: Project, workdir: Path, endpoint_url: str, xray_port: int
) -> Target:
    """A baseline deployed like the SQS project (memory, logging) with its own task root that
    holds only its handler file, served the SQS project's valid event."""
    task_root = workdir / "baselines" / name
    task_root.mkdir(parents=True, exist_ok=True)
    module = f"{name}_handler"
    shutil.copyfile(BASELINES / f"{module}.py", task_root / f"{module}.py")
    sqs_spec = read_function_spec(sqs.path, f"{sqs.slug}-dev", sqs.region)
    spec: FunctionSpec = replace(
        sqs_spec,
        handler=f"{module}.lambda_handler",
        variables={
            "POWERTOOLS_SERVICE_NAME": f"{name}-baseline",
            "POWERTOOLS_METRICS_NAMESPACE": "bench-baseline",
            **BASELINE_VARIABLES[name],
        },
    )
    env = lambda_environment(
        function_name=f"{name}-baseline",
        spec=spec,
        region=sqs.region,
        task_root=task_root,
        endpoint_url=endpoint_url,
        xray_port=xray_port,
        python_version=sqs.python_version,
    )
    return Target(
        name=name, kind="baseline", entry=spec.handler, event=sqs.event, expect="batch", env=env
    )


def run_child(
    python: Path, target: Target, mode: str, *extra: str, flags: tuple[str, ...] = ()
) -> ChildRun:
    """Runs child.py once in `mode` (see its docstring; `flags` go to the interpreter, e.g.
    `-X importtime`). stdout goes to /dev/null for every handler alike, so log and metric lines
    cost a write but no terminal. Raises BenchError when the child fails or finds a response
    that is not a success."""
    # The task root is read-only on Lambda: the function's own modules are compiled on every
    # cold start, and no run may leave .pyc files behind for the next one to find.
    env = {**target.env, "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory() as scratch:
        result_path = Path(scratch) / "result.json"
        command = [
            str(python),
            "-P",  # nothing but PYTHONPATH (the task root) and the venv on sys.path
            *flags,
            str(CHILD),
            mode,
            target.entry,
            str(target.event),
            target.expect,
            str(result_path),
            *extra,
        ]
        spawned_at = time.monotonic()
        completed = subprocess.run(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
            cwd=target.task_root,
        )
        result: dict[str, Any] = json.loads(result_path.read_text()) if result_path.exists() else {}
    stderr = completed.stderr.decode(errors="replace")
    if completed.returncode != 0 or "error" in result:
        detail = result.get("traceback") or stderr[-4000:]
        raise BenchError(
            f"{target.name} ({mode}) failed with exit status {completed.returncode}: "
            f"{result.get('error', 'no result')}\n{detail}"
        )
    return ChildRun(spawned_at=spawned_at, result=result, stderr=stderr)


def remove_bytecode(root: Path) -> None:
    """Deletes every __pycache__ under `root`: a task root ships none."""
    for cache in sorted(root.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)


def bytecode_left(roots: Sequence[Path]) -> list[Path]:
    """The __pycache__ directories under `roots`, which a measured run must not have written."""
    return sorted(cache for root in roots for cache in root.rglob("__pycache__"))
