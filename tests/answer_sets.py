"""Answer sets rendered by the template tests: the defaults, one that flips every option, the
limits, and one per asynchronous trigger (each also varying options the others leave alone);
each trigger once more with AWS CDK and once with Terraform; and the pairwise matrix over the
options and the IaC tools."""

from __future__ import annotations

from typing import Any

from tests.matrix import matrix_answer_sets

ANSWER_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "custom": {
        "project_name": "Invoice Ingest",
        "description": "Ingests supplier invoices from a queue.",
        "owner_team": "payments",
        "cost_center": "CC-4711",
        "aws_region": "us-east-1",
        "python_version": "3.12",
        "architecture": "x86_64",
        "memory_size": 1024,
        "timeout": 120,
        "reserved_concurrency": 25,
        "permissions_boundary": "boundaries/lambda-workloads",
        "deployment_strategy": "linear",
        # Strict compliance (Control Tower's proactive controls) with the three answers it asks for.
        "compliance": "strict",
        "log_retention_days": 365,
        "alarm_email": "oncall@example.com",
        "vpc_enabled": True,
        "kms_key": "customer-managed",
        "powertools_source": "layer",
        "idempotency": False,
        "batch_size": 50,
        "batching_window_seconds": 5,
        # Scaled between 5 and the reservation (25).
        "provisioned_concurrency": 5,
        # dev sized apart: less memory and no reservation (a dev account's small quota), so
        # what is sized from it (SQS's maximum concurrency, the scaling maximum) differs too.
        "dev_sizing": True,
        "dev_memory_size": 256,
        "dev_reserved_concurrency": 0,
        # The downstream system's secret under the stack's key (CDK and Terraform mirror it).
        "secret": True,
    },
    # Limits and what the other sets leave out: the newest runtime, the largest sizes,
    # all-at-once, the smallest reserved concurrency that still caps the SQS poller (2), and a
    # VPC with AWS-managed keys and packaged Powertools.
    "limits": {
        "project_name": "Ledger Export 2",
        "aws_region": "ap-southeast-2",
        "python_version": "3.14",
        "memory_size": 10240,
        "timeout": 900,
        "reserved_concurrency": 2,
        "deployment_strategy": "all-at-once",
        "log_retention_days": 3653,
        "vpc_enabled": True,
        # The stack's own interface endpoint (SSM), in a VPC without NAT.
        "vpc_endpoints": "create",
        # Lambda Insights' arm64 layer (published in ap-southeast-2) and a budget alarm.
        "lambda_insights": True,
        "monthly_budget": 50,
    },
    # Stream triggers: each with its defaults, and once with every option that changes its stack
    # (customer-managed key, VPC, no idempotency, a small reserved concurrency, other sizes).
    "kinesis": {
        "trigger": "kinesis",
        "description": "Prices orders read from a Kinesis data stream.",
    },
    "kinesis_custom": {
        "trigger": "kinesis",
        "project_name": "Click Stream",
        "description": "Prices orders read from a Kinesis data stream.",
        "python_version": "3.12",
        "architecture": "x86_64",
        "timeout": 300,
        "reserved_concurrency": 3,
        # dev reserves none, so its stream is read at the unreserved sizing's parallelization,
        # in smaller batches.
        "dev_sizing": True,
        "dev_reserved_concurrency": 0,
        "dev_batch_size": 50,
        "alarm_email": "oncall@example.com",
        "vpc_enabled": True,
        "kms_key": "customer-managed",
        "powertools_source": "layer",
        "idempotency": False,
        "batch_size": 500,
        "batching_window_seconds": 0,
    },
    "dynamodb_stream": {
        "trigger": "dynamodb-stream",
        "description": "Prices orders as they are written to a DynamoDB table.",
    },
    "dynamodb_stream_custom": {
        "trigger": "dynamodb-stream",
        "project_name": "Order Ledger",
        "description": "Prices orders as they are written to a DynamoDB table.",
        "python_version": "3.14",
        "timeout": 900,
        "reserved_concurrency": 1,
        "deployment_strategy": "all-at-once",
        "vpc_enabled": True,
        "kms_key": "customer-managed",
        "idempotency": False,
        "batch_size": 10000,
        "batching_window_seconds": 300,
    },
    # Synchronous API triggers (no idempotency question): each auth choice, the customer-managed
    # key on a JWT API, a VPC on a REST API, and one endpoint made public on purpose.
    "http-api": {
        "trigger": "http-api",
        "description": "Prices orders submitted over HTTPS.",
    },
    "http-api-jwt": {
        "trigger": "http-api",
        "api_auth": "jwt",
        "jwt_issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        "jwt_audience": "orders-web",
        "kms_key": "customer-managed",
        "python_version": "3.12",
        "architecture": "x86_64",
        "timeout": 10,
        # Lambda Insights' x86_64 layer, and a budget whose topic is under the stack's own key.
        "lambda_insights": True,
        "monthly_budget": 200,
    },
    "rest-api": {
        "trigger": "rest-api",
        "project_name": "Order Pricing Api",
        "python_version": "3.14",
        "timeout": 20,
        "reserved_concurrency": 50,
        # A smaller dev: its own memory, reservation and API throttling.
        "dev_sizing": True,
        "dev_memory_size": 1024,
        "dev_reserved_concurrency": 5,
        "log_retention_days": 90,
        # The account-level logging role is one more role the boundary must reach.
        "permissions_boundary": "workload-boundary",
        "vpc_enabled": True,
        "alarm_email": "oncall@example.com",
        # A latency-sensitive API is where SnapStart pays (the matrix covers the other triggers).
        "snapstart": True,
    },
    "function-url": {
        "trigger": "function-url",
        "architecture": "x86_64",
        "reserved_concurrency": 5,
        "kms_key": "customer-managed",
        "deployment_strategy": "all-at-once",
    },
    "function-url-public": {
        "trigger": "function-url",
        "api_auth": "none",
        "python_version": "3.12",
        "powertools_source": "layer",
        # Any web page may call a public URL: the CORS the function URL answers itself.
        "api_cors_origins": "*",
        # A caller waits: two environments kept warm, scaled up to the reservation (10).
        "provisioned_concurrency": 2,
    },
    # CORS on an IAM-authorised HTTP API: API Gateway answers the (unsigned) preflight itself.
    "http-api-cors": {
        "trigger": "http-api",
        "api_cors_origins": "https://app.example.com, http://localhost:3000",
    },
    # The asynchronously invoked triggers. SNS with the stack's own key, which every service that
    # writes to an encrypted queue must then be allowed to use.
    "sns": {
        "trigger": "sns",
        "kms_key": "customer-managed",
        "alarm_email": "orders-oncall@example.com",
        # Without the pre-traffic hook: the one set (and its CDK and Terraform mirrors) proving
        # that the stack renders and passes its checks without it.
        "smoke_test": False,
    },
    # S3 without idempotency, on x86_64, with the longest project slug: the bucket name must still
    # fit S3's 63 characters.
    "s3": {
        "trigger": "s3",
        "project_name": "Supplier Catalogue Ingestion Pipeline 42",
        "idempotency": False,
        "architecture": "x86_64",
        "python_version": "3.12",
        "aws_region": "us-east-1",
        # The downstream system's secret under Secrets Manager's AWS-managed key, in every IaC
        # tool (cdk-s3, terraform-s3), and its name from the longest slug.
        "secret": True,
    },
    # EventBridge inside a VPC, with the managed Powertools layer and the producers' own names.
    "eventbridge": {
        "trigger": "eventbridge",
        "vpc_enabled": True,
        "powertools_source": "layer",
        "event_source_name": "com.acme.shop",
        "event_detail_type": "Order Placed",
    },
    # A daily cron schedule in a non-UTC time zone, with the stack's key and the newest runtime.
    "schedule": {
        "trigger": "schedule",
        "schedule_expression": "cron(0 6 * * ? *)",
        "schedule_timezone": "Europe/Berlin",
        "kms_key": "customer-managed",
        "python_version": "3.14",
        "deployment_strategy": "linear",
        # The scheduler's role is one more role the boundary must reach.
        "permissions_boundary": "boundaries/lambda-workloads",
        # Lambda deploys only the code and layer the team's profile signed (SAM, Terraform).
        "code_signing": True,
    },
}

# AWS CDK: every trigger once, with the answers of the SAM set that changes the most of its stack.
CDK_MIRRORED = (
    "custom",
    "kinesis_custom",
    "dynamodb_stream_custom",
    "sns",
    "s3",
    "eventbridge",
    "schedule",
    "function-url-public",
    "http-api-jwt",
    "rest-api",
)
ANSWER_SETS.update(
    {f"cdk-{name}": {**ANSWER_SETS[name], "iac_tool": "cdk"} for name in CDK_MIRRORED}
)
# Terraform renders the same sets: every trigger once, with its most option-heavy answers.
TERRAFORM_MIRRORED = CDK_MIRRORED
ANSWER_SETS.update(
    {
        f"terraform-{name}": {**ANSWER_SETS[name], "iac_tool": "terraform"}
        for name in TERRAFORM_MIRRORED
    }
)

# The stack's own interface endpoints, once per IaC tool (SAM: `limits`): EventBridge in a VPC,
# whose SAM set keeps the VPC's existing route to AWS. With Lambda Insights, as `limits`: its
# extension's logs endpoint is the one whose description runs over a line.
for name in ("cdk-eventbridge", "terraform-eventbridge"):
    ANSWER_SETS[name] = {**ANSWER_SETS[name], "vpc_endpoints": "create", "lambda_insights": True}

# Every pair of runtime-option values, spread over the at-least-once triggers, and every value
# with each IaC tool (tests/matrix.py).
ANSWER_SETS.update(matrix_answer_sets())


def answer_sets_of(iac_tool: str) -> list[str]:
    """The names of the answer sets rendered with `iac_tool` (sam when they leave it out)."""
    return [
        name for name, answers in ANSWER_SETS.items() if answers.get("iac_tool", "sam") == iac_tool
    ]


# One SAM set per trigger (two for sqs: the defaults, and custom with the customer-managed key,
# x86_64 and no idempotency), for the tests that read each trigger's stack once.
SAM_PER_TRIGGER = (
    "defaults",
    "custom",
    "kinesis",
    "dynamodb_stream",
    "http-api",
    "rest-api",
    "function-url",
    "sns",
    "s3",
    "eventbridge",
    "schedule",
)
