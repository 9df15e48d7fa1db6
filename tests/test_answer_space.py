"""Properties over the answer space: every valid combination renders and passes the
post-generation hook; every single invalid answer is rejected with a message naming it."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import copier
import hcl2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from tests.rendered import stack_facts_of
from tests.stack import function as sam_function

SPEC: dict[str, Any] = yaml.safe_load((ROOT / "copier.yml").read_text())
OFFERED_TRIGGERS = sorted(set(SPEC["trigger"]["choices"].values()))
# A project name whose derived package would shadow one of these modules is refused by design.
RESERVED_MODULES = frozenset(
    yaml.safe_load((ROOT / "validation" / "reserved_modules.yml").read_text())["modules"]
)


def _choices(name: str) -> st.SearchStrategy[Any]:
    choices = SPEC[name]["choices"]
    values = choices if isinstance(choices, list) else list(choices.values())
    return st.sampled_from([v["value"] if isinstance(v, dict) else v for v in values])


# API Gateway stops waiting after 29 s, so its triggers accept no longer timeout.
API_GATEWAY_TRIGGERS = {"http-api", "rest-api"}


def _a_year_or_more(days: Any) -> bool:
    return int(days) >= 365


@st.composite
def valid_answers(draw: st.DrawFn) -> dict[str, Any]:
    trigger = draw(st.sampled_from(OFFERED_TRIGGERS))
    longest = 29 if trigger in API_GATEWAY_TRIGGERS else 900
    # SQS polls with at least two concurrent batches, so one reserved execution is refused.
    reserved = st.integers(0, 1000).filter(lambda count: trigger != "sqs" or count != 1)
    answers = {
        "trigger": trigger,
        "timeout": draw(st.integers(1, longest)),
        "reserved_concurrency": draw(reserved),
        **draw(other_answers),
    }
    if draw(st.booleans()):  # dev sized apart from prod
        answers |= {
            "dev_sizing": True,
            "dev_memory_size": draw(st.integers(128, 10240)),
            "dev_reserved_concurrency": draw(reserved),
        }
    if draw(st.booleans()):  # strict compliance, with the answers its validators require
        answers |= {
            "compliance": "strict",
            "log_retention_days": draw(_choices("log_retention_days").filter(_a_year_or_more)),
            "kms_key": "customer-managed",
            "vpc_enabled": True,
        }
    # The team's profile cannot sign AWS's managed Powertools layer: signing needs the package.
    if answers["powertools_source"] == "package" and draw(st.booleans()):
        answers["code_signing"] = True
    return answers


other_answers = st.fixed_dictionaries(
    {
        "project_name": st.from_regex(
            r"[A-Z][a-z]{2,12}( [A-Z][a-z]{2,12}){0,2}", fullmatch=True
        ).filter(lambda name: name.lower().replace(" ", "_") not in RESERVED_MODULES),
        "python_version": _choices("python_version"),
        "architecture": _choices("architecture"),
        "memory_size": st.integers(128, 10240),
        "deployment_strategy": _choices("deployment_strategy"),
        "log_retention_days": _choices("log_retention_days"),
        "alarm_email": st.sampled_from(["", "ops@example.com", "a.b+alerts@team.example.org"]),
        "vpc_enabled": st.booleans(),
        "kms_key": _choices("kms_key"),
        "secret": st.booleans(),
        "powertools_source": _choices("powertools_source"),
        "idempotency": st.booleans(),
        "iac_tool": _choices("iac_tool"),
    }
)


def _pattern_breaker(pattern: str) -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=20).filter(lambda text: not re.fullmatch(pattern, text))


invalid_answer = st.one_of(
    st.tuples(
        st.just("memory_size"), st.one_of(st.integers(max_value=127), st.integers(min_value=10241))
    ),
    st.tuples(st.just("timeout"), st.one_of(st.integers(max_value=0), st.integers(min_value=901))),
    st.tuples(
        st.just("reserved_concurrency"),
        st.one_of(st.integers(max_value=-1), st.integers(min_value=1001)),
    ),
    st.tuples(st.just("project_slug"), _pattern_breaker(r"[a-z][a-z0-9-]{1,38}[a-z0-9]")),
    st.tuples(st.just("aws_region"), _pattern_breaker(r"[a-z]{2}(-gov)?-[a-z]+-[1-9]")),
    st.tuples(
        st.just("alarm_email"), st.text(min_size=1, max_size=20).filter(lambda t: "@" not in t)
    ),
    st.tuples(
        st.just("kms_key"), st.text(min_size=1, max_size=12).filter(lambda t: "managed" not in t)
    ),
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(answers=valid_answers())
def test_every_valid_combination_renders_and_passes_the_hook(
    answers: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    destination = tmp_path_factory.mktemp("valid") / "project"
    copier.run_copy(
        str(ROOT),
        str(destination),
        data=answers,
        defaults=True,
        unsafe=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    # The hook ran as copier's task; a failure would have raised and removed the destination.
    sizes = {
        "dev": answers.get("dev_memory_size", answers["memory_size"]),
        "prod": answers["memory_size"],
    }
    for environment, memory_size in sizes.items():
        assert _memory_size(destination, answers["iac_tool"], environment) == memory_size
    assert (destination / "template.yaml").exists() == (answers["iac_tool"] == "sam")
    signed = answers.get("code_signing", False)
    assert (destination / "signing" / "profile.yaml").exists() == signed
    # CDK's deploy signs with scripts/sign.py; SAM's and Terraform's deploys sign themselves.
    assert (destination / "scripts" / "sign.py").exists() == (
        signed and answers["iac_tool"] == "cdk"
    )


def _memory_size(project: Path, iac_tool: str, environment: str) -> int:
    """The function's memory in `environment`, read from what the IaC tool deploys: SAM's
    template as deployed there, the CDK function's `memory_size` expression evaluated for it, or
    Terraform's argument resolved for it."""
    if iac_tool == "sam":
        return int(sam_function(project, environment)["MemorySize"])
    if iac_tool == "cdk":
        module = ast.parse((project / "infra" / "function.py").read_text())
        [expression] = [
            node.value
            for node in ast.walk(module)
            if isinstance(node, ast.keyword) and node.arg == "memory_size"
        ]
        code = compile(ast.Expression(expression), "function.py", "eval")
        return int(eval(code, {"environment": environment}))  # noqa: S307  # a rendered literal choice
    options = hcl2.SerializationOptions(strip_string_quotes=True)
    text = (project / "terraform" / "function.tf").read_text()
    resources = hcl2.loads(text, serialization_options=options)["resource"]
    [function] = [
        r["aws_lambda_function"]["function"] for r in resources if "aws_lambda_function" in r
    ]
    return int(stack_facts_of(project).for_environment(function, environment)["memory_size"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bad=invalid_answer)
def test_every_single_invalid_answer_is_rejected_by_name(
    bad: tuple[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    question, value = bad
    destination = tmp_path_factory.mktemp("invalid") / "project"
    with pytest.raises(ValueError, match=rf"for question '{question}'|for '{question}'"):
        copier.run_copy(
            str(ROOT),
            str(destination),
            data={question: value},
            defaults=True,
            unsafe=True,
            vcs_ref="HEAD",
            pretend=True,
            quiet=True,
        )
    assert not Path(destination).exists()
