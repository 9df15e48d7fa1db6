"""The handlers under measurement (one per trigger, two baselines) and how a child runs one."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .environment import FunctionSpec, lambda_environment, read_function_spec
from .render import Project

CHILD = Path(__file__).with_name("child.py")
BASELINES = Path(__file__).with_name("baselines")
BASELINE_NAMES = ("bare", "typical")
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


def unused_udp_port() -> int:
    """A loopback UDP port nobody listens on: X-Ray segments go there and are dropped, as they
    would be by a daemon that never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def trigger_target(project: Project, endpoint_url: str, xray_port: int) -> Target:
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
        name=project.trigger,
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
            "ORDERS_TABLE_NAME": f"{name}-baseline-orders",
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


def run_child(python: Path, target: Target, mode: str, *extra: str) -> tuple[float, dict[str, Any]]:
    """(wall seconds from spawn to exit, the child's result). stdout goes to /dev/null for every
    handler alike, so log and metric lines cost a write but no terminal."""
    with tempfile.TemporaryDirectory() as scratch:
        result_path = Path(scratch) / "result.json"
        command = [
            str(python),
            "-P",  # nothing but PYTHONPATH (the task root) and the venv on sys.path
            str(CHILD),
            mode,
            target.entry,
            str(target.event),
            target.expect,
            str(result_path),
            *extra,
        ]
        start = time.perf_counter()
        completed = subprocess.run(
            command,
            env=target.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
            cwd=target.env["LAMBDA_TASK_ROOT"],
        )
        wall = time.perf_counter() - start
        result: dict[str, Any] = json.loads(result_path.read_text()) if result_path.exists() else {}
    if completed.returncode != 0 or "error" in result:
        detail = result.get("traceback") or completed.stderr.decode(errors="replace")[-4000:]
        raise BenchError(
            f"{target.name} ({mode}) failed with exit status {completed.returncode}: "
            f"{result.get('error', 'no result')}\n{detail}"
        )
    return wall, result
