"""Build once, promote the same artefact: the rendered deploy workflow builds in one job and
deploys that job's output to dev, then prod; `make deploy` checks it file by file and never builds.

Asserted on the parsed `.github/workflows/deploy.yml`, on the rendered Makefile (`make -n`) and by
running the rendered `scripts/build_manifest.py` on a small tree.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import answer_set_params, iac_tool, run

# Per IaC tool, one set without and one with a VPC (its deploy steps read the subnets and
# security groups).
pytestmark = pytest.mark.parametrize(
    "rendered",
    answer_set_params(
        "defaults", "limits", "cdk-sns", "cdk-custom", "terraform-sns", "terraform-custom"
    ),
    indirect=True,
)

DEPLOYS = ("deploy-dev", "deploy-prod")
BUILDS = ("make build", "sam build", "cdk synth", "scripts/synth.py")
# The step that installs the deploy tool: the SAM CLI, the aws-cdk CLI of package-lock.json, or
# the AWS provider of Terraform (the binary comes from setup-terraform).
TOOL_INSTALL = {
    "sam": "make sam-cli",
    "cdk": "make cdk-cli",
    "terraform": "terraform -chdir=terraform init -backend=false -input=false",
}


def jobs(rendered: Path) -> dict[str, Any]:
    workflow = yaml.safe_load((rendered / ".github" / "workflows" / "deploy.yml").read_text())
    found: dict[str, Any] = workflow["jobs"]
    return found


def needs(job: dict[str, Any]) -> list[str]:
    needed = job.get("needs", [])
    return [needed] if isinstance(needed, str) else list(needed)


def runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(f"{action}@")]


def index_of(job: dict[str, Any], predicate: Any) -> int:
    return next(i for i, step in enumerate(job["steps"]) if predicate(step))


def test_verify_runs_every_check_of_ci_before_anything_is_built(rendered: Path) -> None:
    ci = yaml.safe_load((rendered / ".github" / "workflows" / "ci.yml").read_text())
    # Terraform's `plan` job builds and plans against the deployed state: not a check.
    checks = {
        command
        for name, job in ci["jobs"].items()
        if name != "plan"
        for command in runs(job)
        if command.startswith("make ")
    }
    assert "make test" in checks
    assert checks <= set(runs(jobs(rendered)["verify"]))


def test_exactly_one_job_builds(rendered: Path) -> None:
    building = [
        name
        for name, job in jobs(rendered).items()
        if any(build in command for command in runs(job) for build in BUILDS)
    ]
    assert building == ["build"]


def test_the_build_job_runs_after_verify_without_aws_credentials(rendered: Path) -> None:
    build = jobs(rendered)["build"]
    assert needs(build) == ["verify"]
    assert build["permissions"] == {"contents": "read"}
    assert not uses(build, "aws-actions/configure-aws-credentials")
    assert "environment" not in build


def test_the_build_job_uploads_the_build_and_publishes_its_manifest_digest(
    rendered: Path,
) -> None:
    build = jobs(rendered)["build"]
    [upload] = uses(build, "actions/upload-artifact")
    assert upload["with"]["if-no-files-found"] == "error"
    [pack] = [command for command in runs(build) if command.startswith("tar ")]
    # SAM's build directory and manifest, or the CDK assemblies' or Terraform's zips (under build/).
    packed = {
        "sam": "build build.sha256",
        "cdk": "cdk cdk.sha256",
        "terraform": "terraform terraform.sha256",
    }
    assert packed[iac_tool(rendered)] in pack
    assert build["outputs"]["manifest-sha256"] == "${{ steps.manifest.outputs.sha256 }}"


def test_no_deploy_job_builds(rendered: Path) -> None:
    for name in DEPLOYS:
        commands = runs(jobs(rendered)[name])
        assert not [command for command in commands if any(b in command for b in BUILDS)], name


def test_each_deploy_job_needs_the_build_job(rendered: Path) -> None:
    for name in DEPLOYS:
        assert "build" in needs(jobs(rendered)[name]), name


def test_prod_needs_dev(rendered: Path) -> None:
    assert "deploy-dev" in needs(jobs(rendered)["deploy-prod"])


def test_each_deploy_job_downloads_the_artifact_the_build_job_uploaded(rendered: Path) -> None:
    workflow = jobs(rendered)
    [upload] = uses(workflow["build"], "actions/upload-artifact")
    for name in DEPLOYS:
        [download] = uses(workflow[name], "actions/download-artifact")
        assert download["with"]["name"] == upload["with"]["name"], name
        # Outside the checkout: the artifact never lands on the repository's files.
        assert download["with"]["path"].startswith("${{ runner.temp }}"), name


def test_each_deploy_job_verifies_the_build_against_the_published_digest(
    rendered: Path,
) -> None:
    for name in DEPLOYS:
        job = jobs(rendered)[name]
        assert "make verify-build" in runs(job), name
        expected = "${{ needs.build.outputs.manifest-sha256 }}"
        assert job["env"]["BUILD_MANIFEST_SHA256"] == expected, name


def test_each_deploy_job_verifies_before_it_has_aws_credentials(rendered: Path) -> None:
    for name in DEPLOYS:
        job = jobs(rendered)[name]
        verified = index_of(job, lambda step: step.get("run") == "make verify-build")
        credentials = index_of(
            job, lambda step: step.get("uses", "").startswith("aws-actions/configure-aws")
        )
        deployed = index_of(job, lambda step: step.get("run", "").startswith("make deploy"))
        assert verified < credentials < deployed, name


def test_each_deploy_job_installs_its_tools_before_it_has_aws_credentials(rendered: Path) -> None:
    """The SAM CLI is fetched while no credentials exist; the deploy step runs uv offline, so no
    package (nor an install script of one) is fetched or run with credentials."""
    tool = TOOL_INSTALL[iac_tool(rendered)]
    for name in DEPLOYS:
        job = jobs(rendered)[name]
        installed = index_of(job, lambda step: step.get("run") == tool)
        credentials = index_of(
            job, lambda step: step.get("uses", "").startswith("aws-actions/configure-aws")
        )
        deploy = job["steps"][
            index_of(job, lambda step: step.get("run", "").startswith("make deploy"))
        ]
        assert installed < credentials, name
        assert deploy["env"]["UV_OFFLINE"] == "1", name


def test_every_artifact_action_is_pinned_by_commit_sha(rendered: Path) -> None:
    steps = [
        step
        for job in jobs(rendered).values()
        for step in job["steps"]
        if "artifact@" in step.get("uses", "")
    ]
    assert len(steps) == 3
    for step in steps:
        assert re.fullmatch(r"[\w/-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_make_deploy_checks_the_build_and_never_builds(rendered: Path) -> None:
    dry_run = run(["make", "-n", "deploy", "ENV=prod"], rendered)
    assert dry_run.returncode == 0, dry_run.stderr
    commands = _commands(dry_run.stdout)
    assert [c for c in commands if re.search(r"build_manifest\.py .*\bcheck\b", c)]
    assert not [c for c in commands if re.search(r"\b(sam build|cdk synth)\b|synth\.py", c)]


def _commands(dry_run: str) -> list[str]:
    """The commands `make -n` printed, each on one line (continuations joined)."""
    return dry_run.replace("\\\n", " ").splitlines()


def test_each_deploy_job_deploys_its_own_environment(rendered: Path) -> None:
    """The job's deploy step, as make would run it with the step's environment (`make -n`):
    deploy-dev deploys the dev stack from dev's build, deploy-prod prod's; with a VPC, each
    passes the subnets and security groups its environment's variables hold."""
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
    for environment in ("dev", "prod"):
        job = jobs(rendered)[f"deploy-{environment}"]
        [step] = [s for s in job["steps"] if s.get("run", "").startswith("make deploy")]
        # The workflow's ${{ vars.X }} values, as placeholders the dry run must carry through.
        step_env = {
            name: f"<{name}>" if "${{" in str(value) else str(value)
            for name, value in step.get("env", {}).items()
        }
        dry_run = subprocess.run(
            ["make", "-n", *shlex.split(step["run"])[1:]],
            cwd=rendered,
            env={**os.environ, **step_env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert dry_run.returncode == 0, dry_run.stderr
        commands = _commands(dry_run.stdout)
        if iac_tool(rendered) == "terraform":
            _assert_terraform_deploys(commands, environment, step_env, answers["vpc_enabled"])
            continue
        [deploy] = [c for c in commands if re.search(r"\b(sam|cdk) deploy\b", c)]
        if iac_tool(rendered) == "sam":
            assert f"--config-env {environment}" in deploy
        else:
            assert f"--app build/cdk/{environment} " in deploy
            stack = f"{answers['project_slug']}-{environment}"
            assert re.search(rf"(?<![\w-]){stack}(?![\w-])", deploy), deploy
        if answers["vpc_enabled"]:
            # The ids reach the deploy command from the variables the step sets.
            for variable in ("SUBNET_IDS", "SECURITY_GROUP_IDS"):
                assert step_env[variable] == f"<{variable}>", variable
                assert f"${{{variable}}}" in deploy, deploy
        else:
            assert "SUBNET_IDS" not in step_env


def _assert_terraform_deploys(
    commands: list[str], environment: str, step_env: dict[str, str], vpc: bool
) -> None:
    """Terraform's deploy: init with the environment's state, apply with its variables, then the
    CodeDeploy shift of what apply published; with a VPC, the ids come from TF_VAR_ variables."""
    [init] = [c for c in commands if re.search(r"terraform -chdir=terraform init\b", c)]
    assert f"-backend-config=environments/{environment}.s3.tfbackend" in init
    assert step_env["TF_STATE_BUCKET"] == "<TF_STATE_BUCKET>"
    [apply] = [c for c in commands if re.search(r"terraform -chdir=terraform apply\b", c)]
    assert f"-var-file=environments/{environment}.tfvars" in apply
    [shift] = [c for c in commands if "scripts/deploy.py" in c]
    assert f"build/terraform-outputs-{environment}.json" in shift
    assert commands.index(apply) < commands.index(shift)
    for variable in ("TF_VAR_subnet_ids", "TF_VAR_security_group_ids"):
        assert (step_env.get(variable) == f"<{variable}>") is vpc, variable


def test_the_layer_installs_only_wheels_whose_locked_hashes_match(rendered: Path) -> None:
    exported = run(["make", "-n", "layer/requirements.txt"], rendered).stdout
    assert "--no-hashes" not in exported
    assert "--require-hashes" in (rendered / "layer" / "Makefile").read_text()


# The manifest script, run as `make build` and `make verify-build` run it.


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A small built tree with its manifest, written by the rendered script."""
    root = tmp_path / "build"
    (root / "Function" / "pkg").mkdir(parents=True)
    (root / "Function" / "pkg" / "handler.py").write_text("def handler(): ...\n")
    (root / "template.yaml").write_text("Resources: {}\n")
    return root


def manifest_script(
    rendered: Path, built: Path, *arguments: str
) -> subprocess.CompletedProcess[str]:
    script = rendered / "scripts" / "build_manifest.py"
    manifest = built.parent / "build.sha256"
    return run(
        [
            sys.executable,
            str(script),
            *arguments,
            "--build-dir",
            str(built),
            "--manifest",
            str(manifest),
        ],
        cwd=built.parent,
    )


def test_an_unchanged_build_passes_its_manifest_check(rendered: Path, built: Path) -> None:
    assert manifest_script(rendered, built, "write").returncode == 0
    checked = manifest_script(rendered, built, "check")
    assert checked.returncode == 0, checked.stderr
    assert "all 2 files as built" in checked.stdout


def test_a_changed_file_fails_the_manifest_check(rendered: Path, built: Path) -> None:
    manifest_script(rendered, built, "write")
    (built / "template.yaml").write_text("Resources: {Other: {}}\n")
    checked = manifest_script(rendered, built, "check")
    assert checked.returncode != 0
    assert "changed: template.yaml" in checked.stderr


def test_an_added_file_fails_the_manifest_check(rendered: Path, built: Path) -> None:
    manifest_script(rendered, built, "write")
    (built / "Function" / "pkg" / "extra.py").write_text("")
    checked = manifest_script(rendered, built, "check")
    assert checked.returncode != 0
    assert "added: Function/pkg/extra.py" in checked.stderr


def test_a_missing_file_fails_the_manifest_check(rendered: Path, built: Path) -> None:
    manifest_script(rendered, built, "write")
    (built / "Function" / "pkg" / "handler.py").unlink()
    checked = manifest_script(rendered, built, "check")
    assert checked.returncode != 0
    assert "missing: Function/pkg/handler.py" in checked.stderr


def test_a_manifest_other_than_the_published_one_fails_the_check(
    rendered: Path, built: Path
) -> None:
    manifest_script(rendered, built, "write")
    manifest = (built.parent / "build.sha256").read_bytes()
    published = hashlib.sha256(manifest).hexdigest()
    assert manifest_script(rendered, built, "check", "--manifest-sha256", published).returncode == 0
    # Files and manifest swapped together: consistent with each other, not with the build job.
    (built / "template.yaml").write_text("Resources: {Other: {}}\n")
    manifest_script(rendered, built, "write")
    checked = manifest_script(rendered, built, "check", "--manifest-sha256", published)
    assert checked.returncode != 0
    assert "but the build published" in checked.stderr


def test_the_manifest_is_what_sha256sum_checks(rendered: Path, built: Path) -> None:
    manifest_script(rendered, built, "write")
    checked = run(["sha256sum", "--check", "--strict", "../build.sha256"], cwd=built)
    assert checked.returncode == 0, checked.stdout + checked.stderr
