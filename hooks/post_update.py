"""After `copier update` merged the template's changes: say plainly what, if anything, needs you.

Copier runs this as an unversioned `_migrations` entry at stage "after" (copier.yml), in the
project directory, once the update has been merged into it. A change the template made to a
file you changed too is left for you: copier writes conflict markers into the file and records
it as unmerged in git's index (`--conflict inline`, the default), or leaves the change beside it
in a `FILE.rej` (`--conflict rej`). This hook finds every such file, by the index
(`git ls-files -u`), by copier's marker lines and by leftover `*.rej` files, and prints what to
do with the project's real path.

Files the team owns (`_skip_if_exists` in copier.yml: models.py, logic.py and their tests) are
never touched by an update. When a release changes what those files must build on, they are
ported by hand: PORTS below names each such change, and this hook names every owned file still
written for the old one, with the CHANGELOG entry that shows the port.

It runs in copier's interpreter (any Python 3.10+), so it is standard library only, and it
works the same whether or not copier could read template versions from git tags.

Copier drops a recorded answer that the new template's validator refuses and takes the question's
default instead (with `--defaults`, without asking). This hook names every recorded answer whose
value the update changed, so none changes unnoticed; it does not change the exit status.

Usage: python hooks/post_update.py [--version VERSION] [PROJECT]
  PROJECT   the updated project (default: the current directory)
  VERSION   the template version updated to, for the message (copier's `_version_to`)

Exit status: 0 when nothing is left to resolve, 1 when conflicts remain (as `git merge` does,
so `copier update` fails and scripts notice) or an owned file still needs a port, 2 on a usage
error (PROJECT not a git work tree, unknown option).
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

# The labels copier passes to `git merge-file` for an inline conflict.
MARKERS = (b"<<<<<<< before updating", b">>>>>>> after updating")
# Same heuristic as git: a NUL byte near the start means the file is binary.
BINARY_SNIFF_BYTES = 8192


# Owned files the template's code no longer fits, oldest first: (files, what marks the old code,
# what to do). A release whose owned files need a port adds an entry and a CHANGELOG section.
PORTS: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    (
        (
            "src/*/models.py",
            "src/*/logic.py",
            "tests/unit/test_models.py",
            "tests/unit/test_logic.py",
        ),
        re.compile(r"^\s*(import msgspec|from msgspec\b)", re.MULTILINE),
        "uses msgspec; the handlers now validate with pydantic v2: port it as CHANGELOG.md "
        '"Action needed (copier update from 0.3.0)" shows',
    ),
)


# The template's handler calls the team's logic module by name: a name it calls that the team's
# logic.py does not define is a port the release needs (found by reading both files).
LOGIC_CALL = re.compile(r"\blogic\.([A-Za-z_][A-Za-z0-9_]*)")
LOGIC_ACTION = (
    "does not define {names}, which this version's handler.py calls: add them as "
    'CHANGELOG.md\'s "Action needed" for this version shows'
)


class NotAWorkTree(Exception):
    """PROJECT is not inside a git work tree (copier only updates git-tracked projects)."""


def _git(project: Path, *arguments: str) -> str:
    done = subprocess.run(
        ["git", *arguments], cwd=project, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise NotAWorkTree(done.stderr.strip() or f"git {arguments[0]} failed")
    return done.stdout


def unmerged(project: Path) -> list[str]:
    """Paths (relative to project) that git's index records as unmerged."""
    paths: dict[str, None] = {}
    for entry in _git(project, "ls-files", "--unmerged", "-z", "--", ".").split("\0"):
        if "\t" in entry:
            paths[entry.split("\t", 1)[1]] = None
    return list(paths)


def status(project: Path) -> tuple[list[str], list[str]]:
    """(files the update changed or added, files ending in .rej) relative to project.

    Ignored paths are listed only where an ignore pattern names them (`*.rej` ignored by the
    project still shows), never expanded: a virtual environment is one line, not thousands.
    """
    prefix = _git(project, "rev-parse", "--show-prefix").strip()
    listing = _git(
        project,
        *("status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored=matching"),
        *("--", "."),
    ).split("\0")
    changed: list[str] = []
    rejected: list[str] = []
    entries = iter(listing)
    for entry in entries:
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC":
            next(entries, None)  # the rename's source path follows as its own field
        # Porcelain paths are relative to the repository root, whatever the cwd.
        path = path[len(prefix) :] if path.startswith(prefix) else path
        if path.endswith(".rej"):
            rejected.append(path)
        elif code != "!!" and not path.endswith("/") and "D" not in code:
            changed.append(path)
    return changed, rejected


def has_markers(path: Path) -> bool:
    """Whether the file holds a line of copier's conflict markers."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return False
    return any(line.rstrip() in MARKERS for line in data.splitlines())


def conflicts(project: Path) -> dict[str, str]:
    """Every file left for the user to resolve, with what is wrong with it, in path order."""
    changed, rejected = status(project)
    found = dict.fromkeys(unmerged(project), "conflict markers")
    for path in changed:
        if path not in found and has_markers(project / path):
            found[path] = "conflict markers"
    for path in rejected:
        found[path] = f"changes the update could not apply to {path.removesuffix('.rej')}"
    return dict(sorted(found.items()))


def ports_needed(project: Path) -> dict[str, str]:
    """Every owned file still written for code the template replaced, with what to do."""
    found: dict[str, str] = {}
    for patterns, old_code, action in PORTS:
        for pattern in patterns:
            for path in sorted(project.glob(pattern)):
                if path.is_file() and old_code.search(path.read_text(errors="replace")):
                    found.setdefault(path.relative_to(project).as_posix(), action)
    return found


def missing_logic(project: Path) -> dict[str, str]:
    """The team's logic.py files that lack a name the template's handler.py next to them calls."""
    found: dict[str, str] = {}
    for handler in sorted(project.glob("src/*/handler.py")):
        logic = handler.with_name("logic.py")
        if not logic.is_file():
            continue
        defined = set(
            re.findall(
                r"^(?:def|class|async def)\s+(\w+)|^(\w+)\s*[:=]",
                logic.read_text(errors="replace"),
                re.MULTILINE,
            )
        )
        names = {name for pair in defined for name in pair if name}
        called = sorted(set(LOGIC_CALL.findall(handler.read_text(errors="replace"))) - names)
        if called:
            found[logic.relative_to(project).as_posix()] = LOGIC_ACTION.format(
                names=", ".join(called)
            )
    return found


def report_ports(project: Path, version: str, found: dict[str, str]) -> str:
    """What the user reads when files they own need porting to this version."""
    width = max(map(len, found))
    return "\n".join(
        [
            f"post_update: Action needed. {len(found)} file{'s' if len(found) > 1 else ''} "
            f"you own (copier never overwrites them) must be ported to {version}:",
            *(f"  {path:<{width}}  {why}" for path, why in found.items()),
            f"Until then `make check` fails. Port them (cd {shlex.quote(str(project))}), "
            "run `make check`, then commit.",
        ]
    )


def report_conflicts(project: Path, version: str, found: dict[str, str]) -> str:
    """What the user reads when the update needs them: the files, then the steps."""
    width = max(map(len, found))
    resolve = []
    if any(path.endswith(".rej") for path in found):
        resolve.append("for FILE.rej: apply its changes to FILE by hand, then delete FILE.rej")
    if any(not path.endswith(".rej") for path in found):
        resolve.append(
            "edit each file with conflict markers to the result you want and delete the "
            "markers (<<<<<<< before updating, =======, >>>>>>> after updating)"
        )
    lines = [
        f"post_update: the update to {version} left {len(found)} "
        f"file{'s' if len(found) > 1 else ''} to resolve in {project}:",
        *(f"  {path:<{width}}  {why}" for path, why in found.items()),
        "The update is written but not finished. To finish it:",
        f"  cd {shlex.quote(str(project))}",
        *(f"  - {step}" for step in resolve),
        "  - git add the resolved files (marks them resolved)",
        "  - make check",
        "  - git commit",
        "`git diff HEAD` shows everything the update changed. copier's line below, "
        '"Task [...] returned non-zero exit status 1", is this report, not a crash.',
    ]
    return "\n".join(lines)


ANSWERS_FILE = ".copier-answers.yml"
_ANSWER_LINE = re.compile(r"^([a-z][a-z0-9_]*): (.*)$")


def _answers(text: str) -> dict[str, str]:
    """The questions' answers of an answers file, as written (copier writes one `name: value`
    line each; settings such as `_commit` start with `_` and are left out)."""
    return {match[1]: match[2] for match in map(_ANSWER_LINE.match, text.splitlines()) if match}


def changed_answers(project: Path) -> dict[str, tuple[str, str]]:
    """Answers recorded before the update (the answers file of the last commit) whose value the
    update changed: {question: (before, after)}, as the file spells them. Questions new in this
    release are not listed; without a committed answers file, nothing is."""
    answers_file = project / ANSWERS_FILE
    try:
        before = _answers(_git(project, "show", f"HEAD:./{ANSWERS_FILE}"))
    except NotAWorkTree:
        return {}
    if not answers_file.is_file():
        return {}
    after = _answers(answers_file.read_text())
    return {
        question: (before[question], after[question])
        for question in before.keys() & after.keys()
        if before[question] != after[question]
    }


def report_changed_answers(found: dict[str, tuple[str, str]]) -> str:
    """Names each recorded answer the update changed, and how to choose another value."""
    lines = [
        f"post_update: this update changed {len(found)} recorded answer"
        f"{'s' if len(found) > 1 else ''}. Unless you gave it with --data, copier replaced an "
        "answer the template no longer accepts with the question's default: a new release's "
        'rule (CHANGELOG.md\'s "Action needed" says why), or another answer you changed (a '
        "strict compliance level refuses a shorter log retention, for one):"
    ]
    lines += [f"  {question}: {old} -> {new}" for question, (old, new) in sorted(found.items())]
    lines.append(
        "To choose another value: commit, then "
        "`copier update --trust --defaults --data QUESTION=VALUE`."
    )
    return "\n".join(lines)


def report_clean(project: Path, version: str) -> str:
    """What the user reads when the update merged cleanly."""
    return (
        f"Updated {project} to template {version}. Review the changes (git diff), "
        "run `make check`, then commit."
    )


def main(argv: list[str] | None = None) -> int:
    """Command line entry; returns the exit status (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="post_update.py", description="Report what a copier update left to resolve."
    )
    parser.add_argument("project", nargs="?", default=".", type=Path)
    parser.add_argument("--version", default="the new template version")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    try:
        found = conflicts(project)
    except NotAWorkTree as exc:
        print(f"post_update: {args.project}: not a git work tree: {exc}", file=sys.stderr)
        return 2
    ports = {**missing_logic(project), **ports_needed(project)}
    answers = changed_answers(project)
    if answers:
        print(report_changed_answers(answers), file=sys.stderr)
    if found:
        print(report_conflicts(project, args.version, found), file=sys.stderr)
    if ports:
        print(report_ports(project, args.version, ports), file=sys.stderr)
    if found or ports:
        return 1
    print(report_clean(project, args.version))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
