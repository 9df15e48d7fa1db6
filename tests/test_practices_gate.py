"""The practices gate of the rendered repo (scripts/practices.py, `make practices`): it passes on
every answer set, and removing a practice from the stack (the alias, the dead-letter queue, the
log retention, a least-privilege grant) makes it fail naming that practice's rule ID, for SAM,
CDK and Terraform. The stack is mutated in memory (tests/practices_mutations.py), so no render
is added; SAM's and CDK's sets reuse the session's translation or synth."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from tests.conftest import answer_set_params, deployed_template, iac_tool, run

MUTATIONS = Path(__file__).with_name("practices_mutations.py")
# Seed 000's rule IDs (shared/seeds/000_*.txt), in the seed's order: the gate lists each.
SEED_RULES = (
    "LAMBDA_PYTHON",
    "LAMBDA_ERROR_HANDLING",
    "LAMBDA_LAYERS",
    "COLD_START_OPTIMIZATION",
    "LAMBDA_IAM_ROLES",
    "LAMBDA_ENV_VARS",
    "LAMBDA_SIZING",
    "LAMBDA_TIMEOUT_RETRY",
    "LAMBDA_XRAY",
    "LAMBDA_TESTING",
    "LAMBDA_VERSIONING",
    "LAMBDA_MONITORING",
    "LAMBDA_PACKAGING",
    "LAMBDA_SECURITY",
    "LAMBDA_CONCURRENCY",
    "LAMBDA_DLQ",
    "LAMBDA_ENVIRONMENT_CONFIG",
    "LAMBDA_PERFORMANCE",
    "LAMBDA_COST_OPTIMIZATION",
    "LAMBDA_BACKUP",
    "LAMBDA_NETWORKING",
    "LAMBDA_COMPLIANCE",
    "LAMBDA_DEPLOYMENT",
    "LAMBDA_ALERTING",
    "LAMBDA_SECURITY_BEST_PRACTICES",
)
# One set per IaC tool and kind of failure destination: an SQS queue's redrive, a stream's
# on-failure destination, an asynchronous invocation's.
MUTATED_SETS = {
    "sam": ("defaults", "kinesis", "sns"),
    "cdk": ("cdk-custom", "cdk-kinesis_custom", "cdk-sns"),
    "terraform": ("terraform-custom", "terraform-kinesis_custom", "terraform-sns"),
}
# What each mutation removes -> the rule the gate must name.
NAMED_RULE = {
    "alias": "LAMBDA_VERSIONING",
    "dead-letter": "LAMBDA_DLQ",
    "log-retention": "LAMBDA_MONITORING",
    "wildcard-grant": "LAMBDA_IAM_ROLES",
}


def _environments(project: Path) -> tuple[str, ...]:
    """The environments the gate can read without another synth: both for SAM's one template
    and Terraform's HCL, dev for CDK (the session synthesizes dev)."""
    return ("dev",) if iac_tool(project) == "cdk" else ("dev", "prod")


def _gate(project: Path, environment: str) -> CompletedProcess[str]:
    """The rendered repo's own gate, as `make practices` runs it."""
    if iac_tool(project) == "terraform":
        command = [sys.executable, "-m", "scripts.practices"]
    else:
        command = [sys.executable, "scripts/practices.py", "--template"]
        command.append(str(deployed_template(project)))
    return run([*command, "--environment", environment], project)


def _outcomes(project: Path, mutation: str) -> dict[str, list[object]]:
    """Each rule's [outcome, problems] once `mutation` is applied to the stack (dev)."""
    command = [sys.executable, str(MUTATIONS), mutation]
    if iac_tool(project) != "terraform":
        command += ["--template", str(deployed_template(project))]
    result = run(command, project)
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes: dict[str, list[object]] = json.loads(result.stdout)
    return outcomes


def _translated(project: Path, translation: CompletedProcess[str] | None) -> None:
    if translation is not None:
        assert translation.returncode == 0, translation.stdout + translation.stderr


@pytest.fixture
def stack_ready(rendered: Path, request: pytest.FixtureRequest) -> Path:
    """The rendered set, with SAM's translation or CDK's synth done (the session's, shared)."""
    if iac_tool(rendered) != "terraform":
        _translated(rendered, request.getfixturevalue("translation"))
    return rendered


@pytest.mark.parametrize("rendered", answer_set_params(), indirect=True)
def test_the_gate_passes_on_every_render(stack_ready: Path) -> None:
    for environment in _environments(stack_ready):
        result = _gate(stack_ready, environment)
        assert result.returncode == 0, f"{environment}:\n{result.stdout}{result.stderr}"
        assert f"every check passed ({environment})" in result.stdout


@pytest.mark.parametrize(
    "rendered", answer_set_params("defaults", "cdk-custom", "terraform-custom"), indirect=True
)
def test_the_gate_lists_every_seed_rule_once_and_fails_none(stack_ready: Path) -> None:
    outcomes = _outcomes(stack_ready, "none")
    assert tuple(outcomes) == SEED_RULES
    assert {outcome for outcome, _ in outcomes.values()} == {"PASS", "N/A"}


@pytest.mark.parametrize(
    "rendered", answer_set_params("defaults", "cdk-custom", "terraform-custom"), indirect=True
)
def test_the_table_docs_practices_md_shows_lists_the_gates_rules(stack_ready: Path) -> None:
    """docs/practices.md's rows are the gate's: same rules, same text, checked or not alike."""
    outcomes = _outcomes(stack_ready, "none")
    # The rules' table: the page's first section, before the controls' table.
    rules_section = (stack_ready / "docs" / "practices.md").read_text().split("\n## ")[0]
    rows = [
        line.split(" | ")
        for line in rules_section.splitlines()
        if line.startswith("| ") and not line.startswith(("| Rule ID", "| ---"))
    ]
    assert [row[0].removeprefix("| ") for row in rows] == list(outcomes)
    for row in rows:
        checked = outcomes[row[0].removeprefix("| ")][0] != "N/A"
        assert row[2].startswith("Checked") == checked, row


@pytest.mark.parametrize(
    "rendered",
    answer_set_params(*(name for names in MUTATED_SETS.values() for name in names)),
    indirect=True,
)
@pytest.mark.parametrize("mutation", sorted(NAMED_RULE))
def test_removing_a_practice_fails_the_gate_naming_its_rule(
    stack_ready: Path, mutation: str
) -> None:
    outcomes = _outcomes(stack_ready, mutation)
    failed = {rule for rule, (outcome, _) in outcomes.items() if outcome == "FAIL"}
    assert NAMED_RULE[mutation] in failed, outcomes
    [outcome, problems] = outcomes[NAMED_RULE[mutation]]
    assert problems, outcome


@pytest.mark.parametrize("rendered", answer_set_params("terraform-custom"), indirect=True)
def test_a_failing_gate_exits_1_naming_the_rule(stack_ready: Path, tmp_path: Path) -> None:
    """`make practices` itself, on a copy of terraform/ whose log group keeps logs forever."""
    copy = tmp_path / "terraform"
    copy.mkdir()
    for path in (stack_ready / "terraform").glob("*.tf"):
        text = path.read_text()
        copy.joinpath(path.name).write_text(
            "\n".join(line for line in text.splitlines() if "retention_in_days" not in line)
        )
    (copy / "environments").symlink_to(stack_ready / "terraform" / "environments")
    result = run([sys.executable, "-m", "scripts.practices", "--terraform", str(copy)], stack_ready)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "practices: 1 failed: LAMBDA_MONITORING" in result.stderr
    [row] = [
        line for line in result.stdout.splitlines() if line.startswith("| LAMBDA_MONITORING |")
    ]
    assert "| FAIL: " in row
