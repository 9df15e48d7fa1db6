"""What each answer turns into: asserted on the parsed stack, answers and pyproject.toml."""

from __future__ import annotations

import filecmp
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.answer_sets import ANSWER_SETS
from tests.conftest import answer_set_params, render
from tests.rendered import requirements
from tests.stack import function as _function
from tests.stack import stack as _stack


@pytest.mark.parametrize("rendered", answer_set_params("defaults"), indirect=True)
class TestDefaults:
    def test_function_runs_python_313_on_arm64(self, rendered: Path) -> None:
        function = _function(rendered)
        assert (function["Runtime"], function["Architectures"]) == ("python3.13", ["arm64"])

    def test_sizing_and_concurrency_defaults(self, rendered: Path) -> None:
        # Nothing reserved of the account's pool; the poller caps the function at 10 instead.
        function = _function(rendered)
        assert (function["MemorySize"], function["Timeout"]) == (512, 30)
        assert "ReservedConcurrentExecutions" not in function
        scaling = function["Events"]["Queue"]["Properties"]["ScalingConfig"]
        assert scaling == {"MaximumConcurrency": 10}

    def test_canary_deployment_behind_live_alias(self, rendered: Path) -> None:
        function = _function(rendered)
        assert function["AutoPublishAlias"] == "live"
        assert function["DeploymentPreference"]["Type"] == "Canary10Percent5Minutes"

    def test_queues_use_aws_managed_sqs_key(self, rendered: Path) -> None:
        resources = _stack(rendered)["Resources"]
        for queue in ("SourceQueue", "DeadLetterQueue"):
            assert resources[queue]["Properties"]["KmsMasterKeyId"] == "alias/aws/sqs"
        assert "KmsKeyArn" not in _function(rendered)

    def test_no_vpc_and_no_email_subscription(self, rendered: Path) -> None:
        stack = _stack(rendered)
        assert "VpcConfig" not in _function(rendered)
        assert "SubnetIds" not in stack["Parameters"]
        assert "AlarmEmailSubscription" not in stack["Resources"]

    def test_the_dependency_layer_is_the_only_layer(self, rendered: Path) -> None:
        assert _function(rendered)["Layers"] == [{"Ref": "DependencyLayer"}]

    def test_powertools_is_a_pinned_runtime_dependency_without_extras(self, rendered: Path) -> None:
        # `make build` exports the runtime dependencies into the dependency layer. Without the
        # [tracer] extra: aws-xray-sdk would drag botocore into the layer.
        powertools = requirements(rendered)["aws-lambda-powertools"]
        assert [spec.operator for spec in powertools.specifier] == ["=="]
        assert not powertools.extras

    def test_answers_file_records_the_answers(self, rendered: Path) -> None:
        answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text())
        assert answers["trigger"] == "sqs"
        assert answers["package_name"] == "order_processor"
        assert "trigger_family" not in answers  # derived values are recomputed on update


@pytest.mark.parametrize("rendered", answer_set_params("custom"), indirect=True)
class TestCustom:
    def test_function_runs_python_312_on_x86(self, rendered: Path) -> None:
        function = _function(rendered)
        assert (function["Runtime"], function["Architectures"]) == ("python3.12", ["x86_64"])
        assert (rendered / ".python-version").read_text().strip() == "3.12"

    def test_names_derive_from_the_project_name(self, rendered: Path) -> None:
        assert (rendered / "src" / "invoice_ingest" / "handler.py").is_file()
        assert _function(rendered)["Handler"] == "invoice_ingest.handler.lambda_handler"

    def test_visibility_timeout_is_six_function_timeouts(self, rendered: Path) -> None:
        queue = _stack(rendered)["Resources"]["SourceQueue"]["Properties"]
        assert queue["VisibilityTimeout"] == 6 * 120

    def test_the_poller_is_capped_at_the_reserved_concurrency(self, rendered: Path) -> None:
        function = _function(rendered)
        assert function["ReservedConcurrentExecutions"] == 25
        scaling = function["Events"]["Queue"]["Properties"]["ScalingConfig"]
        assert scaling == {"MaximumConcurrency": 25}

    def test_dev_reserves_nothing_and_its_poller_is_capped_at_the_unreserved_sizing(
        self, rendered: Path
    ) -> None:
        # dev_sizing: dev_reserved_concurrency 0, dev_memory_size 256 (tests/answer_sets.py).
        function = _function(rendered, "dev")
        assert (function["MemorySize"], "ReservedConcurrentExecutions" in function) == (256, False)
        scaling = function["Events"]["Queue"]["Properties"]["ScalingConfig"]
        assert scaling == {"MaximumConcurrency": 10}

    def test_linear_deployment(self, rendered: Path) -> None:
        preference = _function(rendered)["DeploymentPreference"]
        assert preference["Type"] == "Linear10PercentEvery1Minute"

    def test_customer_managed_key_encrypts_everything(self, rendered: Path) -> None:
        resources = _stack(rendered)["Resources"]
        key_ref = {"Ref": "EncryptionKey"}
        assert resources["SourceQueue"]["Properties"]["KmsMasterKeyId"] == key_ref
        assert resources["DeadLetterQueue"]["Properties"]["KmsMasterKeyId"] == key_ref
        assert resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == key_ref
        assert "KmsKeyId" in resources["FunctionLogGroup"]["Properties"]
        assert _function(rendered)["KmsKeyArn"] == {"Fn::GetAtt": ["EncryptionKey", "Arn"]}

    def test_vpc_subnets_and_security_groups_are_parameters(self, rendered: Path) -> None:
        stack = _stack(rendered)
        assert stack["Parameters"]["SubnetIds"]["Type"] == "List<AWS::EC2::Subnet::Id>"
        assert _function(rendered)["VpcConfig"] == {
            "SubnetIds": {"Ref": "SubnetIds"},
            "SecurityGroupIds": {"Ref": "SecurityGroupIds"},
        }

    def test_alarm_email_is_subscribed(self, rendered: Path) -> None:
        subscription = _stack(rendered)["Resources"]["AlarmEmailSubscription"]["Properties"]
        assert subscription["Endpoint"] == "oncall@example.com"

    def test_log_retention(self, rendered: Path) -> None:
        log_group = _stack(rendered)["Resources"]["FunctionLogGroup"]["Properties"]
        assert log_group["RetentionInDays"] == 365

    def test_powertools_comes_from_the_managed_layer(self, rendered: Path) -> None:
        layers = _function(rendered)["Layers"]
        assert "AWSLambdaPowertoolsPythonV3-python312-x86_64:" in str(layers[1])

    def test_powertools_is_not_packaged_but_pinned_for_development(self, rendered: Path) -> None:
        assert "aws-lambda-powertools" not in requirements(rendered)
        powertools = requirements(rendered, "dev")["aws-lambda-powertools"]
        assert [spec.operator for spec in powertools.specifier] == ["=="]


ANSWERS_FILE = ".copier-answers.yml"


def _without_commit(project: Path) -> dict[str, Any]:
    # copier commits a dirty template afresh for every render, so `_commit` differs only while
    # the template has uncommitted changes; every other byte must match.
    answers: dict[str, Any] = yaml.safe_load((project / ANSWERS_FILE).read_text())
    answers.pop("_commit", None)
    return answers


@pytest.mark.parametrize("name", list(ANSWER_SETS))
def test_rendering_twice_gives_identical_trees(name: str, tmp_path: Path) -> None:
    first = render(tmp_path / "first", ANSWER_SETS[name])
    second = render(tmp_path / "second", ANSWER_SETS[name])
    comparison = filecmp.dircmp(first, second)
    stack = [comparison]
    while stack:
        current = stack.pop()
        assert not current.left_only, current.left_only
        assert not current.right_only, current.right_only
        _, mismatch, errors = filecmp.cmpfiles(
            current.left, current.right, current.common_files, shallow=False
        )
        if Path(current.left) == first and ANSWERS_FILE in mismatch:
            mismatch.remove(ANSWERS_FILE)
            assert _without_commit(first) == _without_commit(second)
        assert not mismatch, (current.left, mismatch)
        assert not errors, (current.left, errors)
        stack.extend(current.subdirs.values())


@pytest.mark.parametrize("rendered", answer_set_params("limits"), indirect=True)
class TestLimits:
    def test_function_runs_python_314_with_the_largest_sizes(self, rendered: Path) -> None:
        function = _function(rendered)
        assert function["Runtime"] == "python3.14"
        assert (function["MemorySize"], function["Timeout"]) == (10240, 900)

    def test_visibility_timeout_for_the_longest_function_timeout(self, rendered: Path) -> None:
        queue = _stack(rendered)["Resources"]["SourceQueue"]["Properties"]
        assert queue["VisibilityTimeout"] == 5400  # SQS allows up to 43200

    def test_all_at_once_deployment_still_rolls_back_on_alarms(self, rendered: Path) -> None:
        preference = _function(rendered)["DeploymentPreference"]
        assert preference["Type"] == "AllAtOnce"
        assert preference["Alarms"]

    def test_reserved_concurrency_of_two_caps_the_poller(self, rendered: Path) -> None:
        queue_event = _function(rendered)["Events"]["Queue"]["Properties"]
        assert queue_event["ScalingConfig"] == {"MaximumConcurrency": 2}

    def test_vpc_role_can_manage_network_interfaces(self, rendered: Path) -> None:
        role = _stack(rendered)["Resources"]["FunctionRole"]["Properties"]
        statements = role["Policies"][0]["PolicyDocument"]["Statement"]
        sids = {statement["Sid"] for statement in statements}
        assert "ManageVpcNetworkInterfaces" in sids
        assert "DecryptMessagesAndEnvironment" not in sids  # AWS-managed keys need no grant


def test_a_dev_answer_that_sizes_nothing_of_the_trigger_changes_nothing(tmp_path: Path) -> None:
    # cookiecutter asks every question: a dev batch size for sns, which has no batches, and dev
    # memory and reservation equal to prod's, render the stack and its docs as no dev sizing does.
    plain = render(tmp_path / "plain", {"trigger": "sns"})
    sized = render(
        tmp_path / "sized",
        {"trigger": "sns", "dev_sizing": True, "dev_memory_size": 512, "dev_batch_size": 5},
    )
    for name in ("template.yaml", "README.md", "docs/runbook.md", "tests/unit/test_stack.py"):
        assert (sized / name).read_text() == (plain / name).read_text(), name
