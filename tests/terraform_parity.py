"""A reader that resolves a rendered project's terraform/*.tf into the values tests/parity.py
resolves a CloudFormation template to, and views of both that the Terraform parity tests compare.

Terraform and CloudFormation write one stack in different shapes: `aws_sqs_queue.x.arn` against
`Fn::GetAtt`, `local.name` against `${AWS::StackName}`, a policy as a `data
"aws_iam_policy_document"` against a JSON document, snake_case arguments and nested blocks against
CloudFormation's properties. `read` parses the HCL with python-hcl2 and evaluates the references
the template writes as `terraform plan` would know them, with the dev environment's variables and
tests/parity.py's fixed account: a resource's name from its own name argument, its ARN, URL or
alias ARN in AWS's documented formats (the formats tests/parity.py gives CloudFormation's `Ref`
and `Fn::GetAtt`, so that both tools' ways of naming one resource resolve to one string), the
published version and the stack's key as the same opaque tokens tests/parity.py gives them.
Function calls (filebase64sha256 ...) and attributes with no documented format stay tokens.

The views (`*_of_sam`, `*_of_terraform`) give each part of the model one shape on both sides:
CloudFormation's property names where one exists, so a line of `parity.differences` names the
setting the same way in both tools.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

from tests import parity
from tests.rendered import stack_facts_of

_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
# A reference or expression inside an HCL string: ${...} without nested braces; a `$${` is a
# literal `${` (common.tf.jinja's `literal` escapes model text so), never a reference.
_INTERPOLATION = re.compile(r"(?<!\$)\$\{([^{}]*)\}")
# The tokens tests/parity.py resolves these CloudFormation values to: the version a deployment
# publishes (`Fn::GetAtt Version.Version`), and the stack key's ID (`Ref EncryptionKey`).
PUBLISHED_VERSION = "<AWS.Lambda.Version.Version>"
KEY_ID = "<AWS.KMS.Key>"
# Each resource type's argument that is its name (Terraform's `name` unless listed).
_NAME_ARGUMENTS = {
    "aws_lambda_function": "function_name",
    "aws_lambda_layer_version": "layer_name",
    "aws_s3_bucket": "bucket",
    "aws_cloudwatch_metric_alarm": "alarm_name",
    "aws_codedeploy_deployment_group": "deployment_group_name",
}
# Attributes that are the resource's name, per type (beyond `name` and the name argument).
_NAME_ATTRIBUTES = {"name", "function_name", "bucket", "alarm_name", "layer_name", "id"}
# The types whose `id` is their name (the provider's ID of each); other ids stay tokens.
_ID_IS_NAME = {"aws_iam_role", "aws_sqs_queue_policy", "aws_cloudwatch_log_group", "aws_s3_bucket"}
# An API's ID (its `id`), which AWS assigns: known by the API's name.
_API_TYPES = {"aws_apigatewayv2_api", "aws_api_gateway_rest_api"}


@dataclass
class Terraform:
    """A project's terraform/*.tf: resources and data sources by type and name (arguments as
    python-hcl2 gives them: blocks as lists of dicts), locals and variables' defaults; `resolve`
    evaluates what they refer to."""

    resources: dict[str, dict[str, dict[str, Any]]]
    data: dict[str, dict[str, dict[str, Any]]]
    locals: dict[str, Any]
    variables: dict[str, Any]
    region: str

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        """Every resource of `kind` by its Terraform name, its arguments resolved."""
        return {name: self.resolve(args) for name, args in self.resources.get(kind, {}).items()}

    def one(self, kind: str, name: str) -> dict[str, Any]:
        """One resource's arguments, resolved; KeyError if the project has none such."""
        found: dict[str, Any] = self.resolve(self.resources[kind][name])
        return found

    def resolve(self, value: Any) -> Any:
        """`value` with its references evaluated (see the module's docstring); a
        `jsonencode({...})` as the data it encodes; HCL comments dropped."""
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items() if k != "__comments__"}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, str):
            return value
        if value.startswith("${jsonencode(") and value.endswith(")}"):
            inner = value[len("${jsonencode(") : -len(")}")]
            return self.resolve(
                hcl2.loads("value = " + inner, serialization_options=_OPTIONS)["value"]
            )
        whole = _INTERPOLATION.fullmatch(value)
        if whole:  # the value is one expression: keep its type (a list, a policy document)
            return self.expression(whole.group(1))
        text = _INTERPOLATION.sub(lambda m: _text(self.expression(m.group(1))), value)
        return text.replace("$${", "${").replace("%%{", "%{")

    def expression(self, expression: str) -> Any:
        """One reference's value: a local, a variable at the dev environment's value, a data
        source, or a resource's attribute; anything else (a function call) as a token."""
        parts = expression.strip().split(".")
        if parts[0] == "local" and len(parts) == 2:
            return self.resolve(self.locals[parts[1]])
        if parts[0] == "var" and len(parts) == 2:
            return self.resolve(self.variables.get(parts[1], f"<{expression}>"))
        if parts[0] == "data" and len(parts) == 4:
            return self._data(parts[1], parts[2], parts[3])
        if len(parts) == 3 and parts[1] in self.resources.get(parts[0], {}):
            return self.attribute(parts[0], parts[1], parts[2])
        return f"<{expression}>"

    def _data(self, kind: str, name: str, attribute: str) -> Any:
        fixed = {
            ("aws_caller_identity", "account_id"): parity.ACCOUNT,
            ("aws_partition", "partition"): "aws",
            ("aws_partition", "dns_suffix"): "amazonaws.com",
            ("aws_region", "region"): self.region,
        }
        if (kind, attribute) in fixed:
            return fixed[kind, attribute]
        if kind == "aws_iam_policy_document" and attribute == "json":
            return policy_document(self.resolve(self.data[kind][name]))
        return f"<data.{kind}.{name}.{attribute}>"

    def name_of(self, kind: str, name: str) -> str:
        """A resource's physical name, resolved."""
        arguments = self.resources[kind][name]
        return _text(self.resolve(arguments.get(_NAME_ARGUMENTS.get(kind, "name"), f"<{name}>")))

    def attribute(self, kind: str, name: str, attribute: str) -> Any:
        """A resource's attribute as tests/parity.py resolves CloudFormation's equivalent."""
        if attribute in _NAME_ATTRIBUTES and (attribute != "id" or kind in _ID_IS_NAME):
            return self.name_of(kind, name)
        if attribute == "arn":
            return self._arn(kind, name)
        own = self.name_of(kind, name)
        if kind in _API_TYPES and attribute == "id":
            return f"<API {own}>"
        tokens = {
            ("aws_kms_key", "id"): KEY_ID,
            ("aws_kms_key", "key_id"): KEY_ID,
            ("aws_lambda_function", "version"): PUBLISHED_VERSION,
            ("aws_sqs_queue", "url"): (
                f"https://sqs.{self.region}.amazonaws.com/{parity.ACCOUNT}/{own}"
            ),
            ("aws_dynamodb_table", "stream_arn"): f"{self._arn(kind, name)}/stream/<label>",
        }
        return tokens.get((kind, attribute), f"<{kind}.{name}.{attribute}>")

    def _arn(self, kind: str, name: str) -> str:
        arguments = self.resources[kind][name]
        prefix = f"arn:aws:{{}}:{self.region}:{parity.ACCOUNT}:"
        if kind == "aws_lambda_alias":
            function = _text(self.resolve(arguments["function_name"]))
            return prefix.format("lambda") + f"function:{function}:{self.name_of(kind, name)}"
        if kind == "aws_cloudwatch_event_rule":
            bus = _text(self.resolve(arguments.get("event_bus_name", "default")))
            path = (
                self.name_of(kind, name)
                if bus == "default"
                else f"{bus}/{self.name_of(kind, name)}"
            )
            return prefix.format("events") + f"rule/{path}"
        own = self.name_of(kind, name)
        arns = {
            "aws_sqs_queue": prefix.format("sqs") + own,
            "aws_sns_topic": prefix.format("sns") + own,
            "aws_lambda_function": prefix.format("lambda") + f"function:{own}",
            "aws_dynamodb_table": prefix.format("dynamodb") + f"table/{own}",
            "aws_kinesis_stream": prefix.format("kinesis") + f"stream/{own}",
            # The provider's log group ARN has no ":*" (it strips the one the API returns);
            # CloudFormation's Fn::GetAtt Arn keeps it.
            "aws_cloudwatch_log_group": prefix.format("logs") + f"log-group:{own}",
            "aws_iam_role": f"arn:aws:iam::{parity.ACCOUNT}:role/{own}",
            "aws_kms_key": prefix.format("kms") + f"key/{KEY_ID}",
            "aws_s3_bucket": f"arn:aws:s3:::{own}",
            "aws_cloudwatch_event_bus": prefix.format("events") + f"event-bus/{own}",
            "aws_scheduler_schedule_group": prefix.format("scheduler") + f"schedule-group/{own}",
            "aws_ssm_parameter": prefix.format("ssm") + f"parameter{own}",
            # A secret's ARN ends in characters Secrets Manager draws: the opaque value
            # tests/parity.py gives CloudFormation's Ref of it (the ARN), by the secret's name.
            "aws_secretsmanager_secret": parity._token(f"AWS::SecretsManager::Secret:{own}"),
        }
        return arns.get(kind, f"<{kind}.{name}.arn>")


def read(terraform: Path, region: str, environment: str = "dev") -> Terraform:
    """A project's terraform/ directory (every *.tf in it), parsed; `region` is the provider's
    Region (the answers' aws_region), `environment` the value of var.environment."""
    resources: dict[str, dict[str, dict[str, Any]]] = {}
    data: dict[str, dict[str, dict[str, Any]]] = {}
    local_values: dict[str, Any] = {}
    variables: dict[str, Any] = {"environment": environment, "aws_region": region}
    # A value dev and prod differ in (dev_sizing) is a conditional on var.environment: the
    # project's own reader chooses it, as the rendered tests do (HCL without a project around
    # it, as the reader's own tests write, is read as written).
    try:
        choose = stack_facts_of(terraform.parent).for_environment
    except ImportError:
        choose = _as_written
    for path in sorted(terraform.glob("*.tf")):
        parsed = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=_OPTIONS)
        parsed = choose(parsed, environment)
        for kind, found in (("resource", resources), ("data", data)):
            for entry in parsed.get(kind, []):
                for resource_type, named in entry.items():
                    found.setdefault(resource_type, {}).update(named)
        for entry in parsed.get("locals", []):
            local_values.update({k: v for k, v in entry.items() if k != "__comments__"})
        for entry in parsed.get("variable", []):
            for name, declared in entry.items():
                if "default" in declared:
                    variables.setdefault(name, declared["default"])
    return Terraform(resources, data, local_values, variables, region)


def _as_written(value: Any, environment: str) -> Any:
    return value


def policy_document(document: dict[str, Any]) -> dict[str, Any]:
    """A resolved `data "aws_iam_policy_document"` as the JSON document it renders, in
    CloudFormation's shape (Sid, Effect, Action, Resource, Principal, Condition), lists sorted."""
    statements = []
    for block in document.get("statement", []):
        statement: dict[str, Any] = {"Effect": block.get("effect", "Allow")}
        if "sid" in block:
            statement["Sid"] = block["sid"]
        statement["Action"] = sorted(block.get("actions", []))
        if "resources" in block:
            statement["Resource"] = sorted(block["resources"])
        principals: dict[str, list[str]] = {}
        for principal in block.get("principals", []):
            kind = "AWS" if principal["type"] == "*" else principal["type"]
            principals.setdefault(kind, []).extend(principal["identifiers"])
        if principals:
            statement["Principal"] = {k: sorted(v) for k, v in principals.items()}
        conditions: dict[str, dict[str, Any]] = {}
        for condition in block.get("condition", []):
            conditions.setdefault(condition["test"], {})[condition["variable"]] = condition[
                "values"
            ]
        if conditions:
            statement["Condition"] = conditions
        statements.append(statement)
    return {"Statement": statements}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _values(value: Any) -> list[Any]:
    """A condition's or principal's values as a sorted list (CloudFormation takes one value
    alone or in a list)."""
    return sorted(value if isinstance(value, list) else [value], key=str)


def _statements(document: dict[str, Any]) -> dict[str, Any]:
    """A policy's statements by Sid (or by effect and principal where it has none): effect,
    sorted actions, sorted resources, principals and conditions with their values as lists."""
    found: dict[str, Any] = {}
    for statement in document.get("Statement", []):
        principal = statement.get("Principal")
        principal = {"AWS": "*"} if principal == "*" else principal
        entry: dict[str, Any] = {
            "Effect": statement.get("Effect", "Allow"),
            "Action": _values(statement.get("Action", [])),
            "Resource": _values(statement.get("Resource", [])),
        }
        if principal:
            entry["Principal"] = {k: _values(v) for k, v in principal.items()}
        if "Condition" in statement:
            entry["Condition"] = {
                test: {key: _values(v) for key, v in pairs.items()}
                for test, pairs in statement["Condition"].items()
            }
        key = statement.get("Sid") or f"{entry['Effect']} {json.dumps(entry.get('Principal'))}"
        found[key] = entry
    return found


# -- alarms -----------------------------------------------------------------------------------


def alarms_of_sam(stack: parity.Stack) -> dict[str, Any]:
    """Every alarm by name: its metric (or metric math), statistic, period, evaluation,
    threshold, comparison, missing data, dimensions, actions, and whether it rolls back."""
    found = {}
    for name, alarm in parity.alarms(stack).items():
        entry = {
            key: alarm.get(key)
            for key in (
                "Namespace",
                "MetricName",
                "Statistic",
                "ExtendedStatistic",
                "Period",
                "EvaluationPeriods",
                "Threshold",
                "ComparisonOperator",
                "TreatMissingData",
                "AlarmActions",
                "OKActions",
                "RollsBackTheDeployment",
            )
            if key in alarm
        }
        entry["Threshold"] = float(entry["Threshold"])
        if alarm["Dimensions"]:
            entry["Dimensions"] = {k: _named(v) for k, v in alarm["Dimensions"].items()}
        if "Metrics" in alarm:
            entry["Metrics"] = _math(alarm["Metrics"].values())
        found[name] = entry
    return found


# tests/parity.py leaves a topic's Fn::GetAtt TopicName and an API's Ref (its ID) opaque tokens
# naming the resource; what they stand for is the topic's name, and the API of that name.
_NAMED_TOKENS = (
    (re.compile(r"<AWS\.SNS\.Topic/([^>]+)\.TopicName>"), r"\1"),
    (re.compile(r"<AWS\.ApiGateway(?:V2)?\.(?:Api|RestApi)/([^>.]+)>"), r"<API \1>"),
)


def _named(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    for pattern, meaning in _NAMED_TOKENS:
        value = pattern.sub(meaning, value)
    return value


def _math(queries: Any) -> dict[str, Any]:
    """Metric math by what each query is: a metric by its Id (the expression names it), the
    expression returned as "expression" (its own Id names nothing)."""
    found: dict[str, Any] = {}
    for query in queries:
        if "Expression" in query:
            found["expression"] = {
                k: query.get(k) for k in ("Expression", "Label", "ReturnData") if k in query
            }
        else:
            stat = query["MetricStat"]
            found[query["Id"]] = {
                "Namespace": stat["Metric"].get("Namespace"),
                "MetricName": stat["Metric"]["MetricName"],
                "Dimensions": {
                    d["Name"]: _named(d["Value"]) for d in stat["Metric"].get("Dimensions", [])
                },
                "Period": stat["Period"],
                "Stat": stat["Stat"],
                "ReturnData": query.get("ReturnData", True),
            }
    return found


def alarms_of_terraform(terraform: Terraform) -> dict[str, Any]:
    """`alarms_of_sam`'s view of the aws_cloudwatch_metric_alarm resources; the deployment
    group's alarm_configuration says which roll back."""
    (group,) = terraform.of_type("aws_codedeploy_deployment_group").values()
    rollback = {
        name for config in group.get("alarm_configuration", []) for name in config["alarms"]
    }
    found = {}
    for alarm in terraform.of_type("aws_cloudwatch_metric_alarm").values():
        entry: dict[str, Any] = {
            "Namespace": alarm.get("namespace"),
            "MetricName": alarm.get("metric_name"),
            "Statistic": alarm.get("statistic"),
            "ExtendedStatistic": alarm.get("extended_statistic"),
            "Period": alarm.get("period"),
            "EvaluationPeriods": alarm["evaluation_periods"],
            "Threshold": float(alarm["threshold"]),
            "ComparisonOperator": alarm["comparison_operator"],
            "TreatMissingData": alarm.get("treat_missing_data", "missing"),
            "AlarmActions": alarm.get("alarm_actions"),
            "OKActions": alarm.get("ok_actions"),
            "RollsBackTheDeployment": alarm["alarm_name"] in rollback,
        }
        entry = {k: v for k, v in entry.items() if v is not None}
        if alarm.get("dimensions"):
            entry["Dimensions"] = alarm["dimensions"]
        if "metric_query" in alarm:
            entry["Metrics"] = _math(_query(query) for query in alarm["metric_query"])
        found[alarm["alarm_name"]] = entry
    return found


def dashboards_of_sam(stack: parity.Stack) -> dict[str, Any]:
    """Every dashboard by name: what its body shows (tests/parity.py's `dashboard_body`), a
    dimension's opaque token (a topic's name, an API's ID) as what it stands for, as in
    `alarms_of_sam`."""
    found = parity.dashboards(stack)
    for graphs in found.values():
        for graph in graphs.values():
            for metric in graph["metrics"]:
                if "dimensions" in metric:
                    metric["dimensions"] = {k: _named(v) for k, v in metric["dimensions"].items()}
    return found


def dashboards_of_terraform(terraform: Terraform) -> dict[str, Any]:
    """`dashboards_of_sam`'s view of the aws_cloudwatch_dashboard resources: the body
    `jsonencode` makes, its references resolved."""
    return {
        dashboard["dashboard_name"]: parity.dashboard_body(dashboard["dashboard_body"])
        for dashboard in terraform.of_type("aws_cloudwatch_dashboard").values()
    }


def _query(query: dict[str, Any]) -> dict[str, Any]:
    """A metric_query block in CloudFormation's MetricDataQuery shape."""
    found: dict[str, Any] = {"Id": query["id"], "ReturnData": query.get("return_data", True)}
    if "expression" in query:
        found["Expression"] = query["expression"]
    if "label" in query:
        found["Label"] = query["label"]
    for metric in query.get("metric", []):
        found["MetricStat"] = {
            "Metric": {
                "Namespace": metric["namespace"],
                "MetricName": metric["metric_name"],
                "Dimensions": [
                    {"Name": k, "Value": v} for k, v in metric.get("dimensions", {}).items()
                ],
            },
            "Period": metric["period"],
            "Stat": metric["stat"],
        }
    return found


# -- grants -----------------------------------------------------------------------------------


def grants_of_sam(stack: parity.Stack) -> dict[str, Any]:
    """The execution role's statements by Sid (inline policies and the policies attached to
    it), its managed policies, and the stack key's statements by Sid."""
    role = stack.resources[
        f"AWS::IAM::Role:execution role of {parity.function_resource(stack).identity}"
    ]
    role_name = role.identity[len("AWS::IAM::Role:") :]
    documents = [p["PolicyDocument"] for p in role.properties.get("Policies", [])] + [
        r.properties["PolicyDocument"]
        for r in stack.of_type("AWS::IAM::Policy").values()
        if any(role_name in str(name) for name in r.properties.get("Roles", []))
    ]
    return {
        "execution role": {k: v for d in documents for k, v in _statements(d).items()},
        "managed policies": sorted(role.properties.get("ManagedPolicyArns", [])),
        "permissions boundary": role.properties.get("PermissionsBoundary"),
        "key policy": _statements(stack.one("AWS::KMS::Key").properties["KeyPolicy"]),
    }


def grants_of_terraform(terraform: Terraform) -> dict[str, Any]:
    """`grants_of_sam`'s view of aws_iam_role.function's role policies and attachments, and of
    aws_kms_key.encryption_key's policy."""
    role = terraform.name_of("aws_iam_role", "function")
    documents = [
        policy["policy"]
        for policy in terraform.of_type("aws_iam_role_policy").values()
        if policy["role"] == role
    ]
    return {
        "execution role": {k: v for d in documents for k, v in _statements(d).items()},
        "managed policies": sorted(
            attachment["policy_arn"]
            for attachment in terraform.of_type("aws_iam_role_policy_attachment").values()
            if attachment["role"] == role
        ),
        "permissions boundary": terraform.one("aws_iam_role", "function").get(
            "permissions_boundary"
        ),
        "key policy": _statements(terraform.one("aws_kms_key", "encryption_key")["policy"]),
    }


# -- failure handling ---------------------------------------------------------------------------

# An event source mapping's arguments -> CloudFormation's properties (blocks: see _mapping).
_MAPPING_ARGUMENTS = {
    "event_source_arn": "EventSourceArn",
    "function_name": "FunctionName",
    "batch_size": "BatchSize",
    "maximum_batching_window_in_seconds": "MaximumBatchingWindowInSeconds",
    "starting_position": "StartingPosition",
    "parallelization_factor": "ParallelizationFactor",
    "function_response_types": "FunctionResponseTypes",
    "bisect_batch_on_function_error": "BisectBatchOnFunctionError",
    "maximum_retry_attempts": "MaximumRetryAttempts",
    "maximum_record_age_in_seconds": "MaximumRecordAgeInSeconds",
    "tumbling_window_in_seconds": "TumblingWindowInSeconds",
    "enabled": "Enabled",
}


def _mapping_of_terraform(arguments: dict[str, Any]) -> dict[str, Any]:
    """An aws_lambda_event_source_mapping as CloudFormation's properties; an argument with no
    entry here keeps its Terraform name, so that it shows as a difference."""
    found: dict[str, Any] = {}
    for key, value in arguments.items():
        if key == "scaling_config":
            found["ScalingConfig"] = {"MaximumConcurrency": value[0]["maximum_concurrency"]}
        elif key == "filter_criteria":
            found["FilterCriteria"] = {
                "Filters": [{"Pattern": f["pattern"]} for c in value for f in c["filter"]]
            }
        elif key == "destination_config":
            found["DestinationConfig"] = {
                "OnFailure": {"Destination": value[0]["on_failure"][0]["destination_arn"]}
            }
        else:
            found[_MAPPING_ARGUMENTS.get(key, key)] = value
    return found


def _mapping(properties: dict[str, Any]) -> dict[str, Any]:
    """A mapping's properties with its function by its qualified name and its filter patterns
    as data (a pattern is JSON in a string: its spacing is no part of it)."""
    found = dict(properties)
    found["FunctionName"] = _qualified_name(found["FunctionName"])
    if "FilterCriteria" in found:
        found["FilterCriteria"] = {
            "Filters": [
                {
                    "Pattern": json.loads(f["Pattern"])
                    if isinstance(f["Pattern"], str)
                    else f["Pattern"]
                }
                for f in found["FilterCriteria"]["Filters"]
            ]
        }
    return found


def _qualified_name(function: Any) -> str:
    """A function or alias by its ARN or as "function:alias" alike (Lambda takes either)."""
    text = str(function)
    return ":".join(text.split(":")[6:]) if text.startswith("arn:aws:lambda:") else text


def _on_failure(config: dict[str, Any]) -> Any:
    return config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")


def failure_handling_of_sam(stack: parity.Stack) -> dict[str, Any]:
    """Where failures go: the event source mappings (by source ARN), the asynchronous invoke
    configs (by qualified function), the queues' redrive, the SNS subscriptions' redrive, and
    the rule targets' and schedules' retries and dead-letter queues (by target ARN)."""
    handling = parity.failure_handling(stack)
    targets = {}
    for kind in ("AWS::Events::Rule", "AWS::Scheduler::Schedule"):
        for r in stack.of_type(kind).values():
            listed = r.properties.get("Targets", r.properties.get("Target", []))
            for target in listed if isinstance(listed, list) else [listed]:
                targets[f"{kind.split('::')[1]} -> {target['Arn']}"] = {
                    "RetryPolicy": target.get("RetryPolicy"),
                    "DeadLetterConfig": target.get("DeadLetterConfig"),
                }
    return {
        "event source mappings": {
            source: _mapping(properties)
            for source, properties in handling["event source mappings"].items()
        },
        "asynchronous invocation": {
            function: {
                "MaximumRetryAttempts": config.get("MaximumRetryAttempts"),
                "MaximumEventAgeInSeconds": config.get("MaximumEventAgeInSeconds"),
                "OnFailure": _on_failure(config),
            }
            for function, config in handling["asynchronous invocation"].items()
        },
        "function dead-letter queue": handling["function dead-letter queue"],
        "queue redrive": {
            r.properties["QueueName"]: r.properties.get("RedrivePolicy")
            for r in stack.of_type("AWS::SQS::Queue").values()
        },
        "subscription redrive": {
            f"{r.properties['TopicArn']} -> {r.properties['Endpoint']}": r.properties.get(
                "RedrivePolicy"
            )
            for r in stack.of_type("AWS::SNS::Subscription").values()
        },
        "targets": targets,
    }


def failure_handling_of_terraform(terraform: Terraform) -> dict[str, Any]:
    """`failure_handling_of_sam`'s view of the Terraform resources."""
    targets = {}
    for rule_target in terraform.of_type("aws_cloudwatch_event_target").values():
        targets[f"Events -> {rule_target['arn']}"] = _retries(rule_target)
    for schedule in terraform.of_type("aws_scheduler_schedule").values():
        for target in schedule["target"]:
            targets[f"Scheduler -> {target['arn']}"] = _retries(target)
    return {
        "event source mappings": {
            mapping["event_source_arn"]: _mapping(_mapping_of_terraform(mapping))
            for mapping in terraform.of_type("aws_lambda_event_source_mapping").values()
        },
        "asynchronous invocation": {
            _qualified_name(f"{config['function_name']}:{config['qualifier']}"): {
                "MaximumRetryAttempts": config.get("maximum_retry_attempts"),
                "MaximumEventAgeInSeconds": config.get("maximum_event_age_in_seconds"),
                "OnFailure": next(
                    (
                        failure["destination"]
                        for destination in config.get("destination_config", [])
                        for failure in destination.get("on_failure", [])
                    ),
                    None,
                ),
            }
            for config in terraform.of_type("aws_lambda_function_event_invoke_config").values()
        },
        "function dead-letter queue": next(
            (
                {"TargetArn": config["target_arn"]}
                for config in terraform.one("aws_lambda_function", "function").get(
                    "dead_letter_config", []
                )
            ),
            None,
        ),
        "queue redrive": {
            queue["name"]: queue.get("redrive_policy")
            for queue in terraform.of_type("aws_sqs_queue").values()
        },
        "subscription redrive": {
            f"{s['topic_arn']} -> {s['endpoint']}": s.get("redrive_policy")
            for s in terraform.of_type("aws_sns_topic_subscription").values()
        },
        "targets": targets,
    }


def _retries(target: dict[str, Any]) -> dict[str, Any]:
    """A target's retry_policy and dead_letter_config blocks as CloudFormation's properties."""
    retry = target.get("retry_policy", [])
    dead_letter = target.get("dead_letter_config", [])
    return {
        "RetryPolicy": {
            "MaximumRetryAttempts": retry[0]["maximum_retry_attempts"],
            "MaximumEventAgeInSeconds": retry[0]["maximum_event_age_in_seconds"],
        }
        if retry
        else None,
        "DeadLetterConfig": {"Arn": dead_letter[0]["arn"]} if dead_letter else None,
    }


# -- function settings --------------------------------------------------------------------------


def function_of_sam(stack: parity.Stack) -> dict[str, Any]:
    """The function's settings (runtime, architecture, memory, timeout, concurrency, handler,
    tracing, logging, environment, key, layers beyond its own, VPC, SnapStart, runtime
    management), its alias, deployment config, and its log group's retention and key."""
    function = parity.function_resource(stack).properties
    (group,) = stack.of_type("AWS::CodeDeploy::DeploymentGroup").values()
    (alias,) = stack.of_type("AWS::Lambda::Alias").values()
    log_group = stack.resources[f"AWS::Logs::LogGroup:{function['LoggingConfig']['LogGroup']}"]
    layers = [str(layer) for layer in function.get("Layers", [])]
    return {
        **{key: function.get(key) for key in _FUNCTION_PROPERTIES},
        "Layers": {
            "count": len(layers),
            # The stack's own layer is a token on both sides; a published layer is its ARN.
            "published": sorted(x for x in layers if x.startswith("arn:")),
        },
        "VpcConfig": "VpcConfig" in function,
        "KmsKeyArn": _key(function.get("KmsKeyArn")),
        "alias": alias.properties["Name"],
        "DeploymentConfigName": group.properties["DeploymentConfigName"],
        "log group": {
            "RetentionInDays": log_group.properties.get("RetentionInDays"),
            "KmsKeyId": _key(log_group.properties.get("KmsKeyId")),
        },
    }


# The function's properties compared as they are.
_FUNCTION_PROPERTIES = (
    "FunctionName",
    "Handler",
    "Runtime",
    "Architectures",
    "MemorySize",
    "Timeout",
    "ReservedConcurrentExecutions",
    "TracingConfig",
    "LoggingConfig",
    "Environment",
    "SnapStart",
    "RuntimeManagementConfig",
)


def _key(value: Any) -> str | None:
    """A KMS key setting as what it is: the stack's key (by ID or ARN), or an alias."""
    if value is None:
        return None
    text = str(value)
    return "the stack's key" if KEY_ID in text else text


def function_of_terraform(terraform: Terraform) -> dict[str, Any]:
    """`function_of_sam`'s view of aws_lambda_function.function and its companions."""
    function = terraform.one("aws_lambda_function", "function")
    logging = function["logging_config"][0]
    (group,) = terraform.of_type("aws_codedeploy_deployment_group").values()
    (runtime,) = terraform.of_type("aws_lambda_runtime_management_config").values()
    log_group = terraform.one("aws_cloudwatch_log_group", "function")
    layers = [str(layer) for layer in function.get("layers", [])]
    variables = function.get("environment", [{}])[0].get("variables")
    snapstart = function.get("snap_start")
    return {
        "FunctionName": function["function_name"],
        "Handler": function["handler"],
        "Runtime": function["runtime"],
        "Architectures": function["architectures"],
        "MemorySize": function["memory_size"],
        "Timeout": function["timeout"],
        "ReservedConcurrentExecutions": function.get("reserved_concurrent_executions"),
        "TracingConfig": {"Mode": function["tracing_config"][0]["mode"]},
        "LoggingConfig": {
            "LogFormat": logging["log_format"],
            "LogGroup": logging["log_group"],
            "ApplicationLogLevel": logging["application_log_level"],
            "SystemLogLevel": logging["system_log_level"],
        },
        # Environment variables are strings to Lambda, whatever type HCL gives a literal.
        "Environment": {"Variables": {k: _text(v) for k, v in variables.items()}}
        if variables
        else None,
        "SnapStart": {"ApplyOn": snapstart[0]["apply_on"]} if snapstart else None,
        "RuntimeManagementConfig": {"UpdateRuntimeOn": runtime["update_runtime_on"]},
        "Layers": {
            "count": len(layers),
            "published": sorted(x for x in layers if x.startswith("arn:")),
        },
        "VpcConfig": "vpc_config" in function,
        "KmsKeyArn": _key(function.get("kms_key_arn")),
        "alias": terraform.one("aws_lambda_alias", "live")["name"],
        "DeploymentConfigName": group["deployment_config_name"],
        "log group": {
            "RetentionInDays": log_group.get("retention_in_days"),
            "KmsKeyId": _key(log_group.get("kms_key_id")),
        },
    }


# -- the pre-traffic hook -----------------------------------------------------------------------


def hook_of_sam(stack: parity.Stack) -> dict[str, Any]:
    """The pre-traffic hook, if any: its settings, its log group's retention and key, its role's
    statements by Sid and boundary. Empty without smoke_test."""
    hook = parity.hook_resource(stack)
    if hook is None:
        return {}
    function = hook.properties
    role = stack.resources[f"AWS::IAM::Role:execution role of {hook.identity}"]
    log_group = stack.resources[f"AWS::Logs::LogGroup:{function['LoggingConfig']['LogGroup']}"]
    return {
        **{key: function.get(key) for key in _HOOK_PROPERTIES},
        "Layers": len(function.get("Layers", [])),
        "KmsKeyArn": _key(function.get("KmsKeyArn")),
        "log group": {
            "RetentionInDays": log_group.properties.get("RetentionInDays"),
            "KmsKeyId": _key(log_group.properties.get("KmsKeyId")),
        },
        "role": _deployment_group_named(
            {
                k: v
                for p in role.properties.get("Policies", [])
                for k, v in _statements(p["PolicyDocument"]).items()
            }
        ),
        "permissions boundary": role.properties.get("PermissionsBoundary"),
    }


def _deployment_group_named(statements: dict[str, Any]) -> dict[str, Any]:
    """`statements` with the deployment group's ARN as what it is: parity.py spells SAM's out with
    opaque application and group names, this reader keeps Terraform's `arn` attribute a token."""
    for statement in statements.values():
        statement["Resource"] = [
            "the deployment group"
            if ":deploymentgroup:" in str(resource)
            or str(resource) == "<aws_codedeploy_deployment_group.function.arn>"
            else resource
            for resource in statement["Resource"]
        ]
    return statements


# The hook's properties compared as they are.
_HOOK_PROPERTIES = (
    "FunctionName",
    "Handler",
    "Runtime",
    "Architectures",
    "MemorySize",
    "Timeout",
    "TracingConfig",
    "LoggingConfig",
    "Environment",
)


def hook_of_terraform(terraform: Terraform) -> dict[str, Any]:
    """`hook_of_sam`'s view of aws_lambda_function.pre_traffic_hook and its role."""
    if "pre_traffic_hook" not in terraform.resources.get("aws_lambda_function", {}):
        return {}
    function = terraform.one("aws_lambda_function", "pre_traffic_hook")
    logging = function["logging_config"][0]
    log_group = terraform.one("aws_cloudwatch_log_group", "pre_traffic_hook")
    role = terraform.name_of("aws_iam_role", "pre_traffic_hook")
    variables = function["environment"][0]["variables"]
    return {
        "FunctionName": function["function_name"],
        "Handler": function["handler"],
        "Runtime": function["runtime"],
        "Architectures": function["architectures"],
        "MemorySize": function["memory_size"],
        "Timeout": function["timeout"],
        "TracingConfig": {"Mode": function["tracing_config"][0]["mode"]},
        "LoggingConfig": {"LogFormat": logging["log_format"], "LogGroup": logging["log_group"]},
        "Environment": {"Variables": {k: _text(v) for k, v in variables.items()}},
        "Layers": len(function.get("layers", [])),
        "KmsKeyArn": _key(function.get("kms_key_arn")),
        "log group": {
            "RetentionInDays": log_group.get("retention_in_days"),
            "KmsKeyId": _key(log_group.get("kms_key_id")),
        },
        "role": _deployment_group_named(
            {
                k: v
                for policy in terraform.of_type("aws_iam_role_policy").values()
                if policy["role"] == role
                for k, v in _statements(policy["policy"]).items()
            }
        ),
        "permissions boundary": terraform.one("aws_iam_role", "pre_traffic_hook").get(
            "permissions_boundary"
        ),
    }


# -- queues -------------------------------------------------------------------------------------


def _encryption(key: Any, sqs_owned: Any) -> str:
    """A queue's encryption at rest: the stack's key, an AWS-managed key's alias, or SQS-owned."""
    if key is not None:
        return _key(key) or ""
    return "SQS-owned keys" if sqs_owned else "none"


def queues_of_sam(stack: parity.Stack) -> dict[str, Any]:
    """Each queue by name: retention, visibility timeout, encryption, data key reuse; its
    policy's statements (resources narrowed to this queue); the queues its policy covers."""
    policies = [
        (r.properties["Queues"], r.properties["PolicyDocument"])
        for r in stack.of_type("AWS::SQS::QueuePolicy").values()
    ]
    found = {}
    for r in stack.of_type("AWS::SQS::Queue").values():
        name = r.properties["QueueName"]
        mine = [
            (queues, document)
            for queues, document in policies
            if any(str(q).endswith(f"/{name}") for q in queues)
        ]
        found[name] = {
            "MessageRetentionPeriod": r.properties.get("MessageRetentionPeriod"),
            "VisibilityTimeout": r.properties.get("VisibilityTimeout"),
            "encryption": _encryption(
                r.properties.get("KmsMasterKeyId"), r.properties.get("SqsManagedSseEnabled")
            ),
            "KmsDataKeyReusePeriodSeconds": r.properties.get("KmsDataKeyReusePeriodSeconds"),
            "policy": _narrowed(
                {k: v for _, document in mine for k, v in _statements(document).items()}, name
            ),
            "has a policy": bool(mine),
            "policy shared with": sorted(
                q.rsplit("/", 1)[1]
                for queues, _ in mine
                for q in queues
                if not str(q).endswith(f"/{name}")
            ),
        }
    return found


def _narrowed(statements: dict[str, Any], queue: str) -> dict[str, Any]:
    """The statements about the queue, their resources narrowed to its ARN (one policy may list
    several queues)."""
    found = {}
    for sid, statement in statements.items():
        mine = [x for x in statement["Resource"] if str(x).endswith(f":{queue}")]
        if mine or not statement["Resource"]:
            found[sid] = {**statement, "Resource": mine}
    return found


def queues_of_terraform(terraform: Terraform) -> dict[str, Any]:
    """`queues_of_sam`'s view of the aws_sqs_queue and aws_sqs_queue_policy resources."""
    policies = [
        (policy["queue_url"], policy["policy"])
        for policy in terraform.of_type("aws_sqs_queue_policy").values()
    ]
    found: dict[str, Any] = {}
    for queue in terraform.of_type("aws_sqs_queue").values():
        name = queue["name"]
        mine = [(url, document) for url, document in policies if url.endswith(f"/{name}")]
        found[name] = {
            "MessageRetentionPeriod": queue.get("message_retention_seconds"),
            "VisibilityTimeout": queue.get("visibility_timeout_seconds"),
            "encryption": _encryption(
                queue.get("kms_master_key_id"), queue.get("sqs_managed_sse_enabled")
            ),
            "KmsDataKeyReusePeriodSeconds": queue.get("kms_data_key_reuse_period_seconds"),
            "policy": _narrowed(
                {k: v for _, document in mine for k, v in _statements(document).items()}, name
            ),
            "has a policy": bool(mine),
            # A Terraform queue policy belongs to one queue.
            "policy shared with": [],
        }
    return found
