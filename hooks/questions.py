"""copier.yml is the one source of the questions; this module derives cookiecutter's view of them.

`python hooks/questions.py` rewrites cookiecutter.json; a test fails when the two drift apart.
Only stdlib and PyYAML: it also runs inside cookiecutter's hooks.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, TypeGuard

import yaml

ROOT = Path(__file__).resolve().parent.parent
COPIER_YML = ROOT / "copier.yml"
COOKIECUTTER_JSON = ROOT / "cookiecutter.json"

# copier's defaults use ansible's regex filters, which cookiecutter's Jinja lacks; cookiecutter's
# own slugify gives the same slug for names the project_name validator accepts.
_COOKIECUTTER_DEFAULTS = {
    "project_slug": "{{ cookiecutter.project_name | slugify }}",
}
# cookiecutter's Jinja extensions, imported with the template's directory on sys.path: the guard
# that keeps answers plain text and tells the hooks where the template is.
EXTENSIONS = ["hooks.cookiecutter_extension.TemplateGuard"]


def questions() -> dict[str, dict[str, Any]]:
    """The asked questions of copier.yml, in order (settings `_*` and derived values left out)."""
    spec: dict[str, Any] = yaml.safe_load(COPIER_YML.read_text())
    return {
        name: question
        for name, question in spec.items()
        if not name.startswith("_") and question.get("when") is not False
    }


def _choice_values(question: dict[str, Any]) -> list[Any]:
    choices = question["choices"]
    if isinstance(choices, list):
        return list(choices)
    return [value["value"] if isinstance(value, dict) else value for value in choices.values()]


def _cookiecutter_default(name: str, question: dict[str, Any], names: list[str]) -> Any:
    if name in _COOKIECUTTER_DEFAULTS:
        return _COOKIECUTTER_DEFAULTS[name]
    default = question.get("default")
    if _derived(default):
        # Same expression, with the answers read from cookiecutter's namespace.
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
        return pattern.sub(r"cookiecutter.\1", default)
    return default


def _derived(default: Any) -> TypeGuard[str]:
    """Whether a default is a Jinja expression over earlier answers."""
    return isinstance(default, str) and "{{" in default


def cookiecutter_context() -> dict[str, Any]:
    """cookiecutter.json: copier.yml's questions with their defaults, choices and help texts."""
    asked = questions()
    names = list(asked)
    context: dict[str, Any] = {}
    prompts: dict[str, Any] = {}
    for name, question in asked.items():
        default = _cookiecutter_default(name, question, names)
        if "choices" in question and _derived(default):
            # cookiecutter checks a choice given on its command line against the list as written,
            # before rendering it: a default derived from earlier answers makes the question a
            # text one, its choices named in the prompt and checked by copier's validator.
            context[name] = default
            listed = ", ".join(str(value) for value in _choice_values(question))
            prompts[name] = f"{question['help']} (one of {listed})"
        elif "choices" in question:
            values = _choice_values(question)
            if question.get("type") == "str":
                # cookiecutter compares a choice given on its command line, always text, with the
                # list's items: a str question's choices are text, as copier casts its answers.
                values, default = [str(value) for value in values], str(default)
            # cookiecutter offers a list's first item as the default.
            values.remove(default)
            context[name] = [default, *values]
            labels = question["choices"]
            prompts[name] = {"__prompt__": question["help"]}
            if isinstance(labels, dict):
                for label, value in labels.items():
                    prompts[name][str(value["value"] if isinstance(value, dict) else value)] = label
        else:
            context[name] = default
            prompts[name] = question["help"]
    context["_extensions"] = EXTENSIONS
    context["__prompts__"] = prompts
    return context


def render_cookiecutter_json() -> str:
    """cookiecutter.json's text, as `python hooks/questions.py` writes it."""
    return json.dumps(cookiecutter_context(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    COOKIECUTTER_JSON.write_text(render_cookiecutter_json())
    print(f"wrote {COOKIECUTTER_JSON.relative_to(ROOT)} from copier.yml", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
