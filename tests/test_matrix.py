"""The pairwise answer sets really cover every pair of option values, and every value a row
chooses is one the rendered project took."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import answer_set_params
from tests.matrix import OPTIONS, TOOL_OPTIONS, all_pairs, matrix_answer_sets, pairs_of


def test_every_pair_of_option_values_is_rendered_at_least_once() -> None:
    covered = set().union(*(pairs_of(answers) for answers in matrix_answer_sets().values()))
    assert all_pairs(OPTIONS) <= covered


def test_every_option_value_is_rendered_with_every_iac_tool() -> None:
    covered = set().union(
        *(
            pairs_of({"iac_tool": "sam", **row}, TOOL_OPTIONS)
            for row in matrix_answer_sets().values()
        )
    )
    assert all_pairs(TOOL_OPTIONS) <= covered


def test_matrix_is_far_smaller_than_the_full_cross_product() -> None:
    # 576 combinations of the options per tool; SAM's rows plus the few that pair every value
    # with CDK and with Terraform too.
    assert len(matrix_answer_sets()) <= 18


@pytest.mark.parametrize("rendered", answer_set_params(*matrix_answer_sets()), indirect=True)
def test_each_row_s_answers_are_the_project_s_recorded_answers(
    request: pytest.FixtureRequest, rendered: Path
) -> None:
    # A row whose trigger does not ask a question would cover that question's pairs on paper
    # only: copier would drop the answer, and the answers file would not record it.
    row = matrix_answer_sets()[request.node.callspec.params["rendered"]]
    recorded = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    assert {name: recorded.get(name) for name in row} == row
