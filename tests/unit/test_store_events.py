"""The stores of applications, reviews, webhooks, deliveries, events and the retry queue: what
they hand the domain (typed records, numbers as ints) and the outcome of their conditional
writes (moto in-process)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from badgekit import timestamps
from badgekit.store import assessment as assessment_store
from badgekit.store import db, keys, outbox, queue
from badgekit.store import webhooks as webhook_store
from tests.unit.conftest import Api, system_body

SYS = "/systems/chicago"


@pytest.fixture
def chicago(api: Api, monkeypatch: pytest.MonkeyPatch) -> Api:
    for name in ("WEBHOOKS_ALLOW_HTTP", "WEBHOOKS_ALLOW_PRIVATE"):
        monkeypatch.delenv(name, raising=False)
    assert api.post("/systems", system_body("chicago")).status == 201
    return api


def badge_item(api: Api, slug: str = "reader") -> dict[str, Any]:
    body = {
        "slug": slug,
        "name": "Reader",
        "earnerDescription": "e",
        "consumerDescription": "c",
        "unique": 0,
        "imageUrl": "http://example.org/badge.png",
        "criteriaUrl": "http://example.org/criteria",
        "criteria": [{"description": "Read", "required": True}],
    }
    assert api.post(f"{SYS}/badges", body).status == 201
    found = db.get(keys.badge(slug))
    assert found is not None
    return found


def all_ints(*values: Any) -> bool:
    return all(type(value) is int for value in values)


# --- webhooks ---------------------------------------------------------------------------------


def test_webhook_reads_are_records_and_disabled_ones_are_not_recipients(chicago):
    urls = ["https://a.example.org/hook", "https://b.example.org/hook"]
    ids = [
        chicago.post(f"{SYS}/webhooks", {"url": u, "secret": "s"}).json["webhook"]["id"]
        for u in urls
    ]
    found = webhook_store.get(1, ids[0])
    assert found is not None
    assert all_ints(found["id"], found["systemId"], found["created"])
    assert (found["url"], found["secret"], found["disabled"]) == (urls[0], "s", False)
    webhook_store.disable(1, ids[0])
    assert [w["id"] for w in webhook_store.of_system(1)] == ids
    assert [w["id"] for w in webhook_store.enabled(1)] == [ids[1]]
    assert webhook_store.get(1, 99) is None


def test_webhook_insert_reports_a_taken_url_and_a_missing_system(chicago):
    webhook: webhook_store.WebhookRecord = {
        "id": 50,
        "systemId": 1,
        "url": "https://a.example.org/hook",
        "secret": "s",
        "disabled": False,
        "created": 1,
    }
    assert webhook_store.insert(webhook, "chicago") == "created"
    assert webhook_store.insert({**webhook, "id": 51}, "chicago") == "url taken"
    other = {**webhook, "id": 52, "url": "https://b.example.org/hook"}
    assert webhook_store.insert(other, "nowhere") == "no system"  # type: ignore[arg-type]
    assert webhook_store.remove(webhook) is True
    assert webhook_store.remove(webhook) is False


def delivery_record(token: str = "t1", **extra: Any) -> webhook_store.DeliveryRecord:
    now = timestamps.now()
    record: webhook_store.DeliveryRecord = {
        "id": 7,
        "webhookId": 3,
        "systemId": 1,
        "eventId": "evt_1",
        "action": "award",
        "status": "pending",
        "attempts": 0,
        "lastStatusCode": None,
        "lastError": None,
        "nextAttemptAt": now,
        "created": now,
        "updated": now,
        "expiresAt": now + 3600,
        "token": token,
        **extra,  # type: ignore[typeddict-item]
    }
    return record


def test_a_delivery_is_written_once_per_webhook_and_event(aws):
    assert webhook_store.insert_delivery(delivery_record()) is True
    assert webhook_store.insert_delivery({**delivery_record("t2"), "id": 8}) is False
    found = webhook_store.guarded_delivery(3, "evt_1")
    assert found is not None
    assert (found["id"], found["token"]) == (7, "t1")
    assert all_ints(found["attempts"], found["created"], found["expiresAt"])
    assert webhook_store.guarded_delivery(3, "evt_2") is None
    assert db.get(keys.delivery(3, 8)) is None


def test_claim_takes_the_lease_once_and_finish_needs_the_current_token(aws):
    webhook_store.insert_delivery(delivery_record())
    now = timestamps.now()
    assert webhook_store.claim(3, 7, "t1", now, now + 60) is True
    assert webhook_store.claim(3, 7, "t1", now, now + 60) is False  # lease held
    assert webhook_store.claim(3, 7, "other", now + 61, now + 120) is False
    outcome = {"attempts": 1, "status": "delivered", "status_code": 200, "error": None}
    assert webhook_store.finish(3, 7, "other", new_token="x", next_at=None, **outcome) is False
    assert webhook_store.finish(3, 7, "t1", new_token="t1", next_at=None, **outcome) is True
    _, found = webhook_store.with_delivery(1, 3, 7)
    assert found is not None
    assert (found["status"], found["attempts"], found["lastStatusCode"]) == ("delivered", 1, 200)
    assert "claimedUntil" not in found
    redelivered = webhook_store.redeliver(3, 7, "t9", now + 1, now)
    assert (redelivered["status"], redelivered["token"], redelivered["nextAttemptAt"]) == (
        "pending",
        "t9",
        now + 1,
    )
    assert all_ints(redelivered["id"], redelivered["attempts"])


def test_the_log_lists_newest_first_and_counts_past_the_page(aws):
    for number in range(1, 5):
        webhook_store.insert_delivery(
            {**delivery_record(), "id": number, "eventId": f"evt_{number}"}
        )
    page, total = webhook_store.deliveries(3, db.Page(1, 2))
    assert ([d["id"] for d in page], total) == ([4, 3], 4)
    everything, total = webhook_store.deliveries(3, None)
    assert ([d["id"] for d in everything], total) == ([4, 3, 2, 1], 4)


# --- events and the retry queue -----------------------------------------------------------------


def stream_record(item: dict[str, Any], name: str = "INSERT") -> dict[str, Any]:
    serializer = TypeSerializer()
    image = {key: serializer.serialize(value) for key, value in item.items()}
    return {"eventName": name, "dynamodb": {"NewImage": image, "SequenceNumber": "1"}}


def test_the_stream_hands_over_inserted_events_only():
    item = outbox.event_put(4, "award", {"action": "award"}, event_id="evt_9")["Put"]["Item"]
    event = outbox.inserted_event(stream_record(item))
    assert event is not None
    assert (event["eventId"], event["systemId"], event["action"]) == ("evt_9", 4, "award")
    assert json.loads(event["body"]) == {"action": "award"}
    assert all_ints(event["systemId"], event["created"])
    assert outbox.inserted_event(stream_record(item, "MODIFY")) is None
    assert outbox.inserted_event(stream_record({**item, "entity": "delivery"})) is None


def test_a_queue_message_reads_back_as_made():
    message = queue.queue_message(1, 2, 3, "evt_1", "tok", 12.5)
    assert queue.read_message(json.dumps(message)) == message


# --- applications and reviews ---------------------------------------------------------------------


def application_record(badge: dict[str, Any], slug: str) -> assessment_store.ApplicationRecord:
    return {
        "id": 40,
        "slug": slug,
        "badgeId": int(badge["id"]),
        "systemId": 1,
        "learner": "learner@example.org",
        "created": 1_700_000_000,
        "evidence": [{"slug": "e1", "url": None, "mediaType": "link", "reflection": "r"}],
        "version": 1,
    }


def test_application_writes_report_what_changed(chicago):
    badge = badge_item(chicago)
    application = application_record(badge, "a" * 32)
    assessment_store.insert_application(application, badge)
    with pytest.raises(assessment_store.Rejected) as taken:
        assessment_store.insert_application({**application, "id": 41}, badge)
    assert taken.value.changed == {"slug"}
    gone = {**badge, "id": 999}
    with pytest.raises(assessment_store.Rejected) as missing:
        assessment_store.insert_application({**application, "id": 42, "slug": "b" * 32}, gone)
    assert missing.value.changed == {"badge"}

    found = assessment_store.get_application(int(badge["id"]), "A" * 32)
    assert found is not None
    assert all_ints(found["id"], found["badgeId"], found["created"], found["version"])
    assert found["evidence"] == application["evidence"]
    processed = {**found, "processed": 1_700_000_100}
    saved = assessment_store.save_application(found, processed)  # type: ignore[arg-type]
    assert saved["version"] == 2
    with pytest.raises(assessment_store.Rejected) as stale:
        assessment_store.save_application(found, processed)  # type: ignore[arg-type]
    assert stale.value.changed == {"application"}
    assert assessment_store.of_badge(int(badge["id"]), [False], None) == ([], 0)
    listed, total = assessment_store.of_badge(int(badge["id"]), [True], None)
    assert ([a["id"] for a in listed], total) == ([40], 1)
    assert assessment_store.reload_application(found) == saved


def test_review_writes_check_the_application_version(chicago):
    badge = badge_item(chicago)
    application = application_record(badge, "c" * 32)
    assessment_store.insert_application(application, badge)
    review: assessment_store.ReviewRecord = {
        "id": 5,
        "slug": "d" * 32,
        "badgeId": int(badge["id"]),
        "applicationId": 40,
        "author": "reviewer@example.org",
        "reviewItems": [{"criterionId": 1, "satisfied": True, "comment": None}],
        "version": 1,
    }
    event = outbox.event_put(1, "review", {"action": "review"})
    stale = {**application, "version": 7}
    with pytest.raises(assessment_store.Rejected) as changed:
        assessment_store.insert_review(review, stale, badge, event)  # type: ignore[arg-type]
    assert changed.value.changed == {"application"}
    assessment_store.insert_review(review, application, badge, event)
    found = assessment_store.get_review(int(badge["id"]), 40, "D" * 32)
    assert found is not None
    assert all_ints(found["id"], found["reviewItems"][0]["criterionId"])
    listed, total = assessment_store.reviews(int(badge["id"]), 40, None)
    assert ([r["id"] for r in listed], total) == ([5], 1)
    assert assessment_store.remove_review(found) is True
    assert assessment_store.remove_review(found) is False
    assert assessment_store.reviews(int(badge["id"]), 40, None) == ([], 0)
