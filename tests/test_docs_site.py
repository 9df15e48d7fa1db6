"""The documentation site (mkdocs.yml, issue 18): it builds with --strict, and its generated pages
are what their sources say: docs/questions.md is copier.yml as tools/docs_pages.py writes it, the
pages made from renders are what a fresh render says, and the benchmark page's included
benchmarks/results.md is benchmarks/results.json as benchmarks/markdown.py writes it. Every link a
rendered repo makes into the site names a page and a heading the build has."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from benchmarks import markdown
from tests.conftest import ROOT, answer_set_params
from tools import docs_pages

MKDOCS = ROOT / ".venv-docs" / "bin" / "mkdocs"
Built = tuple[subprocess.CompletedProcess[str], Path]


class _MkdocsLoader(yaml.SafeLoader):
    """mkdocs.yml's YAML with its `!!python/name:` tags read as None: only plain keys are read."""


_MkdocsLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)


def _mkdocs_yml() -> dict[str, Any]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config: dict[str, Any] = yaml.load(text, Loader=_MkdocsLoader)  # noqa: S506 - a SafeLoader
    return config


def _site_include() -> Any:
    """includes/site.jinja as the template's renders import it."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT), autoescape=True)
    return environment.get_template("includes/site.jinja").module


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One strict build of the site per test process, shared by the tests that read it: the
    build's outcome and the directory it wrote."""
    site = tmp_path_factory.mktemp("site")
    return subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    ), site


def test_the_site_builds_strictly(built_site: Built) -> None:
    """A broken link, an unknown anchor, a page outside the nav or a missing include fails."""
    built, site = built_site
    assert built.returncode == 0, built.stderr
    results = (site / "benchmark-results" / "index.html").read_text()
    # The included table, not the include directive.
    assert "--8&lt;--" not in results
    assert "Cold-start proxy" in results


def test_the_rendered_repos_link_to_the_address_the_site_is_built_for() -> None:
    config = _mkdocs_yml()
    site = _site_include()
    assert config["site_url"] == site.docs
    assert config["repo_url"] == site.repository


@pytest.mark.parametrize("rendered", answer_set_params(), indirect=True)
def test_each_link_a_render_makes_into_the_site_names_a_built_page_and_heading(
    rendered: Path, built_site: Built
) -> None:
    built, site = built_site
    assert built.returncode == 0, built.stderr
    # The page's path, then an optional heading; a link ends at `)`, a space, `>` or the line end.
    page_and_heading = r"([\w./-]*?)/?(?:#([\w-]+))?(?=[)\s>]|$)"
    address = re.compile(re.escape(_site_include().docs) + page_and_heading)
    links = set()
    # The rendered files, not what the render's own checks installed beside them (.venv).
    for path in [
        *rendered.glob("*.md"),
        *rendered.glob("docs/*.md"),
        *rendered.glob("src/**/*.py"),
    ]:
        links |= {(path.name, *found) for found in address.findall(path.read_text())}
    assert {name for name, _, _ in links} >= {"README.md", "runbook.md", "practices.md"}
    for name, page, anchor in sorted(links):
        built_page = site / page / "index.html"
        assert built_page.is_file(), f"{name} links to page '{page}', which the site has not"
        if anchor:
            assert f'id="{anchor}"' in built_page.read_text(), (
                f"{name} links to {page}/#{anchor}, a heading the page has not"
            )


def test_the_workflow_that_publishes_the_site_has_no_zizmor_finding() -> None:
    found = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "zizmor"), "--offline", ".github/workflows"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stdout + found.stderr
    assert "docs.yml" in found.stderr


def test_the_pages_made_from_renders_are_what_a_fresh_render_says() -> None:
    """docs/choosing.md, docs/practices-gate.md and docs/alarms.md, against renders of the
    working tree."""
    expected = docs_pages.rendered_pages((ROOT / "copier.yml").read_text(encoding="utf-8"))
    for path, text in expected.items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run `python -m tools.docs_pages`"
        )


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
    "Large (512 MB)":
      value: 512
      validator: "{{ 'too big' if region == 'cn-north-1' }}"
owner:
  type: str
  help: Who owns it
  default: ""
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
    assert "3 questions" in page
    assert "- Default: empty" in page.split("## `owner`")[1]


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
