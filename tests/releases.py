"""Released versions of this template, oldest first: (tag, full commit sha).

tests/test_update.py updates a project rendered from the last release here to the working tree,
so every release is tested as the starting point of the next one; tests/test_stack_baseline.py
compares what the working tree deploys with what the last release deploys. Releasing: tag the
commit (annotated, `vX.Y.Z`), push the tag, and add its line here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

RELEASES: list[tuple[str, str]] = [
    ("v0.1.0", "979cb0626785414fdb49f09fe5819b151280a16c"),
    ("v0.2.0", "0ad82b9f15ceb637de37a7bac9a73dff807d527b"),
    ("v0.3.0", "e462ffe2be37dafa2122cdfb2076256be583084c"),
]

ROOT = Path(__file__).resolve().parent.parent


def _has_commit(repository: Path, commit: str) -> bool:
    found = subprocess.run(
        ["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=repository, check=False
    )
    return found.returncode == 0


def clone_with_release(destination: Path, release: tuple[str, str]) -> Path:
    """A clone of this repository at `destination` that holds the release's commit.

    Raises (pytest.fail) when the commit is not in this checkout's history and cannot be fetched
    from its origin: the clone is shallow, and the message says how to get the full history.
    """
    tag, commit = release
    subprocess.run(
        ["git", "clone", "-q", "--no-local", str(ROOT), str(destination)],
        check=True,
        capture_output=True,
    )
    if not _has_commit(destination, commit):
        # A shallow checkout (CI's default in some systems) lacks the release: fetch that one
        # commit from where this checkout came from, if it has an origin that answers.
        origin = subprocess.run(
            ["git", "remote", "get-url", "origin"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if origin.returncode == 0:
            subprocess.run(
                ["git", "fetch", "-q", "--depth=1", origin.stdout.strip(), commit],
                cwd=destination,
                capture_output=True,
                check=False,
            )
    if not _has_commit(destination, commit):
        pytest.fail(
            f"release {tag} ({commit}) is not in this clone's history, so it cannot be the "
            "baseline of this test: the clone is shallow. Fetch the full history and the tags "
            "(git fetch --unshallow --tags, or actions/checkout with fetch-depth: 0) and rerun."
        )
    return destination
