"""cookiecutter renders the same repo as copier, from the same tree and the same questions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.answer_sets import ANSWER_SETS
from tests.conftest import ROOT, answer_set_params

sys.path.insert(0, str(ROOT / "hooks"))

# The hooks directory is not a package: its modules are imported from the path set above.
import cookiecutter_bridge
import questions

ENGINE_ANSWERS_FILE = ".copier-answers.yml"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != ENGINE_ANSWERS_FILE
    }


def test_cookiecutter_json_is_derived_from_copier_yml() -> None:
    committed = (ROOT / "cookiecutter.json").read_text()
    assert committed == questions.render_cookiecutter_json(), "run: python hooks/questions.py"


def test_cookiecutter_asks_every_question_copier_asks() -> None:
    context = questions.cookiecutter_context()
    assert set(questions.questions()) == set(context) - {"__prompts__"}


@pytest.mark.parametrize("rendered", answer_set_params(), indirect=True)
def test_cookiecutter_and_copier_render_identical_trees(
    rendered: Path, cookies: Any, request: pytest.FixtureRequest
) -> None:
    answers = ANSWER_SETS[request.node.callspec.params["rendered"]]
    baked = cookies.bake(extra_context=answers)
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
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "copier", None)  # makes `import copier` fail
    with pytest.raises(SystemExit) as stopped:
        cookiecutter_bridge.validate({"_repo_dir": str(ROOT)})
    assert stopped.value.code == 1
    message = capsys.readouterr().err.strip()
    assert message == cookiecutter_bridge.MISSING_COPIER
    assert "pip install 'copier" in message
    assert "\n" not in message
