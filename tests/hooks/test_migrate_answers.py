"""The answers-file migration used by copier.yml `_migrations`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "hooks"))

# The hooks directory is not a package: its modules are imported from the path set above.
from migrate_answers import main, migrate

ANSWERS = (
    "# Changes here will be overwritten by Copier\n"
    "_commit: v1.0.0\n"
    "cost_center: CC-1\n"
    "vpc_enabled: false\n"
)


def test_rename_keeps_the_value_and_the_comment() -> None:
    migrated = migrate(ANSWERS, [("cost_center", "cost_centre")], [])
    assert "cost_centre: CC-1\n" in migrated
    assert "cost_center:" not in migrated
    assert migrated.startswith("# Changes here")


def test_rename_leaves_an_existing_new_answer_alone() -> None:
    text = ANSWERS + "cost_centre: CC-2\n"
    assert migrate(text, [("cost_center", "cost_centre")], []) == text


def test_remove_drops_the_answer() -> None:
    assert "vpc_enabled" not in migrate(ANSWERS, [], ["vpc_enabled"])


def test_migration_applied_again_changes_nothing() -> None:
    # Migrations run on every update (they carry no version), so a second run must be a no-op.
    once = migrate(ANSWERS, [("cost_center", "cost_centre")], ["vpc_enabled"])
    assert migrate(once, [("cost_center", "cost_centre")], ["vpc_enabled"]) == once


def test_cli_leaves_an_already_migrated_file_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / ".copier-answers.yml"
    answers.write_text(ANSWERS.replace("cost_center", "cost_centre"))
    before = answers.stat().st_mtime_ns

    assert main([str(answers), "--rename", "cost_center=cost_centre"]) == 0
    assert answers.stat().st_mtime_ns == before
    assert capsys.readouterr().out == ""


def test_cli_rewrites_the_file_in_place(tmp_path: Path) -> None:
    answers = tmp_path / ".copier-answers.yml"
    answers.write_text(ANSWERS)
    assert main([str(answers), "--rename", "cost_center=cost_centre"]) == 0
    assert "cost_centre: CC-1" in answers.read_text()


def test_cli_reports_a_missing_answers_file(tmp_path: Path) -> None:
    assert main([str(tmp_path / "missing.yml")]) == 1
