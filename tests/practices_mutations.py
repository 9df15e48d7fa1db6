"""Run inside a rendered project (its root as the working directory): removes one practice from
the stack its gate reads, in memory, then evaluates the gate (scripts/practices.py) on what is
left and prints each rule's outcome as JSON: {rule ID: [outcome, [problem, ...]]}.

    python practices_mutations.py <mutation> [--environment dev|prod]

It runs in a process of its own because a Terraform render's gate imports the render's own
`tests` package, which the template's `tests` would shadow. Standard library and the render's
gate only."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path.cwd()), str(Path.cwd() / "scripts")]

# The render's gate: importable only once the render's directories are on the path (E402), and
# unknown to this repository's mypy, which checks the template's code, not a render's.
import practices  # type: ignore[import-not-found]  # noqa: E402

# CloudFormation (SAM's translation, CDK's synth): a template's resources by logical id.
Resources = dict[str, dict[str, Any]]
# Terraform: resource type -> name -> arguments, as practices.load_terraform parses them.
Blocks = dict[str, Any]


def _of_type(resources: Resources, kind: str) -> list[dict[str, Any]]:
    return [resource for resource in resources.values() if resource["Type"] == kind]


def _role_statements(resources: Resources) -> list[dict[str, Any]]:
    """Every statement of the roles' identity policies (inline, or AWS::IAM::Policy)."""
    found = []
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                found += policy["PolicyDocument"]["Statement"]
        elif resource["Type"] == "AWS::IAM::Policy":
            found += properties["PolicyDocument"]["Statement"]
    return found


def _cloudformation_without_alias(resources: Resources) -> None:
    aliases = [id for id, value in resources.items() if value["Type"] == "AWS::Lambda::Alias"]
    for logical_id in aliases:
        del resources[logical_id]


def _cloudformation_without_dead_letter(resources: Resources) -> None:
    """No redrive on any queue, no on-failure destination on any mapping or invoke config."""
    for queue in _of_type(resources, "AWS::SQS::Queue"):
        queue["Properties"].pop("RedrivePolicy", None)
    for kind in ("AWS::Lambda::EventSourceMapping", "AWS::Lambda::EventInvokeConfig"):
        for resource in _of_type(resources, kind):
            resource["Properties"].pop("DestinationConfig", None)


def _cloudformation_without_retention(resources: Resources) -> None:
    for log_group in _of_type(resources, "AWS::Logs::LogGroup"):
        log_group["Properties"].pop("RetentionInDays", None)


def _cloudformation_with_wildcard(resources: Resources) -> None:
    """The function's grant on its own log group, widened to every resource."""
    statement = next(
        found for found in _role_statements(resources) if found.get("Sid") == "WriteOwnLogs"
    )
    statement["Resource"] = "*"


def _terraform_without_alias(blocks: Blocks) -> None:
    del blocks["resource"]["aws_lambda_alias"]


def _terraform_without_dead_letter(blocks: Blocks) -> None:
    for queue in blocks["resource"].get("aws_sqs_queue", {}).values():
        queue.pop("redrive_policy", None)
    for kind in ("aws_lambda_event_source_mapping", "aws_lambda_function_event_invoke_config"):
        for arguments in blocks["resource"].get(kind, {}).values():
            arguments.pop("destination_config", None)


def _terraform_without_retention(blocks: Blocks) -> None:
    for log_group in blocks["resource"]["aws_cloudwatch_log_group"].values():
        log_group.pop("retention_in_days", None)


def _terraform_with_wildcard(blocks: Blocks) -> None:
    documents = blocks["data"]["aws_iam_policy_document"]
    [statement] = [
        found for found in documents["function"]["statement"] if found.get("sid") == "WriteOwnLogs"
    ]
    statement["resources"] = ["*"]


MUTATIONS: dict[str, tuple[Callable[[Resources], None], Callable[[Blocks], None]]] = {
    "alias": (_cloudformation_without_alias, _terraform_without_alias),
    "dead-letter": (_cloudformation_without_dead_letter, _terraform_without_dead_letter),
    "log-retention": (_cloudformation_without_retention, _terraform_without_retention),
    "wildcard-grant": (_cloudformation_with_wildcard, _terraform_with_wildcard),
    "none": (lambda resources: None, lambda blocks: None),
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mutation", choices=MUTATIONS)
    parser.add_argument("--environment", default="dev")
    parser.add_argument("--template", type=Path, help="the CloudFormation template (not Terraform)")
    args = parser.parse_args()
    on_cloudformation, on_terraform = MUTATIONS[args.mutation]
    if args.template:
        template = json.loads(args.template.read_text(encoding="utf-8"))
        on_cloudformation(template["Resources"])
        stack = practices.read_cloudformation(template, args.environment)
    else:
        blocks = practices.load_terraform(Path("terraform"), args.environment)
        on_terraform(blocks)
        stack = practices.read_terraform(blocks, args.environment)
    results = practices.evaluate(stack, args.environment)
    print(json.dumps({result.rule: [result.outcome, list(result.problems)] for result in results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
