"""Answers that would lose something are refused before anything is written: a destination that
holds the user's files, keys copier would silently ignore, yes/no answers copier would read as
yes, and answers that cannot change once the project is deployed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import copier
import pytest

from tests.answer_checks import assert_rejected, rejection
from tests.conftest import ROOT

COPIER = Path(sys.executable).parent / "copier"


def _copier_copy(destination: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(COPIER),
            "copy",
            "--trust",
            "--defaults",
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


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "user_file", ["README.md", ".env", "docs/notes.md", "src/.keep", ".github/workflows/x.yml"]
)
@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_destination_holding_files_is_refused_before_writing(
    tmp_path: Path, user_file: str, overwrite: list[str]
) -> None:
    (tmp_path / user_file).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / user_file).write_text("the team's own\n")
    before = _snapshot(tmp_path)
    result = _copier_copy(tmp_path, *overwrite)
    assert result.returncode != 0
    assert f"the destination {tmp_path} already holds files ({user_file})" in result.stderr
    assert _snapshot(tmp_path) == before


def test_destination_holding_only_an_empty_git_repository_is_rendered(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = _copier_copy(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "template.yaml").is_file()


def test_destination_path_with_glob_characters_is_still_inspected(tmp_path: Path) -> None:
    destination = tmp_path / "fn[1]*"
    destination.mkdir()
    (destination / "notes.md").write_text("ours\n")
    assert "already holds files (notes.md)" in rejection({}, destination)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"memroy_size": "1024"}, "unknown answer memroy_size in --data or the data file"),
        ({"trigger_family": "api"}, "trigger_family is derived from other answers"),
    ],
)
def test_data_key_that_is_not_a_question_is_reported(data: dict[str, object], why: str) -> None:
    assert_rejected("project_name", data, why)


def test_unknown_key_in_a_data_file_is_reported_by_the_cli(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("project_name: Billing Feed\nowner: payments\n")
    result = _copier_copy(tmp_path / "project", "--data-file", str(answers))
    assert result.returncode != 0
    assert "unknown answer owner in --data or the data file" in result.stderr
    assert not (tmp_path / "project").exists()


@pytest.mark.parametrize("question", ["vpc_enabled", "idempotency", "secret"])
@pytest.mark.parametrize("value", ["nope", "2", "enabled", "yes please"])
def test_yes_no_question_refuses_other_text(question: str, value: str) -> None:
    assert_rejected(question, {question: value}, "yes or no")


@pytest.mark.parametrize("value", ["yes", "No", "off", "TRUE", "1", True, False])
def test_yes_no_question_accepts_yes_no_words(value: object) -> None:
    assert rejection({"vpc_enabled": value}) == ""


def _git(cwd: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def deployed_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project rendered from a tagged copy of this template, committed as a team would."""
    template = tmp_path_factory.mktemp("template")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (template / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, template / name)
    _git(template, "init", "-q")
    _git(template, "add", "-A")
    _git(template, "commit", "-q", "-m", "release")
    _git(template, "tag", "v1.0.0")
    project = tmp_path_factory.mktemp("deployed") / "orders"
    copier.run_copy(str(template), str(project), defaults=True, unsafe=True, quiet=True)
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "render")
    return project


@pytest.mark.parametrize(
    ("question", "value", "consequence"),
    [
        ("trigger", "kinesis", "would replace its event source, queues, tables and logical IDs"),
        ("project_slug", "orders-v2", "renames the stack and every resource named after it"),
    ],
)
def test_update_that_changes_an_answer_fixed_at_deploy_is_refused(
    deployed_project: Path, question: str, value: str, consequence: str
) -> None:
    before = _snapshot(deployed_project)
    with pytest.raises(ValueError, match=f"question '{question}'") as refused:
        copier.run_update(
            str(deployed_project),
            data={question: value},
            defaults=True,
            overwrite=True,
            unsafe=True,
            quiet=True,
        )
    assert consequence in str(refused.value)
    assert "render a new project with `copier copy`" in str(refused.value)
    assert _snapshot(deployed_project) == before
