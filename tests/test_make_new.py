"""The README's first command: `make new` renders with defaults when no one is at a terminal,
says where it wrote, and never writes into a directory that already holds files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import ROOT


def _make_new(destination: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "new", f"DEST={destination}"],
        cwd=ROOT,
        env={**os.environ, "CI": "true"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_new_renders_defaults_and_says_where(tmp_path: Path) -> None:
    destination = tmp_path / "fresh"
    result = _make_new(destination)
    assert result.returncode == 0, result.stderr
    assert f"make new: wrote {destination}" in result.stdout
    assert "Runtime: python3.13" in (destination / "template.yaml").read_text()


def test_make_new_refuses_a_destination_holding_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = _make_new(tmp_path)
    assert result.returncode != 0
    assert "already holds files" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
