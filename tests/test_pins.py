"""The exact versions a rendered project pins are the ones this repo's tests run it with."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import ROOT

COPIER_YML = yaml.safe_load((ROOT / "copier.yml").read_text())


def _locked(package: str) -> str:
    """The version requirements/test.txt (the template's test environment) locks `package` at."""
    for line in (ROOT / "requirements" / "test.txt").read_text().splitlines():
        if line.startswith(f"{package}=="):
            return line.split("==")[1].split()[0]
    raise AssertionError(f"{package} is not in requirements/test.txt")


@pytest.mark.parametrize(
    ("answer", "package"),
    [("powertools_version", "aws-lambda-powertools"), ("pydantic_version", "pydantic")],
)
def test_the_rendered_pin_is_the_version_the_tests_run(answer: str, package: str) -> None:
    # A rendered API's openapi.json is what this pydantic generates, and the rendered tests pass
    # against these versions only: a relock here must move the rendered pin with it.
    assert COPIER_YML[answer]["default"] == _locked(package)
