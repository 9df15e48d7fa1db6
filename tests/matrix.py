"""A pairwise (all-pairs) covering set over the runtime options, built greedily and
deterministically: every pair of values of any two options appears in at least one answer set.

Crossing every option fully would take 2*3*2*2*2*3*2*2 = 576 renders; all pairs take about ten.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

OPTIONS: dict[str, list[Any]] = {
    "architecture": ["arm64", "x86_64"],
    "python_version": ["3.12", "3.13", "3.14"],
    "vpc_enabled": [False, True],
    "kms_key": ["aws-managed", "customer-managed"],
    "powertools_source": ["package", "layer"],
    "deployment_strategy": ["canary", "linear", "all-at-once"],
    "idempotency": [True, False],
    "snapstart": [False, True],
}

# The IaC tools beside SAM (copier.yml's iac_tool choices), each paired with every option value.
TOOL_OPTIONS: dict[str, list[Any]] = {"iac_tool": ["sam", "cdk", "terraform"], **OPTIONS}

# Idempotency is asked of the at-least-once triggers only, so the matrix rows use those; the API
# triggers get their own answer sets.
MATRIX_TRIGGERS = ["sqs", "kinesis", "dynamodb-stream", "sns", "s3", "eventbridge", "schedule"]

Pair = tuple[tuple[str, Any], tuple[str, Any]]


def all_pairs(options: dict[str, list[Any]]) -> set[Pair]:
    return {
        ((first, a), (second, b))
        for first, second in combinations(options, 2)
        for a in options[first]
        for b in options[second]
    }


def pairs_of(row: dict[str, Any], options: dict[str, list[Any]] = OPTIONS) -> set[Pair]:
    names = [name for name in options if name in row]
    return {((f, row[f]), (s, row[s])) for f, s in combinations(names, 2)}


def pairwise_rows(
    options: dict[str, list[Any]] = OPTIONS, given: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Rows that, with the `given` ones, hold every pair of values of `options`."""
    uncovered = all_pairs(options) - set().union(*(pairs_of(row, options) for row in given or []))
    rows: list[dict[str, Any]] = []
    while uncovered:
        # Seed each row with the first uncovered pair (sorted: deterministic), then give every
        # other option the value that covers the most pairs still missing.
        (first, a), (second, b) = min(uncovered, key=repr)
        row: dict[str, Any] = {first: a, second: b}
        for name, values in options.items():
            if name not in row:
                row[name] = max(
                    values, key=lambda v: len(pairs_of({**row, name: v}, options) & uncovered)
                )
        uncovered -= pairs_of(row, options)
        rows.append(row)
    return rows


def matrix_answer_sets() -> dict[str, dict[str, Any]]:
    """SAM's rows (the default tool, so its answers leave iac_tool out), then the rows that pair
    every option value with each other IaC tool as well: all pairs of TOOL_OPTIONS."""
    sam_rows = pairwise_rows()
    other_rows = pairwise_rows(TOOL_OPTIONS, [{"iac_tool": "sam", **row} for row in sam_rows])
    sets = {
        f"pairwise-{index:02d}": {"trigger": MATRIX_TRIGGERS[index % len(MATRIX_TRIGGERS)], **row}
        for index, row in enumerate(sam_rows)
    }
    for index, row in enumerate(other_rows):
        # Triggers continue where SAM's rows stopped: the tools' rows meet other triggers.
        trigger = MATRIX_TRIGGERS[(len(sam_rows) + index) % len(MATRIX_TRIGGERS)]
        sets[f"pairwise-{row['iac_tool']}-{index:02d}"] = {"trigger": trigger, **row}
    return sets
