"""The README's "Retention and backup" table (includes/model/retention.jinja) against the stack it
describes: every resource of the rendered template.yaml with a DeletionPolicy is in the table
with that policy, every row names a resource of the stack with the policy it claims, and every
resource that holds data has a row. Parsed, for one SAM answer set per trigger and option."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2 import SerializationOptions

from tests.answer_sets import SAM_PER_TRIGGER, answer_sets_of
from tests.conftest import answer_set_params
from tests.stack import resources

SETS = SAM_PER_TRIGGER
sam_sets = pytest.mark.parametrize("rendered", answer_set_params(*SETS), indirect=True)
# CloudFormation types that hold data (records, messages, objects, logs, keys, dependencies) or
# name what does (a bus, a topic or a schedule group, whose producers lose what they send later).
HOLDS_DATA = {
    "AWS::Logs::LogGroup",
    "AWS::KMS::Key",
    "AWS::Serverless::LayerVersion",
    "AWS::SSM::Parameter",
    "AWS::SecretsManager::Secret",
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::Kinesis::Stream",
    "AWS::S3::Bucket",
    "AWS::SNS::Topic",
    "AWS::Events::EventBus",
    "AWS::Scheduler::ScheduleGroup",
}


def _table(project: Path) -> dict[str, str]:
    """Resource id -> its "On delete" cell: "Deleted" or "Kept (`<DeletionPolicy>`)"."""
    readme = (project / "README.md").read_text()
    section = readme.split("\n## Retention and backup\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    table = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip().strip("|").split(" | ")]
        assert len(cells) == 5, row
        match = re.fullmatch(r"`(\w+)`", cells[0])
        assert match, row
        resource_id = match.group(1)
        assert resource_id not in table, f"{resource_id} has two rows"
        table[resource_id] = cells[3]
    return table


def _policy(cell: str) -> str:
    """The DeletionPolicy a cell claims; CloudFormation's default, Delete, for "Deleted"."""
    if cell == "Deleted":
        return "Delete"
    match = re.fullmatch(r"Kept \(`(\w+)`\)", cell)
    assert match, cell
    return match.group(1)


@sam_sets
def test_every_deletion_policy_of_the_stack_is_in_the_table(rendered: Path) -> None:
    table = _table(rendered)
    for resource_id, resource in resources(rendered).items():
        if "DeletionPolicy" in resource:
            assert resource_id in table, f"{resource_id} outlives the stack but has no row"
            assert _policy(table[resource_id]) == resource["DeletionPolicy"], resource_id


@sam_sets
def test_every_row_is_a_resource_of_the_stack_with_the_policy_it_claims(rendered: Path) -> None:
    stack = resources(rendered)
    for resource_id, cell in _table(rendered).items():
        assert resource_id in stack, f"the table names {resource_id}, which the stack lacks"
        assert stack[resource_id].get("DeletionPolicy", "Delete") == _policy(cell), resource_id


@sam_sets
def test_every_resource_holding_data_has_a_row(rendered: Path) -> None:
    table = _table(rendered)
    holding = {rid for rid, r in resources(rendered).items() if r["Type"] in HOLDS_DATA}
    assert holding <= set(table), f"no row for {sorted(holding - set(table))}"


_HCL = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def _terraform_resources(project: Path) -> list[tuple[str, dict[str, Any]]]:
    """(type, arguments) of every resource of the project's terraform/*.tf."""
    found = []
    for path in sorted((project / "terraform").glob("*.tf")):
        parsed = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=_HCL)
        for entry in parsed.get("resource", []):
            for resource_type, named in entry.items():
                found += [(resource_type, arguments) for arguments in named.values()]
    return found


def _lifecycle(arguments: dict[str, Any]) -> dict[str, Any]:
    blocks = arguments.get("lifecycle", {})
    merged: dict[str, Any] = {}
    for block in blocks if isinstance(blocks, list) else [blocks]:
        merged.update(block)
    return merged


@pytest.mark.parametrize("rendered", answer_set_params(*answer_sets_of("terraform")), indirect=True)
def test_terraform_rows_say_what_the_arguments_of_terraform_do(rendered: Path) -> None:
    """Each kind of row counts the resources whose argument makes a destroy do what it says."""
    cells = Counter(_table(rendered).values())
    typed = _terraform_resources(rendered)
    hcl = [arguments for _, arguments in typed]
    expected = {
        "Kept (`skip_destroy`)": sum(r.get("skip_destroy") is True for r in hcl),
        "Destroy refused (`deletion_protection_enabled`)": sum(
            r.get("deletion_protection_enabled") is True for r in hcl
        ),
        # A role's inline policy is part of the role's row.
        "Destroy refused (`prevent_destroy`)": sum(
            _lifecycle(r).get("prevent_destroy") is True
            for kind, r in typed
            if kind != "aws_iam_role_policy"
        ),
        "Deletion scheduled after `deletion_window_in_days`": sum(
            "deletion_window_in_days" in r for r in hcl
        ),
        "Deletion scheduled after `recovery_window_in_days`": sum(
            "recovery_window_in_days" in r for r in hcl
        ),
        "Destroy refused while it holds objects (no `force_destroy`)": sum(
            kind == "aws_s3_bucket" and r.get("force_destroy") is not True for kind, r in typed
        ),
    }
    assert {cell: count for cell, count in cells.items() if cell != "Deleted"} == {
        cell: count for cell, count in expected.items() if count
    }
