"""The benchmark harness: its pure pieces, its AWS stub, and (slow) quick mode end to end.

No test here asserts a timing target: figures are noisy, and a missed target is a finding, not a
broken harness.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from benchmarks import (
    coldstart,
    importcost,
    markdown,
    package,
    render,
    report,
    runtime,
    stub,
    warm,
)
from benchmarks.environment import function_spec, lambda_environment, load_template
from benchmarks.render import triggers
from benchmarks.targets import CHILD, BenchError, ChildRun

ROOT = Path(__file__).resolve().parent.parent

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Environment:
    Type: String
    Default: dev
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
Globals:
  Function:
    MemorySize: 256
    Environment:
      Variables:
        SHARED: from-globals
Resources:
  ConfigParameter:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "/orders/${Environment}/config"
      Type: String
      Value: "{}"
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "orders-${Environment}-idempotency"
  Queue:
    Type: AWS::SQS::Queue
  Function:
    Type: AWS::Serverless::Function
    Properties:
      Handler: orders.handler.lambda_handler
      Timeout: 30
      LoggingConfig:
        LogFormat: JSON
        ApplicationLogLevel: INFO
      Environment:
        Variables:
          APP_ENVIRONMENT: !Ref Environment
          CONFIG_PARAMETER_NAME: !Ref ConfigParameter
          TABLE: !Ref Table
          QUEUE_URL: !Ref Queue
          QUEUE_ARN: !GetAtt Queue.Arn
          STACK: !Sub "${AWS::StackName}-${AWS::Region}"
          JOINED: !Join ["-", [a, !Ref Environment]]
          MODE: !If [IsProd, strict, relaxed]
          PLAIN: "300"
          FLAG: true
          MAPPED: !FindInMap [Sizes, !Ref Environment, Memory]
"""


def test_summary_median_min_max() -> None:
    assert report.summarize([3.0, 1.0, 2.0, 10.0]) == {"median": 2.5, "min": 1.0, "max": 10.0}
    with pytest.raises(ValueError, match="no samples"):
        report.summarize([])


def test_ratio_refuses_a_zero_reference() -> None:
    assert report.ratio(1.0, 4.0) == 0.25
    with pytest.raises(ValueError, match="positive"):
        report.ratio(1.0, 0.0)


BASELINES = ("bare", "standard", "typical")


def test_compare_judges_handlers_against_typical_only() -> None:
    figures = report.compare(
        {"sqs": [2.0, 2.0], "api": [5.0], "bare": [1.0], "standard": [4.0], "typical": [10.0]},
        BASELINES,
        {"sqs": 0.25, "api": 0.25, "typical": 0.25},
    )
    assert figures["sqs"]["ratio_typical"] == 0.2
    assert figures["sqs"]["ratio_standard"] == 0.5
    assert figures["sqs"]["ratio_bare"] == 2.0
    assert figures["sqs"]["met"] is True
    assert figures["api"]["met"] is False
    # A baseline is never judged, even when a target is given for it.
    assert figures["typical"]["met"] is None
    assert figures["bare"]["target"] is None
    assert figures["sqs"]["samples"] == [2.0, 2.0]
    unjudged = report.compare({"sqs": [1.0], "typical": [2.0]}, ("typical",), {})
    assert (unjudged["sqs"]["target"], unjudged["sqs"]["met"]) == (None, None)


def test_table_is_markdown_with_a_separator_row() -> None:
    assert markdown.table(["a", "b"], [["1", "2"], ["3", "4"]]).splitlines() == [
        "| a | b |",
        "|---|---|",
        "| 1 | 2 |",
        "| 3 | 4 |",
    ]
    assert [markdown.met_mark(value) for value in (True, False, None)] == ["yes", "no", "—"]
    assert report.count_met([{"met": True}, {"met": False}, {"met": None}]) == "1/2"
    assert markdown.calls_text({"DynamoDB_20120810.PutItem": 1.0, "S3.GetObject": 0.5}) == (
        "PutItem 1.00, GetObject 0.50"
    )
    assert markdown.calls_text({}) == "none"
    # A call made once in 2005 invocations still shows.
    assert markdown.calls_text({"AmazonSSM.GetParameter": 1 / 2005}) == "GetParameter 0.0005"


def test_first_response_leaves_interpreter_exit_out() -> None:
    run = ChildRun(
        spawned_at=100.0,
        result={
            "started_at": 100.02,
            "responded_at": 100.5,
            "import_s": 0.4,
            "first_invoke_s": 0.05,
            "gc_s": 0.01,
        },
        stderr="",
    )
    figures = coldstart.first_response(run)
    assert figures["first_response_s"] == pytest.approx(0.5)
    assert figures["start_s"] == pytest.approx(0.02)
    assert (figures["import_s"], figures["first_invoke_s"], figures["gc_s"]) == (0.4, 0.05, 0.01)
    # A child whose clock is not the parent's cannot be timed against the spawn.
    with pytest.raises(BenchError, match="not one clock"):
        coldstart.first_response(replace(run, spawned_at=200.0))


def _split(first_response: float) -> dict[str, float]:
    return {
        "first_response_s": first_response,
        "start_s": 0.02,
        "import_s": first_response - 0.07,
        "first_invoke_s": 0.05,
        "gc_s": 0.01,
    }


def _cold() -> dict[str, Any]:
    seconds = {"sqs": 0.5, "http-api": 0.95, "bare": 0.05, "standard": 0.8, "typical": 1.0}
    return report.cold_figures(
        {
            "bytecode": {name: [_split(value)] for name, value in seconds.items()},
            "no_bytecode": {name: [_split(value * 1.5)] for name, value in seconds.items()},
        },
        BASELINES,
    )


def test_cold_figures_judge_bytecode_and_report_no_bytecode() -> None:
    cold = _cold()
    assert cold["sqs"]["ratio_typical"] == 0.5
    assert cold["sqs"]["target"] == report.COLD_RATIO_TARGET == 0.9
    assert (cold["sqs"]["met"], cold["http-api"]["met"], cold["typical"]["met"]) == (
        True,
        False,
        None,
    )
    assert cold["sqs"]["no_bytecode"]["median"] == 0.75
    assert cold["sqs"]["no_bytecode"]["ratio_typical"] == 0.5
    assert "target" not in cold["sqs"]["no_bytecode"]
    assert cold["sqs"]["child_splits_s"] == [_split(0.5)]


def test_snapstart_figures_are_judged_against_typicals_cold_start() -> None:
    def runs(seconds: float) -> list[dict[str, Any]]:
        return [
            {
                "after_snapshot_s": seconds,
                "after_restore_hooks_s": 0.001,
                "first_invoke_s": seconds - 0.001,
                "before_snapshot_hooks": 1,
                "after_restore_hooks": 2,
            }
        ]

    figures = report.snapstart_figures(
        {"sqs": runs(0.04), "s3": runs(0.06), "typical": runs(0.01)},
        {"bare": 0.02, "standard": 0.8, "typical": 1.0},
        BASELINES,
    )
    assert figures["sqs"]["ratio_typical_cold"] == 0.04
    assert figures["sqs"]["ratio_standard_cold"] == pytest.approx(0.05)
    assert figures["sqs"]["ratio_bare_cold"] == 2.0
    assert (figures["sqs"]["met"], figures["s3"]["met"], figures["typical"]["met"]) == (
        True,
        False,
        None,
    )
    assert figures["sqs"]["target"] == report.SNAPSTART_RATIO_TARGET == 0.05
    assert (figures["sqs"]["before_snapshot_hooks"], figures["sqs"]["after_restore_hooks"]) == (
        1,
        2,
    )


def test_warm_targets_follow_idempotency() -> None:
    off = "sqs" + report.IDEMPOTENCY_OFF
    warm = report.warm_figures(
        {
            "sqs": [1900.0],
            off: [1100.0],
            "http-api": [300.0],
            "typical": [1000.0],
            "standard": [1500.0],
            "bare": [2.0],
        },
        {"sqs": True, off: False, "http-api": None},
        {"sqs": {"DynamoDB_20120810.PutItem": 1.0}},
        BASELINES,
    )
    assert (warm["sqs"]["target"], warm["sqs"]["met"]) == (2.0, True)
    assert (warm[off]["target"], warm[off]["met"]) == (1.0, False)
    assert (warm["http-api"]["target"], warm["http-api"]["met"]) == (1.0, True)
    assert warm["typical"]["target"] is None
    assert (warm["sqs"]["idempotency"], warm[off]["idempotency"]) == (True, False)
    assert warm["sqs"]["aws_calls"] == {"DynamoDB_20120810.PutItem": 1.0}
    assert warm["http-api"]["aws_calls"] == {}


def _results(snapstart: dict[str, Any]) -> dict[str, Any]:
    off = "sqs" + report.IDEMPOTENCY_OFF
    return {
        "meta": {
            "date": "2026-01-01 00:00 UTC",
            "cpu": "cpu",
            "cores": 2,
            "os": "Linux",
            "python": "3.13.0",
            "runtime_python": "3.13.0",
            "mode": "quick",
            "runs": {"cold_start": 2},
            "template_commit": "abc",
            "copier_version": "copier 9.19.1",
            "load_average": "0.10 / 0.20",
        },
        "baselines": list(BASELINES),
        "cold_start": _cold(),
        "snapstart": snapstart,
        "import_cost": {
            "sqs": {
                **importcost.aggregate(importcost.parse(IMPORTTIME, mark=None), {"orders"}),
                "slowest": importcost.slowest(importcost.parse(IMPORTTIME, mark=None), {"orders"}),
            },
            "typical": importcost.aggregate(importcost.parse(IMPORTTIME, mark=None), set()),
        },
        "warm": report.warm_figures(
            {
                "sqs": [2500.0],
                off: [900.0],
                "bare": [5.0],
                "standard": [2000.0],
                "typical": [1000.0],
            },
            {"sqs": True, off: False},
            {
                "sqs": {"DynamoDB_20120810.PutItem": 1.0, "DynamoDB_20120810.UpdateItem": 1.0},
                "typical": {"DynamoDB_20120810.PutItem": 1.0},
            },
            BASELINES,
        ),
        "warm_wall": report.compare(
            {"sqs": [3000.0], "bare": [5.0], "standard": [2500.0], "typical": [1500.0]},
            BASELINES,
            {},
        ),
        "package": {
            "sqs": {
                "function_zip_bytes": 60 * 1024,
                "function_met": False,
                "function_largest": {"orders/handler.py": 40 * 1024, "orders/models.py": 1024},
                "layer_zip_bytes": 9 * 2**20,
                "layer_zip_bytes_no_bytecode": 6 * 2**20,
                "layer_built_by": "layer/Makefile",
                "layer_bytecode_files": 1200,
                "layer_met": False,
                "layer_package_bytes": {"pydantic_core": 2 * 2**20, "botocore": 5 * 2**20},
                "botocore_in_layer": True,
                "layer_packages": ["botocore", "pydantic"],
            }
        },
        "render": {
            "copier_copy": report.summarize([3.0]),
            "copier_version": report.summarize([1.0]),
            "ratio": 3.0,
        },
        "project_test": {"skipped": "quick mode"},
    }


def test_report_has_every_figure_its_target_and_the_reasons_for_misses(tmp_path: Path) -> None:
    restore = [
        {
            "after_snapshot_s": 0.08,
            "after_restore_hooks_s": 0.03,
            "first_invoke_s": 0.05,
            "before_snapshot_hooks": 0,
            "after_restore_hooks": 1,
        }
    ]
    snapstart = {
        "offered": True,
        "handlers": report.snapstart_figures(
            {"sqs": restore, "typical": restore},
            {"bare": 0.05, "standard": 0.8, "typical": 1.0},
            BASELINES,
        ),
    }
    results = _results(snapstart)
    _, md_path = report.write(results, tmp_path)
    text = md_path.read_text()
    summary = results["summary"]
    assert "cold start ≤ 0.9x typical 1/2" in summary
    assert "SnapStart after snapshot ≤ 0.05x typical cold 0/1" in summary
    assert "warm ≤ 1.0x typical (idempotency off, APIs) 1/1" in summary
    assert "warm ≤ 2.0x typical (idempotency on) 0/1" in summary
    assert "function zip < 50 KB 0/1; layer zip < 8 MB with bytecode 0/1" in summary
    assert "render" not in summary
    # Cold start: first response, its split, the three ratios, the target, the no-bytecode figure.
    assert (
        "| sqs | 500 | 20 | 430 | 50 | 10 | 500 | 500 | 0.500 | 0.625 | 10.0 | ≤ 0.9 x typical"
        " | yes | 750 | 0.500 |"
    ) in text
    assert "| http-api | 950 |" in text
    assert "| *standard* (baseline) | 800 |" in text
    # SnapStart: after the snapshot, its split, hooks, ratios to each baseline's cold start.
    assert (
        "| sqs | 80 | 30 | 50 | 0 / 1 | 80 | 80 | 0.080 | 0.100 | 1.60 | ≤ 0.05 x typical cold"
        " | no |"
    ) in text
    assert (
        "| sqs | on | 2500 | 2500 | 2500 | 2.500 | 1.250 | 500.0 | ≤ 2.0 x typical | no"
        " | PutItem 1.00, UpdateItem 1.00 |"
    ) in text
    assert "| sqs (idempotency off) | off | 900 |" in text
    assert "| 9.00 | 6.00 | 1200 | < 8 MB | no | **yes** | botocore, pydantic |" in text
    assert (
        "| `copier copy --trust --defaults --vcs-ref HEAD` | 3.000 | 3.000 | 3.000 | 3.00 |" in text
    )
    # A reason for each miss, from what was measured.
    missed = results["missed"]
    assert len(missed) == 5, missed
    assert any(line.startswith("cold start of http-api: 950 ms = 0.95x") for line in missed)
    assert any("typical start 20 ms, import 930 ms" in line for line in missed)
    assert any("garbage collection within those two 10 ms" in line for line in missed)
    assert any(
        "SnapStart of sqs" in line
        and "after-restore hooks (1) 30 ms" in line
        and "a warm invocation takes 3.0 ms wall" in line
        for line in missed
    )
    assert any(
        "warm CPU of sqs: 2500 µs" in line
        and "PutItem 1.00, UpdateItem 1.00; typical PutItem 1.00" in line
        for line in missed
    )
    assert any("orders/handler.py 40.0" in line for line in missed)
    assert any("botocore 5.00, pydantic_core 2.00" in line for line in missed)
    assert "- sqs: `pydantic` 0.5, `botocore` 0.4, `json` 0.2," in text
    assert "| orders | " not in text
    # The import-cost table: total, then self / cumulative ms per group.
    assert (
        "| sqs | 1.3 | 0.4 / 0.7 | 0.0 / 0.0 | 0.5 / 0.5 | 0.0 / 0.0 | 0.1 / 0.8 | 0.3 / 0.3 |"
        in (text)
    )
    assert json.loads((tmp_path / "results.json").read_text())["targets"]["layer_zip_bytes"] == (
        8 * 2**20
    )


def test_report_says_snapstart_is_not_offered(tmp_path: Path) -> None:
    results = _results({"offered": False, "note": "copier.yml has no `snapstart` question"})
    _, md_path = report.write(results, tmp_path)
    assert "SnapStart after snapshot ≤ 0.05x typical cold not offered" in results["summary"]
    assert "Not offered: copier.yml has no `snapstart` question" in md_path.read_text()


# Three top-level imports: `orders` (own code) pulls in botocore, which pulls in json; then
# pydantic on its own. Children come before their parent, as -X importtime prints them.
IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |       json.decoder
import time:       200 |        300 |     json
import time:       400 |        700 |   botocore
import time:        50 |        750 | orders
import time:        30 |         30 |   pydantic_core
import time:       500 |        530 | pydantic
import time:        20 |         20 | orders.handler
"""


def test_importtime_lines_parse_after_the_mark_only() -> None:
    text = "import time:        99 |         99 | encodings\n" + IMPORTTIME
    marked = text.replace(
        "import time:       100 |", importcost.IMPORT_MARK + "\nimport time:       100 |", 1
    )
    lines = importcost.parse(marked)
    assert [line.module for line in lines][:2] == ["json.decoder", "json"]
    assert (lines[0].self_us, lines[0].cumulative_us, lines[0].level) == (100, 100, 3)
    assert lines[3] == importcost.ImportLine(50, 750, 0, "orders")
    assert len(importcost.parse(text, mark=None)) == 8
    with pytest.raises(ValueError, match="no 'bench"):
        importcost.parse(text)


def test_import_cost_sums_self_time_by_group_and_outermost_cumulative() -> None:
    figures = importcost.aggregate(importcost.parse(IMPORTTIME, mark=None), {"orders"})
    assert figures["total"]["self_us"] == 1300
    assert figures["own code"] == {"self_us": 70, "cumulative_us": 770}
    assert figures["AWS SDK"] == {"self_us": 400, "cumulative_us": 700}
    assert figures["pydantic"] == {"self_us": 530, "cumulative_us": 530}
    assert figures["stdlib/other"] == {"self_us": 300, "cumulative_us": 300}
    assert figures["Powertools"] == {"self_us": 0, "cumulative_us": 0}
    assert sum(figures[group]["self_us"] for group in importcost.GROUPS) == 1300
    assert importcost.group_of("aws_lambda_powertools.logging", ()) == "Powertools"
    assert importcost.group_of("urllib3.util", ()) == "AWS SDK"
    assert importcost.group_of("typical_handler", {"typical_handler"}) == "own code"
    slowest = importcost.slowest(importcost.parse(IMPORTTIME, mark=None), {"orders"}, count=2)
    assert slowest == [
        {"module": "pydantic", "group": "pydantic", "self_us": 500},
        {"module": "botocore", "group": "AWS SDK", "self_us": 400},
    ]


FAKE_REGISTRY = """\
_before, _after = [], []
def register_before_snapshot(func, *args, **kwargs):
    _before.append((func, args, kwargs))
    return func
def register_after_restore(func, *args, **kwargs):
    _after.append((func, args, kwargs))
    return func
def get_before_snapshot():
    return _before
def get_after_restore():
    return _after
"""

# Succeeds only once both hooks ran, in order, with their arguments.
FAKE_HANDLER = """\
import snapshot_restore_py as hooks
calls = []
hooks.register_before_snapshot(calls.append, "before")
hooks.register_after_restore(lambda tag, suffix: calls.append(tag + suffix), "after", suffix="!")
def lambda_handler(event, context):
    return {"statusCode": 200 if calls == ["before", "after!"] else 500}
"""


def _run_child(tmp_path: Path, mode: str, handler: str = FAKE_HANDLER) -> dict[str, Any]:
    # A stand-in for the runtime's snapshot_restore_py beside the handler in its task root.
    (tmp_path / "snapshot_restore_py.py").write_text(FAKE_REGISTRY)
    (tmp_path / "fake_handler.py").write_text(handler)
    (tmp_path / "event.json").write_text("{}")
    env = {
        "PYTHONPATH": str(tmp_path),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_LAMBDA_FUNCTION_NAME": "f",
        "AWS_REGION": "eu-west-1",
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": "g",
        "AWS_LAMBDA_LOG_STREAM_NAME": "s",
    }
    result_path = tmp_path / f"{mode}.json"
    entry = "fake_handler.lambda_handler"
    command = [sys.executable, "-P", str(CHILD), mode, entry, str(tmp_path / "event.json")]
    subprocess.run([*command, "api", str(result_path)], env=env, check=False)
    result: dict[str, Any] = json.loads(result_path.read_text())
    return result


def test_import_cost_of_several_runs_takes_medians() -> None:
    lines = importcost.parse(IMPORTTIME, mark=None)
    slower = [replace(line, self_us=line.self_us * 3) for line in lines]
    figures = importcost.summarize([lines, slower, lines], {"orders"})
    assert figures["runs"] == 3
    assert figures["total"]["self_us"] == 1300
    assert figures["AWS SDK"] == {"self_us": 400, "cumulative_us": 700}
    assert figures["slowest"][0] == {"module": "pydantic", "group": "pydantic", "self_us": 500}


def test_child_restore_times_the_after_restore_hooks_and_first_event(tmp_path: Path) -> None:
    result = _run_child(tmp_path, "restore")
    assert "error" not in result, result
    assert (result["before_snapshot_hooks"], result["after_restore_hooks"]) == (1, 1)
    assert result["after_snapshot_s"] == pytest.approx(
        result["after_restore_hooks_s"] + result["first_invoke_s"]
    )
    assert not (tmp_path / "__pycache__").exists()


def test_child_cold_reports_timestamps_on_the_monotonic_clock(tmp_path: Path) -> None:
    # Without the hooks run the handler answers 500: reported as a failure, never timed.
    assert "an API response other than 200" in _run_child(tmp_path, "cold")["error"]
    before = time.monotonic()
    result = _run_child(
        tmp_path, "cold", "def lambda_handler(event, context):\n    return {'statusCode': 200}\n"
    )
    after = time.monotonic()
    assert before < result["started_at"] < result["responded_at"] < after
    assert 0 < result["import_s"] + result["first_invoke_s"] < after - before
    assert 0 <= result["gc_s"] <= result["import_s"] + result["first_invoke_s"]
    assert result["gc_collections"] >= 0
    assert not (tmp_path / "__pycache__").exists()


def test_runtime_venvs_strip_the_layers_packages_only() -> None:
    record = (
        "six.py,sha256=x,1\n"
        "six-1.17.0.dist-info/METADATA,sha256=x,1\n"
        "__pycache__/six.cpython-313.pyc,,\n"
        "../../bin/tool,sha256=x,1\n"
        "pkg/sub/mod.py,sha256=x,1\n"
    )
    assert runtime.record_top_levels(record) == {"six.py", "pkg"}
    kept = runtime.runtime_kept(
        ["boto3", "botocore", "jmespath", "pydantic", "snapshot-restore-py"],
        ["boto3", "botocore", "jmespath", "snapshot-restore-py", "six"],
        ["jmespath", "pydantic"],
    )
    assert kept == {"boto3", "botocore", "snapshot-restore-py"}
    assert "snapshot-restore-py==1.0.0" in runtime.RUNTIME_PROVIDED
    assert runtime.COMPILE_COMMAND[-2:] == ("--invalidation-mode", "unchecked-hash")


def test_warm_calls_per_invocation() -> None:
    assert warm.per_invocation({"b": 10, "a": 5}, 5) == {"a": 1.0, "b": 2.0}
    with pytest.raises(ValueError, match="positive"):
        warm.per_invocation({}, 0)


def test_offers_reads_copier_questions(tmp_path: Path) -> None:
    (tmp_path / "copier.yml").write_text("_subdirectory: template\nsnapstart:\n  type: bool\n")
    assert render.offers(tmp_path, "snapstart")
    assert not render.offers(tmp_path, "idempotency")
    assert not render.offers(tmp_path, "_subdirectory")


def test_function_variables_resolve_intrinsics_to_dev_literals() -> None:
    spec = function_spec(load_template(TEMPLATE), "orders-dev", "eu-west-1")
    assert spec.handler == "orders.handler.lambda_handler"
    assert (spec.memory_mb, spec.timeout_s) == (256, 30)
    assert (spec.log_format, spec.log_level) == ("JSON", "INFO")
    variables = spec.variables
    assert variables["SHARED"] == "from-globals"
    assert variables["APP_ENVIRONMENT"] == "dev"
    assert variables["CONFIG_PARAMETER_NAME"] == "/orders/dev/config"
    assert variables["TABLE"] == "orders-dev-idempotency"
    assert variables["QUEUE_URL"] == "orders-dev-Queue"
    assert variables["QUEUE_ARN"].startswith("arn:aws:")
    assert variables["STACK"] == "orders-dev-eu-west-1"
    assert variables["JOINED"] == "a-dev"
    assert variables["MODE"] == "relaxed"
    assert (variables["PLAIN"], variables["FLAG"]) == ("300", "true")
    # An intrinsic the resolver does not know still yields the same string every run.
    again = function_spec(load_template(TEMPLATE), "orders-dev", "eu-west-1")
    assert variables["MAPPED"] == again.variables["MAPPED"]
    assert variables["MAPPED"].startswith("orders-dev-findinmap-")


def test_lambda_environment_points_aws_at_the_stub(tmp_path: Path) -> None:
    spec = function_spec(load_template(TEMPLATE), "orders-dev", "eu-west-1")
    env = lambda_environment(
        function_name="orders-dev",
        spec=spec,
        region="eu-west-1",
        task_root=tmp_path,
        endpoint_url="http://127.0.0.1:9",
        xray_port=2000,
        python_version="3.13",
    )
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert env["PYTHONPATH"] == env["LAMBDA_TASK_ROOT"] == str(tmp_path)
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.13"
    assert env["AWS_XRAY_DAEMON_ADDRESS"] == "127.0.0.1:2000"
    assert "Sampled=1" in env["_X_AMZN_TRACE_ID"]
    assert env["AWS_LAMBDA_LOG_LEVEL"] == "INFO"
    assert env["CONFIG_PARAMETER_NAME"] == "/orders/dev/config"


def test_project_requirements_take_powertools_from_dev_when_the_layer_provides_it(
    tmp_path: Path,
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\ndependencies = ["pydantic>=2.11,<3"]\n'
        '[dependency-groups]\ndev = ["pytest", "aws-lambda-powertools[tracer]==3.37.0"]\n'
    )
    assert runtime.project_requirements(pyproject) == [
        "pydantic>=2.11,<3",
        "aws-lambda-powertools[tracer]==3.37.0",
    ]
    assert runtime.requirement_name("Aws_Lambda.Powertools[tracer]>=3") == "aws-lambda-powertools"


def test_triggers_come_from_copier_yml() -> None:
    names = triggers(ROOT)
    assert len(names) == 10
    assert names[0] == "sqs"
    assert {"s3", "function-url", "dynamodb-stream"} <= set(names)


def test_zips_leave_bytecode_out_and_list_top_level_packages(tmp_path: Path) -> None:
    site = tmp_path / "python"
    for relative in ("pkg/__init__.py", "pkg/__pycache__/x.pyc", "mod.py", "pkg-1.0.dist-info/M"):
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text("x = 1\n")
    size = package.zip_tree(tmp_path, tmp_path.parent / "out.zip")
    assert size > 0
    with zipfile.ZipFile(tmp_path.parent / "out.zip") as bundle:
        assert "python/pkg/__pycache__/x.pyc" not in bundle.namelist()
        assert "python/pkg/__init__.py" in bundle.namelist()
    assert package.top_level_packages(site) == ["mod", "pkg"]
    with_bytecode = tmp_path.parent / "with.zip"
    package.zip_tree(tmp_path, with_bytecode, bytecode=True)
    sizes = package.compressed_sizes(with_bytecode, depth=2)
    assert set(sizes) == {"python/pkg", "python/mod.py", "python/pkg-1.0.dist-info"}
    assert list(sizes.values()) == sorted(sizes.values(), reverse=True)
    assert "python/pkg/__pycache__/x.pyc" in package.compressed_sizes(with_bytecode)


@pytest.fixture
def stub_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    server = stub.ThreadedStub()
    endpoint = server.start()
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }.items():
        monkeypatch.setenv(name, value)
    yield endpoint
    server.stop()


@pytest.mark.usefixtures("stub_endpoint")
def test_stub_answers_the_calls_the_functions_make() -> None:
    parameter = boto3.client("ssm").get_parameter(Name="/orders/dev/config")["Parameter"]
    assert json.loads(parameter["Value"]) == {"review_threshold": "1000.00"}
    dynamodb = boto3.client("dynamodb")
    dynamodb.put_item(TableName="t", Item={"id": {"S": "1"}})
    dynamodb.update_item(TableName="t", Key={"id": {"S": "1"}})
    assert "Item" not in dynamodb.get_item(TableName="t", Key={"id": {"S": "1"}})
    got = boto3.client("s3").get_object(Bucket="orders", Key="incoming/ord-1001.json")
    body = got["Body"].read()
    assert got["ContentLength"] == len(body)
    assert json.loads(body)["order_id"] == "ord-1001"


def test_stub_counts_the_calls_it_answers(stub_endpoint: str) -> None:
    warm.take_calls(stub_endpoint)
    dynamodb = boto3.client("dynamodb")
    for _ in range(2):
        dynamodb.put_item(
            TableName="t", Item={"id": {"S": "1"}}, ConditionExpression="attribute_not_exists(id)"
        )
    boto3.client("s3").get_object(Bucket="orders", Key="incoming/ord-1001.json")
    assert warm.take_calls(stub_endpoint) == {
        "DynamoDB_20120810.PutItem": 2,
        "S3.GetObject": 1,
    }
    # Taking the counts starts them afresh; the request that takes them is not counted.
    assert warm.take_calls(stub_endpoint) == {}
    # A call the stub cannot answer still counts: it was made.
    with pytest.raises(ClientError):
        boto3.client("sqs").send_message(QueueUrl="https://queue", MessageBody="x")
    assert warm.take_calls(stub_endpoint) == {"AmazonSQS.SendMessage": 1}


@pytest.mark.usefixtures("stub_endpoint")
def test_stub_names_a_call_it_cannot_answer() -> None:
    with pytest.raises(ClientError, match=r"AmazonSQS\.SendMessage"):
        boto3.client("sqs").send_message(QueueUrl="https://queue", MessageBody="x")
    with pytest.raises(ClientError, match="PUT /orders/key"):
        boto3.client("s3").put_object(Bucket="orders", Key="key", Body=b"x")


@pytest.mark.slow
def test_quick_mode_measures_every_trigger_and_baseline(tmp_path: Path) -> None:
    out = tmp_path / "results"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--quick",
            "--out",
            str(out),
            "--workdir",
            str(tmp_path / "work"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    results = json.loads((out / "results.json").read_text())
    names = triggers(ROOT)
    baselines = ["bare", "standard", "typical"]
    handlers = [*names, *baselines]
    off = [name + report.IDEMPOTENCY_OFF for name in results["variants"]["idempotency_off"]]
    assert results["triggers"] == names
    assert results["baselines"] == baselines
    # Every trigger with the idempotency question is measured warm without it too.
    assert {"sqs", "kinesis", "s3"} <= set(results["variants"]["idempotency_off"])
    assert not {"http-api", "rest-api", "function-url"} & set(
        results["variants"]["idempotency_off"]
    )
    for measure, names_measured in (
        ("cold_start", handlers),
        ("warm", [*handlers, *off]),
        ("warm_wall", [*handlers, *off]),
    ):
        assert sorted(results[measure]) == sorted(names_measured)
        for name in names_measured:
            assert results[measure][name]["median"] > 0, (measure, name)
            assert all(sample > 0 for sample in results[measure][name]["samples"])
    for name in handlers:
        assert results["cold_start"][name]["no_bytecode"]["median"] > 0, name
    assert results["warm"]["typical"]["aws_calls"] == {"DynamoDB_20120810.PutItem": 1.0}
    snapstart = results["snapstart"]
    if snapstart["offered"]:
        assert sorted(snapstart["handlers"]) == sorted(handlers)
        assert all(entry["median"] > 0 for entry in snapstart["handlers"].values())
    assert sorted(results["import_cost"]) == ["bare", "sqs", "standard", "typical"]
    assert results["import_cost"]["sqs"]["own code"]["self_us"] > 0
    assert results["import_cost"]["typical"]["X-Ray SDK"]["self_us"] > 0
    for name in names:
        assert results["package"][name]["function_zip_bytes"] > 0
        layer = results["package"][name]
        assert layer["layer_zip_bytes"] > layer["layer_zip_bytes_no_bytecode"] > 0
        assert layer["layer_packages"]
    assert results["render"]["copier_copy"]["median"] > 0
    assert results["render"]["copier_version"]["median"] > 0
    assert "skipped" in results["project_test"]
    markdown_text = (out / "results.md").read_text()
    for name in names:
        # The cold-start, warm CPU, warm wall and artefacts tables each have a row for it, the
        # SnapStart table too when offered, and the import-cost table for sqs.
        rows = 4 + snapstart["offered"] + (name == "sqs")
        assert markdown_text.count(f"\n| {name} |") == rows, name
