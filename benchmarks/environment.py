"""The process environment Lambda would give a rendered function, derived from its template.yaml.

The function's own variables come from the template, so a variable the template adds reaches the
measured process without a change here. CloudFormation intrinsics have no value outside a stack:
they resolve to the literals a `dev` deployment would produce where the template says enough
(parameter defaults, a resource's own name property), and to deterministic strings otherwise.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ACCOUNT = "123456789012"
# The X-Ray trace header Lambda passes to a sampled invocation.
TRACE_HEADER = "Root=1-67600000-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"
# Properties that name a resource, so `!Ref` of it yields that name (an SSM parameter's or a
# table's Ref is its name); the first one present wins.
NAME_PROPERTIES = ("Name", "TableName", "QueueName", "TopicName", "BucketName", "FunctionName")


@dataclass(frozen=True)
class Tagged:
    """A CloudFormation short-form intrinsic (`!Ref X`), kept as tag and argument."""

    tag: str
    value: Any


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct_tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Tagged:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node!r}")
    return Tagged(suffix, value)


_CfnLoader.add_multi_constructor("!", _construct_tagged)


def load_template(text: str) -> dict[str, Any]:
    loaded = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(loaded, dict):
        raise ValueError("template.yaml does not hold a mapping")
    return loaded


@dataclass(frozen=True)
class FunctionSpec:
    """What the template says about its one function."""

    handler: str
    memory_mb: int
    timeout_s: int
    variables: dict[str, str]
    log_format: str | None
    log_level: str | None


class Resolver:
    """Turns intrinsics into the literals a `dev` stack named `stack_name` would hold."""

    def __init__(self, template: dict[str, Any], stack_name: str, region: str) -> None:
        self.parameters: dict[str, Any] = template.get("Parameters") or {}
        self.resources: dict[str, Any] = template.get("Resources") or {}
        self.conditions: dict[str, Any] = template.get("Conditions") or {}
        self.stack_name = stack_name
        self.region = region

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Tagged):
            return self._intrinsic(value.tag, value.value)
        if isinstance(value, dict) and len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                return self._intrinsic(key.removeprefix("Fn::"), argument)
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def text(self, value: Any) -> str:
        resolved = self.resolve(value)
        if isinstance(resolved, bool):
            return str(resolved).lower()
        if isinstance(resolved, str | int | float):
            return str(resolved)
        return self._opaque("Value", resolved)

    def _intrinsic(self, tag: str, argument: Any) -> Any:  # noqa: PLR0911 - a return per intrinsic
        if tag == "Ref":
            return self._ref(str(argument))
        if tag == "Sub":
            return self._sub(argument)
        if tag == "GetAtt":
            name, _, attribute = (
                str(argument) if isinstance(argument, str) else ".".join(map(str, argument))
            ).partition(".")
            return f"arn:aws:bench:{self.region}:{ACCOUNT}:{self.stack_name}-{name}-{attribute}"
        if tag == "Join":
            separator, items = argument
            return str(separator).join(self.text(item) for item in self.resolve(items))
        if tag == "If":
            condition, when_true, when_false = argument
            return self.resolve(when_true if self._condition(condition) else when_false)
        if tag == "Select":
            index, items = argument
            return self.resolve(self.resolve(items)[int(self.resolve(index))])
        return self._opaque(tag, argument)

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": "",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            # Environment-like parameters default to dev in the rendered templates.
            return self.resolve((self.parameters[name] or {}).get("Default", f"{name}-value"))
        resource = self.resources.get(name) or {}
        properties = resource.get("Properties") or {}
        for key in NAME_PROPERTIES:
            if key in properties:
                return self.text(properties[key])
        return f"{self.stack_name}-{name}"

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            pattern, variables = str(argument[0]), dict(argument[1])
        else:
            pattern, variables = str(argument), {}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return self.text(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return self.text(Tagged("GetAtt", name))
            return self.text(self._ref(name))

        return re.sub(r"\$\{([^}!]+)\}", substitute, pattern)

    def _condition(self, condition: Any) -> bool:  # noqa: PLR0911 - a return per function
        if isinstance(condition, str):
            return self._condition(self.conditions.get(condition, False))
        if isinstance(condition, Tagged):
            tag, argument = condition.tag, condition.value
            if tag == "Equals":
                left, right = argument
                return bool(self.text(left) == self.text(right))
            if tag == "Not":
                return not self._condition(argument[0])
            if tag == "And":
                return all(self._condition(item) for item in argument)
            if tag == "Or":
                return any(self._condition(item) for item in argument)
            if tag == "Condition":
                return self._condition(str(argument))
        return bool(condition)

    def _opaque(self, tag: str, argument: Any) -> str:
        digest = hashlib.sha256(json.dumps(argument, default=repr).encode()).hexdigest()[:12]
        return f"{self.stack_name}-{tag.lower()}-{digest}"


def function_spec(template: dict[str, Any], stack_name: str, region: str) -> FunctionSpec:
    """The project's AWS::Serverless::Function, with the template's Globals applied: the one
    named `Function` (the stack model's id) when there is one, else the template's single
    function; the pre-traffic hook (smoke_test) is deployment machinery, not measured. Raises
    ValueError when neither holds."""
    resources = template.get("Resources") or {}
    functions = [
        resource
        for resource in resources.values()
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Serverless::Function"
    ]
    project = resources.get("Function")
    if isinstance(project, dict) and project.get("Type") == "AWS::Serverless::Function":
        functions = [project]
    if len(functions) != 1:
        raise ValueError(f"expected one AWS::Serverless::Function, found {len(functions)}")
    properties: dict[str, Any] = functions[0].get("Properties") or {}
    global_properties: dict[str, Any] = (template.get("Globals") or {}).get("Function") or {}
    resolver = Resolver(template, stack_name, region)

    def setting(key: str, default: Any) -> Any:
        return properties.get(key, global_properties.get(key, default))

    variables: dict[str, str] = {}
    for source in (global_properties, properties):
        raw = ((source.get("Environment") or {}).get("Variables")) or {}
        variables.update({name: resolver.text(value) for name, value in raw.items()})
    logging = setting("LoggingConfig", {}) or {}
    return FunctionSpec(
        handler=resolver.text(setting("Handler", "handler.lambda_handler")),
        memory_mb=int(resolver.text(setting("MemorySize", 128))),
        timeout_s=int(resolver.text(setting("Timeout", 3))),
        variables=variables,
        log_format=resolver.text(logging["LogFormat"]) if "LogFormat" in logging else None,
        log_level=(
            resolver.text(logging["ApplicationLogLevel"])
            if "ApplicationLogLevel" in logging
            else None
        ),
    )


def read_function_spec(project: Path, stack_name: str, region: str) -> FunctionSpec:
    template = load_template((project / "template.yaml").read_text())
    return function_spec(template, stack_name, region)


def lambda_environment(  # noqa: PLR0913 - keyword-only, each one a fact of the deployment
    *,
    function_name: str,
    spec: FunctionSpec,
    region: str,
    task_root: Path,
    endpoint_url: str,
    xray_port: int,
    python_version: str,
) -> dict[str, str]:
    """What the Lambda service sets in a traced function's process, then the function's own
    variables, with every AWS call pointed at the stub."""
    environment = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PYTHONPATH": str(task_root),
        "LAMBDA_TASK_ROOT": str(task_root),
        "_HANDLER": spec.handler,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{python_version}",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "AWS_ACCESS_KEY_ID": "ASIABENCHMARKEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "bench/secret/not/a/real/key/0000000000000",
        "AWS_SESSION_TOKEN": "bench-session-token",
        "_X_AMZN_TRACE_ID": TRACE_HEADER,
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{xray_port}",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_ENDPOINT_URL": endpoint_url,
        # The host's own AWS configuration must not leak into the measured process.
        "AWS_CONFIG_FILE": str(task_root / ".no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(task_root / ".no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if spec.log_format:
        environment["AWS_LAMBDA_LOG_FORMAT"] = spec.log_format
    if spec.log_level and spec.log_format == "JSON":
        environment["AWS_LAMBDA_LOG_LEVEL"] = spec.log_level
    environment.update(spec.variables)
    return environment
