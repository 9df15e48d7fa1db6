"""The CDK variant (`iac_tool=cdk`): renders as a user's, and its synth as `cdk synth` runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import built_once, render


def render_cdk(destination: Path, **answers: Any) -> Path:
    """The working tree rendered into `destination` with iac_tool=cdk, the other answers given
    or defaulted, post-generation check included (tests/conftest.py's render)."""
    return render(destination, {**answers, "iac_tool": "cdk"})


def synthesize(
    project: Path, context: dict[str, Any] | None = None
) -> subprocess.CompletedProcess[str]:
    """Synthesize the rendered app into `project`/cdk.out as `cdk synth` runs it, offline.

    cdk.json's context goes in CDK_CONTEXT_JSON, as the CLI passes it: `python app.py` alone does
    not read cdk.json and would synthesize another stack (other feature flags, other version
    logical IDs); `context` is added over it, as `cdk synth -c key=value` does. The dependency
    layer's directory, which `make build` fills, is created empty: synth only stages it.
    """
    assert shutil.which("node"), "CDK's jsii runtime needs node on PATH"
    (project / "layer" / "build" / "python").mkdir(parents=True, exist_ok=True)
    context = {
        **json.loads((project / "cdk.json").read_text())["context"],
        # As `make synth` passes it: the empty layer is what this synth stages, knowingly.
        "emptyLayerForChecks": True,
        **(context or {}),
    }
    env = {**os.environ, "CDK_OUTDIR": "cdk.out", "CDK_CONTEXT_JSON": json.dumps(context)}
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def synthesized_once(
    trigger: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The working tree rendered with `trigger` and every other answer at its default but
    iac_tool=cdk, and synthesized as `synthesize` does, once per test session for every worker
    (conftest.built_once): test_cdk_synth and test_cdk_parity both read the triggers' defaults,
    and each synth costs a render and jsii's start-up.

    Returns:
        The project, whose cdk.out holds the synth, and the synth's outcome.
    """

    def build(directory: Path) -> None:
        project = render_cdk(directory / "project", trigger=trigger)
        result = synthesize(project)
        outcome = {key: getattr(result, key) for key in ("returncode", "stdout", "stderr")}
        (directory / "synth.json").write_text(json.dumps(outcome))

    built = built_once(f"cdk-defaults-{trigger}", tmp_path_factory, build)
    outcome = json.loads((built / "synth.json").read_text())
    result = subprocess.CompletedProcess(
        [sys.executable, "app.py"], outcome["returncode"], outcome["stdout"], outcome["stderr"]
    )
    return built / "project", result
