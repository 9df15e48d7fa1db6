"""Validate a freshly rendered project before anyone builds on it.

Copier runs this after rendering, in copier's own interpreter, so only the standard
library and PyYAML (a copier dependency) are available here.

Usage: python hooks/post_gen.py [DEST]    (DEST defaults to the current directory)

Exit status is 0 when the tree is clean, 1 when any problem was found (one line per
problem on stderr) and 2 on a usage error (DEST not a directory, unknown option).

Start-up cost matters: this runs as a fresh interpreter after every render, and the whole
render is budgeted at twice copier's own start-up. So the module imports only what `re`
and PyYAML load anyway (no argparse, dataclasses, pathlib or typing: together they cost
about as much as validating a whole project) and parses with libyaml when PyYAML was
built with it.
"""

# pathlib is one of the avoided imports, hence os.path and open() throughout.
# ruff: noqa: PTH112, PTH122, PTH123

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Iterator

import yaml

# Annotations are strings (see the __future__ import) and mypy takes this branch, so
# typing never has to be imported at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    _SafeLoader = yaml.SafeLoader
else:
    # libyaml parses a SAM template about ten times faster than the pure-Python
    # scanner; both share SafeConstructor, so they accept and build the same data.
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Tool, VCS and build state: not rendered by the template, and often large or binary.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "__pycache__",
        "node_modules",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "build",
        "cdk.out",
        ".terraform",
    }
)

# Same heuristic as git: a NUL byte near the start means the file is binary.
BINARY_SNIFF_BYTES = 8192

# Leftover Jinja detection.
#
# Every Jinja construct starts with an opener ({{, {% or {#), and a construct that spans
# lines still has its opener on the first one, so the openers alone catch a forgotten
# `{{ project_name }}` or `{% if x %}`. The closers are deliberately not signals: `}}`
# ends nested dicts in Python, JSON and TOML inline tables, `%}` ends percentage format
# specs such as f"{ratio:.1%}", and `#}` can end a comment; flagging them would reject
# valid rendered code while catching nothing the openers miss.
#
# Two kinds of text legitimately contain `{{` and are blanked out before scanning:
# GitHub Actions expressions `${{ ... }}` (closing `}}` included, and any format()
# braces inside them) and CloudFormation dynamic references `{{resolve:...}}`.
# `{#` right after `$` is shell's `${#var}` (length / argument count), not an opener.
# Trade-off: a rendered file that really needs another literal `{{` (an f-string brace
# escape, a Go template) is reported and has to be written differently.
ALLOWED_BRACES = re.compile(r"\$\{\{.*?\}\}|\{\{resolve:.*?\}\}", re.DOTALL)
JINJA_OPENER = re.compile(r"\{\{|\{%|(?<!\$)\{#")
# In paths no dict literal can occur, so closers are as telling as openers there.
JINJA_IN_PATH = re.compile(r"\{\{|\}\}|\{%|%\}")

# Terraform: HCL has no stdlib parser, so a regex finds the value of an action list
# (`actions` / `not_actions` in aws_iam_policy_document, `Action` / `NotAction` in
# jsonencode() objects or heredoc JSON) and every quoted string in it is inspected.
TF_ACTIONS = re.compile(
    r"\b(?P<key>not_actions|actions|NotAction|Action)\b\"?\s*[=:]\s*"
    r"(?P<value>\[[^\]]*\]|\"[^\"\n]*\")"
)
TF_STRING = re.compile(r"\"([^\"\n]*)\"")
TF_DENY = re.compile(r"\b[Ee]ffect\"?\s*[=:]\s*\"Deny\"")


def format_problem(rel: str, reason: str) -> str:
    """One validation failure as reported: against a path relative to the destination."""
    return f"post_gen: {rel}: {reason}"


class CloudFormationLoader(_SafeLoader):
    """Safe loader that accepts any local `!Tag` (CloudFormation short-form intrinsics)."""


def _construct_tagged(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    # The tag is dropped and the plain value kept: the IAM check only needs to see the
    # strings inside `!If`, `!Sub` and friends, not what the function would evaluate to.
    del tag_suffix
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise yaml.constructor.ConstructorError(None, None, "unexpected node", node.start_mark)


CloudFormationLoader.add_multi_constructor("!", _construct_tagged)


def iter_files(root: str, rel: str = "") -> Iterator[tuple[str, str]]:
    """Yield (path, path relative to root) of regular files, pruning SKIP_DIRS.

    Order is stable (os.walk's top-down order with names sorted) so reports are too.
    """
    with os.scandir(root) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    subdirs = []
    for entry in entries:
        # Symlinks are not something copier renders; a dangling one would not read.
        if entry.is_file(follow_symlinks=False):
            yield entry.path, rel + entry.name
        elif entry.is_dir(follow_symlinks=False) and entry.name not in SKIP_DIRS:
            subdirs.append(entry)
    for entry in subdirs:
        yield from iter_files(entry.path, f"{rel}{entry.name}/")


def check_path(rel: str) -> list[str]:
    """Reasons the file name itself shows an unrendered template."""
    reasons = []
    if rel.endswith(".jinja"):
        reasons.append("file name still ends in .jinja")
    if JINJA_IN_PATH.search(rel):
        reasons.append("path still contains Jinja syntax")
    return reasons


def check_jinja_leftovers(text: str) -> list[str]:
    """One reason per file naming the first leftover Jinja opener, to keep output short."""
    # Replace allowed spans with spaces, not nothing, so offsets still map to line numbers.
    scrubbed = ALLOWED_BRACES.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    hits = list(JINJA_OPENER.finditer(scrubbed))
    if not hits:
        return []
    lines = sorted({scrubbed.count("\n", 0, m.start()) + 1 for m in hits})
    more = f" (and {len(lines) - 1} more lines)" if len(lines) > 1 else ""
    return [f"line {lines[0]}: leftover Jinja syntax '{hits[0].group()}'{more}"]


def check_python(text: str, rel: str) -> list[str]:
    """Compile without executing or writing bytecode."""
    try:
        # dont_inherit: this module's own __future__ imports must not leak into the check.
        compile(text, rel, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return [f"line {exc.lineno}: Python syntax error: {exc.msg}"]
    except ValueError as exc:  # NUL bytes beyond the binary sniff window
        return [f"Python source rejected: {exc}"]
    return []


def _one_line(message: str) -> str:
    return " ".join(message.split())


def load_documents(text: str, suffix: str) -> list[Any]:
    """Parse a JSON or (multi-document) YAML file into its documents."""
    if suffix == ".json":
        return [json.loads(text)]
    return list(yaml.load_all(text, Loader=CloudFormationLoader))


def parse_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}: invalid JSON: {exc.msg}"
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        return f"line {exc.problem_mark.line + 1}: invalid YAML: {_one_line(exc.problem or '')}"
    return f"invalid YAML: {_one_line(str(exc))}"


def _pointer_token(key: object) -> str:
    # RFC 6901 escaping, so keys containing '/' cannot fake a deeper path.
    return str(key).replace("~", "~0").replace("/", "~1")


def _strings(value: Any) -> Iterator[str]:
    # Recurse so wildcards hidden in intrinsics (Fn::If branches, lists) are still seen.
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def statement_problem(statement: dict[Any, Any]) -> str | None:
    """Why an IAM-statement-shaped dict grants too much, or None if it does not."""
    # A Deny with a wildcard restricts rather than grants (e.g. the usual "deny s3:* unless
    # aws:SecureTransport" bucket policy), so only Allow statements are judged. A missing
    # or computed Effect is treated as Allow, the conservative reading.
    if statement.get("Effect") == "Deny":
        return None
    if "NotAction" in statement:
        return "IAM statement uses NotAction, which allows every other action"
    wildcards = [action for action in _strings(statement.get("Action")) if "*" in action]
    if wildcards:
        return f"IAM statement allows wildcard action {', '.join(map(repr, wildcards))}"
    return None


def iter_iam_problems(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Yield (pointer, reason) for every over-broad IAM statement anywhere in node."""
    if isinstance(node, dict):
        if "Action" in node or "NotAction" in node:
            reason = statement_problem(node)
            if reason:
                yield pointer or "/", reason
        for key, value in node.items():
            yield from iter_iam_problems(value, f"{pointer}/{_pointer_token(key)}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from iter_iam_problems(item, f"{pointer}/{index}")


def check_structured(text: str, suffix: str) -> list[str]:
    try:
        documents = load_documents(text, suffix)
    except (ValueError, yaml.YAMLError) as exc:  # JSONDecodeError is a ValueError
        return [parse_error(exc)]
    reasons = []
    for number, document in enumerate(documents, start=1):
        # Only multi-document YAML needs to say which document the pointer is in.
        prefix = f"document {number}: " if len(documents) > 1 else ""
        reasons += [f"{prefix}{where}: {why}" for where, why in iter_iam_problems(document)]
    return reasons


def _enclosing_block(text: str, index: int) -> str:
    """The innermost `{ ... }` around index (HCL statement block or JSON object), or ""."""
    depth = 0
    for start in range(index - 1, -1, -1):
        if text[start] == "}":
            depth += 1
        elif text[start] == "{":
            if depth == 0:
                break
            depth -= 1
    else:
        return ""
    depth = 0
    for end in range(index, len(text)):
        if text[end] == "{":
            depth += 1
        elif text[end] == "}":
            if depth == 0:
                return text[start : end + 1]
            depth -= 1
    return text[start:]


def check_terraform(text: str) -> list[str]:
    """Regex-level IAM check for HCL; see TF_ACTIONS for what it covers."""
    reasons = []
    for match in TF_ACTIONS.finditer(text):
        # Same rule as for JSON/YAML: a Deny statement may use wildcards.
        if TF_DENY.search(_enclosing_block(text, match.start())):
            continue
        line = text.count("\n", 0, match.start()) + 1
        key = match["key"]
        if key.startswith(("not_", "Not")):
            reasons.append(f"line {line}: IAM {key} allows every other action")
            continue
        wildcards = [s for s in TF_STRING.findall(match["value"]) if "*" in s]
        if wildcards:
            listed = ", ".join(map(repr, wildcards))
            reasons.append(f"line {line}: IAM {key} allows wildcard action {listed}")
    return reasons


def check_file(path: str, rel: str) -> list[str]:
    """Every reason this file fails validation; empty when it passes."""
    reasons = check_path(rel)
    with open(path, "rb") as stream:
        data = stream.read()
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return reasons
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [*reasons, f"not valid UTF-8 text (byte {exc.start})"]
    reasons += check_jinja_leftovers(text)
    suffix = os.path.splitext(rel)[1].lower()
    if suffix == ".py":
        reasons += check_python(text, rel)
    elif suffix in {".json", ".yml", ".yaml"}:
        reasons += check_structured(text, suffix)
    elif suffix == ".tf":
        reasons += check_terraform(text)
    return reasons


def validate(root: str) -> tuple[int, list[str]]:
    """Check every file under root; return how many were checked and the problems found."""
    checked = 0
    problems: list[str] = []
    for path, rel in iter_files(root):
        checked += 1
        problems += [format_problem(rel, reason) for reason in check_file(path, rel)]
    return checked, problems


def next_steps(checked: int, dest: str) -> str:
    # Copier runs tasks from inside the destination, so "cd ." would be useless: always
    # show the absolute path, quoted in case it contains spaces.
    return "\n".join(
        [
            f"Project rendered and validated: {checked} files checked in {dest}.",
            "Next steps:",
            f"  cd {shlex.quote(dest)}",
            "  make install     # create the virtual environment (uv)",
            "  make test        # lint, type check, unit and integration tests",
            "  make validate    # SAM translate + cfn-lint, checkov",
            "  make deploy ENV=dev",
        ]
    )


USAGE = "usage: post_gen.py [-h] [DEST]"
HELP = f"""{USAGE}

Validate a rendered project tree.

positional arguments:
  DEST        rendered project directory (default: the current directory)
"""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["--"]:
        args = args[1:]
    elif any(arg in {"-h", "--help"} for arg in args):
        print(HELP, end="")
        return 0
    elif any(arg.startswith("-") and arg != "-" for arg in args):
        print(f"{USAGE}\npost_gen.py: error: unknown option in {args}", file=sys.stderr)
        return 2
    if len(args) > 1:
        print(f"{USAGE}\npost_gen.py: error: at most one DEST, got {args}", file=sys.stderr)
        return 2
    given = args[0] if args else "."
    dest = os.path.realpath(given)
    if not os.path.isdir(dest):
        print(f"post_gen: {given}: not a directory", file=sys.stderr)
        return 2
    checked, problems = validate(dest)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(next_steps(checked, dest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
