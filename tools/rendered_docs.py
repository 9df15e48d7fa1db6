"""The documents of a rendered repo, as the site's generated pages read them: the template is
rendered by the real copier (only README.md and docs/practices.md, tasks skipped), so a page made
from them says what a user's render says, read from the same stack model.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier

# Only the documents the pages read: a full render with its post-generation check takes 4 s, this
# about 1.5 s, and the site renders twelve answer sets.
DOCUMENTS = ("README.md", "docs/practices.md", "docs/runbook.md")

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6}) ")
# A Markdown link whose target is not a web address: a path or anchor of the rendered repo.
_LOCAL_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://)[^)]*\)")


@dataclass(frozen=True)
class RenderedDocs:
    """The README, practices page and runbook of one rendered answer set.

    Attributes:
        readme: README.md's Markdown.
        practices: docs/practices.md's Markdown.
        runbook: docs/runbook.md's Markdown.
    """

    readme: str
    practices: str
    runbook: str


def render_docs(template: Path, answers: Mapping[str, Any], destination: Path) -> RenderedDocs:
    """Render `template`'s working tree (uncommitted changes included) with `answers`, every
    other question at its default, and read the documents.

    Args:
        template: the template's root (its copier.yml).
        answers: answers by question name.
        destination: an empty or missing directory to render into.

    Raises:
        copier.errors.CopierError: when copier refuses an answer or the template.
    """
    with warnings.catch_warnings():
        # Rendering the working tree with its uncommitted changes is the point.
        warnings.simplefilter("ignore", copier.errors.DirtyLocalWarning)
        _copy(template, answers, destination)
    return RenderedDocs(
        readme=(destination / "README.md").read_text(encoding="utf-8"),
        practices=(destination / "docs" / "practices.md").read_text(encoding="utf-8"),
        runbook=(destination / "docs" / "runbook.md").read_text(encoding="utf-8"),
    )


def _copy(template: Path, answers: Mapping[str, Any], destination: Path) -> None:
    copier.run_copy(
        str(template),
        str(destination),
        data=dict(answers),
        defaults=True,
        # The template's own task, a check of a full render, would fail on this partial one; the
        # trust is in this repository's own template.
        unsafe=True,
        skip_tasks=True,
        vcs_ref="HEAD",
        quiet=True,
        exclude=["*", *(f"!{path}" for path in DOCUMENTS), "!docs/"],
    )


def section(markdown: str, heading: str) -> str:
    """The body of the `## heading` section of `markdown`, up to the next `## ` heading, with
    no leading or trailing blank line.

    Raises:
        KeyError: when `markdown` has no such section.
    """
    lines = markdown.splitlines()
    fenced = _fence_flags(lines)
    starts = [i for i, line in enumerate(lines) if not fenced[i] and line == f"## {heading}"]
    if not starts:
        raise KeyError(f"no section '## {heading}'")
    body: list[str] = []
    for i in range(starts[0] + 1, len(lines)):
        if not fenced[i] and re.match(r"#{1,2} ", lines[i]):
            break
        body.append(lines[i])
    return "\n".join(body).strip("\n")


def table(markdown: str) -> list[dict[str, str]]:
    """The first pipe table of `markdown` as rows keyed by its header cells.

    Raises:
        ValueError: when `markdown` has no table, or a row has more cells than the header.
    """
    lines: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            lines.append(line)
        elif lines:
            break
    if len(lines) < 2:
        raise ValueError("no pipe table")
    header = cells(lines[0])
    rows = []
    for line in lines[2:]:
        values = cells(line)
        if len(values) > len(header):
            raise ValueError(f"a row with {len(values)} cells under {len(header)}: {line}")
        rows.append(dict(zip(header, values, strict=False)))
    return rows


def cells(line: str) -> list[str]:
    """The cells of one pipe table row, stripped: a `|` inside backticks or escaped as `\\|` is
    text, not a border."""
    found: list[str] = []
    current: list[str] = []
    in_code = False
    escaped = False
    for char in line.strip().removeprefix("|").removesuffix("|"):
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == "`":
            current.append(char)
            in_code = not in_code
        elif char == "|" and not in_code:
            found.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    found.append("".join(current).strip())
    return found


def mermaid(markdown: str) -> str:
    """The first mermaid diagram of `markdown`, its fence included.

    Raises:
        ValueError: when `markdown` has none.
    """
    found = re.search(r"^```mermaid\n.*?^```$", markdown, re.MULTILINE | re.DOTALL)
    if not found:
        raise ValueError("no mermaid diagram")
    return found.group(0)


def nested(markdown: str, levels: int) -> str:
    """`markdown` with each heading outside code fences `levels` deeper (at most `######`), and
    each link into the rendered repo (a path or an anchor) kept as its text: on the site it would
    point nowhere."""
    lines = markdown.splitlines()
    fenced = _fence_flags(lines)
    out = []
    for line, in_fence in zip(lines, fenced, strict=True):
        if in_fence:
            out.append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            depth = min(len(heading.group(1)) + levels, 6)
            out.append(_LOCAL_LINK.sub(r"\1", "#" * depth + line[len(heading.group(1)) :]))
        else:
            out.append(_LOCAL_LINK.sub(r"\1", line))
    return "\n".join(out)


def _fence_flags(lines: list[str]) -> list[bool]:
    """For each line, whether it is inside (or opens or closes) a code fence."""
    flags = []
    inside = False
    for line in lines:
        if _FENCE.match(line):
            flags.append(True)
            inside = not inside
        else:
            flags.append(inside)
    return flags
