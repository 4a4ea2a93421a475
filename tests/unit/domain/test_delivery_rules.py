"""What a webhook call carries and when it is retried (webhooks.md §2, §4; badgekit.domain.
delivery), without sending anything: the legacy JWS (checked against the spec's worked example),
the Standard Webhooks signature and headers, the retry schedule with its jitter and
`Retry-After`, the outcome of a status code, and which stream records are outbox events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from badgekit import signing
from badgekit.domain import delivery

SECRET = "example-webhook-secret"
BODY = (
    b'{"action":"revoke","uid":"3c1f0e0b2f4d4b1a9e8f7a6b5c4d3e2f1a0b9c8d",'
    b'"badge":{"id":1,"slug":"chicago-badge"},"email":"brian@example.org"}'
)
BODY_HASH = "60a98f267865fc1c8f2288c27dca84f676f244c61f1609a166753454fca283d6"
TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJib2R5Ijp7ImFsZyI6InNoYTI1NiIsImhhc2giOiI2MGE5OGYyNjc4"
    "NjVmYzFjOGYyMjg4YzI3ZGNhODRmNjc2ZjI0NGM2MWYxNjA5YTE2Njc1MzQ1NGZjYTI4M2Q2In19."
    "a8CF8YIYG3C3bxTmj3PIuytpx456gOLTEvF1gHVgXFs"
)


@pytest.fixture(autouse=True)
def default_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WEBHOOK_RETRY_SCHEDULE", "WEBHOOK_RETRY_JITTER", "BADGEKIT_VERSION"):
        monkeypatch.delenv(name, raising=False)


# --- signatures (§2, §4) ----------------------------------------------------------------------


def test_the_worked_example_token():
    assert len(BODY) == 136
    assert hashlib.sha256(BODY).hexdigest() == BODY_HASH
    assert delivery.legacy_token(BODY, SECRET) == TOKEN


def test_legacy_token_claims_are_the_body_hash_plus_iat_and_jti_only():
    token = delivery.legacy_token(BODY, SECRET, iat=1700000000, jti="d-1")
    decoded = signing.DecodedToken(token)
    assert decoded.header == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(decoded.payload_bytes) == {
        "body": {"alg": "sha256", "hash": BODY_HASH},
        "iat": 1700000000,
        "jti": "d-1",
    }
    assert decoded.signature_valid(SECRET)
    assert not decoded.signature_valid("other-secret")


def test_standard_signature():
    expected = hmac.new(SECRET.encode(), b"evt_1.1700000000." + BODY, hashlib.sha256).digest()
    signature = delivery.standard_signature("evt_1", 1700000000, BODY, SECRET)
    assert signature == "v1," + base64.b64encode(expected).decode()
    assert delivery.standard_signature("evt_2", 1700000000, BODY, SECRET) != signature
    assert delivery.standard_signature("evt_1", 1700000001, BODY, SECRET) != signature


def test_the_signature_keys_with_the_secrets_utf8_bytes():
    secret = "s\u00e9cr\u00e8t"
    expected = hmac.new(secret.encode("utf-8"), b"e.1.{}", hashlib.sha256).digest()
    assert delivery.standard_signature("e", 1, b"{}", secret) == (
        "v1," + base64.b64encode(expected).decode()
    )


def test_request_headers(monkeypatch):
    headers = delivery.request_headers("evt_9", BODY, SECRET, 1700000000, "jti-9")
    assert headers == {
        "Content-Type": "application/json",
        "Authorization": 'JWT token="'
        + delivery.legacy_token(BODY, SECRET, iat=1700000000, jti="jti-9")
        + '"',
        "webhook-id": "evt_9",
        "webhook-timestamp": "1700000000",
        "webhook-signature": delivery.standard_signature("evt_9", 1700000000, BODY, SECRET),
        "User-Agent": "BadgeKit-Webhooks/0.3.0",
    }
    monkeypatch.setenv("BADGEKIT_VERSION", "9.9.9")
    assert delivery.user_agent() == "BadgeKit-Webhooks/9.9.9"


# --- retries (§4) -----------------------------------------------------------------------------


class Fixed(random.Random):
    """A random source whose uniform(a, b) always returns the bound asked for."""

    def __init__(self, where: str) -> None:
        super().__init__(0)
        self.where = where

    def uniform(self, a: float, b: float) -> float:
        return {"low": a, "high": b, "middle": (a + b) / 2}[self.where]


def test_default_schedule_is_nine_attempts():
    assert delivery.retry_schedule() == (5, 60, 300, 1800, 7200, 21600, 43200, 86400)
    assert delivery.max_attempts() == 9


def test_waits_are_the_gaps_between_offsets():
    middle = Fixed("middle")
    waits = [delivery.retry_delay(n, rng=middle) for n in range(1, 9)]
    assert waits == pytest.approx([5, 55, 240, 1500, 5400, 14400, 21600, 43200])


@pytest.mark.parametrize("attempts_made", [0, -1, 9, 10])
def test_no_wait_when_no_attempt_is_left(attempts_made):
    assert delivery.retry_delay(attempts_made, rng=Fixed("middle")) is None


def test_jitter_is_ten_percent_either_way_by_default():
    assert delivery.retry_delay(2, rng=Fixed("low")) == pytest.approx(55 * 0.9)
    assert delivery.retry_delay(2, rng=Fixed("high")) == pytest.approx(55 * 1.1)


def test_jitter_setting(monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_JITTER", "0.5")
    assert delivery.retry_delay(3, rng=Fixed("low")) == pytest.approx(120)
    assert delivery.retry_delay(3, rng=Fixed("high")) == pytest.approx(360)


def test_retry_after_lengthens_a_wait_up_to_a_day():
    middle = Fixed("middle")
    assert delivery.retry_delay(1, retry_after=120, rng=middle) == pytest.approx(120)
    assert delivery.retry_delay(2, retry_after=1, rng=middle) == pytest.approx(55)
    assert delivery.retry_delay(1, retry_after=10**9, rng=middle) == pytest.approx(86400)


def test_a_wait_is_never_under_a_second(monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "0, 0.2, 5")
    assert delivery.retry_schedule() == (0.0, 0.2, 5.0)
    assert delivery.max_attempts() == 4
    middle = Fixed("middle")
    assert delivery.retry_delay(1, rng=middle) == 1
    assert delivery.retry_delay(2, rng=middle) == 1
    assert delivery.retry_delay(3, rng=middle) == pytest.approx(4.8)
    assert delivery.retry_delay(4, rng=middle) is None


def test_a_decreasing_custom_schedule_waits_the_minimum(monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "60,30")
    assert delivery.retry_delay(2, rng=Fixed("high")) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("0", 0.0),
        ("120", 120.0),
        (" 30 ", 30.0),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("\u00b2", None),  # a latin-1 header byte that str.isdigit() calls a digit
        ("\u0661\u0662", None),  # Arabic-Indic digits are not delay-seconds
    ],
)
def test_parse_retry_after_seconds(value, expected):
    assert delivery.parse_retry_after(value, now=1_700_000_000) == expected


def test_parse_retry_after_http_date():
    now = 1_700_000_000
    later = format_datetime(datetime.fromtimestamp(now + 90, UTC), usegmt=True)
    earlier = format_datetime(datetime.fromtimestamp(now - 90, UTC), usegmt=True)
    assert delivery.parse_retry_after(later, now) == pytest.approx(90)
    assert delivery.parse_retry_after(earlier, now) == 0.0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, delivery.Result("delivered", 200)),
        (204, delivery.Result("delivered", 204)),
        (299, delivery.Result("delivered", 299)),
        (410, delivery.Result("gone", 410, "HTTP 410")),
        (408, delivery.Result("retry", 408, "HTTP 408", 7.0)),
        (429, delivery.Result("retry", 429, "HTTP 429", 7.0)),
        (500, delivery.Result("retry", 500, "HTTP 500", 7.0)),
        (503, delivery.Result("retry", 503, "HTTP 503", 7.0)),
        (599, delivery.Result("retry", 599, "HTTP 599", 7.0)),
        (301, delivery.Result("failed", 301, "HTTP 301")),
        (400, delivery.Result("failed", 400, "HTTP 400")),
        (404, delivery.Result("failed", 404, "HTTP 404")),
        (199, delivery.Result("failed", 199, "HTTP 199")),
        (600, delivery.Result("failed", 600, "HTTP 600")),
    ],
)
def test_classify(status, expected):
    assert delivery.classify(status, retry_after=7.0) == expected


# --- which stream records are events (§4) -----------------------------------------------------


def stream_record(event_name: str = "INSERT", **image: dict[str, str]) -> dict[str, object]:
    new_image = {
        "entity": {"S": "event"},
        "eventId": {"S": "evt_1"},
        "systemId": {"N": "3"},
        "action": {"S": "award"},
        "body": {"S": '{"action":"award"}'},
        "created": {"N": "1700000000"},
        **image,
    }
    return {"eventName": event_name, "dynamodb": {"NewImage": new_image}}


def test_an_inserted_outbox_event():
    assert delivery.event_of(stream_record()) == delivery.Event(
        event_id="evt_1",
        system_id=3,
        action="award",
        body='{"action":"award"}',
        created=1700000000,
    )


@pytest.mark.parametrize(
    "record",
    [
        stream_record("MODIFY"),
        stream_record("REMOVE"),
        stream_record(entity={"S": "webhook"}),
        stream_record(body={"N": "1"}),
        {"eventName": "INSERT"},
        {"eventName": "INSERT", "dynamodb": {}},
        {},
    ],
)
def test_anything_else_is_ignored(record):
    assert delivery.event_of(record) is None
