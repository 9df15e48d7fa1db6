"""Where a cold start's import time goes: a child's `-X importtime` report, summed by package
group (the AWS SDK, Powertools, pydantic, the function's own code...)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# child.py writes this line to stderr just before it imports the handler.
IMPORT_MARK = "bench: handler import starts"

GROUPS = ("AWS SDK", "Powertools", "pydantic", "X-Ray SDK", "own code", "stdlib/other")
# Top-level module -> group; what is not named here is "stdlib/other" (or "own code").
PACKAGE_GROUPS = {
    **dict.fromkeys(
        ("boto3", "botocore", "s3transfer", "urllib3", "dateutil", "jmespath", "six", "awscrt"),
        "AWS SDK",
    ),
    "aws_lambda_powertools": "Powertools",
    # pydantic and the packages only it brings (typing_extensions comes with it too).
    **dict.fromkeys(
        ("pydantic", "pydantic_core", "annotated_types", "typing_inspection", "typing_extensions"),
        "pydantic",
    ),
    **dict.fromkeys(("aws_xray_sdk", "wrapt"), "X-Ray SDK"),
}


@dataclass(frozen=True)
class ImportLine:
    """One line of `-X importtime`: microseconds in the module itself and with what it imported
    first, its nesting level (0: imported by the code that ran, not by another import)."""

    self_us: int
    cumulative_us: int
    level: int
    module: str


def parse(stderr: str, mark: str | None = IMPORT_MARK) -> list[ImportLine]:
    """The `import time:` lines of `stderr`, in their order (a module after what it imported);
    with `mark`, only those after the line that equals it. Raises ValueError when `mark` is given
    and absent."""
    lines = stderr.splitlines()
    if mark is not None:
        if mark not in lines:
            raise ValueError(f"no {mark!r} line in the importtime output")
        lines = lines[lines.index(mark) + 1 :]
    parsed = []
    for line in lines:
        if not line.startswith("import time:"):
            continue
        self_part, cumulative_part, name_part = line.removeprefix("import time:").split("|", 2)
        if not self_part.strip().isdigit():
            continue  # the header line
        module = name_part.strip()
        # One space after the bar, then two per level of nesting.
        level = (len(name_part) - len(name_part.lstrip(" ")) - 1) // 2
        parsed.append(ImportLine(int(self_part), int(cumulative_part), level, module))
    return parsed


def group_of(module: str, own: Iterable[str]) -> str:
    """The group a module's time counts towards; `own` names the function's top-level modules."""
    top = module.split(".", 1)[0]
    if top in set(own):
        return "own code"
    return PACKAGE_GROUPS.get(top, "stdlib/other")


def aggregate(lines: Sequence[ImportLine], own: Iterable[str]) -> dict[str, dict[str, int]]:
    """Per group: `self_us`, the time spent in the group's own modules (the groups add up to the
    whole import time), and `cumulative_us`, the time of the group's outermost imports with what
    they imported first from other groups (so groups overlap: Powertools' figure holds the part of
    pydantic it imported). Plus `total` (self_us only): the whole report's time."""
    owned = set(own)
    figures = {group: {"self_us": 0, "cumulative_us": 0} for group in GROUPS}
    # Read backwards the report is parent first: a stack of (level, group) holds the ancestors.
    ancestors: list[tuple[int, str]] = []
    for line in reversed(lines):
        while ancestors and ancestors[-1][0] >= line.level:
            ancestors.pop()
        group = group_of(line.module, owned)
        figures[group]["self_us"] += line.self_us
        if all(group != outer for _, outer in ancestors):
            figures[group]["cumulative_us"] += line.cumulative_us
        ancestors.append((line.level, group))
    figures["total"] = {"self_us": sum(line.self_us for line in lines)}
    return figures


def slowest(
    lines: Sequence[ImportLine], own: Iterable[str], count: int = 8
) -> list[dict[str, Any]]:
    """The `count` modules with the most self time, slowest first: module, group and self_us.
    A module's self time holds its body's run (module-level clients and models included) and,
    for the function's own modules, their compilation (no bytecode in the task root)."""
    owned = set(own)
    ranked = sorted(lines, key=lambda line: (-line.self_us, line.module))[:count]
    return [
        {"module": line.module, "group": group_of(line.module, owned), "self_us": line.self_us}
        for line in ranked
    ]


def summarize(runs: Sequence[Sequence[ImportLine]], own: Iterable[str]) -> dict[str, Any]:
    """Several runs' reports of one handler, each figure the median over the runs: per group
    (and `total`) as aggregate() gives them, `slowest` as slowest() ranks them, and `runs`."""
    owned = set(own)
    aggregates = [aggregate(lines, owned) for lines in runs]
    figures: dict[str, Any] = {
        group: {
            field: statistics.median(run[group][field] for run in aggregates)
            for field in aggregates[0][group]
        }
        for group in aggregates[0]
    }
    by_module: dict[str, list[int]] = {}
    for lines in runs:
        for line in lines:
            by_module.setdefault(line.module, []).append(line.self_us)
    medians = [
        ImportLine(int(statistics.median(values)), 0, 0, module)
        for module, values in by_module.items()
    ]
    figures["slowest"] = slowest(medians, owned)
    figures["runs"] = len(runs)
    return figures
