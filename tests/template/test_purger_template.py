"""Checks of PurgerFunction in infra/template.yaml (the purge of deleted containers,
domain/cascade.py): its stream event source mapping (filter, batching, failure handling), its
on-failure queue and its permissions, as written and after the SAM transform; and that the local
stack reads it as a stream consumer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.streams import passes_filters
from local.template import Resolver, Template
from tests.support.iam import inline_grants
from tests.template.conftest import TEMPLATE_PATH

pytestmark = pytest.mark.template

FUNCTION = "PurgerFunction"
QUEUE = "PurgerFailures"
MAPPING = f"{FUNCTION}PurgeJobs"
TABLE_ARN = {"Fn::GetAtt": ["Table", "Arn"]}
QUEUE_ARN = {"Fn::GetAtt": [QUEUE, "Arn"]}
STREAM_ARN = {"Fn::GetAtt": ["Table", "StreamArn"]}
MANAGED_POLICIES = {
    "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:${AWS::Partition}:iam::aws:policy/AWSXrayWriteOnlyAccess",
}
STREAM_READS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
READS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
PURGE_WRITES = {
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:UpdateItem",
    "dynamodb:PutItem",
    "dynamodb:ConditionCheckItem",
}


@pytest.fixture(scope="module")
def mapping(sam_output: dict[str, Any]) -> dict[str, Any]:
    resource = sam_output["Resources"][MAPPING]
    assert resource["Type"] == "AWS::Lambda::EventSourceMapping"
    props: dict[str, Any] = resource["Properties"]
    return props


@pytest.fixture(scope="module")
def patterns(mapping: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]


@pytest.fixture(scope="module")
def role(sam_output: dict[str, Any]) -> dict[str, Any]:
    function = sam_output["Resources"][FUNCTION]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    assert role_id == "PurgerRole"
    resource = sam_output["Resources"][role_id]
    assert resource["Type"] == "AWS::IAM::Role"
    props: dict[str, Any] = resource["Properties"]
    return props


def test_function_source_and_single_stream_event(resources: dict[str, Any]) -> None:
    props = resources[FUNCTION]["Properties"]
    assert props["CodeUri"] == "../functions/purger/"
    assert props["Handler"] == "app.lambda_handler"
    assert props["Timeout"] == 120
    ((name, event),) = props["Events"].items()
    assert name == "PurgeJobs"
    assert event["Type"] == "DynamoDB"
    assert event["Properties"]["Stream"] == STREAM_ARN


def test_mapping_reads_the_table_stream_from_latest(mapping: dict[str, Any]) -> None:
    assert mapping["EventSourceArn"] == STREAM_ARN
    assert mapping["FunctionName"] == {"Ref": FUNCTION}
    assert mapping["StartingPosition"] == "LATEST"


def test_filter_selects_purge_jobs_written_or_moved_on(patterns: list[dict[str, Any]]) -> None:
    assert patterns == [
        {
            "eventName": ["INSERT", "MODIFY"],
            "dynamodb": {"NewImage": {"entity": {"S": ["purge"]}}},
        }
    ]


def _record(event_name: str = "INSERT", entity: str = "purge") -> dict[str, Any]:
    image = {"entity": {"S": entity}, "PK": {"S": "PURGE#issuer#3"}, "SK": {"S": "PURGE"}}
    return {"eventName": event_name, "dynamodb": {"NewImage": image}}


@pytest.mark.parametrize(
    ("record", "delivered"),
    [
        (_record(), True),
        (_record("MODIFY"), True),  # the next step
        (_record("REMOVE"), False),  # the end
        (_record(entity="event"), False),
        (_record("MODIFY", entity="badge"), False),
    ],
)
def test_filter_semantics(
    patterns: list[dict[str, Any]], record: dict[str, Any], delivered: bool
) -> None:
    assert passes_filters(patterns, record) is delivered


def test_batching_and_failure_handling(mapping: dict[str, Any]) -> None:
    assert mapping["BatchSize"] == 10
    assert mapping["MaximumBatchingWindowInSeconds"] == 0
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == 10
    assert mapping["MaximumRecordAgeInSeconds"] == 3600
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": QUEUE_ARN}}


def test_failure_queue_is_encrypted_and_keeps_messages_14_days(
    sam_output: dict[str, Any],
) -> None:
    queue = sam_output["Resources"][QUEUE]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"] == {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}


def test_permissions_are_least_privilege(role: dict[str, Any]) -> None:
    assert {arn["Fn::Sub"] for arn in role["ManagedPolicyArns"]} == MANAGED_POLICIES
    granted = inline_grants(role)
    assert set(granted) == READS | PURGE_WRITES | STREAM_READS | {
        "dynamodb:ListStreams",
        "sqs:SendMessage",
    }
    for action in STREAM_READS:
        assert granted[action] == [STREAM_ARN], action
    assert granted["dynamodb:ListStreams"] == ["*"]  # no resource-level permissions
    for action in READS:
        # the base table and GSI1 (systems by id); no other index, no S3, no secret
        assert granted[action] == [TABLE_ARN, {"Fn::Sub": "${Table.Arn}/index/GSI1"}], action
    for action in PURGE_WRITES:
        assert granted[action] == [TABLE_ARN], action
    assert granted["sqs:SendMessage"] == [QUEUE_ARN]


def test_the_local_stack_polls_the_table_stream_for_it() -> None:
    template = Template(TEMPLATE_PATH)
    stream = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024"
    resolver = Resolver(template.data, refs={"Table": "t"}, attributes={"Table.StreamArn": stream})
    (spec,) = (s for s in template.functions(resolver) if s.logical_id == FUNCTION)
    assert spec.api_events == ()
    assert spec.handler_file.is_file()
    ((source),) = spec.stream_events
    assert source.stream == stream
    assert source.batch_size == 10
    assert source.report_batch_item_failures is True
    assert source.maximum_retry_attempts == 10
    assert passes_filters(source.filter_patterns, _record())
    assert passes_filters(source.filter_patterns, _record("MODIFY"))
    assert not passes_filters(source.filter_patterns, _record("REMOVE"))
