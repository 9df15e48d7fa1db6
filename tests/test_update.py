"""`copier update` on a project that lived on: new practice files arrive, the user's own files
survive, a file changed on both sides shows conflict markers, and a renamed answer is migrated.

The template's git history is built in a temporary repository: v1.0.0 is this working tree, v2.0.0
adds a practice file, edits the README and the logic, and renames the cost_center question.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import copier
import pytest
import yaml

from tests.conftest import ROOT

MIGRATION = """_migrations:
  - version: v2.0.0
    when: "{{ _stage == 'before' }}"
    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/migrate_answers.py",
              "{{ _copier_conf.answers_file }}", "--rename", "cost_center=cost_centre"]
"""


def _git(cwd: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _commit_and_tag(repo: Path, tag: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", tag)
    _git(repo, "tag", tag)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("template-history")
    tracked = _git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").split("\n")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    _git(repo, "init", "-q")
    _commit_and_tag(repo, "v1.0.0")

    (repo / "template" / "docs" / "oncall.md.jinja").write_text(
        "# On call for {{ project_name }}\n\nPage {{ owner_team }} through the alarm topic.\n"
    )
    _replace(
        repo / "template" / "README.md.jinja",
        "# {{ project_name }}\n",
        "# {{ project_name }} (AWS Lambda)\n",
    )
    logic = next((repo / "template" / "src").glob("*/logic.py*"))
    _replace(logic, '"""Business logic:', '"""Business logic (v2 wording):')
    for path in [
        repo / "copier.yml",
        *(repo / "template").rglob("*"),
        *(repo / "includes").rglob("*"),
    ]:
        if path.is_file() and "cost_center" in path.read_text():
            path.write_text(path.read_text().replace("cost_center", "cost_centre"))
    _replace(repo / "copier.yml", "_migrations: []\n", MIGRATION)
    _commit_and_tag(repo, "v2.0.0")
    return repo


@pytest.fixture(scope="module")
def updated_project(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("lived-on") / "orders"
    copier.run_copy(
        str(template_repo),
        str(project),
        vcs_ref="v1.0.0",
        data={"cost_center": "CC-1234"},
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "render v1")

    # Months of the team's own work.
    with (project / "src" / "order_processor" / "logic.py").open("a") as logic:
        logic.write("\n\ndef team_rule() -> str:\n    return 'ours'\n")
    with (project / "tests" / "unit" / "test_logic.py").open("a") as tests:
        tests.write("\n\ndef test_team_rule() -> None:\n    assert True is not False\n")
    _replace(project / "README.md", "# Order Processor\n", "# Order Processor service\n")
    _git(project, "commit", "-q", "-am", "team edits")

    copier.run_update(
        str(project),
        vcs_ref="v2.0.0",
        defaults=True,
        unsafe=True,
        overwrite=True,
        conflict="inline",
        quiet=True,
    )
    return project


def test_new_practice_file_arrives(updated_project: Path) -> None:
    assert "Page platform-team" in (updated_project / "docs" / "oncall.md").read_text()


def test_users_logic_survives_and_is_not_overwritten(updated_project: Path) -> None:
    logic = (updated_project / "src" / "order_processor" / "logic.py").read_text()
    assert "def team_rule()" in logic
    assert "v2 wording" not in logic  # logic.py belongs to the team after the first copy


def test_users_tests_survive(updated_project: Path) -> None:
    assert "def test_team_rule()" in (updated_project / "tests/unit/test_logic.py").read_text()


def test_file_changed_on_both_sides_keeps_both_behind_conflict_markers(
    updated_project: Path,
) -> None:
    readme = (updated_project / "README.md").read_text()
    assert "<<<<<<< before updating" in readme
    assert ">>>>>>> after updating" in readme
    assert "# Order Processor service" in readme
    assert "# Order Processor (AWS Lambda)" in readme


def test_renamed_answer_is_migrated_with_its_value(updated_project: Path) -> None:
    answers = yaml.safe_load((updated_project / ".copier-answers.yml").read_text())
    assert answers["cost_centre"] == "CC-1234"
    assert "cost_center" not in answers
    assert answers["_commit"] == "v2.0.0"
    assert 'Value: "CC-1234"' in (updated_project / "template.yaml").read_text()
