"""A reader that resolves a CloudFormation template into values both IaC tools can be compared on.

SAM (translated) and CDK (synthesized) write the same stack in different shapes: other logical
IDs, `Fn::Sub` against `Fn::Join`, a name as a literal against a `Ref`, an ARN built by hand
against `Fn::GetAtt`. `read` evaluates the intrinsic functions as CloudFormation would, with the
parameters at their defaults and fixed pseudo parameters, and names every resource by what it
is (its type and physical name) instead of its logical ID. What a resource returns for `Ref` and
`Fn::GetAtt` is written out in AWS's documented formats for the kinds the stacks hold (a
function's ARN, a queue's URL, a version's ARN ending in its number), so that both ways of
writing one value resolve to the same string; the other attributes stay opaque tokens naming
their resource. The views below pick the parts of a stack the parity tests compare.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"
# What a resource's physical name is, per type (the name every resource is known by here).
NAME_PROPERTIES = {
    "AWS::ApiGateway::RestApi": "Name",
    "AWS::ApiGatewayV2::Api": "Name",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Events::Rule": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::SSM::Parameter": "Name",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::Scheduler::ScheduleGroup": "Name",
    "AWS::Events::EventBus": "Name",
}
# Types whose `Ref` is their physical name.
_REF_IS_NAME = {
    "AWS::CloudWatch::Alarm",
    "AWS::DynamoDB::Table",
    "AWS::IAM::Role",
    "AWS::Kinesis::Stream",
    "AWS::Lambda::Function",
    "AWS::Events::EventBus",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
    "AWS::Scheduler::Schedule",
    "AWS::Scheduler::ScheduleGroup",
    "AWS::SSM::Parameter",
}
_API_TYPES = {"AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"}
# CDK's own resource: the construct library's version report, not part of the model. (Its
# BootstrapVersion parameter and rule are not resources; the views leave asset locations out.)
_CDK_ONLY = {"AWS::CDK::Metadata"}


class Unresolvable(ValueError):
    """An intrinsic the reader cannot evaluate (a resource named by another resource)."""


@dataclass
class Resource:
    """One resource: its type, the name it is known by, and its resolved properties."""

    type: str
    identity: str
    logical_id: str
    raw: dict[str, Any]
    properties: dict[str, Any] = field(default_factory=dict)
    deletion_policy: str | None = None
    update_replace_policy: str | None = None


@dataclass
class Stack:
    """A template's resources by identity ("<type>:<name>"), their intrinsics evaluated."""

    resources: dict[str, Resource]

    def of_type(self, kind: str) -> dict[str, Resource]:
        return {key: r for key, r in self.resources.items() if r.type == kind}

    def one(self, kind: str) -> Resource:
        (found,) = self.of_type(kind).values()
        return found


def read(template: dict[str, Any], region: str, stack_name: str) -> Stack:
    """The template's resources, resolved (see the module's docstring)."""
    return _Reader(template, region, stack_name).stack()


class _Reader:
    def __init__(self, template: dict[str, Any], region: str, stack_name: str) -> None:
        self.template = template
        self.raw: dict[str, Any] = {
            key: resource
            for key, resource in template["Resources"].items()
            if resource["Type"] not in _CDK_ONLY
        }
        self.parameters = {
            name: parameter.get("Default")
            for name, parameter in template.get("Parameters", {}).items()
        }
        self.pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::Region": region,
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{stack_name}/id",
            "AWS::URLSuffix": "amazonaws.com",
        }
        self.region = region
        self.conditions: dict[str, bool] = {}
        self.identities: dict[str, str] = {}

    # -- identities -------------------------------------------------------------------------

    def stack(self) -> Stack:
        self.raw = {
            key: resource
            for key, resource in self.raw.items()
            if "Condition" not in resource or self.condition(resource["Condition"])
        }
        # Roles last: an unnamed role is known by the function it runs.
        for key in sorted(self.raw, key=lambda k: self.raw[k]["Type"] == "AWS::IAM::Role"):
            identity = self._identity(key)
            if identity in self.identities.values():
                identity = f"{identity}#{key}"  # several alike: the logical ID tells them apart
            self.identities[key] = identity
        # A name built from another resource's reference (an API's execution log group, named
        # after the API's id) resolves once every resource is known.
        for key, identity in list(self.identities.items()):
            kind = self.raw[key]["Type"]
            name = self.raw[key].get("Properties", {}).get(NAME_PROPERTIES.get(kind, ""))
            if identity == f"{kind}#{key}" and name is not None:
                try:
                    named = f"{kind}:{_text(self.resolve(name))}"
                except Unresolvable:
                    continue
                if named not in self.identities.values():
                    self.identities[key] = named
        resources = {}
        for key, resource in self.raw.items():
            found = Resource(
                type=resource["Type"],
                identity=self.identities[key],
                logical_id=key,
                raw=resource,
                properties=_of_type(
                    resource["Type"], _normalised(self.resolve(resource.get("Properties", {})))
                ),
                # CloudFormation's default, whether written or not.
                deletion_policy=resource.get("DeletionPolicy", "Delete"),
                update_replace_policy=resource.get("UpdateReplacePolicy", "Delete"),
            )
            resources[found.identity] = found
        _fold_bucket_notifications(resources)
        return Stack(resources)

    def _identity(self, key: str) -> str:
        resource = self.raw[key]
        kind: str = resource["Type"]
        properties = resource.get("Properties", {})
        name = properties.get(NAME_PROPERTIES.get(kind, ""))
        if name is None and kind in _API_TYPES and "Body" in properties:
            name = properties["Body"]["info"]["title"]  # an API imported from OpenAPI: its title
        if name is not None:
            try:
                return f"{kind}:{self.resolve(name, names_only=True)}"
            except Unresolvable:
                pass
        if kind == "AWS::IAM::Role":
            runs = sorted(
                self.identities[function]
                for function, other in self.raw.items()
                if other["Type"] == "AWS::Lambda::Function"
                and other["Properties"].get("Role") == {"Fn::GetAtt": [key, "Arn"]}
            )
            if runs:
                return f"{kind}:execution role of {'+'.join(runs)}"
            # Other unnamed roles are told apart by who assumes them.
            services = sorted(
                str(service)
                for statement in properties["AssumeRolePolicyDocument"]["Statement"]
                for service in _listed(statement.get("Principal", {}).get("Service", []))
            )
            return f"{kind}:assumed by {'+'.join(services)}"
        if kind == "AWS::Lambda::Alias":
            return f"{kind}:{properties['Name']}"
        if sum(r["Type"] == kind for r in self.raw.values()) == 1:
            return kind
        return f"{kind}#{key}"  # several of a kind, unnamed: the logical ID is all there is

    # -- intrinsics -------------------------------------------------------------------------

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            value = self.resolve(self.template["Conditions"][name])
            assert isinstance(value, bool), f"condition {name}: {value!r}"
            self.conditions[name] = value
        return self.conditions[name]

    def resolve(self, value: Any, names_only: bool = False) -> Any:
        """`value` with its intrinsic functions evaluated; AWS::NoValue drops the key."""
        if isinstance(value, list):
            items = [self.resolve(item, names_only) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref" or function.startswith("Fn::") or function == "Condition":
                return self._intrinsic(function, argument, names_only)
        resolved = {key: self.resolve(item, names_only) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _intrinsic(self, function: str, argument: Any, names_only: bool) -> Any:
        if function == "Ref":
            return self.ref(argument, names_only)
        if function == "Fn::GetAtt":
            target, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            if names_only:
                raise Unresolvable(target)
            return self.attribute(target, attribute)
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            values = {name: self.resolve(v, names_only) for name, v in variables.items()}
            return self._substitute(text, values, names_only)
        if function == "Fn::If":
            name, when_true, when_false = argument
            return self.resolve(when_true if self.condition(name) else when_false, names_only)
        if function == "Condition":
            return self.condition(argument)
        return _FUNCTIONS[function](self.resolve(argument, names_only))

    def _substitute(self, text: str, variables: dict[str, Any], names_only: bool) -> str:
        out, rest = [], text
        while "${" in rest:
            before, _, after = rest.partition("${")
            name, _, rest = after.partition("}")
            out.append(before)
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")  # a literal ${...}
            elif name in variables:
                out.append(_text(variables[name]))
            elif "." in name and name.split(".", 1)[0] in self.raw:
                if names_only:
                    raise Unresolvable(name)
                out.append(_text(self.attribute(*name.split(".", 1))))
            else:
                out.append(_text(self.ref(name, names_only)))
        return "".join(out) + rest

    def ref(self, name: str, names_only: bool = False) -> Any:
        known = {"AWS::NoValue": _NO_VALUE, **self.pseudo, **self.parameters}
        if name in known:
            return known[name]
        if names_only:
            raise Unresolvable(name)
        kind = self.raw[name]["Type"]
        if kind in _REF_IS_NAME:
            return self._name(name)
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT}/{self._name(name)}"
        if kind in ("AWS::Lambda::Alias", "AWS::Lambda::Version", "AWS::SNS::Topic"):
            return self.attribute(name, "Arn")
        return _token(self.identities[name])

    def _name(self, key: str) -> str:
        identity = self.identities[key]
        kind = self.raw[key]["Type"]
        return identity[len(kind) + 1 :] if identity.startswith(f"{kind}:") else _token(identity)

    def attribute(self, key: str, attribute: str) -> Any:
        kind = self.raw[key]["Type"]
        if attribute == "Arn":
            return self._arn(key)
        if attribute == "QueueName" and kind == "AWS::SQS::Queue":
            return self._name(key)
        if attribute == "QueueUrl" and kind == "AWS::SQS::Queue":
            return self.ref(key)
        if attribute == "StreamArn" and kind == "AWS::DynamoDB::Table":
            return self._arn(key) + "/stream/<label>"
        return _token(self.identities[key], attribute)

    def _arn(self, key: str) -> str:
        kind = self.raw[key]["Type"]
        properties = self.raw[key].get("Properties", {})
        name = self._name(key)
        prefix = f"arn:aws:{{}}:{self.region}:{ACCOUNT}:"
        if kind in ("AWS::Lambda::Version", "AWS::Lambda::Alias"):
            function = self.resolve(properties["FunctionName"])
            if not function.startswith("arn:"):
                function = prefix.format("lambda") + f"function:{function}"
            qualifier = (
                properties["Name"] if "Name" in properties else self.attribute(key, "Version")
            )
            return f"{function}:{qualifier}"
        if kind == "AWS::Events::Rule":
            # A rule on a bus of its own has the bus's name in its ARN; the default bus's not.
            bus = str(self.resolve(properties.get("EventBusName", "default")))
            bus = bus.split(":event-bus/", 1)[1] if bus.startswith("arn:") else bus
            path = name if bus == "default" else f"{bus}/{name}"
            return prefix.format("events") + f"rule/{path}"
        if kind == "AWS::Scheduler::Schedule":
            group = self.resolve(properties.get("GroupName", "default"))
            return prefix.format("scheduler") + f"schedule/{group}/{name}"
        arns = {
            "AWS::DynamoDB::Table": prefix.format("dynamodb") + f"table/{name}",
            "AWS::Events::EventBus": prefix.format("events") + f"event-bus/{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{name}",
            "AWS::KMS::Key": prefix.format("kms") + f"key/{_token(self.identities[key])}",
            "AWS::Kinesis::Stream": prefix.format("kinesis") + f"stream/{name}",
            "AWS::Lambda::Function": prefix.format("lambda") + f"function:{name}",
            "AWS::Logs::LogGroup": prefix.format("logs") + f"log-group:{name}:*",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::Scheduler::ScheduleGroup": prefix.format("scheduler") + f"schedule-group/{name}",
            "AWS::SNS::Topic": prefix.format("sns") + name,
            "AWS::SQS::Queue": prefix.format("sqs") + name,
            "AWS::SSM::Parameter": prefix.format("ssm") + f"parameter{name}",
        }
        return arns.get(kind, _token(self.identities[key], "Arn"))


_FUNCTIONS: dict[str, Any] = {
    "Fn::Join": lambda arguments: arguments[0].join(_text(part) for part in arguments[1]),
    "Fn::Select": lambda arguments: arguments[1][int(arguments[0])],
    "Fn::Split": lambda arguments: _text(arguments[1]).split(arguments[0]),
    "Fn::Equals": lambda arguments: arguments[0] == arguments[1],
    "Fn::Not": lambda arguments: not arguments[0],
    "Fn::And": all,
    "Fn::Or": any,
}


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE = _NoValue()


def _token(identity: str, attribute: str = "") -> str:
    """An opaque value naming a resource (and one of its attributes), free of ":" so that an
    `Fn::Split` on ":" of an ARN holding it keeps it whole."""
    name = identity.replace("::", ".").replace(":", "/")
    return f"<{name}.{attribute}>" if attribute else f"<{name}>"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    raise Unresolvable(repr(value))


# Properties that take a KMS key by ID or by ARN, alike.
_KEY_PROPERTIES = {"KmsMasterKeyId", "KMSMasterKeyId", "KmsKeyId", "KmsKeyArn", "KMSKeyArn"}
# A table encrypted under the AWS-managed aws/dynamodb key, written out in full; CloudFormation
# reads `SSEEnabled: true` alone as the same thing.
_DYNAMODB_AWS_MANAGED_KEY = {
    "SSEEnabled": True,
    "SSEType": "KMS",
    "KMSMasterKeyId": "alias/aws/dynamodb",
}
_POLICY_PROPERTIES = {"PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy"}


def _normalised(value: Any, key: str = "") -> Any:
    """What CloudFormation and the services treat as one value written one way: tags as a map,
    policy documents with their lists sorted and `"*"` principals spelled out, a KMS key by ID,
    rollback events as a set, a DynamoDB table's AWS-managed key in its short form."""
    if key in _NORMALISERS:
        value = _NORMALISERS[key](value)
    if isinstance(value, dict):
        return {k: _normalised(item, k) for k, item in value.items()}
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    return value


def _policy(document: Any) -> Any:
    statements = [_statement(s) for s in _listed(document.get("Statement", []))]
    # Paired up by what they are about, whatever their order or Sids.
    order = [
        json.dumps([s["Effect"], s.get("Principal"), s.get("Resource"), s.get("Sid")])
        for s in statements
    ]
    return {**document, "Statement": [s for _, s in sorted(zip(order, statements, strict=True))]}


def _key_id(value: Any) -> Any:
    """A key by its ID, an alias by its name ("alias/..."): KMS takes either by its ARN too."""
    if not (isinstance(value, str) and value.startswith("arn:aws:kms:")):
        return value
    resource = value.split(":", 5)[5]
    return resource.removeprefix("key/") if resource.startswith("key/") else resource


_NORMALISERS: dict[str, Any] = {
    "Tags": lambda tags: (
        {tag["Key"]: tag["Value"] for tag in tags} if isinstance(tags, list) else tags
    ),
    **dict.fromkeys(_POLICY_PROPERTIES, _policy),
    **dict.fromkeys(_KEY_PROPERTIES, _key_id),
    "AutoRollbackConfiguration": lambda config: {
        **config,
        "Events": sorted(config.get("Events", [])),
    },
    "SSESpecification": lambda sse: (
        {"SSEEnabled": True} if sse == _DYNAMODB_AWS_MANAGED_KEY else sse
    ),
    # A log group as a destination, by its ARN with or without the ":*" of Fn::GetAtt's.
    "DestinationArn": lambda arn: (
        arn.removesuffix(":*") if isinstance(arn, str) and arn.startswith("arn:aws:logs:") else arn
    ),
    # A bucket notification's key filter rules are a set (one prefix, one suffix).
    "Rules": lambda rules: (
        sorted(rules, key=lambda rule: json.dumps(rule, sort_keys=True))
        if isinstance(rules, list)
        and all(isinstance(rule, dict) and "Name" in rule for rule in rules)
        else rules
    ),
}


def _json_or_text(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _metric_math(metrics: Any) -> Any:
    """An alarm's metric math by what each query is: the queries by their Id where an expression
    refers to it, the others (the one returned) by "(not referred to)", since their Id names
    nothing (CDK numbers its expressions, SAM names them)."""
    if not (isinstance(metrics, list) and all(isinstance(m, dict) and "Id" in m for m in metrics)):
        return metrics
    expressions = " ".join(str(m.get("Expression", "")) for m in metrics)
    referred = {m["Id"] for m in metrics if re.search(rf"\b{re.escape(m['Id'])}\b", expressions)}
    found: dict[str, Any] = {}
    for metric in sorted(metrics, key=lambda m: json.dumps(m, sort_keys=True)):
        key = metric["Id"] if metric["Id"] in referred else "(not referred to)"
        if key in found:
            key = f"{key}#{len(found)}"
        found[key] = {k: v for k, v in metric.items() if k != "Id" or key == metric["Id"]}
    return found


_NORMALISERS.update(
    # A target's input is JSON in a string: its spacing is no part of it.
    Input=_json_or_text,
    Metrics=_metric_math,
)


def _of_type(kind: str, properties: dict[str, Any]) -> dict[str, Any]:
    """One resource's properties where its type takes one value two ways: a function URL of an
    alias by the alias's ARN, or by the function's with the alias as its Qualifier."""
    if kind == "AWS::Lambda::Url" and "Qualifier" in properties:
        found = {k: v for k, v in properties.items() if k != "Qualifier"}
        found["TargetFunctionArn"] = f"{properties['TargetFunctionArn']}:{properties['Qualifier']}"
        return found
    if kind in _API_TYPES and "Body" in properties:
        return _api_from_openapi(kind, properties)
    return properties


def _api_from_openapi(kind: str, properties: dict[str, Any]) -> dict[str, Any]:
    """An API imported from an OpenAPI body, with what the body sets as properties: its name
    and description (the info), its tags (x-amazon-apigateway-tag-value), for an HTTP API its
    protocol; the body itself stays (api_routes reads its routes). Import parameters that
    restate a property (the endpoint type) are left out."""
    body = properties["Body"]
    found = dict(properties)
    found.setdefault("Name", body["info"]["title"])
    if "description" in body["info"]:
        found.setdefault("Description", body["info"]["description"])
    if kind == "AWS::ApiGatewayV2::Api":
        found.setdefault("ProtocolType", "HTTP")
        if "tags" in body:
            found.setdefault(
                "Tags", {tag["name"]: tag["x-amazon-apigateway-tag-value"] for tag in body["tags"]}
            )
    parameters = dict(found.get("Parameters", {}))
    types = found.get("EndpointConfiguration", {}).get("Types", [])
    if parameters.get("endpointConfigurationTypes") == ",".join(types):
        del parameters["endpointConfigurationTypes"]
    found["Parameters"] = parameters
    if not parameters:
        del found["Parameters"]
    return found


# The S3 API's bucket notification shape (CDK's custom resource writes it) -> CloudFormation's
# (a bucket's NotificationConfiguration): configurations' names and their target's key.
_NOTIFICATION_KINDS = {
    "LambdaFunctionConfigurations": ("LambdaConfigurations", "LambdaFunctionArn", "Function"),
    "QueueConfigurations": ("QueueConfigurations", "QueueArn", "Queue"),
    "TopicConfigurations": ("TopicConfigurations", "TopicArn", "Topic"),
}


def _fold_bucket_notifications(resources: dict[str, Resource]) -> None:
    """CDK configures a bucket's notifications with a custom resource calling the S3 API, SAM
    with the bucket's NotificationConfiguration: the custom resource's configuration is written
    onto its bucket in CloudFormation's shape (one entry per event, key filter rules as S3Key
    Rules). The custom resource stays (cdk_machinery leaves it out of the views)."""
    buckets = {
        r.properties.get("BucketName"): r for r in resources.values() if r.type == "AWS::S3::Bucket"
    }
    for custom in [r for r in resources.values() if r.type == "Custom::S3BucketNotifications"]:
        bucket = buckets[custom.properties["BucketName"]]
        configuration: dict[str, Any] = {}
        for api_name, given in custom.properties["NotificationConfiguration"].items():
            if api_name not in _NOTIFICATION_KINDS:
                configuration[api_name] = given  # EventBridgeConfiguration: the same either way
                continue
            name, api_target, target = _NOTIFICATION_KINDS[api_name]
            entries = configuration.setdefault(name, [])
            for entry in given:
                rules = entry.get("Filter", {}).get("Key", {}).get("FilterRules")
                for event in entry["Events"]:
                    found = {"Event": event, target: entry[api_target]}
                    if rules is not None:
                        found["Filter"] = {"S3Key": {"Rules": _normalised(rules, "Rules")}}
                    entries.append(found)
        bucket.properties["NotificationConfiguration"] = configuration


def _statement(statement: dict[str, Any]) -> dict[str, Any]:
    found = dict(statement)
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if key in found:
            found[key] = sorted(_listed(found[key]), key=repr)
    if "Principal" in found:
        principal = found["Principal"]
        principal = {"AWS": "*"} if principal == "*" else principal
        found["Principal"] = {k: sorted(_listed(v), key=repr) for k, v in principal.items()}
    return found


# -- what the parity tests compare ----------------------------------------------------------------


def differences(sam: Any, cdk: Any, path: str) -> list[str]:
    """Where two resolved values differ, one line per leaf: `path: sam value -> cdk value`."""
    if isinstance(sam, dict) and isinstance(cdk, dict):
        return [
            difference
            for key in sorted(set(sam) | set(cdk), key=str)
            for difference in differences(
                sam.get(key, _ABSENT), cdk.get(key, _ABSENT), f"{path}.{key}"
            )
        ]
    if isinstance(sam, list) and isinstance(cdk, list) and len(sam) == len(cdk):
        return [
            difference
            for index, (left, right) in enumerate(zip(sam, cdk, strict=True))
            for difference in differences(left, right, f"{path}.{index}")
        ]
    return [] if sam == cdk else [f"{path}: {sam!r} -> {cdk!r}"]


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()
# Types the views below cover; the rest are the trigger's and the stack's own resources.
_FUNCTION_TYPES = {
    "AWS::Lambda::Function",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Version",
    "AWS::Lambda::Alias",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::CodeDeploy::Application",
    "AWS::CodeDeploy::DeploymentGroup",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::Logs::LogGroup",
}
_RESOURCE_POLICIES = {
    "AWS::SQS::QueuePolicy": "Queues",
    "AWS::SNS::TopicPolicy": "Topics",
    "AWS::S3::BucketPolicy": "Bucket",
}


def _without(properties: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in properties.items() if key not in keys}


def cdk_machinery(stack: Stack) -> set[str]:
    """CDK's custom resources and the functions, roles and policies that serve only them."""
    custom = {
        key
        for key, r in stack.resources.items()
        if r.type.startswith("Custom::") or r.type == "AWS::CloudFormation::CustomResource"
    }
    tokens = {str(stack.resources[key].properties.get("ServiceToken")) for key in custom}
    handlers = {
        key
        for key, r in stack.of_type("AWS::Lambda::Function").items()
        # An unnamed function's Arn stays a reference; a named one's resolves to its ARN.
        if any(
            f"#{r.logical_id}>" in token
            or token.endswith(f":function:{r.properties.get('FunctionName')}")
            for token in tokens
        )
    }
    roles = {f"AWS::IAM::Role:execution role of {handler}" for handler in handlers} & set(
        stack.resources
    )
    policies = {
        key
        for key, r in stack.of_type("AWS::IAM::Policy").items()
        if any(role[len("AWS::IAM::Role:") :] in str(r.properties.get("Roles")) for role in roles)
    }
    # A handler the stack names (the S3 notifications handler) logs to a group the stack makes.
    handler_logs = {
        f"/aws/lambda/{stack.resources[key].properties['FunctionName']}"
        for key in handlers
        if "FunctionName" in stack.resources[key].properties
    }
    log_groups = {
        key
        for key, r in stack.of_type("AWS::Logs::LogGroup").items()
        if r.properties.get("LogGroupName") in handler_logs
    }
    return custom | handlers | roles | policies | log_groups


# The name prefix of CodeDeploy's hook functions (the only ones AWSCodeDeployRoleForLambda lets
# CodeDeploy invoke): the stack's pre-traffic hook, with smoke_test.
HOOK_PREFIX = "CodeDeployHook_"


def _is_hook(function: Resource) -> bool:
    return str(function.properties.get("FunctionName", "")).startswith(HOOK_PREFIX)


def function_resource(stack: Stack) -> Resource:
    """The project's function: the one function that serves no custom resource of CDK's and is
    no CodeDeploy hook."""
    machinery = cdk_machinery(stack)
    (found,) = (
        r
        for key, r in stack.of_type("AWS::Lambda::Function").items()
        if key not in machinery and not _is_hook(r)
    )
    return found


def hook_resource(stack: Stack) -> Resource | None:
    """The stack's pre-traffic hook function, if it has one."""
    hooks = [r for r in stack.of_type("AWS::Lambda::Function").values() if _is_hook(r)]
    assert len(hooks) <= 1, [r.identity for r in hooks]
    return hooks[0] if hooks else None


def alarms(stack: Stack) -> dict[str, Any]:
    """Every alarm by name: metric, dimensions (resolved), statistic, period, threshold,
    comparison, evaluation, actions, and whether the deployment rolls back on it."""
    (group,) = stack.of_type("AWS::CodeDeploy::DeploymentGroup").values()
    rollback = {
        entry["Name"] for entry in group.properties.get("AlarmConfiguration", {}).get("Alarms", [])
    }
    return {
        r.properties["AlarmName"]: {
            **_without(r.properties, "Tags", "Dimensions"),
            "Dimensions": {d["Name"]: d["Value"] for d in r.properties.get("Dimensions", [])},
            "RollsBackTheDeployment": r.properties["AlarmName"] in rollback,
        }
        for r in stack.of_type("AWS::CloudWatch::Alarm").values()
    }


def dashboards(stack: Stack) -> dict[str, Any]:
    """Every dashboard by name: what its body shows (`dashboard_body`)."""
    return {
        r.properties["DashboardName"]: dashboard_body(r.properties["DashboardBody"])
        for r in stack.of_type("AWS::CloudWatch::Dashboard").values()
    }


def dashboard_body(body: Any) -> dict[str, Any]:
    """A dashboard's body (CloudWatch's JSON, as text or parsed) as what it shows: each graph by
    its title (a repeated title numbered), with its place in the grid, its other properties, its
    metrics and its horizontal annotations. CloudWatch's defaults are written out (a metric's
    statistic Average and period 300 s; an annotation on the left axis) and what names nothing
    is dropped (an expression's own Id, which CDK leaves out; an empty yAxis, which CDK writes),
    so two writings of one dashboard compare equal. Body structure:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
    """
    parsed = json.loads(body) if isinstance(body, str) else body
    found: dict[str, Any] = {}
    for widget in parsed["widgets"]:
        properties = dict(widget.get("properties", {}))
        title = str(properties.pop("title", ""))
        if properties.get("yAxis") == {}:
            del properties["yAxis"]
        shown: dict[str, Any] = {
            "type": widget.get("type"),
            "grid": [widget.get(key) for key in ("x", "y", "width", "height")],
            **properties,
            "metrics": [_graph_metric(entry) for entry in properties.get("metrics", [])],
        }
        annotations = properties.get("annotations", {})
        if annotations:
            shown["annotations"] = {
                **annotations,
                "horizontal": [
                    {**a, "value": float(a["value"]), "yAxis": a.get("yAxis", "left")}
                    for a in annotations.get("horizontal", [])
                ],
            }
        key = title if title not in found else f"{title}#{len(found)}"
        found[key] = shown
    return found


def _graph_metric(entry: list[Any]) -> dict[str, Any]:
    """One line of a graph's "metrics": [namespace, name, dimension, value, ..., {options}], or
    [{expression options}]."""
    options: dict[str, Any] = entry[-1] if entry and isinstance(entry[-1], dict) else {}
    fields = entry[:-1] if options else entry
    if not fields:
        return {
            "expression": options["expression"],
            "label": options.get("label"),
            "period": options.get("period", 300),
        }
    namespace, metric, *dimensions = fields
    found: dict[str, Any] = {
        "namespace": namespace,
        "metric": metric,
        "dimensions": dict(zip(dimensions[::2], dimensions[1::2], strict=True)),
        "stat": options.get("stat", "Average"),
    }
    if options.get("visible", True) in (False, "false"):
        found["visible"] = False  # used by an expression, whose period applies
    else:
        found["period"] = options.get("period", 300)
    found.update({key: options[key] for key in ("label", "id") if key in options})
    return found


def execution_grants(stack: Stack) -> dict[str, list[str]]:
    """What the function's execution role may do, as actions per resource (the resolved ARN),
    from its inline policies, the policies attached to it, and its managed policies."""
    return role_grants(stack, function_resource(stack))


def pre_traffic_hook(stack: Stack) -> dict[str, Any]:
    """The pre-traffic hook, if any: its settings (code, role and tags aside), what its role may
    do (as execution_grants says it), the role's boundary, and the alias's hook."""
    hook = hook_resource(stack)
    if hook is None:
        return {}
    role = stack.resources[f"AWS::IAM::Role:execution role of {hook.identity}"]
    return {
        "function": _without(hook.properties, "Code", "Role", "Tags"),
        "grants": role_grants(stack, hook),
        "permissions boundary": role.properties.get("PermissionsBoundary"),
        "alias's hook": deployment(stack)["pre-traffic hook"],
    }


def role_grants(stack: Stack, function: Resource) -> dict[str, list[str]]:
    """What `function`'s execution role may do: execution_grants's view of any function."""
    role = stack.resources[f"AWS::IAM::Role:execution role of {function.identity}"]
    role_name = role.identity[len("AWS::IAM::Role:") :]
    documents = [p["PolicyDocument"] for p in role.properties.get("Policies", [])] + [
        r.properties["PolicyDocument"]
        for r in stack.of_type("AWS::IAM::Policy").values()
        # The whole name: the function's is the start of the S3 notifications handler's.
        if any(
            re.search(f"{re.escape(role_name)}(?![\\w-])", str(name))
            for name in r.properties.get("Roles", [])
        )
    ]
    grants: dict[str, set[str]] = {}
    for document in documents:
        for statement in document["Statement"]:
            for resource in statement.get("Resource", []):
                qualifier = "" if statement["Effect"] == "Allow" else f"{statement['Effect']} "
                if "Condition" in statement:
                    qualifier += f"if {json.dumps(statement['Condition'], sort_keys=True)} "
                grants.setdefault(f"{qualifier}{resource}", set()).update(statement["Action"])
    for policy in role.properties.get("ManagedPolicyArns", []):
        grants.setdefault("managed policy", set()).add(str(policy))
    return {resource: sorted(actions) for resource, actions in grants.items()}


def function_settings(stack: Stack) -> dict[str, Any]:
    """The function's settings (its code, role and tags aside) and its layers' settings."""
    function = function_resource(stack)
    return {
        "function": _without(function.properties, "Code", "Role", "Tags"),
        "layers": {
            r.identity: {
                **_without(r.properties, "Content"),
                "DeletionPolicy": r.deletion_policy,
                "UpdateReplacePolicy": r.update_replace_policy,
            }
            for r in stack.of_type("AWS::Lambda::LayerVersion").values()
        },
    }


def deployment(stack: Stack) -> dict[str, Any]:
    """The alias, the version it points at, and how CodeDeploy moves it (config, rollback,
    the deployment role's policies)."""
    (alias,) = stack.of_type("AWS::Lambda::Alias").values()
    version = stack.one("AWS::Lambda::Version")
    (group,) = stack.of_type("AWS::CodeDeploy::DeploymentGroup").values()
    (application,) = stack.of_type("AWS::CodeDeploy::Application").values()
    (role,) = (
        r
        for key, r in stack.of_type("AWS::IAM::Role").items()
        if key == "AWS::IAM::Role:assumed by codedeploy.amazonaws.com"
    )
    update_policy = alias.raw.get("UpdatePolicy", {}).get("CodeDeployLambdaAliasUpdate")
    # The BeforeAllowTraffic hook, a Ref to a function of the stack, by the name it resolves to.
    hook_ref = (update_policy or {}).get("BeforeAllowTrafficHook", {}).get("Ref")
    hooks = [
        r.identity
        for r in stack.of_type("AWS::Lambda::Function").values()
        if hook_ref and r.logical_id == hook_ref
    ]
    return {
        "alias": alias.properties,
        "alias moved by CodeDeploy": update_policy is not None,
        "pre-traffic hook": hooks[0] if hooks else None,
        "version": {**version.properties, "DeletionPolicy": version.deletion_policy},
        "application": _without(application.properties, "Tags"),
        "group": _without(
            group.properties, "Tags", "AlarmConfiguration", "ApplicationName", "ServiceRoleArn"
        ),
        "rollback alarms enabled": group.properties.get("AlarmConfiguration", {}).get("Enabled"),
        "deployment role": _without(role.properties, "Tags"),
    }


def failure_handling(stack: Stack) -> dict[str, Any]:
    """Where failures go: the event source mappings' retries, ages, bisection, destinations and
    batch item failures; asynchronous invoke configs; queues' redrive policies; rule and
    schedule targets' retry policies and dead-letter queues."""
    mappings = {}
    for r in stack.of_type("AWS::Lambda::EventSourceMapping").values():
        properties = _without(r.properties, "Tags")
        # An alias by its ARN or as "function:alias": Lambda takes either.
        properties["FunctionName"] = _qualified_name(properties["FunctionName"])
        if "FilterCriteria" in properties:
            # A pattern is JSON in a string: its spacing is no part of it.
            properties["FilterCriteria"] = {
                "Filters": [
                    {**item, "Pattern": json.loads(item["Pattern"])}
                    for item in properties["FilterCriteria"]["Filters"]
                ]
            }
        mappings[str(properties.get("EventSourceArn"))] = properties
    invoke_configs = {
        _qualified_name(f"{r.properties['FunctionName']}:{r.properties['Qualifier']}"): (
            # An empty DestinationConfig (SAM writes one for a function without destinations,
            # the pre-traffic hook) is no destination, as its absence is.
            _without(
                r.properties,
                "FunctionName",
                "Qualifier",
                *(["DestinationConfig"] if r.properties.get("DestinationConfig") == {} else []),
            )
        )
        for r in stack.of_type("AWS::Lambda::EventInvokeConfig").values()
    }
    redrive = {
        key: {k: r.properties.get(k) for k in ("RedrivePolicy", "RedriveAllowPolicy")}
        for key, r in stack.of_type("AWS::SQS::Queue").items()
    }
    targets = {
        f"{key} -> {target.get('Arn')}": {
            k: target.get(k) for k in ("RetryPolicy", "DeadLetterConfig")
        }
        for kind in ("AWS::Events::Rule", "AWS::Scheduler::Schedule")
        for key, r in stack.of_type(kind).items()
        for target in _listed(r.properties.get("Targets", r.properties.get("Target", [])))
    }
    function = function_resource(stack).properties
    return {
        "event source mappings": mappings,
        "asynchronous invocation": invoke_configs,
        "function dead-letter queue": function.get("DeadLetterConfig"),
        "queue redrive": redrive,
        "targets": targets,
    }


def _qualified_name(function: Any) -> str:
    text = str(function)
    return ":".join(text.split(":")[6:]) if text.startswith("arn:aws:lambda:") else text


def log_groups(stack: Stack) -> dict[str, Any]:
    return {
        key: {
            **_without(r.properties, "Tags"),
            "DeletionPolicy": r.deletion_policy,
            "UpdateReplacePolicy": r.update_replace_policy,
        }
        for key, r in stack.of_type("AWS::Logs::LogGroup").items()
        if key not in cdk_machinery(stack)
    }


def resource_policies(stack: Stack) -> dict[str, Any]:
    """Each queue's, topic's and bucket's resource policy: its statements (Sids aside) by effect
    and principal, whether one policy covers several resources or each has its own."""
    policies: dict[str, dict[str, Any]] = {}
    for kind, targets_property in _RESOURCE_POLICIES.items():
        for r in stack.of_type(kind).values():
            for target in _listed(r.properties[targets_property]):
                for statement in r.properties["PolicyDocument"]["Statement"]:
                    found = _without(statement, "Sid", "Effect", "Principal")
                    if "Resource" in found:
                        mine = [x for x in found["Resource"] if _is_of(str(x), str(target))]
                        if not mine:
                            continue
                        found["Resource"] = mine
                    who = json.dumps(statement.get("Principal"), sort_keys=True)
                    policies.setdefault(str(target), {})[f"{statement['Effect']} {who}"] = found
    return policies


def _is_of(resource_arn: str, target: str) -> bool:
    """Whether a policy's resource ARN is the target's (a queue by URL, a topic by ARN)."""
    if target.startswith("https://sqs."):
        return resource_arn.endswith(f":{target.rsplit('/', 1)[1]}")
    return resource_arn == target or resource_arn.startswith(f"{target}/")


def tags(stack: Stack) -> dict[str, Any]:
    return {
        key: r.properties["Tags"]
        for key, r in stack.resources.items()
        if "Tags" in r.properties and key not in cdk_machinery(stack)
    }


def other_resources(stack: Stack) -> dict[str, Any]:
    """The trigger's and the stack's other resources (queues, streams, tables, topic, key,
    parameter...) with their settings and what happens to them on delete and replacement."""
    machinery = cdk_machinery(stack)
    return {
        key: {
            **_without(
                r.properties,
                "Tags",
                *(["PolicyDocument"] if r.type in _RESOURCE_POLICIES else []),
                # An API's OpenAPI body: its routes are api_routes's.
                *(["Body"] if r.type in _API_TYPES else []),
            ),
            "DeletionPolicy": r.deletion_policy,
            "UpdateReplacePolicy": r.update_replace_policy,
        }
        for key, r in stack.resources.items()
        if r.type not in _FUNCTION_TYPES
        and r.type not in _RESOURCE_POLICIES
        and r.type not in _ROUTE_TYPES
        and key not in machinery
    }


# API Gateway's route and method resources: api_routes compares them, whichever way written.
_ROUTE_TYPES = {
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Integration",
}
# OpenAPI's security scheme types (x-amazon-apigateway-authtype) as CloudFormation's
# AuthorizationType.
_AUTH_TYPES = {"awsSigv4": "AWS_IAM"}


def api_routes(stack: Stack) -> dict[str, Any]:
    """Each API's routes ("METHOD /path", or an HTTP API's "$default"): who may call them and
    where they go, from an OpenAPI body (SAM) or from route, method and integration resources
    (CDK) alike; an API's other settings are the other resources view's."""
    routes: dict[str, dict[str, Any]] = {}
    apis = {_token(key): key for key, r in stack.resources.items() if r.type in _API_TYPES}
    for key, api in stack.resources.items():
        if api.type in _API_TYPES and "Body" in api.raw.get("Properties", {}):
            routes[key] = _openapi_routes(api)
    integrations = {
        f"integrations/{_token(key)}": _integration(r.properties)
        for key, r in stack.of_type("AWS::ApiGatewayV2::Integration").items()
    }
    for r in stack.of_type("AWS::ApiGatewayV2::Route").values():
        routes.setdefault(apis[r.properties["ApiId"]], {})[r.properties["RouteKey"]] = {
            "authorization": r.properties.get("AuthorizationType", "NONE"),
            "integration": integrations.get(r.properties.get("Target", "")),
        }
    paths = _resource_paths(stack)
    for r in stack.of_type("AWS::ApiGateway::Method").values():
        route = f"{r.properties['HttpMethod']} {paths[r.properties['ResourceId']]}"
        routes.setdefault(apis[r.properties["RestApiId"]], {})[route] = {
            "authorization": r.properties.get("AuthorizationType", "NONE"),
            "integration": _integration(r.properties.get("Integration", {})),
        }
    return routes


def _resource_paths(stack: Stack) -> dict[str, str]:
    """A REST API's resources by their ID (a token) -> their path; the root resource is "/"."""
    paths = {
        f"{_token(key)[:-1]}.RootResourceId>": "/"
        for key, r in stack.resources.items()
        if r.type == "AWS::ApiGateway::RestApi"
    }
    resources = stack.of_type("AWS::ApiGateway::Resource")
    added = True
    while added:  # parents before children, however the template orders them
        added = False
        for key, r in resources.items():
            parent = paths.get(r.properties["ParentId"])
            if parent is not None and _token(key) not in paths:
                paths[_token(key)] = f"{parent.rstrip('/')}/{r.properties['PathPart']}"
                added = True
    return paths


def _openapi_routes(api: Resource) -> dict[str, Any]:
    body = api.properties["Body"]
    schemes = body.get("components", {}).get("securitySchemes", {})
    found = {}
    for path, methods in body.get("paths", {}).items():
        for method, operation in methods.items():
            verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            default = operation.get("isDefaultRoute") or path == "/$default"
            route = (
                "$default" if api.type == "AWS::ApiGatewayV2::Api" and default else f"{verb} {path}"
            )
            security = [name for entry in operation.get("security", []) for name in entry]
            authorization = [
                _AUTH_TYPES.get(schemes.get(name, {}).get("x-amazon-apigateway-authtype"), name)
                for name in security
            ]
            found[route] = {
                "authorization": "+".join(authorization) or "NONE",
                "integration": _integration(operation.get("x-amazon-apigateway-integration", {})),
            }
    return found


def _integration(integration: dict[str, Any]) -> dict[str, Any]:
    """An integration's type, target (a function by its ARN, unwrapped from API Gateway's
    invocation URI), method, payload format and timeout, from OpenAPI's extension or from
    CloudFormation's properties alike (an HTTP API's Lambda integration is always POSTed)."""
    uri = str(integration.get("uri", integration.get("Uri", integration.get("IntegrationUri"))))
    if ":lambda:path/2015-03-31/functions/" in uri:
        uri = uri.split("/functions/", 1)[1].removesuffix("/invocations")
    found = {
        "type": str(
            integration.get("type", integration.get("Type", integration.get("IntegrationType")))
        ).upper(),
        "target": uri,
        "method": integration.get("httpMethod", integration.get("IntegrationHttpMethod", "POST")),
        "payload format": integration.get(
            "payloadFormatVersion", integration.get("PayloadFormatVersion")
        ),
        "timeout ms": integration.get("timeoutInMillis", integration.get("TimeoutInMillis")),
    }
    return {key: value for key, value in found.items() if value is not None}
