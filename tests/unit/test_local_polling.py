"""Unit tests of the local stack's poller loop (`local.polling`): idle pollers back off, work
brings the short interval back, and a write seen by the embedded server ends a long pause."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from local.dynamodb import EmbeddedDynamoDB, queue_holds_messages
from local.polling import MAX_INTERVAL, Poller
from local.queues import QueuePoller
from local.template import QueueEvent


class _Source:
    function, name = "Fake", "Source"


class ScriptedPoller(Poller):
    """Polls return the scripted counts; the pauses asked for are recorded instead of waited,
    and the loop stops when the script ends."""

    def __init__(self, found: list[int], *, drain: bool = False) -> None:
        super().__init__(_Source(), 0.2)
        self.drain = drain
        self.script = list(found)
        self.polls = 0
        self.pauses: list[float] = []

    def poll_once(self) -> int:
        self.polls += 1
        found = self.script.pop(0)
        if not self.script:
            self._stop.set()
        return found

    def _wait(self, pause: float) -> None:
        self.pauses.append(pause)


def test_idle_pauses_double_up_to_the_maximum_and_work_brings_the_interval_back() -> None:
    poller = ScriptedPoller([0, 0, 0, 0, 0, 0, 3, 0, 0, 1, 0])
    poller._run()
    assert MAX_INTERVAL == 1.0
    assert poller.pauses == [0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 0.2, 0.4, 0.8, 0.2, 0.4]


def test_a_draining_poller_polls_again_at_once_while_it_finds_work() -> None:
    poller = ScriptedPoller([0, 0, 5, 5, 0, 0], drain=True)
    poller._run()
    assert poller.polls == 6
    # no pause after the two polls that found work; the pause after them starts short again
    assert poller.pauses == [0.2, 0.4, 0.2, 0.4]  # as after the first poll


def test_a_failing_poll_counts_as_idle() -> None:
    class Failing(ScriptedPoller):
        def poll_once(self) -> int:
            if self.polls == 1:
                self.polls += 1
                raise RuntimeError("poll failed")
            return super().poll_once()

    poller = Failing([0, 0, 0])
    poller._run()
    assert poller.polls == 4
    assert poller.pauses == [0.2, 0.4, 0.8, 1.0]


class WaitingPoller(Poller):
    """A real loop (real pauses) that finds nothing; `polled` is set at every poll."""

    def __init__(self, interval: float, max_interval: float) -> None:
        super().__init__(_Source(), interval, max_interval)
        self.polls = 0
        self.polled = threading.Event()

    def poll_once(self) -> int:
        self.polls += 1
        self.polled.set()
        return 0


def test_wake_ends_a_long_idle_pause() -> None:
    poller = WaitingPoller(0.01, max_interval=3600)
    poller.pause = 1800.0  # as after a long idle period: the next pause is an hour
    poller.start()
    try:
        assert poller.polled.wait(30)
        poller.polled.clear()
        assert poller.polls == 1
        poller.wake()  # without it, the next poll would come in an hour
        assert poller.polled.wait(30)
        assert poller.polls == 2
    finally:
        poller.stop()
    assert poller._thread is None  # stop ends a long pause too


def test_stop_ends_a_long_pause() -> None:
    poller = WaitingPoller(0.01, max_interval=3600)
    poller.pause = 1800.0
    poller.start()
    assert poller.polled.wait(30)
    thread = poller._thread
    assert thread is not None
    poller.stop()
    assert not thread.is_alive()


# -- what wakes the pollers: the embedded server's writes ----------------------------------------


@pytest.mark.parametrize(
    ("target", "woken"),
    [
        ("DynamoDB_20120810.PutItem", ["dynamodb"]),
        ("DynamoDB_20120810.UpdateItem", ["dynamodb"]),
        ("DynamoDB_20120810.DeleteItem", ["dynamodb"]),
        ("DynamoDB_20120810.BatchWriteItem", ["dynamodb"]),
        ("DynamoDB_20120810.TransactWriteItems", ["dynamodb"]),
        ("DynamoDB_20120810.GetItem", []),
        ("DynamoDB_20120810.Query", []),
        ("DynamoDBStreams_20120810.GetRecords", []),
        ("AmazonSQS.SendMessage", ["sqs"]),
        ("AmazonSQS.SendMessageBatch", ["sqs"]),
        ("AmazonSQS.ReceiveMessage", []),
        ("AmazonSQS.DeleteMessageBatch", []),
        ("", []),  # S3
    ],
)
def test_the_embedded_server_wakes_pollers_on_writes_only(target: str, woken: list[str]) -> None:
    server = EmbeddedDynamoDB()
    server.keep_stream_records = False
    calls: list[str] = []
    server.on_write("dynamodb", lambda: calls.append("dynamodb"))
    server.on_write("sqs", lambda: calls.append("sqs"))
    server._after_request(target)
    assert calls == woken


def test_queue_holds_messages_sees_the_in_process_queue(aws: Any) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="poller-test")["QueueUrl"]
    assert queue_holds_messages(url) is False
    sqs.send_message(QueueUrl=url, MessageBody="{}", DelaySeconds=60)
    assert queue_holds_messages(url) is True  # delayed messages count: they come later
    assert queue_holds_messages(url.replace("poller-test", "elsewhere")) is True  # not here


def test_a_poller_with_work_pending_keeps_the_short_interval() -> None:
    class Pending(ScriptedPoller):
        def pending(self) -> bool:
            return 2 <= self.polls <= 4  # e.g. a delayed message after the second poll

    poller = Pending([0, 0, 0, 0, 0, 0])
    poller._run()
    assert poller.pauses == [0.2, 0.2, 0.2, 0.2, 0.4, 0.8]


def test_a_queue_poller_waits_short_while_its_queue_holds_a_message() -> None:
    source = QueueEvent("F", "Q", "arn:aws:sqs:us-east-1:123456789012:q")
    held = [True]
    poller = QueuePoller(None, "http://q", source, lambda event: None, holds_messages=held.pop)
    assert poller.pending() is True
    assert QueuePoller(None, "http://q", source, lambda event: None).pending() is False


def test_a_queue_poller_skips_the_receive_while_its_queue_is_empty() -> None:
    class NoClient:
        def __getattr__(self, name: str) -> Callable[..., Any]:
            raise AssertionError(f"the client was called ({name})")

    source = QueueEvent("F", "Q", "arn:aws:sqs:us-east-1:123456789012:q")
    poller = QueuePoller(
        NoClient(), "http://q", source, lambda event: None, holds_messages=lambda: False
    )
    assert poller.poll_once() == 0
