"""SQS queues and their event sources for the local stack.

Why: functions with a `Type: SQS` event (e.g. the webhook sender's retry queue, an SQS delay
queue) must run locally with what Lambda's SQS event source mapping gives them. The template's
`AWS::SQS::Queue` resources are created in the embedded moto server (which honours per-message
`DelaySeconds`, visibility timeouts and redrive policies), and one poller per mapping receives
messages every ~100 ms (backing off to ~1 s while the queue is empty, `local.polling`)
and invokes the function with Lambda-format records, honouring
`BatchSize` and `ReportBatchItemFailures`: messages that succeeded are deleted, the others
become visible again after the queue's visibility timeout, as on AWS (and move to the
dead-letter queue after `maxReceiveCount` receives).

Short polls only (`WaitTimeSeconds=0`): the embedded server answers one request at a time, so a
long poll would hold up every DynamoDB call.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from local.polling import Poller
from local.template import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, QueueEvent

LOG = logging.getLogger("local.queues")

QUEUE_PREFIX = "badgekit-local-"
_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "VisibilityTimeout",
    "RedrivePolicy",
    "RedriveAllowPolicy",
)


def local_queue_name(logical_id: str) -> str:
    """The local name of a template queue: WebhookRetryQueue → badgekit-local-webhookretryqueue."""
    return f"{QUEUE_PREFIX}{logical_id.lower()}"


@dataclass(frozen=True)
class LocalQueue:
    logical_id: str
    name: str
    url: str
    arn: str


def queue_arn(name: str, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT_ID) -> str:
    return f"arn:aws:sqs:{region}:{account}:{name}"


def queue_attributes(properties: Mapping[str, Any]) -> dict[str, str]:
    """`CreateQueue` attributes from resolved `AWS::SQS::Queue` properties (the ones that change
    behaviour locally; encryption settings are irrelevant here)."""
    attributes = {}
    for key in _ATTRIBUTES:
        if key in properties:
            value = properties[key]
            attributes[key] = (
                json.dumps(value, separators=(",", ":"))
                if isinstance(value, Mapping)
                else str(value)
            )
    return attributes


def references(value: Any) -> set[str]:
    """Logical ids named by `Fn::GetAtt`/`Ref` inside unresolved properties."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner.split(".", 1)[0] if isinstance(inner, str) else inner[0]
                found.add(str(target))
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def creation_order(queues: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Queues before the queues that name them (a dead-letter queue before its source)."""
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered or name in path:
            return
        properties = queues[name].get("Properties") or {}
        for other in sorted(references(properties) & set(queues)):
            visit(other, (*path, name))
        ordered.append(name)

    for name in queues:
        visit(name, ())
    return ordered


def sqs_message_event(message: Mapping[str, Any], queue: str, region: str) -> dict[str, Any]:
    """A message from `sqs.receive_message` in the shape Lambda delivers it."""
    attributes = dict(message.get("Attributes") or {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": attributes,
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType"),
            }
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue,
        "awsRegion": region,
    }


class QueuePoller(Poller):
    """Receives from one queue and feeds one function, like a Lambda SQS event source mapping."""

    kind = "queue"
    drain = True  # a batch received: receive again at once

    def __init__(
        self,
        client: Any,
        queue_url: str,
        source: QueueEvent,
        invoke: Callable[[dict[str, Any]], Any],
        *,
        region: str = DEFAULT_REGION,
        interval: float = 0.1,
        holds_messages: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(source, interval)
        self.client = client
        self.queue_url = queue_url
        self.invoke = invoke
        self.region = region
        # The embedded server's answer to "does the queue hold any message?" (None: an external
        # endpoint): while it does not, a receive would find nothing, and is skipped.
        self.holds_messages = holds_messages

    def pending(self) -> bool:
        """A message the last receive did not get (delayed or in flight) keeps the pause
        short, so a retry is received as soon as it is due."""
        return self.holds_messages is not None and self.holds_messages()

    def poll_once(self) -> int:
        """Receive one batch and deliver it; returns the number of messages received."""
        if self.holds_messages is not None and not self.holds_messages():
            return 0
        response = self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(10, self.source.batch_size)),
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages") or []
        if messages:
            self.deliver(messages)
        return len(messages)

    def deliver(self, messages: Sequence[Mapping[str, Any]]) -> None:
        records = [sqs_message_event(m, self.source.queue, self.region) for m in messages]
        done = self._succeeded(records)
        if done:
            self.client.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)
                ],
            )

    def _succeeded(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Invoke once; the records to delete (all but the reported failures)."""
        try:
            result = self.invoke({"Records": records})
        except Exception:
            LOG.exception("%s: handler raised; the messages come back later", self.name)
            return []
        if not self.source.report_batch_item_failures or not isinstance(result, Mapping):
            return records
        failures = result.get("batchItemFailures") or []
        ids = {r["messageId"] for r in records}
        failed = set()
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
            if identifier not in ids:
                return []  # an unknown identifier fails the whole batch, as on Lambda
            failed.add(identifier)
        if failed:
            LOG.warning("%s: %d message(s) failed; they come back later", self.name, len(failed))
        return [r for r in records if r["messageId"] not in failed]
