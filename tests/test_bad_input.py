"""Bad input through every door: a clear message that names the question and what it accepts, and
nothing of the user's lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import OutputDirExistsException  # type: ignore[import-untyped]
from cookiecutter.main import cookiecutter  # type: ignore[import-untyped]  # no type hints

from tests.conftest import ROOT

COPIER = Path(sys.executable).parent / "copier"


def _copier_copy(destination: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(COPIER),
            "copy",
            "--trust",
            "--vcs-ref",
            "HEAD",
            *arguments,
            str(ROOT),
            str(destination),
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("trigger: kafka\n", "Invalid choice for 'trigger': 'kafka' is not in ['sqs'"),
        (
            "memory_size: 99999\n",
            "question 'memory_size': memory_size: a whole number of MB from 128 to 10240",
        ),
    ],
)
def test_answers_file_with_a_bad_value_is_refused_before_writing(
    answers: str, expected: str, tmp_path: Path
) -> None:
    answers_file = tmp_path / "answers.yml"
    answers_file.write_text(answers)
    destination = tmp_path / "project"
    result = _copier_copy(destination, "--defaults", "--data-file", str(answers_file))
    assert result.returncode != 0
    assert expected in result.stderr
    assert not destination.exists()


def test_non_interactive_run_without_answers_says_how_to_answer(tmp_path: Path) -> None:
    destination = tmp_path / "project"
    result = _copier_copy(destination)  # no terminal, no --defaults, no --data
    assert result.returncode != 0
    assert "Use `--defaults` and/or `--data`/`--data-file`" in result.stderr
    assert not destination.exists()


def test_cookiecutter_refuses_an_existing_project_directory(tmp_path: Path) -> None:
    answers = {"project_name": "Billing Feed"}
    project = Path(
        cookiecutter(str(ROOT), no_input=True, output_dir=str(tmp_path), extra_context=answers)
    )
    (project / "notes.md").write_text("ours\n")
    with pytest.raises(OutputDirExistsException):
        cookiecutter(str(ROOT), no_input=True, output_dir=str(tmp_path), extra_context=answers)
    assert (project / "notes.md").read_text() == "ours\n"


@pytest.mark.parametrize(
    ("project_name", "question"),
    [("123 Go", "project_name"), ("Class", "package_name"), ("Boto3", "package_name")],
)
def test_project_name_that_makes_no_valid_package_is_refused(
    project_name: str, question: str, tmp_path: Path
) -> None:
    destination = tmp_path / "project"
    result = _copier_copy(destination, "--defaults", "--data", f"project_name={project_name}")
    assert result.returncode != 0
    assert f"question '{question}'" in result.stderr
    assert not destination.exists()
