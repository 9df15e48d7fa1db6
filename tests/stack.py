"""Read a rendered project's SAM template the way CloudFormation would (intrinsics as dicts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]  # cfn-lint ships no type hints


def stack(project: Path) -> dict[str, Any]:
    template: dict[str, Any] = cfn_yaml.load(str(project / "template.yaml"))
    return template


def resources(project: Path) -> dict[str, Any]:
    found: dict[str, Any] = stack(project)["Resources"]
    return found


def function(project: Path) -> dict[str, Any]:
    properties: dict[str, Any] = resources(project)["Function"]["Properties"]
    return properties
