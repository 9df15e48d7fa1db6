"""Read a rendered project's SAM template the way CloudFormation would (intrinsics as dicts), as
deployed to one environment: prod unless told, the environment whose sizing the answers give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.rendered import stack_facts_of


def stack(project: Path, environment: str = "prod") -> dict[str, Any]:
    """template.yaml with Environment=`environment`: each value dev and prod differ in
    (dev_sizing's Fn::If on IsProd) chosen by the project's own tests/stack_facts.py."""
    template: dict[str, Any] = stack_facts_of(project).template_for(environment)
    return template


def resources(project: Path, environment: str = "prod") -> dict[str, Any]:
    found: dict[str, Any] = stack(project, environment)["Resources"]
    return found


def function(project: Path, environment: str = "prod") -> dict[str, Any]:
    properties: dict[str, Any] = resources(project, environment)["Function"]["Properties"]
    return properties
