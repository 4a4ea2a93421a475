"""Property: no request body, however odd, makes a write route answer 5xx, and a refused write
leaves nothing behind (spec README §3 "Limits", §7).

Every POST/PUT route of the API (systems, issuers, programs, consumers, badges, claim codes,
instances, milestones, applications with their evidence, reviews, webhooks), under each of the
three prefixes where it has them, gets bodies from `tests/support/fuzz.py`: mostly the route's valid
body with one to three fields changed (to plausible or boundary values, to anything, or removed),
sometimes anything at all, as JSON, form-urlencoded or multipart bytes
(signed exactly as sent). DELETE routes take no body (README §3: ignored) and are not fuzzed. For
each request:

- the status is below 500 and never 403 (the request is signed correctly);
- the body is a JSON object; a 4xx has string `code` and `message` from the error catalogue
  (a `ValidationError` with its `details` list);
- the lists and items the route could write read the same before and after a 4xx, and still read
  (200) after a 2xx — what was stored must render.

Generation is derandomised with a fixed number of examples per route, so a run is reproducible
and bounded; a failure is shrunk to a small body. The example's target that a write could rename
or use up (a system, issuer, program or badge for its PUT, a claim code) is created fresh per
example; the rest lives in one world per test process. Milestones and webhooks get a system of
their own with no awards, so no auto-award or delivery runs behind a later example's back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import StackProcess
from tests.support import fuzz
from tests.support.bodies import minimal_badge
from tests.support.client import MASTER_SECRET, ApiClient
from tests.support.fuzz import booleans, emails, images, integers, slugs, text, timestamps, urls

EXAMPLES_PER_ROUTE = 14
LEVELS = ("system", "issuer", "program")
ERROR_CODES = {
    400: {"ValidationError", "InvalidContent", "BadRequestError", "CodeAlreadyUsed"},
    404: {"ResourceNotFound"},
    409: {"ResourceConflict"},
    413: {"RequestEntityTooLargeError"},
    415: {"UnsupportedMediaTypeError"},
}


def created(response: requests.Response, key: str) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()[key]
    return item


def new_slug(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class World:
    """What the fuzzed routes write into: one tree with a badge (and its instance, application and
    review) per level, and an `aux` system for milestones and webhooks."""

    api: ApiClient
    system: str = ""
    prefix: dict[str, str] = field(default_factory=dict)
    badge: dict[str, str] = field(default_factory=dict)
    application: dict[str, str] = field(default_factory=dict)
    review: dict[str, str] = field(default_factory=dict)
    criterion_ids: list[int] = field(default_factory=list)
    aux: str = ""
    aux_badge_ids: list[int] = field(default_factory=list)
    milestone: int = 0
    webhook: int = 0
    earner: str = "earner@example.org"

    def __repr__(self) -> str:
        return f"World({self.system}, {self.aux})"

    def build(self) -> World:
        api = self.api
        self.system, self.aux = new_slug("fuzz"), new_slug("aux")
        for slug in (self.system, self.aux):
            created(api.post("/systems", json=container(slug)), "system")
        system = f"/systems/{self.system}"
        created(api.post(f"{system}/issuers", json=container("iss")), "issuer")
        created(api.post(f"{system}/issuers/iss/programs", json=container("prog")), "program")
        self.prefix = {
            "system": system,
            "issuer": f"{system}/issuers/iss",
            "program": f"{system}/issuers/iss/programs/prog",
        }
        for level in LEVELS:
            criteria = [{"description": "Read", "required": True}]
            badge = self.new_badge(level, criteria=criteria)
            self.badge[level] = badge["slug"]
            self.criterion_ids += [c["id"] for c in badge["criteria"]]
            base = self.badge_path(level)
            created(api.post(f"{base}/instances", json={"email": self.earner}), "instance")
            app = created(
                api.post(f"{base}/applications", json={"learner": self.earner}), "application"
            )
            self.application[level] = app["slug"]
            review = created(
                api.post(f"{base}/applications/{app['slug']}/reviews", json={"author": "r@x.org"}),
                "review",
            )
            self.review[level] = review["slug"]
        aux = f"/systems/{self.aux}"
        for _ in range(2):
            reply = api.post(f"{aux}/badges", json=minimal_badge(new_slug("aux-badge")))
            self.aux_badge_ids.append(created(reply, "badge")["id"])
        body = {"primaryBadgeId": self.aux_badge_ids[0], "numberRequired": 1, "supportBadges": []}
        self.milestone = created(api.post(f"{aux}/milestones", json=body), "milestone")["id"]
        hook = {"url": "https://hooks.example.org/fuzz", "secret": "s3cret"}
        self.webhook = created(api.post(f"{aux}/webhooks", json=hook), "webhook")["id"]
        return self

    def new_badge(self, level: str, **extra: Any) -> dict[str, Any]:
        reply = self.api.post(
            f"{self.prefix[level]}/badges", json=minimal_badge(new_slug("b"), **extra)
        )
        return created(reply, "badge")

    def badge_path(self, level: str, slug: str | None = None) -> str:
        return f"{self.prefix[level]}/badges/{slug or self.badge[level]}"

    def application_path(self, level: str) -> str:
        return f"{self.badge_path(level)}/applications/{self.application[level]}"


def container(slug: str) -> dict[str, str]:
    return {"slug": slug, "name": f"Name {slug}", "url": "http://example.org"}


# --- Routes ----------------------------------------------------------------------------------

Fields = dict[str, st.SearchStrategy[Any]]

CONTAINER: Fields = {
    "slug": slugs,
    "name": text,
    "url": urls,
    "description": text,
    "email": emails,
    "image": images,
    "imageUrl": images,
}
CRITERION = st.fixed_dictionaries(
    {"description": text},
    optional={"id": integers, "required": booleans, "note": text},
)
ALIGNMENT = st.fixed_dictionaries(
    {"name": text, "url": urls}, optional={"id": integers, "description": text}
)
BADGE: Fields = {
    "slug": slugs,
    "name": text,
    "strapline": text,
    "earnerDescription": text,
    "consumerDescription": text,
    "issuerUrl": urls,
    "rubricUrl": urls,
    "criteriaUrl": urls,
    "timeValue": integers,
    "timeUnits": st.sampled_from(["minutes", "hours", "days", "weeks", "years"]),
    "limit": integers,
    "unique": booleans,
    "evidenceType": st.sampled_from(["URL", "Text", "Photo", "Video", "Sound", "url"]),
    "type": text,
    "archived": booleans,
    "image": images,
    "imageUrl": images,
    "criteria": st.lists(CRITERION, max_size=3),
    "alignments": st.lists(ALIGNMENT, max_size=3),
    "categories": st.one_of(text, st.lists(text, max_size=4)),
    "tags": st.one_of(
        text, st.lists(st.one_of(text, st.fixed_dictionaries({"value": text})), max_size=4)
    ),
}
CODE: Fields = {"code": slugs, "email": emails, "claimed": booleans, "multiuse": booleans}
AWARD: Fields = {
    "email": emails,
    "slug": slugs,
    "issuedOn": timestamps,
    "expires": timestamps,
    "claimCode": slugs,
    "comment": text,
}
BULK: Fields = {
    "emails": st.one_of(emails, st.lists(emails, max_size=5)),
    "issuedOn": timestamps,
    "expires": timestamps,
    "comment": text,
}
EVIDENCE = st.fixed_dictionaries(
    {},
    optional={
        "url": urls,
        "mediaType": st.sampled_from(["image", "link", "x"]),
        "reflection": text,
    },
)
APPLICATION: Fields = {
    "learner": emails,
    "assignedTo": emails,
    "assignedExpiration": timestamps,
    "processed": timestamps,
    "evidence": st.lists(EVIDENCE, max_size=3),
}
REVIEW_ITEM = st.fixed_dictionaries(
    {"criterionId": integers}, optional={"satisfied": booleans, "comment": text}
)
REVIEW: Fields = {
    "author": emails,
    "comment": text,
    "reviewItems": st.lists(REVIEW_ITEM, max_size=3),
}
WEBHOOK: Fields = {"url": urls, "secret": text}
CONSUMER: Fields = {"apiKey": slugs, "description": text}


def milestone_fields(world: World) -> Fields:
    badge_id = st.one_of(st.sampled_from(world.aux_badge_ids), integers)
    return {
        "primaryBadgeId": badge_id,
        "numberRequired": integers,
        "action": st.sampled_from(["issue", "queue-application", "x"]),
        "supportBadges": st.one_of(badge_id, st.lists(badge_id, max_size=4)),
    }


def review_fields(world: World) -> Fields:
    item = st.fixed_dictionaries(
        {"criterionId": st.one_of(st.sampled_from(world.criterion_ids), integers)},
        optional={"satisfied": booleans, "comment": text},
    )
    return {**REVIEW, "reviewItems": st.lists(item, max_size=3)}


@dataclass(frozen=True)
class Target:
    """One drawn request target: the path to write and the paths whose reads it could change.
    `renames`: the response key of an item whose PUT may change its slug (and so its path)."""

    path: str
    reads: list[str]
    renames: str | None = None

    def reads_after(self, response: requests.Response) -> list[str]:
        if not (self.renames and response.ok):
            return self.reads
        slug = response.json()[self.renames]["slug"]
        if "/" in slug or slug in (".", ".."):
            return [path for path in self.reads if path != self.path]  # not addressable (§1)
        moved = f"{self.path.rsplit('/', 1)[0]}/{quote(slug, safe='')}"
        return [moved if path == self.path else path for path in self.reads]


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    fields: Callable[[World], Fields]
    target: Callable[[World, str], Target]
    # A valid body (fresh slugs, codes and emails each call); examples change a few fields of it.
    base: Callable[[World], dict[str, Any]]
    levels: tuple[str, ...] = ("system",)


def fixed(fields: Fields) -> Callable[[World], Fields]:
    return lambda _world: fields


def new_email() -> str:
    return f"{new_slug('earner')}@example.org"


def a_container(_w: World) -> dict[str, Any]:
    return container(new_slug("c"))


def a_badge(_w: World) -> dict[str, Any]:
    return minimal_badge(new_slug("b"), criteria=[{"description": "c"}], tags=["t"])


def a_milestone(w: World) -> dict[str, Any]:
    ids = w.aux_badge_ids
    return {"primaryBadgeId": ids[0], "numberRequired": 1, "supportBadges": [ids[1]]}


def base_body(**fields: Any) -> Callable[[World], dict[str, Any]]:
    """A constant base body, or one with fresh values (`fields` values may be callables)."""
    return lambda _w: {k: v() if callable(v) else v for k, v in fields.items()}


def put_system(w: World, _level: str) -> Target:
    slug = new_slug("put")
    created(w.api.post("/systems", json=container(slug)), "system")
    return Target(f"/systems/{slug}", [f"/systems/{slug}", paged("/systems")], "system")


def put_issuer(w: World, _level: str) -> Target:
    slug = new_slug("put")
    created(w.api.post(f"/systems/{w.system}/issuers", json=container(slug)), "issuer")
    issuers = f"/systems/{w.system}/issuers"
    return Target(f"{issuers}/{slug}", [f"{issuers}/{slug}", paged(issuers)], "issuer")


def put_program(w: World, _level: str) -> Target:
    slug = new_slug("put")
    programs = f"{w.prefix['issuer']}/programs"
    created(w.api.post(programs, json=container(slug)), "program")
    return Target(f"{programs}/{slug}", [f"{programs}/{slug}", paged(programs)], "program")


def post_badge(w: World, level: str) -> Target:
    return Target(f"{w.prefix[level]}/badges", [paged(f"{w.prefix[level]}/badges?archived=any")])


def put_badge(w: World, level: str) -> Target:
    slug = w.new_badge(level, criteria=[{"description": "c"}], tags=["t"])["slug"]
    return Target(w.badge_path(level, slug), [w.badge_path(level, slug)], "badge")


def paged(path: str) -> str:
    """A list's first item and its `pageData.total` (cheaper than the whole list)."""
    return f"{path}{'&' if '?' in path else '?'}page=1&count=1"


def codes_of(w: World, level: str) -> list[str]:
    return [paged(f"{w.badge_path(level)}/codes"), paged(f"{w.badge_path(level)}/instances")]


def post_code(w: World, level: str) -> Target:
    return Target(f"{w.badge_path(level)}/codes", codes_of(w, level))


def random_code(w: World, level: str) -> Target:
    return Target(f"{w.badge_path(level)}/codes/random", codes_of(w, level))


def fresh_code(w: World, level: str) -> str:
    code = new_slug("code")
    reply = w.api.post(f"{w.badge_path(level)}/codes", json={"code": code})
    return f"{w.badge_path(level)}/codes/{created(reply, 'claimCode')['code']}"


def claim_code(w: World, level: str) -> Target:
    code = fresh_code(w, level)
    return Target(f"{code}/claim", [code, *codes_of(w, level)])


def put_code(w: World, level: str) -> Target:
    code = fresh_code(w, level)
    return Target(code, [code, *codes_of(w, level)])


def award(w: World, level: str) -> Target:
    return Target(f"{w.badge_path(level)}/instances", codes_of(w, level))


def bulk(w: World, level: str) -> Target:
    return Target(f"{w.badge_path(level)}/instances/bulk", codes_of(w, level))


def put_instance(w: World, level: str) -> Target:
    instance = f"{w.badge_path(level)}/instances/{quote(w.earner, safe='')}"
    return Target(instance, [instance, paged(f"{w.badge_path(level)}/instances")])


def apply(w: World, level: str) -> Target:
    applications = f"{w.badge_path(level)}/applications"
    return Target(applications, [paged(applications)])


def put_application(w: World, level: str) -> Target:
    app = w.application_path(level)
    return Target(app, [app, f"{app}/evidence", paged(f"{w.badge_path(level)}/applications")])


def post_review(w: World, level: str) -> Target:
    reviews = f"{w.application_path(level)}/reviews"
    return Target(reviews, [paged(reviews)])


def put_review(w: World, level: str) -> Target:
    reviews = f"{w.application_path(level)}/reviews"
    review = f"{reviews}/{w.review[level]}"
    return Target(review, [review, paged(reviews)])


def aux(*paths: str) -> Callable[[World, str], Target]:
    def target(w: World, _level: str) -> Target:
        system = f"/systems/{w.aux}"
        milestone = f"{system}/milestones/{w.milestone}"
        resolved = [p.format(system=system, milestone=milestone, webhook=w.webhook) for p in paths]
        return Target(resolved[0], resolved[1:])

    return target


ROUTES = [
    Route(
        "POST systems",
        "POST",
        fixed(CONTAINER),
        lambda w, _: Target("/systems", [paged("/systems")]),
        a_container,
    ),
    Route("PUT system", "PUT", fixed(CONTAINER), put_system, base_body(name="N")),
    Route(
        "POST issuers",
        "POST",
        fixed(CONTAINER),
        lambda w, _: Target(
            f"/systems/{w.system}/issuers", [paged(f"/systems/{w.system}/issuers")]
        ),
        a_container,
    ),
    Route("PUT issuer", "PUT", fixed(CONTAINER), put_issuer, base_body(name="N")),
    Route(
        "POST programs",
        "POST",
        fixed(CONTAINER),
        lambda w, _: Target(
            f"{w.prefix['issuer']}/programs", [paged(f"{w.prefix['issuer']}/programs")]
        ),
        a_container,
    ),
    Route("PUT program", "PUT", fixed(CONTAINER), put_program, base_body(name="N")),
    Route(
        "POST consumers",
        "POST",
        fixed(CONSUMER),
        aux("{system}/consumers", "{system}/consumers"),
        base_body(apiKey=lambda: new_slug("key"), description="d"),
    ),
    Route("POST badges", "POST", fixed(BADGE), post_badge, a_badge, LEVELS),
    Route("PUT badge", "PUT", fixed(BADGE), put_badge, a_badge, LEVELS),
    Route(
        "POST codes", "POST", fixed(CODE), post_code, base_body(code=lambda: new_slug("c")), LEVELS
    ),
    Route("POST codes/random", "POST", fixed(CODE), random_code, base_body(multiuse=True), LEVELS),
    Route(
        "POST codes/{code}/claim",
        "POST",
        fixed(CODE),
        claim_code,
        base_body(email=new_email),
        LEVELS,
    ),
    Route("PUT codes/{code}", "PUT", fixed(CODE), put_code, base_body(claimed=True), LEVELS),
    Route("POST instances", "POST", fixed(AWARD), award, base_body(email=new_email), LEVELS),
    Route(
        "POST instances/bulk",
        "POST",
        fixed(BULK),
        bulk,
        base_body(emails=lambda: [new_email(), new_email()]),
        LEVELS,
    ),
    Route(
        "PUT instances/{email}",
        "PUT",
        fixed(AWARD),
        put_instance,
        base_body(expires="2030-01-01T00:00:00Z"),
        LEVELS,
    ),
    Route(
        "POST applications", "POST", fixed(APPLICATION), apply, base_body(learner=new_email), LEVELS
    ),
    Route(
        "PUT application",
        "PUT",
        fixed(APPLICATION),
        put_application,
        base_body(assignedTo="r@example.org"),
        LEVELS,
    ),
    Route("POST reviews", "POST", review_fields, post_review, base_body(author="r@x.org"), LEVELS),
    Route("PUT review", "PUT", review_fields, put_review, base_body(comment="c"), LEVELS),
    Route(
        "POST milestones",
        "POST",
        milestone_fields,
        aux("{system}/milestones", "{system}/milestones?page=1&count=1"),
        a_milestone,
    ),
    Route(
        "PUT milestone",
        "PUT",
        milestone_fields,
        aux("{milestone}", "{milestone}", "{system}/milestones?page=1&count=1"),
        a_milestone,
    ),
    Route(
        "POST milestone add-badge",
        "POST",
        lambda w: {"badgeId": milestone_fields(w)["primaryBadgeId"]},
        aux("{milestone}/add-badge", "{milestone}"),
        lambda w: {"badgeId": w.aux_badge_ids[1]},
    ),
    Route(
        "POST milestone remove-badge",
        "POST",
        lambda w: {"badgeId": milestone_fields(w)["primaryBadgeId"]},
        aux("{milestone}/remove-badge", "{milestone}"),
        lambda w: {"badgeId": w.aux_badge_ids[1]},
    ),
    Route(
        "POST webhooks",
        "POST",
        fixed(WEBHOOK),
        aux("{system}/webhooks", "{system}/webhooks"),
        base_body(url=lambda: f"https://hooks.example.org/{new_slug('h')}", secret="s"),
    ),
    Route(
        "POST webhook redeliver",
        "POST",
        fixed({}),
        aux(
            "{system}/webhooks/{webhook}/deliveries/1/redeliver",
            "{system}/webhooks/{webhook}/deliveries",
        ),
        base_body(),
    ),
]


# --- The property ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(stack: StackProcess) -> World:
    return World(ApiClient(stack.base_url, "master", MASTER_SECRET)).build()


def read(api: ApiClient, path: str) -> Any:
    response = api.get(path)
    assert response.status_code == 200, f"GET {path} → {response.status_code} {response.text}"
    return response.json()


def check_reply(response: requests.Response) -> None:
    assert response.headers.get("Content-Type", "").startswith("application/json")
    body = response.json()
    assert isinstance(body, dict), body
    status = response.status_code
    if status >= 400:
        assert body.get("code") in ERROR_CODES.get(status, set()), (status, body)
        assert isinstance(body.get("message"), str), body
    if body.get("code") == "ValidationError":
        assert body["message"] == "Could not validate required fields", body
        assert body["details"], body
        for detail in body["details"]:
            assert isinstance(detail["field"], str), detail
            assert isinstance(detail["message"], str), detail


def last_exception(stack: StackProcess) -> str:
    """The end of the last traceback in the stack's log: a function's (a JSON log line with an
    `exception` key) or the local gateway's (plain text)."""
    log = stack.output()
    start = log.rfind("Traceback (most recent call last)")
    at = log.rfind('{"level"')
    if at > start and '"exception"' in log[at:]:
        try:
            return str(json.loads(log[at:].split("\n", 1)[0])["exception"])[-1500:]
        except (ValueError, KeyError):
            pass
    return log[start:][:1500] if start >= 0 else "(no traceback in the stack's log)"


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
@settings(
    max_examples=EXAMPLES_PER_ROUTE,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_write_route_never_answers_5xx_and_a_refusal_changes_nothing(
    world: World, stack: StackProcess, route: Route, data: st.DataObject
) -> None:
    level = data.draw(st.sampled_from(route.levels), label="level")
    body = data.draw(fuzz.bodies(route.base(world), route.fields(world)), label="body")
    target = route.target(world, level)
    before = [read(world.api, path) for path in target.reads]

    response = world.api.request(
        route.method, target.path, body=body.raw, content_type=body.content_type
    )

    request = f"{route.method} {target.path} with {body!r}"
    assert response.status_code < 500, (
        f"{request}\n→ {response.status_code} {response.text}\n{last_exception(stack)}"
    )
    assert response.status_code != 403, f"{request}\n→ {response.text}"
    try:
        check_reply(response)
    except (AssertionError, ValueError, KeyError, TypeError) as exc:
        raise AssertionError(f"{request}\n→ {response.status_code} {response.text[:600]}") from exc
    after = [read(world.api, path) for path in target.reads_after(response)]
    if response.status_code >= 400:
        for path, old, new in zip(target.reads, before, after, strict=True):
            assert new == old, f"{request}\n→ {response.text[:600]}\nGET {path} changed"
