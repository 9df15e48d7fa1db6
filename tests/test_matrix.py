"""The pairwise answer sets really cover every pair of option values."""

from __future__ import annotations

from tests.matrix import MATRIX_TRIGGERS, OPTIONS, all_pairs, matrix_answer_sets, pairs_of


def test_every_pair_of_option_values_is_rendered_at_least_once() -> None:
    covered = set().union(*(pairs_of(answers) for answers in matrix_answer_sets().values()))
    assert all_pairs(OPTIONS) <= covered


def test_matrix_is_far_smaller_than_the_full_cross_product() -> None:
    assert len(matrix_answer_sets()) <= 12


def test_matrix_rows_use_triggers_that_ask_about_idempotency() -> None:
    triggers = {answers["trigger"] for answers in matrix_answer_sets().values()}
    assert triggers <= set(MATRIX_TRIGGERS)
