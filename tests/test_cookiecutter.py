"""cookiecutter renders the same repo as copier, from the same tree and the same questions.

Also its entry's own faults: a template path relative to a directory the hooks cannot see, a
remote template recorded as cookiecutter's local cache, answers cookiecutter would evaluate as
Jinja, and a destination that already holds the user's files.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException  # type: ignore[import-untyped]
from cookiecutter.generate import generate_context  # type: ignore[import-untyped]
from cookiecutter.main import cookiecutter  # type: ignore[import-untyped]
from cookiecutter.prompt import prompt_for_config  # type: ignore[import-untyped]
from jinja2 import Environment

from tests.answer_sets import ANSWER_SETS
from tests.conftest import ROOT, VENV_BIN, answer_set_params
from tests.rendered import rendered_file

sys.path.insert(0, str(ROOT / "hooks"))

# The hooks directory is not a package: its modules are imported from the path set above.
import cookiecutter_bridge
import questions

ENGINE_ANSWERS_FILE = ".copier-answers.yml"
COOKIECUTTER = str(VENV_BIN / "cookiecutter")
# As cookiecutter loads it: imported by name, with the template's directory on sys.path.
(GUARD,) = questions.EXTENSIONS
REMOTE = "gh:acme/copier-aws-lambda"
REMOTE_URL = "https://github.com/acme/copier-aws-lambda.git"
# Evaluated, it would create a file named in the answer (cookiecutter's Jinja is not sandboxed).
PAYLOAD = "Prices orders {{ cycler.__init__.__globals__.__builtins__.open(%r, 'w') }} daily"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if rendered_file(root, path) and path.name != ENGINE_ANSWERS_FILE
    }


def _cli(
    *arguments: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COOKIECUTTER, *arguments],
        cwd=cwd,
        env={**os.environ, "HOME": str(cwd), **(env or {})},  # no user config, no replay dir
        capture_output=True,
        text=True,
        check=False,
    )


def _api_config(tmp_path: Path) -> str:
    """A cookiecutter config keeping its replay files and clones in `tmp_path`."""
    config = tmp_path / "cookiecutterrc.yaml"
    config.write_text(
        f"cookiecutters_dir: {tmp_path / 'cookiecutters'}\nreplay_dir: {tmp_path / 'replay'}\n"
    )
    return str(config)


def _answers(project: Path) -> dict[str, Any]:
    answers: dict[str, Any] = yaml.safe_load((project / ENGINE_ANSWERS_FILE).read_text())
    return answers


def test_cookiecutter_json_is_derived_from_copier_yml() -> None:
    committed = (ROOT / "cookiecutter.json").read_text()
    assert committed == questions.render_cookiecutter_json(), "run: python hooks/questions.py"


def test_cookiecutter_asks_every_question_copier_asks() -> None:
    context = questions.cookiecutter_context()
    assert set(questions.questions()) == {name for name in context if not name.startswith("_")}


def _as_typed(answers: dict[str, Any]) -> dict[str, Any]:
    """`answers` as cookiecutter's command line gives them to a choice: a str question's as text."""
    asked = questions.questions()
    return {
        name: str(value)
        if "choices" in asked.get(name, {}) and asked[name]["type"] == "str"
        else value
        for name, value in answers.items()
    }


@pytest.mark.parametrize("rendered", answer_set_params(), indirect=True)
def test_cookiecutter_and_copier_render_identical_trees(
    rendered: Path, cookies: Any, request: pytest.FixtureRequest
) -> None:
    answers = ANSWER_SETS[request.node.callspec.params["rendered"]]
    baked = cookies.bake(extra_context=_as_typed(answers))
    assert baked.exit_code == 0, baked.exception
    copier_tree, cookiecutter_tree = _tree(rendered), _tree(baked.project_path)
    assert sorted(copier_tree) == sorted(cookiecutter_tree)
    differing = [name for name in copier_tree if copier_tree[name] != cookiecutter_tree[name]]
    assert differing == []


def test_bad_answer_stops_cookiecutter_before_anything_is_written(
    cookies: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    baked = cookies.bake(extra_context={"memory_size": 64})
    assert baked.exit_code != 0
    assert "Validation error for question 'memory_size'" in capfd.readouterr().err
    assert baked.project_path is None or not baked.project_path.exists()


def test_without_copier_the_hook_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "copier", None)  # makes `import copier` fail
    with pytest.raises(SystemExit) as stopped:
        cookiecutter_bridge.validate(
            {"_template": str(ROOT), "_repo_dir": str(ROOT)}, ROOT, tmp_path
        )
    assert stopped.value.code == 1
    message = capsys.readouterr().err.strip()
    assert message == cookiecutter_bridge.MISSING_COPIER
    minimum = yaml.safe_load((ROOT / "copier.yml").read_text())["_min_copier_version"]
    assert f"pip install 'copier>={minimum},<10'" in message  # what copier itself enforces
    assert "\n" not in message


# --- the template's location ------------------------------------------------------------------


def test_a_choice_given_on_the_command_line_is_taken(tmp_path: Path) -> None:
    # The command line gives every answer as text, the numbers of a choice too.
    result = _cli("--no-input", str(ROOT), "log_retention_days=7", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert str(_answers(tmp_path / "order-processor")["log_retention_days"]) == "7"


def test_strict_compliance_derives_the_same_answers_as_copier(tmp_path: Path) -> None:
    result = _cli("--no-input", str(ROOT), "compliance=strict", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    answers = _answers(tmp_path / "order-processor")
    chosen = {name: str(answers[name]) for name in ("log_retention_days", "kms_key", "vpc_enabled")}
    assert chosen == {
        "log_retention_days": "365",
        "kms_key": "customer-managed",
        "vpc_enabled": "True",
    }


def test_cookiecutter_run_by_a_program_with_a_relative_path_renders(tmp_path: Path) -> None:
    # A program's subprocess, unlike a shell, leaves PWD as it found it: here a directory at
    # another depth, so the relative path resolves to nothing there.
    workdir, elsewhere = tmp_path / "work", tmp_path / "else" / "where"
    workdir.mkdir()
    elsewhere.mkdir(parents=True)
    result = _cli(
        "--no-input", os.path.relpath(ROOT, workdir), cwd=workdir, env={"PWD": str(elsewhere)}
    )
    assert result.returncode == 0, result.stderr
    assert _answers(workdir / "order-processor")["_src_path"] == str(ROOT)


def test_one_process_rendering_another_copy_of_the_template_uses_that_copy(
    tmp_path: Path,
) -> None:
    # A portal keeps cookiecutter's modules, ours included, imported between renders; here it
    # was imported from this repository, and the next render is from another copy.
    importlib.import_module(GUARD.rpartition(".")[0])
    copy = tmp_path / "templates" / "copier-aws-lambda"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(copy)], check=True)
    project = cookiecutter(
        str(copy), no_input=True, output_dir=str(tmp_path), config_file=_api_config(tmp_path)
    )
    assert _answers(Path(project))["_src_path"] == str(copy)


# --- the recorded source ----------------------------------------------------------------------


def _git(*arguments: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *arguments],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_remote_template_is_recorded_by_the_url_cookiecutter_cloned(tmp_path: Path) -> None:
    # What cookiecutter leaves for the hooks after `cookiecutter gh:acme/copier-aws-lambda`: a
    # clone in its cache (here a clone of this repository's last commit, made without network).
    clone, project = tmp_path / "cache" / "copier-aws-lambda", tmp_path / "project"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    project.mkdir()
    context = {"_template": REMOTE, "_repo_dir": str(clone)}
    assert cookiecutter_bridge.render(context, clone, project) == 0
    assert _answers(project)["_src_path"] == REMOTE_URL

    # copier reads the answers file and reaches the template at that URL (git sends it to the
    # clone: no network here), as `copier update` does on any machine.
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)
    _git("commit", "-qm", "rendered", cwd=project)
    redirect = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{clone}.insteadOf",
        "GIT_CONFIG_VALUE_0": REMOTE_URL,
        "COPIER_CACHE_DIR": str(tmp_path / "copier-cache"),
    }
    checked = subprocess.run(
        [str(VENV_BIN / "copier"), "check-update", "--output-format", "json"],
        cwd=project,
        env={**os.environ, **redirect},
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["update_available"] is False


def test_recording_the_source_changes_only_that_entry(tmp_path: Path) -> None:
    # copier's to_nice_yaml folds a long path with spaces over several lines.
    answers = tmp_path / ENGINE_ANSWERS_FILE
    before = "# Changes here will be overwritten by Copier\n_commit: v1.0.0\n"
    after = "description: Prices orders.\nmemory_size: 512\n"
    folded = (
        "_src_path: /home/someone/My Templates/a long directory name/and another\n"
        "  one/copier-aws-lambda\n"
    )
    answers.write_text(before + folded + after)
    cookiecutter_bridge.record_source(answers, REMOTE_URL)
    assert answers.read_text() == f"{before}_src_path: {REMOTE_URL}\n{after}"


def test_template_found_in_cookiecutters_cache_by_name_is_recorded_by_its_origin(
    tmp_path: Path,
) -> None:
    # `cookiecutter copier-aws-lambda` reuses an earlier clone in cookiecutter's cache.
    clone = tmp_path / "cookiecutters" / "copier-aws-lambda"
    clone.mkdir(parents=True)
    _git("init", "-q", cwd=clone)
    _git("remote", "add", "origin", "git@git.example.com:platform/copier-aws-lambda.git", cwd=clone)
    context = {"_template": "copier-aws-lambda", "_repo_dir": str(clone)}
    source = cookiecutter_bridge.template_source(context, clone)
    assert source == "git@git.example.com:platform/copier-aws-lambda.git"


def test_abbreviation_from_the_users_config_is_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cookiecutterrc.yaml"
    config.write_text("abbreviations:\n  corp: https://git.corp.example/{0}.git\n")
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(config))
    context = {"_template": "corp:platform/copier-aws-lambda", "_repo_dir": str(ROOT)}
    source = cookiecutter_bridge.template_source(context, ROOT)
    assert source == "https://git.corp.example/platform/copier-aws-lambda.git"


def test_zip_archive_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    context = {"_template": "https://example.com/copier-aws-lambda.zip", "_repo_dir": str(ROOT)}
    assert cookiecutter_bridge.validate(context, ROOT, tmp_path) == 1
    assert "cannot render from https://example.com/copier-aws-lambda.zip, a zip archive" in (
        capsys.readouterr().err
    )


# --- answers are text -------------------------------------------------------------------------


def test_jinja_in_an_answer_is_refused_by_the_cli_in_one_line(tmp_path: Path) -> None:
    result = _cli("--no-input", str(ROOT), "description=Prices {{ 7*7 }} orders", cwd=tmp_path)
    assert result.returncode == 1
    output = (result.stdout + result.stderr).strip()
    assert output.startswith("copier-aws-lambda: the answer to 'description' contains Jinja")
    assert "\n" not in output  # no traceback, no context dump
    assert not (tmp_path / "order-processor").exists()


def test_jinja_in_an_answer_is_never_evaluated_through_the_api(tmp_path: Path) -> None:
    live = tmp_path / "live"
    Environment().from_string(PAYLOAD % str(live)).render()  # noqa: S701 - the unguarded case
    assert live.exists()  # the payload works where nothing guards against it
    evidence = tmp_path / "evaluated"
    with pytest.raises(FailedHookException) as refused:
        cookiecutter(
            str(ROOT),
            no_input=True,
            extra_context={"description": PAYLOAD % str(evidence)},
            output_dir=str(tmp_path / "out"),
            config_file=_api_config(tmp_path),
        )
    assert "the answer to 'description' contains Jinja syntax ('{{')" in str(refused.value)
    assert not evidence.exists()
    assert not (tmp_path / "out").exists()


def test_jinja_in_a_config_files_default_context_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text('default_context:\n  owner_team: "{% if true %}payments{% endif %}"\n')
    result = _cli("--no-input", "--config-file", str(config), str(ROOT), cwd=tmp_path)
    assert result.returncode == 1
    assert "the answer to 'owner_team' contains Jinja syntax ('{%')" in result.stdout
    assert not (tmp_path / "order-processor").exists()


def test_jinja_in_a_replayed_answer_is_refused_before_the_project_directory_exists(
    tmp_path: Path,
) -> None:
    # A replay file holds every answer of an earlier run (here the defaults), as the user left it.
    context = generate_context(str(ROOT / "cookiecutter.json"))
    answers = {**prompt_for_config(context, no_input=True), "description": "Prices {# a #} orders"}
    replay = tmp_path / "replay.json"
    replay.write_text(json.dumps({"cookiecutter": answers}))
    with pytest.raises(FailedHookException, match="the answer to 'description' contains Jinja"):
        cookiecutter(
            str(ROOT),
            replay=str(replay),
            output_dir=str(tmp_path / "out"),
            config_file=_api_config(tmp_path),
        )
    assert not (tmp_path / "out").exists()


def test_guard_lets_only_the_templates_own_sources_be_compiled() -> None:
    # Without cookiecutter's context (how a future cookiecutter might build its environment),
    # any source that is not the template's own and holds Jinja is still refused.
    environment = Environment(extensions=[GUARD])  # noqa: S701 - renders no HTML
    default = questions.cookiecutter_context()["jwt_audience"]
    assert environment.from_string(default).render(cookiecutter={"project_slug": "x-y"}) == "x-y"
    assert environment.from_string("Prices orders daily").render() == "Prices orders daily"
    with pytest.raises(FailedHookException, match="an answer contains Jinja syntax"):
        environment.from_string("{{ 7*7 }}")


def test_hook_refuses_an_answer_with_jinja_that_reached_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Typed and replayed answers reach the hooks unevaluated; the hook refuses them on its own.
    context = {
        "_template": str(ROOT),
        "_repo_dir": str(ROOT),
        "description": "Prices {{ n }} orders",
    }
    assert cookiecutter_bridge.validate(context, ROOT, tmp_path) == 1
    assert "the answer to 'description' contains Jinja syntax ('{{')" in capsys.readouterr().err


# --- the destination --------------------------------------------------------------------------


def test_overwrite_into_a_directory_with_files_is_refused_and_keeps_them(tmp_path: Path) -> None:
    existing = tmp_path / "order-processor"
    files = {
        "README.md": b"# My notes\n",
        "src/data.bin": bytes(range(256)),
        ".env": b"TOKEN=keep-me\n",
    }
    for name, content in files.items():
        (existing / name).parent.mkdir(parents=True, exist_ok=True)
        (existing / name).write_bytes(content)
    # Any entry created or removed in the directory, even briefly, would update its mtime.
    os.utime(existing, ns=(0, 0))
    result = _cli("--no-input", "--overwrite-if-exists", str(ROOT), cwd=tmp_path)
    assert result.returncode == 1
    assert f"the destination {existing} already holds files" in result.stderr
    assert _tree(existing) == files
    assert existing.stat().st_mtime_ns == 0  # nothing was written, not even cookiecutter's stub


def test_overwrite_into_an_empty_directory_renders(tmp_path: Path) -> None:
    (tmp_path / "order-processor").mkdir()
    result = _cli("--no-input", "--overwrite-if-exists", str(ROOT), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "order-processor" / "template.yaml").is_file()
