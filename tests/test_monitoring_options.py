"""Lambda Insights (`lambda_insights`, LAMBDA_MONITORING) and the monthly budget
(`monthly_budget`, LAMBDA_COST_OPTIMIZATION), issue 16: the model's facts, then what SAM's
translation, CDK's synth and the parsed Terraform deploy from them. The rendered sets are ones
other template tests render and validate anyway: `limits` (SAM, arm64 in ap-southeast-2, budget
50) and `http-api-jwt` (SAM, CDK and Terraform; x86_64 in eu-west-1, the stack's own key,
budget 200).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from aws_cdk import region_info
from hcl2 import SerializationOptions

from tests.answer_sets import ANSWER_SETS
from tests.conftest import answer_set_params, deployed_template
from tests.model import stack_model

INSIGHTS_GROUP_ARN = (
    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda-insights:*"
)
INSIGHTS_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
MANAGED_INSIGHTS_POLICY = "CloudWatchLambdaInsightsExecutionRolePolicy"
BUDGETS = "budgets.amazonaws.com"
# The notifications the budget sends: (type, percentage of the amount).
NOTIFICATIONS = [("ACTUAL", 80), ("FORECASTED", 100)]


def _insights_arn(region: str, architecture: str) -> str:
    """The layer ARN aws-cdk-lib's region facts give for the version the template uses."""
    version = stack_model(lambda_insights=True)["function"]["insights"]["version"]
    arn = region_info.RegionInfo.get(region).cloudwatch_lambda_insights_arn(version, architecture)
    assert arn, (region, architecture)
    return str(arn)


# ----------------------------------------------------------------------------------- the model ---


@pytest.mark.parametrize(
    ("region", "architecture"), [("ap-southeast-2", "arm64"), ("eu-west-1", "x86_64")]
)
def test_the_layer_is_awss_for_the_region_and_architecture(region: str, architecture: str) -> None:
    insights = stack_model(lambda_insights=True, aws_region=region, architecture=architecture)[
        "function"
    ]["insights"]
    assert insights["layer"] == _insights_arn(region, architecture)
    assert f":{region}:" in insights["layer"]
    assert ("Arm64" in insights["layer"]) == (architecture == "arm64")


def test_without_insights_there_is_no_layer_and_no_grant() -> None:
    model = stack_model()
    assert model["function"]["insights"] is None
    assert "WriteLambdaInsights" not in [grant["sid"] for grant in model["grants"]]


def test_the_role_writes_to_the_insights_group_alone() -> None:
    (grant,) = [
        grant
        for grant in stack_model(lambda_insights=True)["grants"]
        if grant["sid"] == "WriteLambdaInsights"
    ]
    assert grant["actions"] == INSIGHTS_ACTIONS
    assert grant["resource"] == {"sub": INSIGHTS_GROUP_ARN}


def test_no_budget_by_default() -> None:
    model = stack_model()
    assert model["budget"] is None
    assert BUDGETS not in [grant["service"] for grant in model["key_grants"]]


def test_the_budget_counts_this_stacks_tags_and_notifies_before_the_money_is_gone() -> None:
    model = stack_model(monthly_budget="75")
    budget = model["budget"]
    assert (budget["amount"], budget["unit"], budget["time_unit"]) == (75, "USD", "MONTHLY")
    assert budget["tag_filters"] == [
        ["Service", "order-processor"],
        ["Environment", {"ref": "Environment"}],
    ]
    # The same tags the stack puts on its resources.
    tags = dict(model["tags"])
    assert all(tags[key] == value for key, value in budget["tag_filters"])
    assert [(n["type"], n["threshold"]) for n in budget["notifications"]] == NOTIFICATIONS
    (key_grant,) = [grant for grant in model["key_grants"] if grant["service"] == BUDGETS]
    assert key_grant["actions"] == ["kms:Decrypt", "kms:GenerateDataKey"]


# ------------------------------------------------------------------------------ the validators ---


@pytest.mark.parametrize("region", ["ap-east-2", "mx-central-1"])
def test_insights_is_refused_where_aws_publishes_no_arm64_layer(region: str) -> None:
    with pytest.raises(
        ValueError, match=rf"'lambda_insights'.*not published for arm64 in {region}"
    ):
        stack_model(lambda_insights=True, aws_region=region, architecture="arm64")
    # x86_64 is published there: the same Region is accepted with it.
    x86 = stack_model(lambda_insights=True, aws_region=region, architecture="x86_64")
    assert x86["function"]["insights"]["layer"] == _insights_arn(region, "x86_64")


@pytest.mark.parametrize("value", ["-5", "1000001", "fifty", "12.5"])
def test_a_budget_out_of_bounds_is_refused_naming_the_accepted_values(value: str) -> None:
    with pytest.raises(ValueError, match=r"'monthly_budget'.*whole US dollars from 0 .* 1000000"):
        stack_model(monthly_budget=value)


def test_the_largest_budget_is_accepted() -> None:
    assert stack_model(monthly_budget="1000000")["budget"]["amount"] == 1000000


# ------------------------------------------------------------ SAM's translation and CDK's synth ---


def _template(rendered: Path, translation: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    template: dict[str, Any] = json.loads(deployed_template(rendered).read_text())
    return template


def _one(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(id_, r) for id_, r in template["Resources"].items() if r["Type"] == kind]
    return str(found[0]), dict(found[1])


def _function(template: dict[str, Any]) -> dict[str, Any]:
    """The project's function: the one with layers that is no CodeDeploy hook (smoke_test)."""
    (function,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
        and r["Properties"].get("Layers")
        and "CodeDeployHook_" not in json.dumps(r["Properties"].get("FunctionName"))
    ]
    return dict(function)


def _sub_text(value: Any) -> str:
    """A Fn::Sub string, or CDK's Fn::Join of the same text, as Fn::Sub writes it."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        return str(value["Fn::Sub"])
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(
            part if isinstance(part, str) else "${" + str(part["Ref"]) + "}" for part in parts
        )
    return str(value)


def _statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [s for s in document["Statement"] if s.get("Sid") == sid]
    return dict(found)


def _region_and_architecture(name: str) -> tuple[str, str]:
    answers = ANSWER_SETS[name]
    return str(answers.get("aws_region", "eu-west-1")), str(answers.get("architecture", "arm64"))


CLOUDFORMATION_SETS = ("limits", "http-api-jwt", "cdk-http-api-jwt")


def _set_name(request: pytest.FixtureRequest) -> str:
    name: str = request.node.callspec.params["rendered"]
    return name


@pytest.mark.parametrize("rendered", answer_set_params(*CLOUDFORMATION_SETS), indirect=True)
def test_the_function_runs_the_insights_layer_with_its_own_narrow_grant(
    request: pytest.FixtureRequest,
    rendered: Path,
    translation: subprocess.CompletedProcess[str],
) -> None:
    template = _template(rendered, translation)
    region, architecture = _region_and_architecture(_set_name(request))
    layers = _function(template)["Properties"]["Layers"]
    # The Insights layer comes last, after the dependency (and Powertools) layers.
    assert layers[-1] == _insights_arn(region, architecture)
    assert len(layers) <= 3
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert not [r for r in roles if MANAGED_INSIGHTS_POLICY in json.dumps(r)]
    documents = [
        p["PolicyDocument"] for r in roles for p in r["Properties"].get("Policies", [])
    ] + [
        r["Properties"]["PolicyDocument"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
    ]
    (grant,) = [
        s for d in documents for s in d["Statement"] if s.get("Sid") == "WriteLambdaInsights"
    ]
    assert sorted(grant["Action"]) == INSIGHTS_ACTIONS
    assert _sub_text(grant["Resource"]) == INSIGHTS_GROUP_ARN


@pytest.mark.parametrize("rendered", answer_set_params(*CLOUDFORMATION_SETS), indirect=True)
def test_the_budget_counts_this_stack_and_notifies_the_alarm_topic(
    request: pytest.FixtureRequest,
    rendered: Path,
    translation: subprocess.CompletedProcess[str],
) -> None:
    template = _template(rendered, translation)
    amount = int(ANSWER_SETS[_set_name(request)]["monthly_budget"])
    topic_id, _ = _one(template, "AWS::SNS::Topic")
    policy_id, topic_policy = _one(template, "AWS::SNS::TopicPolicy")
    _, budget = _one(template, "AWS::Budgets::Budget")
    data = budget["Properties"]["Budget"]
    assert data["BudgetLimit"] == {"Amount": amount, "Unit": "USD"}
    assert (data["BudgetType"], data["TimeUnit"]) == ("COST", "MONTHLY")
    slug = yaml.safe_load((rendered / ".copier-answers.yml").read_text())["project_slug"]
    assert _sub_text(data["BudgetName"]) in (
        f"{slug}-${{Environment}}-monthly",  # SAM: the stack parameter
        f"{slug}-dev-monthly",  # CDK: one stack per environment
    )
    filters = [entry["Tags"] for entry in data["FilterExpression"]["And"]]
    assert [(f["Key"], f["MatchOptions"]) for f in filters] == [
        ("Service", ["EQUALS"]),
        ("Environment", ["EQUALS"]),
    ]
    assert filters[0]["Values"] == [slug]
    assert filters[1]["Values"] in ([{"Ref": "Environment"}], ["dev"])
    notifications = budget["Properties"]["NotificationsWithSubscribers"]
    assert [
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
        for n in notifications
    ] == NOTIFICATIONS
    assert all(n["Notification"]["ComparisonOperator"] == "GREATER_THAN" for n in notifications)
    assert all(
        n["Subscribers"] == [{"SubscriptionType": "SNS", "Address": {"Ref": topic_id}}]
        for n in notifications
    )
    # Created after the policy that lets it publish.
    assert policy_id in json.dumps(budget.get("DependsOn"))
    statement = _statement(
        topic_policy["Properties"]["PolicyDocument"], "BudgetsOfThisAccountPublish"
    )
    assert statement["Principal"] == {"Service": BUDGETS}
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == {"Ref": topic_id}
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    assert _sub_text(statement["Condition"]["ArnLike"]["aws:SourceArn"]) == (
        "arn:${AWS::Partition}:budgets::${AWS::AccountId}:*"
    )
    # The topic is under the stack's key, which must let Budgets encrypt the message.
    key_id, key = _one(template, "AWS::KMS::Key")
    assert key_id in json.dumps(template["Resources"][topic_id]["Properties"]["KmsMasterKeyId"])
    grant = _statement(key["Properties"]["KeyPolicy"], "BudgetsPublishToTopic")
    assert grant["Principal"] == {"Service": BUDGETS}
    assert sorted(grant["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


# ------------------------------------------------------------------------------------ Terraform ---

_HCL = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def _hcl(project: Path, name: str) -> dict[str, Any]:
    parsed: dict[str, Any] = hcl2.loads(
        (project / "terraform" / name).read_text(encoding="utf-8"), serialization_options=_HCL
    )
    return parsed


def _blocks(parsed: dict[str, Any], kind: str) -> dict[tuple[str, str], Any]:
    return {
        (type_, name): body
        for block in parsed.get(kind, [])
        for type_, named in block.items()
        for name, body in named.items()
    }


def _tf_statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [s for s in document["statement"] if s["sid"] == sid]
    return dict(found)


@pytest.mark.parametrize("rendered", answer_set_params("terraform-http-api-jwt"), indirect=True)
def test_terraform_runs_the_same_layer_with_the_same_grant(rendered: Path) -> None:
    function_tf = _hcl(rendered, "function.tf")
    function = _blocks(function_tf, "resource")[("aws_lambda_function", "function")]
    assert function["layers"][-1] == _insights_arn("eu-west-1", "x86_64")
    documents = {
        **_blocks(_hcl(rendered, "iam.tf"), "data"),
        **_blocks(function_tf, "data"),
    }
    (grant,) = [
        s
        for (type_, _), body in documents.items()
        if type_ == "aws_iam_policy_document"
        for s in body.get("statement", [])
        if s.get("sid") == "WriteLambdaInsights"
    ]
    assert grant["actions"] == INSIGHTS_ACTIONS
    assert grant["resources"] == [
        "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:"
        "${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda-insights:*"
    ]
    # No role attaches AWS's managed policy: its ARN appears nowhere (a comment names it).
    text = "".join(path.read_text() for path in (rendered / "terraform").glob("*.tf"))
    assert not re.search(rf":policy/(service-role/)?{MANAGED_INSIGHTS_POLICY}", text)


@pytest.mark.parametrize("rendered", answer_set_params("terraform-http-api-jwt"), indirect=True)
def test_terraform_budget_counts_this_stack_and_notifies_the_alarm_topic(rendered: Path) -> None:
    alarms_tf = _hcl(rendered, "alarms.tf")
    budget = _blocks(alarms_tf, "resource")[("aws_budgets_budget", "monthly_budget")]
    assert budget["name"] == "order-processor-${var.environment}-monthly"
    assert (budget["budget_type"], budget["time_unit"]) == ("COST", "MONTHLY")
    assert (budget["limit_amount"], budget["limit_unit"]) == ("200", "USD")
    (expression,) = budget["filter_expression"]
    assert [entry["tags"] for entry in expression["and"]] == [
        [{"key": "Service", "values": ["order-processor"], "match_options": ["EQUALS"]}],
        [{"key": "Environment", "values": ["${var.environment}"], "match_options": ["EQUALS"]}],
    ]
    assert [(n["notification_type"], n["threshold"]) for n in budget["notification"]] == (
        NOTIFICATIONS
    )
    assert all(
        n["subscriber_sns_topic_arns"] == ["${aws_sns_topic.alarms.arn}"]
        for n in budget["notification"]
    )
    assert budget["depends_on"] == ["${aws_sns_topic_policy.alarms}"]
    topic_document = _blocks(alarms_tf, "data")[("aws_iam_policy_document", "alarm_topic")]
    statement = _tf_statement(topic_document, "BudgetsOfThisAccountPublish")
    assert statement["principals"] == [{"type": "Service", "identifiers": [BUDGETS]}]
    assert statement["resources"] == ["${aws_sns_topic.alarms.arn}"]
    assert [(c["test"], c["variable"]) for c in statement["condition"]] == [
        ("StringEquals", "aws:SourceAccount"),
        ("ArnLike", "aws:SourceArn"),
    ]
    key_documents = _blocks(_hcl(rendered, "function.tf"), "data")
    (key_grant,) = [
        s
        for (type_, _), body in key_documents.items()
        if type_ == "aws_iam_policy_document"
        for s in body.get("statement", [])
        if s.get("sid") == "BudgetsPublishToTopic"
    ]
    assert key_grant["principals"] == [{"type": "Service", "identifiers": [BUDGETS]}]
    assert key_grant["actions"] == ["kms:Decrypt", "kms:GenerateDataKey"]
