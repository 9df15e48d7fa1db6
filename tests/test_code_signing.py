"""Code signing (issue 16, seed 004 "Enable Code Signing"): the model's `stack.signing`, then what
each IaC tool deploys from it, read from the deployed form (SAM's translation, the parsed
Terraform) of the `schedule` answer set and its CDK and Terraform mirrors, which
test_rendered_checks.py and test_terraform_rendered.py render and check anyway (the CDK stack's
signing facts are its own tests/infra and tests/unit/test_sign.py, run there); the signing stack
all three ship (signing/profile.yaml) through cfn-lint and checkov; the deploys that sign, run
with stand-ins for the AWS tools. Renders without the option (`defaults`, `terraform-custom`)
must have none of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]  # cfn-lint ships no type hints
from hcl2 import SerializationOptions

from tests.conftest import CHECKOV, VENV_BIN, answer_set_params, deployed_template, run
from tests.model import stack_model

SIGNING_SETS = ("schedule", "cdk-schedule", "terraform-schedule")
# An account-wide fact of AWS Signer: its one platform for Lambda zips.
LAMBDA_PLATFORM = "AWSLambda-SHA384-ECDSA"


def test_the_model_signs_with_one_profile_and_enforces_it() -> None:
    model = stack_model(trigger="schedule", code_signing=True)
    signing = model["signing"]
    assert signing["platform"] == LAMBDA_PLATFORM
    assert signing["untrusted_artifact_on_deployment"] == "Enforce"
    # Shorter than Signer's default of 135 months: an old or leaked artefact stops deploying.
    assert signing["validity"] == {"type": "MONTHS", "value": 24}
    assert signing["stack_name"] == "order-processor-${Environment}-signing"
    # The code, the dependency layer and the pre-traffic hook (smoke_test is on by default),
    # which decides whether traffic moves, are all signed; without the hook, the first two.
    assert signing["signed"] == ["Function", "DependencyLayer", "PreTrafficHook"]
    without_hook = stack_model(trigger="schedule", code_signing=True, smoke_test=False)
    assert without_hook["signing"]["signed"] == ["Function", "DependencyLayer"]
    # SAM uploads to its own (versioned) deploy bucket: no bucket of ours, no parameters.
    assert signing["artefact_bucket"] is None
    assert signing["parameters"] is None
    terraform = stack_model(trigger="schedule", code_signing=True, iac_tool="terraform")
    assert terraform["signing"]["artefact_bucket"] is not None
    # CDK stages no signed code itself: the deploy passes the signed copies' keys, one parameter
    # per zip, and the stack imports the bucket they are in.
    cdk = stack_model(trigger="schedule", code_signing=True, iac_tool="cdk")["signing"]
    assert cdk["artefact_bucket"] == terraform["signing"]["artefact_bucket"]
    assert cdk["parameters"] == {"function": "SignedCodeKey", "layer": "SignedLayerKey"}
    bucket_export = cdk["exports"]["artefact_bucket"]
    assert bucket_export == "order-processor-${Environment}-signing-artefact-bucket"
    # checkov's code signing check passes instead of being skipped.
    skipped = [skip["id"] for skip in model["terraform_checkov_skips"]["function"]]
    assert "CKV_AWS_272" not in skipped


def test_without_the_option_nothing_is_signed_and_checkov_is_told_why() -> None:
    model = stack_model()
    assert model["signing"] is None
    (skip,) = model["terraform_checkov_skips"]["function"]
    assert skip["id"] == "CKV_AWS_272"
    assert "code_signing" in skip["comment"]


def _signing_stack(project: Path) -> dict[str, Any]:
    template: dict[str, Any] = cfn_yaml.load(str(project / "signing" / "profile.yaml"))
    return template


@pytest.mark.parametrize("rendered", answer_set_params(*SIGNING_SETS), indirect=True)
def test_the_signing_stack_passes_cfn_lint_and_checkov(rendered: Path) -> None:
    region = stack_region(rendered)
    lint = run(
        [str(VENV_BIN / "cfn-lint"), "--regions", region, "--", "signing/profile.yaml"], rendered
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    scan = run(
        [
            *(str(CHECKOV), "--skip-download", "--quiet", "--compact"),
            *("--framework", "cloudformation", "--file", "signing/profile.yaml"),
        ],
        rendered,
    )
    assert scan.returncode == 0, scan.stdout + scan.stderr


def stack_region(project: Path) -> str:
    answers = (project / ".copier-answers.yml").read_text()
    (line,) = (line for line in answers.splitlines() if line.startswith("aws_region:"))
    return line.split(":", 1)[1].strip()


@pytest.mark.parametrize("rendered", answer_set_params(*SIGNING_SETS), indirect=True)
def test_the_signing_stack_makes_the_profile_and_exports_what_the_deploys_read(
    rendered: Path,
) -> None:
    template = _signing_stack(rendered)
    (profile,) = (
        resource
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Signer::SigningProfile"
    )
    assert profile["Properties"]["PlatformId"] == LAMBDA_PLATFORM
    assert profile["Properties"]["SignatureValidityPeriod"] == {"Type": "MONTHS", "Value": 24}
    # Signer's profile names allow no hyphen: CloudFormation names it, the outputs carry it.
    assert "ProfileName" not in profile["Properties"]
    outputs = template["Outputs"]
    assert outputs["ProfileName"]["Value"] == {"Fn::GetAtt": ["SigningProfile", "ProfileName"]}
    assert outputs["ProfileVersionArn"]["Value"] == {
        "Fn::GetAtt": ["SigningProfile", "ProfileVersionArn"]
    }
    assert outputs["ProfileVersionArn"]["Export"]["Name"] == {
        "Fn::Sub": "order-processor-${Environment}-signing-profile-version-arn"
    }
    buckets = [r for r in template["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    if (rendered / "template.yaml").is_file():
        assert not buckets  # SAM signs in its own deploy bucket
        return
    # Signer signs S3 objects of a versioned bucket only.
    (bucket,) = buckets
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    # Every artefact expires, but only once no signature on it can be accepted any more.
    (rule,) = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    validity = profile["Properties"]["SignatureValidityPeriod"]["Value"]
    assert validity * 31 < rule["ExpirationInDays"] <= (validity + 1) * 31
    assert outputs["ArtefactBucketName"]["Value"] == {"Ref": "ArtefactBucket"}
    # CDK's stack imports the bucket; Terraform reads the stack's outputs.
    exported = outputs["ArtefactBucketName"].get("Export", {}).get("Name")
    if (rendered / "terraform").is_dir():
        assert exported is None
    else:
        assert exported == {"Fn::Sub": "order-processor-${Environment}-signing-artefact-bucket"}


@pytest.mark.parametrize("rendered", answer_set_params("schedule"), indirect=True)
def test_sam_enforces_the_teams_profile_on_the_function(
    rendered: Path, translation: subprocess.CompletedProcess[str]
) -> None:
    assert translation.returncode == 0, translation.stdout + translation.stderr
    template = json.loads(deployed_template(rendered).read_text())
    configs = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::CodeSigningConfig"
    }
    ((config_id, config),) = configs.items()
    properties = config["Properties"]
    assert properties["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Enforce"}
    # The one publisher: the version ARN the signing stack exports, for this environment.
    export = _signing_stack(rendered)["Outputs"]["ProfileVersionArn"]["Export"]["Name"]
    assert properties["AllowedPublishers"]["SigningProfileVersionArns"] == [
        {"Fn::ImportValue": export}
    ]
    function = template["Resources"]["Function"]
    assert function["Properties"]["CodeSigningConfigArn"] == {"Ref": config_id}


_FAKE_AWS = """#!/bin/sh
# The AWS CLI as far as `make deploy` asks it: the outputs of the prod signing stack alone.
case "$*" in
  *"describe-stacks --stack-name order-processor-prod-signing "*"ProfileName"*)
    echo order_processor_prod_profile ;;
  *) echo "An error occurred (ValidationError): Stack does not exist" >&2; exit 254 ;;
esac
"""


def _deploy(project: Path, tmp_path: Path, environment: str) -> tuple[int, str, list[list[str]]]:
    """`make deploy ENV=<environment>` as its recipe runs, with a stand-in AWS CLI (above) and
    SAM CLI (which records its arguments), without the build check and the pruning: the exit
    status, the output and each command line SAM was run with."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "aws").write_text(_FAKE_AWS)
    (bin_dir / "aws").chmod(0o755)
    calls = tmp_path / "sam-calls.jsonl"
    recorder = tmp_path / "sam.py"
    recorder.write_text(
        "import json, sys\n"
        f"with open({str(calls)!r}, 'a') as out:\n"
        "    out.write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    done = subprocess.run(
        [
            *("make", "--no-print-directory", "-o", "verify-build", "deploy", f"ENV={environment}"),
            *(f"SAM={sys.executable} {recorder}", "PRUNE=true"),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
    )
    recorded = (
        [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
    )
    return done.returncode, done.stdout + done.stderr, recorded


@pytest.mark.parametrize("rendered", answer_set_params("schedule"), indirect=True)
def test_sam_deploy_signs_the_function_and_the_layer_with_the_environments_profile(
    rendered: Path, tmp_path: Path
) -> None:
    status, output, calls = _deploy(rendered, tmp_path, "prod")
    assert status == 0, output
    ((*_, flag, profiles),) = calls
    assert flag == "--signing-profiles"
    pairs = dict(pair.split("=", 1) for pair in profiles.split())
    # Every function and layer the template declares, and nothing else, is signed, with the
    # profile prod's signing stack names.
    sam = cfn_yaml.load(str(rendered / "template.yaml"))
    artefacts = {
        logical_id
        for logical_id, resource in sam["Resources"].items()
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Serverless::LayerVersion")
    }
    assert set(pairs) == artefacts == {"Function", "DependencyLayer", "PreTrafficHook"}
    assert set(pairs.values()) == {"order_processor_prod_profile"}


@pytest.mark.parametrize("rendered", answer_set_params("schedule"), indirect=True)
def test_sam_deploy_stops_before_deploying_when_the_signing_stack_is_missing(
    rendered: Path, tmp_path: Path
) -> None:
    status, output, calls = _deploy(rendered, tmp_path, "dev")
    assert status != 0
    assert "make signing-profile ENV=dev" in output
    assert calls == []


def _terraform(project: Path) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every block of terraform/*.tf by (kind, type, name): kind `resource` or `data`."""
    options = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    blocks: dict[tuple[str, str, str], dict[str, Any]] = {}
    for path in sorted((project / "terraform").glob("*.tf")):
        parsed = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=options)
        for kind in ("resource", "data"):
            for block in parsed.get(kind, []):
                for tf_type, named in block.items():
                    for name, body in named.items():
                        blocks[(kind, tf_type, name)] = body
    return blocks


@pytest.mark.parametrize("rendered", answer_set_params("terraform-schedule"), indirect=True)
def test_terraform_signs_both_zips_in_the_apply_and_deploys_the_signed_copies(
    rendered: Path,
) -> None:
    blocks = _terraform(rendered)
    stack = blocks[("data", "aws_cloudformation_stack", "signing")]
    assert stack["name"] == "order-processor-${var.environment}-signing"
    for artefact, resource, zip_variable in (
        ("function", ("resource", "aws_lambda_function", "function"), "function_zip"),
        ("layer", ("resource", "aws_lambda_layer_version", "dependencies"), "layer_zip"),
    ):
        upload = blocks[("resource", "aws_s3_object", f"{artefact}_unsigned")]
        assert upload["source"] == f"${{var.{zip_variable}}}"
        # Named by content: an unchanged zip is neither uploaded nor signed again.
        assert f"filesha256(var.{zip_variable})" in upload["key"]
        job = blocks[("resource", "aws_signer_signing_job", artefact)]
        assert job["profile_name"] == '${local.signing["ProfileName"]}'
        assert job["ignore_signing_job_failure"] is False
        ((source,),) = (job["source"][0]["s3"],)
        assert source["version"] == f"${{aws_s3_object.{artefact}_unsigned.version_id}}"
        deployed = blocks[resource]
        signed = f"aws_signer_signing_job.{artefact}.signed_object[0].s3[0]"
        assert (deployed["s3_bucket"], deployed["s3_key"]) == (
            f"${{{signed}.bucket}}",
            f"${{{signed}.key}}",
        )
        assert "filename" not in deployed
    function = blocks[("resource", "aws_lambda_function", "function")]
    assert function["code_signing_config_arn"] == "${aws_lambda_code_signing_config.function.arn}"
    config = blocks[("resource", "aws_lambda_code_signing_config", "function")]
    assert config["policies"] == [{"untrusted_artifact_on_deployment": "Enforce"}]
    assert config["allowed_publishers"] == [
        {"signing_profile_version_arns": ['${local.signing["ProfileVersionArn"]}']}
    ]
    # checkov's code signing check now runs and passes (test_terraform_rendered runs checkov).
    assert "CKV_AWS_272" not in (rendered / "terraform" / "function.tf").read_text()


@pytest.mark.parametrize("rendered", answer_set_params("defaults"), indirect=True)
def test_a_sam_render_without_the_option_signs_nothing(rendered: Path) -> None:
    # template.yaml as written: translating it would write build/ into the render other tests
    # compare file by file.
    sam = cfn_yaml.load(str(rendered / "template.yaml"))
    assert not [r for r in sam["Resources"].values() if "CodeSigning" in r["Type"]]
    assert [r for r in sam["Resources"].values() if "CodeSigningConfigArn" in r["Properties"]] == []
    assert not (rendered / "signing").exists()


@pytest.mark.parametrize("rendered", answer_set_params("defaults"), indirect=True)
def test_a_sam_deploy_without_the_option_asks_no_profile(rendered: Path, tmp_path: Path) -> None:
    status, output, calls = _deploy(rendered, tmp_path, "dev")
    assert status == 0, output
    ((*_, last),) = calls
    assert last == "dev"  # `sam deploy --config-env dev`, no --signing-profiles


@pytest.mark.parametrize("rendered", answer_set_params("terraform-custom"), indirect=True)
def test_a_terraform_render_without_the_option_deploys_the_local_zips(rendered: Path) -> None:
    blocks = _terraform(rendered)
    assert not [key for key in blocks if "signing" in key[1] or key[1] == "aws_s3_object"]
    function = blocks[("resource", "aws_lambda_function", "function")]
    assert function["filename"] == "${var.function_zip}"
    assert "code_signing_config_arn" not in function
    assert not (rendered / "signing").exists()


# Where CDK's `make build` writes the zips it signs at deploy.
BUILD = "build/cdk"
_SIGNED = {
    "SignedCodeKey": "order-processor/signed/function-3f1c.zip",
    "SignedLayerKey": "order-processor/signed/layer-9a2e.zip",
}


def _cdk_deploy(
    project: Path, tmp_path: Path, *, signing_fails: bool = False
) -> tuple[int, str, dict[str, list[list[str]]]]:
    """`make deploy ENV=prod` of a CDK render as its recipe runs, without the build check and the
    pruning: `$(RUN)` (which runs scripts/sign.py) and the CDK CLI are stand-ins that record their
    arguments; the first prints the signed keys as sign.py does, or fails as it does when Signer
    fails. Returns the exit status, the output and each tool's command lines."""
    calls = tmp_path / "calls.jsonl"
    recorder = tmp_path / "record.py"
    recorder.write_text(
        "import json, sys\n"
        f"with open({str(calls)!r}, 'a') as out:\n"
        "    out.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "if sys.argv[1] == 'run':\n"
        f"    if {signing_fails!r}:\n"
        "        sys.exit('AWS Signer did not sign build/cdk/layer.zip')\n"
        f"    print('\\n'.join(f'{{k}}={{v}}' for k, v in {_SIGNED!r}.items()))\n"
    )
    done = subprocess.run(
        [
            *("make", "--no-print-directory", "-o", "verify-build", "deploy", "ENV=prod"),
            f"RUN={sys.executable} {recorder} run",
            f"CDK={sys.executable} {recorder} cdk",
            "PRUNE=true",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    recorded: dict[str, list[list[str]]] = {"run": [], "cdk": []}
    if calls.exists():
        for line in calls.read_text().splitlines():
            tool, *arguments = json.loads(line)
            recorded[tool].append(arguments)
    return done.returncode, done.stdout + done.stderr, recorded


@pytest.mark.parametrize("rendered", answer_set_params("cdk-schedule"), indirect=True)
def test_cdk_deploy_deploys_the_copies_prods_profile_signed(rendered: Path, tmp_path: Path) -> None:
    status, output, calls = _cdk_deploy(rendered, tmp_path)
    assert status == 0, output
    ((sign,),) = (calls["run"],)
    assert sign[:2] == ["python", "scripts/sign.py"]
    assert sign[sign.index("--stack-name") + 1] == "order-processor-prod-signing"
    # The zips `make build` made, each for the parameter the stack reads it from.
    assert sign[-2:] == [f"SignedCodeKey={BUILD}/function.zip", f"SignedLayerKey={BUILD}/layer.zip"]
    ((deploy,),) = (calls["cdk"],)
    assert deploy[:4] == ["deploy", "--app", "build/cdk/prod", "--require-approval"]
    passed = [deploy[i + 1] for i, argument in enumerate(deploy) if argument == "--parameters"]
    assert passed == [f"{name}={key}" for name, key in _SIGNED.items()]


@pytest.mark.parametrize("rendered", answer_set_params("cdk-schedule"), indirect=True)
def test_cdk_deploy_deploys_nothing_when_signing_fails(rendered: Path, tmp_path: Path) -> None:
    status, output, calls = _cdk_deploy(rendered, tmp_path, signing_fails=True)
    assert status != 0
    assert "AWS Signer did not sign" in output
    assert calls["cdk"] == []
