"""The documentation site (mkdocs.yml, issue 18): it builds with --strict, and its generated pages
are what their sources say: docs/questions.md is copier.yml as tools/docs_pages.py writes it, and
the benchmark page's included benchmarks/results.md is benchmarks/results.json as
benchmarks/markdown.py writes it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from benchmarks import markdown
from tests.conftest import ROOT
from tools import docs_pages

MKDOCS = ROOT / ".venv-docs" / "bin" / "mkdocs"


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    """A broken link, an unknown anchor, a page outside the nav or a missing include fails."""
    built = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    results = (tmp_path / "site" / "benchmark-results" / "index.html").read_text()
    # The included table, not the include directive.
    assert "--8&lt;--" not in results
    assert "Cold-start proxy" in results


def test_the_questions_page_is_copier_yml_as_generated() -> None:
    expected = docs_pages.questions_page((ROOT / "copier.yml").read_text(encoding="utf-8"))
    assert docs_pages.QUESTIONS_PAGE.read_text(encoding="utf-8") == expected, (
        "docs/questions.md is stale: run `python -m tools.docs_pages`"
    )


def test_the_benchmark_results_are_the_json_as_rendered() -> None:
    results = json.loads((ROOT / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    committed = (ROOT / "benchmarks" / "results.md").read_text(encoding="utf-8")
    assert committed == markdown.render(results)


SMALL = """
_subdirectory: template
region:
  type: str
  help: The <region> to deploy to
  default: eu-west-1
size:
  type: int
  help: Memory
  when: "{{ region != 'cn-north-1' }}"
  default: "{{ 512 if region == 'eu-west-1' else 256 }}"
  choices:
    "Small (256 MB)": 256
    "Large (512 MB)": 512
family:
  type: str
  when: false
  default: "{{ 'big' if size > 256 else 'small' }}"
"""


def test_each_question_is_listed_with_its_type_default_condition_and_choices() -> None:
    page = docs_pages.questions_page(SMALL)
    region = page.split("## `region`")[1].split("## ")[0]
    assert "The &lt;region&gt; to deploy to" in region
    assert "- Default: `eu-west-1`" in region
    size = page.split("## `size`")[1].split("## ")[0]
    assert "- Type: `int`" in size
    assert "- Default: derived: `{{ 512 if region == 'eu-west-1' else 256 }}`" in size
    assert "- Asked when: `{{ region != 'cn-north-1' }}`" in size
    assert "    - `512`: Large (512 MB)" in size
    assert "2 questions" in page


def test_a_derived_value_is_listed_apart_never_as_a_question() -> None:
    page = docs_pages.questions_page(SMALL)
    assert "## `family`" not in page
    derived = page.split("## Derived values")[1]
    assert "- `family` (`str`): `{{ 'big' if size > 256 else 'small' }}`" in derived


def test_check_names_a_stale_page(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "questions.md"
    page.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(docs_pages, "ROOT", tmp_path)
    monkeypatch.setattr(docs_pages, "pages", lambda: {page: "new\n"})
    assert docs_pages.main(["--check"]) == 1
    assert "questions.md is stale" in capsys.readouterr().err
    assert page.read_text(encoding="utf-8") == "old\n"
    assert docs_pages.main([]) == 0
    assert page.read_text(encoding="utf-8") == "new\n"
