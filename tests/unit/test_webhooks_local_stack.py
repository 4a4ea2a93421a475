"""The local stack's parts of the webhook pipeline: stream records trimmed up to what every
poller has read, the template's SQS queues and the SQS event source (the retry queue)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.dynamodb import EmbeddedDynamoDB, trim_stream_records
from local.queues import (
    QueuePoller,
    creation_order,
    local_queue_name,
    queue_arn,
    queue_attributes,
    sqs_message_event,
)
from local.streams import StreamPoller
from local.template import QueueEvent, Resolver, StreamEvent, Template
from tests.support.embedded import embedded_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def moto_server() -> Iterator[EmbeddedDynamoDB]:
    with embedded_server() as server:
        yield server


def _client(service: str, server: EmbeddedDynamoDB) -> Any:
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1")  # type: ignore[call-overload]


def _buffered(table_name: str) -> int:
    from moto.dynamodb.models import dynamodb_backends

    return sum(
        len(table.stream_shard.items)
        for regions in dynamodb_backends.values()
        for backend in dict.values(regions)
        for name, table in backend.tables.items()
        if name == table_name
    )


def _stream_table(client: Any, name: str) -> str:
    """A table with a NEW_AND_OLD_IMAGES stream; returns the stream's ARN."""
    table = client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    return str(table["LatestStreamArn"])


def test_stream_records_are_trimmed_up_to_what_every_poller_read(moto_server):
    client = _client("dynamodb", moto_server)
    arn = _stream_table(client, "trim-me")
    seen: dict[str, list[str]] = {"fast": [], "slow": []}

    def poller(name: str) -> StreamPoller:
        source = StreamEvent(function=name, name="S", stream=arn, batch_size=100)

        def invoke(event: dict[str, Any]) -> None:
            seen[name] += [r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"]]

        return StreamPoller(_client("dynamodbstreams", moto_server), arn, source, invoke)

    fast, slow = poller("fast"), poller("slow")
    for each in (fast, slow):
        each.refresh_shards(initial=True)
    moto_server.stream_readers = lambda: [*fast.held_iterators(), *slow.held_iterators()]

    def put(pk: str) -> None:
        client.put_item(TableName="trim-me", Item={"PK": {"S": pk}})

    for i in range(5):
        put(f"a{i}")
    assert _buffered("trim-me") == 5
    assert fast.poll_once() == 5
    put("b0")  # a request: trimming runs, but `slow` has read nothing yet
    assert _buffered("trim-me") == 6
    assert slow.poll_once() == 6
    put("b1")
    assert _buffered("trim-me") == 2  # b0 (unread by fast) and b1
    assert fast.poll_once() == 2
    assert slow.poll_once() == 1
    client.describe_table(TableName="trim-me")  # any request trims
    assert _buffered("trim-me") == 0
    # Sequence numbers go on where they were: both keep reading, nothing is lost or repeated.
    for i in range(3):
        put(f"c{i}")
    assert fast.poll_once() == 3
    assert slow.poll_once() == 3
    expected = [f"a{i}" for i in range(5)] + ["b0", "b1", "c0", "c1", "c2"]
    assert seen == {"fast": expected, "slow": expected}
    # Moto keeps one shard iterator per GetRecords call; only the recent ones survive.
    for _ in range(200):
        fast.poll_once()
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    kept = sum(
        len(backend.shard_iterators)
        for regions in dynamodbstreams_backends.values()
        for backend in dict.values(regions)
    )
    assert kept <= 64 + 2


def test_pollers_survive_a_failed_transaction(moto_server):
    """Moto restores a table from a copy when a transaction fails (a 409 does that): the
    pollers' shard iterators are moved to the restored shard and keep seeing new records."""
    client = _client("dynamodb", moto_server)
    arn = _stream_table(client, "rollback")
    seen: list[str] = []
    source = StreamEvent(function="F", name="S", stream=arn)
    poller = StreamPoller(
        _client("dynamodbstreams", moto_server),
        arn,
        source,
        lambda event: seen.extend(r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"]),
    )
    poller.refresh_shards(initial=True)
    moto_server.stream_readers = poller.held_iterators
    client.put_item(TableName="rollback", Item={"PK": {"S": "taken"}})
    guarded = {
        "Put": {
            "TableName": "rollback",
            "Item": {"PK": {"S": "taken"}},
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=[guarded])
    client.put_item(TableName="rollback", Item={"PK": {"S": "after"}})
    assert poller.poll_once() == 2
    assert seen == ["taken", "after"]


def test_without_readers_a_table_keeps_nothing(moto_server):
    client = _client("dynamodb", moto_server)
    _stream_table(client, "unread")
    client.put_item(TableName="unread", Item={"PK": {"S": "x"}})
    assert _buffered("unread") == 1  # no hook set: kept
    moto_server.stream_readers = list
    client.put_item(TableName="unread", Item={"PK": {"S": "y"}})
    assert _buffered("unread") == 0
    assert trim_stream_records([]) == 0


def test_queues_are_created_dead_letter_queue_first():
    template = Template(ROOT / "infra" / "template.yaml")
    queues = template.queues()
    assert {"WebhookRetryQueue", "WebhookDeadLetterQueue"} <= set(queues)
    order = creation_order(queues)
    assert order.index("WebhookDeadLetterQueue") < order.index("WebhookRetryQueue")
    resolver = Resolver(
        template.data,
        attributes={"WebhookDeadLetterQueue.Arn": queue_arn("dlq")},
    )
    properties = resolver.resolve(dict(queues["WebhookRetryQueue"]["Properties"]))
    attributes = queue_attributes(properties)
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq",
        "maxReceiveCount": 5,
    }
    assert attributes["VisibilityTimeout"] == "360"
    assert "SqsManagedSseEnabled" not in attributes
    assert local_queue_name("WebhookRetryQueue") == "badgekit-local-webhookretryqueue"


def test_template_queue_and_stream_events_of_the_sender():
    template = Template(ROOT / "infra" / "template.yaml")
    resolver = Resolver(
        template.data,
        refs={"Table": "t", "WebhookRetryQueue": "http://q/retry"},
        attributes={
            "Table.StreamArn": "arn:stream",
            "WebhookRetryQueue.Arn": queue_arn("retry"),
            "WebhookDeadLetterQueue.Arn": queue_arn("dlq"),
        },
    )
    (sender,) = [f for f in template.functions(resolver) if f.logical_id == "WebhookSenderFunction"]
    (queue,) = sender.queue_events
    assert queue == QueueEvent(
        "WebhookSenderFunction", "Retries", queue_arn("retry"), 10, True, True
    )
    (stream,) = sender.stream_events
    assert stream.stream == "arn:stream"
    assert stream.batch_size == 10
    assert stream.report_batch_item_failures
    assert stream.on_failure == queue_arn("dlq")
    assert sender.environment["WEBHOOK_RETRY_QUEUE_URL"] == "http://q/retry"


def test_queue_poller_deletes_what_succeeded(moto_server):
    sqs = _client("sqs", moto_server)
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    url = sqs.create_queue(
        QueueName="work",
        Attributes=queue_attributes(
            {
                "VisibilityTimeout": 30,
                "RedrivePolicy": {"deadLetterTargetArn": queue_arn("dead"), "maxReceiveCount": 1},
            }
        ),
    )["QueueUrl"]
    calls: list[list[str]] = []

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        calls.append([r["body"] for r in event["Records"]])
        failed = [r["messageId"] for r in event["Records"] if r["body"] == "bad"]
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}

    source = QueueEvent("F", "Q", queue_arn("work"), batch_size=10, report_batch_item_failures=True)
    poller = QueuePoller(sqs, url, source, handler)
    sqs.send_message(QueueUrl=url, MessageBody="good")
    sqs.send_message(QueueUrl=url, MessageBody="bad")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=900)
    assert poller.poll_once() == 2
    assert sorted(calls[0]) == ["bad", "good"]
    assert poller.poll_once() == 0  # the failed one is invisible, the delayed one not due
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "1"  # "bad", back after 30 s
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"
    assert counts["ApproximateNumberOfMessages"] == "0"  # "good" was deleted
    assert sqs.receive_message(QueueUrl=dlq).get("Messages") is None


def test_queue_poller_keeps_everything_when_the_handler_raises(moto_server):
    sqs = _client("sqs", moto_server)
    url = sqs.create_queue(QueueName="crashy", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]

    def handler(event: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    poller = QueuePoller(sqs, url, QueueEvent("F", "Q", queue_arn("crashy")), handler)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert poller.poll_once() == 1
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_sqs_records_have_lambdas_shape():
    record = sqs_message_event(
        {
            "MessageId": "m1",
            "ReceiptHandle": "r1",
            "Body": "{}",
            "Attributes": {"ApproximateReceiveCount": "1"},
            "MD5OfBody": "x",
        },
        queue_arn("q"),
        "us-east-1",
    )
    assert record == {
        "messageId": "m1",
        "receiptHandle": "r1",
        "body": "{}",
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "x",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
        "awsRegion": "us-east-1",
    }


def test_stream_poller_sends_what_it_gives_up_on_to_the_destination():
    sent: list[dict[str, Any]] = []
    source = StreamEvent("F", "S", "arn:stream", maximum_retry_attempts=0, on_failure="arn:dlq")

    def always_fails(event: dict[str, Any]) -> None:
        raise RuntimeError("no")

    poller = StreamPoller(None, "arn:stream", source, always_fails, on_failure=sent.append)
    records = [
        {"eventName": "INSERT", "dynamodb": {"SequenceNumber": str(n), "Keys": {}}} for n in (7, 8)
    ]
    poller.deliver(records)
    (failure,) = sent
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    info = failure["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        "7",
        "8",
        2,
    )
    assert info["streamArn"] == "arn:stream"


def test_a_stream_poll_is_skipped_when_no_table_request_came_since_the_last(moto_server):
    """The embedded server counts DynamoDB requests; with nothing written since its last read a
    poll reads nothing, so the poller does not ask (an idle stack's pollers cost nothing)."""
    client = _client("dynamodb", moto_server)
    arn = _stream_table(client, "quiet")
    streams = _client("dynamodbstreams", moto_server)
    reads: list[str] = []
    streams.meta.events.register(
        "before-call.dynamodbstreams.GetRecords", lambda **_: reads.append("read")
    )
    seen: list[str] = []
    poller = StreamPoller(
        streams,
        arn,
        StreamEvent(function="F", name="S", stream=arn),
        lambda event: seen.extend(r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"]),
        table_requests=moto_server.table_requests,
    )
    poller.refresh_shards(initial=True)
    assert poller.poll_once() == 0
    assert len(reads) == 1  # the first poll reads
    assert poller.poll_once() == 0
    assert len(reads) == 1  # nothing written since: skipped
    client.put_item(TableName="quiet", Item={"PK": {"S": "a"}})
    assert poller.poll_once() == 1
    assert len(reads) == 2
    client.get_item(TableName="quiet", Key={"PK": {"S": "a"}})  # a read counts too (harmless)
    assert poller.poll_once() == 0
    assert len(reads) == 3
    assert poller.poll_once() == 0
    assert len(reads) == 3
    assert seen == ["a"]
