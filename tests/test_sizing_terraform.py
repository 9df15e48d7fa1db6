"""dev_sizing in Terraform: a render that sizes dev apart from prod is, environment by environment,
the render of that environment's answers. Its terraform/*.tf, resolved for prod by the project's
own tests/stack_facts.py (for_environment: each `var.environment == "prod" ? a : b` chosen), is
the HCL the answers render without dev_sizing; resolved for dev, the HCL they render with the dev
answers as memory_size, reserved_concurrency and batch_size. So every value derived from the
sizing (SQS's maximum concurrency, a stream's parallelization, API Gateway's throttling, the
scaling maximum, the Throttles alarm, the dashboard) follows each environment, and the resolver
the rendered tests rely on reads the HCL right. Only checkov's skip comments may differ: the
function skips a finding of either environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.answer_sets import ANSWER_SETS, answer_sets_of
from tests.conftest import answer_set_params, render
from tests.rendered import stack_facts_of

# The Terraform answer sets that size dev apart from prod (tests/answer_sets.py).
SIZED = [name for name in answer_sets_of("terraform") if ANSWER_SETS[name].get("dev_sizing")]
DEV_ANSWERS = ("dev_sizing", "dev_memory_size", "dev_reserved_concurrency", "dev_batch_size")


def test_a_terraform_answer_set_sizes_dev_apart_from_prod() -> None:
    """The comparison below needs a set to compare: without one dev_sizing goes untested here."""
    assert SIZED, "no Terraform answer set has dev_sizing (tests/answer_sets.py)"


def _as_one_environment(answers: dict[str, Any], environment: str) -> dict[str, Any]:
    """`answers` without dev_sizing, sized as `environment` of the sized answers."""
    single = {key: value for key, value in answers.items() if key not in DEV_ANSWERS}
    if environment == "dev":
        # An answer left out is the question's default: dev's defaults are prod's answers.
        for dev_key, key in (
            ("dev_memory_size", "memory_size"),
            ("dev_reserved_concurrency", "reserved_concurrency"),
            ("dev_batch_size", "batch_size"),
        ):
            if dev_key in answers:
                single[key] = answers[dev_key]
    return single


def _without_comments(value: Any) -> Any:
    """A parsed value without python-hcl2's `__comments__` (checkov's skips, the reasons)."""
    if isinstance(value, dict):
        return {k: _without_comments(v) for k, v in value.items() if k != "__comments__"}
    if isinstance(value, list):
        return [_without_comments(item) for item in value]
    return value


def _differences(planned: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """`type.name.argument` of every argument one resource map has and the other has not, or
    has with another value."""
    found = []
    for resource_type in sorted(set(planned) | set(expected)):
        mine, theirs = planned.get(resource_type, {}), expected.get(resource_type, {})
        for name in sorted(set(mine) | set(theirs)):
            ours = _without_comments(mine.get(name, {}))
            wanted = _without_comments(theirs.get(name, {}))
            found += [
                f"{resource_type}.{name}.{argument}: {ours.get(argument)!r:.120} "
                f"!= {wanted.get(argument)!r:.120}"
                for argument in sorted(set(ours) | set(wanted))
                if ours.get(argument) != wanted.get(argument)
            ]
    return found


@pytest.mark.parametrize("environment", ["prod", "dev"])
# (answer_set_params() of no names is every set: none here is none.)
@pytest.mark.parametrize("rendered", answer_set_params(*SIZED) if SIZED else [], indirect=True)
def test_each_environment_is_the_render_of_its_own_answers(
    rendered: Path, environment: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    answers = ANSWER_SETS[request.node.callspec.params["rendered"]]
    single = render(tmp_path / "project", _as_one_environment(answers, environment))
    planned = stack_facts_of(rendered).resources_for(environment)
    expected = stack_facts_of(single).resources_for(environment)
    assert _differences(planned, expected) == []
