"""Webhook delivery (webhooks.md §2, §4) in-process: signing (the §2 worked example), the
stream filter, batches with partial failures, idempotency on repeated stream records, the retry
schedule (Retry-After, 410, exhaustion to the dead-letter queue), the retry queue, and the URL
safety policy at send time against a real receiver on 127.0.0.1.

The sender is invoked as Lambda would invoke it: with the records moto's stream really holds
(converted by the local stack's event code), and with SQS messages. Receivers are scripted by
replacing `delivery.transport`, except in the tests of `delivery.post` itself.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
import requests

from badgekit import VERSION
from badgekit.domain import delivery, webhooks
from badgekit.store import db, keys, outbox, queue
from badgekit.store import webhooks as webhook_store
from local.events import stream_record_event
from local.streams import passes_filters
from tests.unit.conftest import TABLE_NAME, TEMPLATE, Api, system_body

SECRET = "example-webhook-secret"
SYS = "/systems/chicago"
HOOKS = f"{SYS}/webhooks"

# --- fixtures and helpers --------------------------------------------------------------------

_moto_lock = threading.RLock()


@pytest.fixture(autouse=True)
def serialised_aws_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sender handles records and webhooks on threads; moto's in-process backends are not
    thread-safe (the local stack serialises its embedded server the same way), so AWS calls are
    made one at a time here. The HTTP calls still overlap."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def locked(self: Any, operation: str, params: Any) -> Any:
        with _moto_lock:
            return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", locked)


@pytest.fixture
def queues(aws: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The retry queue and the dead-letter queue (moto), and the sender's configuration."""
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="webhook-dlq")["QueueUrl"]
    retry = sqs.create_queue(QueueName="webhook-retry")["QueueUrl"]
    monkeypatch.setenv("WEBHOOK_RETRY_QUEUE_URL", retry)
    monkeypatch.setenv("WEBHOOK_DEAD_LETTER_QUEUE_URL", dlq)
    monkeypatch.setenv("WEBHOOK_RETRY_JITTER", "0")
    monkeypatch.delenv("WEBHOOK_RETRY_SCHEDULE", raising=False)
    monkeypatch.delenv("WEBHOOKS_ALLOW_HTTP", raising=False)
    monkeypatch.delenv("WEBHOOKS_ALLOW_PRIVATE", raising=False)
    queue.reset_clients()
    yield {"retry": retry, "dlq": dlq}
    queue.reset_clients()


class Receiver:
    """A scripted receiver: answers from `script` (then 200), records every call."""

    def __init__(self) -> None:
        self.script: list[delivery.Result] = []
        self.calls: list[tuple[str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    def __call__(self, url: str, headers: Any, body: bytes) -> delivery.Result:
        with self.lock:
            self.calls.append((url, dict(headers), body))
            return self.script.pop(0) if self.script else delivery.classify(200)

    def ids(self) -> list[str]:
        return [headers["webhook-id"] for _, headers, _ in self.calls]


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Receiver:
    fake = Receiver()
    monkeypatch.setattr(delivery, "transport", fake)
    return fake


class Scheduled:
    """Captures what the sender puts on the retry queue (message, delay)."""

    def __init__(self) -> None:
        self.messages: list[tuple[dict[str, Any], float]] = []

    def __call__(self, message: dict[str, Any], delay: float) -> None:
        self.messages.append((dict(message), delay))

    def run_due(self) -> int:
        """Handle every captured message as if its time had come; returns how many."""
        pending, self.messages = self.messages, []
        for message, _ in pending:
            delivery.handle_queue_message(json.dumps({**message, "notBefore": time.time()}))
        return len(pending)


@pytest.fixture
def scheduled(monkeypatch: pytest.MonkeyPatch) -> Scheduled:
    captured = Scheduled()
    monkeypatch.setattr(queue, "enqueue", captured)
    return captured


class Stream:
    """Reads the table's stream (moto), in Lambda's record format: what was written after it was
    made, then from where it last stopped."""

    def __init__(self) -> None:
        self.client = boto3.client("dynamodbstreams")
        arn = boto3.client("dynamodb").describe_table(TableName=TABLE_NAME)["Table"][
            "LatestStreamArn"
        ]
        self.arn = arn
        shard = self.client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        self.iterator = self.client.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
        )["ShardIterator"]

    def read(self) -> list[dict[str, Any]]:
        response = self.client.get_records(ShardIterator=self.iterator)
        self.iterator = response["NextShardIterator"]
        return [stream_record_event(r, self.arn, "us-east-1") for r in response["Records"]]


def sender_filter() -> list[dict[str, Any]]:
    """The FilterCriteria patterns of the template's NewEvents mapping."""
    from local.template import Template

    template = Template(TEMPLATE)
    events = template.resources["WebhookSenderFunction"]["Properties"]["Events"]
    filters = events["NewEvents"]["Properties"]["FilterCriteria"]["Filters"]
    return [json.loads(f["Pattern"]) for f in filters]


def invoke(api: Api, records: list[dict[str, Any]]) -> Any:
    """The sender, invoked by the stream mapping with the records that pass its filter."""
    patterns = sender_filter()
    batch = [r for r in records if passes_filters(patterns, r)]
    return api.gateway.functions["WebhookSenderFunction"].invoke({"Records": batch})


def invoke_queue(api: Api, bodies: list[str]) -> Any:
    records = [
        {
            "messageId": f"m{i}",
            "receiptHandle": f"r{i}",
            "body": body,
            "attributes": {},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:webhook-retry",
            "awsRegion": "us-east-1",
        }
        for i, body in enumerate(bodies)
    ]
    return api.gateway.functions["WebhookSenderFunction"].invoke({"Records": records})


@pytest.fixture
def system(api: Api, queues: dict[str, str]) -> dict[str, Any]:
    reply = api.post("/systems", system_body("chicago"))
    assert reply.status == 201
    return reply.json["system"]


def add_webhook(api: Api, url: str = "https://hooks.example.org/a", secret: str = SECRET) -> int:
    reply = api.post(HOOKS, {"url": url, "secret": secret})
    assert reply.status == 201, reply.json
    return int(reply.json["webhook"]["id"])


def record_event(system_id: int, action: str = "revoke", uid: str = "abc") -> tuple[str, str]:
    """An outbox event as the API records it; returns (event id, body)."""
    payload = {"action": action, "uid": uid, "badge": {"id": 1}, "email": "brian@example.org"}
    put = outbox.event_put(system_id, action, payload)  # type: ignore[arg-type]
    db.transact([put])
    item = put["Put"]["Item"]
    return item["eventId"], item["body"]


def deliveries(api: Api, webhook_id: int) -> list[dict[str, Any]]:
    reply = api.get(f"{HOOKS}/{webhook_id}/deliveries")
    assert reply.status == 200
    return reply.json["deliveries"]


# --- signing (§2, §4) -------------------------------------------------------------------------

EXAMPLE_BODY = (
    b'{"action":"revoke","uid":"3c1f0e0b2f4d4b1a9e8f7a6b5c4d3e2f1a0b9c8d",'
    b'"badge":{"id":1,"slug":"chicago-badge"},"email":"brian@example.org"}'
)
EXAMPLE_HASH = "60a98f267865fc1c8f2288c27dca84f676f244c61f1609a166753454fca283d6"
EXAMPLE_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJib2R5Ijp7ImFsZyI6InNoYTI1NiIsImhhc2giOiI2MGE5OGYyNjc4NjVmYzFjOGYyMjg4YzI3ZGNhODRmNjc2"
    "ZjI0NGM2MWYxNjA5YTE2Njc1MzQ1NGZjYTI4M2Q2In19."
    "a8CF8YIYG3C3bxTmj3PIuytpx456gOLTEvF1gHVgXFs"
)


def test_worked_example_token_byte_for_byte() -> None:
    assert len(EXAMPLE_BODY) == 136
    assert hashlib.sha256(EXAMPLE_BODY).hexdigest() == EXAMPLE_HASH
    assert delivery.legacy_token(EXAMPLE_BODY, SECRET) == EXAMPLE_TOKEN
    # A receiver following §2 (PyJWT, independent of our signing code) accepts it.
    claims = jwt.decode(EXAMPLE_TOKEN, SECRET, algorithms=["HS256"])
    assert claims == {"body": {"alg": "sha256", "hash": EXAMPLE_HASH}}


def test_token_adds_only_iat_and_jti() -> None:
    token = delivery.legacy_token(EXAMPLE_BODY, SECRET, iat=1700000000, jti="d-1")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims == {
        "body": {"alg": "sha256", "hash": EXAMPLE_HASH},
        "iat": 1700000000,
        "jti": "d-1",
    }
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}


def test_standard_webhooks_signature() -> None:
    signature = delivery.standard_signature("evt_1", 1700000000, EXAMPLE_BODY, SECRET)
    expected = hmac.new(
        SECRET.encode(), b"evt_1.1700000000." + EXAMPLE_BODY, hashlib.sha256
    ).digest()
    assert signature == "v1," + base64.b64encode(expected).decode()
    # printf "evt_1.1700000000.<body>" | openssl dgst -sha256 -hmac <secret> -binary | base64
    assert signature == "v1,nf4jfvLZfgbk5hcmEA1JVAODyW7GJpUEGpW5yMdayYE="


def test_request_headers() -> None:
    headers = delivery.request_headers("evt_1", EXAMPLE_BODY, SECRET, 1700000000, "j1")
    assert headers["Content-Type"] == "application/json"
    assert headers["webhook-id"] == "evt_1"
    assert headers["webhook-timestamp"] == "1700000000"
    assert headers["webhook-signature"] == delivery.standard_signature(
        "evt_1", 1700000000, EXAMPLE_BODY, SECRET
    )
    assert headers["User-Agent"] == f"BadgeKit-Webhooks/{VERSION}"
    token = headers["Authorization"].removeprefix('JWT token="').removesuffix('"')
    assert headers["Authorization"] == f'JWT token="{token}"'
    assert jwt.decode(token, SECRET, algorithms=["HS256"])["body"]["hash"] == EXAMPLE_HASH


# --- the stream filter ------------------------------------------------------------------------


def test_only_new_outbox_events_pass_the_filter_and_the_handler(api, system, receiver):
    add_webhook(api)
    stream = Stream()
    stream.read()  # skip the system and webhook writes
    event_id, _ = record_event(system["id"])
    table = db.table()
    key = keys.event(event_id)
    table.update_item(Key=key, UpdateExpression="SET x = :x", ExpressionAttributeValues={":x": 1})
    table.put_item(Item={**table.get_item(Key=key)["Item"]})  # moto's no-op MODIFY
    table.put_item(Item={"PK": "OTHER", "SK": "X", "entity": "badge"})
    table.delete_item(Key=key)
    records = stream.read()
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "MODIFY", "INSERT", "REMOVE"]
    passing = [r for r in records if passes_filters(sender_filter(), r)]
    assert [r["eventName"] for r in passing] == ["INSERT"]
    assert [delivery.event_of(r) is not None for r in records] == [
        True,
        False,
        False,
        False,
        False,
    ]
    # Even if such records reached it, the handler would ignore them.
    result = api.gateway.functions["WebhookSenderFunction"].invoke({"Records": records[1:]})
    assert result == {"batchItemFailures": []}
    assert len(receiver.calls) == 0
    invoke(api, records)
    assert receiver.ids() == [event_id]


# --- first attempt, recipients, idempotency ---------------------------------------------------


def test_every_enabled_webhook_receives_the_exact_body(api, system, receiver):
    first = add_webhook(api, "https://hooks.example.org/a", "secret-a")
    second = add_webhook(api, "https://hooks.example.org/b", "secret-b")
    stream = Stream()
    event_id, body = record_event(system["id"])
    assert invoke(api, stream.read()) == {"batchItemFailures": []}
    calls = sorted(receiver.calls)
    assert [url for url, _, _ in calls] == [
        "https://hooks.example.org/a",
        "https://hooks.example.org/b",
    ]
    for (_, headers, sent), secret in zip(calls, ("secret-a", "secret-b"), strict=True):
        assert sent == body.encode()
        assert headers["webhook-id"] == event_id
        token = headers["Authorization"].removeprefix('JWT token="').removesuffix('"')
        claims = jwt.decode(token, secret, algorithms=["HS256"])
        assert claims["body"] == {"alg": "sha256", "hash": hashlib.sha256(sent).hexdigest()}
        assert set(claims) == {"body", "iat", "jti"}
        signed = f"{event_id}.{headers['webhook-timestamp']}.".encode() + sent
        mac = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest())
        assert headers["webhook-signature"] == "v1," + mac.decode()
    for webhook_id in (first, second):
        (log,) = deliveries(api, webhook_id)
        assert log["eventId"] == event_id
        assert log["action"] == "revoke"
        assert log["status"] == "delivered"
        assert log["attempts"] == 1
        assert log["lastStatusCode"] == 200
        assert log["lastError"] is None
        assert log["nextAttemptAt"] is None


def test_event_without_recipients_is_recorded_and_dropped(api, system, receiver):
    stream = Stream()
    event_id, _ = record_event(system["id"])
    assert invoke(api, stream.read()) == {"batchItemFailures": []}
    assert receiver.calls == []
    assert db.get(keys.event(event_id))["recipients"] == 0


def test_disabled_webhooks_are_not_recipients(api, system, receiver):
    gone = add_webhook(api, "https://hooks.example.org/gone")
    live = add_webhook(api, "https://hooks.example.org/live")
    webhooks.disable(webhook_store.get(system["id"], gone))
    stream = Stream()
    record_event(system["id"])
    invoke(api, stream.read())
    assert [url for url, _, _ in receiver.calls] == ["https://hooks.example.org/live"]
    assert deliveries(api, gone) == []
    assert len(deliveries(api, live)) == 1


def test_repeated_stream_records_never_deliver_twice(api, system, receiver, scheduled):
    webhook_id = add_webhook(api)
    stream = Stream()
    first, _ = record_event(system["id"], uid="one")
    second, _ = record_event(system["id"], uid="two")
    records = stream.read()
    assert invoke(api, records) == {"batchItemFailures": []}
    assert invoke(api, records) == {"batchItemFailures": []}  # the mapping re-sends the batch
    assert invoke(api, records[1:]) == {"batchItemFailures": []}
    assert sorted(receiver.ids()) == sorted([first, second])
    assert scheduled.messages == []
    assert sorted(d["eventId"] for d in deliveries(api, webhook_id)) == sorted([first, second])


def test_a_delivery_whose_sender_died_is_resumed_by_the_repeated_record(
    api, system, receiver, scheduled
):
    webhook_id = add_webhook(api)
    stream = Stream()
    event_id, body = record_event(system["id"])
    records = stream.read()
    # The first sender created the record (and its guard) and died before sending.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(delivery, "attempt", lambda *args: None)
        invoke(api, records)
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["attempts"]) == ("pending", 0)
    # The stream re-sends the record: the attempt is scheduled for when the lease ends ...
    before = time.time()
    invoke(api, records)
    after = time.time()
    assert receiver.calls == []
    ((_, delay),) = scheduled.messages
    item = db.get(keys.delivery(webhook_id, log["id"]))
    lease_end = float(item["claimedUntil"]) + 1  # the first sender's lease, plus a second
    assert lease_end - after <= delay <= lease_end - before
    assert delay <= delivery.LEASE_SECONDS + 1
    # ... and made then, once.
    db.table().update_item(
        Key=keys.delivery(webhook_id, log["id"]),
        UpdateExpression="SET claimedUntil = :past",
        ExpressionAttributeValues={":past": int(item["claimedUntil"]) - 100},
    )
    assert scheduled.run_due() == 1
    assert receiver.ids() == [event_id]
    assert receiver.calls[0][2] == body.encode()
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["attempts"]) == ("delivered", 1)


def test_a_failing_record_is_reported_alone_and_its_retry_is_idempotent(
    api, system, receiver, monkeypatch
):
    webhook_id = add_webhook(api)
    stream = Stream()
    events = [record_event(system["id"], uid=str(i))[0] for i in range(3)]
    records = stream.read()
    original = delivery.start

    def flaky(event: delivery.Event, webhook: dict, delivery_id: int) -> None:
        if event.event_id == events[1]:
            raise RuntimeError("DynamoDB is having a bad day")
        original(event, webhook, delivery_id)

    monkeypatch.setattr(delivery, "start", flaky)
    result = invoke(api, records)
    assert result == {
        "batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]
    }
    assert sorted(receiver.ids()) == sorted([events[0], events[2]])
    # Lambda retries from the failed record on: the later one is not delivered again.
    monkeypatch.setattr(delivery, "start", original)
    assert invoke(api, records[1:]) == {"batchItemFailures": []}
    assert sorted(receiver.ids()) == sorted(events)
    assert len(deliveries(api, webhook_id)) == 3


def test_a_slow_receiver_does_not_delay_the_rest_of_the_batch(api, system, monkeypatch):
    add_webhook(api, "https://slow.example.org/x")
    add_webhook(api, "https://fast.example.org/x")
    stream = Stream()
    for i in range(5):
        record_event(system["id"], uid=str(i))
    lock = threading.Lock()
    in_flight = {"now": 0, "peak": 0}
    done: list[str] = []

    def receiver(url: str, headers: Any, body: bytes) -> delivery.Result:
        if "slow" in url:
            with lock:
                in_flight["now"] += 1
                in_flight["peak"] = max(in_flight["peak"], in_flight["now"])
            time.sleep(0.5)
            with lock:
                in_flight["now"] -= 1
        with lock:
            done.append(url)
        return delivery.classify(200)

    monkeypatch.setattr(delivery, "transport", receiver)
    assert invoke(api, stream.read()) == {"batchItemFailures": []}
    assert sorted(done) == ["https://fast.example.org/x"] * 5 + ["https://slow.example.org/x"] * 5
    # The records of the batch were handled concurrently: the slow calls overlapped.
    assert in_flight["peak"] >= 3


@pytest.mark.parametrize("on_lambda", [False, True], ids=["local", "lambda-environment"])
def test_batches_from_a_poller_thread_report_failures_per_record(
    api, system, receiver, monkeypatch, on_lambda
):
    """The local stack's pollers invoke the sender on their own threads; Powertools' async
    processor runs the batch on a new event loop there (asyncio.run), and, when LAMBDA_TASK_ROOT
    is set, on the thread's event loop, created once and reused by the next invocation."""
    if on_lambda:
        monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    add_webhook(api)
    stream = Stream()
    original = delivery.start
    failing: set[str] = set()

    def flaky(event: delivery.Event, webhook: dict, delivery_id: int) -> None:
        if event.event_id in failing:
            raise RuntimeError("DynamoDB is having a bad day")
        original(event, webhook, delivery_id)

    monkeypatch.setattr(delivery, "start", flaky)
    results: list[Any] = []
    delivered: list[str] = []

    def poller() -> None:
        for batch in range(2):  # two invocations on the same thread
            events = [record_event(system["id"], uid=f"{batch}-{i}")[0] for i in range(2)]
            failing.add(events[0])
            delivered.append(events[1])
            records = [r for r in stream.read() if passes_filters(sender_filter(), r)]
            assert len(records) == 2
            results.append((records[0]["dynamodb"]["SequenceNumber"], invoke(api, records)))
        if on_lambda:
            asyncio.get_event_loop().close()  # the thread's loop, left open for the next batch

    thread = threading.Thread(target=poller)
    thread.start()
    thread.join()
    assert len(results) == 2
    for sequence, result in results:
        assert result == {"batchItemFailures": [{"itemIdentifier": sequence}]}
    assert sorted(receiver.ids()) == sorted(delivered)


# --- retries (§4) -----------------------------------------------------------------------------


def test_failing_twice_then_recovering_is_delivered_once_with_three_attempts(
    api, system, receiver, scheduled
):
    webhook_id = add_webhook(api)
    receiver.script += [delivery.classify(503), delivery.Result("retry", error="timeout")]
    stream = Stream()
    event_id, body = record_event(system["id"])
    invoke(api, stream.read())
    ((message, delay),) = scheduled.messages
    assert delay == 5  # ~5 s after the first attempt
    assert message["eventId"] == event_id
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["attempts"], log["lastStatusCode"]) == ("pending", 1, 503)
    assert log["lastError"] == "HTTP 503"
    assert log["nextAttemptAt"] is not None
    assert scheduled.run_due() == 1
    ((_, delay),) = scheduled.messages
    assert delay == 55  # the next attempt ~1 min after the first
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["attempts"], log["lastError"]) == ("pending", 2, "timeout")
    assert log["lastStatusCode"] is None
    assert scheduled.run_due() == 1
    assert scheduled.messages == []
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["attempts"], log["lastStatusCode"]) == ("delivered", 3, 200)
    assert log["lastError"] is None
    assert receiver.ids() == [event_id] * 3  # the same webhook-id on every retry
    assert {sent for _, _, sent in receiver.calls} == {body.encode()}
    assert len({headers["Authorization"] for _, headers, _ in receiver.calls}) == 3  # new jti


def test_schedule_of_nine_attempts_then_dead_letter(api, system, receiver, scheduled, queues):
    webhook_id = add_webhook(api)
    receiver.script += [delivery.classify(500)] * 9
    stream = Stream()
    event_id, _ = record_event(system["id"])
    invoke(api, stream.read())
    delays = []
    while scheduled.messages:
        delays.append(scheduled.messages[0][1])
        scheduled.run_due()
    assert delays == [5, 55, 240, 1500, 5400, 14400, 21600, 43200]
    assert len(receiver.calls) == 9
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["attempts"], log["nextAttemptAt"]) == ("failed", 9, None)
    messages = boto3.client("sqs").receive_message(QueueUrl=queues["dlq"])["Messages"]
    (dead,) = [json.loads(m["Body"]) for m in messages]
    assert dead["eventId"] == event_id
    assert dead["webhookId"] == webhook_id
    assert dead["deliveryId"] == log["id"]
    assert dead["attempts"] == 9
    assert dead["lastStatusCode"] == 500


def test_schedule_is_configurable_and_jittered(monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "1,3")
    monkeypatch.setenv("WEBHOOK_RETRY_JITTER", "0.5")
    assert delivery.max_attempts() == 3
    waits = [delivery.retry_delay(2) for _ in range(200)]
    assert all(w is not None and 1.0 <= w <= 3.0 for w in waits)
    assert len({round(w or 0, 3) for w in waits}) > 50
    assert delivery.retry_delay(3) is None
    monkeypatch.setenv("WEBHOOK_RETRY_JITTER", "0")
    assert delivery.retry_delay(1) == 1
    assert delivery.retry_delay(2) == 2


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [(429, "120", 120), (503, "2", 5), (408, None, 5), (503, "soon", 5)],
)
def test_retry_after_is_honoured(api, system, receiver, scheduled, status, retry_after, expected):
    add_webhook(api)
    receiver.script.append(
        delivery.classify(status, delivery.parse_retry_after(retry_after, time.time()))
    )
    stream = Stream()
    record_event(system["id"])
    invoke(api, stream.read())
    ((_, delay),) = scheduled.messages
    assert delay == expected


def test_retry_after_as_an_http_date():
    now = 1_700_000_000.0
    assert delivery.parse_retry_after("Tue, 14 Nov 2023 22:18:20 GMT", now) == 300
    assert delivery.parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0
    assert delivery.parse_retry_after("30", now) == 30
    assert delivery.parse_retry_after(None, now) is None
    assert delivery.retry_delay(1, retry_after=10 * 86400) == delivery.MAX_RETRY_AFTER


def test_410_disables_the_webhook(api, system, receiver, scheduled):
    webhook_id = add_webhook(api)
    receiver.script.append(delivery.classify(410))
    stream = Stream()
    record_event(system["id"], uid="one")
    invoke(api, stream.read())
    assert scheduled.messages == []
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["attempts"], log["lastStatusCode"]) == ("failed", 1, 410)
    listed = api.get(HOOKS).json["webhooks"]
    assert listed == [{"id": webhook_id, "url": "https://hooks.example.org/a", "disabled": True}]
    record_event(system["id"], uid="two")
    invoke(api, stream.read())
    assert len(receiver.calls) == 1  # no longer a recipient


@pytest.mark.parametrize("status", [400, 401, 404, 302])
def test_other_statuses_are_final(api, system, receiver, scheduled, status):
    webhook_id = add_webhook(api)
    receiver.script.append(delivery.classify(status))
    stream = Stream()
    record_event(system["id"])
    invoke(api, stream.read())
    assert scheduled.messages == []
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["lastStatusCode"], log["lastError"]) == (
        "failed",
        status,
        f"HTTP {status}",
    )
    assert api.get(HOOKS).json["webhooks"][0]["disabled"] is False


def test_pending_retry_of_a_deleted_or_disabled_webhook_fails_without_a_call(
    api, system, receiver, scheduled
):
    deleted = add_webhook(api, "https://hooks.example.org/deleted")
    disabled = add_webhook(api, "https://hooks.example.org/disabled")
    receiver.script += [delivery.classify(500), delivery.classify(500)]
    stream = Stream()
    record_event(system["id"])
    invoke(api, stream.read())
    assert len(scheduled.messages) == 2
    logs = {hook: deliveries(api, hook)[0] for hook in (deleted, disabled)}
    assert api.delete(f"{HOOKS}/{deleted}").status == 200
    webhooks.disable(webhook_store.get(system["id"], disabled))
    assert scheduled.run_due() == 2
    assert len(receiver.calls) == 2
    gone = db.get(keys.delivery(deleted, logs[deleted]["id"]))
    assert (gone["status"], gone["lastError"]) == ("failed", "webhook deleted")
    (log,) = deliveries(api, disabled)
    assert (log["status"], log["lastError"], log["attempts"]) == ("failed", "webhook disabled", 1)


def test_stale_and_duplicate_queue_messages_are_dropped(api, system, receiver, scheduled):
    webhook_id = add_webhook(api)
    receiver.script.append(delivery.classify(500))
    stream = Stream()
    record_event(system["id"])
    invoke(api, stream.read())
    ((message, _),) = scheduled.messages
    due = json.dumps({**message, "notBefore": time.time()})
    stale = json.dumps({**message, "token": "0123456789abcdef", "notBefore": time.time()})
    assert invoke_queue(api, [due, due, stale]) == {"batchItemFailures": []}
    assert len(receiver.calls) == 2  # the first attempt and one retry
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["attempts"]) == ("delivered", 2)


def test_long_waits_hop_through_the_queue(api, system, queues):
    far = queue.queue_message(1, 1, 1, "evt_x", "t", time.time() + 3600)
    delivery.handle_queue_message(json.dumps(far))  # not due: back on the queue, 15 min max
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=queues["retry"], AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    near = queue.queue_message(1, 1, 2, "evt_y", "t", time.time() - 1)
    queue.enqueue(near, 0)
    (received,) = sqs.receive_message(QueueUrl=queues["retry"])["Messages"]
    assert json.loads(received["Body"]) == near


def test_queue_batch_reports_failures_per_message(api, system, receiver, monkeypatch):
    bad = "not json"
    good = json.dumps(queue.queue_message(system["id"], 99, 1, "evt_x", "t", time.time()))
    result = invoke_queue(api, [good, bad])
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


# --- redelivery (§4) --------------------------------------------------------------------------


def test_redeliver_sends_again_with_the_same_webhook_id(api, system, receiver, scheduled):
    webhook_id = add_webhook(api)
    stream = Stream()
    event_id, body = record_event(system["id"])
    invoke(api, stream.read())
    (log,) = deliveries(api, webhook_id)
    reply = api.post(f"{HOOKS}/{webhook_id}/deliveries/{log['id']}/redeliver")
    assert reply.status == 202
    redelivery = reply.json["delivery"]
    assert redelivery["id"] == log["id"]
    assert redelivery["status"] == "pending"
    assert redelivery["attempts"] == 1
    assert redelivery["nextAttemptAt"] is not None
    assert scheduled.run_due() == 1
    assert receiver.ids() == [event_id, event_id]
    assert receiver.calls[1][2] == body.encode()
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["attempts"]) == ("delivered", 2)


def test_redeliver_supersedes_a_scheduled_retry(api, system, receiver, scheduled):
    webhook_id = add_webhook(api)
    receiver.script.append(delivery.classify(500))
    stream = Stream()
    record_event(system["id"])
    invoke(api, stream.read())
    (log,) = deliveries(api, webhook_id)
    assert api.post(f"{HOOKS}/{webhook_id}/deliveries/{log['id']}/redeliver").status == 202
    assert len(scheduled.messages) == 2  # the old retry and the redelivery
    assert scheduled.run_due() == 2
    assert len(receiver.calls) == 2  # the old retry is stale
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["attempts"]) == ("delivered", 2)


# --- URL safety at send time, against a real receiver -----------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]] = []
    status = 200
    delay = 0.0
    headers_out: dict[str, str] = {}

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        type(self).received.append((self.path, dict(self.headers), body))
        time.sleep(type(self).delay)
        self.send_response(type(self).status)
        for name, value in type(self).headers_out.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[Handler]]]:
    handler = type("H", (Handler,), {"received": [], "status": 200, "delay": 0.0})
    handler.headers_out = {}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.handle_error = lambda *args: None  # type: ignore[method-assign]  # timed-out clients
    # A short poll: shutdown() waits for the loop's next poll (0.5 s by default).
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def local_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP", "true")
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "loopback")


def test_post_reaches_an_allowed_receiver(server, local_policy):
    url, handler = server
    headers = delivery.request_headers("evt_1", EXAMPLE_BODY, SECRET, 1700000000, "j")
    result = delivery.post(f"{url}/hook?x=1", headers, EXAMPLE_BODY)
    assert result == delivery.Result("delivered", 200)
    ((path, received, body),) = handler.received
    assert path == "/hook?x=1"
    assert body == EXAMPLE_BODY
    assert received["Host"] == url.removeprefix("http://")
    for name in ("Authorization", "webhook-id", "webhook-timestamp", "webhook-signature"):
        assert received[name] == headers[name]
    assert received["User-Agent"] == f"BadgeKit-Webhooks/{VERSION}"


def test_post_refuses_url_credentials(server, local_policy):
    """A URL stored before credentials were refused (webhooks.md §1) is never called."""
    url, handler = server
    headers = delivery.request_headers("evt_1", b"{}", SECRET, 1, "j")
    for userinfo in ("user:pw@", "user@", ":@", "@"):
        credentialed = url.replace("http://", f"http://{userinfo}")
        assert delivery.post(f"{credentialed}/x", headers, b"{}") == delivery.Result(
            "failed", error="URL not allowed: credentials"
        )
    assert handler.received == []


def test_post_connects_to_the_checked_address(server, local_policy, monkeypatch):
    """The name is resolved once, for the check, and the connection goes to that address (with
    the name in `Host`): a second lookup, as an unpinned connection would make, fails here."""
    url, handler = server
    port = int(url.rsplit(":", 1)[1])
    lookups: list[str] = []
    real = socket.getaddrinfo

    def resolver(host: Any, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        if host == "hooks.example.test":
            if lookups.count(host) > 1:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    result = delivery.post(f"http://hooks.example.test:{port}/x", {}, b"{}")
    assert result == delivery.Result("delivered", 200)
    assert lookups.count("hooks.example.test") == 1
    ((path, received, _),) = handler.received
    assert path == "/x"
    assert received["Host"] == f"hooks.example.test:{port}"


def test_post_without_the_pinning_hook_refuses_to_send(server, local_policy, monkeypatch):
    url, handler = server
    monkeypatch.delattr(requests.adapters.HTTPAdapter, "get_connection_with_tls_context")
    with pytest.raises(RuntimeError, match=r"requests >= 2\.32\.2"):
        delivery.post(f"{url}/x", {}, b"{}")
    assert handler.received == []


@pytest.mark.parametrize("host", ["0x7f.1", "127.1", "2130706433", "0177.0.0.1"])
def test_post_checks_what_other_ipv4_spellings_resolve_to(server, host, monkeypatch):
    url, handler = server
    odd = url.replace("127.0.0.1", host)
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP", "true")
    monkeypatch.delenv("WEBHOOKS_ALLOW_PRIVATE", raising=False)
    assert delivery.post(f"{odd}/x", {}, b"{}") == delivery.Result(
        "failed", error="address not allowed: 127.0.0.1"
    )
    assert handler.received == []
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "loopback")
    assert delivery.post(f"{odd}/x", {}, b"{}") == delivery.Result("delivered", 200)
    assert handler.received[0][1]["Host"] == odd.removeprefix("http://")


class Connections:
    """Records every HTTP call the sender would make, and makes none."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(request.url)
        raise requests.ConnectionError("no connection in this test")


def test_a_name_resolving_to_an_embedded_private_address_is_not_called(
    api, system, scheduled, monkeypatch
):
    """The send-time check (§4): the name passes at creation, its address is refused when sent.
    The delivery fails at once, without a connection and without a retry."""
    webhook_id = add_webhook(api, "https://hooks.example.org/a")
    real = socket.getaddrinfo

    def resolver(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.example.org":
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("64:ff9b::a00:1", port, 0, 0))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    connections = Connections()
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", connections)
    stream = Stream()
    record_event(system["id"])
    invoke(api, stream.read())
    assert connections.calls == []
    assert scheduled.messages == []
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["attempts"], log["lastStatusCode"], log["lastError"]) == (
        "failed",
        1,
        None,
        "address not allowed: 64:ff9b::a00:1",
    )


def test_a_stored_url_with_credentials_is_not_called(api, system, scheduled, monkeypatch):
    """A webhook stored before credentials were refused (§1) fails without a call."""
    webhook_id = add_webhook(api, "https://hooks.example.org/a")
    db.table().update_item(
        Key=keys.webhook(system["id"], webhook_id),
        UpdateExpression="SET #u = :url",
        ExpressionAttributeNames={"#u": "url"},
        ExpressionAttributeValues={":url": "https://user:pass@hooks.example.org/a"},
    )
    lookups: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: lookups.append(host))
    connections = Connections()
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", connections)
    stream = Stream()
    record_event(system["id"])
    invoke(api, stream.read())
    assert (lookups, connections.calls, scheduled.messages) == ([], [], [])
    (log,) = deliveries(api, webhook_id)
    assert (log["status"], log["attempts"], log["lastStatusCode"], log["lastError"]) == (
        "failed",
        1,
        None,
        "URL not allowed: credentials",
    )


def test_post_refuses_loopback_and_http_by_default(server, monkeypatch):
    url, handler = server
    monkeypatch.delenv("WEBHOOKS_ALLOW_PRIVATE", raising=False)
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP", "true")
    refused = delivery.post(f"{url}/x", {}, b"{}")
    assert refused == delivery.Result("failed", error="address not allowed: 127.0.0.1")
    by_name = delivery.post(url.replace("127.0.0.1", "localhost") + "/x", {}, b"{}")
    assert by_name.outcome == "failed"
    assert str(by_name.error).startswith("address not allowed")
    monkeypatch.delenv("WEBHOOKS_ALLOW_HTTP")
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "loopback")
    assert delivery.post(f"{url}/x", {}, b"{}") == delivery.Result(
        "failed", error="URL not allowed: http is disabled"
    )
    assert handler.received == []


def test_post_never_follows_redirects(server, local_policy):
    url, handler = server
    handler.status = 302
    handler.headers_out = {"Location": f"{url}/elsewhere"}
    result = delivery.post(f"{url}/x", {}, b"{}")
    assert result == delivery.Result("failed", 302, "HTTP 302")
    assert [path for path, _, _ in handler.received] == ["/x"]


def test_post_classifies_statuses_and_timeouts(server, local_policy, monkeypatch):
    url, handler = server
    handler.status = 429
    handler.headers_out = {"Retry-After": "7"}
    assert delivery.post(f"{url}/x", {}, b"{}") == delivery.Result("retry", 429, "HTTP 429", 7.0)
    handler.status = 410
    handler.headers_out = {}
    assert delivery.post(f"{url}/x", {}, b"{}").outcome == "gone"
    handler.status = 204
    handler.delay = 0.5
    monkeypatch.setattr(delivery, "READ_TIMEOUT", 0.1)
    assert delivery.post(f"{url}/x", {}, b"{}") == delivery.Result("retry", error="timeout")


def test_post_network_errors_are_retryable(local_policy):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = delivery.post(f"http://127.0.0.1:{port}/x", {}, b"{}")
    assert result.outcome == "retry"
    assert result.error == "connection failed: ConnectionError"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),  # cloud metadata (link-local)
        ("100.100.100.200", False),  # metadata of another cloud (shared address space)
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00:ec2::254", False),  # AWS metadata over IPv6 (unique local)
        ("::ffff:10.0.0.1", False),
    ],
)
def test_address_policy(address, public, monkeypatch):
    import ipaddress

    ip = ipaddress.ip_address(address)
    monkeypatch.delenv("WEBHOOKS_ALLOW_PRIVATE", raising=False)
    assert webhooks.address_allowed(ip) is public
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "loopback")
    assert webhooks.address_allowed(ip) is (public or address in ("127.0.0.1", "::1"))
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")
    assert webhooks.address_allowed(ip) is True
