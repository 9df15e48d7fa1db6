"""The downstream system's secret (issue 16, LAMBDA_ENV_VARS): the model's `stack.secret`, then
what each IaC tool deploys from it, read from the deployed form (SAM's translation, CDK's synth,
the parsed Terraform) of the answer sets that carry it: `custom` (the stack's customer-managed
key) and `s3` (Secrets Manager's AWS-managed key), each mirrored for CDK and Terraform, which
test_rendered_checks.py and test_terraform_rendered.py render and check anyway. Renders without
the option (`defaults`, `sns`) must have none of it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2 import SerializationOptions

from tests.conftest import answer_set_params, deployed_template
from tests.model import stack_model
from tests.stack import resources

READ_ACTION = "secretsmanager:GetSecretValue"
# The answer sets with the secret, by the key that encrypts it.
CLOUDFORMATION_SETS = {"custom": True, "cdk-custom": True, "s3": False, "cdk-s3": False}
TERRAFORM_SETS = {"terraform-custom": True, "terraform-s3": False}


def test_the_model_grants_one_read_of_the_secret_and_names_it_by_its_arn() -> None:
    model = stack_model(secret=True)
    secret = model["secret"]
    assert model["environment"]["SECRET_ARN"] == {"ref": secret["id"]}
    reads = [grant for grant in model["grants"] if "secret" in grant["intent"]]
    assert reads == [
        {
            "sid": "ReadOwnSecret",
            "intent": "read-secret",
            "actions": [READ_ACTION],
            "why": reads[0]["why"],
            "resource": {"arn": secret["id"]},
        }
    ]
    assert _output(model, "SecretArn")["value"] == {"ref": secret["id"]}


def test_the_secret_is_under_the_stack_key_only_when_it_is_customer_managed() -> None:
    assert stack_model(secret=True, kms_key="customer-managed")["secret"]["kms_key"]
    aws_managed = stack_model(secret=True)["secret"]
    assert not aws_managed["kms_key"]
    assert [skip["id"] for skip in aws_managed["checkov_skips"]] == ["CKV_AWS_149"]


def test_without_the_option_the_model_has_no_secret() -> None:
    model = stack_model()
    assert model["secret"] is None
    assert "SECRET_ARN" not in model["environment"]
    assert not [grant for grant in model["grants"] if READ_ACTION in grant["actions"]]
    assert "SecretArn" not in {output["id"] for output in model["outputs"]}


def _output(model: dict[str, Any], output_id: str) -> dict[str, Any]:
    (output,) = (output for output in model["outputs"] if output["id"] == output_id)
    return dict(output)


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of every IAM policy the stack's roles hold (inline and AWS::IAM::Policy)."""
    documents = [
        policy["PolicyDocument"]
        for role in _of_type(template, "AWS::IAM::Role").values()
        for policy in role["Properties"].get("Policies", [])
    ] + [
        policy["Properties"]["PolicyDocument"]
        for policy in _of_type(template, "AWS::IAM::Policy").values()
    ]
    return [statement for document in documents for statement in document["Statement"]]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _walk(value: Any) -> list[Any]:
    """Every value nested in `value`, itself included."""
    if isinstance(value, dict):
        return [value, *(item for child in value.values() for item in _walk(child))]
    if isinstance(value, list):
        return [value, *(item for child in value for item in _walk(child))]
    return [value]


def _function(template: dict[str, Any]) -> dict[str, Any]:
    """The function whose environment names the config parameter: the stack's own, not CDK's
    helpers."""
    (function,) = (
        resource
        for resource in _of_type(template, "AWS::Lambda::Function").values()
        if "CONFIG_PARAMETER_NAME"
        in resource["Properties"].get("Environment", {}).get("Variables", {})
    )
    return function


@pytest.mark.parametrize("rendered", answer_set_params(*CLOUDFORMATION_SETS), indirect=True)
def test_the_secret_is_created_empty_kept_and_encrypted_as_the_model_says(
    rendered: Path, translation: subprocess.CompletedProcess[str], request: pytest.FixtureRequest
) -> None:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    template = json.loads(deployed_template(rendered).read_text())
    (secret,) = _of_type(template, "AWS::SecretsManager::Secret").values()
    properties = secret["Properties"]
    # Empty: no value and no generated one, so no deploy ever writes the credential.
    assert not {"SecretString", "GenerateSecretString"} & set(properties)
    name = properties["Name"]
    name = name["Fn::Sub"] if isinstance(name, dict) else name
    # <slug>/<env>/downstream-credentials: SAM substitutes the environment, CDK's synth is dev's.
    assert name.split("/")[1:] in (
        ["${Environment}", "downstream-credentials"],
        ["dev", "downstream-credentials"],
    )
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == (
        "RetainExceptOnCreate",
        "Retain",
    )
    (key_id,) = _of_type(template, "AWS::KMS::Key")
    if CLOUDFORMATION_SETS[request.node.callspec.params["rendered"]]:
        assert properties["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    else:
        # Secrets Manager's AWS-managed key (aws/secretsmanager), and checkov told why.
        assert "KmsKeyId" not in properties
        skips = {skip["id"] for skip in secret["Metadata"]["checkov"]["skip"]}
        assert skips == {"CKV_AWS_149"}
    # The key policy gains nothing: Secrets Manager uses the key as its caller.
    key_policy = template["Resources"][key_id]["Properties"]["KeyPolicy"]
    assert not [
        value for value in _walk(key_policy) if isinstance(value, str) and "secretsmanager" in value
    ]


@pytest.mark.parametrize("rendered", answer_set_params(*CLOUDFORMATION_SETS), indirect=True)
def test_the_role_reads_exactly_that_secret_and_the_environment_holds_its_arn_alone(
    rendered: Path, translation: subprocess.CompletedProcess[str], request: pytest.FixtureRequest
) -> None:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    template = json.loads(deployed_template(rendered).read_text())
    (secret_id,) = _of_type(template, "AWS::SecretsManager::Secret")
    reads = [
        statement
        for statement in _statements(template)
        if any(action.startswith("secretsmanager:") for action in _listed(statement["Action"]))
    ]
    assert [(_listed(s["Action"]), _listed(s["Resource"]), s["Effect"]) for s in reads] == [
        ([READ_ACTION], [{"Ref": secret_id}], "Allow")
    ]
    if CLOUDFORMATION_SETS[request.node.callspec.params["rendered"]]:
        # GetSecretValue decrypts with the stack key as the role.
        (key_id,) = _of_type(template, "AWS::KMS::Key")
        assert any(
            "kms:Decrypt" in _listed(statement["Action"])
            and {"Fn::GetAtt": [key_id, "Arn"]} in _listed(statement["Resource"])
            for statement in _statements(template)
        )
    variables = _function(template)["Properties"]["Environment"]["Variables"]
    assert variables["SECRET_ARN"] == {"Ref": secret_id}
    others = {name: value for name, value in variables.items() if name != "SECRET_ARN"}
    assert {"Ref": secret_id} not in _walk(others)
    # No dynamic reference anywhere resolves the secret's value into the stack.
    assert not [
        value
        for value in _walk(template)
        if isinstance(value, str) and "{{resolve:secretsmanager" in value
    ]


def _terraform(project: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every resource and data block of terraform/*.tf, by (type, name)."""
    blocks: dict[tuple[str, str], dict[str, Any]] = {}
    options = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    for path in sorted((project / "terraform").glob("*.tf")):
        parsed = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=options)
        for section in ("resource", "data"):
            for block in parsed.get(section, []):
                for kind, named in block.items():
                    for name, body in named.items():
                        blocks[(kind, name)] = body
    return blocks


@pytest.mark.parametrize("rendered", answer_set_params(*TERRAFORM_SETS), indirect=True)
def test_terraform_creates_the_empty_secret_and_grants_exactly_its_read(
    rendered: Path, request: pytest.FixtureRequest
) -> None:
    blocks = _terraform(rendered)
    secret = blocks[("aws_secretsmanager_secret", "secret")]
    assert secret["name"].split("/")[1:] == ["${var.environment}", "downstream-credentials"]
    assert secret["recovery_window_in_days"] == 30
    # Empty: Terraform never holds the value (no version resource, nothing in the state).
    assert not [kind for kind, _ in blocks if kind == "aws_secretsmanager_secret_version"]
    if TERRAFORM_SETS[request.node.callspec.params["rendered"]]:
        assert secret["kms_key_id"] == "${aws_kms_key.encryption_key.arn}"
    else:
        assert "kms_key_id" not in secret
    policy = blocks[("aws_iam_policy_document", "function")]
    reads = [
        statement
        for statement in policy["statement"]
        if any(action.startswith("secretsmanager:") for action in statement["actions"])
    ]
    assert [(s["actions"], s["resources"]) for s in reads] == [
        ([READ_ACTION], ["${aws_secretsmanager_secret.secret.arn}"])
    ]
    assert "effect" not in reads[0] or reads[0]["effect"] == "Allow"
    (environment,) = blocks[("aws_lambda_function", "function")]["environment"]
    variables = environment["variables"]
    arn = "${aws_secretsmanager_secret.secret.arn}"
    assert variables["SECRET_ARN"] == arn
    assert [name for name, value in variables.items() if "secret" in str(value)] == ["SECRET_ARN"]


def _extras(project: Path, name: str) -> set[str]:
    """The extras of `name` in the rendered pyproject.toml's dev dependency group."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    (spec,) = (s for s in pyproject["dependency-groups"]["dev"] if s.startswith(f"{name}["))
    return set(spec.split("[", 1)[1].split("]", 1)[0].split(","))


def _defined(module: Path) -> set[str]:
    """The top-level names a Python module defines."""
    tree = ast.parse(module.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {target.id for target in targets if isinstance(target, ast.Name)}
    return names


@pytest.mark.parametrize("rendered", answer_set_params("custom", "s3"), indirect=True)
def test_the_function_reads_the_secret_through_one_client_and_its_tests_emulate_it(
    rendered: Path,
) -> None:
    (package,) = (path.parent for path in (rendered / "src").glob("*/handler.py"))
    assert {"secretsmanager", "secrets", "read_secret"} <= _defined(package / "adapters.py")
    assert "downstream_credentials" in _defined(package / "settings.py")
    assert "secretsmanager" in _extras(rendered, "moto")
    assert "secretsmanager" in _extras(rendered, "boto3-stubs")


@pytest.mark.parametrize(
    "rendered", answer_set_params("defaults", "cdk-sns", "terraform-sns"), indirect=True
)
def test_a_render_without_the_option_has_none_of_it(rendered: Path) -> None:
    (package,) = (path.parent for path in (rendered / "src").glob("*/handler.py"))
    assert not {"secretsmanager", "secrets", "read_secret"} & _defined(package / "adapters.py")
    assert "downstream_credentials" not in _defined(package / "settings.py")
    assert "secretsmanager" not in _extras(rendered, "moto") | _extras(rendered, "boto3-stubs")
    if (rendered / "terraform").is_dir():
        assert not [kind for kind, _ in _terraform(rendered) if "secretsmanager" in kind]
    elif (rendered / "template.yaml").is_file():
        assert "AWS::SecretsManager::Secret" not in {
            resource["Type"] for resource in resources(rendered).values()
        }
    else:
        config = (rendered / "infra" / "config.py").read_text()
        assert "secretsmanager" not in _imported(config)
    assert "secret-unreadable" not in (rendered / "docs" / "runbook.md").read_text()


def _imported(source: str) -> set[str]:
    """The names a module imports (`from x import a as b` gives b)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {alias.asname or alias.name for alias in node.names}
    return names
