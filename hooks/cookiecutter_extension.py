"""cookiecutter's Jinja extension for this template: answers stay text, and hooks find the template.

cookiecutter.json lists this class in `_extensions`; cookiecutter imports it (with the template's
directory on sys.path) into every Jinja environment it builds: the prompting one, the one that
creates the project directory, and one per hook script. It does two things there.

Answers are text, never templates. cookiecutter renders every value of its context with Jinja
before prompting, defaults and overrides alike, so an answer passed with --no-input
(`description='{{ 7*7 }}'`), in a config file's default_context or through the API would be
evaluated, in an environment that is not sandboxed: a portal passing user text would run the
user's code. An answer holding Jinja syntax is refused, naming the question, before anything is
evaluated or written; typed answers (never evaluated by cookiecutter, but refused alike so that
the same text gets the same verdict on every path) are refused before the project directory is
created. A second line of defence, independent of how cookiecutter is built: every source
compiled from a string must be one of the template's own (a default of cookiecutter.json, a hook
script, a name in the template tree) or hold no Jinja syntax at all.

The hooks learn where the template is. cookiecutter records a local template path as it was
given (often relative to a directory the hooks cannot know) and runs the hooks from the project
directory; but it renders each hook script with the template as its working directory (that is
how it finds them), so `template_dir()` called there returns the template's absolute path.

Unlike the hooks/*.py scripts, this module runs inside cookiecutter's own process, so it imports
Jinja and cookiecutter.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from cookiecutter.exceptions import FailedHookException  # type: ignore[import-untyped]
from jinja2 import Environment
from jinja2.ext import Extension

# This file's own copy of the template; cookiecutter can keep this module imported while it
# renders another copy in the same process, so the working directory is asked first.
HERE = Path(__file__).resolve().parent.parent
# Hook scripts cookiecutter runs (it renders each with Jinja first).
HOOK_NAMES = frozenset({"pre_prompt", "pre_gen_project", "post_gen_project"})


class AnswerRefused(FailedHookException):  # type: ignore[misc]
    """An answer holds Jinja syntax. A FailedHookException: the template refused its answers.

    cookiecutter's command line prints these as one line and exits 1; API callers get the same
    exception type as for an answer the pre-generation hook refuses.
    """


def is_template_copy(directory: Path) -> bool:
    """Whether `directory` holds a copy of this template (cookiecutter.json and its bridge)."""
    return (directory / "cookiecutter.json").is_file() and (
        directory / "hooks" / "cookiecutter_bridge.py"
    ).is_file()


def template_dir() -> str:
    """The absolute path of the template whose hook script cookiecutter is rendering."""
    cwd = Path.cwd()
    return str(cwd if is_template_copy(cwd) else HERE)


def jinja_markers(environment: Environment) -> tuple[str, ...]:
    """What starts Jinja syntax in `environment` (its delimiters may be reconfigured)."""
    markers = (
        environment.block_start_string,
        environment.variable_start_string,
        environment.comment_start_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
    )
    return tuple(marker for marker in markers if marker)


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON-like value: itself, list items, mapping keys and values."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _defaults(template: Path) -> dict[str, Any]:
    with (template / "cookiecutter.json").open(encoding="utf-8") as handle:
        defaults: dict[str, Any] = json.load(handle)
    return defaults


def own_sources(template: Path) -> set[str]:
    """Every text cookiecutter compiles from `template` itself: defaults, hooks, tree names."""
    sources = set(_strings(_defaults(template)))
    hooks = template / "hooks"
    if hooks.is_dir():
        sources.update(
            path.read_text(encoding="utf-8")
            for path in hooks.iterdir()
            if path.is_file() and path.stem in HOOK_NAMES and not path.name.endswith("~")
        )
    for entry in template.iterdir():
        sources.add(entry.name)
        if entry.is_dir() and "cookiecutter" in entry.name:
            # The project tree: cookiecutter renders each path below it, relative to it.
            sources.update(os.path.normpath(path.relative_to(entry)) for path in entry.rglob("*"))
    return sources


def _template_copies() -> Iterator[Path]:
    """Copies of this template cookiecutter may be using: the working directory, sys.path, ours.

    cookiecutter appends the template's directory to sys.path while it renders, and runs in it
    while it renders the hooks; a relative sys.path entry is relative to the working directory.
    """
    seen: set[Path] = set()
    for candidate in (Path.cwd(), *(Path(entry or ".") for entry in reversed(sys.path)), HERE):
        try:
            directory = candidate.resolve()
        except OSError:
            continue
        if directory not in seen and is_template_copy(directory):
            seen.add(directory)
            yield directory


def _context_being_rendered() -> Mapping[str, Any] | None:
    """cookiecutter's context ({"cookiecutter": answers}), read from the frame building this
    environment (`create_env_with_context(context)`); None when cookiecutter builds it otherwise.
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        context = frame.f_locals.get("context")
        if isinstance(context, Mapping) and isinstance(context.get("cookiecutter"), Mapping):
            return context
        frame = frame.f_back
    return None


class TemplateGuard(Extension):
    """Refuses answers holding Jinja syntax; gives hook scripts `template_dir()`."""

    def __init__(self, environment: Environment) -> None:
        """Check the answers of the context this environment is built for, before any render."""
        super().__init__(environment)
        environment.globals["template_dir"] = template_dir
        self._markers = jinja_markers(environment)
        copies = list(_template_copies())
        self._own: set[str] = set().union(*(own_sources(copy) for copy in copies))
        rendering = _context_being_rendered()
        self._answers: Mapping[str, Any] = rendering["cookiecutter"] if rendering else {}
        # An answer may be its question's own default expression (cookiecutter passes the
        # defaults through this context before rendering them); any other Jinja is refused.
        defaults: dict[str, set[str]] = {}
        for copy in copies:
            for name, default in _defaults(copy).items():
                defaults.setdefault(name, set()).update(_strings(default))
        for name, answer in self._answers.items():
            if name not in defaults:
                continue  # cookiecutter's own keys (_template, _output_dir...): never rendered
            for text in _strings(answer):
                if text not in defaults[name]:
                    self._refuse_if_jinja(text, name)

    def _marker_in(self, text: str) -> str | None:
        return next((marker for marker in self._markers if marker in text), None)

    def _refuse_if_jinja(self, text: str, name: str | None) -> None:
        marker = self._marker_in(text)
        if marker is None:
            return
        question = f"the answer to '{name}'" if name else "an answer"
        raise AnswerRefused(
            f"copier-aws-lambda: {question} contains Jinja syntax ({marker!r}); cookiecutter "
            "evaluates Jinja in answers, so this template takes plain text only: give it without "
            + " or ".join(repr(marker) for marker in self._markers)
        )

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        """Let through the template's own sources and text without Jinja syntax; refuse the rest."""
        if name is not None or source in self._own or self._marker_in(source) is None:
            return source  # a file of the template tree, its own text, or text without Jinja
        question = next(
            (key for key, answer in self._answers.items() if source in set(_strings(answer))),
            None,
        )
        self._refuse_if_jinja(source, question)
        return source
