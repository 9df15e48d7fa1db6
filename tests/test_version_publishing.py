"""A deploy publishes a new function version (and so goes through CodeDeploy) exactly when what
the function runs changes: SAM names the version `FunctionVersion<hash>` and CloudFormation
creates a version only when that logical ID changes. Checked on the translation the rendered
repo's own `make validate` does, after the edits a team or Dependabot makes."""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.answer_sets import answer_sets_of
from tests.conftest import answer_set_params
from tests.stack import stack

# SAM's publishing; the CDK app's (current_version) is tests/test_cdk_versions.py's.
pytestmark = pytest.mark.parametrize(
    "rendered", answer_set_params(*answer_sets_of("sam")), indirect=True
)

Edit = Callable[[dict[str, Any]], None]


def _function(template: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"]["Function"]["Properties"]
    return properties


def _raise(name: str, by: int) -> Edit:
    def edit(template: dict[str, Any]) -> None:
        _function(template)[name] += by

    return edit


def _artefact(digest: str) -> dict[str, str]:
    """Where `sam package` uploads a built directory: under its content's checksum. (A mapping,
    which the project's translate() keeps; it replaces local paths given as text.)"""
    return {"Bucket": "artefacts", "Key": f"{digest}.zip"}


def _layer_content(template: dict[str, Any]) -> None:
    # What `sam package` writes after a lock bump: the layer's zip under another S3 key.
    template["Resources"]["DependencyLayer"]["Properties"]["ContentUri"] = _artefact("b2")


def _code(template: dict[str, Any]) -> None:
    _function(template)["CodeUri"] = _artefact("c2")


def _environment_variable(template: dict[str, Any]) -> None:
    _function(template)["Environment"]["Variables"]["POWERTOOLS_LOG_LEVEL"] = "DEBUG"


def _log_level(template: dict[str, Any]) -> None:
    _function(template)["LoggingConfig"]["ApplicationLogLevel"] = "DEBUG"


def _other_architecture(template: dict[str, Any]) -> None:
    [current] = _function(template)["Architectures"]
    _function(template)["Architectures"] = [{"arm64": "x86_64", "x86_64": "arm64"}[current]]


def _other_runtime(template: dict[str, Any]) -> None:
    current = _function(template)["Runtime"]
    _function(template)["Runtime"] = "python3.12" if current != "python3.12" else "python3.13"


CHANGES_TO_WHAT_RUNS: dict[str, Edit] = {
    "code": _code,
    "layer content": _layer_content,
    "timeout": _raise("Timeout", by=30),
    "memory": _raise("MemorySize", by=64),
    "runtime": _other_runtime,
    "architecture": _other_architecture,
    "environment variable": _environment_variable,
    "log level": _log_level,
}


@functools.cache
def _validate_module(project: Path) -> ModuleType:
    """The rendered repo's scripts/validate_template.py, imported as a module."""
    spec = importlib.util.spec_from_file_location(
        f"validate_{project.parent.name}", project / "scripts" / "validate_template.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _published_versions(project: Path, tmp_path: Path, edit: Edit | None = None) -> set[str]:
    """Logical IDs of the AWS::Lambda::Version resources SAM translates the template into, after
    `edit`, with the artefacts at fixed S3 locations as `sam package` leaves them."""
    template = stack(project)
    _function(template)["CodeUri"] = _artefact("c1")
    template["Resources"]["DependencyLayer"]["Properties"]["ContentUri"] = _artefact("b1")
    if edit is not None:
        edit(template)
    edited = tmp_path / f"template-{len(list(tmp_path.iterdir()))}.json"
    edited.write_text(json.dumps(template))
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    # The Region does not enter the version hash.
    translated: dict[str, Any] = _validate_module(project).translate(edited, "eu-west-1")
    return {
        logical_id
        for logical_id, resource in translated["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Version"
    }


def test_every_change_to_what_runs_publishes_a_new_version(rendered: Path, tmp_path: Path) -> None:
    [unchanged] = _published_versions(rendered, tmp_path)
    for change, edit in CHANGES_TO_WHAT_RUNS.items():
        [changed] = _published_versions(rendered, tmp_path, edit)
        assert changed != unchanged, f"a change of {change} publishes no version"


def test_the_same_artefacts_and_settings_publish_no_new_version(
    rendered: Path, tmp_path: Path
) -> None:
    assert _published_versions(rendered, tmp_path) == _published_versions(rendered, tmp_path)
