"""Cross-tool parity (issue 15): per trigger, SAM and Terraform deploy the same stack model.

Each trigger's default answers, and the "custom" answer set, render twice from the working tree:
once with iac_tool=sam, translated to CloudFormation by the project's own
scripts/validate_template.py and resolved by tests/parity.py; once with iac_tool=terraform, its
terraform/*.tf parsed with python-hcl2 and resolved by tests/terraform_parity.py to the same
values (names, ARNs, URLs in AWS's formats, the published version and the stack key as the same
tokens). No terraform binary runs: what is compared is what the HCL says. Each test compares one
part of the model in one shape for both tools; what may still differ is listed below, line by
line, with why.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import parity
from tests import terraform_parity as tf
from tests.answer_sets import ANSWER_SETS
from tests.conftest import built_once, render
from tests.test_cdk_parity import TRIGGERS, translated_once

# Answer sets compared too, beyond each trigger's defaults: "custom" flips the options
# (customer-managed key, VPC, permissions boundary, reserved concurrency 25, linear deployment,
# Powertools layer, no idempotency, other sizes and Region).
ANSWER_SETS_TOO: tuple[str, ...] = ("custom",)
CASES = (*TRIGGERS, *(f"set-{name}" for name in ANSWER_SETS_TOO))

# Differences the tools impose, as `<view>.<path>: <sam value> -> <terraform value>` lines (`*`
# is any text), each with why it is not a difference of the model.
INTENDED: dict[str, str] = {
    "queues.*.policy shared with: [*] -> []": (
        "SAM writes one AWS::SQS::QueuePolicy listing every queue of the policy (the model's "
        "FailureQueuesPolicy, the sqs trigger's two queues); a Terraform aws_sqs_queue_policy "
        "takes one queue_url, so each queue has a policy of its own. Each queue's statements "
        "(queues.<name>.policy, narrowed to the queue) and that it has a policy are compared."
    ),
}
# Differences of the model found by this test and not yet fixed, each with why: listed so the
# test passes on what is the same; each goes when the renderings agree (none today).
KNOWN_GAPS: dict[str, str] = {}


@dataclass
class Pair:
    """One case's stack as SAM translates it and as Terraform's HCL says it, resolved."""

    case: str
    sam: parity.Stack
    terraform: tf.Terraform


# One pair per case per test session, shared by its tests (and workers: conftest.built_once).
_PAIRS: dict[str, Pair] = {}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test once per case, in the case's xdist group."""
    if "pair" in metafunc.fixturenames:
        metafunc.parametrize(
            "case",
            [pytest.param(c, marks=pytest.mark.xdist_group(f"tf-parity-{c}")) for c in CASES],
        )


@pytest.fixture
def pair(case: str, tmp_path_factory: pytest.TempPathFactory) -> Pair:
    return _pair(case, tmp_path_factory)


def _pair(case: str, tmp_path_factory: pytest.TempPathFactory) -> Pair:
    if case not in _PAIRS:
        built = _shared_build(case, tmp_path_factory)
        facts = json.loads((built / "sam.json").read_text())
        _PAIRS[case] = Pair(
            case=case,
            # The stack samconfig.toml deploys; Terraform's local.name is the same name.
            sam=parity.read(facts["template"], facts["region"], facts["stack"]),
            terraform=tf.read(built / "terraform" / "terraform", facts["region"]),
        )
    return _PAIRS[case]


def _shared_build(case: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory holding the case's translated SAM template (sam.json) and its rendered
    Terraform project (terraform/), built once per test session."""
    return built_once(
        f"tf-parity-{case}", tmp_path_factory, lambda built: _build(case, built, tmp_path_factory)
    )


def _build(case: str, built: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The case's answers rendered with Terraform, and its SAM translation (shared with the
    CDK parity tests)."""
    answers = (
        {"trigger": case} if case in TRIGGERS else dict(ANSWER_SETS[case.removeprefix("set-")])
    )
    render(built / "terraform", {**answers, "iac_tool": "terraform"})
    facts = translated_once(case, answers, tmp_path_factory)
    (built / "sam.json").write_text(json.dumps(facts))


def _listed(line: str) -> str | None:
    """The listed difference (intended or known) a difference line is, if any."""
    for pattern in (*INTENDED, *KNOWN_GAPS):
        regex = ".*".join(re.escape(part) for part in pattern.split("*"))
        if re.fullmatch(regex, line):
            return pattern
    return None


# What each test compares: the SAM and Terraform views of tests/terraform_parity.py, named as
# the differences' lines start.
VIEWS: dict[str, tuple[Callable[[parity.Stack], Any], Callable[[tf.Terraform], Any]]] = {
    "alarms": (tf.alarms_of_sam, tf.alarms_of_terraform),
    "dashboards": (tf.dashboards_of_sam, tf.dashboards_of_terraform),
    "grants": (tf.grants_of_sam, tf.grants_of_terraform),
    "failure handling": (tf.failure_handling_of_sam, tf.failure_handling_of_terraform),
    "function": (tf.function_of_sam, tf.function_of_terraform),
    "queues": (tf.queues_of_sam, tf.queues_of_terraform),
    "pre-traffic hook": (tf.hook_of_sam, tf.hook_of_terraform),
}
# Views of what only some triggers have: compared where SAM's stack has any.
_WHERE_ANY = {"queues", "pre-traffic hook"}


def _differences(pair: Pair, view: str, terraform: tf.Terraform | None = None) -> list[str]:
    of_sam, of_terraform = VIEWS[view]
    sam = of_sam(pair.sam)
    assert sam or view in _WHERE_ANY, f"{view}: nothing to compare in SAM's {pair.case} stack"
    return parity.differences(sam, of_terraform(terraform or pair.terraform), view)


def _assert_same(pair: Pair, view: str) -> None:
    unlisted = [line for line in _differences(pair, view) if _listed(line) is None]
    assert not unlisted, "\n".join(unlisted)


def test_alarms_are_the_same(pair: Pair) -> None:
    """Each alarm by name: namespace, metric or metric math, statistic, period, evaluation
    periods, threshold, comparison, missing data, dimensions resolved to the same resources,
    actions to the alarm topic, and whether the deployment rolls back on it."""
    _assert_same(pair, "alarms")


def test_dashboards_are_the_same(pair: Pair) -> None:
    """Each dashboard by name: the same graphs in the same places, with the same titles,
    metrics (dimensions resolved to the same resources), statistics, periods, expressions and
    threshold annotations."""
    _assert_same(pair, "dashboards")


def test_execution_role_and_key_grants_are_the_same(pair: Pair) -> None:
    """The execution role's statements by Sid (effect, actions, resources resolved to ARNs), its
    managed policies and boundary; the stack key's statements (principals, actions, conditions)."""
    _assert_same(pair, "grants")


def test_failure_handling_is_the_same(pair: Pair) -> None:
    """Event source mappings (batching, retries, bisection, record age, on-failure destination,
    response types, scaling, parallelization, filters), asynchronous invoke configs, queue and
    subscription redrive, rule targets' and schedules' retries and dead-letter queues."""
    _assert_same(pair, "failure handling")


def test_function_settings_are_the_same(pair: Pair) -> None:
    """Runtime, architecture, memory, timeout, reserved concurrency, handler, tracing, logging,
    environment (resolved), key, layers, VPC, SnapStart, runtime management, alias, deployment
    config, log retention and key."""
    _assert_same(pair, "function")


def test_pre_traffic_hook_is_the_same(pair: Pair) -> None:
    """The hook's settings (environment resolved), log group, role statements and boundary;
    an empty view on both sides without smoke_test."""
    _assert_same(pair, "pre-traffic hook")


def test_queues_are_the_same(pair: Pair) -> None:
    """Each queue by name: retention, visibility timeout, encryption (the stack key, the
    AWS-managed alias, SQS-owned keys), data key reuse, and its policy's statements."""
    if not tf.queues_of_sam(pair.sam):
        pytest.skip(f"{pair.case} has no queue")
    _assert_same(pair, "queues")


def test_every_listed_difference_occurs(tmp_path_factory: pytest.TempPathFactory) -> None:
    """No stale entry: each listed difference is one that some case's stacks still have."""
    found = [
        line
        for case in CASES
        for view in VIEWS
        for line in _differences(_pair(case, tmp_path_factory), view)
    ]
    unused = [p for p in (*INTENDED, *KNOWN_GAPS) if not any(_listed(x) == p for x in found)]
    assert unused == []


# A dashboard body without its graphs, as python-hcl2 gives a `jsonencode(...)`.
_NO_GRAPHS = "${jsonencode({widgets = []})}"
# Changes planted in one case's parsed HCL, each of one setting a view compares: (resource
# type, name, argument path, value), and the view that must then differ.
_PLANTED: tuple[tuple[tuple[str, str, tuple[str | int, ...], Any], str], ...] = (
    (("aws_cloudwatch_metric_alarm", "errors_alarm", ("threshold",), 2), "alarms"),
    (
        ("aws_codedeploy_deployment_group", "function", ("alarm_configuration", 0, "alarms"), []),
        "alarms",
    ),
    (("aws_lambda_event_source_mapping", "source_queue", ("batch_size",), 11), "failure handling"),
    (("aws_sqs_queue", "source_queue", ("redrive_policy",), None), "failure handling"),
    (("aws_lambda_function", "function", ("timeout",), 31), "function"),
    (("aws_sqs_queue", "dead_letter_queue", ("kms_master_key_id",), None), "queues"),
    (("aws_cloudwatch_dashboard", "dashboard", ("dashboard_body",), _NO_GRAPHS), "dashboards"),
)


@pytest.mark.xdist_group("tf-parity-sqs")
@pytest.mark.parametrize(("change", "view"), _PLANTED)
def test_a_planted_difference_is_found(
    change: tuple[str, str, tuple[str | int, ...], Any],
    view: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The comparison can fail: one setting changed in the sqs trigger's HCL is an unlisted
    difference of its view, and the other views stay the same."""
    pair = _pair("sqs", tmp_path_factory)
    kind, name, path, value = change
    planted = copy.deepcopy(pair.terraform)
    arguments: Any = planted.resources[kind][name]
    for step in path[:-1]:
        arguments = arguments[step]
    if value is None:
        del arguments[path[-1]]
    else:
        arguments[path[-1]] = value
    found = [line for line in _differences(pair, view, planted) if _listed(line) is None]
    assert found, f"{kind}.{name}.{'.'.join(map(str, path))} = {value!r} went unnoticed"
    for other in set(VIEWS) - {view}:
        assert [x for x in _differences(pair, other, planted) if _listed(x) is None] == []


# The reader itself, on small HCL: references resolved as tests/parity.py resolves
# CloudFormation's, and `jsonencode`, policy documents and `$${` read as Terraform reads them.
_HCL = """
locals {
  name = "app-${var.environment}"
}

resource "aws_sqs_queue" "dlq" {
  name = "${local.name}-dlq"
}

resource "aws_sqs_queue" "queue" {
  name           = "${local.name}-queue"
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_ssm_parameter" "config" {
  name  = "/app/${var.environment}/config"
  value = "{\\"template\\": \\"$${kept}\\"}"
}

data "aws_iam_policy_document" "queue" {
  statement {
    sid       = "Send"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.queue.arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "queue" {
  queue_url = aws_sqs_queue.queue.url
  policy    = data.aws_iam_policy_document.queue.json
}
"""


def test_the_reader_resolves_references_as_parity_does(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(_HCL)
    terraform = tf.read(tmp_path, "eu-west-1")
    queue = terraform.one("aws_sqs_queue", "queue")
    assert queue["redrive_policy"] == {
        "deadLetterTargetArn": f"arn:aws:sqs:eu-west-1:{parity.ACCOUNT}:app-dev-dlq",
        "maxReceiveCount": 5,
    }
    assert terraform.one("aws_ssm_parameter", "config")["value"] == '{"template": "${kept}"}'
    policy = terraform.one("aws_sqs_queue_policy", "queue")
    assert (
        policy["queue_url"] == f"https://sqs.eu-west-1.amazonaws.com/{parity.ACCOUNT}/app-dev-queue"
    )
    assert policy["policy"] == {
        "Statement": [
            {
                "Effect": "Allow",
                "Sid": "Send",
                "Action": ["sqs:SendMessage"],
                "Resource": [f"arn:aws:sqs:eu-west-1:{parity.ACCOUNT}:app-dev-queue"],
                "Principal": {"Service": ["sns.amazonaws.com"]},
                "Condition": {"StringEquals": {"aws:SourceAccount": [parity.ACCOUNT]}},
            }
        ]
    }
    assert tf.read(tmp_path, "eu-west-1", environment="prod").one("aws_sqs_queue", "dlq")[
        "name"
    ] == ("app-prod-dlq")
