"""The README's cost estimate (includes/model/cost.jinja) against what it prices: the rendered
stack's alarms, keys, function size and stream shards, parsed from template.yaml; the estimate
the rendered scripts/cost.py computes from the rendered cost.toml; and the Power Tuning input the
model gives for a few answers."""

from __future__ import annotations

import atexit
import json
import re
import shutil
import sys
import tempfile
import tomllib
from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import copier
import pytest

from tests.answer_sets import SAM_PER_TRIGGER, answer_sets_of
from tests.conftest import answer_set_params, run
from tests.model import _inline_template
from tests.stack import resources

# One SAM set per trigger, and the options that change the estimate: the customer-managed key and
# x86_64 without idempotency (custom), a metric-math alarm (the APIs).
SAM_SETS = SAM_PER_TRIGGER
sam_sets = pytest.mark.parametrize("rendered", answer_set_params(*SAM_SETS), indirect=True)
every_tool = pytest.mark.parametrize(
    "rendered",
    answer_set_params("defaults", "cdk-custom", "terraform-custom", "terraform-kinesis_custom"),
    indirect=True,
)
START = "<!-- cost estimate: start"
END = "<!-- cost estimate: end -->"
HOURS_PER_MONTH = 730  # AWS's monthly hours (its pricing examples)


def _block(project: Path) -> str:
    readme = (project / "README.md").read_text()
    _, rest = readme.split(START, 1)
    return rest.split("-->", 1)[1].split(END, 1)[0].strip("\n")


def _rows(project: Path) -> dict[str, tuple[str, float]]:
    """The README's estimate: item -> (arithmetic, USD)."""
    rows = {}
    for line in _block(project).splitlines():
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        if len(cells) == 3 and cells[2].startswith("$"):
            rows[cells[0]] = (cells[1], float(cells[2].lstrip("$").replace(",", "")))
    return rows


def _quantity(arithmetic: str) -> int:
    """The leading count of a monthly line: "6 x $0.10 per alarm metric-month" -> 6."""
    return int(arithmetic.split(" x ", 1)[0].replace(",", ""))


def _row(project: Path, prefix: str) -> tuple[str, float]:
    [row] = [value for item, value in _rows(project).items() if item.startswith(prefix)]
    return row


def _of_type(project: Path, resource_type: str) -> list[dict[str, Any]]:
    return [r for r in resources(project).values() if r["Type"] == resource_type]


@every_tool
def test_the_readme_shows_what_the_rendered_script_computes(rendered: Path) -> None:
    result = run([sys.executable, "scripts/cost.py"], rendered)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip("\n") == _block(rendered)


@every_tool
def test_the_total_is_the_sum_of_the_lines(rendered: Path) -> None:
    rows = _rows(rendered)
    [total_text] = [line for line in _block(rendered).splitlines() if "**Total**" in line]
    [total] = re.findall(r"\*\*\$([\d,.]+)\*\*", total_text)
    total_usd = float(total.replace(",", ""))
    # Each line is rounded to the cent on its own, the total once.
    assert total_usd == pytest.approx(
        sum(usd for _, usd in rows.values()), abs=0.005 * (len(rows) + 1)
    )


@sam_sets
def test_every_alarm_metric_of_the_stack_is_billed(rendered: Path) -> None:
    alarms = _of_type(rendered, "AWS::CloudWatch::Alarm")
    metrics = sum(
        len([m for m in alarm["Properties"]["Metrics"] if "MetricStat" in m])
        if "Metrics" in alarm["Properties"]
        else 1
        for alarm in alarms
    )
    arithmetic, usd = _row(rendered, "CloudWatch alarms")
    assert _quantity(arithmetic) == metrics
    assert usd == pytest.approx(metrics * 0.10, abs=0.005)


@sam_sets
def test_every_kms_key_of_the_stack_is_billed(rendered: Path) -> None:
    keys = len(_of_type(rendered, "AWS::KMS::Key"))
    assert keys >= 1
    arithmetic, usd = _row(rendered, "KMS key")
    assert _quantity(arithmetic) == keys
    assert usd == pytest.approx(keys * 1.00)


@sam_sets
def test_the_stream_is_billed_by_the_shard_hour(rendered: Path) -> None:
    streams = _of_type(rendered, "AWS::Kinesis::Stream")
    shard_lines = [item for item in _rows(rendered) if item.startswith("Kinesis stream")]
    assert len(shard_lines) == len(streams)
    for stream in streams:
        arithmetic, _ = _row(rendered, "Kinesis stream")
        assert _quantity(arithmetic) == stream["Properties"]["ShardCount"] * HOURS_PER_MONTH


@sam_sets
def test_idempotency_writes_are_billed_when_the_table_exists(rendered: Path) -> None:
    table = "IdempotencyTable" in resources(rendered)
    assert any(item.startswith("DynamoDB: idempotency") for item in _rows(rendered)) == table


@sam_sets
def test_duration_is_priced_for_the_functions_memory_and_architecture(rendered: Path) -> None:
    function = resources(rendered)["Function"]["Properties"]
    costs = tomllib.loads((rendered / "cost.toml").read_text())
    [architecture] = function["Architectures"]
    assert costs["function"] == {"memory_mb": function["MemorySize"], "architecture": architecture}
    arithmetic, usd = _row(rendered, f"Lambda duration ({architecture})")
    gb = function["MemorySize"] / 1024
    price = float(costs["prices"][f"lambda_gb_seconds_{architecture}"]["usd"])
    invocations = costs["assumptions"]["invocations_per_month"]
    duration_s = costs["assumptions"]["average_duration_ms"] / 1000
    assert usd == pytest.approx(invocations * duration_s * gb * price, abs=0.005)
    assert f" x {gb:g} GB = " in arithmetic


@pytest.mark.parametrize("rendered", answer_set_params(*answer_sets_of("sam")[:1]), indirect=True)
def test_every_price_names_its_aws_pricing_page(rendered: Path) -> None:
    costs = tomllib.loads((rendered / "cost.toml").read_text())
    for name, price in costs["prices"].items():
        assert price["source"].startswith("https://aws.amazon.com/"), name
        assert float(price["usd"]) >= 0
        # Per unit, per thousand or per million; or per GB in KB (2**20 KB in CloudWatch Logs'
        # GB of 2**30 bytes), for a line counted in KB.
        kb_per_gb = 1_048_576
        assert price["per"] in (1, 1000, 1_000_000, kb_per_gb), name
        assert price["per"] != kb_per_gb or price["unit"] == "KB", name


# The Power Tuning facts of the model for given answers, rendered through copier like
# tests/model.py renders the stack model.
_TUNING_JSON = """\
{%- import 'includes/model/cost.jinja' as cost with context -%}
{{ cost.tuning | to_json }}
"""


@cache
def _tuning_template() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="cost-model-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    _inline_template(directory)
    (directory / "out" / "model.json.jinja").write_text(_TUNING_JSON)
    return directory


def _tuning(**answers: Any) -> dict[str, Any]:
    with TemporaryDirectory() as destination:
        copier.run_copy(
            str(_tuning_template()),
            destination,
            data=answers,
            defaults=True,
            unsafe=True,
            quiet=True,
        )
        tuning: dict[str, Any] = json.loads((Path(destination) / "model.json").read_text())
        return tuning


@pytest.mark.parametrize(
    ("answers", "parallel"),
    [
        ({"trigger": "http-api"}, True),
        ({"trigger": "rest-api", "reserved_concurrency": 20}, True),
        ({"trigger": "http-api", "reserved_concurrency": 5}, False),
        ({"trigger": "sqs", "idempotency": False}, False),
        ({"trigger": "s3", "idempotency": False}, False),
    ],
)
def test_power_tuning_repeats_the_event_at_once_only_where_that_is_harmless(
    answers: dict[str, Any], parallel: bool
) -> None:
    tuning = _tuning(**answers)
    assert tuning["parallel_invocation"] is parallel
    assert bool(tuning["parallel_why"]) is not parallel


def test_power_tuning_tries_the_functions_own_memory_size() -> None:
    sizes = _tuning(memory_size=1769)["power_values"]
    assert 1769 in sizes
    assert sizes == sorted(set(sizes))
