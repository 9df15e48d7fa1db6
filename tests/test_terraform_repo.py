"""What a Terraform user does: render, then the rendered repo's own `make install`, `make check`
(ruff, mypy, its tests, terraform fmt, the provider schema, checkov, trivy, zizmor; tf-validate
saying it skipped, as the Terraform registry is out of reach here) and `make build` twice (an
unchanged rebuild gives the same zips, so Terraform publishes no version), in the fresh
environment the rendered Makefile creates with uv and the tools it pins."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.conftest import render
from tests.rendered import make_in

pytestmark = pytest.mark.slow


def test_terraform_repo_installs_passes_its_checks_and_rebuilds_the_same_zips(
    tmp_path: Path,
) -> None:
    project = render(tmp_path / "project", {"iac_tool": "terraform"})
    make = make_in(project)

    make("install")
    checks = make("check")
    assert "terraform fmt: terraform is formatted" in checks
    assert "match hashicorp/aws 6." in checks
    assert "Failed checks: 0" in checks
    # This machine has a terraform binary but no registry: the step says it skipped, and why.
    assert "tf-validate: SKIPPED: the Terraform registry is unreachable" in checks

    make("build")
    built = project / "build" / "terraform"
    with zipfile.ZipFile(built / "function.zip") as function:
        assert "order_processor/handler.py" in function.namelist()
    with zipfile.ZipFile(built / "layer.zip") as layer:
        names = layer.namelist()
    assert any(name.startswith("python/aws_lambda_powertools/") for name in names)
    assert not any(name.startswith("python/boto3/") for name in names)
    first = {path.name: path.read_bytes() for path in built.iterdir()}
    make("verify-build")
    make("clean")
    make("build")
    assert {path.name: path.read_bytes() for path in built.iterdir()} == first
