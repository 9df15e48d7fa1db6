"""Rewrite a project's answers file when a template release renames or removes a question.

Called from copier.yml `_migrations` before an update renders, so `copier update` finds the answers
under their new names:  migrate_answers.py .copier-answers.yml --rename old=new --remove gone
Stdlib + PyYAML only: it runs in copier's interpreter. Comments of the answers file are kept.

Idempotent, so its migrations need no `version:` (which copier cannot honour without git tags) and
run on every update: a rename happens only while the old answer exists and the new one does not, a
removal only while the answer exists; otherwise the file is left as it is.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml


def _pair(text: str) -> tuple[str, str]:
    old, separator, new = text.partition("=")
    if not (separator and old and new):
        raise argparse.ArgumentTypeError(f"expected OLD=NEW, got {text!r}")
    return old, new


def migrate(text: str, renames: list[tuple[str, str]], removals: list[str]) -> str:
    """The answers file's text with the renames and removals applied where they still apply."""
    answers = yaml.safe_load(text) or {}
    lines = text.splitlines(keepends=True)
    for old, new in renames:
        if old in answers and new not in answers:
            key = re.compile(rf"^{re.escape(old)}:")
            lines = [key.sub(f"{new}:", line) for line in lines]
    for name in removals:
        key = re.compile(rf"^{re.escape(name)}:")
        lines = [line for line in lines if not key.match(line)]
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("answers_file", type=Path)
    parser.add_argument("--rename", type=_pair, action="append", default=[], metavar="OLD=NEW")
    parser.add_argument("--remove", action="append", default=[], metavar="NAME")
    args = parser.parse_args(argv)
    if not args.answers_file.is_file():
        print(f"migrate_answers: no answers file at {args.answers_file}", file=sys.stderr)
        return 1
    before = args.answers_file.read_text()
    after = migrate(before, args.rename, args.remove)
    if after != before:
        args.answers_file.write_text(after)
        print(f"migrate_answers: updated {args.answers_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
