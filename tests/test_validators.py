"""Every validator rejects bad answers with a message naming the question and what it accepts,
before anything is written to the destination."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from tests.conftest import ROOT, render
from tests.model import stack_model

# Questions asked only for some triggers are answered with that trigger chosen.
EVENTS = {"trigger": "eventbridge"}
SCHEDULE = {"trigger": "schedule"}
HTTP_API = {"trigger": "http-api"}
JWT = {"trigger": "http-api", "api_auth": "jwt"}

BAD_ANSWERS: list[tuple[str, Any, str]] = [
    ("project_name", "1 starts with a digit", "starting with a letter"),
    ("project_name", "x", "3-64 characters"),
    ("project_slug", "Has_Upper", "lowercase letters, digits and single hyphens"),
    ("project_slug", "double--hyphen", "single hyphens"),
    ("package_name", "class", "is a Python keyword"),
    ("package_name", "9lives", "starting with a letter"),
    ("package_name", "boto3", "the name of a standard-library module or of a dependency's"),
    ("description", "too short", "10-256 characters"),
    ("owner_team", "team#1", "an AWS tag"),
    ("cost_center", "cost center", "1-64 characters"),
    ("aws_region", "mars-north-1", "an AWS commercial region"),
    ("aws_region", "EU-WEST-1", "an AWS commercial region"),
    ("trigger", "kafka", "is not in ['sqs'"),  # the offered triggers follow
    ("iac_tool", "pulumi", "['sam', 'cdk', 'terraform']"),
    ("python_version", "3.11", "['3.12', '3.13', '3.14']"),
    ("architecture", "sparc", "['arm64', 'x86_64']"),
    ("memory_size", 64, "from 128 to 10240"),
    ("memory_size", 10241, "from 128 to 10240"),
    ("timeout", 0, "from 1 to 900"),
    ("timeout", 901, "from 1 to 900"),
    ("reserved_concurrency", -1, "from 0 (none reserved) to 1000"),
    ("reserved_concurrency", 1001, "from 0 (none reserved) to 1000"),
    ("deployment_strategy", "blue-green", "['canary', 'linear', 'all-at-once']"),
    ("log_retention_days", 2, "['1', '3', '5', '7', '14', '30'"),
    ("alarm_email", "oncall-at-example", "such as oncall@example.com"),
    ("kms_key", "none", "['aws-managed', 'customer-managed']"),
    ("permissions_boundary", "arn:aws:iam::123456789012:policy/b", "with its path if it has one"),
    ("permissions_boundary", "lambdä", "ASCII letters"),
    ("permissions_boundary", "a" * 129, "up to 128"),
    ("permissions_boundary", "p/" * 256 + "name", "up to 510"),
    ("powertools_source", "vendored", "['package', 'layer']"),
    ("batch_size", 0, "from 1 to 10000"),
    ("batch_size", 10001, "from 1 to 10000"),
    ("batching_window_seconds", 301, "from 0 to 300"),
    ("event_source_name", "aws.orders", "not starting with 'aws.'"),
    ("event_detail_type", "Order/Placed", "up to 128 letters"),
    ("schedule_expression", "every 5 minutes", "rate(N unit)"),
    ("schedule_expression", "rate(1 minutes)", "rate(N unit)"),
    ("schedule_timezone", "Mars/Olympus_Mons!", "IANA time zone"),
    ("api_auth", "api-key", "['iam', 'jwt', 'none']"),
    ("jwt_issuer", "http://issuer.example.com", "an https:// URL"),
    ("jwt_audience", "", "1-256 letters"),
    ("api_cors_origins", "https://app.example.com/path", "comma-separated origins"),
    ("api_cors_origins", "*, https://app.example.com", "empty, *, or"),
    ("idempotency", "maybe", "yes or no"),
    ("vpc_enabled", "nope", "yes or no"),
    ("vpc_endpoints", "nat", "['existing', 'create']"),
    ("snapstart", "perhaps", "yes or no"),
    ("secret", "sometimes", "yes or no"),
    ("provisioned_concurrency", 1001, "from 0 (none provisioned) to 1000"),
    ("provisioned_concurrency", "two", "from 0 (none provisioned) to 1000"),
    ("lambda_insights", "sure", "yes or no"),
    ("monthly_budget", 1000001, "from 0 (no budget) to 1000000"),
    ("monthly_budget", "fifty", "from 0 (no budget) to 1000000"),
    ("code_signing", "signed", "yes or no"),
    ("dev_sizing", "some", "yes or no"),
    ("dev_memory_size", 127, "dev_memory_size: a whole number of MB from 128 to 10240"),
    ("dev_memory_size", "big", "dev_memory_size: a whole number of MB from 128 to 10240"),
    ("dev_reserved_concurrency", 1001, "dev_reserved_concurrency: a whole number from 0"),
    ("dev_batch_size", 0, "dev_batch_size: a whole number from 1 to 10000"),
    ("compliance", "fedramp", "['standard', 'strict']"),
]

# The trigger (or the VPC) each conditional question needs in order to be asked.
CONTEXT: dict[str, dict[str, str]] = {
    "event_source_name": EVENTS,
    "event_detail_type": EVENTS,
    "schedule_expression": SCHEDULE,
    "schedule_timezone": SCHEDULE,
    "api_auth": HTTP_API,
    "jwt_issuer": JWT,
    "jwt_audience": JWT,
    "api_cors_origins": HTTP_API,
    "vpc_endpoints": {"vpc_enabled": "true"},
    "dev_memory_size": {"dev_sizing": "true"},
    "dev_reserved_concurrency": {"dev_sizing": "true"},
    "dev_batch_size": {"dev_sizing": "true", "trigger": "sqs"},
}
COPIER_YML: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent.parent / "copier.yml").read_text()
)


@pytest.mark.parametrize(("question", "value", "accepted"), BAD_ANSWERS)
def test_bad_answer_is_rejected_with_a_named_message(
    question: str, value: Any, accepted: str, tmp_path: Path
) -> None:
    context = CONTEXT.get(question, {})
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=rf"'{question}'") as rejected:
        render(destination, {**context, question: value})
    assert accepted in str(rejected.value)
    assert not destination.exists()


def test_every_question_is_covered_by_the_table() -> None:
    asked_with_validator = {
        name
        for name, spec in COPIER_YML.items()
        if not name.startswith("_") and isinstance(spec, dict) and "validator" in spec
    }
    assert asked_with_validator == {question for question, _, _ in BAD_ANSWERS}


@pytest.mark.parametrize(
    ("question", "value", "accepted"),
    [
        ("log_retention_days", 30, "with compliance=strict, one of 365, 400"),
        ("kms_key", "aws-managed", "customer-managed with compliance=strict"),
        ("vpc_enabled", False, "yes with compliance=strict"),
    ],
)
def test_strict_compliance_refuses_an_answer_that_would_fail_its_control(
    question: str, value: Any, accepted: str, tmp_path: Path
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=rf"'{question}'") as rejected:
        render(destination, {"compliance": "strict", question: value})
    assert accepted in str(rejected.value)
    assert not destination.exists()


def _strict_retention_days() -> int:
    """CT.CLOUDWATCH.PR.2's floor, where the validators and the stack model read it."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT), autoescape=True)
    facts = environment.get_template("validation/control_tower.jinja").module
    days: int = facts.minimum_retention_days  # type: ignore[attr-defined]
    return days


def test_strict_compliance_derives_the_settings_its_controls_ask_for(tmp_path: Path) -> None:
    """The derived default of log_retention_days (copier.yml, and cookiecutter.json derived from
    it, where cookiecutter renders it without the template's files) is the controls' floor."""
    render(tmp_path / "project", {"compliance": "strict"})
    answers = yaml.safe_load((tmp_path / "project" / ".copier-answers.yml").read_text())
    chosen = {name: answers[name] for name in ("log_retention_days", "kms_key", "vpc_enabled")}
    assert chosen == {
        "log_retention_days": str(_strict_retention_days()),
        "kms_key": "customer-managed",
        "vpc_enabled": True,
    }


def test_sqs_batches_above_ten_need_a_batching_window(tmp_path: Path) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match="at least 1 when batch_size is above 10"):
        render(destination, {"batch_size": 11, "batching_window_seconds": 0})
    assert not destination.exists()


def test_sqs_refuses_one_reserved_execution_which_would_throttle_its_poller(
    tmp_path: Path,
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=r"0 \(none reserved\) or 2 to 1000 with trigger sqs"):
        render(destination, {"trigger": "sqs", "reserved_concurrency": 1})
    assert not destination.exists()


@pytest.mark.parametrize(
    ("question", "value"),
    [("memory_size", "abc"), ("timeout", "true"), ("reserved_concurrency", "1.5")],
)
def test_value_of_the_wrong_type_is_named_not_a_traceback(
    question: str, value: str, tmp_path: Path
) -> None:
    """`--data memory_size=abc` reaches the validator (the question is typed str, not int)."""
    with pytest.raises(ValueError, match=rf"Validation error for question '{question}'"):
        render(tmp_path / "project", {question: value})


@pytest.mark.parametrize("trigger", ["http-api", "rest-api"])
def test_api_gateway_triggers_refuse_a_timeout_it_would_not_wait_for(
    trigger: str, tmp_path: Path
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=f"at most 29 seconds for {trigger}"):
        render(destination, {"trigger": trigger, "timeout": 30})
    assert not destination.exists()


@pytest.mark.parametrize("trigger", ["rest-api", "function-url"])
def test_cors_is_refused_where_iam_would_refuse_the_browser_s_unsigned_preflight(
    trigger: str, tmp_path: Path
) -> None:
    destination = tmp_path / "project"
    answers = {"trigger": trigger, "api_auth": "iam", "api_cors_origins": "https://app.example.com"}
    with pytest.raises(ValueError, match="'api_cors_origins'") as rejected:
        render(destination, answers)
    assert "preflight request is never signed" in str(rejected.value)
    assert "api_auth=none" in str(rejected.value)
    assert not destination.exists()


@pytest.mark.parametrize("region", ["ap-east-2", "ap-southeast-6"])
def test_snapstart_is_refused_in_the_regions_aws_offers_it_not(region: str, tmp_path: Path) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=rf"'snapstart'.*not offered in {region}") as rejected:
        render(destination, {"aws_region": region, "snapstart": True})
    assert "choose another aws_region" in str(rejected.value)
    assert not destination.exists()


def test_a_trigger_the_region_has_no_resource_type_for_is_refused(tmp_path: Path) -> None:
    # AWS offers no function URLs in eu-central-2 (Zurich): the stack could not deploy there.
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=r"'trigger'.*AWS::Lambda::Url.*eu-central-2") as rejected:
        render(destination, {"aws_region": "eu-central-2", "trigger": "function-url"})
    assert "choose one of " in str(rejected.value)
    assert "http-api" in str(rejected.value).split("choose one of ", 1)[1]
    assert not destination.exists()


@pytest.mark.parametrize("iac_tool", ["sam", "cdk"])
def test_a_budget_is_refused_where_cloudformation_has_no_budget_type(
    iac_tool: str, tmp_path: Path
) -> None:
    destination = tmp_path / "project"
    answers = {"aws_region": "ap-southeast-7", "iac_tool": iac_tool, "monthly_budget": 100}
    with pytest.raises(ValueError, match=r"'monthly_budget'.*AWS::Budgets::Budget") as rejected:
        render(destination, answers)
    assert "choose iac_tool terraform" in str(rejected.value)
    assert not destination.exists()


@pytest.mark.parametrize("iac_tool", ["sam", "cdk", "terraform"])
def test_code_signing_is_refused_where_aws_has_no_signer(iac_tool: str, tmp_path: Path) -> None:
    destination = tmp_path / "project"
    answers = {"aws_region": "eu-central-2", "iac_tool": iac_tool, "code_signing": True}
    with pytest.raises(ValueError, match=r"'code_signing'.*AWS::Signer::") as rejected:
        render(destination, answers)
    assert "answer false" in str(rejected.value)
    assert not destination.exists()


def test_terraform_keeps_a_budget_where_only_cloudformation_lacks_its_type() -> None:
    # AWS Budgets' API is global: only CloudFormation's resource type is missing there.
    model = stack_model(aws_region="ap-southeast-7", iac_tool="terraform", monthly_budget=100)
    assert model["budget"]["amount"] == 100


def test_provisioned_concurrency_beyond_the_reservation_is_refused(tmp_path: Path) -> None:
    destination = tmp_path / "project"
    with pytest.raises(
        ValueError, match=r"'provisioned_concurrency'.*0 to 4 with reserved_concurrency 4"
    ):
        render(destination, {"reserved_concurrency": 4, "provisioned_concurrency": 5})
    assert not destination.exists()


def test_a_dev_reservation_below_what_is_provisioned_is_refused(tmp_path: Path) -> None:
    # Provisioned concurrency is the same in both environments: dev must reserve it too, or none.
    destination = tmp_path / "project"
    with pytest.raises(
        ValueError,
        match=r"'dev_reserved_concurrency'.*0 or 5 to 1000 with provisioned_concurrency 5",
    ):
        render(
            destination,
            {
                "reserved_concurrency": 10,
                "provisioned_concurrency": 5,
                "dev_sizing": True,
                "dev_reserved_concurrency": 3,
            },
        )
    assert not destination.exists()


def test_a_dev_batch_of_more_than_10_sqs_messages_needs_a_batching_window(
    tmp_path: Path,
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=r"'dev_batch_size'.*1 to 10 with trigger sqs"):
        render(
            destination,
            {
                "trigger": "sqs",
                "batching_window_seconds": 0,
                "dev_sizing": True,
                "dev_batch_size": 11,
            },
        )
    assert not destination.exists()


def test_sqs_refuses_one_reserved_execution_in_dev_too(tmp_path: Path) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=r"'dev_reserved_concurrency'.*2 to 1000 with trigger sqs"):
        render(destination, {"trigger": "sqs", "dev_sizing": True, "dev_reserved_concurrency": 1})
    assert not destination.exists()


def test_provisioned_concurrency_is_not_combined_with_snapstart(tmp_path: Path) -> None:
    """Asked only without SnapStart; given anyway (--data), it is refused, not dropped."""
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=r"'provisioned_concurrency'.*0 with snapstart"):
        render(destination, {"snapstart": True, "provisioned_concurrency": 2})
    assert not destination.exists()


# Code signing (Enforce) refuses what the team's profile cannot sign: each refusal is raised by the
# question asked later (the message appears at its prompt), names the conflict and what to answer.
@pytest.mark.parametrize(
    ("answers", "refusal"),
    [
        (
            {"lambda_insights": True, "code_signing": True},
            r"'code_signing'.*false with lambda_insights: the Lambda Insights extension is AWS's",
        ),
        (
            {"code_signing": True, "powertools_source": "layer"},
            r"'powertools_source'.*package with code_signing: AWS's managed Powertools layer",
        ),
    ],
)
def test_code_signing_refuses_what_the_teams_profile_cannot_sign(
    answers: dict[str, Any], refusal: str, tmp_path: Path
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match=refusal):
        render(destination, answers)
    assert not destination.exists()


def test_code_signing_is_asked_after_the_questions_it_checks() -> None:
    """A cross-question check sits on the question asked later, so its message shows at that
    prompt: code_signing after iac_tool and lambda_insights, powertools_source after it."""
    order = list(COPIER_YML)
    assert order.index("iac_tool") < order.index("code_signing")
    assert order.index("lambda_insights") < order.index("code_signing")
    assert order.index("permissions_boundary") + 1 == order.index("code_signing")
    assert order.index("code_signing") < order.index("powertools_source")
