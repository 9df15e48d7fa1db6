"""The monthly cost estimate (scripts/cost.py, `make cost`): its arithmetic on cost.toml, and the
README's "Cost" table being exactly what cost.toml gives."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from cost import (
    END,
    START,
    Costs,
    Line,
    estimate,
    load,
    main,
    markdown,
    money,
    readme_block,
    with_block,
)

ROOT = Path(__file__).resolve().parents[2]

COSTS = load(ROOT / "cost.toml")


def _costs(**changes: Any) -> Costs:
    return dataclasses.replace(COSTS, **changes)


def _row(costs: Costs, item: str) -> float:
    [usd] = [row.usd for row in estimate(costs) if row.item == item]
    return usd


def test_readme_shows_the_estimate_of_cost_toml() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme_block(readme) == markdown(COSTS, estimate(COSTS)), (
        "README.md's cost estimate is not cost.toml's: run `make cost` and commit README.md"
    )


@pytest.mark.parametrize(
    ("architecture", "usd"),
    [("arm64", 60_000 * 0.0000133334), ("x86_64", 60_000 * 0.0000166667)],
)
def test_duration_is_gb_seconds_at_the_price_of_the_architecture(
    architecture: str, usd: float
) -> None:
    # 1,000,000 x 120 ms x 0.5 GB = 60,000 GB-s
    costs = _costs(
        invocations_per_month=1_000_000,
        average_duration_ms=120,
        memory_mb=512,
        architecture=architecture,
    )
    assert _row(costs, f"Lambda duration ({architecture})") == pytest.approx(usd)


def test_requests_and_logs_scale_with_invocations() -> None:
    once, twice = _costs(invocations_per_month=1_000_000), _costs(invocations_per_month=2_000_000)
    for item in ("Lambda requests", "CloudWatch Logs ingestion"):
        assert _row(twice, item) == pytest.approx(2 * _row(once, item))
    # 1 KiB a call: 1,000,000 KiB is 0.954 GB of 2^30 bytes
    logs = _costs(invocations_per_month=1_000_000, average_log_bytes_per_invocation=1024)
    assert _row(logs, "CloudWatch Logs ingestion") == pytest.approx(
        1_000_000 * 1024 / 2**30 * float(COSTS.prices["logs_ingested_gb"].usd)
    )


def test_usage_lines_follow_records_or_invocations() -> None:
    price = next(iter(COSTS.prices))
    lines = [
        Line(item="per record", quantity=2, price=price, per="record"),
        Line(item="per invocation", quantity=2, price=price, per="invocation"),
    ]
    one = _costs(usage=lines, records_per_invocation=1)
    ten = _costs(usage=lines, records_per_invocation=10)
    assert _row(ten, "per record") == pytest.approx(10 * _row(one, "per record"))
    assert _row(ten, "per invocation") == pytest.approx(_row(one, "per invocation"))


def test_fixed_lines_do_not_depend_on_traffic() -> None:
    idle, busy = _costs(invocations_per_month=0), _costs(invocations_per_month=10**9)
    for line in COSTS.fixed:
        assert _row(idle, line.item) == _row(busy, line.item)


def test_total_is_the_sum_of_the_rows() -> None:
    rows = estimate(COSTS)
    total = markdown(COSTS, rows).splitlines()[-1]
    assert total == f"| **Total** | | **{money(sum(row.usd for row in rows))}** |"


def test_a_line_naming_an_unknown_price_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "cost.toml"
    text = (ROOT / "cost.toml").read_text()
    broken.write_text(text + '\n[[fixed]]\nitem = "x"\nquantity = 1\nprice = "no_such_price"\n')
    with pytest.raises(KeyError, match="no_such_price"):
        load(broken)


def test_make_cost_rewrites_only_the_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n{START}\nold figures\n{END}\n\n## Next\n")
    assert main(["--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("# Title\n\n")
    assert text.endswith(f"{END}\n\n## Next\n")
    assert readme_block(text) == markdown(COSTS, estimate(COSTS))


def test_a_readme_without_the_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="cost estimate"):
        with_block("# Title\n", "table")
