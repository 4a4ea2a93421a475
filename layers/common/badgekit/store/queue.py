"""The webhook retry queue (SQS): messages that schedule one delivery attempt, and the
dead-letter queue for deliveries whose attempts are exhausted (webhooks.md §4)."""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import boto3
from botocore.config import Config

from badgekit import jsonutil, logs
from badgekit.store.records import record

MAX_QUEUE_DELAY = 900  # SQS DelaySeconds maximum: longer waits hop through the queue again

# One client for every thread (botocore clients are thread-safe once made; making one is not:
# the lock): the webhook sender handles the records of a batch on threads of its own, which no
# longer make a client each.
_lock = threading.Lock()
_client: Any = None
# Connections the client may keep open: one per record of a batch (BatchSize 10), and spare.
MAX_POOL_CONNECTIONS = 16


def _sqs() -> Any:
    global _client
    client = _client
    if client is None:
        with _lock:
            if _client is None:
                # SQS_ENDPOINT is set only by the local stack (the embedded moto server).
                _client = boto3.client(
                    "sqs",
                    endpoint_url=os.environ.get("SQS_ENDPOINT") or None,
                    config=Config(tcp_keepalive=True, max_pool_connections=MAX_POOL_CONNECTIONS),
                )
            client = _client
    return client


def reset_clients() -> None:
    """Forget the client (tests switch endpoints)."""
    global _client
    _client = None


class QueueMessage(TypedDict):
    """One scheduled attempt of a delivery: the attempt `token` names, not before `notBefore`
    (epoch seconds)."""

    systemId: int
    webhookId: int
    deliveryId: int
    eventId: str
    token: str
    notBefore: float
    correlationId: NotRequired[str]  # the request that made the event (logs)


def queue_message(
    system_id: int,
    webhook_id: int,
    delivery_id: int,
    event_id: str,
    token: str,
    not_before: float,
) -> QueueMessage:
    """The message, with the current correlation id (the attempt's logs keep the request's)."""
    message: QueueMessage = {
        "systemId": system_id,
        "webhookId": webhook_id,
        "deliveryId": delivery_id,
        "eventId": event_id,
        "token": token,
        "notBefore": not_before,
    }
    correlation = logs.correlation_id()
    if correlation:
        message["correlationId"] = correlation
    return message


def read_message(body: str) -> QueueMessage:
    """A queue message's body as the message `queue_message` made."""
    return record(json.loads(body), QueueMessage)


def enqueue(message: QueueMessage, delay: float) -> None:
    """Schedule an attempt: the message becomes visible after `delay` (capped at 15 min)."""
    seconds = min(MAX_QUEUE_DELAY, max(0, math.ceil(delay)))
    send(os.environ["WEBHOOK_RETRY_QUEUE_URL"], message, seconds)


def send(url: str, body: Mapping[str, Any], delay_seconds: int = 0) -> None:
    _sqs().send_message(QueueUrl=url, MessageBody=jsonutil.dumps(body), DelaySeconds=delay_seconds)
