"""Validate a freshly rendered project before anyone builds on it.

Copier runs this after rendering a new project (`copier copy`, and the cookiecutter entry,
which renders with copier), in copier's own interpreter: only the standard library and
PyYAML (a copier dependency) are available, and the interpreter may be any Python copier
runs on (3.10+), older than the project's own. So Python sources are compiled by the
project's Python (.python-version): in-process when the host is at least that version,
else by one run of such an interpreter found on the machine (python3.X on PATH, pyenv,
`uv python find`); with none, the syntax check is skipped and the output says so (the
rendered repo's `make check` compiles everything). TOML is parsed where the host has
tomllib (3.11+). A destination that already held the project (its answers file tracked by
git: `copier recopy`, which copier runs as a copy) is not judged: its files are not all the
template's.

Usage: python hooks/post_gen.py [--template DIR] [DEST]
  DEST      the rendered project (default: the current directory)
  DIR       the template holding copier.yml, whose question and derived-value names are
            what a leftover `{{ name }}` is recognised by (default: this hook's template)

Exit status is 0 when the tree is clean, 1 when any problem was found (one line per
problem on stderr) and 2 on a usage error (DEST not a directory, copier.yml not readable,
unknown option).

Start-up cost matters: this runs as a fresh interpreter after every render, and the whole
render is budgeted at twice copier's own start-up. So the module imports only what `re`
and PyYAML load anyway (no argparse, dataclasses, pathlib or typing: together they cost
about as much as validating a whole project) and parses with libyaml when PyYAML was
built with it.
"""

# pathlib is one of the avoided imports, hence os.path and open() throughout.
# ruff: noqa: PTH100, PTH110, PTH111, PTH112, PTH118, PTH120, PTH122, PTH123, PTH208

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
# Besides these names, any directory holding pyvenv.cfg (a virtual environment under any
# name, such as the rendered Makefile's .tools/) is skipped.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "__pycache__",
        "node_modules",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".hypothesis",
        ".tox",
        ".nox",
        ".aws-sam",
        "build",
        "dist",
        "cdk.out",
        ".terraform",
    }
)
VENV_MARKER = "pyvenv.cfg"

# Same heuristic as git: a NUL byte near the start means the file is binary.
BINARY_SNIFF_BYTES = 8192

# Leftover Jinja detection.
#
# A leftover is a template construct, not any pair of braces: `{{` is everyday text in
# Python (f"{{{name}}}" escapes, "{{literal}}"), Go templates and docs. So a leftover is
#   - `{{` (not part of a longer run of braces) followed by a name the template defines:
#     a question or derived value of copier.yml, or one of copier's own context names;
#   - `{%` followed by a Jinja statement keyword (`{% if`, `{%- for`, `{% endif` ...);
#   - a comment opener `{#`, except right after `$` (shell's `${#var}`).
# A construct that spans lines still has its opener on the first one, and closers are
# never signals (`}}` ends nested dicts, `%}` ends f"{ratio:.1%}").
#
# Two kinds of text legitimately contain `{{` and are blanked out before scanning:
# GitHub Actions expressions `${{ ... }}` (closing `}}` included, and any format()
# braces inside them) and CloudFormation dynamic references `{{resolve:...}}`.
ALLOWED_BRACES = re.compile(r"\$\{\{.*?\}\}|\{\{resolve:.*?\}\}", re.DOTALL)
JINJA_STATEMENTS = [
    *("if", "elif", "else", "endif", "for", "endfor", "set", "endset", "macro", "endmacro"),
    *("call", "endcall", "filter", "endfilter", "block", "endblock", "extends", "include"),
    *("import", "from", "raw", "endraw", "with", "endwith", "autoescape", "endautoescape"),
    *("do", "break", "continue", "trans", "pluralize", "endtrans"),
]
# Names copier itself puts in the render context (cookiecutter's for its own entry).
CONTEXT_NAMES = [
    *("_copier_conf", "_copier_answers", "_copier_python", "_copier_phase"),
    *("_copier_operation", "_external_data", "_folder_name", "cookiecutter"),
]


def jinja_pattern(names: Iterator[str] | list[str]) -> re.Pattern[str]:
    """The leftover-construct pattern for a template defining `names` (see above)."""
    variables = "|".join(sorted(map(re.escape, {*names, *CONTEXT_NAMES}), reverse=True))
    statements = "|".join(JINJA_STATEMENTS)
    return re.compile(
        rf"(?<!\{{)\{{\{{(?!\{{)[-+]?\s*(?:{variables})(?!\w)"
        rf"|\{{%[-+]?\s*(?:{statements})(?!\w)"
        r"|(?<!\$)\{#"
    )


def template_names(template: str) -> list[str]:
    """Question and derived-value names of the template's copier.yml (every document)."""
    with open(os.path.join(template, "copier.yml"), "rb") as stream:
        documents = list(yaml.load_all(stream, Loader=CloudFormationLoader))
    return [
        name
        for document in documents
        if isinstance(document, dict)
        for name in document
        if isinstance(name, str) and not name.startswith("_")
    ]


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
    """Yield (path, path relative to root) of regular files, pruning SKIP_DIRS and venvs.

    Order is stable (os.walk's top-down order with names sorted) so reports are too.
    """
    with os.scandir(root) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    # A virtual environment is tool state whatever its name (.tools/, env/, ...); the
    # project root itself is never one.
    if rel and any(entry.name == VENV_MARKER for entry in entries):
        return
    subdirs = []
    for entry in entries:
        # Symlinks are not something copier renders; a dangling one would not read.
        if entry.is_file(follow_symlinks=False):
            yield entry.path, rel + entry.name
        elif entry.is_dir(follow_symlinks=False) and entry.name not in SKIP_DIRS:
            subdirs.append(entry)
    for entry in subdirs:
        yield from iter_files(entry.path, f"{rel}{entry.name}/")


def check_path(rel: str, jinja: re.Pattern[str]) -> list[str]:
    """Reasons the file name itself shows an unrendered template."""
    reasons = []
    if rel.endswith(".jinja"):
        reasons.append("file name still ends in .jinja")
    if jinja.search(rel):
        reasons.append("path still contains Jinja syntax")
    return reasons


def check_jinja_leftovers(text: str, jinja: re.Pattern[str]) -> list[str]:
    """One reason per file naming the first leftover Jinja construct, to keep output short."""
    # Replace allowed spans with spaces, not nothing, so offsets still map to line numbers.
    scrubbed = ALLOWED_BRACES.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    hits = list(jinja.finditer(scrubbed))
    if not hits:
        return []
    lines = sorted({scrubbed.count("\n", 0, m.start()) + 1 for m in hits})
    more = f" (and {len(lines) - 1} more lines)" if len(lines) > 1 else ""
    return [f"line {lines[0]}: leftover Jinja syntax '{hits[0].group()}'{more}"]


def _python_reason(lineno: int | None, message: str) -> str:
    # A ValueError (NUL bytes beyond the binary sniff window, on some versions) has no line.
    if lineno is None:
        return f"Python source rejected: {message}"
    return f"line {lineno}: Python syntax error: {message}"


def check_python(text: str, rel: str) -> list[str]:
    """Compile with this interpreter, without executing or writing bytecode."""
    try:
        # dont_inherit: this module's own __future__ imports must not leak into the check.
        compile(text, rel, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return [_python_reason(exc.lineno, exc.msg)]
    except ValueError as exc:
        return [_python_reason(None, str(exc))]
    return []


# What another interpreter runs (stdlib only, `-I -S`: no site, no environment): the same
# compile() as check_python for every (rel, text) pair on stdin, answered as JSON.
COMPILE_PROGRAM = """\
import json, sys
found = []
for rel, text in json.loads(sys.stdin.buffer.read().decode("utf-8")):
    try:
        compile(text, rel, "exec", dont_inherit=True)
    except SyntaxError as exc:
        found.append([rel, exc.lineno, exc.msg])
    except ValueError as exc:
        found.append([rel, None, str(exc)])
sys.stdout.write(json.dumps({"version": list(sys.version_info[:2]), "found": found}))
"""


def project_python(root: str) -> tuple[int, int] | None:
    """The project's Python as (major, minor) from its .python-version, or None."""
    try:
        with open(os.path.join(root, ".python-version"), encoding="utf-8") as stream:
            first = stream.readline()
    except (OSError, UnicodeDecodeError):
        return None
    match = re.match(r"\s*(\d+)\.(\d+)", first)
    return (int(match[1]), int(match[2])) if match else None


def find_pythons(target: tuple[int, int]) -> Iterator[str]:
    """Interpreters that may be `target` or newer, most likely first, found lazily.

    python3.X on PATH (the target's own minor first), then pyenv's versions directory,
    then `uv python find` when uv is on PATH. A candidate is only a guess (a pyenv shim
    may exist for a version that is not selected): the caller checks what it reports.
    """
    # Imported here: only hosts older than the project pay for them.
    import shutil  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    major, minor = target
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    shims = os.path.join(pyenv, "shims")
    for candidate_minor in range(minor, minor + 15):
        found = shutil.which(f"python{major}.{candidate_minor}")
        # pyenv's own directories are searched below, without a shim's failed start.
        if found and os.path.dirname(found) != shims:
            yield found
    versions = os.path.join(pyenv, "versions")
    try:
        names = os.listdir(versions)
    except OSError:
        names = []
    releases = []
    for name in names:
        match = re.fullmatch(r"(\d+)\.(\d+)\.\d+", name)  # CPython releases, not envs
        if match and (int(match[1]), int(match[2])) >= target:
            releases.append((int(match[1]), int(match[2]), name))
    for release_major, release_minor, name in sorted(releases):
        path = os.path.join(versions, name, "bin", f"python{release_major}.{release_minor}")
        if os.access(path, os.X_OK):
            yield path
    uv = shutil.which("uv")
    if uv:
        try:
            answer = subprocess.run(
                [uv, "python", "find", "--no-project", "--no-python-downloads",
                 f">={major}.{minor}"],
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            return
        if answer.returncode == 0 and answer.stdout.strip():
            yield answer.stdout.strip()


def compile_elsewhere(
    interpreter: str, sources: list[tuple[str, str]], target: tuple[int, int]
) -> dict[str, list[str]] | None:
    """Syntax problems per file as `interpreter` judges them; None if it is unusable."""
    import subprocess  # noqa: PLC0415

    try:
        done = subprocess.run(
            [interpreter, "-I", "-S", "-c", COMPILE_PROGRAM],
            input=json.dumps(sources).encode("utf-8"),
            capture_output=True,
            timeout=300,
            check=False,
        )
        answer = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if not isinstance(answer, dict) or tuple(answer.get("version", ())) < target:
        return None
    problems: dict[str, list[str]] = {}
    for rel, lineno, message in answer["found"]:
        problems.setdefault(rel, []).append(_python_reason(lineno, message))
    return problems


def _version(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def compile_sources(
    sources: list[tuple[str, str]],
    target: tuple[int, int] | None,
    host: tuple[int, int] | None = None,
) -> tuple[dict[str, list[str]], str | None]:
    """Syntax problems per file, judged by the project's Python, and a note for the user.

    `host` is this interpreter's version (given only by tests). The note says which
    interpreter judged the code when it was not this one, or that nothing could judge it;
    it is None when this interpreter did.
    """
    host = host or (sys.version_info[0], sys.version_info[1])
    if not sources or target is None or host >= target:
        return {rel: found for rel, text in sources if (found := check_python(text, rel))}, None
    for interpreter in find_pythons(target):
        problems = compile_elsewhere(interpreter, sources, target)
        if problems is not None:
            return problems, (
                f"Python files compiled by {interpreter} (the project's Python is "
                f"{_version(target)}; copier runs on {_version(host)})."
            )
    return {}, (
        f"Python syntax NOT checked: the project's Python is {_version(target)}, copier runs "
        f"on {_version(host)}, and no Python {_version(target)} or newer was found "
        "(python3.X on PATH, pyenv, `uv python find`). `make check` in the project compiles it."
    )


def check_toml(text: str) -> list[str] | None:
    """Reasons the TOML text does not parse; None when this host has no tomllib (3.10)."""
    try:
        # Loaded on first use: TOML is parsed only where the standard library can.
        import tomllib  # noqa: PLC0415
    except ImportError:
        return None
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = _one_line(str(exc))
        where = re.search(r"\s*\(at line (\d+), column \d+\)$", message)
        if where:
            return [f"line {where[1]}: invalid TOML: {message[: where.start()]}"]
        return [f"invalid TOML: {message}"]
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


class Validation:
    """What validating one tree found: files checked, reasons per file, notes for the user."""

    def __init__(self) -> None:
        self.checked = 0
        self.reasons: dict[str, list[str]] = {}
        self.notes: list[str] = []
        # Compiled together at the end: one start of another interpreter for all of them.
        self.python_sources: list[tuple[str, str]] = []
        self.toml_skipped = False

    def problems(self) -> list[str]:
        """One line per problem, files in scan order."""
        return [format_problem(rel, why) for rel, whys in self.reasons.items() for why in whys]


def check_file(path: str, rel: str, jinja: re.Pattern[str], found: Validation) -> list[str]:
    """Every reason this file fails validation (Python syntax aside: queued in `found`)."""
    reasons = check_path(rel, jinja)
    with open(path, "rb") as stream:
        data = stream.read()
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return reasons
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [*reasons, f"not valid UTF-8 text (byte {exc.start})"]
    reasons += check_jinja_leftovers(text, jinja)
    suffix = os.path.splitext(rel)[1].lower()
    if suffix == ".py":
        found.python_sources.append((rel, text))
    elif suffix in {".json", ".yml", ".yaml"}:
        reasons += check_structured(text, suffix)
    elif suffix == ".tf":
        reasons += check_terraform(text)
    elif suffix == ".toml":
        toml = check_toml(text)
        found.toml_skipped |= toml is None
        reasons += toml or []
    return reasons


def validate(root: str, jinja: re.Pattern[str]) -> Validation:
    """Check every file under root, judging Python by the project's own version."""
    found = Validation()
    for path, rel in iter_files(root):
        found.checked += 1
        found.reasons[rel] = check_file(path, rel, jinja, found)
    syntax, note = compile_sources(found.python_sources, project_python(root))
    for rel, reasons in syntax.items():
        found.reasons[rel] += reasons
    found.reasons = {rel: reasons for rel, reasons in found.reasons.items() if reasons}
    if note:
        found.notes.append(note)
    if found.toml_skipped:
        found.notes.append(
            "TOML files NOT parsed: Python 3.10 has no tomllib. `make check` in the project "
            "reads them."
        )
    return found


ANSWERS_FILE = ".copier-answers.yml"


def lived_in(root: str) -> bool:
    """Whether root held this project before the render: its answers file is tracked by git.

    `copier recopy` re-renders an existing project as a copy (copier runs it under the
    "copy" operation), so this task runs there too, among the team's own files and tools'
    state, which are not the template's to judge. A new project's answers file is never
    tracked yet, whether or not the destination sits inside some git work tree.
    """
    probe = root
    while not os.path.exists(os.path.join(probe, ".git")):
        parent = os.path.dirname(probe)
        if parent == probe:
            return False  # in no work tree: no git process needed
        probe = parent
    import subprocess  # noqa: PLC0415 - only for destinations inside a work tree

    try:
        done = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", ANSWERS_FILE],
            cwd=root,
            capture_output=True,
            check=False,
        )
    except OSError:  # no git on the machine: nothing can have tracked the file
        return False
    return done.returncode == 0


def next_steps(checked: int, dest: str) -> str:
    """The success message: what was checked, and the commands to run next, as the project's
    IaC tool has them: a CDK project is the one with cdk.json, a Terraform project the one with
    terraform/versions.tf (its state bucket is the user's to name, so the init step shows a
    placeholder), any other a SAM project."""
    # `make deploy` deploys what `make build` built and checked, never building itself.
    deploy_steps = ["  make build", "  make deploy ENV=dev"]
    if os.path.exists(os.path.join(dest, "cdk.json")):
        stack_checks = "cdk synth with cdk-nag, cfn-lint, checkov"
        deploy_steps = [
            "  make cdk-cli build   # the pinned aws-cdk CLI, then the build",
            *deploy_steps[1:],
        ]
    elif os.path.exists(os.path.join(dest, "terraform", "versions.tf")):
        stack_checks = "terraform fmt, provider schema, checkov, trivy"
        # Every Terraform target that reads state runs `make init`, which needs the bucket.
        deploy_steps = ["  make build", "  make deploy ENV=dev TF_STATE_BUCKET=<bucket>"]
    else:
        stack_checks = "SAM translate, cfn-lint, checkov"
    # Copier runs tasks from inside the destination, so "cd ." would be useless: always
    # show the absolute path, quoted in case it contains spaces.
    return "\n".join(
        [
            f"Project rendered and validated: {checked} files checked in {dest}.",
            "Next steps:",
            f"  cd {shlex.quote(dest)}",
            "  make install     # create the virtual environment (uv)",
            "  make test        # unit and integration tests (AWS emulated by moto)",
            f"  make check       # what CI runs: lint, type check, tests, {stack_checks},",
            "                    # zizmor, the practices gate and the Control Tower controls",
            *deploy_steps,
        ]
    )


USAGE = "usage: post_gen.py [-h] [--template DIR] [DEST]"
HELP = f"""{USAGE}

Validate a rendered project tree.

positional arguments:
  DEST            rendered project directory (default: the current directory)

options:
  --template DIR  template whose copier.yml names the questions and derived values a
                  leftover `{{{{ name }}}}` is recognised by (default: this hook's template)

exit status: 0 clean, 1 problems found (one line each on stderr), 2 usage error
"""
# hooks/.. is the template this file belongs to.
DEFAULT_TEMPLATE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _usage_error(message: str) -> int:
    print(f"{USAGE}\npost_gen.py: error: {message}", file=sys.stderr)
    return 2


def parse_args(args: list[str]) -> tuple[str, str] | int:
    """(template, DEST as given), or the exit status when there is nothing to validate."""
    args = list(args)
    template = DEFAULT_TEMPLATE
    positional: list[str] = []
    while args:
        arg = args.pop(0)
        if arg == "--":
            positional += args
            break
        if arg in {"-h", "--help"}:
            print(HELP, end="")
            return 0
        if arg == "--template" and args:
            template = args.pop(0)
        elif arg.startswith("--template="):
            template = arg.partition("=")[2]
        elif arg.startswith("-") and arg != "-":
            return _usage_error(f"unknown option or missing value: {arg!r}")
        else:
            positional.append(arg)
    if len(positional) > 1:
        return _usage_error(f"at most one DEST, got {positional}")
    return template, positional[0] if positional else "."


def main(argv: list[str] | None = None) -> int:
    """Command line entry; returns the exit status."""
    parsed = parse_args(sys.argv[1:] if argv is None else argv)
    if isinstance(parsed, int):
        return parsed
    template, given = parsed
    dest = os.path.realpath(given)
    if not os.path.isdir(dest):
        print(f"post_gen: {given}: not a directory", file=sys.stderr)
        return 2
    try:
        jinja = jinja_pattern(template_names(template))
    except (OSError, yaml.YAMLError) as exc:
        print(f"post_gen: {template}: cannot read copier.yml: {exc}", file=sys.stderr)
        return 2
    if lived_in(dest):
        print(
            f"post_gen: note: {dest} already held this project ({ANSWERS_FILE} is tracked by "
            "git), so its files are not all the template's: the check of new projects is "
            "skipped. Review with git diff and run `make check` there."
        )
        return 0
    found = validate(dest, jinja)
    problems = found.problems()
    for problem in problems:
        print(problem, file=sys.stderr)
    for note in found.notes:
        print(f"post_gen: note: {note}")
    if problems:
        return 1
    print(next_steps(found.checked, dest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
