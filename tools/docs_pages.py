"""The documentation site's generated pages, written from the files they describe so they cannot
drift: `docs/questions.md` from `copier.yml`; `docs/choosing.md`, `docs/practices-gate.md` and
`docs/alarms.md` from renders of the template (tools/model_pages.py). (The benchmark page includes
`benchmarks/results.md`, which `make bench` writes from `benchmarks/results.json`.)

    python -m tools.docs_pages          # rewrite the generated pages
    python -m tools.docs_pages --check  # exit 1 naming each page that differs

tests/test_docs_site.py runs the check and the site's strict build.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tools import model_pages
from tools.rendered_docs import RenderedDocs, render_docs

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS_PAGE = ROOT / "docs" / "questions.md"
CHOOSING_PAGE = ROOT / "docs" / "choosing.md"
GATE_PAGE = ROOT / "docs" / "practices-gate.md"
ALARMS_PAGE = ROOT / "docs" / "alarms.md"


def _text(value: Any) -> str:
    """A help text or label as Markdown prose: HTML-escaped, so `<slug>` stays visible."""
    return html.escape(" ".join(str(value).split()), quote=False)


def _code(value: Any) -> str:
    """A value or a Jinja expression as inline code, on one line."""
    text = " ".join(value.split()) if isinstance(value, str) else json.dumps(value)
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if fence == "`" else f"{fence} {text} {fence}"


def _default(question: Mapping[str, Any]) -> str:
    default = question.get("default")
    if isinstance(default, str) and "{{" in default:
        return f"derived: {_code(default)}"
    if default is None:
        return "none"
    if default == "":
        return "empty"
    return _code(default)


def _choices(choices: Any) -> list[str]:
    """Markdown lines listing a question's choices: `value`: label, or the values alone."""
    if isinstance(choices, Mapping):
        return [
            # A choice with its own validator is a mapping of its value and that validator.
            f"    - {_code(value['value'] if isinstance(value, Mapping) else value)}: "
            f"{_text(label)}"
            for label, value in choices.items()
        ]
    if isinstance(choices, list):
        return ["    - " + ", ".join(_code(value) for value in choices)]
    return [f"    - derived: {_code(choices)}"]


def questions_page(copier_yml: str) -> str:
    """The page of every question `copier_yml` asks, in the order copier asks them, then its
    derived values (`when: false`, never asked, never stored).

    Args:
        copier_yml: the text of the template's copier.yml.

    Returns:
        The page's Markdown, ending with a newline.

    Raises:
        yaml.YAMLError: when `copier_yml` is not YAML.
        KeyError: when a question has no `type`.
    """
    questions = {
        name: spec
        for name, spec in yaml.safe_load(copier_yml).items()
        if not name.startswith("_") and isinstance(spec, Mapping)
    }
    asked = {name: spec for name, spec in questions.items() if spec.get("when") is not False}
    derived = {name: spec for name, spec in questions.items() if spec.get("when") is False}
    lines = [
        "# Every question",
        "",
        "Generated from `copier.yml` by `python -m tools.docs_pages`; a test fails when this page",
        "and the file differ. [Options](options.md) says what each answer changes in the rendered",
        "repo. Every answer is checked by its validator, whose message names the question and the",
        "values it accepts.",
        "",
        f"{len(asked)} questions, in the order copier asks them:",
        "",
    ]
    for name, spec in asked.items():
        lines += [f"## `{name}`", "", _text(spec.get("help", "")), ""]
        lines.append(f"- Type: `{spec['type']}`")
        lines.append(f"- Default: {_default(spec)}")
        if "when" in spec:
            lines.append(f"- Asked when: {_code(spec['when'])}")
        if "choices" in spec:
            lines.append("- Choices:")
            lines += _choices(spec["choices"])
        lines.append("")
    lines += [
        "## Derived values",
        "",
        "Never asked and never stored in `.copier-answers.yml`: `copier update` computes them",
        "again from the answers.",
        "",
    ]
    lines += [
        f"- `{name}` (`{spec['type']}`): {_code(spec.get('default'))}"
        for name, spec in derived.items()
    ]
    return "\n".join(lines) + "\n"


def rendered_pages(copier_yml: str) -> dict[Path, str]:
    """The pages made from renders of the template: each trigger with every other answer at
    its default, and the default trigger with each other IaC tool (about 1.5 s a render).

    Raises:
        copier.errors.CopierError: when the template does not render.
    """
    questions = yaml.safe_load(copier_yml)
    triggers = list(model_pages.choices(copier_yml, "trigger"))
    tools = list(model_pages.choices(copier_yml, "iac_tool"))
    default_trigger = questions["trigger"]["default"]
    default_tool = questions["iac_tool"]["default"]
    renders: dict[tuple[str, str], RenderedDocs] = {}
    with tempfile.TemporaryDirectory(prefix="docs-renders-") as scratch:
        for trigger in triggers:
            renders[trigger, default_tool] = render_docs(
                ROOT, {"trigger": trigger}, Path(scratch) / trigger
            )
        for tool in tools:
            if tool != default_tool:
                renders[default_trigger, tool] = render_docs(
                    ROOT, {"iac_tool": tool}, Path(scratch) / tool
                )
    by_trigger = {trigger: renders[trigger, default_tool] for trigger in triggers}
    by_tool = {tool: renders[default_trigger, tool] for tool in tools}
    return {
        CHOOSING_PAGE: model_pages.choosing_page(copier_yml, by_trigger, by_tool),
        GATE_PAGE: model_pages.gate_page(renders, triggers),
        ALARMS_PAGE: model_pages.alarms_page(by_trigger),
    }


def pages() -> dict[Path, str]:
    """Each generated page's path and the text it must hold."""
    copier_yml = (ROOT / "copier.yml").read_text(encoding="utf-8")
    return {QUESTIONS_PAGE: questions_page(copier_yml), **rendered_pages(copier_yml)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail on a page that would change")
    args = parser.parse_args(argv)
    stale = []
    for path, text in pages().items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        if args.check:
            stale.append(path.relative_to(ROOT))
        else:
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{path} is stale: run `python -m tools.docs_pages`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
