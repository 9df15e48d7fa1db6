"""The benchmark harness: its pure pieces, its AWS stub, and (slow) quick mode end to end.

No test here asserts a timing target: figures are noisy, and a missed target is a finding, not a
broken harness.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from benchmarks import package, report, runtime, stub
from benchmarks.environment import function_spec, lambda_environment, load_template
from benchmarks.render import triggers

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


def test_compare_judges_handlers_against_typical_only() -> None:
    figures = report.compare(
        {"sqs": [2.0, 2.0], "api": [5.0], "bare": [1.0], "typical": [10.0]},
        ("bare", "typical"),
        0.25,
    )
    assert figures["sqs"]["ratio_typical"] == 0.2
    assert figures["sqs"]["ratio_bare"] == 2.0
    assert figures["sqs"]["met"] is True
    assert figures["api"]["met"] is False
    assert figures["typical"]["met"] is None
    assert figures["bare"]["target"] is None
    assert figures["sqs"]["samples"] == [2.0, 2.0]


def test_table_is_markdown_with_a_separator_row() -> None:
    assert report.table(["a", "b"], [["1", "2"], ["3", "4"]]).splitlines() == [
        "| a | b |",
        "|---|---|",
        "| 1 | 2 |",
        "| 3 | 4 |",
    ]
    assert [report.met_mark(value) for value in (True, False, None)] == ["yes", "no", "—"]
    assert report.count_met([{"met": True}, {"met": False}, {"met": None}]) == "1/2"


def test_markdown_has_a_row_per_handler_and_the_summary() -> None:
    cold = report.compare(
        {"sqs": [0.2, 0.3], "bare": [0.05], "typical": [1.0]}, ("bare", "typical"), 0.25
    )
    for entry in cold.values():
        entry["child_splits_s"] = [{"import_s": 0.1, "first_invoke_s": 0.05}]
    results = {
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
        "baselines": ["bare", "typical"],
        "cold_start": cold,
        "warm": report.compare(
            {"sqs": [900.0], "bare": [5.0], "typical": [1000.0]}, ("bare", "typical"), 0.5
        ),
        "package": {
            "sqs": {
                "function_zip_bytes": 6000,
                "function_met": True,
                "layer_zip_bytes": 20_000_000,
                "layer_met": False,
                "botocore_in_layer": True,
                "layer_packages": ["botocore", "pydantic"],
            }
        },
        "render": {
            "copier_copy": report.summarize([3.0]),
            "copier_version": report.summarize([1.0]),
            "ratio": 3.0,
            "met": False,
        },
        "project_test": {"skipped": "quick mode"},
    }
    results["summary"] = report.summary_line(results)
    markdown = report.render_markdown(results)
    assert "cold start ≤ 0.25x typical 1/1; warm ≤ 0.5x typical 0/1" in results["summary"]
    assert "function zip < 50 KB 1/1; layer zip < 5 MB 0/1" in results["summary"]
    assert "| sqs | 250 | 100 | 50 | 200 | 300 | 0.250 | 5.0 | ≤ 0.25 x typical | yes |" in markdown
    assert "| sqs | 900 | 900 | 900 | 0.900 | 180.0 | ≤ 0.5 x typical | no |" in markdown
    assert "| *typical* (baseline) |" in markdown
    assert "**yes** | botocore, pydantic |" in markdown
    assert "Skipped: quick mode." in markdown


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
    handlers = [*names, "bare", "typical"]
    assert results["triggers"] == names
    assert results["baselines"] == ["bare", "typical"]
    for measure in ("cold_start", "warm", "warm_wall"):
        assert sorted(results[measure]) == sorted(handlers)
        for name in handlers:
            assert results[measure][name]["median"] > 0, (measure, name)
            assert all(sample > 0 for sample in results[measure][name]["samples"])
    for name in names:
        assert results["package"][name]["function_zip_bytes"] > 0
        assert results["package"][name]["layer_zip_bytes"] > 0
        assert results["package"][name]["layer_packages"]
    assert results["render"]["copier_copy"]["median"] > 0
    assert results["render"]["copier_version"]["median"] > 0
    assert "skipped" in results["project_test"]
    markdown = (out / "results.md").read_text()
    for name in names:
        # The cold-start, artefacts, warm CPU and warm wall tables each have a row for it.
        assert markdown.count(f"\n| {name} |") == 4, name
