"""Webhooks over HTTP against the local stack (webhooks.md): the configuration routes, and the
whole delivery pipeline (outbox item → table stream → sender → receiver; retries through the
SQS delay queue) reaching a real receiver on 127.0.0.1.

Events are produced two ways: outbox items written straight into the stack's embedded table
(exactly what the API writes in its transactions), and real award/revoke requests.

The stack runs with a short retry schedule (WEBHOOK_RETRY_SCHEDULE) so retries take seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
import jwt
import pytest
import requests

from tests.integration.conftest import MASTER_SECRET, StackProcess, running_stack
from tests.support.bodies import minimal_badge as badge_body
from tests.support.client import ApiClient
from tests.support.receiver import Call, Receiver, receiving, wait_for

SECRET = "integration-webhook-secret"


@pytest.fixture(scope="module")
def hook_stack() -> Iterator[StackProcess]:
    """A stack of its own: attempts 2-5 come 1, 2, 3 and 4 s after the first."""
    with running_stack(
        {"WEBHOOK_RETRY_SCHEDULE": "1,2,3,4", "WEBHOOK_RETRY_JITTER": "0"}
    ) as running:
        yield running


@pytest.fixture
def api(hook_stack: StackProcess) -> ApiClient:
    return ApiClient(hook_stack.base_url, "master", MASTER_SECRET)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


# --- helpers --------------------------------------------------------------------------------


@dataclass
class Hooked:
    """A system with one webhook pointing at the receiver under `path`."""

    slug: str
    system_id: int
    webhook_id: int
    path: str


@pytest.fixture
def hooked(api: ApiClient, receiver: Receiver, unique: Callable[..., str]) -> Callable[..., Hooked]:
    def make(kind: str = "ok", secret: str = SECRET) -> Hooked:
        slug = unique("hooks")
        system = api.post("/systems", json={"slug": slug, "name": slug, "url": "http://x.org"})
        assert system.status_code == 201, system.text
        path = f"/{kind}/{slug}"
        reply = api.post(
            f"/systems/{slug}/webhooks", json={"url": receiver.url + path, "secret": secret}
        )
        assert reply.status_code == 201, reply.text
        return Hooked(slug, system.json()["system"]["id"], reply.json()["webhook"]["id"], path)

    return make


def write_event(stack: StackProcess, system_id: int, action: str = "revoke") -> tuple[str, bytes]:
    """An outbox event item as the API writes it (webhooks.md §4); returns (id, body bytes).
    (`revoke` events: the milestone awarder only reads `award` ones.)"""
    event_id = f"evt_{uuid.uuid4().hex}"
    uid = uuid.uuid4().hex
    body = json.dumps(
        {"action": action, "uid": uid, "badge": {"id": 1, "slug": "b"}, "email": "é@example.org"},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    now = int(time.time())
    table = boto3.resource(
        "dynamodb",
        endpoint_url=stack.dynamodb_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).Table(stack.table_name)
    table.put_item(
        Item={
            "PK": f"EVENT#{event_id}",
            "SK": "EVENT",
            "entity": "event",
            "eventId": event_id,
            "systemId": system_id,
            "action": action,
            "origin": "request",
            "body": body,
            "created": now,
            "expiresAt": now + 30 * 86400,
        }
    )
    return event_id, body.encode("utf-8")


def deliveries(api: ApiClient, hooked: Hooked, query: str = "") -> dict[str, Any]:
    reply = api.get(f"/systems/{hooked.slug}/webhooks/{hooked.webhook_id}/deliveries{query}")
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


def assert_signed(call: Call, secret: str, event_id: str, body: bytes) -> None:
    """Both signatures, verified the way receivers do (PyJWT; plain HMAC)."""
    assert call.body == body
    assert call.headers["Content-Type"] == "application/json"
    assert call.headers["User-Agent"].startswith("BadgeKit-Webhooks/")
    # Legacy: JWT token="<jws>" whose payload carries the body's hash (§2).
    token = call.headers["Authorization"].removeprefix('JWT token="').removesuffix('"')
    assert call.headers["Authorization"] == f'JWT token="{token}"'
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    assert set(claims) <= {"body", "iat", "jti"}
    assert claims["body"] == {"alg": "sha256", "hash": hashlib.sha256(call.body).hexdigest()}
    # Standard Webhooks.
    assert call.headers["webhook-id"] == event_id
    timestamp = call.headers["webhook-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    signed = f"{event_id}.{timestamp}.".encode() + call.body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest())
    assert call.headers["webhook-signature"] == "v1," + expected.decode()


# --- configuration routes -------------------------------------------------------------------


def test_configuration_routes(api: ApiClient, unique: Callable[..., str]) -> None:
    slug = unique("cfg")
    assert api.post("/systems", json={"slug": slug, "name": "C", "url": "http://x.org"}).ok
    base = f"/systems/{slug}/webhooks"
    created = api.post(base, json={"url": "http://127.0.0.1:9000/h", "secret": "s"})
    assert created.status_code == 201
    webhook = created.json()["webhook"]
    assert webhook == {"id": webhook["id"], "url": "http://127.0.0.1:9000/h", "disabled": False}
    duplicate = api.post(base, json={"url": "http://127.0.0.1:9000/h", "secret": "t"})
    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "code": "ResourceConflict",
        "message": "webhook with that `url` already exists",
        "details": {"url": "http://127.0.0.1:9000/h"},
    }
    # The local stack allows http and loopback, but still not other private addresses.
    refused = api.post(base, json={"url": "http://10.0.0.1/h", "secret": "s"})
    assert refused.status_code == 400
    assert refused.json()["details"] == [
        {"message": "Invalid URL", "field": "url", "value": "http://10.0.0.1/h"}
    ]
    assert api.get(base).json() == {"webhooks": [webhook]}
    assert api.get(f"{base}?page=1&count=1").json()["pageData"] == {
        "page": 1,
        "count": 1,
        "total": 1,
    }
    deleted = api.delete(f"{base}/{webhook['id']}")
    assert deleted.status_code == 200
    assert deleted.json() == {"status": "deleted", "webhook": webhook}
    assert api.delete(f"{base}/{webhook['id']}").status_code == 404
    assert api.get(base).json() == {"webhooks": []}
    assert requests.get(f"{api.base_url}{base}", timeout=10).status_code == 403  # unsigned


# --- delivery ---------------------------------------------------------------------------------


def test_event_is_delivered_with_both_signatures_and_the_exact_body(
    api, hook_stack, receiver, hooked
):
    target = hooked()
    event_id, body = write_event(hook_stack, target.system_id)
    (call,) = wait_for(lambda: receiver.at(target.path), "the delivery")
    assert_signed(call, SECRET, event_id, body)
    (log,) = wait_for(
        lambda: [d for d in deliveries(api, target)["deliveries"] if d["status"] == "delivered"],
        "the delivery log",
    )
    assert log["eventId"] == event_id
    assert (log["action"], log["attempts"], log["lastStatusCode"]) == ("revoke", 1, 200)
    assert (log["lastError"], log["nextAttemptAt"]) == (None, None)


def test_failing_twice_then_recovering_is_delivered_once(api, hook_stack, receiver, hooked):
    target = hooked("flaky")
    receiver.script[target.path] = [503, 500]
    event_id, body = write_event(hook_stack, target.system_id)
    wait_for(lambda: [c for c in receiver.at(target.path) if c.status == 200], "the recovery")
    (log,) = wait_for(
        lambda: [d for d in deliveries(api, target)["deliveries"] if d["status"] == "delivered"],
        "the delivery log",
    )
    assert (log["attempts"], log["lastStatusCode"], log["lastError"]) == (3, 200, None)
    calls = receiver.at(target.path)
    assert [c.status for c in calls] == [503, 500, 200]
    assert {c.headers["webhook-id"] for c in calls} == {event_id}  # the same id on every retry
    for call in calls:
        assert_signed(call, SECRET, event_id, body)
    assert len({c.headers["webhook-timestamp"] for c in calls}) >= 2  # signed per attempt


def test_gone_receiver_disables_the_webhook(api, hook_stack, receiver, hooked):
    target = hooked("gone")
    receiver.script[target.path] = [410]
    write_event(hook_stack, target.system_id)
    wait_for(lambda: receiver.at(target.path), "the attempt")
    listed = wait_for(
        lambda: [
            w
            for w in api.get(f"/systems/{target.slug}/webhooks").json()["webhooks"]
            if w["disabled"]
        ],
        "the webhook to be disabled",
    )
    assert listed == [
        {"id": target.webhook_id, "url": receiver.url + target.path, "disabled": True}
    ]
    (log,) = wait_for(
        lambda: [d for d in deliveries(api, target)["deliveries"] if d["status"] == "failed"],
        "the failed delivery",
    )
    assert (log["attempts"], log["lastStatusCode"]) == (1, 410)
    # A disabled webhook receives nothing more; the event is recorded without recipients.
    write_event(hook_stack, target.system_id)
    other = hooked()
    write_event(hook_stack, other.system_id)
    wait_for(lambda: receiver.at(other.path), "a later delivery elsewhere")
    assert len(receiver.at(target.path)) == 1


def test_burst_of_50_events_is_delivered_once_each(api, hook_stack, receiver, hooked):
    target = hooked()
    with ThreadPoolExecutor(max_workers=10) as pool:
        written = list(pool.map(lambda _: write_event(hook_stack, target.system_id), range(50)))
    expected = {event_id for event_id, _ in written}
    wait_for(lambda: len(receiver.at(target.path)) >= 50, "50 deliveries", timeout=60)
    ids = [c.headers["webhook-id"] for c in receiver.at(target.path)]
    assert sorted(ids) == sorted(expected)  # every event, none twice
    bodies = dict(written)
    for call in receiver.at(target.path):
        assert call.body == bodies[call.headers["webhook-id"]]

    def settled() -> dict[str, Any] | None:
        log = deliveries(api, target, "?page=1&count=50")
        return log if all(d["status"] == "delivered" for d in log["deliveries"]) else None

    page = wait_for(settled, "the delivery log")
    assert page["pageData"] == {"page": 1, "count": 50, "total": 50}
    logged = [d["id"] for d in page["deliveries"]]
    assert logged == sorted(logged, reverse=True)  # newest first
    assert {d["eventId"] for d in page["deliveries"]} == expected
    assert all(d["attempts"] == 1 for d in page["deliveries"])


def test_redeliver_sends_the_same_event_again(api, hook_stack, receiver, hooked):
    target = hooked()
    event_id, body = write_event(hook_stack, target.system_id)
    wait_for(lambda: receiver.at(target.path), "the delivery")
    (log,) = wait_for(
        lambda: [d for d in deliveries(api, target)["deliveries"] if d["status"] == "delivered"],
        "the delivery log",
    )
    path = f"/systems/{target.slug}/webhooks/{target.webhook_id}/deliveries/{log['id']}/redeliver"
    reply = api.post(path)
    assert reply.status_code == 202
    assert reply.json()["delivery"]["status"] == "pending"
    calls = wait_for(lambda: len(receiver.at(target.path)) == 2 and receiver.at(target.path), "it")
    assert [c.headers["webhook-id"] for c in calls] == [event_id, event_id]
    assert_signed(calls[1], SECRET, event_id, body)
    wait_for(
        lambda: deliveries(api, target)["deliveries"][0]["attempts"] == 2, "the second attempt"
    )
    assert api.post(path.replace(f"/{log['id']}/", "/999999/")).status_code == 404


# --- end to end: award and revoke through the API ---------------------------------------------


def test_award_and_revoke_requests_send_webhooks(api, hook_stack, receiver, hooked):
    target = hooked()
    badge = {
        "slug": f"{target.slug}-badge",
        "name": "Hook Badge",
        "earnerDescription": "e",
        "consumerDescription": "c",
        "unique": 0,
        "imageUrl": "http://example.org/badge.png",
        "criteriaUrl": "http://example.org/criteria",
    }
    base = f"/systems/{target.slug}/badges"
    assert api.post(base, json=badge).status_code == 201
    awarded = api.post(
        f"{base}/{badge['slug']}/instances",
        json={"email": "brian@example.org", "comment": "Well done!"},
    )
    assert awarded.status_code == 201, awarded.text
    instance = awarded.json()["instance"]
    (award,) = wait_for(lambda: receiver.at(target.path), "the award webhook")
    payload = json.loads(award.body)
    assert list(payload) == [
        "action",
        "uid",
        "badge",
        "email",
        "assertionUrl",
        "issuedOn",
        "comment",
        "credentialUrl",
    ]
    assert (payload["action"], payload["uid"], payload["email"]) == (
        "award",
        instance["slug"],
        "brian@example.org",
    )
    assert payload["comment"] == "Well done!"
    assert payload["credentialUrl"] == instance["assertionUrl"].replace(
        "/assertions/", "/credentials/"
    )
    assert payload["badge"]["slug"] == badge["slug"]
    assert_signed(award, SECRET, award.headers["webhook-id"], award.body)
    revoked = api.delete(f"{base}/{badge['slug']}/instances/brian%40example.org")
    assert revoked.status_code == 200, revoked.text
    calls = wait_for(lambda: len(receiver.at(target.path)) == 2 and receiver.at(target.path), "it")
    revoke = json.loads(calls[1].body)
    assert list(revoke) == ["action", "uid", "badge", "email"]
    assert (revoke["action"], revoke["uid"]) == ("revoke", instance["slug"])
    assert calls[1].headers["webhook-id"] != award.headers["webhook-id"]
    assert_signed(calls[1], SECRET, calls[1].headers["webhook-id"], calls[1].body)

    def settled() -> list[str] | None:
        log = deliveries(api, target)["deliveries"]
        done = len(log) == 2 and all(d["status"] == "delivered" for d in log)
        return [d["action"] for d in log] if done else None

    assert wait_for(settled, "the delivery log") == ["revoke", "award"]  # newest first


def payloads(receiver: Receiver, target: Hooked, count: int, what: str) -> list[dict[str, Any]]:
    """The first `count` bodies the receiver got for `target`, once they are all there."""
    calls = wait_for(
        lambda: len(receiver.at(target.path)) >= count and receiver.at(target.path), what
    )
    for call in calls:
        assert_signed(call, SECRET, call.headers["webhook-id"], call.body)
    return [json.loads(call.body) for call in calls]


def test_claim_code_and_milestone_awards_send_award_webhooks(api, hook_stack, receiver, hooked):
    """A claim-code award sends `award` for its badge, and the milestone it completes sends a
    second `award` carrying the milestone's primary badge with `comment: null` (milestones.md)."""
    target = hooked()
    base = f"/systems/{target.slug}/badges"
    support, primary = f"{target.slug}-support", f"{target.slug}-primary"
    support_id = api.post(base, json=badge_body(support)).json()["badge"]["id"]
    primary_id = api.post(base, json=badge_body(primary)).json()["badge"]["id"]
    milestone = {"primaryBadgeId": primary_id, "numberRequired": 1, "supportBadges": [support_id]}
    assert api.post(f"/systems/{target.slug}/milestones", json=milestone).status_code == 201
    assert api.post(f"{base}/{support}/codes", json={"code": "once"}).status_code == 201

    awarded = api.post(
        f"{base}/{support}/instances",
        json={"email": "ada@example.org", "claimCode": "once", "comment": "Claimed"},
    )
    assert awarded.status_code == 201, awarded.text

    first, second = payloads(receiver, target, 2, "the claim-code and milestone award webhooks")
    by_badge = {payload["badge"]["slug"]: payload for payload in (first, second)}
    assert set(by_badge) == {support, primary}
    assert by_badge[support]["action"] == "award"
    assert by_badge[support]["uid"] == awarded.json()["instance"]["slug"]
    assert by_badge[support]["comment"] == "Claimed"
    milestone_award = by_badge[primary]
    assert milestone_award["action"] == "award"
    assert milestone_award["email"] == "ada@example.org"
    assert milestone_award["comment"] is None
    held = api.get(f"{base}/{primary}/instances/ada%40example.org")
    assert held.status_code == 200
    assert held.json()["instance"]["slug"] == milestone_award["uid"]


def test_review_create_and_update_send_review_webhooks(api, hook_stack, receiver, hooked):
    target = hooked()
    slug = f"{target.slug}-assessed"
    criteria = [{"description": "Did it", "required": True}]
    created = api.post(f"/systems/{target.slug}/badges", json=badge_body(slug, criteria=criteria))
    criterion_id = created.json()["badge"]["criteria"][0]["id"]
    applications = f"/systems/{target.slug}/badges/{slug}/applications"
    evidence = [{"url": "http://example.org/work", "mediaType": "link", "reflection": "Mine"}]
    applied = api.post(applications, json={"learner": "ada@example.org", "evidence": evidence})
    assert applied.status_code == 201, applied.text
    application = applied.json()["application"]
    reviews = f"{applications}/{application['slug']}/reviews"
    item = {"criterionId": criterion_id, "satisfied": False, "comment": "Not yet"}
    review = api.post(reviews, json={"author": "rev@example.org", "reviewItems": [item]})
    assert review.status_code == 201, review.text
    review_slug = review.json()["review"]["slug"]
    item["satisfied"] = True
    updated = api.put(f"{reviews}/{review_slug}", json={"reviewItems": [item]})
    assert updated.status_code == 200, updated.text

    first, second = payloads(receiver, target, 2, "the two review webhooks")
    assert [list(p) for p in (first, second)] == [
        ["action", "application", "review", "approved"]
    ] * 2
    assert {p["approved"] for p in (first, second)} == {False, True}
    for payload in (first, second):
        assert payload["action"] == "review"
        assert payload["application"]["slug"] == application["slug"]
        assert payload["application"]["evidence"] == application["evidence"]
        assert payload["review"]["slug"] == review_slug
    approved = next(p for p in (first, second) if p["approved"])
    assert approved["review"]["reviewItems"][0]["satisfied"] is True


def test_no_webhook_for_cascades_or_changes_that_are_not_events(api, hook_stack, receiver, hooked):
    """Claiming a code, application changes, review deletes and a badge delete that takes its
    instances with it send nothing (webhooks.md §3); the one award before them is the only call."""
    target = hooked()
    base = f"/systems/{target.slug}/badges"
    slug = f"{target.slug}-quiet"
    assert api.post(base, json=badge_body(slug)).status_code == 201
    assert (
        api.post(f"{base}/{slug}/instances", json={"email": "ada@example.org"}).status_code == 201
    )
    payloads(receiver, target, 1, "the award webhook")

    assert api.post(f"{base}/{slug}/codes", json={"code": "c1"}).status_code == 201
    assert (
        api.post(f"{base}/{slug}/codes/c1/claim", json={"email": "x@example.org"}).status_code
        == 200
    )
    applied = api.post(f"{base}/{slug}/applications", json={"learner": "ada@example.org"})
    application = f"{base}/{slug}/applications/{applied.json()['application']['slug']}"
    assert api.put(application, json={"processed": "2014-06-11T09:00:00Z"}).status_code == 200
    review = api.post(f"{application}/reviews", json={"author": "rev@example.org"})
    assert review.status_code == 201
    review_path = f"{application}/reviews/{review.json()['review']['slug']}"
    assert api.delete(review_path).status_code == 200
    assert api.delete(f"{base}/{slug}").status_code == 200  # cascades to the instance

    # A last award marks the end: the stream is one ordered shard locally, so any event the
    # quiet operations had recorded would have reached the receiver before it.
    sentinel = f"{target.slug}-sentinel"
    assert api.post(base, json=badge_body(sentinel)).status_code == 201
    end = api.post(f"{base}/{sentinel}/instances", json={"email": "ada@example.org"})
    assert end.status_code == 201
    calls = payloads(receiver, target, 3, "the sentinel award webhook")
    seen = [(p["action"], p["badge"]["slug"] if "badge" in p else None) for p in calls]
    assert sorted(seen) == sorted([("award", slug), ("review", None), ("award", sentinel)])
