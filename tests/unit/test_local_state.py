"""The local stack's state folder (local/state.py) against an embedded moto server: what is
saved, what a restore puts back (and the stream it must not feed), the stream consumers'
unprocessed records, and state files that must not be loaded."""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local.dynamodb import EmbeddedDynamoDB
from local.events import ProxyResponse
from local.server import LocalHttpServer
from local.state import (
    StateError,
    StateKeeper,
    apply,
    capture,
    clear,
    decode_state,
    read_state,
    write_atomically,
)
from local.streams import StreamPoller
from local.template import StreamEvent
from tests.support.embedded import embedded_server


@pytest.fixture
def server() -> Iterator[EmbeddedDynamoDB]:
    with embedded_server() as server:
        yield server


def _client(service: str, server: EmbeddedDynamoDB) -> Any:
    config = Config(s3={"addressing_style": "path"}) if service == "s3" else None
    return boto3.client(  # type: ignore[call-overload]
        service, endpoint_url=server.endpoint, region_name="us-east-1", config=config
    )


@pytest.fixture
def resources(server: EmbeddedDynamoDB) -> dict[str, str]:
    """A table with a stream, a bucket and a queue of their own."""
    suffix = uuid.uuid4().hex[:8]
    names = {"table": f"state-{suffix}", "bucket": f"state-{suffix}", "queue": f"state-{suffix}"}
    table = _client("dynamodb", server).create_table(
        TableName=names["table"],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    names["stream"] = table["LatestStreamArn"]
    _client("s3", server).create_bucket(Bucket=names["bucket"])
    names["url"] = _client("sqs", server).create_queue(
        QueueName=names["queue"], Attributes={"VisibilityTimeout": "300"}
    )["QueueUrl"]
    return names


ITEM = {
    "PK": {"S": "EVENT#1"},
    "SK": {"S": "EVENT"},
    "entity": {"S": "event"},
    "n": {"N": "1.50"},
    "blob": {"B": b"\x00\x01\xff"},
    "blobs": {"BS": [b"\x02"]},
    "tags": {"SS": ["a", "b"]},
    "nums": {"NS": ["1", "2"]},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "nested": {"M": {"inner": {"B": b"\x03"}, "list": {"L": [{"S": "x"}, {"N": "2"}]}}},
}


def _buffered(server: EmbeddedDynamoDB, table_name: str) -> int:
    from moto.dynamodb.models import dynamodb_backends

    return sum(
        len(table.stream_shard.items)
        for regions in dynamodb_backends.values()
        for backend in dict.values(regions)
        for name, table in backend.tables.items()
        if name == table_name
    )


def _save(server: EmbeddedDynamoDB, names: dict[str, str], pollers: Any = ()) -> Any:
    """capture → JSON text → decoded state, as a save and the next start do."""
    with server.exclusive():
        document, blobs = capture(
            names["table"], [names["bucket"]], [names["queue"]], list(pollers)
        )
    return decode_state(json.loads(json.dumps(document)), blobs.__getitem__)


def test_table_objects_and_messages_are_put_back_as_they_were(
    server: EmbeddedDynamoDB, resources: dict[str, str]
) -> None:
    dynamodb, s3, sqs = (_client(name, server) for name in ("dynamodb", "s3", "sqs"))
    dynamodb.put_item(TableName=resources["table"], Item=ITEM)
    s3.put_object(
        Bucket=resources["bucket"],
        Key="images/a",
        Body=b"GIF89a\x00",
        ContentType="image/gif",
        Metadata={"owner": "me"},
        Tagging="pending=true",
    )
    url = resources["url"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=120)
    sqs.send_message(QueueUrl=url, MessageBody="taken")
    (taken,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert taken["Body"] == "taken"  # received, not deleted: invisible for 300 s here
    state = _save(server, resources)
    assert [m.body for m in state.queues[resources["queue"]]] == ["later", "taken"]
    assert 115 <= state.queues[resources["queue"]][0].delay_seconds <= 120

    # everything gone, then put back
    dynamodb.delete_item(TableName=resources["table"], Key={"PK": ITEM["PK"], "SK": ITEM["SK"]})
    s3.delete_object(Bucket=resources["bucket"], Key="images/a")
    sqs.purge_queue(QueueUrl=url)
    buffered = _buffered(server, resources["table"])
    with server.exclusive():
        apply(state, resources["table"], [resources["bucket"]], [resources["queue"]])

    assert _buffered(server, resources["table"]) == buffered  # the restore fed no stream
    got = dynamodb.get_item(TableName=resources["table"], Key={"PK": ITEM["PK"], "SK": ITEM["SK"]})
    assert got["Item"] == {**ITEM, "tags": {"SS": ["a", "b"]}, "nums": {"NS": ["1", "2"]}}
    stored = s3.get_object(Bucket=resources["bucket"], Key="images/a")
    assert (stored["Body"].read(), stored["ContentType"], stored["Metadata"]) == (
        b"GIF89a\x00",
        "image/gif",
        {"owner": "me"},
    )
    tagging = s3.get_object_tagging(Bucket=resources["bucket"], Key="images/a")
    assert tagging["TagSet"] == [{"Key": "pending", "Value": "true"}]
    # the message nobody finished is visible at once; the delayed one keeps its delay
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    (again,) = received["Messages"]
    assert again["Body"] == "taken"
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"


def _poller(server: EmbeddedDynamoDB, stream: str, calls: list[Any], **extra: Any) -> Any:
    source = StreamEvent(
        function="Watcher",
        name="Events",
        stream=stream,
        batch_size=10,
        filter_patterns=({"dynamodb": {"NewImage": {"entity": {"S": ["event"]}}}},),
    )
    return StreamPoller(_client("dynamodbstreams", server), stream, source, calls.append, **extra)


def test_unprocessed_stream_records_are_saved_and_delivered_first_after_a_restart(
    server: EmbeddedDynamoDB, resources: dict[str, str]
) -> None:
    dynamodb = _client("dynamodb", server)

    def put(pk: str, entity: str = "event") -> None:
        item = {"PK": {"S": pk}, "SK": {"S": "EVENT"}, "entity": {"S": entity}}
        dynamodb.put_item(TableName=resources["table"], Item=item)

    calls: list[Any] = []
    poller = _poller(server, resources["stream"], calls)
    poller.refresh_shards(initial=True)
    server.stream_readers = poller.held_iterators
    put("EVENT#1")
    assert poller.poll_once() == 1  # processed: not saved
    put("EVENT#2")
    put("OTHER#1", entity="badge")  # the mapping's filter leaves it out
    put("EVENT#3")
    state = _save(server, resources, [poller])
    pending = state.streams["Watcher.Events"]
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in pending] == ["EVENT#2", "EVENT#3"]
    assert pending[0]["eventName"] == "INSERT"
    assert isinstance(pending[0]["dynamodb"]["ApproximateCreationDateTime"], int)

    # the next run: a new poller at LATEST with the saved records as its backlog
    replayed: list[Any] = []
    images = {**pending[0]["dynamodb"], "NewImage": {"entity": {"S": "badge"}}}
    filtered_out = {**pending[0], "eventID": "other", "dynamodb": images}
    after = _poller(server, resources["stream"], replayed, backlog=[*pending, filtered_out])
    after.refresh_shards(initial=True)
    server.stream_readers = after.held_iterators
    put("EVENT#4")
    saved = _save(server, resources, [after]).streams["Watcher.Events"]  # stopped again now
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in saved] == ["EVENT#2", "EVENT#3", "EVENT#4"]
    assert {r["eventSourceARN"] for r in saved} == {resources["stream"]}
    assert after.poll_once() == 2  # the backlog, before anything new
    assert after.poll_once() == 1
    keys = [[r["dynamodb"]["Keys"]["PK"]["S"] for r in call["Records"]] for call in replayed]
    assert keys == [["EVENT#2", "EVENT#3"], ["EVENT#4"]]
    assert _save(server, resources, [after]).streams == {"Watcher.Events": []}


def _keeper(server: EmbeddedDynamoDB, folder: Path, names: dict[str, str]) -> StateKeeper:
    return StateKeeper(folder, server, names["table"], [names["bucket"]], [names["queue"]])


def test_keeper_saves_on_stop_and_a_second_stack_cannot_share_the_folder(
    server: EmbeddedDynamoDB, resources: dict[str, str], tmp_path: Path
) -> None:
    keeper = _keeper(server, tmp_path, resources)
    assert keeper.restore() is None  # nothing saved yet
    with pytest.raises(StateError, match="in use by another local stack"):
        _keeper(server, tmp_path, resources).restore()
    keeper.watch([])
    dynamodb, s3 = _client("dynamodb", server), _client("s3", server)
    dynamodb.put_item(TableName=resources["table"], Item=ITEM)
    s3.put_object(Bucket=resources["bucket"], Key="a", Body=b"first", ContentType="image/png")
    keeper.stop()
    state = read_state(tmp_path / "state.json")
    assert state is not None
    assert [item["PK"] for item in state.items] == [ITEM["PK"]]
    assert [o.body for o in state.buckets[resources["bucket"]]] == [b"first"]
    # no temporary file left; the object's bytes in objects/, named by their MD5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lock", "objects", "state.json"]
    first = hashlib.md5(b"first").hexdigest()
    assert [p.name for p in (tmp_path / "objects").iterdir()] == [first]

    again = _keeper(server, tmp_path, resources)  # the folder is free again
    assert again.restore() is not None
    again.watch([])
    s3.put_object(Bucket=resources["bucket"], Key="a", Body=b"second", ContentType="image/png")
    again.stop()
    second = hashlib.md5(b"second").hexdigest()
    assert [p.name for p in (tmp_path / "objects").iterdir()] == [second]  # first: unnamed now
    (tmp_path / "objects" / second).write_bytes(b"changed")
    with pytest.raises(StateError, match="is not what was saved"):
        read_state(tmp_path / "state.json")
    assert clear(tmp_path) is True
    assert read_state(tmp_path / "state.json") is None
    assert list((tmp_path / "objects").iterdir()) == []


def test_a_state_file_that_cannot_be_used_loads_nothing(
    server: EmbeddedDynamoDB, resources: dict[str, str], tmp_path: Path
) -> None:
    dynamodb = _client("dynamodb", server)
    dynamodb.put_item(TableName=resources["table"], Item=ITEM)
    document = json.loads(json.dumps(_document(server, resources)))
    good = {"PK": {"S": "NEW#1"}, "SK": {"S": "X"}}
    document["table"]["items"] = [good, {"PK": {"S": "NEW#2"}, "SK": {"S": "X"}, "b": {"B": "*"}}]
    path = tmp_path / "state.json"
    write_atomically(path, json.dumps(document).encode())
    keeper = _keeper(server, tmp_path, resources)
    with pytest.raises(StateError, match=r"table item 1\.b: binary value is not base64"):
        keeper.restore()
    keeper.release()
    scan = dynamodb.scan(TableName=resources["table"])["Items"]
    assert [item["PK"] for item in scan] == [ITEM["PK"]]  # untouched: nothing half-loaded

    document["table"]["items"] = [good]
    for text, message in (
        (json.dumps(document)[:-10], "is not a complete state file"),
        (json.dumps({**document, "version": 2}), "of version 1"),
        (json.dumps({**document, "queues": {"q": [{"body": 1}]}}), "queue q message 0 body"),
    ):
        path.write_text(text)
        with pytest.raises(StateError, match=message):
            read_state(path)
    assert read_state(path.with_name("absent.json")) is None
    path.write_text(json.dumps(document))
    state = read_state(path)
    assert state is not None
    assert state.items == [good]


def _document(server: EmbeddedDynamoDB, names: dict[str, str]) -> dict[str, Any]:
    with server.exclusive():
        document, blobs = capture(names["table"], [names["bucket"]], [names["queue"]], [])
    assert blobs == {}
    return document


class _SlowGateway:
    """Answers 201 once `release` is set (a write the stack is still answering)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def dispatch(self, request: Any) -> ProxyResponse:
        self.entered.set()
        assert self.release.wait(10)
        return ProxyResponse(201, [("Content-Type", "application/json")], b"{}")


def test_a_stopping_server_finishes_the_requests_begun_and_refuses_the_next() -> None:
    """`drain` (before the stack saves): requests begun are answered, and a client's kept-alive
    connection gets 503 and is closed instead of being served after the save."""
    gateway = _SlowGateway()
    server = LocalHttpServer(("127.0.0.1", 0), gateway)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        gateway.release.set()
        kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        kept.request("POST", "/first", body=b"{}")
        assert kept.getresponse().read() == b"{}"  # the connection stays open
        gateway.release.clear()
        gateway.entered.clear()
        busy = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        busy.request("POST", "/slow", body=b"{}")
        assert gateway.entered.wait(10)
        server.shutdown()
        assert server.drain(0.2) is False  # still answering /slow
        gateway.release.set()
        assert server.drain(10) is True
        assert busy.getresponse().status == 201
        kept.request("POST", "/after", body=b"{}")
        refused = kept.getresponse()
        assert (refused.status, refused.will_close) == (503, True)
    finally:
        gateway.release.set()
        server.server_close()
