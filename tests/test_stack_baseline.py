"""What the working tree deploys equals what the last release deploys, except where named.

For every answer set (tests/answer_sets.py, the pairwise matrix included), a render of the last
release (tests/releases.py) and a render of the working tree are translated to CloudFormation by
the same translator (the rendered project's own `scripts/validate_template.py`) and compared
value by value; so are the facts their README and runbook state (every number and every runbook
entry). A change that alters the stack or those facts on purpose names each difference in
`CHANGES`, with its reason; cutting the next release makes the result the baseline, and
`CHANGES` starts empty again.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from tests.answer_sets import ANSWER_SETS, answer_sets_of
from tests.conftest import answer_set_params
from tests.releases import RELEASES, clone_with_release
from tests.test_trigger_api import API_SETS

# Differences from the last release that are meant: a glob over the difference's path
# ("<answer set>:<document>:<key>.<key>..."), mapped to why the stack or the text changed.
# Issue 11 moved the function onto boto3 and Powertools; what every trigger shares, then what the
# at-least-once and the batch triggers add.
_STANDARD_RUNTIME = {
    "template.Resources.Function.Properties.RuntimeManagementConfig": (
        "UpdateRuntimeOn: FunctionUpdate, so the runtime and the boto3 inside it change only with "
        "a deploy that goes through the canary"
    ),
    "README.md:1.1": "connection.py (its HTTP/1.1 client) is gone: boto3 instead",
}
_IDEMPOTENCY_UTILITY = {
    "template.Resources.FunctionRole.Properties.Policies.0.PolicyDocument.Statement.*.Action": (
        "IdempotencyRecords: Powertools' DynamoDBPersistenceLayer also calls UpdateItem (it "
        "stores the result on the claimed record)"
    ),
    "README.md:[235]": (
        "the adapters.py row states the shared botocore Config: connect and read timeouts, "
        "standard-mode attempts"
    ),
}
_BATCH_ROLLBACK = {
    "template.Resources.RecordsFailedAlarm": (
        "a rollback alarm on the new version's record failures: BatchProcessor reports bad "
        "records instead of failing the invocation, so the errors alarm does not see a release "
        "that fails every record"
    ),
    "template.Resources.FunctionDeploymentGroup.Properties.AlarmConfiguration.Alarms": (
        "RecordsFailedAlarm is one of the deployment's rollback alarms"
    ),
    "README.md:10": "the adapters.py row: a long function timeout reads for 10 s at most",
    "docs/runbook.md:## records-failed": "the runbook entry of RecordsFailedAlarm",
    "docs/runbook.md:[1-6]0": (
        "records-failed states the alarm's threshold and period; duration states SDK_CONFIG's "
        "timeouts"
    ),
    "docs/runbook.md:[2-5]": (
        "records-failed states a record's attempts; duration states SDK_CONFIG's timeouts and "
        "attempts"
    ),
}


def _for(answer_sets: tuple[str, ...], *reasons: dict[str, str]) -> dict[str, str]:
    return {
        f"{answers}:{difference}": reason
        for answers in answer_sets
        for table in reasons
        for difference, reason in table.items()
    }


CHANGES: dict[str, str] = {
    **_for(
        ("sns", "s3", "eventbridge", "schedule", "pairwise-0[3-6]"),
        _STANDARD_RUNTIME,
        _IDEMPOTENCY_UTILITY,
        {"docs/runbook.md:5": "the duration entry states SDK_CONFIG's read timeout"},
    ),
    **_for(
        ("defaults", "custom", "limits", "pairwise-0[07]"),
        _STANDARD_RUNTIME,
        _IDEMPOTENCY_UTILITY,
        _BATCH_ROLLBACK,
    ),
    **_for(
        ("kinesis*", "dynamodb_stream*", "pairwise-0[1289]"),
        _STANDARD_RUNTIME,
        _IDEMPOTENCY_UTILITY,
        _BATCH_ROLLBACK,
        {
            "template.Outputs.Source*Name.Description": (
                "states the per-key order the handler keeps: after a failed record, the later "
                "records of its key wait for its retry"
            )
        },
    ),
    # Issue 11, the API triggers on Powertools' Event Handler (http-api, rest-api, function-url).
    **{
        f"{answers}:{difference}": reason
        for answers in API_SETS
        for difference, reason in {
            **_STANDARD_RUNTIME,
            "README.md:[123]": (
                "the adapters.py row states the shared botocore Config: connect and read "
                "timeouts, standard-mode attempts"
            ),
            "README.md:3.1": "the README names openapi.json (OpenAPI 3.1), written by make openapi",
            "docs/runbook.md:[13]": (
                "api-latency's fix states the boto3 clients' timeouts and attempts from the model "
                "(adapters.py) instead of aws.py's; the duration entry states the read timeout"
            ),
        }.items()
    },
    # Issue 12: the layer built by its own Makefile (wheels for the runtime's platform, then
    # bytecode), and SnapStart where an answer set chooses it.
    "*:template.Resources.DependencyLayer*.Metadata.BuildMethod": (
        "layer/Makefile builds the layer: the locked wheels for the runtime's platform, then "
        "hash-based bytecode, which SAM's python builder does not write"
    ),
    # Issue 13: what outlives the stack is deleted when its first create fails.
    "*:template.Resources.*.DeletionPolicy": (
        "RetainExceptOnCreate instead of Retain: a failed first create leaves no name behind that "
        "would make its retry fail"
    ),
    **_for(
        tuple(answers for answers, chosen in ANSWER_SETS.items() if chosen.get("trigger") == "s3"),
        {
            "template.Resources.FunctionOrderObjectCreatedPermission.Properties.SourceArn": (
                "S3 may invoke the function for the stack's bucket only, not any bucket of the "
                "account"
            ),
            "template.Resources.FunctionOrderObjectCreatedPermission.Metadata": (
                "the permission is the template's own, not SAM's: it no longer carries a copy of "
                "the function's checkov skips, which are function checks"
            ),
        },
    ),
    # Issue 13: every change to what runs publishes a version.
    "*:template.Resources.FunctionVersion*": (
        "the version hash covers every property of the function and the dependency layer's "
        "content (AutoPublishAliasAllProperties, PublishLambdaVersion), so SAM names the version "
        "anew"
    ),
    "*:template.Resources.FunctionAliaslive.Properties.FunctionVersion.*": (
        "the live alias points at the version under its new name"
    ),
    "*:template.Resources.DependencyLayer*": (
        "PublishLambdaVersion enters SAM's hash of the layer, so the layer's logical ID changes "
        "once (the same content, published again)"
    ),
    "*:template.Resources.Function.Properties.Layers.0.Ref": (
        "the function refers to the layer under its new logical ID"
    ),
    # Issue 13: reserving concurrency is optional, and only a function URL reserves by default.
    "*:template.Resources.Function.Properties.ReservedConcurrentExecutions": (
        "reserved_concurrency defaults to 0, none reserved (10 behind a function URL): a "
        "reservation fails to deploy where the account's quota leaves under 100 unreserved "
        "executions; the trigger still caps the function at 10"
    ),
    "*:template.Resources.*.Metadata.checkov.skip": (
        "CKV_AWS_115 (no reserved concurrency) is skipped with its reason where none is reserved "
        "(SAM copies the function's metadata to the resources it derives from it)"
    ),
    "*:template.Resources.ThrottlesAlarm.Properties.AlarmDescription": (
        "without a reservation, throttling happens at the account's concurrency limit"
    ),
    "*:README.md:10": "the diagram no longer states a reserved concurrency of 10 where none is",
    "rest-api:docs/runbook.md:50": (
        "the runbook names the reserved concurrency (50) as what the API's throttling stays within"
    ),
    "function-url*:docs/runbook.md:429": (
        "the throttles entry no longer speaks of API Gateway's 429 answers: a function URL has "
        "no API Gateway in front of it"
    ),
    "*:docs/runbook.md:10": "the throttles entry no longer states a reserved concurrency of 10",
    # Issue 13: a permissions boundary for every role the stack creates.
    "*:template.Resources.CodeDeployServiceRole.Properties.ManagedPolicyArns.0": (
        "the stack declares CodeDeploy's role itself, as SAM would (SAM's own cannot carry a "
        "permissions boundary); the managed policy's ARN names the stack's partition"
    ),
    "*:template.Resources.*Role.Properties.PermissionsBoundary": (
        "the answer set chooses permissions_boundary: every role the stack creates carries it"
    ),
    "*:docs/runbook.md:## deleting-the-stack": (
        "the runbook says what deleting the stack keeps and takes"
    ),
    # Seed 004: old function and layer versions are pruned after each deploy (prune_versions.py).
    "*:docs/runbook.md:## old-versions": (
        "the runbook's entry on how old versions are pruned and what to do when that step fails"
    ),
    "*:*.md:75": "the README and runbook state the 75 GB of code storage the pruner keeps under",
    "*:*.md:1": "the README and runbook name `make prune ENV=<env> APPLY=1`",
    "*:*.md:5": "the README and runbook state that the pruner keeps the 5 newest versions",
    "s3:docs/runbook.md:42": "the old-versions entry names the function, whose name has 42",
    # Issue 18: the documentation site, which the README and runbook link to.
    "*:README.md:60": "the diagram says how long an idempotency record is kept (60 minutes)",
    "*:README.md:8": "the README links the site's onboarding step 8, rolling back",
    "*:docs/runbook.md:6": "the runbook links the site's onboarding step 6, answering an alarm",
    **_for(
        tuple(answers for answers, chosen in ANSWER_SETS.items() if chosen.get("snapstart")),
        {
            "template.Resources.Function.Properties.SnapStart": (
                "the answer set chooses snapstart: SnapStart on published versions"
            ),
            "template.Resources.FunctionVersion*": (
                "SnapStart changes what runs, so SAM publishes a new version (its version hash "
                "covers the function's properties)"
            ),
            "template.Resources.FunctionAliaslive.Properties.FunctionVersion.*": (
                "the live alias points at the new version"
            ),
        },
    ),
    **_for(
        tuple(
            name for name, chosen in ANSWER_SETS.items() if chosen.get("provisioned_concurrency")
        ),
        {
            "template.Resources.FunctionAliaslive.Properties.ProvisionedConcurrencyConfig": (
                "the answer set chooses provisioned_concurrency: the live alias is provisioned"
            ),
            "template.Resources.ProvisionedConcurrency*": (
                "Application Auto Scaling's target and target-tracking policy for the alias"
            ),
            "template.Resources.ProvisionedSpilloverAlarm": "the sustained-spillover alarm",
            "docs/runbook.md:## provisioned-concurrency-spillover": "that alarm's runbook entry",
            "docs/runbook.md:15": "the entry: spillover for 15 minutes (3 periods of 5) pages",
            "docs/runbook.md:70": "the entry: scaling keeps utilisation near 70%",
        },
    ),
    **_for(
        tuple(name for name, chosen in ANSWER_SETS.items() if chosen.get("secret")),
        {
            "template.Resources.Secret": (
                "the answer set chooses secret: the downstream system's Secrets Manager secret, "
                "created empty, kept on delete"
            ),
            "template.Resources.FunctionRole.Properties.Policies.0.PolicyDocument.Statement": (
                "ReadOwnSecret: secretsmanager:GetSecretValue on that secret's ARN alone"
            ),
            "template.Resources.Function.Properties.Environment.Variables.SECRET_ARN": (
                "the secret's ARN (never its value) for settings.downstream_credentials()"
            ),
            "template.Outputs.SecretArn": "the secret the team puts the value into",
            "docs/runbook.md:## secret-unreadable": "the runbook entry on a failed read",
        },
    ),
    "custom:docs/runbook.md:25": "the spillover entry: scaling between 5 and 25 environments",
    "function-url-public:docs/runbook.md:2": "the spillover entry: scaling from 2 environments",
    "http-api-jwt:README.md:403": (
        "the token's subject is the customer: an order of another customer is answered 403"
    ),
    "http-api-cors:README.md:3000": "the README names the CORS origins, http://localhost:3000",
    "http-api-cors:template.Resources.HttpApi.Properties.Body.x-amazon-apigateway-cors": (
        "new answer set: api_cors_origins configures CORS on the HTTP API (CorsConfiguration)"
    ),
    "function-url-public:template.Resources.FunctionUrl.Properties.Cors": (
        "the answer set now chooses api_cors_origins=*: the function URL's Cors"
    ),
    # Issue 16 (LAMBDA_MONITORING): a CloudWatch dashboard of the function and its trigger.
    "*:template.Resources.Dashboard": (
        "new: the model's dashboard (stack.dashboard), invocations and concurrency, then a graph "
        "per alarm with its threshold drawn in"
    ),
    "*:template.Outputs.DashboardName": "new: the dashboard's name, which the runbook starts from",
    "s3:*.md:42": (
        "the README and the runbook name the dashboard, whose name is the project's slug (which "
        "ends in 42 in this answer set)"
    ),
    # Issue 16 (LAMBDA_NETWORKING): vpc_endpoints=create, the stack's own interface endpoints.
    **_for(
        tuple(
            name for name, chosen in ANSWER_SETS.items() if chosen.get("vpc_endpoints") == "create"
        ),
        {
            "template.Parameters.VpcId": "the answer set chooses vpc_endpoints=create: the VPC",
            "template.Resources.FunctionSecurityGroup": (
                "the function's own security group, which the endpoints admit"
            ),
            "template.Resources.FunctionToEndpoints": "its one egress rule: HTTPS to the endpoints",
            "template.Resources.EndpointSecurityGroup": (
                "the endpoints' group: HTTPS in from the function's group only, no egress"
            ),
            "template.Resources.*Endpoint": "one interface endpoint per service the function calls",
            "template.Resources.Function.Properties.VpcConfig.SecurityGroupIds*": (
                "the function carries its own group beside the team's"
            ),
            "template.Resources.FunctionVersion*": (
                "the function's security groups changed, so SAM publishes a new version"
            ),
            "template.Resources.FunctionAliaslive.Properties.FunctionVersion.*": (
                "the live alias points at the new version"
            ),
        },
    ),
    # Issue 16 (LAMBDA_MONITORING, LAMBDA_COST_OPTIMIZATION): Lambda Insights, the monthly budget.
    **_for(
        tuple(name for name, chosen in ANSWER_SETS.items() if chosen.get("lambda_insights")),
        {
            "template.Resources.Function.Properties.Layers": (
                "the answer set chooses lambda_insights: AWS's Lambda Insights extension layer"
            ),
            "template.Resources.FunctionRole.Properties.Policies.0.PolicyDocument.Statement": (
                "WriteLambdaInsights: the extension writes to /aws/lambda-insights alone"
            ),
        },
    ),
    **{
        f"{name}:README.md:{chosen.get('log_retention_days', 30)}": (
            "the README says to give /aws/lambda-insights a retention: the function's "
            "log_retention_days"
        )
        for name, chosen in ANSWER_SETS.items()
        if chosen.get("lambda_insights")
    },
    **_for(
        tuple(name for name, chosen in ANSWER_SETS.items() if chosen.get("monthly_budget")),
        {
            "template.Resources.MonthlyBudget": (
                "the answer set chooses monthly_budget: an AWS Budgets cost budget of the stack's "
                "tags, notifying the alarm topic"
            ),
            "template.Resources.AlarmTopicPolicy.Properties.PolicyDocument.Statement": (
                "BudgetsOfThisAccountPublish: this account's budgets may publish to the topic"
            ),
            "template.Resources.EncryptionKey.Properties.KeyPolicy.Statement": (
                "BudgetsPublishToTopic: Budgets may use the key the topic is encrypted with"
            ),
            "docs/runbook.md:## monthly-budget": "the budget notification's runbook entry",
            "docs/runbook.md:[018]*": (
                "the monthly-budget entry states the 80% (actual) and 100% (forecast) notifications"
            ),
        },
    ),
    # Issue 16, code_signing (seed 004): the function accepts only what the team's profile signed.
    **_for(
        ("schedule",),
        {
            "template.Resources.CodeSigningConfig": (
                "the code signing config: the signing stack's profile version is the one allowed "
                "publisher, and an untrusted artefact is refused (Enforce)"
            ),
            "template.Resources.Function.Properties.CodeSigningConfigArn": (
                "the function carries the code signing config"
            ),
        },
    ),
    **{
        f"{name}:docs/runbook.md:{chosen['monthly_budget']}": (
            "the monthly-budget entry states the budget's amount"
        )
        for name, chosen in ANSWER_SETS.items()
        if chosen.get("monthly_budget")
    },
    # Issue 16: a batch handler starts no record in the last 20% of the timeout.
    **{
        f"{name}:docs/runbook.md:{int(chosen.get('timeout', 30)) * 200}": (
            "the duration entry states the remaining-time margin, in ms"
        )
        for name, chosen in ANSWER_SETS.items()
        if chosen.get("trigger", "sqs") in ("sqs", "kinesis", "dynamodb-stream")
    },
    # The duration entry of an API says how long API Gateway waits, and none for a function URL.
    **{
        f"{name}:docs/runbook.md:{min(int(chosen.get('timeout', 10)), 29)}": (
            "the duration entry states how long API Gateway waits for the function"
        )
        for name, chosen in ANSWER_SETS.items()
        if chosen.get("trigger") in ("http-api", "rest-api")
    },
    "function-url*:docs/runbook.md:29": (
        "the duration entry no longer states API Gateway's 29 s: none fronts a function URL"
    ),
    # Issue 16 (LAMBDA_TESTING, LAMBDA_DEPLOYMENT): smoke_test (on by default), CodeDeploy's
    # pre-traffic hook; `sns` (smoke_test: False) shows it off.
    **_for(
        tuple(name for name, chosen in ANSWER_SETS.items() if chosen.get("smoke_test", True)),
        {
            "template.Resources.PreTrafficHook*": (
                "new: the pre-traffic hook, its log group, its role and its asynchronous retries"
            ),
            "template.Resources.FunctionAliaslive.UpdatePolicy.CodeDeployLambdaAliasUpdate"
            ".BeforeAllowTrafficHook": (
                "CodeDeploy runs the hook before it shifts traffic (DeploymentPreference.Hooks)"
            ),
            "docs/runbook.md:## pre-traffic-hook-failed": "the runbook entry of a failed hook",
            "docs/runbook.md:2": "that entry states the hook's 2 asynchronous retries",
        },
    ),
    **_for(
        tuple(
            name
            for name, chosen in ANSWER_SETS.items()
            if chosen.get("smoke_test", True) and chosen.get("kms_key") == "customer-managed"
        ),
        {
            "template.Resources.EncryptionKey.Properties.KeyPolicy.Statement": (
                "CloudWatchLogsEncryptsPreTrafficHookLogs: the hook's log group under the stack key"
            ),
        },
    ),
    # Issue 17, AWS Control Tower's proactive controls met by every render ("*": every set, in a
    # key of its own, so the reasons above for the same statement list stay).
    **_for(
        ("*",),
        {
            "template.Resources.EncryptionKey.Properties.KeyPolicy.Statement": (
                "GrantsOnlyForAwsResources: nobody but an AWS service, for a resource it "
                "encrypts, may create grants on the key (CT.KMS.PR.3)"
            ),
        },
    ),
    **_for(
        tuple(name for name, chosen in ANSWER_SETS.items() if chosen.get("trigger") == "s3"),
        {
            "template.Resources.*BucketPolicy.*.Statement.0.Resource.1.Fn::*": (
                "the objects' ARN as Fn::Join, the one form CT.S3.PR.8 reads"
            ),
        },
    ),
    # Issue 16, dev_sizing: the sets that size dev apart choose each differing value on IsProd.
    **_for(
        tuple(name for name, chosen in ANSWER_SETS.items() if chosen.get("dev_sizing")),
        {
            "template.Conditions*": "IsProd, which chooses each value dev and prod differ in",
            "template.Resources.Function.Properties.MemorySize": "dev_memory_size in dev",
            "template.Resources.Function.Properties.ReservedConcurrentExecutions": (
                "dev_reserved_concurrency in dev"
            ),
            "template.Resources.FunctionQueue.Properties.ScalingConfig.MaximumConcurrency": (
                "sized to dev's reservation in dev"
            ),
            "template.Resources.FunctionStream.Properties.ParallelizationFactor": (
                "sized to dev's reservation in dev"
            ),
            "template.Resources.Function*.Properties.BatchSize": "dev_batch_size in dev",
            "template.Resources.RestApiStage.Properties.MethodSettings.0.Throttling*": (
                "sized to dev's reservation in dev"
            ),
        },
    ),
    # Their runbook's opening states dev's memory (a number the last release's runbook lacked).
    **{
        f"{name}:docs/runbook.md:{chosen.get('dev_memory_size', chosen.get('memory_size', 512))}": (
            "the opening states dev's memory and reservation"
        )
        for name, chosen in ANSWER_SETS.items()
        if chosen.get("dev_sizing") and chosen.get("iac_tool", "sam") == "sam"
    },
}

# Sections the last release's document lacks, by heading, with why they were added: a new section
# states only new facts, so its facts are compared from the next release on (cut the release, then
# empty this as CHANGES). The section runs to the next heading of its level or above.
NEW_SECTIONS: dict[str, dict[str, str]] = {
    "README.md": {
        "### Dev and prod sizing": (
            "issue 16 (dev_sizing): the values that differ between dev and prod, and why the "
            "timeout and the code do not"
        ),
        "## Cost": (
            "issue 16: the monthly cost estimate from cost.toml (make cost) and the Power Tuning "
            "guide (make tune)"
        ),
        "## Retention and backup": (
            "issue 16: what deleting the stack does to each resource that holds data, and how to "
            "recover it"
        ),
        "## Network": (
            "issue 16 (vpc_enabled): the services the function calls, their endpoints, the NAT "
            "alternative and the check"
        ),
        "### Code signing": (
            "issue 16 (code_signing): the signing stack, how each deploy signs, the signatures' "
            "validity"
        ),
    },
    "docs/runbook.md": {
        "## aws-api-unreachable": (
            "issue 16 (vpc_enabled): what a connect timeout to an AWS API from the VPC means"
        ),
        "## code-signing-refused": (
            "issue 16 (code_signing): what a deploy refused for an unsigned artefact means"
        ),
    },
}

_baseline_renders: dict[str, Path] = {}


@pytest.fixture(scope="session")
def release_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_with_release(tmp_path_factory.mktemp("release") / "template", RELEASES[-1])


@pytest.fixture
def baseline(
    request: pytest.FixtureRequest, release_clone: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The answer set `rendered` got, rendered by the last release."""
    name: str = request.node.callspec.params["rendered"]
    if name not in _baseline_renders:
        destination = tmp_path_factory.mktemp(f"baseline-{name}") / "project"
        # An answer to a question the release does not ask yet (a new option) is left out, as
        # the release would refuse it: the baseline is what the project had before choosing it.
        # The clone's work tree is this branch: read the release's own questions from git.
        asked = yaml.safe_load(
            subprocess.run(
                ["git", "show", f"{RELEASES[-1][1]}:copier.yml"],
                cwd=release_clone,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        copier.run_copy(
            str(release_clone),
            str(destination),
            data={
                question: answer
                for question, answer in ANSWER_SETS[name].items()
                if question in asked
            },
            vcs_ref=RELEASES[-1][1],
            defaults=True,
            unsafe=True,
            quiet=True,
        )
        _baseline_renders[name] = destination
    return _baseline_renders[name]


def _translated(project: Path, translator: Path) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location(f"validate_{id(translator)}", translator)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    region = yaml.safe_load((project / ".copier-answers.yml").read_text())["aws_region"]
    translated: dict[str, Any] = module.translate(project / "template.yaml", region)
    return translated


def _differences(before: Any, after: Any, path: str) -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            difference
            for key in sorted(set(before) | set(after), key=str)
            for difference in _differences(before.get(key), after.get(key), f"{path}.{key}")
        ]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            difference
            for index, (old, new) in enumerate(zip(before, after, strict=True))
            for difference in _differences(old, new, f"{path}.{index}")
        ]
    return [] if before == after else [f"{path}: {before!r} -> {after!r}"]


def _facts(text: str) -> Counter[str]:
    """The numbers a document states and the runbook entries it has, counted."""
    numbers = re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]\w)", text)
    anchors = [f"## {anchor}" for anchor in re.findall(r"^## (\S+)", text, re.MULTILINE)]
    return Counter(numbers + anchors)


def _unexplained(differences: list[str]) -> list[str]:
    return [
        difference
        for difference in differences
        if not any(fnmatch.fnmatchcase(difference.split(": ")[0], key) for key in CHANGES)
    ]


# The last release offered SAM alone: a CDK answer set has no baseline to compare with yet.
@pytest.mark.parametrize("rendered", answer_set_params(*answer_sets_of("sam")), indirect=True)
def test_the_translated_stack_equals_the_last_release(
    request: pytest.FixtureRequest, rendered: Path, baseline: Path
) -> None:
    translator = rendered / "scripts" / "validate_template.py"
    name = request.node.callspec.params["rendered"]
    differences = _differences(
        _translated(baseline, translator),
        _translated(rendered, translator),
        f"{name}:template",
    )
    assert _unexplained(differences) == []


def _without_new_sections(text: str, document: str) -> str:
    """The document without the sections NEW_SECTIONS names for it."""
    for heading in NEW_SECTIONS.get(document, {}):
        level = heading.split(" ", 1)[0]
        start = text.find(f"\n{heading}\n")
        if start < 0:
            continue
        ends = [
            match.start()
            for match in re.finditer(r"^(#+) ", text[start + 1 :], re.MULTILINE)
            if len(match.group(1)) <= len(level) and match.start() > 0
        ]
        end = start + 1 + ends[0] if ends else len(text)
        text = text[:start] + "\n" + text[end:]
    return text


# The last release offered SAM alone: a CDK answer set has no baseline to compare with yet.
@pytest.mark.parametrize("rendered", answer_set_params(*answer_sets_of("sam")), indirect=True)
@pytest.mark.parametrize("document", ["README.md", "docs/runbook.md"])
def test_the_readme_and_runbook_state_the_facts_of_the_last_release(
    request: pytest.FixtureRequest, rendered: Path, baseline: Path, document: str
) -> None:
    name = request.node.callspec.params["rendered"]
    before = _facts((baseline / document).read_text())
    after = _facts(_without_new_sections((rendered / document).read_text(), document))
    differences = [
        f"{name}:{document}:{fact}: {before[fact]} -> {after[fact]}"
        for fact in sorted(before.keys() | after.keys())
        if before[fact] != after[fact]
    ]
    assert _unexplained(differences) == []
