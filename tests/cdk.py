"""Renders of the CDK variant, which copier.yml does not offer yet (issue 14).

The render goes through an inline copy of this template whose copier.yml accepts iac_tool=cdk,
so the answers are validated and defaulted exactly as for a real project; nothing else differs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import copier
import yaml

from tests.conftest import ROOT

CDK_CHOICE = "AWS CDK in Python (app.py, infra/, cdk synth / cdk deploy)"
# What only a real project needs: the post-generation check (which knows the SAM tree only),
# migrations and the closing message.
_LEFT_OUT = ("_tasks", "_migrations", "_message_after_copy")


def cdk_template(directory: Path) -> Path:
    """A copy of the template, in `directory`, whose iac_tool question accepts cdk."""
    questions = yaml.safe_load((ROOT / "copier.yml").read_text())
    for key in _LEFT_OUT:
        questions.pop(key, None)
    iac_tool = questions["iac_tool"]
    iac_tool["choices"][CDK_CHOICE] = "cdk"
    validator = iac_tool["validator"]
    assert "iac_tool not in ['sam']" in validator, "copier.yml's iac_tool validator changed"
    iac_tool["validator"] = validator.replace(
        "iac_tool not in ['sam']", "iac_tool not in ['sam', 'cdk']"
    )
    (directory / "copier.yml").write_text(yaml.safe_dump(questions, sort_keys=False))
    for shared in ("includes", "validation", "template"):
        # Copied, not linked: copier refuses to read through a link out of the template.
        shutil.copytree(ROOT / shared, directory / shared)
    return directory


def render_cdk(template: Path, destination: Path, **answers: Any) -> Path:
    """Render the answers (the others defaulted) with iac_tool=cdk into `destination`."""
    copier.run_copy(
        str(template),
        str(destination),
        data={**answers, "iac_tool": "cdk"},
        defaults=True,
        unsafe=True,  # _external_data reads the template's own files
        quiet=True,
    )
    return destination


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
    context = {**json.loads((project / "cdk.json").read_text())["context"], **(context or {})}
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
