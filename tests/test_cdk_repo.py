"""The CDK variant's rendered repository (issue 14, not offered yet): what it holds for CDK and
not for SAM, and, as a user runs it, its own `make install` and `make check` (ruff, mypy --strict
over app.py and infra/, pytest with the CDK assertion tests, synth with cdk-nag, cfn-lint and
checkov on the synthesized template, zizmor), in a fresh environment its Makefile creates with uv.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.cdk import render_cdk, synthesize
from tests.conftest import ROOT, VENV_BIN, run
from tests.rendered import make_in, requirements

# The CDK libraries the template's own tests synthesize with (pyproject.toml's test extra): the
# rendered project pins the same lines.
CDK_LIBRARIES = ("aws-cdk-lib", "constructs", "cdk-nag")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sqs, the other answers defaulted, rendered with iac_tool=cdk."""
    return render_cdk(tmp_path_factory.mktemp("cdk-repo") / "project", trigger="sqs")


def _tested_with() -> dict[str, str]:
    """The specifiers of the CDK libraries in this repo's test extra."""
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["test"]
    tested = {requirement.name: requirement for requirement in map(Requirement, extra)}
    return {name: str(tested[name].specifier) for name in CDK_LIBRARIES}


def test_the_cdk_libraries_are_development_dependencies_pinned_as_tested(project: Path) -> None:
    dev = requirements(project, "dev")
    assert {name: str(dev[name].specifier) for name in CDK_LIBRARIES} == _tested_with()
    assert not set(CDK_LIBRARIES) & set(requirements(project))


def test_the_makefile_has_no_sam_target(project: Path) -> None:
    makefile = (project / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.MULTILINE))
    assert {"synth", "validate", "scan", "build", "verify-build", "diff", "deploy"} <= targets
    assert "sam-cli" not in targets
    assert not re.search(r"\bsam (build|deploy|validate)\b|aws-sam", makefile)


def test_the_cdk_cli_is_pinned_exactly(project: Path) -> None:
    package = (project / "package.json").read_text()
    lock = (project / "package-lock.json").read_text()
    assert '"aws-cdk": "2.1148.1"' in package
    assert '"node_modules/aws-cdk": {\n      "version": "2.1148.1"' in lock
    assert "npx --no-install cdk" in (project / "Makefile").read_text()


def test_sam_only_files_are_not_rendered(project: Path) -> None:
    for sam_only in ("template.yaml", "samconfig.toml", "scripts/validate_template.py"):
        assert not (project / sam_only).exists(), sam_only
    assert not (project / "tests" / "unit" / "test_stack.py").exists()


def test_ruff_format_would_change_nothing(project: Path) -> None:
    result = run([str(VENV_BIN / "ruff"), "format", "--no-cache", "--check", "."], project)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_rendered_cdk_repo_installs_and_passes_its_own_checks(tmp_path: Path) -> None:
    project = render_cdk(tmp_path / "project", trigger="sqs")
    make = make_in(project)

    make("install")
    # The layer gets the runtime dependencies alone: never the CDK libraries or jsii.
    make("layer/requirements.txt")
    exported = (project / "layer" / "requirements.txt").read_text()
    assert "pydantic==" in exported
    for development in (*CDK_LIBRARIES, "jsii"):
        assert f"\n{development}==" not in exported, development

    checks = make("check")
    assert "synthesized dev into cdk.out (cdk-nag: no finding left)" in checks
    assert "cfn-lint: 0 findings" in checks
    assert "Failed checks: 0" in checks
    assert re.search(r"\d+ passed", checks)
    assert "No findings to report" in checks


def test_the_app_refuses_to_stage_an_unbuilt_layer_unless_a_check_asks(project: Path) -> None:
    """`npx cdk deploy` after `make test` would otherwise ship the function without its
    dependencies: only `make synth` and the tests, which stage the layer empty knowingly, may."""
    refused = synthesize(project, context={"emptyLayerForChecks": False})
    assert refused.returncode != 0
    assert "holds no dependencies" in refused.stderr
    assert synthesize(project).returncode == 0
