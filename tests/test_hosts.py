"""Every Python that the supported copier versions run on renders the template.

The renderers run from the environments `make test` builds (.venv-hosts/<version>, from
requirements/hosts.txt), through their real command lines, as a user on that Python would run
them. The rendered project targets a newer Python than these hosts, so the post-generation hook
has to judge its code with another interpreter; the tree must equal the one rendered on 3.13.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, answer_set_params
from tests.rendered import rendered_file

HOSTS = ("3.10", "3.11")
ENGINE_ANSWERS_FILE = ".copier-answers.yml"


def host_bin(version: str) -> Path:
    """The bin directory of the host environment for `version`; fails when it was not built."""
    bin_dir = ROOT / ".venv-hosts" / version / "bin"
    if not (bin_dir / "copier").exists():
        pytest.fail(
            f"no host environment for Python {version}: run `make .venv-hosts/{version}/.installed`"
            " (`make test` builds it)"
        )
    return bin_dir


def tree(root: Path) -> dict[str, bytes]:
    """Every file of a render; the answers file without `_commit`, which names the commit
    copier made of the (possibly dirty) template for this one render."""
    files = {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if rendered_file(root, path)
    }
    files[ENGINE_ANSWERS_FILE] = re.sub(rb"(?m)^_commit: .*\n", b"", files[ENGINE_ANSWERS_FILE])
    return files


def differing(expected: dict[str, bytes], actual: dict[str, bytes]) -> list[str]:
    return sorted(
        name for name in expected.keys() | actual.keys() if expected.get(name) != actual.get(name)
    )


def copier_copy(version: str, destination: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(str(host_bin(version) / "copier"), "copy", "--trust", "--defaults"),
            *("--vcs-ref", "HEAD", str(ROOT), str(destination)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def cookiecutter(version: str, output: Path) -> subprocess.CompletedProcess[str]:
    # Replay and clone caches in tmp, not the user's home.
    config = output.parent / "cookiecutter.yml"
    config.write_text(
        f"replay_dir: {output.parent / 'replay'}\ncookiecutters_dir: {output.parent / 'cache'}\n"
    )
    return subprocess.run(
        [
            *(str(host_bin(version) / "cookiecutter"), "--no-input"),
            *("--config-file", str(config), "--output-dir", str(output), str(ROOT)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("rendered", answer_set_params("defaults"), indirect=True)
def test_copier_on_an_older_python_renders_the_same_tree(
    host: str, rendered: Path, tmp_path: Path
) -> None:
    result = copier_copy(host, tmp_path / "project")

    assert result.returncode == 0, result.stderr
    # The syntax was judged, not skipped: by the project's Python, found on this machine.
    assert "post_gen: note: Python files compiled by " in result.stdout
    assert differing(tree(rendered), tree(tmp_path / "project")) == []


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("rendered", answer_set_params("defaults"), indirect=True)
def test_cookiecutter_on_an_older_python_renders_the_same_tree(
    host: str, rendered: Path, tmp_path: Path
) -> None:
    (tmp_path / "out").mkdir()
    result = cookiecutter(host, tmp_path / "out")

    assert result.returncode == 0, result.stderr
    assert "post_gen: note: Python files compiled by " in result.stdout
    (project,) = (tmp_path / "out").iterdir()
    assert differing(tree(rendered), tree(project)) == []


@pytest.mark.parametrize("host", HOSTS)
def test_hook_on_an_older_python_judges_code_by_the_projects_python(
    host: str, tmp_path: Path
) -> None:
    # 3.12 syntax (PEP 695), which 3.10 and 3.11 reject, in a project on Python 3.12.
    (tmp_path / ".python-version").write_text("3.12\n")
    (tmp_path / "ok.py").write_text("type Pair[T] = tuple[T, T]\n")
    (tmp_path / "bad.py").write_text("def first[T](pair: tuple[T, T]) -> T\n    return pair[0]\n")

    result = subprocess.run(
        [str(host_bin(host) / "python"), str(ROOT / "hooks" / "post_gen.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "post_gen: bad.py: line 1: Python syntax error: expected ':'"
    ]


@pytest.mark.parametrize("host", HOSTS)
def test_update_hooks_run_on_an_older_python(host: str, tmp_path: Path) -> None:
    # The migrations run in copier's interpreter during `copier update`, like post_gen.
    answers = tmp_path / ".copier-answers.yml"
    answers.write_text("_commit: v0.1.0\ncost_center: CC-1\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "render"], cwd=tmp_path, check=True)
    python, hooks = str(host_bin(host) / "python"), ROOT / "hooks"

    migrated = subprocess.run(
        [python, str(hooks / "migrate_answers.py"), str(answers), "--rename", "cost_center=cc"],
        capture_output=True,
        text=True,
        check=False,
    )
    reported = subprocess.run(
        [python, str(hooks / "post_update.py"), "--version", "v0.2.0", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert (migrated.returncode, migrated.stderr) == (0, "")
    assert answers.read_text() == "_commit: v0.1.0\ncc: CC-1\n"
    assert (reported.returncode, reported.stderr) == (0, "")
    assert reported.stdout.startswith(f"Updated {tmp_path} to template v0.2.0.")
