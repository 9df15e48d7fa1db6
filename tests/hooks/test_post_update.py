"""Behaviour of the after-update report (hooks/post_update.py) on real git work trees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "hooks"))

# The hooks directory is not a package: its modules are imported from the path set above.
from post_update import conflicts, main

INLINE_CONFLICT = (
    "# Orders\n<<<<<<< before updating\nours\n=======\ntheirs\n>>>>>>> after updating\n"
)


def git(cwd: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A committed project, as `copier update` requires, with a virtualenv it ignores."""
    root = tmp_path / "orders"
    root.mkdir()
    (root / ".gitignore").write_text(".tools/\n*.rej\n")
    (root / "README.md").write_text("# Orders\n")
    (root / "logic.py").write_text("X = 1\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "render")
    # Tool state: markers in here are someone else's business.
    (root / ".tools").mkdir()
    (root / ".tools" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / ".tools" / "notes.txt").write_text(INLINE_CONFLICT)
    return root


def test_a_clean_update_exits_0_and_says_what_to_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "README.md").write_text("# Orders (AWS Lambda)\n")  # a change merged cleanly
    (project / "docs.md").write_text("new practice\n")

    code = main([str(project), "--version", "v0.2.0"])

    captured = capsys.readouterr()
    assert (code, captured.err) == (0, "")
    assert captured.out == (
        f"Updated {project} to template v0.2.0. Review the changes (git diff), "
        "run `make check`, then commit.\n"
    )


def test_copier_conflict_markers_in_a_changed_file_are_reported(project: Path) -> None:
    (project / "README.md").write_text(INLINE_CONFLICT)

    assert conflicts(project) == {"README.md": "conflict markers"}


def test_markers_in_a_new_file_are_reported(project: Path) -> None:
    (project / "docs").mkdir()
    (project / "docs" / "oncall.md").write_text(INLINE_CONFLICT)

    assert conflicts(project) == {"docs/oncall.md": "conflict markers"}


def test_unmerged_index_entries_are_reported(project: Path) -> None:
    # A real merge conflict recorded in the index, as copier records an inline conflict.
    git(project, "checkout", "-qb", "theirs")
    (project / "logic.py").write_text("X = 2\n")
    git(project, "commit", "-qam", "theirs")
    git(project, "checkout", "-q", "-")
    (project / "logic.py").write_text("X = 3\n")
    git(project, "commit", "-qam", "ours")
    subprocess.run(["git", "merge", "-q", "theirs"], cwd=project, capture_output=True, check=False)

    assert conflicts(project) == {"logic.py": "conflict markers"}


def test_a_rejected_change_is_reported_even_when_rej_files_are_ignored(project: Path) -> None:
    (project / "README.md.rej").write_text("@@ -1 +1 @@\n-# Orders\n+# Orders v2\n")

    assert conflicts(project) == {
        "README.md.rej": "changes the update could not apply to README.md"
    }


def test_conflicts_exit_1_naming_each_file_and_the_real_project_path(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "README.md").write_text(INLINE_CONFLICT)
    (project / "logic.py.rej").write_text("@@\n")

    code = main([str(project), "--version", "v0.2.0"])

    captured = capsys.readouterr()
    assert (code, captured.out) == (1, "")
    assert captured.err == (
        f"post_update: the update to v0.2.0 left 2 files to resolve in {project}:\n"
        "  README.md     conflict markers\n"
        "  logic.py.rej  changes the update could not apply to logic.py\n"
        "The update is written but not finished. To finish it:\n"
        f"  cd {project}\n"
        "  - for FILE.rej: apply its changes to FILE by hand, then delete FILE.rej\n"
        "  - edit each file with conflict markers to the result you want and delete the "
        "markers (<<<<<<< before updating, =======, >>>>>>> after updating)\n"
        "  - git add the resolved files (marks them resolved)\n"
        "  - make check\n"
        "  - git commit\n"
        "`git diff HEAD` shows everything the update changed. copier's line below, "
        '"Task [...] returned non-zero exit status 1", is this report, not a crash.\n'
    )


def test_a_project_in_a_subdirectory_reports_paths_relative_to_it(tmp_path: Path) -> None:
    project = tmp_path / "services" / "orders"
    project.mkdir(parents=True)
    (project / "README.md").write_text("# Orders\n")
    (tmp_path / "other.md").write_text("x\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "monorepo")
    (project / "README.md").write_text(INLINE_CONFLICT)
    (tmp_path / "other.md").write_text(INLINE_CONFLICT)  # outside the project: not its update

    assert conflicts(project) == {"README.md": "conflict markers"}


def test_outside_a_git_work_tree_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))

    assert main([str(tmp_path)]) == 2
    assert "not a git work tree" in capsys.readouterr().err


def _owned_models(project: Path, source: str) -> Path:
    package = project / "src" / "orders"
    package.mkdir(parents=True)
    (package / "models.py").write_text(source)
    (package / "logic.py").write_text("from orders.models import Order\n")
    return package


def test_an_owned_file_still_on_msgspec_exits_1_naming_it_and_the_port(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _owned_models(project, "from msgspec import Meta, Struct\n\n\nclass Order(Struct): ...\n")

    code = main([str(project), "--version", "v0.4.0"])

    captured = capsys.readouterr()
    assert (code, captured.out) == (1, "")
    assert "Action needed. 1 file you own" in captured.err
    assert "src/orders/models.py  uses msgspec" in captured.err
    assert '"Action needed (copier update from 0.3.0)"' in captured.err
    assert "src/orders/logic.py" not in captured.err  # ported files are not named


def test_a_ported_owned_file_needs_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A comment that mentions the old library is not code that imports it.
    _owned_models(project, "# was: from msgspec import Struct\nfrom pydantic import BaseModel\n")

    assert main([str(project), "--version", "v0.4.0"]) == 0
    assert capsys.readouterr().err == ""


def test_a_logic_name_the_new_handler_calls_but_the_team_s_logic_lacks_is_a_port(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = project / "src" / "orders"
    package.mkdir(parents=True)
    (package / "handler.py").write_text(
        "from orders import logic\n\nlogic.price_order(1)\nlogic.price_order_for(2)\n"
    )
    (package / "logic.py").write_text("def price_order(x: int) -> int:\n    return x\n")

    assert main([str(project), "--version", "v0.4.0"]) == 1
    err = capsys.readouterr().err
    assert "src/orders/logic.py  does not define price_order_for," in err
    assert "price_order," not in err  # defined names are not reported


def test_a_team_logic_that_defines_every_called_name_needs_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = project / "src" / "orders"
    package.mkdir(parents=True)
    (package / "handler.py").write_text("from orders import logic\n\nlogic.NotTheCustomer\n")
    (package / "logic.py").write_text("class NotTheCustomer(Exception):\n    pass\n")

    assert main([str(project), "--version", "v0.4.0"]) == 0
    assert capsys.readouterr().err == ""


def _answers(project: Path, text: str) -> None:
    (project / ".copier-answers.yml").write_text(
        "# Changes here will be overwritten by Copier\n_commit: v0.3.0\n" + text
    )


def _update_answers(project: Path, recorded: str, updated: str) -> None:
    """The answers file committed with `recorded` answers, then rewritten as an update would."""
    _answers(project, recorded)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "answers")
    _answers(project, updated)


def test_a_recorded_answer_the_update_replaced_is_named_with_its_old_value(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What copier writes when the new validator refuses the recorded '1' under --defaults.
    _update_answers(
        project,
        recorded="reserved_concurrency: '1'\ntrigger: sqs\n",
        updated="permissions_boundary: ''\nreserved_concurrency: '0'\ntrigger: sqs\n",
    )

    code = main([str(project), "--version", "v0.4.0"])

    err = capsys.readouterr().err
    assert code == 0
    assert "changed 1 recorded answer." in err
    # The unchanged trigger and the new question (nothing recorded before) are not listed.
    listed = [line for line in err.splitlines() if line.startswith("  ")]
    assert listed == ["  reserved_concurrency: '1' -> '0'"]


def test_unchanged_answers_are_not_mentioned(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _update_answers(
        project,
        recorded="reserved_concurrency: '10'\n",
        updated="permissions_boundary: ''\nreserved_concurrency: '10'\n",
    )

    assert main([str(project)]) == 0
    assert capsys.readouterr().err == ""
