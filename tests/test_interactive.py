"""A person at a terminal: the real `copier copy` and `cookiecutter` driven in a pseudo-terminal.

Each run takes the defaults, types one invalid memory size, reads the validator's message, and
corrects it; the result passes the post-generation hook (it prints its summary only on success).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pexpect
import yaml

from tests.conftest import ROOT

ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")
BIN = Path(sys.executable).parent
HOOK_SUCCESS = "Project rendered and validated"
MEMORY_MESSAGE = 'memory_size: a whole number of MB from 128 to 10240 (got "64")'


def _terminal(command: str, arguments: list[str], home: Path, cwd: Path) -> pexpect.spawn[str]:
    env = {"TERM": "xterm", "HOME": str(home), "PATH": f"{BIN}:/usr/bin:/bin"}
    # No cursor-position replies come from pexpect: tell prompt_toolkit not to wait for them.
    env["PROMPT_TOOLKIT_NO_CPR"] = "1"
    return pexpect.spawn(
        str(BIN / command),
        arguments,
        cwd=cwd,
        env=env,
        encoding="utf-8",
        timeout=90,
        dimensions=(50, 250),
    )


def _asked_questions() -> dict[str, str]:
    spec = yaml.safe_load((ROOT / "copier.yml").read_text())
    return {
        name: " ".join(question["help"].split())
        for name, question in spec.items()
        if not name.startswith("_") and question.get("when") is not False
    }


def test_copier_prompts_show_the_validator_and_accept_the_correction(tmp_path: Path) -> None:
    questions = _asked_questions()
    names = list(questions)
    prompts = [re.escape(questions[name][:40]) for name in names]
    destination = tmp_path / "project"
    child = _terminal(
        "copier",
        ["copy", "--trust", "--vcs-ref", "HEAD", str(ROOT), str(destination)],
        tmp_path,
        tmp_path,
    )
    asked: list[str] = []
    while (index := child.expect([*prompts, pexpect.EOF])) < len(names):
        name = names[index]
        if name in asked:
            continue  # copier redraws a question and echoes it once answered
        asked.append(name)
        if name == "memory_size":
            child.send("\x7f" * 6 + "64\r")
            child.expect_exact(MEMORY_MESSAGE)
            child.send("\x7f" * 6 + "1024\r")
        else:
            child.send("\r")  # the default
    child.close()

    assert child.exitstatus == 0
    assert HOOK_SUCCESS in _screen(child)
    assert "MemorySize: 1024" in (destination / "template.yaml").read_text()
    # Only what matters for an SQS function is asked: no API, schedule or EventBridge questions.
    assert "api_auth" not in asked
    assert "schedule_expression" not in asked
    assert {"trigger", "batch_size", "memory_size", "powertools_source"} <= set(asked)


def _screen(child: pexpect.spawn[str]) -> str:
    """What the terminal showed before the last match, without colours and cursor moves."""
    return ANSI.sub("", child.before or "")


def _cookiecutter_session(tmp_path: Path, typed: dict[str, str]) -> tuple[int | None, str]:
    """Answer every prompt with its default, except those whose text holds a key of `typed`."""
    child = _terminal("cookiecutter", [str(ROOT)], tmp_path, tmp_path)
    while child.expect([r"\)(?:\x1b\[[0-9;]*m)*: ", pexpect.EOF]) == 0:
        prompt = _screen(child).splitlines()[-1]
        child.sendline(next((answer for text, answer in typed.items() if text in prompt), ""))
    child.close()
    return child.exitstatus, _screen(child)


def test_cookiecutter_prompts_report_the_validator_then_accept_the_correction(
    tmp_path: Path,
) -> None:
    status, output = _cookiecutter_session(tmp_path, {"Memory in MB": "64"})
    assert status != 0
    assert MEMORY_MESSAGE in output
    assert not (tmp_path / "order-processor").exists()  # nothing written

    status, output = _cookiecutter_session(tmp_path, {"Memory in MB": "1024"})
    assert status == 0
    assert HOOK_SUCCESS in output
    assert "MemorySize: 1024" in (tmp_path / "order-processor" / "template.yaml").read_text()


def test_cookiecutter_refuses_jinja_typed_at_the_prompt(tmp_path: Path) -> None:
    status, output = _cookiecutter_session(
        tmp_path, {"One sentence saying what the function does": "Prices {{ 7*7 }} orders"}
    )
    assert status == 1
    assert "the answer to 'description' contains Jinja syntax ('{{')" in output
    assert not (tmp_path / "order-processor").exists()  # refused before cookiecutter wrote it
