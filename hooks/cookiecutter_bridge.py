"""cookiecutter entry: the answers cookiecutter collects are rendered by copier from template/.

There is one template tree and one set of question definitions (copier.yml); cookiecutter only
prompts (cookiecutter.json is derived from copier.yml) and hands the answers over. Validation is
copier's own, run before cookiecutter writes anything; the post-generation checks are the same
hooks/post_gen.py task that every copier render runs.

The hooks pass the template's absolute path (from hooks/cookiecutter_extension.py): cookiecutter's
`_repo_dir` is the path as it was given, or a clone in cookiecutter's cache, and neither is what
`copier update` should read later, on this machine or another.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from questions import COPIER_YML, questions

STUB = "COOKIECUTTER_STUB"
ANSWERS_FILE = ".copier-answers.yml"
# Where cookiecutter clones `gh:`, `gl:` and `bb:` from, unless the user's config overrides them.
BUILTIN_ABBREVIATIONS = {
    "gh": "https://github.com/{0}.git",
    "gl": "https://gitlab.com/{0}.git",
    "bb": "https://bitbucket.org/{0}",
}
# Template references cookiecutter clones rather than reads as a path (the test of its
# repository.is_repo_url): a VCS URL scheme, or `user@host...` as in git@github.com:org/repo.
_REPOSITORY_URL = re.compile(r"(?:(?:git|hg)\+)?(?:git|ssh|file|https?):|\w+@[\w.]+")


def _min_copier_version() -> str:
    spec: dict[str, Any] = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    return str(spec["_min_copier_version"])


MISSING_COPIER = (
    "copier-aws-lambda renders with copier: install it where cookiecutter runs "
    f"(pip install 'copier>={_min_copier_version()},<10') and run cookiecutter again"
)


def copier_answers(context: dict[str, Any]) -> dict[str, Any]:
    """cookiecutter's context without its own keys; copier ignores answers it does not ask."""
    return {name: context[name] for name in questions() if name in context}


def _copier() -> Any:
    try:
        import copier  # noqa: PLC0415 - optional: only present where copier is installed
    except ImportError:
        print(MISSING_COPIER, file=sys.stderr)
        raise SystemExit(1) from None
    return copier


def _abbreviations() -> dict[str, str]:
    """The abbreviations cookiecutter expanded: the user's config (COOKIECUTTER_CONFIG or
    ~/.cookiecutterrc) over the built-in ones. A config given only with --config-file is not
    visible to hooks; then only its new abbreviations are recovered, from the clone's origin.
    """
    try:
        from cookiecutter.config import get_user_config  # type: ignore[import-untyped]  # noqa: PLC0415
        from cookiecutter.exceptions import CookiecutterException  # type: ignore[import-untyped]  # noqa: PLC0415
    except ImportError:
        return dict(BUILTIN_ABBREVIATIONS)
    try:
        config = get_user_config()
    except CookiecutterException:  # a config cookiecutter was told (--config-file) not to read
        return dict(BUILTIN_ABBREVIATIONS)
    return {str(key): str(value) for key, value in config["abbreviations"].items()}


def expand_reference(reference: str, abbreviations: dict[str, str]) -> str:
    """The template reference as cookiecutter resolves it (`gh:org/repo` -> its clone URL)."""
    if reference in abbreviations:
        return abbreviations[reference]
    prefix, _, rest = reference.partition(":")
    if prefix in abbreviations:
        return abbreviations[prefix].format(rest)
    return reference


def _unusable_by_copier(reference: str) -> str | None:
    """Why copier could not update a project rendered from `reference` (None when it can)."""
    if reference.lower().endswith(".zip"):
        return "a zip archive"
    if reference.startswith("hg+"):
        return "a Mercurial repository"
    return None


def _git_origin(directory: Path) -> str | None:
    """The URL `directory` was cloned from, when it is the top of a git clone."""
    try:
        top = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if Path(top).resolve() != directory.resolve():
            return None
        origin = subprocess.run(
            ["git", "-C", str(directory), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return origin or None


def template_source(context: dict[str, Any], template: Path) -> str:
    """Where `copier update` finds this template again: `_src_path` of the answers file.

    A template cookiecutter fetched (`gh:org/repo`, a git URL) is recorded as the URL it cloned,
    not as the clone in cookiecutter's cache, which exists on this machine only. A local template
    is recorded by its absolute path.
    """
    reference = str(context["_template"])
    expanded = expand_reference(reference, _abbreviations())
    if _REPOSITORY_URL.match(expanded):
        return expanded
    # cookiecutter uses a local path as given (joined with --directory, if any); anything else is
    # a clone it found in its cache by name, or made from an abbreviation of a config we do not
    # see: its origin is the URL it was cloned from.
    repo_dir = os.path.normpath(str(context.get("_repo_dir", reference)))
    given = os.path.normpath(reference)
    if repo_dir == given or repo_dir.startswith(given.rstrip(os.sep) + os.sep):
        return str(template)
    return _git_origin(template) or str(template)


def _destination_problem(destination: Path) -> str | None:
    entries = sorted(entry.name for entry in destination.iterdir())
    if not entries:
        return None
    shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
    return (
        f"copier-aws-lambda: the destination {destination} already holds files ({shown}); a new "
        "project is rendered only into a new or empty directory, --overwrite-if-exists "
        "included, so nothing of yours is overwritten: choose another project_slug or "
        "--output-dir, or run `copier update` inside an existing project"
    )


def _jinja_problem(context: dict[str, Any]) -> str | None:
    # Typed and replayed answers reach the hooks unevaluated; refused like the ones cookiecutter
    # would evaluate (hooks/cookiecutter_extension.py), so the same text has the same verdict.
    for name, answer in copier_answers(context).items():
        if isinstance(answer, str):
            marker = next((mark for mark in ("{{", "{%", "{#") if mark in answer), None)
            if marker:
                return (
                    f"copier-aws-lambda: the answer to '{name}' contains Jinja syntax "
                    f"({marker!r}); cookiecutter evaluates Jinja in answers, so this template "
                    "takes plain text only: give it without '{%' or '{{' or '{#'"
                )
    return None


def validate(context: dict[str, Any], template: Path, destination: Path) -> int:
    """pre_gen_project: refuse before cookiecutter writes anything (it writes after this hook).

    The destination must be empty (cookiecutter created it, or --overwrite-if-exists reuses an
    existing one: that one must be empty too), the template must be a source `copier update` can
    read later, no answer may hold Jinja syntax, and copier checks every answer (a dry run).
    """
    reference = expand_reference(str(context["_template"]), _abbreviations())
    unusable = _unusable_by_copier(reference)
    problem = _destination_problem(destination) or _jinja_problem(context)
    if problem is None and unusable:
        problem = (
            f"copier-aws-lambda: cannot render from {reference}, {unusable}: copier renders the "
            "project and later updates it from the template's git repository or directory; "
            "run cookiecutter with that instead (e.g. gh:<owner>/copier-aws-lambda)"
        )
    if problem:
        print(problem, file=sys.stderr)
        return 1
    copier = _copier()
    with tempfile.TemporaryDirectory() as scratch:
        try:
            copier.run_copy(
                str(template),
                str(Path(scratch) / "dry-run"),
                data=copier_answers(context),
                defaults=True,
                pretend=True,  # validates every answer, writes nothing, runs no task
                unsafe=True,  # copier refuses a template with tasks unless trusted, even dry
                quiet=True,
                vcs_ref="HEAD",
            )
        except ValueError as rejected:
            print(f"copier-aws-lambda: {rejected}", file=sys.stderr)
            return 1
    return 0


def record_source(answers_file: Path, source: str) -> None:
    """Set `_src_path` in copier's answers file, leaving every other byte as copier wrote it."""
    text = answers_file.read_text(encoding="utf-8")
    document = yaml.compose(text)
    if not isinstance(document, yaml.MappingNode):
        raise ValueError(f"{answers_file} is not a mapping")
    for key, value in document.value:
        if key.value == "_src_path":
            start, end = key.start_mark.index, value.end_mark.index
            entry = yaml.safe_dump(
                {"_src_path": source}, allow_unicode=True, width=sys.maxsize
            ).rstrip("\n")
            answers_file.write_text(text[:start] + entry + text[end:], encoding="utf-8")
            return
    raise ValueError(f"{answers_file} has no _src_path")


def render(context: dict[str, Any], template: Path, destination: Path) -> int:
    """post_gen_project: render into the directory cookiecutter created, then validate it.

    The answers file records the template's real source (see template_source), so that
    `copier update` works on any machine.
    """
    copier = _copier()
    (destination / STUB).unlink(missing_ok=True)
    problem = _destination_problem(destination)
    if problem:  # pre_gen_project saw it empty: something else wrote there since
        print(problem, file=sys.stderr)
        return 1
    copier.run_copy(
        str(template),
        str(destination),
        data=copier_answers(context),
        defaults=True,
        # Trusted as cookiecutter trusts any template's hooks: runs hooks/post_gen.py.
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD",
    )
    record_source(destination / ANSWERS_FILE, template_source(context, template))
    return 0
