"""The site's pages made from renders (tools/model_pages.py) and the readers of a render's
Markdown they use (tools/rendered_docs.py), on small inline documents."""

from __future__ import annotations

import dataclasses

import pytest

from tools import model_pages
from tools.rendered_docs import RenderedDocs, cells, mermaid, nested, section, table

COPIER_YML = """
trigger:
  type: str
  choices:
    "SQS queue (batches)": sqs
    "Function URL (synchronous)": function-url
iac_tool:
  type: str
  choices:
    "AWS SAM (template.yaml)": sam
    "Terraform (terraform/)": terraform
trigger_family:
  type: str
  when: false
  default: "{{ 'api' if trigger == 'function-url' else 'batch' }}"
"""

GATE_HEADER = "| Rule ID | What is checked | Status |\n| --- | --- | --- |\n"


def _docs(  # noqa: PLR0913, PLR0917 - one argument per part of the documents that varies
    dlq: str, retry: str, alarms: str, deploy: str, targets: str, layout: str
) -> RenderedDocs:
    readme = (
        "# Order Processor\n\n## Architecture\n\n```mermaid\nflowchart LR\n    a --> b\n```\n\n"
        "See [Cost](#cost).\n\n### Calling it\n\n```sh\n# not a heading\n```\n\n"
        f"## Layout\n\n| Path | What it holds |\n| --- | --- |\n{layout}\n\n"
        f"## Make targets\n\n| Command | Does |\n| --- | --- |\n{targets}\n\n"
        f"## Deploy\n\n```mermaid\nflowchart TB\n    {deploy}\n```\n\nProse.\n"
    )
    practices = (
        "# Practices\n\n"
        + GATE_HEADER
        + f"| LAMBDA_DLQ | {dlq} | Checked by `make practices` |\n"
        + f"| LAMBDA_TIMEOUT_RETRY | {retry} | Checked by `make practices` |\n"
        + f"| LAMBDA_ALERTING | Each alarm of the model ({alarms}) notifies "
        + "| Checked by `make practices` |\n"
        + "| LAMBDA_SECURITY | Scans, not stack | Not in the stack |\n"
        + "| LAMBDA_DEPLOYMENT | CodeDeploy rolls back on the alarms errors "
        + "| Checked by `make practices` |\n"
        + "\n## Controls\n\n| Control | Why |\n| --- | --- |\n| CT.X | y |\n"
    )
    runbook = "# Runbook\n\n" + "".join(
        f"## {alarm}\n\n**Meaning.** {alarm} crossed its\nthreshold (see [x](#x)).\n\n"
        "**Look.** y\n\n"
        for alarm in alarms.split(", ")
    )
    return RenderedDocs(readme=readme, practices=practices, runbook=runbook)


SQS = _docs(
    "Redrive to a DLQ",
    "30 s; 5 receives",
    "errors, dlq-depth",
    "sam --> deploy",
    "| `make validate` | SAM translation |\n| `make check` | Everything |",
    "| `template.yaml` | The stack |\n| `src/` | The code |",
)
URL = _docs(
    "Synchronous: nothing to keep",
    "10 s; no retry",
    "errors, api-latency",
    "sam --> deploy",
    "| `make validate` | SAM translation |\n| `make check` | Everything |",
    "| `template.yaml` | The stack |\n| `src/` | The code |",
)
TERRAFORM = _docs(
    "Redrive to a DLQ",
    "30 s; 5 receives",
    "errors, dlq-depth",
    "apply --> deploy",
    "| `make fmt` | terraform fmt |\n| `make check` | Everything |",
    "| `terraform/` | The stack |\n| `src/` | The code |",
)


def test_a_pipe_inside_backticks_or_escaped_is_text_not_a_border() -> None:
    assert cells("| `make lint` / `a|b` | x \\| y | z |") == ["`make lint` / `a|b`", "x \\| y", "z"]


def test_a_table_is_the_first_block_of_rows_only() -> None:
    rows = table(SQS.practices)
    assert [row["Rule ID"] for row in rows] == [
        "LAMBDA_DLQ",
        "LAMBDA_TIMEOUT_RETRY",
        "LAMBDA_ALERTING",
        "LAMBDA_SECURITY",
        "LAMBDA_DEPLOYMENT",
    ]


def test_a_section_ends_at_the_next_second_level_heading_not_at_a_comment_in_a_fence() -> None:
    body = section(SQS.readme, "Architecture")
    assert body.startswith("```mermaid")
    assert body.endswith("```sh\n# not a heading\n```")
    with pytest.raises(KeyError, match="Network"):
        section(SQS.readme, "Network")


def test_nesting_deepens_headings_outside_fences_and_unlinks_paths_of_the_repo() -> None:
    text = nested(
        "### Calling it\nSee [Cost](#cost), [site](https://x.example/a).\n```sh\n# comment\n```",
        2,
    )
    assert text.splitlines() == [
        "##### Calling it",
        "See Cost, [site](https://x.example/a).",
        "```sh",
        "# comment",
        "```",
    ]


def test_the_first_mermaid_diagram_is_taken_whole() -> None:
    diagram = mermaid(section(SQS.readme, "Deploy"))
    assert diagram == "```mermaid\nflowchart TB\n    sam --> deploy\n```"
    with pytest.raises(ValueError, match="no mermaid"):
        mermaid("Prose only.")


def test_each_trigger_is_a_row_with_its_invocation_failures_retries_and_alarms() -> None:
    page = model_pages.choosing_page(
        COPIER_YML, {"sqs": SQS, "function-url": URL}, {"sam": SQS, "terraform": TERRAFORM}
    )
    assert (
        "| [SQS queue](#sqs) `sqs` | "
        + model_pages.FAMILY_INVOCATION["batch"]
        + " | Redrive to a DLQ | 30 s; 5 receives "
        + "| [errors](alarms.md#errors), [dlq-depth](alarms.md#dlq-depth) |"
    ) in page.splitlines()
    assert (
        "| [Function URL](#function-url) `function-url` | "
        + model_pages.FAMILY_INVOCATION["api"]
        + " | Synchronous: nothing to keep | 10 s; no retry "
        + "| [errors](alarms.md#errors), [api-latency](alarms.md#api-latency) |"
        in page
    )


def test_each_trigger_has_its_diagram_and_only_the_rules_that_differ() -> None:
    page = model_pages.choosing_page(COPIER_YML, {"sqs": SQS, "function-url": URL}, {"sam": SQS})
    sqs = page.split("### SQS queue {#sqs}")[1].split("### Function URL")[0]
    assert "```mermaid\nflowchart LR\n    a --> b\n```" in sqs
    assert "See Cost." in sqs
    assert "#### Calling it" in sqs
    assert "| LAMBDA_DLQ | Redrive to a DLQ |" in sqs
    assert "LAMBDA_SECURITY" not in sqs


def test_the_tools_are_compared_by_what_differs() -> None:
    page = model_pages.choosing_page(COPIER_YML, {"sqs": SQS}, {"sam": SQS, "terraform": TERRAFORM})
    tools = page.split("## IaC tools")[1]
    terraform = tools.split("{#deploy-terraform}")[1]
    assert "```mermaid\nflowchart TB\n    apply --> deploy\n```" in terraform
    assert "| `make validate` | SAM translation | (none) |" in tools
    assert "| `make fmt` | (none) | terraform fmt |" in tools
    assert "make check" not in tools
    assert "| `terraform/` | The stack | Terraform |" in tools
    assert "`src/`" not in tools


def test_alarms_missing_from_the_alerting_row_are_an_error_not_an_empty_cell() -> None:
    broken = dataclasses.replace(
        SQS, practices=SQS.practices.replace("(errors, dlq-depth)", "every alarm")
    )
    with pytest.raises(ValueError, match="LAMBDA_ALERTING lists no alarms"):
        model_pages.choosing_page(COPIER_YML, {"sqs": broken}, {"sam": SQS})


def test_a_trigger_is_named_with_its_tools_only_when_its_renders_disagree() -> None:
    split = dataclasses.replace(SQS, practices=SQS.practices.replace("Redrive", "Park"))
    page = model_pages.gate_page(
        {("sqs", "sam"): SQS, ("sqs", "terraform"): split, ("function-url", "sam"): URL},
        ["sqs", "function-url"],
    )
    assert "| LAMBDA_DLQ | Redrive to a DLQ | `sqs` with sam | `make practices` |" in page
    assert "|  | Park to a DLQ | `sqs` with terraform | `make practices` |" in page


def test_a_rule_row_names_every_trigger_only_when_all_print_it() -> None:
    page = model_pages.gate_page(
        {("sqs", "sam"): SQS, ("function-url", "sam"): URL, ("sqs", "terraform"): TERRAFORM},
        ["sqs", "function-url"],
    )
    lines = page.splitlines()
    assert "| LAMBDA_DLQ | Redrive to a DLQ | `sqs` | `make practices` |" in lines
    assert "|  | Synchronous: nothing to keep | `function-url` | `make practices` |" in lines
    assert (
        "| LAMBDA_SECURITY | Scans, not stack | every trigger | not the stack (see left) |" in lines
    )


def test_each_alarm_is_listed_with_its_triggers_and_whether_it_rolls_back() -> None:
    page = model_pages.alarms_page({"sqs": SQS, "function-url": URL})
    lines = page.splitlines()
    assert "| [errors](#errors) | every trigger | every trigger |" in lines
    assert "| [dlq-depth](#dlq-depth) | `sqs` | no |" in lines
    assert "| [api-latency](#api-latency) | `function-url` | no |" in lines


def test_an_alarms_meaning_is_its_runbook_paragraph_on_one_line_without_repo_links() -> None:
    page = model_pages.alarms_page({"sqs": SQS, "function-url": URL})
    errors = page.split("## errors")[1].split("## ")[0]
    assert "- **every trigger**: errors crossed its threshold (see x)." in errors


def test_a_runbook_entry_without_its_meaning_is_an_error() -> None:
    with pytest.raises(ValueError, match="errors entry does not start with"):
        model_pages.meaning("## errors\n\n**Look.** y\n", "errors")
    with pytest.raises(KeyError, match="throttles"):
        model_pages.meaning("## errors\n\n**Meaning.** x\n", "throttles")
