"""The operations resources of infra/template.yaml (docs/operations.md): a retention-bound log
group per function, the API's JSON access log, the alarms on one SNS topic, the dashboard.

The per-function checks iterate every `AWS::Serverless::Function` of the template, so a function
added without its log group or its alarms fails here."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from local.template import Resolver

pytestmark = pytest.mark.template

TOPIC = "AlarmTopic"
TOPIC_REF = {"Ref": TOPIC}
ACCESS_LOG_GROUP = "ApiAccessLogGroup"
WEBHOOK_DLQ = "WebhookDeadLetterQueue"
MILESTONE_FAILURES = "MilestoneAwardFailures"

# What CloudWatch Logs accepts as RetentionInDays (PutRetentionPolicy).
CLOUDWATCH_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
]  # fmt: skip

# The custom metrics (namespace BadgeKit, dimension service=badgekit-api; BadgeAwarded also by
# method) the functions emit.
NAMESPACE = "BadgeKit"
SERVICE = "badgekit-api"
BUSINESS_METRICS = [
    "BadgeAwarded",
    "BadgeRevoked",
    "ClaimCodeClaimed",
    "ApplicationSubmitted",
    "ReviewSubmitted",
    "WebhookDelivered",
    "WebhookRetried",
    "WebhookFailed",
    "WebhookDisabled",
    "AuthRejected",
]
AWARD_METHODS = ["direct", "claimCode", "bulk", "milestone"]

# The fields of the access log (API Gateway $context variables).
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "ip": "$context.identity.sourceIp",
    "method": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "requestTime": "$context.requestTime",
    "integrationLatency": "$context.integrationLatency",
}


# --- helpers ----------------------------------------------------------------------------------


def of_type(resources: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r["Type"] == resource_type}


def props(resources: dict[str, Any], name: str) -> dict[str, Any]:
    result: dict[str, Any] = resources[name]["Properties"]
    return result


def dimensions(metric: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in metric.get("Dimensions") or []}


def alarms_on(
    resources: dict[str, Any], namespace: str, metric_name: str, **dims: Any
) -> dict[str, dict[str, Any]]:
    """The single-metric alarms on `namespace`/`metric_name` with exactly these dimensions."""
    return {
        name: alarm["Properties"]
        for name, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items()
        if alarm["Properties"].get("Namespace") == namespace
        and alarm["Properties"].get("MetricName") == metric_name
        and dimensions(alarm["Properties"]) == dims
    }


def the_alarm_on(
    resources: dict[str, Any], namespace: str, metric_name: str, **dims: Any
) -> dict[str, Any]:
    found = alarms_on(resources, namespace, metric_name, **dims)
    assert len(found) == 1, f"expected one alarm on {namespace} {metric_name} {dims}: {found}"
    return next(iter(found.values()))


def stream_events(function: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        event["Properties"]
        for event in (function["Properties"].get("Events") or {}).values()
        if event["Type"] == "DynamoDB"
    ]


def queue_name_of(arn: Any) -> str:
    """The logical id of the queue a `!GetAtt <Queue>.Arn` names."""
    assert isinstance(arn, dict)
    assert "Fn::GetAtt" in arn, arn
    queue, attribute = arn["Fn::GetAtt"]
    assert attribute == "Arn"
    return str(queue)


@pytest.fixture(scope="module")
def functions(resources: dict[str, Any]) -> dict[str, Any]:
    result = of_type(resources, "AWS::Serverless::Function")
    assert len(result) >= 10
    return result


@pytest.fixture(scope="module")
def stream_functions(functions: dict[str, Any]) -> dict[str, Any]:
    result = {name: f for name, f in functions.items() if stream_events(f)}
    assert {"MilestoneAwardFunction", "WebhookSenderFunction"} <= set(result)
    return result


@pytest.fixture(scope="module")
def operator_queues(resources: dict[str, Any], functions: dict[str, Any]) -> set[str]:
    """Queues only an operator empties: every stream mapping's on-failure destination and every
    queue's dead-letter target."""
    queues = {
        queue_name_of(event["DestinationConfig"]["OnFailure"]["Destination"])
        for function in functions.values()
        for event in stream_events(function)
        if "DestinationConfig" in event
    }
    for queue in of_type(resources, "AWS::SQS::Queue").values():
        redrive = queue["Properties"].get("RedrivePolicy")
        if redrive:
            queues.add(queue_name_of(redrive["deadLetterTargetArn"]))
    return queues


# --- log groups -------------------------------------------------------------------------------


def test_log_retention_parameter_defaults_to_30_days(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["LogRetentionDays"]
    assert parameter["Type"] == "Number"
    assert parameter["Default"] == 30
    assert parameter["AllowedValues"] == CLOUDWATCH_RETENTION_DAYS


def test_every_function_logs_to_its_own_log_group(
    resources: dict[str, Any], functions: dict[str, Any]
) -> None:
    groups = {}
    for name, function in functions.items():
        config = function["Properties"].get("LoggingConfig")
        assert config, f"{name} has no LoggingConfig (its own log group)"
        ref = config["LogGroup"]
        assert set(ref) == {"Ref"}, name
        group = ref["Ref"]
        assert resources[group]["Type"] == "AWS::Logs::LogGroup", name
        assert props(resources, group)["LogGroupName"] == {
            "Fn::Sub": f"/aws/lambda/${{AWS::StackName}}/{name}"
        }
        groups[name] = group
    assert len(set(groups.values())) == len(groups), "functions share a log group"


def test_every_log_group_keeps_logs_for_the_retention_parameter(
    resources: dict[str, Any], functions: dict[str, Any], evaluate: Callable[..., Any]
) -> None:
    groups = of_type(resources, "AWS::Logs::LogGroup")
    assert len(groups) == len(functions) + 1  # and the API's access log
    for name in groups:
        assert props(resources, name)["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        assert evaluate()(props(resources, name)["RetentionInDays"]) == 30
        assert evaluate(LogRetentionDays="365")(props(resources, name)["RetentionInDays"]) == "365"


def test_each_lambda_function_is_created_after_its_log_group(
    sam_output: dict[str, Any], functions: dict[str, Any]
) -> None:
    # The function refers to its group: CloudFormation creates the group first, and Lambda
    # writes only to it (never creating a group of its own without retention).
    out = sam_output["Resources"]
    for name in functions:
        function = out[name]
        assert function["Type"] == "AWS::Lambda::Function"
        assert function["Properties"]["LoggingConfig"] == {"LogGroup": {"Ref": f"{name}LogGroup"}}
        assert out[f"{name}LogGroup"]["Type"] == "AWS::Logs::LogGroup"


# --- API access log ---------------------------------------------------------------------------


def _parse_access_log_format(text: str) -> dict[str, Any]:
    """The access-log line API Gateway would write, with every $context variable as a string."""
    quoted = re.sub(r'"\$context\.[A-Za-z.]+"', '"x"', text)
    # Variables written without quotes are already JSON strings (e.g. error.messageString).
    line = re.sub(r"\$context\.[A-Za-z.]+", '"x"', quoted)
    result: dict[str, Any] = json.loads(line)
    return result


def test_api_writes_a_json_access_log_to_its_log_group(
    resources: dict[str, Any], sam_output: dict[str, Any]
) -> None:
    setting = props(resources, "Api")["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": [ACCESS_LOG_GROUP, "Arn"]}
    fmt = setting["Format"]
    assert "\n" not in fmt  # one line per request
    fields = _parse_access_log_format(fmt)
    assert set(fields) >= {*ACCESS_LOG_FIELDS, "errorMessage"}
    for field, variable in ACCESS_LOG_FIELDS.items():
        assert f'"{field}":"{variable}"' in fmt, field
    assert '"errorMessage":$context.error.messageString' in fmt
    # On the deployed stage.
    (stage,) = of_type(sam_output["Resources"], "AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["AccessLogSetting"] == setting


def test_access_log_parser_rejects_a_broken_format() -> None:
    with pytest.raises(json.JSONDecodeError):
        _parse_access_log_format('{"requestId":"$context.requestId",}')


def test_api_gateway_logging_role_is_created_only_when_asked(
    template: dict[str, Any], resources: dict[str, Any], evaluate: Callable[..., Any]
) -> None:
    parameter = template["Parameters"]["CreateApiGatewayLoggingRole"]
    assert parameter["Default"] == "false"
    for name in ("ApiGatewayLoggingRole", "ApiGatewayAccount"):
        assert resources[name]["Condition"] == "CreatesApiGatewayLoggingRole"
        # Shared by every API of the account and region: outlives the stack.
        assert resources[name]["DeletionPolicy"] == "Retain"
    assert not evaluate().condition("CreatesApiGatewayLoggingRole")
    assert evaluate(CreateApiGatewayLoggingRole="true").condition("CreatesApiGatewayLoggingRole")
    assert props(resources, "ApiGatewayAccount")["CloudWatchRoleArn"] == {
        "Fn::GetAtt": ["ApiGatewayLoggingRole", "Arn"]
    }
    role = props(resources, "ApiGatewayLoggingRole")
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }
    # The stage waits for the account setting when the stack makes it.
    assert resources["Api"]["DependsOn"] == "ApiGatewayAccountReady"
    handle = resources["ApiGatewayAccountReady"]
    assert handle["Type"] == "AWS::CloudFormation::WaitConditionHandle"
    assert "Condition" not in handle
    assert handle["Metadata"]["ApiGatewayAccount"] == {
        "Fn::If": ["CreatesApiGatewayLoggingRole", {"Ref": "ApiGatewayAccount"}, ""]
    }


def test_rest_api_waits_for_the_account_setting_after_the_transform(
    sam_output: dict[str, Any],
) -> None:
    out = sam_output["Resources"]
    assert out["Api"]["Type"] == "AWS::ApiGateway::RestApi"
    assert out["Api"]["DependsOn"] == "ApiGatewayAccountReady"
    (stage,) = of_type(out, "AWS::ApiGateway::Stage").values()
    deployment = stage["Properties"]["DeploymentId"]["Ref"]
    assert out[deployment]["Properties"]["RestApiId"] == {"Ref": "Api"}


# --- the topic --------------------------------------------------------------------------------


def test_every_alarm_notifies_the_topic_on_alarm_and_back_to_ok(resources: dict[str, Any]) -> None:
    assert resources[TOPIC]["Type"] == "AWS::SNS::Topic"
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 26
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [TOPIC_REF], name
        assert alarm["Properties"]["OKActions"] == [TOPIC_REF], name
        assert "Condition" not in alarm, name


@pytest.mark.parametrize(
    ("email", "subscribed"), [(None, False), ("", False), ("ops@example.org", True)]
)
def test_email_subscription_only_when_an_address_is_given(
    template: dict[str, Any],
    resources: dict[str, Any],
    evaluate: Callable[..., Any],
    email: str | None,
    subscribed: bool,
) -> None:
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""
    subscriptions = of_type(resources, "AWS::SNS::Subscription")
    assert list(subscriptions) == ["AlarmEmailSubscription"]
    subscription = subscriptions["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {
        "TopicArn": TOPIC_REF,
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    overrides = {} if email is None else {"AlarmEmail": email}
    assert evaluate(**overrides).condition("HasAlarmEmail") is subscribed


def test_alarm_email_parameter_accepts_only_an_address_or_nothing(
    template: dict[str, Any],
) -> None:
    pattern = re.compile(template["Parameters"]["AlarmEmail"]["AllowedPattern"])
    assert pattern.fullmatch("")
    assert pattern.fullmatch("ops@example.org")
    assert not pattern.fullmatch("ops")
    assert not pattern.fullmatch("ops@example")
    assert not pattern.fullmatch("a b@example.org")


# --- alarms -----------------------------------------------------------------------------------


def test_api_5xx_rate_alarm(resources: dict[str, Any], sam_output: dict[str, Any]) -> None:
    stage = props(resources, "Api")["StageName"]
    (name,) = (
        n
        for n, a in of_type(resources, "AWS::CloudWatch::Alarm").items()
        if "Metrics" in a["Properties"]
    )
    alarm = props(resources, name)
    queries = {query["Id"]: query for query in alarm["Metrics"]}
    (returned,) = (q for q in queries.values() if q.get("ReturnData", True))
    assert returned["Expression"] == "IF(requests >= 10, 100 * errors / requests, 0)"
    for query_id, metric_name in (("errors", "5XXError"), ("requests", "Count")):
        stat = queries[query_id]["MetricStat"]
        assert queries[query_id]["ReturnData"] is False
        assert stat["Stat"] == "Sum"
        assert stat["Period"] == 300
        assert stat["Metric"]["Namespace"] == "AWS/ApiGateway"
        assert stat["Metric"]["MetricName"] == metric_name
        assert dimensions(stat["Metric"]) == {"ApiName": {"Ref": "AWS::StackName"}, "Stage": stage}
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 5
    assert alarm["TreatMissingData"] == "notBreaching"
    # The ApiName dimension is the REST API's name: SAM titles it after the stack.
    body = sam_output["Resources"]["Api"]["Properties"]["Body"]
    assert body["info"]["title"] == {"Ref": "AWS::StackName"}
    assert "Name" not in sam_output["Resources"]["Api"]["Properties"]


@pytest.mark.parametrize("metric_name", ["Errors", "Throttles"])
def test_every_function_has_errors_and_throttles_alarms(
    resources: dict[str, Any], functions: dict[str, Any], metric_name: str
) -> None:
    for name in functions:
        alarm = the_alarm_on(resources, "AWS/Lambda", metric_name, FunctionName={"Ref": name})
        assert alarm["Statistic"] == "Sum"
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["Threshold"] == 0
        assert alarm["TreatMissingData"] == "notBreaching"


def test_every_stream_function_has_an_iterator_age_alarm(
    resources: dict[str, Any], stream_functions: dict[str, Any]
) -> None:
    for name in stream_functions:
        alarm = the_alarm_on(resources, "AWS/Lambda", "IteratorAge", FunctionName={"Ref": name})
        assert alarm["Statistic"] == "Maximum"
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["Threshold"] == 300_000  # 5 minutes, in milliseconds
        assert alarm["TreatMissingData"] == "notBreaching"


def test_every_dead_letter_and_on_failure_queue_alarms_on_any_message(
    resources: dict[str, Any], operator_queues: set[str]
) -> None:
    # The webhook sender's stream failures and its retry queue's dead letters share one queue.
    assert operator_queues >= {WEBHOOK_DLQ, MILESTONE_FAILURES}
    for queue in operator_queues:
        assert resources[queue]["Type"] == "AWS::SQS::Queue"
        alarm = the_alarm_on(
            resources,
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            QueueName={"Fn::GetAtt": [queue, "QueueName"]},
        )
        assert alarm["Statistic"] == "Maximum"
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["Threshold"] == 0
        # Idle queues stop reporting: missing data must not clear the alarm.
        assert alarm["TreatMissingData"] == "ignore"


def test_failed_webhook_deliveries_alarm(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE
    assert variables["POWERTOOLS_SERVICE_NAME"] == SERVICE
    alarm = the_alarm_on(resources, NAMESPACE, "WebhookFailed", service=SERVICE)
    assert alarm["Statistic"] == "Sum"
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 0
    assert alarm["TreatMissingData"] == "notBreaching"


def test_no_alarm_beyond_the_listed_ones(
    resources: dict[str, Any],
    functions: dict[str, Any],
    stream_functions: dict[str, Any],
    operator_queues: set[str],
) -> None:
    expected = 1 + 2 * len(functions) + len(stream_functions) + len(operator_queues) + 1
    assert len(of_type(resources, "AWS::CloudWatch::Alarm")) == expected


# --- dashboard --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dashboard(template: dict[str, Any], resources: dict[str, Any]) -> dict[str, Any]:
    (name,) = of_type(resources, "AWS::CloudWatch::Dashboard")
    body = props(resources, name)["DashboardBody"]
    assert set(body) == {"Fn::Sub"}
    text = body["Fn::Sub"]
    known = set(resources) | set(template["Parameters"])
    for variable in re.findall(r"\$\{([^}]+)\}", text):
        target = variable.split(".", 1)[0]
        assert variable.startswith("AWS::") or target in known, f"unknown ${{{variable}}}"
    result: dict[str, Any] = json.loads(Resolver(template).resolve(body))
    return result


def metric_lines(dashboard: dict[str, Any]) -> list[list[Any]]:
    return [
        line
        for widget in dashboard["widgets"]
        if widget["type"] == "metric"
        for line in widget["properties"]["metrics"]
    ]


def metric_dimensions(line: list[Any]) -> dict[str, Any]:
    fields = [item for item in line[2:] if not isinstance(item, dict)]
    return dict(zip(fields[::2], fields[1::2], strict=True))


def test_dashboard_shows_every_business_metric(dashboard: dict[str, Any]) -> None:
    lines = [line for line in metric_lines(dashboard) if line[0] == NAMESPACE]
    shown = {line[1] for line in lines if metric_dimensions(line) == {"service": SERVICE}}
    assert shown >= set(BUSINESS_METRICS)
    by_method = {
        metric_dimensions(line).get("method") for line in lines if line[1] == "BadgeAwarded"
    }
    assert by_method >= set(AWARD_METHODS)


def test_dashboard_shows_the_api_requests_latency_and_errors(dashboard: dict[str, Any]) -> None:
    api = [line for line in metric_lines(dashboard) if line[0] == "AWS/ApiGateway"]
    assert {line[1] for line in api} >= {"Count", "Latency", "4XXError", "5XXError"}
    for line in api:
        assert metric_dimensions(line) == {"ApiName": "badgekit-local", "Stage": "Prod"}


def test_dashboard_shows_every_alarm(dashboard: dict[str, Any], resources: dict[str, Any]) -> None:
    (widget,) = (w for w in dashboard["widgets"] if w["type"] == "alarm")
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    # Resolved locally, `${X.Arn}` is "X.Arn".
    assert sorted(widget["properties"]["alarms"]) == sorted(f"{name}.Arn" for name in alarms)


def test_dashboard_shows_every_function(
    dashboard: dict[str, Any], functions: dict[str, Any]
) -> None:
    errors = {
        metric_dimensions(line)["FunctionName"]
        for line in metric_lines(dashboard)
        if line[:2] == ["AWS/Lambda", "Errors"]
    }
    assert errors == set(functions)


def test_every_dashboard_widget_is_in_this_region(dashboard: dict[str, Any]) -> None:
    for widget in dashboard["widgets"]:
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "us-east-1"
        assert widget["x"] + widget["width"] <= 24
