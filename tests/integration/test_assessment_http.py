"""Applications, evidence and reviews over real HTTP against the local stack (spec assessment.md,
webhooks.md §3.3 and §4: the `review` outbox event recorded in the same transaction).

Outbox events are read back from the stack's embedded DynamoDB (a test-only Scan of the table),
and compared byte for byte with what the API returned: the event body is the exact webhook
payload.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any

import boto3
import requests

from tests.integration.conftest import StackProcess
from tests.support.client import ApiClient

Unique = Callable[..., str]
HEX32 = re.compile(r"^[0-9a-f]{32}$")
PROCESSED_ERROR = {
    "code": "InvalidParameter",
    "parameter": "processed",
    "message": "Invalid `processed` parameter. Expecting one of 'true', 'false' or 'any'.",
}


def client(api: ApiClient) -> ApiClient:
    """A client with a connection pool of its own (one per thread in the races)."""
    return ApiClient(api.base_url, api.key, api.secret)


def ok(response: requests.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def make_tree(api: ApiClient, slug: str) -> dict[str, str]:
    """A system with an issuer and a program; returns the three prefixes."""
    ok(api.post("/systems", json={"slug": slug, "name": "City", "url": "http://city.org"}), 201)
    issuer = {"slug": "library", "name": "Library", "url": "http://lib.org"}
    ok(api.post(f"/systems/{slug}/issuers", json=issuer), 201)
    program = {"slug": "scratch", "name": "Scratch", "url": "http://scratch.org"}
    ok(api.post(f"/systems/{slug}/issuers/library/programs", json=program), 201)
    system = f"/systems/{slug}"
    return {
        "system": system,
        "issuer": f"{system}/issuers/library",
        "program": f"{system}/issuers/library/programs/scratch",
    }


def make_badge(api: ApiClient, prefix: str, slug: str, criteria: list[dict[str, Any]]) -> dict:
    body = {
        "slug": slug,
        "name": "Assessed badge",
        "earnerDescription": "For earners",
        "consumerDescription": "For consumers",
        "unique": False,
        "imageUrl": "http://example.org/badge.png",
        "criteriaUrl": "http://example.org/criteria",
        "criteria": criteria,
    }
    badge: dict[str, Any] = ok(api.post(f"{prefix}/badges", json=body), 201)["badge"]
    return badge


def event_table(stack: StackProcess) -> Any:
    return boto3.resource(
        "dynamodb",
        endpoint_url=stack.dynamodb_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",  # the embedded moto server accepts any
        aws_secret_access_key="testing",
    ).Table(stack.table_name)


class EventLog:
    """Outbox events of one system recorded since the previous `new()` call."""

    def __init__(self, stack: StackProcess, system_id: int) -> None:
        self.table = event_table(stack)
        self.system_id = system_id
        self.seen: set[str] = set()

    def all(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = self.table.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [
            item
            for item in items
            if item.get("entity") == "event" and int(item["systemId"]) == self.system_id
        ]

    def new(self) -> list[dict[str, Any]]:
        fresh = [item for item in self.all() if item["eventId"] not in self.seen]
        self.seen.update(item["eventId"] for item in fresh)
        return fresh


def test_assessment_flow_records_review_events(api: ApiClient, stack: StackProcess, unique: Unique):
    http = client(api)
    prefixes = make_tree(http, unique("assess"))
    issuer = prefixes["issuer"]
    system_id = ok(http.get(prefixes["system"]))["system"]["id"]
    log = EventLog(stack, int(system_id))

    # A badge with two required criteria and an optional one.
    badge = make_badge(
        http,
        issuer,
        unique("assessed"),
        [
            {"description": "Build it", "required": True},
            {"description": "Explain it", "required": False},
            {"description": "Ship it", "required": True},
        ],
    )
    build, explain, ship = (c["id"] for c in badge["criteria"])

    # Apply with evidence (JSON) - no event.
    applied = ok(
        http.post(
            f"{issuer}/badges/{badge['slug']}/applications",
            json={
                "learner": "Learner@Example.org",
                "evidence": [
                    {
                        "url": "http://example.org/work.png",
                        "mediaType": "image",
                        "reflection": "My work",
                    },
                    {"url": "http://example.org/notes", "mediaType": "link"},
                ],
            },
        ),
        201,
    )
    assert applied["status"] == "created"
    application = applied["application"]
    assert HEX32.match(application["slug"])
    assert application["badge"] == badge
    assert application["processed"] is None
    assert [(e["url"], e["mediaType"], e["reflection"]) for e in application["evidence"]] == [
        ("http://example.org/work.png", "image", "My work"),
        ("http://example.org/notes", "link", None),
    ]
    path = f"{issuer}/badges/{badge['slug']}/applications/{application['slug']}"
    assert ok(http.get(path)) == {"application": application}
    assert ok(http.get(f"{path}/evidence")) == {"evidences": application["evidence"]}
    evidence = application["evidence"][1]
    assert ok(http.get(f"{path}/evidence/{evidence['slug']}")) == {"evidence": evidence}
    assert log.new() == []

    # Review with items: one event, not approved (criterion `ship` unsatisfied).
    created = ok(
        http.post(
            f"{path}/reviews",
            json={
                "author": "reviewer@example.org",
                "comment": "Nearly there",
                "reviewItems": [
                    {"criterionId": build, "satisfied": True, "comment": "Solid"},
                    {"criterionId": explain, "satisfied": True},
                    {"criterionId": ship, "satisfied": False},
                ],
            },
        ),
        201,
    )
    review = created["review"]
    assert review["reviewItems"] == [
        {"criterionId": build, "satisfied": True, "comment": "Solid"},
        {"criterionId": explain, "satisfied": True, "comment": None},
        {"criterionId": ship, "satisfied": False, "comment": None},
    ]
    (event,) = log.new()
    assert (event["action"], event["origin"]) == ("review", "request")
    assert re.fullmatch(r"evt_[0-9a-f]{32}", event["eventId"])
    body = json.loads(event["body"])
    assert list(body) == ["action", "application", "review", "approved"]
    assert body == {
        "action": "review",
        "application": application,
        "review": review,
        "approved": False,
    }

    # Update the review (items replaced): another event, approved recomputed.
    review_path = f"{path}/reviews/{review['slug']}"
    updated = ok(
        http.put(
            review_path,
            json={
                "comment": "All done",
                "reviewItems": [
                    {"criterionId": build, "satisfied": "true"},
                    {"criterionId": ship, "satisfied": 1},
                ],
            },
        )
    )
    assert updated["status"] == "updated"
    review = updated["review"]
    assert review["comment"] == "All done"
    (event,) = log.new()
    assert json.loads(event["body"]) == {
        "action": "review",
        "application": application,
        "review": review,
        "approved": True,
    }
    assert ok(http.get(f"{path}/reviews")) == {"reviews": [review]}

    # The issuer marks the application processed: no event; later review events show it.
    processed = ok(http.put(path, json={"processed": "2014-06-11T09:00:00Z"}))["application"]
    assert processed["processed"] == "2014-06-11T09:00:00.000Z"
    assert processed["evidence"] == application["evidence"]
    assert log.new() == []
    ok(http.put(review_path, json={"author": "lead@example.org"}))
    (event,) = log.new()
    body = json.loads(event["body"])
    assert body["application"] == processed
    assert body["review"]["author"] == "lead@example.org"
    assert body["approved"] is True

    # Listed as processed, under every ancestor prefix; not as pending.
    for prefix in (prefixes["system"], issuer):
        listed = ok(http.get(f"{prefix}/applications?processed=true&page=1&count=10"))
        assert listed == {
            "applications": [processed],
            "pageData": {"page": 1, "count": 10, "total": 1},
        }
        assert ok(http.get(f"{prefix}/applications?processed=false")) == {"applications": []}
    assert ok(http.get(f"{prefixes['program']}/applications")) == {"applications": []}

    # Review delete and application delete: no events; the review goes with the application.
    deleted = ok(http.delete(review_path))
    assert deleted == {"status": "deleted", "review": body["review"], "badge": body["review"]}
    ok(http.post(f"{path}/reviews", json={"author": "again@example.org"}), 201)
    log.new()
    assert ok(http.delete(path)) == {"status": "deleted", "application": processed}
    assert http.get(f"{path}/reviews").status_code == 404
    assert log.new() == []
    assert ok(http.get(f"{issuer}/applications")) == {"applications": []}


def test_list_filters_over_http(api: ApiClient, unique: Unique):
    http = client(api)
    prefixes = make_tree(http, unique("filters"))
    badges = {
        level: make_badge(http, prefix, unique(level), [{"required": True}])["slug"]
        for level, prefix in prefixes.items()
    }

    def apply(level: str, learner: str) -> dict[str, Any]:
        url = f"{prefixes[level]}/badges/{badges[level]}/applications"
        reply = http.post(url, data={"learner": learner, "evidence[0][url]": "http://e.org/x"})
        application: dict[str, Any] = ok(reply, 201)["application"]
        return application

    made = [
        apply("program", "ann@example.org"),
        apply("system", "Ann@Example.org"),
        apply("issuer", "bo@example.org"),
        apply("system", "bo@example.org"),
    ]
    done = made[3]
    ok(
        http.put(
            f"{prefixes['system']}/badges/{badges['system']}/applications/{done['slug']}",
            json={"processed": 1402477200},
        )
    )

    def ids(query: str, prefix: str | None = None) -> list[int]:
        listed = ok(http.get(f"{prefix or prefixes['system']}/applications{query}"))
        return [a["id"] for a in listed["applications"]]

    first, second, third, fourth = (a["id"] for a in made)
    # Badge id order (system badge, issuer badge, program badge), then created, then id.
    assert ids("") == [second, fourth, third, first]
    assert ids("?processed=any") == [second, fourth, third, first]
    assert ids("?processed=1") == [fourth]
    assert ids("?processed=false") == [second, third, first]
    assert ids("?processed=undefined") == [second, fourth, third, first]
    assert ids("?email=ANN%40example.org") == [second, first]
    assert ids("?email=bo@example.org&processed=0") == [third]
    assert ids("", prefixes["issuer"]) == [third, first]
    assert ids("?email=ann@example.org", prefixes["issuer"]) == [first]
    assert ids("", prefixes["program"]) == [first]
    badge_list = f"{prefixes['issuer']}/badges/{badges['program']}"
    assert ids("", badge_list) == [first]
    paged = ok(http.get(f"{prefixes['system']}/applications?processed=false&page=2&count=2"))
    assert [a["id"] for a in paged["applications"]] == [first]
    assert paged["pageData"] == {"page": 2, "count": 2, "total": 3}
    for query in ("?processed=maybe", "?processed=true&processed=false"):
        reply = http.get(f"{prefixes['system']}/applications{query}")
        assert reply.status_code == 400
        assert reply.json() == PROCESSED_ERROR
    assert http.get(f"/systems/{unique('none')}/applications?processed=bad").status_code == 404


def test_concurrent_processed_changes_keep_the_lists_exact(api: ApiClient, unique: Unique):
    """Racing PUTs that flip `processed` (version-checked, list entry moved in the same
    transaction): the application ends up in exactly one state list, and the totals agree."""
    http = client(api)
    prefixes = make_tree(http, unique("race"))
    system = prefixes["system"]
    slug = make_badge(http, system, unique("raced"), [])["slug"]
    application = ok(
        http.post(f"{system}/badges/{slug}/applications", json={"learner": "a@example.org"}), 201
    )["application"]
    path = f"{system}/badges/{slug}/applications/{application['slug']}"
    statuses: list[int] = []
    lock = threading.Lock()

    def flip(index: int) -> None:
        body = {"processed": 1402477200 + index if index % 2 else None}
        response = client(api).put(path, json=body)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=flip, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    final = ok(http.get(path))["application"]
    totals = {
        state: ok(http.get(f"{system}/applications?processed={state}&page=1&count=5"))["pageData"][
            "total"
        ]
        for state in ("true", "false")
    }
    expected = {"true": 1, "false": 0} if final["processed"] else {"true": 0, "false": 1}
    assert totals == expected
    assert ok(http.get(f"{system}/applications?page=1&count=5"))["pageData"]["total"] == 1
