"""Milestone auto-award (milestones.md §Auto-award): the template's MilestoneAwardFunction called
with Lambda-format DynamoDB stream events built from the real records moto's stream holds after
API requests, filtered by the template's own FilterCriteria (as the event source mapping would).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.streams import passes_filters
from tests.support.bodies import minimal_badge as badge_body
from tests.support.meter import metered
from tests.support.table_stream import TableStream
from tests.unit.conftest import Api, system_body

SYS = "/systems/chicago"
OTHER = "/systems/pittsburgh"
MS = f"{SYS}/milestones"
FUNCTION = "MilestoneAwardFunction"
BRIAN = "brian@example.org"
REGION = "us-east-1"


class Stream(TableStream):
    """The table's stream as the milestone awarder's event source mapping sees it."""

    def __init__(self, api: Api) -> None:
        super().__init__(api, FUNCTION)


@pytest.fixture
def tree(api: Api) -> Api:
    """chicago: badges 1-5; pittsburgh: badges 6-7."""
    assert api.post("/systems", system_body("chicago")).status == 201
    for slug in ("b1", "b2", "b3", "b4", "b5"):
        assert api.post(f"{SYS}/badges", badge_body(slug)).status == 201
    assert api.post("/systems", system_body("pittsburgh")).status == 201
    for slug in ("b6", "b7"):
        assert api.post(f"{OTHER}/badges", badge_body(slug)).status == 201
    return api


@pytest.fixture
def stream(tree: Api) -> Stream:
    reader = Stream(tree)
    reader.unread()  # skip the set-up's records
    return reader


def milestone(api: Api, primary: int, supports: list[int], number: int = 1) -> None:
    body = {"primaryBadgeId": primary, "numberRequired": number, "supportBadges": supports}
    assert api.post(MS, body).status == 201


def award(api: Api, badge: str, email: str = BRIAN, prefix: str = SYS, **extra: Any) -> None:
    reply = api.post(f"{prefix}/badges/{badge}/instances", {"email": email, **extra})
    assert reply.status == 201, reply.json


def held(api: Api, email: str = BRIAN, prefix: str = SYS) -> list[str]:
    """Badge slugs of the earner's instances in the system, creation order."""
    reply = api.get(f"{prefix}/instances/{email.replace('@', '%40')}")
    return [instance["badge"]["slug"] for instance in reply.json["instances"]]


def award_events(badge_id: int | None = None) -> list[dict[str, Any]]:
    from badgekit.store import db

    items = [
        i
        for i in db.table().scan()["Items"]
        if i.get("entity") == "event" and i["action"] == "award"
    ]
    found = [i for i in items if badge_id is None or int(i["badgeId"]) == badge_id]
    return sorted(found, key=lambda i: (int(i["created"]), i["eventId"]))


# --- the spec's worked example -----------------------------------------------------------------


def test_worked_example(tree, stream):
    """Milestone 1: primary badge 1, support {4, 5}, numberRequired 1. The earner holds 5 from
    before the milestone existed and is now awarded 4: badge 1 is awarded, and its `award`
    event (badge 1, comment null, origin "milestone") follows the one of badge 4."""
    award(tree, "b5")
    assert stream.process()  # the award of 5, before any milestone: nothing to do
    milestone(tree, 1, [4, 5])
    assert stream.process() == []  # creating a milestone awards nothing retroactively
    assert held(tree) == ["b5"]

    award(tree, "b4", comment="Well done!")
    (delivered,) = stream.process()
    assert delivered["eventName"] == "INSERT"
    assert delivered["dynamodb"]["NewImage"]["badgeId"] == {"N": "4"}
    assert held(tree) == ["b5", "b4", "b1"]

    (trigger,) = award_events(4)
    (event,) = award_events(1)
    assert (event["origin"], trigger["origin"]) == ("milestone", "request")
    assert int(event["systemId"]) == 1
    assert int(event["created"]) >= int(trigger["created"])
    body = json.loads(event["body"])
    assert list(body) == [
        "action",
        "uid",
        "badge",
        "email",
        "assertionUrl",
        "issuedOn",
        "comment",
        "credentialUrl",
    ]
    badge_one = tree.get(f"{SYS}/badges/b1").json["badge"]
    assert body["badge"] == {**badge_one, "milestones": []}
    assert (body["action"], body["email"], body["comment"]) == ("award", BRIAN, None)
    instance = tree.get(f"{SYS}/badges/b1/instances/{BRIAN.replace('@', '%40')}").json["instance"]
    assert body["uid"] == instance["slug"]
    assert body["assertionUrl"] == instance["assertionUrl"]
    assert body["credentialUrl"] == instance["assertionUrl"].replace(
        "/assertions/", "/credentials/"
    )
    assert (instance["expires"], instance["claimCode"]) == (None, None)


def test_not_enough_support_badges_then_enough(tree, stream):
    milestone(tree, 1, [2, 3, 4], 2)
    award(tree, "b2")
    stream.process()
    assert held(tree) == ["b2"]
    award(tree, "b5")  # not a support badge
    stream.process()
    assert held(tree) == ["b2", "b5"]
    award(tree, "b4")
    stream.process()
    assert held(tree) == ["b2", "b5", "b4", "b1"]


def test_earner_email_is_case_insensitive(tree, stream):
    milestone(tree, 1, [2, 3], 2)
    award(tree, "b2", "Brian@Example.org")
    award(tree, "b3", "brian@example.ORG")
    stream.process()
    assert held(tree) == ["b2", "b3", "b1"]
    assert len(award_events(1)) == 1


# --- rules -----------------------------------------------------------------------------------


def test_no_chaining(tree, stream):
    """Awards made by the awarder do not trigger further milestones."""
    milestone(tree, 2, [1])
    milestone(tree, 3, [2])
    award(tree, "b1")
    (delivered,) = stream.process()  # the request's event; not the awarder's own
    assert delivered["dynamodb"]["NewImage"]["badgeId"] == {"N": "1"}
    assert held(tree) == ["b1", "b2"]
    (event,) = award_events(2)
    assert event["origin"] == "milestone"
    # Its record is filtered out by the mapping, and ignored by the function if delivered anyway.
    raw = _record_of(stream, event)
    assert not passes_filters(stream.source.filter_patterns, raw)
    assert stream.invoke([raw]) == {"batchItemFailures": []}
    assert held(tree) == ["b1", "b2"]


def _record_of(stream: Stream, event: dict[str, Any]) -> dict[str, Any]:
    """A Lambda-format INSERT record of an event item (as the stream holds it)."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    image = {key: serializer.serialize(value) for key, value in event.items()}
    return {
        "eventID": "test",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "eventSourceARN": stream.arn,
        "dynamodb": {
            "Keys": {"PK": image["PK"], "SK": image["SK"]},
            "NewImage": image,
            "SequenceNumber": "900000000000000000001",
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def test_a_primary_is_awarded_once(tree, stream):
    milestone(tree, 3, [1])
    milestone(tree, 3, [1, 2])
    award(tree, "b1")
    stream.process()
    assert held(tree) == ["b1", "b3"]
    assert len(award_events(3)) == 1


def test_primary_already_held_is_skipped(tree, stream):
    milestone(tree, 3, [1])
    award(tree, "b3")
    award(tree, "b1")
    stream.process()
    assert held(tree) == ["b3", "b1"]
    assert len(award_events(3)) == 1  # the request's own


def test_several_milestones_in_ascending_id(tree, stream):
    milestone(tree, 4, [1])
    milestone(tree, 3, [1])
    award(tree, "b1")
    stream.process()
    assert held(tree) == ["b1", "b4", "b3"]


def test_action_queue_application_awards_like_issue(tree, stream):
    body = {"primaryBadgeId": 2, "numberRequired": 1, "supportBadges": [1]}
    assert tree.post(MS, {**body, "action": "queue-application"}).status == 201
    award(tree, "b1")
    stream.process()
    assert held(tree) == ["b1", "b2"]


def test_revocation_does_nothing(tree, stream):
    milestone(tree, 2, [1])
    award(tree, "b1")
    stream.process()
    reply = tree.delete(f"{SYS}/badges/b1/instances/{BRIAN.replace('@', '%40')}")
    assert reply.status == 200
    assert stream.process() == []  # the revoke event is not delivered
    assert held(tree) == ["b2"]


def test_bulk_and_claim_code_awards_trigger_it(tree, stream):
    milestone(tree, 2, [1])
    reply = tree.post(f"{SYS}/badges/b1/instances/bulk", {"emails": ["a@example.org", BRIAN]})
    assert reply.status == 201, reply.json
    assert tree.post(f"{SYS}/badges/b1/codes", {"code": "c1"}).status == 201
    award(tree, "b1", "c@example.org", claimCode="c1")
    assert len(stream.process()) == 3
    for email in ("a@example.org", BRIAN, "c@example.org"):
        assert held(tree, email) == ["b1", "b2"]


def test_held_in_another_system_counts_and_the_event_goes_to_the_request_system(tree, stream):
    """M and `held` are not scoped to a system (data from the original could link badges of
    two systems; the API no longer creates such milestones): a pittsburgh milestone whose
    support list holds chicago badge 1 and pittsburgh badge 6 awards pittsburgh badge 7 when
    chicago badge 1 completes it, with the event in chicago, the system of the request."""
    from badgekit.store import db, keys

    item = {
        **keys.milestone(2, 99),
        "entity": "milestone",
        "id": 99,
        "systemId": 2,
        "primaryBadgeId": 7,
        "numberRequired": 2,
        "action": "issue",
        "supportBadgeIds": [1, 6],
        "GSI2PK": keys.primary_lookup(7),
        "GSI2SK": keys.padded(99),
        "version": 1,
    }
    db.table().put_item(Item=item)
    for badge_id in (1, 6):
        entry = {**keys.milestone_support(badge_id, 99), "systemId": 2, "milestoneId": 99}
        db.table().put_item(Item={**entry, "entity": "milestoneSupport"})
    award(tree, "b6", prefix=OTHER)
    stream.process()
    assert held(tree, prefix=OTHER) == ["b6"]
    award(tree, "b1")
    stream.process()
    assert held(tree, prefix=OTHER) == ["b6", "b7"]
    (event,) = award_events(7)
    assert (int(event["systemId"]), event["origin"]) == (1, "milestone")
    assert json.loads(event["body"])["badge"]["system"]["slug"] == "pittsburgh"


# --- delivery: idempotence and failures ------------------------------------------------------


def test_a_redelivered_record_awards_nothing_twice(tree, stream):
    milestone(tree, 1, [4, 5])
    award(tree, "b4")
    records = stream.delivered()
    assert len(records) == 1
    for _ in range(3):
        assert stream.invoke(records) == {"batchItemFailures": []}
    assert held(tree) == ["b4", "b1"]
    assert len(award_events(1)) == 1


def test_a_failing_record_is_reported_and_its_retry_succeeds(tree, stream, monkeypatch):
    from badgekit.domain import instances

    milestone(tree, 1, [4])
    award(tree, "b4", "first@example.org")
    award(tree, "b4", "second@example.org")
    award(tree, "b4", "third@example.org")
    records = stream.delivered()
    assert len(records) == 3
    real = instances.award_from_milestone

    def failing(badge: Any, email: str, *args: Any) -> Any:
        if email == "second@example.org":
            raise RuntimeError("throttled")
        return real(badge, email, *args)

    monkeypatch.setattr(instances, "award_from_milestone", failing)
    failed = records[1]["dynamodb"]["SequenceNumber"]
    assert stream.invoke(records) == {"batchItemFailures": [{"itemIdentifier": failed}]}
    assert held(tree, "first@example.org") == ["b4", "b1"]
    assert held(tree, "second@example.org") == ["b4"]
    assert held(tree, "third@example.org") == ["b4", "b1"]

    monkeypatch.setattr(instances, "award_from_milestone", real)
    # Lambda retries from the failed record on: the later one is processed again, harmlessly.
    assert stream.invoke(records[1:]) == {"batchItemFailures": []}
    assert held(tree, "second@example.org") == ["b4", "b1"]
    assert len(award_events(1)) == 3


def test_filter_delivers_only_new_request_award_events(tree, stream):
    milestone(tree, 2, [1])
    award(tree, "b1")
    records = stream.unread()
    delivered = [r for r in records if passes_filters(stream.source.filter_patterns, r)]
    assert [r["dynamodb"]["NewImage"]["entity"]["S"] for r in delivered] == ["event"]
    assert len(records) > len(delivered)  # milestone, instance, assertion, list items...
    # the function's own events (origin "milestone") and updates of events never pass
    modified = {**delivered[0], "eventName": "MODIFY"}
    assert not passes_filters(stream.source.filter_patterns, modified)


def test_a_badge_deleted_before_processing_is_not_awarded(tree, stream):
    milestone(tree, 2, [1])
    award(tree, "b1")
    records = stream.delivered()
    assert tree.delete(f"{SYS}/badges/b2").status == 200
    assert stream.invoke(records) == {"batchItemFailures": []}
    assert held(tree) == ["b1"]


# --- cost ------------------------------------------------------------------------------------


def test_dynamodb_calls_per_record(tree, stream):
    """A badge no milestone lists: one Query. The worked example's award: the support
    partition, the milestones, the earner's instances among the badges involved (all strongly
    consistent), the primary badge by id, then the award (system by id and its confirmation, id
    counter, one transaction)."""
    milestone(tree, 1, [4, 5])
    award(tree, "b2")
    award(tree, "b4")
    first, second = stream.delivered()
    replies: list[dict[str, Any]] = []
    with metered() as calls:
        assert calls.during(lambda: replies.append(stream.invoke([first]))) == ["Query"]
        assert calls.during(lambda: replies.append(stream.invoke([second]))) == [
            "BatchGetItem",  # milestones listing badge 4
            "BatchGetItem",  # instances of the earner among badges 1, 4, 5
            "GetItem",  # the primary badge's system, confirmed
            "Query",  # SUPPORT#4
            "Query",  # badge 1 by id (GSI1)
            "Query",  # its system by id (GSI1)
            "TransactWriteItems",  # instance, assertion, list entry and total, event
            "UpdateItem",  # instance id
        ]
    assert replies == [{"batchItemFailures": []}] * 2
    assert held(tree) == ["b2", "b4", "b1"]
