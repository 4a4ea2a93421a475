"""The per-endpoint scenarios: the small fixtures of the endpoint tables and, per route, the
requests each table row makes (with their set-up and clean-up), then the measuring of each
function's routes on a fresh table.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from local.inprocess import Api, Reply
from scripts.bench.harness import (
    GATEWAY,
    Hook,
    Result,
    Scenario,
    Target,
    expect,
    fixed,
    fresh_table,
    master_client,
    measure_all,
    phase,
)

PAGE_SIZE = 20  # of the paginated requests
PROCESSED = 1402560000  # the `processed` time of processed applications

# --- the containers endpoints ---------------------------------------------------------------------

SYSTEM, ISSUER, PROGRAM, CONSUMER_KEY = "bench", "issuer-1", "program-1", "bench-frontend"
SYSTEM_PATH = f"/systems/{SYSTEM}"
ISSUER_PATH = f"{SYSTEM_PATH}/issuers/{ISSUER}"
ENDPOINT_FIXTURE = (
    f"4 systems; `{SYSTEM}` has 3 issuers with 2 programs each and 1 consumer key, the other "
    "3 systems are empty"
)


def named(slug: str) -> dict[str, Any]:
    return {"slug": slug, "name": slug.replace("-", " ").title(), "url": "http://example.org/"}


def new(index: int) -> str:
    """Creates need a unique slug per iteration (their teardown deletes it again)."""
    return f"new-{index}"


def doomed(index: int) -> str:
    """Deletes need a fresh item per iteration (their setup creates it)."""
    return f"doomed-{index}"


def delete_new(master: Api, collection: str) -> Hook:
    """Teardown of a create: the fixture stays as it was for the next scenarios."""

    def hook(index: int) -> None:
        expect(master.delete(f"{collection}/{new(index)}"), 200)

    return hook


def seed_endpoint_fixture(master: Api) -> Api:
    """The small data set of the per-endpoint table; returns a consumer-key client of SYSTEM."""
    for slug in (SYSTEM, "alpha", "beta", "rename-a"):
        expect(master.post("/systems", named(slug)), 201)
    for n in range(1, 4):
        expect(master.post(f"{SYSTEM_PATH}/issuers", named(f"issuer-{n}")), 201)
        for m in range(1, 3):
            programs = f"{SYSTEM_PATH}/issuers/issuer-{n}/programs"
            expect(master.post(programs, named(f"program-{m}")), 201)
    consumer = expect(master.post(f"{SYSTEM_PATH}/consumers", {"apiKey": CONSUMER_KEY}), 201)
    return Api(CONSUMER_KEY, consumer.json["consumer"]["apiSecret"], gw=GATEWAY)


@dataclass(frozen=True)
class Level:
    """One container level of the fixture, as the scenarios of its five routes need it."""

    shown: str  # collection path as shown, e.g. /systems/{s}/issuers
    placeholder: str  # e.g. {i}
    path: str  # the fixture's collection path
    existing: str  # slug that GET and PUT use
    size: int  # members of the fixture's collection
    children: tuple[str, ...]  # collections a doomed item is given, one inside the other
    consumer_lists: bool  # whether a consumer key may list the collection


LEVELS = (
    Level("/systems", "{s}", "/systems", SYSTEM, 4, ("issuers", "programs"), False),
    Level("/systems/{s}/issuers", "{i}", f"{SYSTEM_PATH}/issuers", ISSUER, 3, ("programs",), True),
    Level(
        "/systems/{s}/issuers/{i}/programs", "{p}", f"{ISSUER_PATH}/programs", PROGRAM, 2, (), True
    ),
)


def create_tree(master: Api, collection: str, slug: str, children: tuple[str, ...]) -> None:
    """An item with one child in each of `children`, e.g. a system with an issuer and program."""
    expect(master.post(collection, named(slug)), 201)
    parent = f"{collection}/{slug}"
    for child in children:
        expect(master.post(f"{parent}/{child}", named("child")), 201)
        parent = f"{parent}/{child}/child"


def level_scenarios(level: Level, master: Api, consumer: Api) -> list[Scenario]:
    """List, create, get, update and delete of one level; writes leave the fixture unchanged."""
    item_shown = f"{level.shown}/{level.placeholder}"
    item = f"{level.path}/{level.existing}"
    readers = [("master", master), ("consumer", consumer)]
    listers = readers if level.consumer_lists else readers[:1]
    contents = ", ".join(f"1 {child.removesuffix('s')}" for child in level.children)
    return [
        *(
            Scenario("GET", level.shown, fixed(level.path), client, auth, listed=level.size)
            for auth, client in listers
        ),
        Scenario(
            "POST",
            level.shown,
            fixed(level.path),
            master,
            "master",
            body=lambda i: named(new(i)),
            status=201,
            teardown=delete_new(master, level.path),
        ),
        *(Scenario("GET", item_shown, fixed(item), client, auth) for auth, client in readers),
        Scenario(
            "PUT",
            item_shown,
            fixed(item),
            master,
            "master",
            body=lambda i: {"name": f"Updated {i}"},
        ),
        Scenario(
            "DELETE",
            item_shown,
            lambda i: f"{level.path}/{doomed(i)}",
            master,
            "master",
            setup=lambda i: create_tree(master, level.path, doomed(i), level.children),
            note=f"with {contents}" if contents else "",
        ),
    ]


def rename_scenario(master: Api) -> Scenario:
    """A slug rename moves the item to its new key in one transaction; the fixture's system
    flips between two slugs, so every iteration is a rename."""

    def slug(index: int) -> str:
        return "rename-a" if index % 2 == 0 else "rename-b"

    return Scenario(
        "PUT",
        "/systems/{s}",
        lambda i: f"/systems/{slug(i)}",
        master,
        "master",
        body=lambda i: {"slug": slug(i + 1)},
        note="slug rename",
    )


def create_consumer(master: Api, api_key: str) -> None:
    expect(master.post(f"{SYSTEM_PATH}/consumers", {"apiKey": api_key}), 201)


def consumer_scenarios(master: Api) -> list[Scenario]:
    shown, path = "/systems/{s}/consumers", f"{SYSTEM_PATH}/consumers"
    return [
        Scenario("GET", shown, fixed(path), master, "master", listed=1),
        Scenario(
            "POST",
            shown,
            fixed(path),
            master,
            "master",
            body=lambda i: {"apiKey": new(i)},
            status=201,
            teardown=delete_new(master, path),
        ),
        Scenario(
            "DELETE",
            f"{shown}/{{key}}",
            lambda i: f"{path}/{doomed(i)}",
            master,
            "master",
            setup=lambda i: create_consumer(master, doomed(i)),
        ),
    ]


def endpoint_scenarios(master: Api, consumer: Api) -> list[Scenario]:
    """Every route of the containers function, in the order of functions/containers/app.py."""
    systems, issuers, programs = (level_scenarios(lv, master, consumer) for lv in LEVELS)
    return [
        Scenario("GET", "/", fixed("/"), master, "none"),
        Scenario("GET", "/healthcheck", fixed("/healthcheck"), master, "none"),
        *systems,
        rename_scenario(master),
        *issuers,
        *programs,
        *consumer_scenarios(master),
    ]


def measure_endpoints(iterations: int) -> list[Result]:
    with fresh_table() as meter, phase("endpoints"):
        master = master_client()
        consumer = seed_endpoint_fixture(master)
        return measure_all(endpoint_scenarios(master, consumer), meter, iterations)


# --- the badges and public endpoints --------------------------------------------------------------

PROGRAM_PATH = f"{ISSUER_PATH}/programs/{PROGRAM}"
# A 1x1 PNG (70 bytes): the stored image of the image scenarios.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9"
    "awAAAABJRU5ErkJggg=="
)
PNG_DATA_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()
STORED_IMAGE_BADGE = "stored-image"


def badge_body(slug: str, *, image: str | None = None) -> dict[str, Any]:
    """A badge with every kind of child: 2 criteria, 1 alignment, 2 categories, 2 tags; a
    remote `imageUrl` unless `image` (a data: URI) is given."""
    body: dict[str, Any] = {
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "strapline": "A badge for the benchmark",
        "earnerDescription": "What the earner did to deserve it",
        "consumerDescription": "What the badge tells whoever looks at it",
        "criteriaUrl": "http://example.org/criteria",
        "unique": True,
        "evidenceType": "URL",
        "criteria": [
            {"description": "Did the first thing", "required": True, "note": "Check it"},
            {"description": "Did the second thing", "required": False},
        ],
        "alignments": [
            {
                "name": "CCSS.ELA-Literacy.RST.11-12.3",
                "url": "http://www.corestandards.org/ELA-Literacy/RST/11-12/3",
                "description": "Follow precisely a complex multistep procedure",
            }
        ],
        "categories": ["Science", "Coding"],
        "tags": ["scratch", "games"],
    }
    if image is None:
        body["imageUrl"] = "http://example.org/badge.png"
    else:
        body["image"] = image
    return body


@dataclass(frozen=True)
class BadgeLevel:
    """One of the three prefixes badges live under, as the scenarios of its routes need it."""

    name: str  # system | issuer | program: the level of the badges created under it
    shown: str  # the prefix as shown, e.g. /systems/{s}/issuers/{i}
    path: str  # the fixture's prefix
    depth: int  # GetItem calls that resolve the prefix (system, issuer, program)
    listed: int  # badges of its default list in the fixture (its own and its descendants')

    def fixture(self) -> tuple[str, str, str]:
        """The fixture's badges of this level: read/updated, renamed, archived."""
        return f"{self.name}-badge", f"{self.name}-rename-a", f"{self.name}-archive"


BADGE_LEVELS = (
    BadgeLevel("system", "/systems/{s}", SYSTEM_PATH, 1, 3 * 3 + 1),
    BadgeLevel("issuer", "/systems/{s}/issuers/{i}", ISSUER_PATH, 2, 2 * 3),
    BadgeLevel("program", "/systems/{s}/issuers/{i}/programs/{p}", PROGRAM_PATH, 3, 3),
)
PUBLIC_BADGES = sum(len(level.fixture()) for level in BADGE_LEVELS) + 1
# Most calls of a page of `/public/badges` naming one system: its GSI1 Query and GetItem, and
# its containers Query.
PUBLIC_PAGE_BOUND = 1 + 1 + 3
BADGE_FIXTURE = (
    f"the containers fixture; 3 badges under each of `{SYSTEM}`, `{ISSUER}` and "
    f"`{ISSUER}/{PROGRAM}` with remote images, and one system-level badge with a stored image "
    "(so lists of 10, 6 and 3 badges); every badge has 2 criteria, 1 alignment, 2 categories "
    "and 2 tags"
)


def list_bound(depth: int, lists: int, listed: int) -> int:
    """Most calls a badge list may make: resolve the prefix, one Query per list (two for
    `archived=any`), BatchGetItem chunks of 100 and one read of the page's containers (those
    the directory misses: a BatchGetItem at its guesses, or the system's containers Query)."""
    return depth + lists + math.ceil(listed / 100) + 1


def seed_badge_fixture(master: Api) -> str:
    """The badges of BADGE_FIXTURE, through the API; returns the stored image's slug."""
    for level in BADGE_LEVELS:
        for slug in level.fixture():
            expect(master.post(f"{level.path}/badges", badge_body(slug)), 201)
    body = badge_body(STORED_IMAGE_BADGE, image=PNG_DATA_URI)
    reply = expect(master.post(f"{SYSTEM_PATH}/badges", body), 201)
    return str(reply.json["badge"]["imageUrl"]).rsplit("/", 1)[1]


def badge_level_scenarios(level: BadgeLevel, master: Api) -> list[Scenario]:
    """List, create (remote and stored image), update (scalar, rename, archive) and delete under
    one prefix; writes leave the fixture as it was."""
    shown, collection = f"{level.shown}/badges", f"{level.path}/badges"
    item_shown = f"{shown}/{{b}}"
    existing, rename_base, archived = level.fixture()

    def created(index: int) -> str:
        return f"{level.name}-{new(index)}"

    def delete_created(index: int) -> None:
        expect(master.delete(f"{collection}/{created(index)}"), 200)

    def renamed(index: int) -> str:
        return rename_base if index % 2 == 0 else rename_base.replace("-a", "-b")

    def unarchive(_: int) -> None:
        expect(master.put(f"{collection}/{archived}", {"archived": False}), 200)

    def create_doomed(index: int) -> None:
        expect(master.post(collection, badge_body(f"{level.name}-{doomed(index)}")), 201)

    def post(note: str, image: str | None) -> Scenario:
        return Scenario(
            "POST",
            shown,
            fixed(collection),
            master,
            "master",
            body=lambda i: badge_body(created(i), image=image),
            status=201,
            teardown=delete_created,
            note=note,
        )

    def put(target: Target, body: Callable[[int], dict[str, Any]], note: str) -> Scenario:
        return Scenario("PUT", item_shown, target, master, "master", body=body, note=note)

    return [
        Scenario(
            "GET",
            shown,
            fixed(collection),
            master,
            "master",
            listed=level.listed,
            max_calls=list_bound(level.depth, 1, level.listed),
        ),
        post("remote imageUrl", None),
        post("stored image: 70-byte PNG data: URI", PNG_DATA_URI),
        put(fixed(f"{collection}/{existing}"), lambda i: {"name": f"Updated {i}"}, "scalar"),
        put(
            lambda i: f"{collection}/{renamed(i)}",
            lambda i: {"slug": renamed(i + 1)},
            "slug rename",
        ),
        replace(
            put(fixed(f"{collection}/{archived}"), lambda _: {"archived": True}, "archive"),
            teardown=unarchive,
        ),
        Scenario(
            "DELETE",
            item_shown,
            lambda i: f"{collection}/{level.name}-{doomed(i)}",
            master,
            "master",
            setup=create_doomed,
        ),
    ]


def get_badge_scenarios(master: Api) -> dict[str, list[Scenario]]:
    """GET one badge, per prefix: through its own container, and a program's badge through the
    system (its nested issuer and program then come from the system's containers Query)."""

    def get(level: BadgeLevel, badge: str, note: str) -> Scenario:
        shown, target = f"{level.shown}/badges/{{b}}", f"{level.path}/badges/{badge}"
        return Scenario("GET", shown, fixed(target), master, "master", note=note)

    system, issuer, program = BADGE_LEVELS
    return {
        "system": [
            get(system, "system-badge", "system-level badge"),
            get(system, "program-badge", "program-level badge"),
        ],
        "issuer": [get(issuer, "issuer-badge", "issuer-level badge")],
        "program": [get(program, "program-badge", "program-level badge")],
    }


def badge_endpoint_scenarios(master: Api) -> list[Scenario]:
    """Every badge route under each prefix, GET one after the creates."""
    gets = get_badge_scenarios(master)
    scenarios: list[Scenario] = []
    for level in BADGE_LEVELS:
        listing, post, post_stored, *writes = badge_level_scenarios(level, master)
        scenarios += [listing, post, post_stored, *gets[level.name], *writes]
    return scenarios


def is_png(reply: Reply) -> str | None:
    if reply.headers.get("Content-Type") != "image/png" or reply.body != PNG:
        return f"not the stored PNG: {reply.headers.get('Content-Type')}, {reply.body!r:.80}"
    return None


def public_scenarios(client: Api, image_slug: str) -> list[Scenario]:
    """The public list, badge classes, issuer organisations and a stored image, unsigned."""

    def get(shown: str, target: str, **kw: Any) -> Scenario:
        return Scenario("GET", shown, fixed(target), client, "none", **kw)

    first_page = f"/public/badges?page=1&count={PAGE_SIZE}"
    system, _, program = BADGE_LEVELS
    return [
        get(first_page, first_page, listed=PUBLIC_BADGES, max_calls=PUBLIC_PAGE_BOUND),
        *(
            get(
                f"/public{level.shown}/badges/{{b}}",
                f"/public{level.path}/badges/{level.name}-badge",
                note=f"{level.name}-level badge",
            )
            for level in BADGE_LEVELS
        ),
        get(
            f"/public{system.shown}/badges/{{b}}",
            f"/public{system.path}/badges/{program.name}-badge",
            note="program-level badge",
        ),
        *(get(f"/public{level.shown}", f"/public{level.path}") for level in BADGE_LEVELS),
        get(
            "/public/images/{slug}",
            f"/public/images/{image_slug}",
            verify=is_png,
            note="70-byte PNG",
        ),
    ]


def measure_badge_endpoints(iterations: int) -> tuple[list[Result], list[Result]]:
    """The badges function's routes, then the public function's, on one fixture."""
    with fresh_table() as meter, phase("badges and public endpoints"):
        master = master_client()
        seed_endpoint_fixture(master)
        image_slug = seed_badge_fixture(master)
        badge_results = measure_all(badge_endpoint_scenarios(master), meter, iterations)
        public_results = measure_all(public_scenarios(master, image_slug), meter, iterations)
        return badge_results, public_results


# --- the claim codes, issuing, milestones, assessment and webhooks endpoints ----------------------

# The badge-level routes are measured under the system prefix, on the fixture's system-level
# badge: a deeper prefix adds what it adds to the badges routes (one GetItem per level).
BADGE_SHOWN = "/systems/{s}/badges/{b}"
SYSTEM_BADGE = f"{SYSTEM_PATH}/badges/system-badge"
HOLDER = "holder@example.org"  # holds the system-, issuer- and program-level badge
LEARNER = "learner-1@example.org"  # applied for the system-, issuer- and program-level badge
LOOKUP_CODE = "program-code"  # a code of the program-level badge, found from every prefix
# Claim codes per level's `{level}-badge` (code, multi-use).
FIXTURE_CODES = {
    "system": (("code-1", False), ("code-2", False), ("multi", True)),
    "issuer": (("code-1", False), ("issuer-code", False)),
    "program": ((LOOKUP_CODE, False),),
}
BULK_EMAILS = 5
WEBHOOK_SECRET = "bench-webhook-secret"
ISSUING_FIXTURE = (
    "the badges fixture, plus: claim codes (3 on the system-level badge, one of them multi-use; "
    "2 on the issuer-level badge; 1 on the program-level badge, so 6, 3 and 1 per prefix); "
    f"instances (4 of the system-level badge; `{HOLDER}` holds the system-, issuer- and "
    "program-level badge; one revoked instance); applications (3 for the system-level badge, "
    "one processed, each with 2 evidence items, the first with 2 reviews of 2 items; "
    f"`{LEARNER}` also applied for the issuer- and program-level badge); 2 milestones of 2 "
    "support badges each; 1 webhook"
)


def escaped(email: str) -> str:
    """An email as a path segment (percent-encoded, as clients send it)."""
    return quote(email, safe="")


def email_of(prefix: str, index: int) -> str:
    return f"{prefix}-{index}@example.org"


class Made:
    """What creates chose (a random code, a milestone id, an application slug), for the
    clean-up of a create or the request of a delete: `record` is a `Scenario.verify` or is
    called by a set-up."""

    def __init__(self, *path: str) -> None:
        self.path = path
        self.value = ""

    def record(self, reply: Reply) -> str | None:
        value = reply.body
        for key in self.path:
            value = value[key]
        self.value = str(value)
        return None


def call(master: Api, method: str, shown: str, target: str | Target, **kw: Any) -> Scenario:
    """A request with the master key (`auth` and the other Scenario fields as keywords)."""
    kw.setdefault("auth", "master")
    request = fixed(target) if isinstance(target, str) else target
    return Scenario(method, shown, request, master, **kw)


def delete_made(master: Api, collection: str, made: Made) -> Hook:
    def hook(_: int) -> None:
        expect(master.delete(f"{collection}/{made.value}"), 200)

    return hook


def create_into(master: Api, collection: str, body: Callable[[int], Any], made: Made) -> Hook:
    """Set-up of a delete whose item gets a server-chosen id or slug."""

    def hook(index: int) -> None:
        made.record(expect(master.post(collection, body(index)), 201))

    return hook


def application_body(learner: str) -> dict[str, Any]:
    return {
        "learner": learner,
        "evidence": [
            {"url": "http://example.org/my-work", "mediaType": "link", "reflection": "I did it"},
            {"url": "http://example.org/proof.png", "mediaType": "image"},
        ],
    }


def review_body(author: str, criteria: Sequence[int]) -> dict[str, Any]:
    """A review with one item per criterion of the badge, all satisfied."""
    return {
        "author": author,
        "comment": "Good work",
        "reviewItems": [
            {"criterionId": criterion, "satisfied": True, "comment": "Done"}
            for criterion in criteria
        ],
    }


@dataclass(frozen=True)
class IssuingFixture:
    badge_ids: dict[str, int]  # the fixture's badges by slug
    criteria: tuple[int, ...]  # criterion ids of the system-level badge
    assertion: str  # slug of HOLDER's system-level instance
    revoked: str  # slug of a revoked instance (its assertion is a tombstone)
    application: str  # of the system-level badge, with 2 evidence items and 2 reviews
    pending: str  # another pending application of the system-level badge
    evidence: str  # slug of the first evidence item of `application`
    review: str  # slug of the first review of `application`
    milestone: int
    webhook: int


def seed_issuing_fixture(master: Api) -> IssuingFixture:
    """ISSUING_FIXTURE, through the API."""
    seed_endpoint_fixture(master)
    seed_badge_fixture(master)
    badge_ids: dict[str, int] = {}
    criteria: tuple[int, ...] = ()
    held: dict[str, Reply] = {}
    applied: dict[str, Reply] = {}
    for level in BADGE_LEVELS:
        for slug in level.fixture():
            badge = expect(master.get(f"{level.path}/badges/{slug}"), 200).json["badge"]
            badge_ids[slug] = int(badge["id"])
            if slug == "system-badge":
                criteria = tuple(int(c["id"]) for c in badge["criteria"])
        badge_path = f"{level.path}/badges/{level.name}-badge"
        for code, multiuse in FIXTURE_CODES[level.name]:
            expect(master.post(f"{badge_path}/codes", {"code": code, "multiuse": multiuse}), 201)
        held[level.name] = expect(master.post(f"{badge_path}/instances", {"email": HOLDER}), 201)
        body = application_body(LEARNER)
        applied[level.name] = expect(master.post(f"{badge_path}/applications", body), 201)
    for n in range(1, 4):
        expect(master.post(f"{SYSTEM_BADGE}/instances", {"email": email_of("earner", n)}), 201)
    gone = "revoked@example.org"
    revoked = expect(master.post(f"{SYSTEM_BADGE}/instances", {"email": gone}), 201)
    expect(master.delete(f"{SYSTEM_BADGE}/instances/{escaped(gone)}"), 200)
    applications = f"{SYSTEM_BADGE}/applications"
    application = applied["system"].json["application"]
    pending = expect(master.post(applications, application_body("learner-2@example.org")), 201)
    processed = expect(master.post(applications, application_body("learner-3@example.org")), 201)
    slug = processed.json["application"]["slug"]
    expect(master.put(f"{applications}/{slug}", {"processed": PROCESSED}), 200)
    reviews = f"{applications}/{application['slug']}/reviews"
    review = expect(master.post(reviews, review_body("reviewer-1@example.org", criteria)), 201)
    expect(master.post(reviews, review_body("reviewer-2@example.org", criteria)), 201)
    milestones = []
    for primary, supports in (
        ("issuer-badge", ("system-badge", "program-badge")),
        ("program-badge", ("system-badge", "issuer-badge")),
    ):
        body = {
            "primaryBadgeId": badge_ids[primary],
            "numberRequired": 1,
            "supportBadges": [badge_ids[slug] for slug in supports],
        }
        milestones.append(expect(master.post(f"{SYSTEM_PATH}/milestones", body), 201))
    webhook_body = {"url": "https://hooks.example.org/bench", "secret": WEBHOOK_SECRET}
    webhook = expect(master.post(f"{SYSTEM_PATH}/webhooks", webhook_body), 201)
    return IssuingFixture(
        badge_ids=badge_ids,
        criteria=criteria,
        assertion=str(held["system"].json["instance"]["slug"]),
        revoked=str(revoked.json["instance"]["slug"]),
        application=str(application["slug"]),
        pending=str(pending.json["application"]["slug"]),
        evidence=str(application["evidence"][0]["slug"]),
        review=str(review.json["review"]["slug"]),
        milestone=int(milestones[0].json["milestone"]["id"]),
        webhook=int(webhook.json["webhook"]["id"]),
    )


def code_scenarios(master: Api) -> list[Scenario]:
    """The claim-code routes on the system-level badge, then the container-level lookup and
    list under every prefix."""
    shown, path = f"{BADGE_SHOWN}/codes", f"{SYSTEM_BADGE}/codes"
    item_shown = f"{shown}/{{code}}"
    random_code = Made("claimCode", "code")

    def create_doomed(index: int) -> None:
        expect(master.post(path, {"code": doomed(index)}), 201)

    listed = {"system": 6, "issuer": 3, "program": 1}
    return [
        call(master, "GET", shown, path, listed=3, max_calls=list_bound(1, 1, 3)),
        call(
            master,
            "POST",
            shown,
            path,
            body=lambda i: {"code": new(i)},
            status=201,
            teardown=delete_new(master, path),
        ),
        call(
            master,
            "POST",
            f"{shown}/random",
            f"{path}/random",
            status=201,
            verify=random_code.record,
            teardown=delete_made(master, path, random_code),
            note="empty body",
        ),
        call(master, "GET", item_shown, f"{path}/code-1"),
        call(
            master,
            "PUT",
            item_shown,
            f"{path}/code-2",
            body=lambda i: {"email": email_of("updated", i)},
            note="email",
        ),
        call(
            master,
            "POST",
            f"{item_shown}/claim",
            f"{path}/multi/claim",
            body=lambda i: {"email": email_of("claimer", i)},
            note="multi-use code",
        ),
        call(
            master,
            "DELETE",
            item_shown,
            lambda i: f"{path}/{doomed(i)}",
            setup=create_doomed,
        ),
        *(
            call(
                master,
                "GET",
                f"{level.shown}/codes/{{code}}",
                f"{level.path}/codes/{LOOKUP_CODE}",
                note="a program-level badge's code",
            )
            for level in BADGE_LEVELS
        ),
        *(
            call(
                master,
                "GET",
                f"{level.shown}/codes",
                f"{level.path}/codes",
                listed=listed[level.name],
                note=f"{level.listed} badges",
            )
            for level in BADGE_LEVELS
        ),
    ]


def instance_scenarios(master: Api, fixture: IssuingFixture) -> list[Scenario]:
    """The instance routes on the system-level badge, an earner's instances under every prefix
    and the hosted assertions (public function)."""
    shown, path = f"{BADGE_SHOWN}/instances", f"{SYSTEM_BADGE}/instances"
    item_shown = f"{shown}/{{email}}"

    def revoke(prefix: str) -> Hook:
        def hook(index: int) -> None:
            expect(master.delete(f"{path}/{escaped(email_of(prefix, index))}"), 200)

        return hook

    def bulk_emails(index: int) -> list[str]:
        return [email_of(f"bulk-{index}", n) for n in range(BULK_EMAILS)]

    def revoke_bulk(index: int) -> None:
        for email in bulk_emails(index):
            expect(master.delete(f"{path}/{escaped(email)}"), 200)

    def award_doomed(index: int) -> None:
        expect(master.post(path, {"email": email_of("doomed", index)}), 201)

    held = {"system": 3, "issuer": 2, "program": 1}
    return [
        call(master, "GET", shown, path, listed=4, max_calls=list_bound(1, 1, 4)),
        call(
            master,
            "POST",
            shown,
            path,
            body=lambda i: {"email": email_of("new", i)},
            status=201,
            teardown=revoke("new"),
        ),
        call(
            master,
            "POST",
            shown,
            path,
            body=lambda i: {"email": email_of("coded", i), "claimCode": "multi"},
            status=201,
            teardown=revoke("coded"),
            note="with a multi-use claim code",
        ),
        call(
            master,
            "POST",
            f"{shown}/bulk",
            f"{path}/bulk",
            body=lambda i: {"emails": bulk_emails(i)},
            status=201,
            listed=BULK_EMAILS,
            teardown=revoke_bulk,
            note=f"{BULK_EMAILS} new emails",
        ),
        call(master, "GET", item_shown, f"{path}/{escaped(HOLDER)}"),
        call(
            master,
            "PUT",
            item_shown,
            f"{path}/{escaped(HOLDER)}",
            body=lambda i: {"expires": 1893456000 + i},
            note="expires",
        ),
        call(
            master,
            "DELETE",
            item_shown,
            lambda i: f"{path}/{escaped(email_of('doomed', i))}",
            setup=award_doomed,
        ),
        *(
            call(
                master,
                "GET",
                f"{level.shown}/instances/{{email}}",
                f"{level.path}/instances/{escaped(HOLDER)}",
                listed=held[level.name],
            )
            for level in BADGE_LEVELS
        ),
        call(
            master,
            "GET",
            "/public/assertions/{slug}",
            f"/public/assertions/{fixture.assertion}",
            auth="none",
        ),
        call(
            master,
            "GET",
            "/public/assertions/{slug}",
            f"/public/assertions/{fixture.revoked}",
            auth="none",
            status=410,
            note="revoked",
        ),
        call(
            master,
            "GET",
            "/public/credentials/{slug}",
            f"/public/credentials/{fixture.assertion}",
            auth="none",
        ),
        call(
            master,
            "GET",
            "/public/credentials/{slug}",
            f"/public/credentials/{fixture.revoked}",
            auth="none",
            status=410,
            note="revoked",
        ),
    ]


def milestone_scenarios(master: Api, fixture: IssuingFixture) -> list[Scenario]:
    shown, path = "/systems/{s}/milestones", f"{SYSTEM_PATH}/milestones"
    item_shown, item = f"{shown}/{{id}}", f"{path}/{fixture.milestone}"
    ids = fixture.badge_ids
    extra = {"badgeId": ids["system-archive"]}
    created, doomed_one = Made("milestone", "id"), Made("milestone", "id")

    def body(_: int) -> dict[str, Any]:
        supports = ("system-badge", "issuer-badge", "program-badge")
        return {
            "primaryBadgeId": ids["system-archive"],
            "numberRequired": 2,
            "supportBadges": [ids[slug] for slug in supports],
        }

    def change(action: str) -> Hook:
        def hook(_: int) -> None:
            expect(master.post(f"{item}/{action}", extra), 200)

        return hook

    return [
        call(master, "GET", shown, path, listed=2, note="each names 3 badges"),
        call(
            master,
            "POST",
            shown,
            path,
            body=body,
            status=201,
            verify=created.record,
            teardown=delete_made(master, path, created),
            note="3 support badges",
        ),
        call(master, "GET", item_shown, item),
        call(
            master,
            "PUT",
            item_shown,
            item,
            body=lambda i: {"numberRequired": 2 + i},
            note="numberRequired",
        ),
        call(
            master,
            "POST",
            f"{item_shown}/add-badge",
            f"{item}/add-badge",
            body=lambda _: extra,
            teardown=change("remove-badge"),
        ),
        call(
            master,
            "POST",
            f"{item_shown}/remove-badge",
            f"{item}/remove-badge",
            body=lambda _: extra,
            setup=change("add-badge"),
        ),
        call(
            master,
            "DELETE",
            item_shown,
            lambda _: f"{path}/{doomed_one.value}",
            setup=create_into(master, path, body, doomed_one),
        ),
    ]


def assessment_scenarios(master: Api, fixture: IssuingFixture) -> list[Scenario]:
    """Container-level application lists (every prefix, the two filters), then the routes of
    the system-level badge's applications, evidence and reviews."""
    shown, path = f"{BADGE_SHOWN}/applications", f"{SYSTEM_BADGE}/applications"
    item_shown, item = f"{shown}/{{a}}", f"{path}/{fixture.application}"
    pending = f"{path}/{fixture.pending}"
    reviews_shown, reviews = f"{item_shown}/reviews", f"{item}/reviews"
    review_shown, review = f"{reviews_shown}/{{r}}", f"{reviews}/{fixture.review}"
    evidence_shown, evidence = f"{item_shown}/evidence", f"{item}/evidence"
    created, doomed_application = Made("application", "slug"), Made("application", "slug")
    created_review, doomed_review = Made("review", "slug"), Made("review", "slug")

    def application(index: int) -> dict[str, Any]:
        return application_body(email_of("applicant", index))

    def review_of(index: int) -> dict[str, Any]:
        return review_body(email_of("reviewer", index), fixture.criteria)

    def create_reviewed(index: int) -> None:
        create_into(master, path, application, doomed_application)(index)
        expect(master.post(f"{path}/{doomed_application.value}/reviews", review_of(index)), 201)

    def unprocess(_: int) -> None:
        expect(master.put(pending, {"processed": None}), 200)

    applications = {"system": 5, "issuer": 2, "program": 1}
    container = f"{SYSTEM_PATH}/applications"
    return [
        *(
            call(
                master,
                "GET",
                f"{level.shown}/applications",
                f"{level.path}/applications",
                listed=applications[level.name],
                note=f"{level.listed} badges",
            )
            for level in BADGE_LEVELS
        ),
        call(
            master,
            "GET",
            "/systems/{s}/applications?processed=false",
            f"{container}?processed=false",
            listed=4,
        ),
        call(
            master,
            "GET",
            "/systems/{s}/applications?email={email}",
            f"{container}?email={escaped(LEARNER)}",
            listed=3,
        ),
        call(master, "GET", shown, path, listed=3, max_calls=list_bound(1, 2, 3)),
        call(
            master,
            "POST",
            shown,
            path,
            body=application,
            status=201,
            verify=created.record,
            teardown=delete_made(master, path, created),
            note="2 evidence items",
        ),
        call(master, "GET", item_shown, item),
        call(
            master,
            "PUT",
            item_shown,
            item,
            body=lambda i: {"assignedTo": email_of("assignee", i)},
            note="assignedTo",
        ),
        call(
            master,
            "PUT",
            item_shown,
            pending,
            body=lambda _: {"processed": PROCESSED},
            teardown=unprocess,
            note="processed: its list entry moves",
        ),
        call(
            master,
            "DELETE",
            item_shown,
            lambda _: f"{path}/{doomed_application.value}",
            setup=create_reviewed,
            note="with 1 review",
        ),
        call(master, "GET", evidence_shown, evidence, listed=2),
        call(master, "GET", f"{evidence_shown}/{{e}}", f"{evidence}/{fixture.evidence}"),
        call(master, "GET", reviews_shown, reviews, listed=2),
        call(
            master,
            "POST",
            reviews_shown,
            reviews,
            body=review_of,
            status=201,
            verify=created_review.record,
            teardown=delete_made(master, reviews, created_review),
            note=f"{len(fixture.criteria)} review items",
        ),
        call(master, "GET", review_shown, review),
        call(
            master,
            "PUT",
            review_shown,
            review,
            body=lambda i: {"comment": f"Updated {i}"},
            note="comment",
        ),
        call(
            master,
            "DELETE",
            review_shown,
            lambda _: f"{reviews}/{doomed_review.value}",
            setup=create_into(master, reviews, review_of, doomed_review),
        ),
    ]


def webhook_scenarios(master: Api, fixture: IssuingFixture) -> list[Scenario]:
    shown, path = "/systems/{s}/webhooks", f"{SYSTEM_PATH}/webhooks"
    created, doomed_one = Made("webhook", "id"), Made("webhook", "id")

    def body(prefix: str) -> Callable[[int], dict[str, Any]]:
        def make(index: int) -> dict[str, Any]:
            return {"url": f"https://hooks.example.org/{prefix}-{index}", "secret": WEBHOOK_SECRET}

        return make

    return [
        call(master, "GET", shown, path, listed=1),
        call(
            master,
            "POST",
            shown,
            path,
            body=body("new"),
            status=201,
            verify=created.record,
            teardown=delete_made(master, path, created),
        ),
        call(
            master,
            "DELETE",
            f"{shown}/{{id}}",
            lambda _: f"{path}/{doomed_one.value}",
            setup=create_into(master, path, body("doomed"), doomed_one),
        ),
        call(
            master,
            "GET",
            f"{shown}/{{id}}/deliveries",
            f"{path}/{fixture.webhook}/deliveries",
            listed=0,
            note="none yet",
        ),
    ]


@dataclass(frozen=True)
class IssuingResults:
    codes: Sequence[Result]
    instances: Sequence[Result]
    milestones: Sequence[Result]
    assessment: Sequence[Result]
    webhooks: Sequence[Result]


def measure_issuing_endpoints(iterations: int) -> IssuingResults:
    """The claim codes, issuing (+ hosted assertions), milestones, assessment and webhooks
    functions' routes, on one fixture."""
    with fresh_table() as meter, phase("claim codes, issuing, milestones, assessment, webhooks"):
        master = master_client()
        fixture = seed_issuing_fixture(master)
        return IssuingResults(
            measure_all(code_scenarios(master), meter, iterations),
            measure_all(instance_scenarios(master, fixture), meter, iterations),
            measure_all(milestone_scenarios(master, fixture), meter, iterations),
            measure_all(assessment_scenarios(master, fixture), meter, iterations),
            measure_all(webhook_scenarios(master, fixture), meter, iterations),
        )
