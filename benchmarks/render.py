"""Rendering: one project per trigger for the other measures, and copier's render time itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Project:
    """A rendered project and the answers the measures need."""

    trigger: str
    path: Path
    answers: dict[str, Any]

    @property
    def package_name(self) -> str:
        return str(self.answers["package_name"])

    @property
    def slug(self) -> str:
        return str(self.answers["project_slug"])

    @property
    def region(self) -> str:
        return str(self.answers.get("aws_region", "eu-west-1"))

    @property
    def architecture(self) -> str:
        return str(self.answers.get("architecture", "arm64"))

    @property
    def python_version(self) -> str:
        return str(self.answers.get("python_version", "3.13"))

    @property
    def event(self) -> Path:
        return self.path / "events" / f"{self.trigger}.json"


def questions(repo: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((repo / "copier.yml").read_text())
    if not isinstance(loaded, dict):
        raise ValueError(f"{repo}/copier.yml holds no questions")
    return loaded


def triggers(repo: Path) -> list[str]:
    """The trigger choices copier.yml offers, in its order: a new trigger is measured unasked."""
    choices = questions(repo)["trigger"]["choices"]
    values = choices.values() if isinstance(choices, dict) else choices
    return [str(value) for value in values]


def offers(repo: Path, question: str) -> bool:
    """Whether copier.yml asks `question` (a key not starting with `_`, so not a setting)."""
    return not question.startswith("_") and question in questions(repo)


def read_answers(path: Path) -> dict[str, Any]:
    answers = yaml.safe_load((path / ".copier-answers.yml").read_text())
    if not isinstance(answers, dict):
        raise ValueError(f"{path}/.copier-answers.yml holds no answers")
    return answers


def render(repo: Path, destination: Path, data: dict[str, Any] | None = None) -> Project:
    """A project with copier's defaults but for `data` (question -> answer), from the repo's
    HEAD (plus uncommitted changes, as copier renders a dirty work tree), not its latest tag.
    Raises what copier raises for an answer it refuses."""
    import copier  # noqa: PLC0415 - only the orchestrator renders; tests of pure parts skip it

    if destination.exists():
        shutil.rmtree(destination)
    with _stdout_silenced():
        copier.run_copy(
            src_path=str(repo),
            dst_path=destination,
            data=dict(data or {}),
            defaults=True,
            unsafe=True,
            vcs_ref="HEAD",
            quiet=True,
        )
    answers = read_answers(destination)
    return Project(trigger=str(answers["trigger"]), path=destination, answers=answers)


@contextmanager
def _stdout_silenced() -> Iterator[None]:
    """`quiet` silences copier, not the post-generation task it runs, which writes its next
    steps to the inherited stdout; errors still reach stderr."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with Path(os.devnull).open("w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def time_render(repo: Path, copier_cli: Path, runs: int, workdir: Path) -> dict[str, list[float]]:
    """Wall seconds of `copier copy` of the default project and of `copier --version` (copier's
    own start-up, the floor), interleaved so that noise hits both alike."""
    samples: dict[str, list[float]] = {"copier_copy": [], "copier_version": []}
    workdir.mkdir(parents=True, exist_ok=True)
    for index in range(runs + 1):
        with tempfile.TemporaryDirectory(dir=workdir) as scratch:
            copy = _timed(
                [
                    str(copier_cli),
                    "copy",
                    "--trust",
                    "--defaults",
                    "--vcs-ref",
                    "HEAD",
                    str(repo),
                    str(Path(scratch) / "project"),
                ]
            )
        version = _timed([str(copier_cli), "--version"])
        if index:  # the first round warms the page cache and copier's own .pyc files
            samples["copier_copy"].append(copy)
            samples["copier_version"].append(version)
    return samples
