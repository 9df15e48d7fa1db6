"""`copier update` on a project that lived on: new practice files arrive, the user's own files
survive, a renamed answer is migrated, an update that merges cleanly succeeds, and one that
leaves conflicts fails naming them; and the update from the previous release works.

The template's git history is built in a temporary repository: v1.0.0 is this working tree, v2.0.0
adds a practice file, edits the README and the logic, and renames the cost_center question with an
unversioned migration (the kind docs/updating.md asks for).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import copier
import jinja2
import pytest
import yaml

from tests.conftest import ROOT, VENV_BIN
from tests.releases import RELEASES, clone_with_release

MIGRATION = """\
  - when: "{{ _stage == 'before' }}"
    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/migrate_answers.py",
              "{{ _copier_conf.answers_file }}", "--rename", "cost_center=cost_centre"]
"""
# A user's own code with doubled braces: an f-string brace escape is not a template leftover.
USER_FSTRING = '\n\ndef tag(name: str) -> str:\n    return f"{{{name}}}"\n'
# Where copier renders the old and new template during an update (TemporaryDirectory prefixes):
# nothing the user reads may point there.
COPIER_TEMP_RENDERS = "copier._main."


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
    _git(repo, "commit", "-q", "--allow-empty", "-m", tag)
    _git(repo, "tag", tag)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def _copy_working_tree(destination: Path) -> None:
    """This template's working tree (uncommitted changes included, ignored files left out)."""
    tracked = _git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").split("\n")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)


def copier_update(project: Path, vcs_ref: str) -> subprocess.CompletedProcess[str]:
    """The real `copier update` command line, as a user runs it in the project."""
    return subprocess.run(
        [str(VENV_BIN / "copier"), "update", "--trust", "--defaults", "--vcs-ref", vcs_ref],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("template-history")
    _copy_working_tree(repo)
    _git(repo, "init", "-q")
    _commit_and_tag(repo, "v1.0.0")

    (repo / "template" / "docs" / "oncall.md.jinja").write_text(
        "# On call for {{ project_name }}\n\nPage {{ owner_team }} through the alarm topic.\n"
    )
    # The title line, however the template spells it: the line the team edits too.
    readme = repo / "template" / "README.md.jinja"
    text, titles = re.subn(
        r"(?m)^(# .*project_name.*)$", r"\1 (AWS Lambda)", readme.read_text(), count=1
    )
    assert titles == 1, f"no title line with project_name in {readme}"
    readme.write_text(text)
    logic = next((repo / "template" / "src").glob("*/logic.py*"))
    _replace(logic, '"""Business logic:', '"""Business logic (v2 wording):')
    for path in [
        repo / "copier.yml",
        *(repo / "template").rglob("*"),
        *(repo / "includes").rglob("*"),
        *(repo / "validation").rglob("*"),
    ]:
        if path.is_file() and "cost_center" in path.read_text():
            path.write_text(path.read_text().replace("cost_center", "cost_centre"))
    _replace(repo / "copier.yml", "_migrations:\n", "_migrations:\n" + MIGRATION)
    _commit_and_tag(repo, "v2.0.0")
    return repo


def lived_on(template_repo: Path, project: Path, *, edit_readme: bool) -> Path:
    """A v1.0.0 project after months of the team's work, committed, with `make install` run."""
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

    with (project / "src" / "order_processor" / "logic.py").open("a") as logic:
        logic.write("\n\ndef team_rule() -> str:\n    return 'ours'\n" + USER_FSTRING)
    with (project / "tests" / "unit" / "test_logic.py").open("a") as tests:
        tests.write("\n\ndef test_team_rule() -> None:\n    assert True is not False\n")
    if edit_readme:
        _replace(project / "README.md", "# Order Processor\n", "# Order Processor service\n")
    _git(project, "commit", "-q", "-am", "team edits")
    # What the rendered Makefile's `make install` leaves on a machine without uv: a virtualenv
    # in .tools/ (ignored by the project's .gitignore), full of third-party code.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", project / ".tools"], check=True)
    site = next((project / ".tools" / "lib").glob("python*")) / "site-packages" / "vendored"
    site.mkdir(parents=True)
    (site / "old.py").write_text("print 'python 2'\n{{ project_name }}\n")
    return project


@pytest.fixture(scope="module")
def conflicted(
    template_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The README was edited by the team and by v2.0.0: updated with the CLI."""
    project = lived_on(
        template_repo, tmp_path_factory.mktemp("conflicted") / "orders", edit_readme=True
    )
    return project, copier_update(project, "v2.0.0")


@pytest.fixture(scope="module")
def clean(
    template_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """Nothing edited on both sides: updated with the CLI."""
    project = lived_on(
        template_repo, tmp_path_factory.mktemp("clean") / "orders", edit_readme=False
    )
    return project, copier_update(project, "v2.0.0")


def test_a_clean_update_succeeds_and_says_what_to_run(
    clean: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    project, result = clean
    assert result.returncode == 0, result.stderr
    assert (
        f"Updated {project} to template v2.0.0. Review the changes (git diff), "
        "run `make check`, then commit."
    ) in result.stdout


def test_an_update_neither_validates_nor_mentions_temporary_renders(
    clean: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    # The post-generation check belongs to new projects: on an update it used to run on the
    # temporary renders and print "validated" next steps pointing at them.
    _, result = clean
    output = result.stdout + result.stderr
    assert "Project rendered and validated" not in output
    assert COPIER_TEMP_RENDERS not in output


def test_a_clean_update_through_the_api_succeeds(
    template_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = lived_on(template_repo, tmp_path / "orders", edit_readme=False)
    capfd.readouterr()

    copier.run_update(
        str(project), vcs_ref="v2.0.0", defaults=True, unsafe=True, overwrite=True, quiet=True
    )

    captured = capfd.readouterr()
    assert f"Updated {project} to template v2.0.0." in captured.out
    assert COPIER_TEMP_RENDERS not in captured.out + captured.err


def test_an_update_with_conflicts_fails_naming_each_file(
    conflicted: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    project, result = conflicted
    assert result.returncode != 0
    assert result.stdout.count("Updated ") == 0
    assert (
        f"post_update: the update to v2.0.0 left 1 file to resolve in {project}:\n"
        "  README.md  conflict markers\n"
    ) in result.stderr
    assert "  - make check\n" in result.stderr
    assert COPIER_TEMP_RENDERS not in result.stdout + result.stderr


def test_new_practice_file_arrives(conflicted: tuple[Path, Any]) -> None:
    project, _ = conflicted
    assert "Page platform-team" in (project / "docs" / "oncall.md").read_text()


def test_users_logic_survives_and_is_not_overwritten(conflicted: tuple[Path, Any]) -> None:
    project, _ = conflicted
    logic = (project / "src" / "order_processor" / "logic.py").read_text()
    assert "def team_rule()" in logic
    assert logic.endswith(USER_FSTRING)
    assert "v2 wording" not in logic  # logic.py belongs to the team after the first copy


def test_users_tests_survive(conflicted: tuple[Path, Any]) -> None:
    project, _ = conflicted
    assert "def test_team_rule()" in (project / "tests/unit/test_logic.py").read_text()


def test_file_changed_on_both_sides_keeps_both_behind_conflict_markers(
    conflicted: tuple[Path, Any],
) -> None:
    project, _ = conflicted
    readme = (project / "README.md").read_text()
    assert "<<<<<<< before updating" in readme
    assert ">>>>>>> after updating" in readme
    assert "# Order Processor service" in readme
    assert "# Order Processor (AWS Lambda)" in readme


def test_renamed_answer_is_migrated_with_its_value(conflicted: tuple[Path, Any]) -> None:
    project, _ = conflicted
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["cost_centre"] == "CC-1234"
    assert "cost_center" not in answers
    assert answers["_commit"] == "v2.0.0"
    assert 'Value: "CC-1234"' in (project / "template.yaml").read_text()


def test_a_recopy_of_a_lived_in_project_does_not_judge_the_teams_files(
    template_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # copier runs a recopy as a copy: the post-generation task runs, among the team's files.
    project = lived_on(template_repo, tmp_path / "orders", edit_readme=False)
    (project / "events" / "truncated.json").write_text('{"Records": [\n')  # on purpose
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "a malformed event for the handler's error path")
    capfd.readouterr()

    copier.run_recopy(
        str(project), vcs_ref="v2.0.0", defaults=True, overwrite=True, unsafe=True, quiet=True
    )

    assert "already held this project" in capfd.readouterr().out
    assert (project / "events" / "truncated.json").read_text() == '{"Records": [\n'


def test_unversioned_migrations_run_when_the_template_has_no_tags(tmp_path: Path) -> None:
    # What docs/updating.md and copier.yml rely on: without tags copier still reads a fallback
    # version and runs every migration without `version:`, and never one gated by it.
    template = tmp_path / "template"
    template.mkdir()
    (template / "copier.yml").write_text(
        "_migrations:\n"
        "  - when: \"{{ _stage == 'after' }}\"\n"
        '    command: ["{{ _copier_python }}", "-c", "open(\'unversioned\', \'w\')"]\n'
        "  - version: v0.1.0\n"
        "    when: \"{{ _stage == 'after' }}\"\n"
        '    command: ["{{ _copier_python }}", "-c", "open(\'versioned\', \'w\')"]\n'
    )
    (template / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml }}"
    )
    (template / "a.txt").write_text("1\n")
    _git(template, "init", "-q")
    _git(template, "add", "-A")
    _git(template, "commit", "-qm", "one")
    project = tmp_path / "project"
    copier.run_copy(str(template), str(project), defaults=True, unsafe=True, quiet=True)
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "render")
    (template / "a.txt").write_text("2\n")
    _git(template, "commit", "-qam", "two")

    copier.run_update(str(project), defaults=True, unsafe=True, overwrite=True, quiet=True)

    assert (project / "a.txt").read_text() == "2\n"
    assert (project / "unversioned").exists()
    assert not (project / "versioned").exists()


# ------------------------------------------------------------------ from the previous release


def _next_version(tag: str) -> str:
    major, minor, _ = (int(part) for part in tag.removeprefix("v").split("."))
    return f"v{major}.{minor + 1}.0"


def _tree(root: Path) -> dict[str, bytes]:
    files = {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }
    files[".copier-answers.yml"] = re.sub(rb"(?m)^_commit: .*\n", b"", files[".copier-answers.yml"])
    return files


def _user_owned(template: Path, answers: dict[str, Any]) -> set[str]:
    """The files `_skip_if_exists` gives to the user: an update keeps them as they were."""
    config = yaml.safe_load((template / "copier.yml").read_text())
    return {jinja2.Template(path).render(**answers) for path in config["_skip_if_exists"]}


def _previous_release_project(tmp_path: Path) -> tuple[Path, Path, str, str]:
    """A template repository tagged with the last release and, as the next version, this working
    tree; and a committed project rendered from the last release with the default answers.
    Returns (template, project, previous version, next version)."""
    previous, commit = RELEASES[-1]
    current = _next_version(previous)
    template = clone_with_release(tmp_path / "template", RELEASES[-1])
    # Only the two versions under test, whatever tags did or did not come with the clone.
    for tag in _git(template, "tag", "--list").split():
        _git(template, "tag", "-d", tag)
    _git(template, "tag", previous, commit)
    _git(template, "checkout", "-q", "-B", "next")
    _git(template, "rm", "-rq", "--cached", ".")
    for path in template.iterdir():
        if path.name != ".git":
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    _copy_working_tree(template)
    _commit_and_tag(template, current)

    project = tmp_path / "project"
    copier.run_copy(
        str(template), str(project), vcs_ref=previous, defaults=True, unsafe=True, quiet=True
    )
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", f"render {previous}")
    return template, project, previous, current


# The owned files of releases up to v0.3.0 are written for msgspec, which this version's handlers
# replaced with pydantic: an update from them ends by naming those files (hooks/post_update.py).
PORT_NEEDED_FROM = {"v0.3.0"}


def test_update_from_the_previous_release_equals_a_fresh_render(tmp_path: Path) -> None:
    template, project, previous, current = _previous_release_project(tmp_path)
    before = _tree(project)

    result = copier_update(project, current)

    if previous in PORT_NEEDED_FROM:
        assert result.returncode == 1, result.stdout + result.stderr
        assert "post_update: Action needed." in result.stderr
        assert "to resolve" not in result.stderr  # the port, not a merge conflict
    else:
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"Updated {project} to template {current}." in result.stdout
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == current
    fresh = tmp_path / "fresh"
    copier.run_copy(
        str(template),
        str(fresh),
        vcs_ref=current,
        data={key: value for key, value in answers.items() if not key.startswith("_")},
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    updated, expected = _tree(project), _tree(fresh)
    owned = _user_owned(template, answers)
    assert owned <= set(updated)
    assert {name: updated[name] for name in owned} == {name: before[name] for name in owned}
    differing = sorted(
        name
        for name in (updated.keys() | expected.keys()) - owned
        if updated.get(name) != expected.get(name)
    )
    assert differing == []


@pytest.mark.skipif(RELEASES[-1][0] not in PORT_NEEDED_FROM, reason="no owned file to port")
def test_an_update_that_needs_a_port_names_the_owned_files_and_keeps_the_team_s_code(
    tmp_path: Path,
) -> None:
    _, project, _, current = _previous_release_project(tmp_path)
    logic = project / "src" / "order_processor" / "logic.py"
    logic.write_text(logic.read_text() + "\n\ndef team_rule() -> str:\n    return 'ours'\n")
    _git(project, "commit", "-qam", "our rule")

    result = copier_update(project, current)

    # What the user sees last: the files to port, and where the port is written down.
    assert result.returncode == 1
    assert f"must be ported to {current}:" in result.stderr
    assert "src/order_processor/models.py  uses msgspec" in result.stderr
    section = "### Action needed (`copier update` from 0.3.0)"
    assert section in (ROOT / "CHANGELOG.md").read_text()  # the entry the message names exists
    assert "def team_rule() -> str:" in logic.read_text()  # never overwritten
