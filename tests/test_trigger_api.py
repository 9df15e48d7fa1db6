"""What the API triggers (http-api, rest-api, function-url) turn into: asserted on the parsed
stack and events, and on what the rendered handler does when run. The rendered repos' own checks
run in test_rendered_checks.py.

That every alarm links to an entry of the runbook is proven for each answer set by the rendered
`tests/unit/test_stack.py::test_every_alarm_has_a_runbook_entry`, and that the links and entries
are those of the last release by tests/test_stack_baseline.py; the README is checked here only
for the commands a user runs.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import answer_set_params, render, run
from tests.rendered import assert_rendered_test_passes, conftest_environment, invoke, run_python
from tests.stack import function as _function
from tests.stack import resources as _resources
from tests.stack import stack as _stack

API_SETS = (
    "http-api",
    "http-api-jwt",
    "http-api-cors",
    "rest-api",
    "function-url",
    "function-url-public",
)


def _answers(project: Path) -> dict[str, Any]:
    answers: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return answers


def _event(project: Path, name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((project / "events" / name).read_text())
    return event


def _body(event: dict[str, Any]) -> dict[str, Any]:
    raw = event["body"]
    order: dict[str, Any] = json.loads(base64.b64decode(raw) if event["isBase64Encoded"] else raw)
    return order


def _alarm_metrics(project: Path) -> dict[str, dict[str, Any]]:
    return {
        alarm["Properties"]["MetricName"]: alarm["Properties"]
        for alarm in _resources(project).values()
        if alarm["Type"] == "AWS::CloudWatch::Alarm" and "MetricName" in alarm["Properties"]
    }


def _checkov_skips(resource: dict[str, Any]) -> dict[str, str]:
    skips = resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    return {skip["id"]: skip["comment"] for skip in skips}


def _readme_commands(project: Path) -> list[str]:
    """The shell blocks of the README, a continued line joined: what a user copies and runs."""
    blocks = re.findall(r"^```sh\n(.*?)^```$", (project / "README.md").read_text(), re.M | re.S)
    return [command for block in blocks for command in block.replace("\\\n", "").splitlines()]


# Run in the rendered project: what importing the handler, as a cold start does, loads.
_IMPORTED_BY_THE_HANDLER = """
import json, sys
import {module}
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("rendered", answer_set_params(*API_SETS), indirect=True)
class TestEveryApiTrigger:
    def test_post_orders_in_the_trigger_s_payload_format_is_answered_with_the_priced_order(
        self, rendered: Path
    ) -> None:
        # The trigger's own event (its payload format: see the event shape tests below).
        assert_rendered_test_passes(
            rendered,
            "tests/unit/test_handler.py::test_valid_order_is_answered_200_with_the_priced_order",
        )

    def test_invalid_order_is_answered_422_naming_the_field(self, rendered: Path) -> None:
        response = invoke(rendered, f"{_answers(rendered)['trigger']}_poison.json").response
        assert response["statusCode"] == 422
        errors = json.loads(response["body"])["errors"]
        assert "items.0.quantity" in [error["field"] for error in errors]

    def test_powertools_resolver_routes_and_the_home_made_router_is_gone(
        self, rendered: Path
    ) -> None:
        module = _function(rendered)["Handler"].rpartition(".")[0]
        result = run_python(rendered, _IMPORTED_BY_THE_HANDLER.format(module=module))
        assert result.returncode == 0, result.stderr
        imported = json.loads(result.stdout)
        assert "aws_lambda_powertools.event_handler" in imported
        assert not list(rendered.glob("src/*/web.py"))

    def test_bad_input_and_unknown_routes_are_4xx_with_the_request_id(self, rendered: Path) -> None:
        for test in (
            "test_invalid_order_is_answered_422_naming_the_field_and_the_request_id",
            "test_malformed_json_is_answered_400_not_500",
            "test_body_marked_base64_that_is_not_is_answered_400",
            "test_non_json_content_type_is_answered_415",
            "test_unknown_route_is_answered_404_json",
            "test_rejection_is_logged_and_counted",
        ):
            assert_rendered_test_passes(rendered, f"tests/unit/test_handler.py::{test}")

    def test_committed_openapi_json_lists_the_routes_and_is_current(self, rendered: Path) -> None:
        assert assert_rendered_test_passes(rendered, "tests/unit/test_openapi.py") == 3
        paths = json.loads((rendered / "openapi.json").read_text())["paths"]
        assert set(paths) == {"/orders", "/health"}

    def test_make_openapi_writes_the_committed_document(self, rendered: Path) -> None:
        committed = (rendered / "openapi.json").read_text()
        (rendered / "openapi.json").write_text("{}\n")
        try:
            makefile = (rendered / "Makefile").read_text()
            [script] = re.findall(r"^openapi:.*\n\t\$\(RUN\) python (.+)$", makefile, re.M)
            result = run([sys.executable, script], rendered)
            assert result.returncode == 0, result.stderr
            assert (rendered / "openapi.json").read_text() == committed
        finally:
            (rendered / "openapi.json").write_text(committed)

    def test_no_idempotency_table_for_a_synchronous_trigger(self, rendered: Path) -> None:
        assert "IdempotencyTable" not in _resources(rendered)
        assert "IDEMPOTENCY_TABLE_NAME" not in _function(rendered)["Environment"]["Variables"]

    def test_no_idempotency_module_is_rendered(self, rendered: Path) -> None:
        assert not list(rendered.glob("src/*/idempotency.py"))

    def test_rendered_tests_set_no_idempotency_environment(self, rendered: Path) -> None:
        environment = conftest_environment(rendered)
        assert "POWERTOOLS_SERVICE_NAME" in environment  # the conftest's environment was read
        assert not [name for name in environment if name.startswith("IDEMPOTENCY_")]

    def test_events_carry_a_valid_and_an_invalid_order_for_post_orders(
        self, rendered: Path
    ) -> None:
        trigger = _answers(rendered)["trigger"]
        valid, poison = (
            _event(rendered, f"{trigger}.json"),
            _event(rendered, f"{trigger}_poison.json"),
        )
        assert _body(valid)["order_id"] == "ord-1001"
        assert _body(poison)["items"][0]["quantity"] < 0
        assert valid.keys() == poison.keys()

    def test_function_dlq_check_is_skipped_with_the_synchronous_reason(
        self, rendered: Path
    ) -> None:
        skips = _checkov_skips(_resources(rendered)["Function"])
        assert "synchronously" in skips["CKV_AWS_116"]

    def test_server_error_latency_and_client_error_alarms_link_their_runbook_entries(
        self, rendered: Path
    ) -> None:
        # That each entry exists: the rendered tests/unit/test_stack.py (module docstring).
        resources = _resources(rendered)
        for logical_id, anchor in [
            ("Api5xxAlarm", "api-server-errors"),
            ("ApiLatencyAlarm", "api-latency"),
            ("Api4xxRateAlarm", "api-client-error-rate"),
        ]:
            assert f"runbook.md#{anchor}" in resources[logical_id]["Properties"]["AlarmDescription"]

    def test_client_error_alarm_is_a_rate_not_a_count(self, rendered: Path) -> None:
        alarm = _resources(rendered)["Api4xxRateAlarm"]["Properties"]
        [expression] = [m for m in alarm["Metrics"] if m.get("ReturnData")]
        assert expression["Expression"] == "IF(requests >= 20, 100 * rejected / requests, 0)"
        assert (alarm["Threshold"], alarm["EvaluationPeriods"]) == (10, 3)


@pytest.mark.parametrize("rendered", answer_set_params("http-api"), indirect=True)
class TestHttpApiWithIam:
    def test_iam_authorizer_is_the_default(self, rendered: Path) -> None:
        auth = _resources(rendered)["HttpApi"]["Properties"]["Auth"]
        assert auth == {"EnableIamAuthorizer": True, "DefaultAuthorizer": "AWS_IAM"}

    def test_default_route_sends_every_path_to_the_function(self, rendered: Path) -> None:
        event = _function(rendered)["Events"]["Api"]["Properties"]
        assert event["ApiId"] == {"Ref": "HttpApi"}
        assert "Path" not in event
        assert "Method" not in event

    def test_access_log_format_is_json_naming_the_caller(self, rendered: Path) -> None:
        settings = _resources(rendered)["HttpApi"]["Properties"]["AccessLogSettings"]
        fields = json.loads(settings["Format"])
        assert fields["requestId"] == "$context.requestId"
        assert fields["caller"] == "$context.identity.userArn"

    def test_route_throttling_follows_the_concurrency_it_is_sized_for(self, rendered: Path) -> None:
        settings = _resources(rendered)["HttpApi"]["Properties"]["DefaultRouteSettings"]
        assert settings == {"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 100}

    def test_alarms_watch_the_default_stage(self, rendered: Path) -> None:
        alarms = _alarm_metrics(rendered)
        for metric in ("5xx", "Latency"):
            assert alarms[metric]["Dimensions"] == [
                {"Name": "ApiId", "Value": {"Ref": "HttpApi"}},
                {"Name": "Stage", "Value": "$default"},
            ]
        assert alarms["Latency"]["ExtendedStatistic"] == "p99"
        assert alarms["Latency"]["Threshold"] == 3000

    def test_event_is_the_sam_http_api_proxy_shape(self, rendered: Path) -> None:
        event = _event(rendered, "http-api.json")
        assert (event["version"], event["routeKey"], event["isBase64Encoded"]) == (
            "2.0",
            "$default",
            True,
        )
        assert event["requestContext"]["http"]["method"] == "POST"
        assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/orders"

    def test_readme_calls_the_api_signed_for_execute_api(self, rendered: Path) -> None:
        # A command the user runs: the IAM authorizer answers unsigned calls 403.
        [call] = [c for c in _readme_commands(rendered) if "<ApiUrl>orders" in c]
        region = _answers(rendered)["aws_region"]
        assert call.startswith(f"awscurl --service execute-api --region {region} -X POST")


@pytest.mark.parametrize("rendered", answer_set_params("http-api-jwt"), indirect=True)
class TestHttpApiWithJwt:
    def test_jwt_authorizer_checks_the_chosen_issuer_and_audience(self, rendered: Path) -> None:
        auth = _resources(rendered)["HttpApi"]["Properties"]["Auth"]
        authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]
        assert authorizer["IdentitySource"] == "$request.header.Authorization"
        assert authorizer["JwtConfiguration"] == {
            "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
            "audience": ["orders-web"],
        }

    def test_access_log_is_encrypted_with_the_stack_key(self, rendered: Path) -> None:
        resources = _resources(rendered)
        log_group = resources["ApiAccessLogGroup"]
        assert log_group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["EncryptionKey", "Arn"]}
        assert "Metadata" not in log_group  # nothing to skip with the customer-managed key
        statements = resources["EncryptionKey"]["Properties"]["KeyPolicy"]["Statement"]
        [grant] = [s for s in statements if s["Sid"] == "CloudWatchLogsEncryptsApiAccessLogs"]
        context = grant["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        assert context == {
            "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
            "/aws/apigateway/order-processor-${Environment}/access"
        }

    def test_access_log_names_the_token_subject(self, rendered: Path) -> None:
        settings = _resources(rendered)["HttpApi"]["Properties"]["AccessLogSettings"]
        assert json.loads(settings["Format"])["subject"] == "$context.authorizer.claims.sub"

    def test_the_token_s_subject_reaches_the_logic(self, rendered: Path) -> None:
        # The event's token names the order's customer (200); another subject is refused.
        assert (
            _event(rendered, "http-api.json")["requestContext"]["authorizer"]["jwt"]["claims"][
                "sub"
            ]
            == _body(_event(rendered, "http-api.json"))["customer_id"]
        )
        assert invoke(rendered, "http-api.json").response["statusCode"] == 200
        assert_rendered_test_passes(
            rendered,
            "tests/unit/test_handler.py::"
            "test_token_subject_reaches_the_logic_and_another_customer_s_order_is_403",
        )

    def test_readme_calls_the_api_with_a_bearer_token(self, rendered: Path) -> None:
        # A command the user runs: the JWT authorizer reads the token from this header.
        [call] = [c for c in _readme_commands(rendered) if "<ApiUrl>orders" in c]
        assert call.startswith("curl -X POST")
        assert '-H "Authorization: Bearer $TOKEN"' in call


@pytest.mark.parametrize("rendered", answer_set_params("http-api-cors"), indirect=True)
class TestHttpApiWithCors:
    def test_cors_is_configured_once_on_the_api_for_the_chosen_origins(
        self, rendered: Path
    ) -> None:
        cors = _resources(rendered)["HttpApi"]["Properties"]["CorsConfiguration"]
        assert cors["AllowOrigins"] == ["https://app.example.com", "http://localhost:3000"]
        assert cors["AllowMethods"] == ["GET", "POST"]
        assert cors["MaxAge"] == 600
        # The resolver adds no CORS headers of its own: API Gateway would ignore them.
        assert_rendered_test_passes(
            rendered, "tests/unit/test_handler.py::test_the_function_adds_no_cors_headers"
        )

    def test_preflight_passes_the_iam_authorizer(self, rendered: Path) -> None:
        # A browser never signs its OPTIONS request. With CORS on the API, API Gateway answers
        # it before the IAM authorizer (AWS: "Configuring CORS for an HTTP API"); a SigV4-signing
        # browser client may then send its signature headers.
        api = _resources(rendered)["HttpApi"]["Properties"]
        assert api["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
        allowed = set(api["CorsConfiguration"]["AllowHeaders"])
        assert {"authorization", "x-amz-date", "x-amz-security-token"} <= allowed

    def test_readme_names_the_origins(self, rendered: Path) -> None:
        readme = (rendered / "README.md").read_text()
        assert "https://app.example.com, http://localhost:3000 may call it" in readme


def test_rest_api_cors_is_answered_by_the_resolver_preflight_included(tmp_path: Path) -> None:
    # No answer set has a public REST API: this one is rendered here.
    project = render(
        tmp_path / "project",
        {"trigger": "rest-api", "api_auth": "none", "api_cors_origins": "https://app.example.com"},
    )
    assert "Cors" not in _resources(project)["RestApi"]["Properties"]  # one place: the resolver
    for test in (
        "test_preflight_from_an_allowed_origin_is_answered_by_the_resolver",
        "test_answer_to_an_allowed_origin_carries_cors_headers_and_others_none",
    ):
        assert_rendered_test_passes(project, f"tests/unit/test_handler.py::{test}")


@pytest.mark.parametrize("rendered", answer_set_params("rest-api"), indirect=True)
class TestRestApi:
    def test_regional_traced_and_iam_authorized(self, rendered: Path) -> None:
        api = _resources(rendered)["RestApi"]["Properties"]
        assert api["EndpointConfiguration"] == {"Type": "REGIONAL"}
        assert api["TracingEnabled"] is True
        assert api["Auth"] == {"DefaultAuthorizer": "AWS_IAM", "InvokeRole": "NONE"}
        assert api["StageName"] == {"Ref": "Environment"}

    def test_root_and_proxy_resources_send_every_path_to_the_function(self, rendered: Path) -> None:
        events = _function(rendered)["Events"]
        assert {e["Properties"]["Path"] for e in events.values()} == {"/", "/{proxy+}"}
        assert {e["Properties"]["TimeoutInMillis"] for e in events.values()} == {20000}

    def test_method_settings_throttle_and_log_errors_only(self, rendered: Path) -> None:
        [settings] = _resources(rendered)["RestApi"]["Properties"]["MethodSettings"]
        assert settings["ThrottlingRateLimit"] == settings["ThrottlingBurstLimit"] == 500
        assert settings["LoggingLevel"] == "ERROR"
        assert settings["DataTraceEnabled"] is False

    def test_execution_log_group_exists_with_retention(self, rendered: Path) -> None:
        log_group = _resources(rendered)["ApiExecutionLogGroup"]["Properties"]
        assert log_group["LogGroupName"] == {
            "Fn::Sub": "API-Gateway-Execution-Logs_${RestApi}/${Environment}"
        }
        assert log_group["RetentionInDays"] == 90

    def test_account_logging_role_is_a_parameter_on_by_default(self, rendered: Path) -> None:
        stack = _stack(rendered)
        assert stack["Parameters"]["SetApiGatewayLoggingRole"]["Default"] == "true"
        assert "SetsApiGatewayLoggingRole" in stack["Conditions"]
        for logical_id in ("ApiGatewayLoggingRole", "ApiGatewayAccount"):
            resource = stack["Resources"][logical_id]
            assert resource["Condition"] == "SetsApiGatewayLoggingRole"
            assert resource["DeletionPolicy"] == "RetainExceptOnCreate"

    def test_logging_role_writes_this_account_s_logs_without_wildcard_actions(
        self, rendered: Path
    ) -> None:
        role = _resources(rendered)["ApiGatewayLoggingRole"]["Properties"]
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Service": "apigateway.amazonaws.com"
        }
        [statement] = role["Policies"][0]["PolicyDocument"]["Statement"]
        assert not [action for action in statement["Action"] if "*" in action]
        assert not [action for action in statement["Action"] if ":Get" in action]
        assert statement["Resource"] == {
            "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
        }

    def test_caching_skip_is_explained(self, rendered: Path) -> None:
        skips = _checkov_skips(_resources(rendered)["RestApi"])
        assert "cache" in skips["CKV_AWS_120"]

    def test_alarms_watch_the_api_by_name_and_stage(self, rendered: Path) -> None:
        alarms = _alarm_metrics(rendered)
        for metric in ("5XXError", "Latency"):
            assert alarms[metric]["Dimensions"] == [
                {"Name": "ApiName", "Value": {"Fn::Sub": "order-pricing-api-${Environment}"}},
                {"Name": "Stage", "Value": {"Ref": "Environment"}},
            ]

    def test_event_is_the_sam_aws_proxy_shape(self, rendered: Path) -> None:
        event = _event(rendered, "rest-api.json")
        assert (event["resource"], event["path"], event["httpMethod"]) == (
            "/{proxy+}",
            "/orders",
            "POST",
        )
        assert event["isBase64Encoded"] is True
        assert event["requestContext"]["stage"] == "dev"

    def test_readme_s_override_keeps_an_existing_account_logging_role(self, rendered: Path) -> None:
        # What the user adds to parameter_overrides: it must be a value the stack accepts.
        assert "`SetApiGatewayLoggingRole=false`" in (rendered / "README.md").read_text()
        parameter = _stack(rendered)["Parameters"]["SetApiGatewayLoggingRole"]
        assert "false" in parameter["AllowedValues"]

    def test_readme_calls_the_api_signed_for_execute_api(self, rendered: Path) -> None:
        # A command the user runs: the IAM authorizer answers unsigned calls 403.
        [call] = [c for c in _readme_commands(rendered) if "<ApiUrl>orders" in c]
        region = _answers(rendered)["aws_region"]
        assert call.startswith(f"awscurl --service execute-api --region {region} -X POST")


@pytest.mark.parametrize("rendered", answer_set_params("function-url"), indirect=True)
class TestFunctionUrl:
    def test_url_on_the_live_alias_requires_iam(self, rendered: Path) -> None:
        function = _function(rendered)
        assert function["FunctionUrlConfig"] == {"AuthType": "AWS_IAM", "InvokeMode": "BUFFERED"}
        assert function["AutoPublishAlias"] == "live"
        assert "Events" not in function

    def test_no_api_gateway_and_no_access_log_group(self, rendered: Path) -> None:
        resources = _resources(rendered)
        assert not [r for r in resources.values() if "Api" in r["Type"].split("::")[-1]]
        assert "ApiAccessLogGroup" not in resources

    def test_url_alarms_watch_the_live_alias(self, rendered: Path) -> None:
        alarms = _alarm_metrics(rendered)
        for metric in ("Url5xxCount", "UrlRequestLatency"):
            assert alarms[metric]["Dimensions"] == [
                {"Name": "FunctionName", "Value": {"Ref": "Function"}},
                {"Name": "Resource", "Value": {"Fn::Sub": "${Function}:live"}},
            ]

    def test_event_names_the_signing_principal(self, rendered: Path) -> None:
        event = _event(rendered, "function-url.json")
        assert event["requestContext"]["authorizer"]["iam"]["userArn"].startswith("arn:aws:iam::")
        assert event["isBase64Encoded"] is False

    def test_each_request_leaves_one_request_answered_log_line(self, rendered: Path) -> None:
        # Function URLs keep no access log (no log group above): this line is the request log.
        event = _event(rendered, "function-url.json")
        answered = [
            line
            for line in invoke(rendered, "function-url.json").logs
            if line.get("message") == "request answered"
        ]
        assert [
            tuple(line.get(key) for key in ("http_method", "path", "status", "correlation_id"))
            for line in answered
        ] == [("POST", "/orders", 200, event["requestContext"]["requestId"])]

    def test_readme_calls_the_url_signed_for_lambda(self, rendered: Path) -> None:
        # A command the user runs: the URL answers unsigned calls 403.
        [call] = [c for c in _readme_commands(rendered) if "<FunctionUrl>orders" in c]
        region = _answers(rendered)["aws_region"]
        assert call.startswith(f"awscurl --service lambda --region {region} -X POST")


@pytest.mark.parametrize("rendered", answer_set_params("function-url-public"), indirect=True)
class TestPublicFunctionUrl:
    def test_url_is_public_as_chosen(self, rendered: Path) -> None:
        assert _function(rendered)["FunctionUrlConfig"]["AuthType"] == "NONE"

    def test_auth_check_is_skipped_because_public_was_chosen(self, rendered: Path) -> None:
        reason = _checkov_skips(_resources(rendered)["Function"])["CKV_AWS_258"]
        assert "api_auth=none was chosen" in reason
        assert "public endpoint on purpose" in reason

    def test_event_has_no_authorizer(self, rendered: Path) -> None:
        context = _event(rendered, "function-url.json")["requestContext"]
        assert "authorizer" not in context
        assert context["accountId"] == "anonymous"

    def test_any_origin_may_call_as_chosen_and_lambda_answers_cors(self, rendered: Path) -> None:
        cors = _function(rendered)["FunctionUrlConfig"]["Cors"]
        assert cors["AllowOrigins"] == ["*"]
        assert cors["AllowHeaders"] == ["content-type"]  # no credentials on a public URL

    def test_readme_calls_the_url_unsigned(self, rendered: Path) -> None:
        # A command the user runs: a public URL needs no signature.
        [call] = [c for c in _readme_commands(rendered) if "<FunctionUrl>orders" in c]
        assert call.startswith("curl -X POST")


@pytest.mark.parametrize(("trigger", "auth"), [("rest-api", "jwt"), ("function-url", "jwt")])
def test_jwt_is_refused_outside_the_http_api(trigger: str, auth: str, tmp_path: Path) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError, match="jwt is offered for http-api only"):
        render(destination, {"trigger": trigger, "api_auth": auth})
    assert not destination.exists()
