"""The stack model (includes/model/stack.jinja) of given answers, read through real copier.

Copier's own tests build small inline templates; so does this: a template in a temporary
directory with this template's questions (copier.yml without its tasks, migrations and messages)
and its `includes/` and `validation/`, whose only file renders the model as JSON. The answers are
validated and defaulted exactly as for a real project.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import copier
import yaml

from tests.conftest import ROOT

_MODEL_JSON = """\
{%- import 'includes/model/stack.jinja' as stack with context -%}
{%- import 'includes/model/network.jinja' as network with context -%}
{{ {'function': stack.function, 'config': stack.config, 'tags': stack.tags,
    'environment': stack.environment, 'grants': stack.grants, 'key_grants': stack.key_grants,
    'alarms': stack.alarms, 'resources': stack.resources, 'source': stack.source,
    'destinations': stack.destinations, 'outputs': stack.outputs,
    'checkov_skips': stack.checkov_skips, 'boundary': stack.boundary,
    'log_group_checkov_skips': stack.log_group_checkov_skips,
    'role_checkov_skips': stack.role_checkov_skips, 'network': network.network,
    'runtime_services': network.services, 'secret': stack.secret,
    'budget': stack.budget, 'sdk': stack.sdk,
    'signing': stack.signing, 'terraform_checkov_skips': stack.terraform_checkov_skips} | to_json }}
"""
# What only a real project needs: the post-generation check, migrations and the closing message.
_LEFT_OUT = ("_tasks", "_migrations", "_message_after_copy", "_skip_if_exists")


def _inline_template(directory: Path) -> Path:
    questions = yaml.safe_load((ROOT / "copier.yml").read_text())
    for key in _LEFT_OUT:
        questions.pop(key, None)
    questions["_subdirectory"] = "out"
    (directory / "copier.yml").write_text(yaml.safe_dump(questions, sort_keys=False))
    for shared in ("includes", "validation"):
        # Copied, not linked: copier refuses to read through a link out of the template.
        shutil.copytree(ROOT / shared, directory / shared)
    (directory / "out").mkdir()
    (directory / "out" / "model.json.jinja").write_text(_MODEL_JSON)
    return directory


@cache
def _template() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="stack-model-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return _inline_template(directory)


@cache
def _model(answers: tuple[tuple[str, Any], ...]) -> str:
    with TemporaryDirectory() as destination:
        copier.run_copy(
            str(_template()),
            destination,
            data=dict(answers),
            defaults=True,
            unsafe=True,  # _external_data reads the template's own files
            quiet=True,
        )
        return (Path(destination) / "model.json").read_text()


def stack_model(**answers: Any) -> dict[str, Any]:
    """The model for these answers (the others defaulted), as JSON data: tuples become lists.

    Raises copier's ValueError when an answer is refused, as `copier copy` would.
    """
    model: dict[str, Any] = json.loads(_model(tuple(sorted(answers.items()))))
    return model


def alarm(model: dict[str, Any], alarm_id: str) -> dict[str, Any]:
    """The model's alarm with this id (KeyError if the stack has none)."""
    found: dict[str, Any] = {entry["id"]: entry for entry in model["alarms"]}[alarm_id]
    return found
