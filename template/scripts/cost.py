"""The stack's monthly cost estimate from cost.toml: `make cost`.

Prints the estimate as a Markdown table, every line with its arithmetic, and with `--readme`
writes it between the README's cost markers. Standard library only, no AWS call: the prices are
the ones cost.toml states (with the AWS pricing page of each), the traffic is its assumptions.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- cost estimate: start (written by `make cost` from cost.toml) -->"
END = "<!-- cost estimate: end -->"
# CloudWatch Logs bills ingestion per GB of 2^30 bytes.
BYTES_PER_GB = 1_073_741_824


@dataclass(frozen=True)
class Price:
    """`usd` (as AWS writes it) per `per` units of `unit`, from the pricing page `source`."""

    usd: str
    per: int
    unit: str
    source: str

    def per_text(self) -> str:
        """What the price is for: "GB-s", or "1,000,000 requests" when it is per many."""
        return self.unit if self.per == 1 else f"{self.per:,} {self.unit}"


@dataclass(frozen=True)
class Line:
    """A line of the estimate: `quantity` units of the price `price`, for `item`.

    `per` is "invocation" or "record" for a line billed by use, "" for a monthly one."""

    item: str
    quantity: float
    price: str
    per: str = ""


@dataclass(frozen=True)
class Costs:
    """cost.toml, read: the traffic assumptions, the function's size, prices and lines."""

    prices_as_of: str
    region: str
    invocations_per_month: int
    average_duration_ms: float
    records_per_invocation: float
    average_log_bytes_per_invocation: int
    memory_mb: int
    architecture: str
    prices: dict[str, Price]
    usage: list[Line]
    fixed: list[Line]


@dataclass(frozen=True)
class Row:
    """One row of the estimate: what, how it is computed, and its monthly USD."""

    item: str
    arithmetic: str
    usd: float


def load(path: Path) -> Costs:
    """Read cost.toml. Raises KeyError naming a missing key, or a price a line names that
    [prices] lacks; tomllib.TOMLDecodeError on invalid TOML."""
    data: dict[str, Any] = tomllib.loads(path.read_text())
    assumptions = data["assumptions"]
    prices = {name: Price(**entry) for name, entry in data["prices"].items()}
    usage = [Line(**entry) for entry in data.get("usage", [])]
    fixed = [Line(**entry) for entry in data.get("fixed", [])]
    for line in usage + fixed:
        if line.price not in prices:
            raise KeyError(f"{line.item!r} names the price {line.price!r}, which [prices] lacks")
    return Costs(
        prices_as_of=data["prices_as_of"],
        region=data["region"],
        invocations_per_month=assumptions["invocations_per_month"],
        average_duration_ms=assumptions["average_duration_ms"],
        records_per_invocation=assumptions["records_per_invocation"],
        average_log_bytes_per_invocation=assumptions["average_log_bytes_per_invocation"],
        memory_mb=data["function"]["memory_mb"],
        architecture=data["function"]["architecture"],
        prices=prices,
        usage=usage,
        fixed=fixed,
    )


def estimate(costs: Costs) -> list[Row]:
    """The estimate's rows in USD a month: Lambda's requests, its GB-seconds at the price of its
    architecture (memory in GB = MB / 1024; duration billed per ms), log ingestion, then the
    usage lines (per invocation or per record), then the monthly ones."""
    invocations = costs.invocations_per_month
    records = invocations * costs.records_per_invocation
    rows = []

    price = costs.prices["lambda_requests"]
    usd = invocations / price.per * float(price.usd)
    rows.append(
        Row("Lambda requests", f"{invocations:,.0f} x ${price.usd} per {price.per_text()}", usd)
    )

    price = costs.prices[f"lambda_gb_seconds_{costs.architecture}"]
    gb = costs.memory_mb / 1024
    gb_seconds = invocations * costs.average_duration_ms / 1000 * gb
    usd = gb_seconds * float(price.usd)
    arithmetic = (
        f"{invocations:,.0f} invocations x {costs.average_duration_ms:,} ms x {gb:g} GB"
        f" = {gb_seconds:,.0f} GB-s x ${price.usd} per {price.per_text()}"
    )
    rows.append(Row(f"Lambda duration ({costs.architecture})", arithmetic, usd))

    price = costs.prices["logs_ingested_gb"]
    log_gb = invocations * costs.average_log_bytes_per_invocation / BYTES_PER_GB
    usd = log_gb * float(price.usd)
    arithmetic = (
        f"{invocations:,.0f} invocations x {costs.average_log_bytes_per_invocation:,} bytes"
        f" = {log_gb:,.3f} GB x ${price.usd} per {price.per_text()}"
    )
    rows.append(Row("CloudWatch Logs ingestion", arithmetic, usd))

    for line in costs.usage:
        price = costs.prices[line.price]
        base = records if line.per == "record" else invocations
        count = base * line.quantity
        usd = count / price.per * float(price.usd)
        arithmetic = (
            f"{base:,.0f} {line.per}s x {line.quantity:g} = {count:,.0f}"
            f" x ${price.usd} per {price.per_text()}"
        )
        rows.append(Row(line.item, arithmetic, usd))

    for line in costs.fixed:
        price = costs.prices[line.price]
        usd = line.quantity / price.per * float(price.usd)
        rows.append(Row(line.item, f"{line.quantity:,} x ${price.usd} per {price.per_text()}", usd))
    return rows


def money(usd: float) -> str:
    """USD as the README shows it: "$1,234.57"."""
    return f"${usd:,.2f}"


def markdown(costs: Costs, rows: list[Row]) -> str:
    """The estimate as the README's block: the assumptions, then a table and its total."""
    lines = [
        f"For {costs.invocations_per_month:,} invocations a month of"
        f" {costs.average_duration_ms:,} ms on average, {costs.records_per_invocation:g}"
        f" record(s) and {costs.average_log_bytes_per_invocation:,} bytes of logs each,"
        f" {costs.memory_mb} MB on {costs.architecture}, at the {costs.region} list prices"
        f" of {costs.prices_as_of}:",
        "",
        "| Item | Arithmetic | Per month |",
        "| --- | --- | ---: |",
    ]
    lines += [f"| {row.item} | {row.arithmetic} | {money(row.usd)} |" for row in rows]
    lines.append(f"| **Total** | | **{money(sum(row.usd for row in rows))}** |")
    return "\n".join(lines)


def readme_block(readme: str) -> str:
    """The text between the README's cost markers. Raises ValueError if they are missing."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no {START} ... {END} block")
    return readme[start + len(START) : end].strip("\n")


def with_block(readme: str, block: str) -> str:
    """The README with `block` between its cost markers. Raises ValueError if they are missing."""
    readme_block(readme)
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{block}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Print the estimate of cost.toml; with --readme, also write it into that README."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--costs", type=Path, default=ROOT / "cost.toml", help="cost.toml")
    parser.add_argument("--readme", type=Path, help="write the estimate into this README")
    args = parser.parse_args(argv)
    costs = load(args.costs)
    block = markdown(costs, estimate(costs))
    if args.readme:
        args.readme.write_text(with_block(args.readme.read_text(), block))
    sys.stdout.write(block + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
