"""The webhook resources of infra/template.yaml (webhooks.md §4): the configuration function and
its routes, the sender's event source mappings (stream with filter, retry queue), the queues,
and least-privilege permissions; as written and after the SAM transform."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.events import stream_record_event
from local.streams import passes_filters

pytestmark = pytest.mark.template

API_FUNCTION = "WebhooksFunction"
SENDER = "WebhookSenderFunction"
ROLE = "WebhookSenderRole"
RETRY_QUEUE = "WebhookRetryQueue"
DLQ = "WebhookDeadLetterQueue"

ROUTES = {
    "/systems/{systemSlug}/webhooks",
    "/systems/{systemSlug}/webhooks/{webhookId}",
    "/systems/{systemSlug}/webhooks/{webhookId}/deliveries",
    "/systems/{systemSlug}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver",
}


def getatt(name: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [name, attribute]}


def props(resources: dict[str, Any], name: str) -> dict[str, Any]:
    result: dict[str, Any] = resources[name]["Properties"]
    return result


def events(resources: dict[str, Any], name: str) -> dict[str, Any]:
    result: dict[str, Any] = props(resources, name)["Events"]
    return result


# --- the configuration API function ------------------------------------------------------------


def test_webhooks_function_serves_one_any_event_per_path(resources):
    function = props(resources, API_FUNCTION)
    assert function["CodeUri"] == "../functions/webhooks/"
    assert function["Handler"] == "app.lambda_handler"
    api_events = events(resources, API_FUNCTION).values()
    assert all(e["Type"] == "Api" for e in api_events)
    assert all(e["Properties"]["Method"] == "ANY" for e in api_events)
    assert all(e["Properties"]["RestApiId"] == {"Ref": "Api"} for e in api_events)
    paths = [e["Properties"]["Path"] for e in api_events]
    assert sorted(paths) == sorted(ROUTES)


def test_no_other_function_serves_the_webhook_paths(resources):
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function" or name == API_FUNCTION:
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            path = (event.get("Properties") or {}).get("Path", "")
            assert "/webhooks" not in path, (name, path)


def test_webhooks_function_may_only_send_to_the_retry_queue(resources):
    policies = props(resources, API_FUNCTION)["Policies"]
    assert {"Ref": "ApiDataAccessPolicy"} in policies
    assert {"Ref": "MasterSecretReadPolicy"} in policies
    inline = [p for p in policies if isinstance(p, dict) and "Statement" in p]
    (policy,) = inline
    assert policy["Statement"] == [
        {
            "Sid": "RequestRedelivery",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": getatt(RETRY_QUEUE),
        }
    ]
    variables = props(resources, API_FUNCTION)["Environment"]["Variables"]
    assert variables == {"WEBHOOK_RETRY_QUEUE_URL": {"Ref": RETRY_QUEUE}}


# --- the sender ------------------------------------------------------------------------------


def test_sender_function(resources):
    sender = props(resources, SENDER)
    assert sender["CodeUri"] == "../functions/webhook_sender/"
    assert sender["Handler"] == "app.lambda_handler"
    assert sender["Role"] == getatt(ROLE)
    assert "Policies" not in sender  # its own role, nothing added by SAM
    assert sender["Environment"]["Variables"] == {
        "WEBHOOK_RETRY_QUEUE_URL": {"Ref": RETRY_QUEUE},
        "WEBHOOK_DEAD_LETTER_QUEUE_URL": {"Ref": DLQ},
        # Declared for sam local's --env-vars; empty: the documented schedule and jitter.
        "WEBHOOK_RETRY_SCHEDULE": "",
        "WEBHOOK_RETRY_JITTER": "",
    }
    # No policy relaxation in the deployed template: https and public addresses only.
    assert not {"WEBHOOKS_ALLOW_HTTP", "WEBHOOKS_ALLOW_PRIVATE"} & set(
        sender["Environment"]["Variables"]
    )
    # An attempt takes at most 5 s to connect + 10 s to answer; a batch fits with room to spare.
    assert 30 <= sender["Timeout"] <= 120
    assert set(events(resources, SENDER)) == {"NewEvents", "Retries"}


def test_stream_mapping(resources):
    event = events(resources, SENDER)["NewEvents"]
    assert event["Type"] == "DynamoDB"
    mapping = event["Properties"]
    assert mapping["Stream"] == getatt("Table", "StreamArn")
    assert mapping["StartingPosition"] == "LATEST"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 1 <= mapping["BatchSize"] <= 100
    assert mapping["MaximumBatchingWindowInSeconds"] == 0  # deliver as soon as possible
    assert 0 <= mapping["MaximumRetryAttempts"] <= 10  # bounded (-1 would be forever)
    assert 60 <= mapping["MaximumRecordAgeInSeconds"] <= 86400  # within the stream's 24 h
    assert mapping["DestinationConfig"] == {
        "OnFailure": {"Type": "SQS", "Destination": getatt(DLQ)}
    }
    (only,) = mapping["FilterCriteria"]["Filters"]
    assert json.loads(only["Pattern"]) == {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"entity": {"S": ["event"]}}},
    }


def _record(event_name: str, image: dict[str, Any] | None, old: dict[str, Any] | None = None):
    dynamodb: dict[str, Any] = {"Keys": {"PK": {"S": "EVENT#evt_1"}}, "SequenceNumber": "1"}
    if image is not None:
        dynamodb["NewImage"] = image
    if old is not None:
        dynamodb["OldImage"] = old
    return stream_record_event({"eventName": event_name, "dynamodb": dynamodb}, "arn", "r")


@pytest.mark.parametrize(
    ("record", "passes"),
    [
        (_record("INSERT", {"entity": {"S": "event"}, "action": {"S": "award"}}), True),
        (_record("INSERT", {"entity": {"S": "event"}, "action": {"S": "review"}}), True),
        (_record("MODIFY", {"entity": {"S": "event"}}, {"entity": {"S": "event"}}), False),
        (_record("REMOVE", None, {"entity": {"S": "event"}}), False),
        (_record("INSERT", {"entity": {"S": "delivery"}}), False),
        (_record("INSERT", {"entity": {"S": "badge"}}), False),
        (_record("INSERT", {"PK": {"S": "COUNTER"}}), False),
        # used token ids (auth.md §3.1): written per request, removed by the TTL
        (_record("INSERT", {"entity": {"S": "jti"}, "expiresAt": {"N": "1"}}), False),
        (_record("REMOVE", None, {"entity": {"S": "jti"}}), False),
    ],
)
def test_filter_lets_only_new_events_through(resources, record, passes):
    filters = events(resources, SENDER)["NewEvents"]["Properties"]["FilterCriteria"]["Filters"]
    patterns = [json.loads(f["Pattern"]) for f in filters]
    assert passes_filters(patterns, record) is passes


def test_retry_queue_mapping(resources):
    event = events(resources, SENDER)["Retries"]
    assert event["Type"] == "SQS"
    mapping = event["Properties"]
    assert mapping["Queue"] == getatt(RETRY_QUEUE)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= mapping["BatchSize"] <= 10
    assert mapping["MaximumBatchingWindowInSeconds"] == 0
    assert mapping["ScalingConfig"]["MaximumConcurrency"] >= 2


# --- queues -----------------------------------------------------------------------------------


def test_retry_queue_and_dead_letter_queue(resources):
    sender_timeout = props(resources, SENDER)["Timeout"]
    retry = props(resources, RETRY_QUEUE)
    assert resources[RETRY_QUEUE]["Type"] == "AWS::SQS::Queue"
    assert retry["VisibilityTimeout"] >= 6 * sender_timeout  # AWS's advice for SQS triggers
    assert retry["RedrivePolicy"] == {"deadLetterTargetArn": getatt(DLQ), "maxReceiveCount": 5}
    assert retry["MessageRetentionPeriod"] >= 3600  # each hop waits at most 15 minutes
    assert retry["SqsManagedSseEnabled"] is True
    assert "DelaySeconds" not in retry  # each message carries its own delay
    dead = props(resources, DLQ)
    assert resources[DLQ]["Type"] == "AWS::SQS::Queue"
    assert dead["MessageRetentionPeriod"] == 1209600
    assert dead["SqsManagedSseEnabled"] is True


# --- least privilege ----------------------------------------------------------------------------


def _statements(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (policy,) = props(resources, ROLE)["Policies"]
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def test_sender_role_is_scoped_to_this_stacks_resources(resources):
    role = props(resources, ROLE)
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert role["ManagedPolicyArns"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        },
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSXrayWriteOnlyAccess"},
    ]
    statements = _statements(resources)
    assert {sid: _actions(s) for sid, s in statements.items()} == {
        "ReadTableStream": {
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
        },
        "ListStreams": {"dynamodb:ListStreams"},
        "Deliveries": {
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
        },
        "ConsumeRetryQueue": {
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
        },
        "ScheduleAndDeadLetter": {"sqs:SendMessage"},
    }
    assert statements["ReadTableStream"]["Resource"] == getatt("Table", "StreamArn")
    assert statements["ListStreams"]["Resource"] == "*"  # has no resource-level permissions
    assert statements["Deliveries"]["Resource"] == getatt("Table")  # no index, no other table
    assert statements["ConsumeRetryQueue"]["Resource"] == getatt(RETRY_QUEUE)
    assert statements["ScheduleAndDeadLetter"]["Resource"] == [getatt(RETRY_QUEUE), getatt(DLQ)]
    assert all(s["Effect"] == "Allow" for s in statements.values())


def test_sender_can_neither_delete_nor_scan_nor_read_secrets(resources):
    actions = set().union(*(_actions(s) for s in _statements(resources).values()))
    forbidden = {a for a in actions if a.endswith(("DeleteItem", "Scan", "BatchWriteItem"))}
    assert forbidden == set()
    assert not any(a.startswith(("s3:", "ssm:", "kms:", "dynamodb:*", "sqs:*")) for a in actions)


# --- after the SAM transform ----------------------------------------------------------------------


def test_transform_creates_the_two_mappings_and_no_extra_role(sam_output):
    resources = sam_output["Resources"]
    mappings = {
        name: r["Properties"]
        for name, r in resources.items()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["FunctionName"] == {"Ref": SENDER}
    }
    assert set(mappings) == {f"{SENDER}NewEvents", f"{SENDER}Retries"}
    stream = mappings[f"{SENDER}NewEvents"]
    assert stream["EventSourceArn"] == getatt("Table", "StreamArn")
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["FilterCriteria"]["Filters"][0]["Pattern"]
    assert stream["DestinationConfig"] == {"OnFailure": {"Destination": getatt(DLQ)}}
    assert stream["BisectBatchOnFunctionError"] is True
    queue = mappings[f"{SENDER}Retries"]
    assert queue["EventSourceArn"] == getatt(RETRY_QUEUE)
    assert queue["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    sender = resources[SENDER]["Properties"]
    assert sender["Role"] == getatt(ROLE)
    assert f"{SENDER}Role" not in resources  # SAM added no role with wildcard event policies
    assert sender["TracingConfig"] == {"Mode": "Active"}


def test_transform_routes_the_webhook_paths_to_the_webhooks_function(sam_output):
    resources = sam_output["Resources"]
    permissions = [
        name
        for name, r in resources.items()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"]["FunctionName"] == {"Ref": API_FUNCTION}
    ]
    assert len(permissions) == len(ROUTES)  # one resource-policy statement per path
    body = json.dumps(resources["Api"]["Properties"]["Body"]["paths"])
    paths = resources["Api"]["Properties"]["Body"]["paths"]
    for route in ROUTES:
        assert set(paths[route]) == {"x-amazon-apigateway-any-method"}, route
    assert "WebhooksFunction" in body
