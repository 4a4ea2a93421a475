"""Webhook delivery (webhooks.md §2, §4): signed HTTP calls, retries on a schedule, the log.

Flow. The table's stream hands each new outbox event to the sender (`StreamBatch`). For every
enabled webhook of the event's system it creates one delivery record, conditionally on a guard
item keyed by (webhook, event), so a repeated stream record never makes a second delivery, and
makes the first attempt at once. A retryable failure sends a message to the retry queue (an
SQS delay queue; waits beyond its 15-minute maximum hop through it again), whose consumer
(`handle_queue_message`) makes the next attempt. A failing receiver therefore never holds the
stream: the record is done as soon as its deliveries are sent or scheduled.

Exactly one attempt at a time. Each record carries a `token` naming its one current scheduled
attempt, and an attempt first claims the record (a conditional update taking a short lease,
`claimedUntil`). Queue messages with another token are stale and dropped; a message that finds
the lease taken comes back when it ends. If a sender dies mid-attempt, the trigger's own retry
(the stream record, or the queue message after its visibility timeout) finds the lease expired
and tries again: delivery is at-least-once, and receivers de-duplicate on `webhook-id`.

Every call carries both signatures (§2, §4): `Authorization: JWT token="<jws>"` whose payload is
only the body hash (plus `iat` and `jti`), made with the same `badgekit.signing` helper that
verifies API requests, and the Standard Webhooks headers `webhook-id` (the event id, the same on
every retry), `webhook-timestamp` and `webhook-signature`.
"""

from __future__ import annotations

import base64
import contextvars
import ipaddress
import math
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from badgekit import config, logs, metrics, signing, timestamps
from badgekit.domain import webhooks
from badgekit.domain.webhooks import Address
from badgekit.store import db, outbox, queue
from badgekit.store import webhooks as webhook_store
from badgekit.store.webhooks import DeliveryRecord, Status, WebhookRecord

# Structured logs (ids as keys) through the package's Powertools logger; never the secret.
logger = logs.logger

# --- signing (§2, §4) -------------------------------------------------------------------------


def legacy_token(
    body: bytes, secret: str, *, iat: int | None = None, jti: str | None = None
) -> str:
    """The §2 JWS: payload exactly {"body": {"alg": "sha256", "hash": <hex>}}, plus the optional
    `iat` and `jti` claims and nothing else."""
    claims: dict[str, Any] = {"body": {"alg": "sha256", "hash": signing.body_hash(body)}}
    if iat is not None:
        claims["iat"] = iat
    if jti is not None:
        claims["jti"] = jti
    return signing.sign(claims, secret)


def standard_signature(webhook_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """`webhook-signature`: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>"> keyed with the
    secret's UTF-8 bytes."""
    digest = signing.hmac_digest(secret, f"{webhook_id}.{timestamp}.".encode() + body)
    return "v1," + base64.b64encode(digest).decode("ascii")


def user_agent() -> str:
    return f"BadgeKit-Webhooks/{config.version()}"


def request_headers(event_id: str, body: bytes, secret: str, now: int, jti: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Authorization": signing.authorization_header(legacy_token(body, secret, iat=now, jti=jti)),
        "webhook-id": event_id,
        "webhook-timestamp": str(now),
        "webhook-signature": standard_signature(event_id, now, body, secret),
        "User-Agent": user_agent(),
    }


# --- retry schedule (§4) ----------------------------------------------------------------------

# Offsets of attempts 2..9 from the first attempt: about 5 s, 1 min, 5 min, 30 min, 2 h, 6 h,
# 12 h and 24 h. WEBHOOK_RETRY_SCHEDULE (comma-separated seconds) replaces them, e.g. in tests.
DEFAULT_SCHEDULE = (5, 60, 300, 1800, 7200, 21600, 43200, 86400)
DEFAULT_JITTER = 0.1  # each wait is scaled by a random factor in [1 - j, 1 + j]
MAX_RETRY_AFTER = 86400
MIN_DELAY = 1  # a queued attempt never runs before the record that scheduled it is updated


def retry_schedule() -> tuple[float, ...]:
    text = os.environ.get("WEBHOOK_RETRY_SCHEDULE", "").strip()
    if not text:
        return DEFAULT_SCHEDULE
    return tuple(float(part) for part in text.split(",") if part.strip())


def max_attempts() -> int:
    return 1 + len(retry_schedule())


def retry_delay(
    attempts_made: int, retry_after: float | None = None, rng: random.Random | None = None
) -> float | None:
    """Seconds to wait before the next attempt after `attempts_made` attempts, or None when
    none is left. The waits are the gaps between the schedule's offsets (so a redelivery made
    long after the first attempt does not rush through the rest), jittered, and never shorter
    than a receiver's `Retry-After`."""
    schedule = retry_schedule()
    if attempts_made < 1 or attempts_made > len(schedule):
        return None
    previous = schedule[attempts_made - 2] if attempts_made >= 2 else 0.0
    gap = max(0.0, schedule[attempts_made - 1] - previous)
    jitter = float(os.environ.get("WEBHOOK_RETRY_JITTER") or DEFAULT_JITTER)
    wait = gap * (rng or random).uniform(1 - jitter, 1 + jitter)
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
    return max(wait, MIN_DELAY)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """`Retry-After`: delay-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # not "²": isdigit alone accepts what float() refuses
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


# --- the HTTP call ----------------------------------------------------------------------------

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0  # success = any 2xx within 10 seconds (§4)

Outcome = Literal["delivered", "retry", "gone", "failed"]


@dataclass(frozen=True)
class Result:
    """What one attempt got: a status code, or an error (network, timeout, refused address)."""

    outcome: Outcome
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None


def classify(status: int, retry_after: float | None = None) -> Result:
    if 200 <= status < 300:
        return Result("delivered", status)
    if status == 410:
        return Result("gone", status, "HTTP 410")
    if status in (408, 429) or 500 <= status < 600:
        return Result("retry", status, f"HTTP {status}", retry_after)
    return Result("failed", status, f"HTTP {status}")


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


class PinnedAdapter(HTTPAdapter):
    """Connects to the address that was checked, not to whatever the name resolves to next
    (no DNS rebinding between the check and the call); TLS still verifies the host name."""

    def __init__(self, address: Address, hostname: str) -> None:
        if not hasattr(HTTPAdapter, "get_connection_with_tls_context"):
            # requests < 2.32.2 never calls the hook below: the call would go to a fresh DNS
            # answer instead of the checked address. Fail loudly (the trigger retries).
            raise RuntimeError("webhook delivery needs requests >= 2.32.2 (address pinning)")
        self.address = str(address)
        self.hostname = hostname
        super().__init__(max_retries=0)

    def get_connection_with_tls_context(
        self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
    ) -> Any:
        parts = urlsplit(request.url)
        scheme = parts.scheme.lower()
        pool_kwargs: dict[str, Any] = {}
        if scheme == "https":
            pool_kwargs = {"server_hostname": self.hostname, "assert_hostname": self.hostname}
        return self.poolmanager.connection_from_host(
            self.address,
            port=parts.port or (443 if scheme == "https" else 80),
            scheme=scheme,
            pool_kwargs=pool_kwargs,
        )


def post(url: str, headers: Mapping[str, str], body: bytes) -> Result:
    """One POST under the send-time safety policy (§4): allowed scheme, no credentials, every
    resolved address allowed and the connection made to the first of them (pinned), no redirects
    followed, no proxies from the environment, 10 s timeout."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return Result("failed", error="invalid URL")
    if scheme not in ("http", "https") or not host:
        return Result("failed", error="invalid URL")
    if "@" in parts.netloc:  # a URL stored before credentials were refused (§1): never called
        return Result("failed", error="URL not allowed: credentials")
    if scheme == "http" and not webhooks.allow_http():
        return Result("failed", error="URL not allowed: http is disabled")
    try:
        addresses = resolve(host, port)
    except (OSError, ValueError, UnicodeError) as exc:
        return Result("retry", error=f"DNS lookup failed: {type(exc).__name__}")
    refused = [a for a in addresses if not webhooks.address_allowed(a)]
    if refused or not addresses:
        return Result("failed", error=f"address not allowed: {refused[0] if refused else host}")
    netloc = parts.netloc
    target = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    session = requests.Session()
    session.trust_env = False
    session.mount(f"{scheme}://", PinnedAdapter(addresses[0], host))
    try:
        response = session.post(
            target,
            data=body,
            headers={**headers, "Host": netloc},
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            allow_redirects=False,
            stream=True,  # the body is ignored: never read
        )
    except requests.Timeout:
        return Result("retry", error="timeout")
    except requests.RequestException as exc:
        return Result("retry", error=f"connection failed: {type(exc).__name__}")
    finally:
        session.close()
    try:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
        return classify(response.status_code, retry_after)
    finally:
        response.close()


# The transport; tests replace it to script receivers without sockets.
Transport = Callable[[str, Mapping[str, str], bytes], Result]
transport: Transport = post


# --- the retry queue --------------------------------------------------------------------------


def dead_letter(delivery: DeliveryRecord, result: Result) -> None:
    """After the last attempt: the delivery goes to the dead-letter queue (§4)."""
    url = os.environ.get("WEBHOOK_DEAD_LETTER_QUEUE_URL")
    if not url:
        logger.warning("no dead-letter queue configured", extra=_log_extra(delivery))
        return
    body = {
        "reason": "attempts exhausted",
        "systemId": delivery["systemId"],
        "webhookId": delivery["webhookId"],
        "deliveryId": delivery["id"],
        "eventId": delivery["eventId"],
        "action": delivery["action"],
        "attempts": delivery["attempts"] + 1,
        "lastStatusCode": result.status_code,
        "lastError": result.error,
    }
    queue.send(url, body)


# --- attempts ---------------------------------------------------------------------------------

LEASE_SECONDS = 60  # longer than one attempt can take (connect 5 s + read 10 s + writes)


def _log_extra(delivery: DeliveryRecord, **more: Any) -> dict[str, Any]:
    # Never the secret, nor the URL's credentials: ids only.
    return {
        "eventId": delivery.get("eventId"),
        "webhookId": delivery["webhookId"],
        "deliveryId": delivery["id"],
        **more,
    }


def attempt(webhook: WebhookRecord, body: str, delivery: DeliveryRecord, token: str) -> Result:
    """Make the claimed attempt `attempts + 1` of `delivery` and record what happened."""
    number = delivery["attempts"] + 1
    payload = body.encode("utf-8")
    now = timestamps.now()
    headers = request_headers(
        delivery["eventId"], payload, webhook["secret"], now, uuid.uuid4().hex
    )
    result = transport(webhook["url"], headers, payload)
    # One line per attempt (ids, status and error only: never the URL, body or secret).
    extra = _log_extra(delivery, attempt=number, statusCode=result.status_code)
    if result.outcome == "delivered":
        logger.info("webhook delivered", extra=extra)
    else:
        logger.warning(
            f"webhook attempt failed: {result.error}", extra={**extra, "error": result.error}
        )
    record(webhook, delivery, token, number, result)
    return result


def record(
    webhook: WebhookRecord, delivery: DeliveryRecord, token: str, number: int, result: Result
) -> None:
    """Store the outcome of attempt `number`; schedule the next one when it is retryable."""
    now = time.time()
    status: Status = "failed"
    next_at: int | None = None
    new_token = token
    if result.outcome == "delivered":
        status = "delivered"
        metrics.count(metrics.WEBHOOK_DELIVERED)
    elif result.outcome == "gone":
        webhooks.disable(webhook)
        metrics.count(metrics.WEBHOOK_DISABLED)
    elif result.outcome == "retry":
        wait = retry_delay(number, result.retry_after)
        if wait is None:
            dead_letter(delivery, result)
        else:
            metrics.count(metrics.WEBHOOK_RETRIED)
            status = "pending"
            new_token = webhooks.new_token()
            next_at = math.ceil(now + wait)
            queue.enqueue(
                queue.queue_message(
                    delivery["systemId"],
                    delivery["webhookId"],
                    delivery["id"],
                    delivery["eventId"],
                    new_token,
                    now + wait,
                ),
                wait,
            )
    if status == "failed":
        metrics.count(metrics.WEBHOOK_FAILED)
    _finish(delivery, token, new_token, number, status, next_at, result)


def _finish(
    delivery: DeliveryRecord,
    token: str,
    new_token: str,
    attempts: int,
    status: Status,
    next_at: int | None,
    result: Result,
) -> None:
    finished = webhook_store.finish(
        delivery["webhookId"],
        delivery["id"],
        token,
        new_token=new_token,
        attempts=attempts,
        status=status,
        status_code=result.status_code,
        error=result.error,
        next_at=next_at,
    )
    if not finished:
        # Superseded (a redelivery was requested meanwhile) or gone (webhook deleted).
        logger.info("delivery record changed during the attempt", extra=_log_extra(delivery))


def claim(delivery: DeliveryRecord, token: str) -> bool:
    """Take the lease for the current attempt; False when someone else holds it or the record
    has moved on (another token, not pending)."""
    now = timestamps.now()
    return webhook_store.claim(
        delivery["webhookId"], delivery["id"], token, now, now + LEASE_SECONDS
    )


def give_up(delivery: DeliveryRecord, token: str, reason: str) -> None:
    """A pending delivery that can no longer be attempted (webhook disabled or deleted, event
    expired): failed, without an HTTP call."""
    metrics.count(metrics.WEBHOOK_FAILED)
    logger.info(f"delivery given up: {reason}", extra=_log_extra(delivery))
    _finish(
        delivery,
        token,
        token,
        delivery["attempts"],
        "failed",
        None,
        Result("failed", error=reason),
    )


# --- the stream: new outbox events ------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    event_id: str
    system_id: int
    action: str
    body: str
    created: int
    correlation_id: str | None = None  # the request that made it


def event_of(record: Mapping[str, Any]) -> Event | None:
    """The outbox event a stream record inserted; None for anything else (updates, removals,
    other entities, emulators' no-op MODIFY records), which is ignored (§4)."""
    found = outbox.inserted_event(record)
    if found is None:
        return None
    return Event(
        event_id=found["eventId"],
        system_id=found["systemId"],
        action=found["action"],
        body=found["body"],
        created=found.get("created") or timestamps.now(),
        correlation_id=found.get("correlationId"),
    )


_send_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def send_pool() -> ThreadPoolExecutor:
    """Deliveries of one event to several webhooks run concurrently: a slow receiver never
    delays another one."""
    global _send_pool
    with _pool_lock:
        if _send_pool is None:
            _send_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="webhook-send")
    return _send_pool


@dataclass
class StreamBatch:
    """One invocation's stream records: the events, their recipients (one Query per system),
    and the delivery ids (one counter update for the batch), prepared before the records are
    processed (each on its own, `deliver`)."""

    events: dict[str, Event | None] = field(default_factory=dict)  # by sequence number
    recipients: dict[int, list[WebhookRecord]] = field(default_factory=dict)  # by system id
    ids: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def prepare(cls, records: Sequence[Mapping[str, Any]]) -> StreamBatch:
        batch = cls()
        for raw in records:
            sequence = str((raw.get("dynamodb") or {}).get("SequenceNumber"))
            batch.events[sequence] = event_of(raw)
        systems = {e.system_id for e in batch.events.values() if e is not None}
        found = db.fan_out(webhooks.enabled_webhooks, sorted(systems))
        batch.recipients = dict(zip(sorted(systems), found, strict=True))
        wanted = sum(
            len(batch.recipients[e.system_id]) for e in batch.events.values() if e is not None
        )
        if wanted:
            batch.ids = db.allocate_ids({"delivery": wanted})["delivery"]
        return batch

    def _take_ids(self, count: int) -> list[int]:
        with self._lock:
            taken, self.ids = self.ids[:count], self.ids[count:]
        if len(taken) < count:  # never happens with a prepared batch; stay correct anyway
            taken += db.allocate_ids({"delivery": count - len(taken)})["delivery"]
        return taken

    def deliver(self, record: Mapping[str, Any]) -> None:
        """Process one stream record; raises when it must be retried (idempotent)."""
        sequence = str((record.get("dynamodb") or {}).get("SequenceNumber"))
        event = self.events[sequence] if sequence in self.events else event_of(record)
        if event is None:
            return
        logs.set_keys(correlation_id=event.correlation_id or event.event_id, eventId=event.event_id)
        hooks = self.recipients.get(event.system_id)
        if hooks is None:
            hooks = webhooks.enabled_webhooks(event.system_id)
        if not hooks:
            record_no_recipients(event)
            return
        ids = self._take_ids(len(hooks))
        # Each on a copy of this context: the invocation's log keys and metrics go with it.
        futures = [
            send_pool().submit(contextvars.copy_context().run, start, event, hook, delivery_id)
            for hook, delivery_id in zip(hooks, ids, strict=True)
        ]
        errors = [f.exception() for f in futures]
        failed = [e for e in errors if e is not None]
        if failed:
            raise failed[0]


def record_no_recipients(event: Event) -> None:
    """§4: an event of a system without (enabled) webhooks is recorded as such and dropped."""
    outbox.mark_no_recipients(event.event_id)
    logger.info("event without recipients", extra={"eventId": event.event_id})


def start(event: Event, webhook: WebhookRecord, delivery_id: int) -> None:
    """Create the (event, webhook) delivery, claimed, and make its first attempt; a delivery
    that exists already (a repeated stream record) is resumed, never duplicated."""
    now = timestamps.now()
    token = webhooks.new_token()
    delivery: DeliveryRecord = {
        "id": delivery_id,
        "webhookId": webhook["id"],
        "systemId": event.system_id,
        "eventId": event.event_id,
        "action": event.action,
        "status": "pending",
        "attempts": 0,
        "lastStatusCode": None,
        "lastError": None,
        "nextAttemptAt": now,
        "created": now,
        "updated": now,
        "expiresAt": now + webhooks.DELIVERY_RETENTION_SECONDS,
        "token": token,
        "claimedUntil": now + LEASE_SECONDS,
    }
    if not webhook_store.insert_delivery(delivery):
        resume(event, webhook)
        return
    attempt(webhook, event.body, delivery, token)


def resume(event: Event, webhook: WebhookRecord) -> None:
    """A repeated stream record: the delivery exists. If its first attempt never completed (the
    sender that created it died), schedule that attempt for when its lease ends; otherwise the
    delivery is already in hand (done, or its retry scheduled)."""
    delivery = webhook_store.guarded_delivery(webhook["id"], event.event_id)
    if delivery is None or delivery["status"] != "pending" or delivery["attempts"] > 0:
        return
    not_before = max(time.time(), delivery.get("claimedUntil", 0) + 1.0)
    queue.enqueue(
        queue.queue_message(
            event.system_id,
            webhook["id"],
            delivery["id"],
            event.event_id,
            delivery["token"],
            not_before,
        ),
        not_before - time.time(),
    )


# --- the retry queue's messages ---------------------------------------------------------------


def handle_queue_message(body: str) -> None:
    """One scheduled attempt; raises only when the message must be retried by the queue."""
    message = queue.read_message(body)
    logs.set_keys(
        correlation_id=message.get("correlationId") or message["eventId"],
        eventId=message["eventId"],
        deliveryId=message["deliveryId"],
    )
    remaining = message["notBefore"] - time.time()
    if remaining > 1:  # a long wait hops through the queue (at most 15 min per hop)
        queue.enqueue(message, remaining)
        return
    delivery, webhook, event = webhook_store.attempt_state(
        message["systemId"], message["webhookId"], message["deliveryId"], message["eventId"]
    )
    token = message["token"]
    if delivery is None or delivery.get("token") != token or delivery["status"] != "pending":
        return  # stale: done, superseded, or gone
    if webhook is None:
        give_up(delivery, token, "webhook deleted")
        return
    if webhook.get("disabled"):
        give_up(delivery, token, "webhook disabled")
        return
    if event is None:
        give_up(delivery, token, "event expired")
        return
    lease = delivery.get("claimedUntil", 0)
    if lease >= time.time():  # another sender is on it: look again when its lease ends
        queue.enqueue(message, lease + 1 - time.time())
        return
    if not claim(delivery, token):
        return
    attempt(webhook, event["body"], delivery, token)
