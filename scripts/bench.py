"""`make bench`: handler time and AWS cost of every endpoint of the containers, badges, public,
claim codes, issuing, milestones, assessment and webhooks functions, and of lists at scale.

Why: the single-table design (docs/data-model.md) promises a fixed number of DynamoDB calls per
request, and list pages whose cost depends on the page rather than on the collection. Those
counts (and the S3 calls of stored images) are what this measures and what matters; the times
are the handler plus moto's in-process emulation, useful only to compare endpoints with each
other on one machine.

This is not a test: nothing asserts a speed. It fails loudly only for what is wrong at any
speed (a Scan on a request path, an unexpected status, a page of the wrong size, a badge list
making more calls than its page can justify), because the numbers of such a run would be
meaningless.

Writes docs/benchmarks.md and prints the same tables; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime as dt
import math
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from botocore import handlers as botocore_handlers

from local.events import ProxyResponse
from local.inprocess import (
    IMAGES_BUCKET,
    ROOT,
    Api,
    Reply,
    create_table,
    gateway,
    use_offline_environment,
)

MASTER_SECRET = "bench-master-secret"
TABLE_NAME = "badgekit-bench"

# Before any handler module is imported: they read configuration at import or first use.
use_offline_environment(TABLE_NAME, MASTER_SECRET)
# Imports the functions once, putting the layer on sys.path. Only the functions benchmarked:
# their routes are all the run needs.
FUNCTIONS = (
    "ContainersFunction",
    "BadgesFunction",
    "PublicFunction",
    "ClaimCodesFunction",
    "IssuingFunction",
    "MilestonesFunction",
    "AssessmentFunction",
    "WebhooksFunction",
)
GATEWAY = gateway(TABLE_NAME, functions=FUNCTIONS)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.dynamodb import models as moto_models  # noqa: E402

from badgekit import (  # noqa: E402
    assessment,
    badges,
    codes,
    containers,
    db,
    images,
    instances,
    milestones,
)
from badgekit.places import Place  # noqa: E402
from badgekit.request import Body  # noqa: E402

OUTPUT = ROOT / "docs" / "benchmarks.md"
ITERATIONS = 30
# Badge writes are transactions of up to 17 actions, and moto copies the table per action; most
# runs also write in their set-up or clean-up. Fewer runs keep `make bench` within minutes.
BADGE_ITERATIONS = 15
# The claim codes, issuing, milestones, assessment and webhooks routes: many scenarios, most
# writing in their set-up or clean-up too.
ISSUING_ITERATIONS = 5
SCALE_ITERATIONS = 2
WHOLE_ITERATIONS = 1  # unpaginated lists of 1,000: seconds per request under moto
WARMUP = 1  # untimed first run of a scenario (first-use set-up in boto3, moto, the fan-out pool)
SCALE = 1_000
PAGE_SIZE = 20
PAGES = (1, 10, SCALE // PAGE_SIZE)
FAN_OUT_THREADS = 8  # badgekit.db's pool size, for warming it up
FAN_OUT_THREAD_PREFIX = "dynamodb"  # badgekit.db's pool thread names

BADGE_SCALE = 200
BADGE_ISSUERS, PROGRAMS_PER_ISSUER = 5, 2
ARCHIVED_EVERY = 10  # every 10th badge of the scale fixture is archived
BADGE_PAGES = (1, 9, 10)  # 9: the last full page of the active badges, 10: past their end

Target = Callable[[int], str]
Hook = Callable[[int], None]


class ScanOnRequestPath(RuntimeError):
    """A request scanned the table: its cost grows with the whole table, never acceptable."""


class UnexpectedReply(RuntimeError):
    """A request did not do what it should, so its numbers would be meaningless."""


class TooManyCalls(RuntimeError):
    """A request made more calls than its page justifies: a round trip per listed item."""


# --- counting DynamoDB and S3 calls -----------------------------------------------------------


@dataclass(frozen=True)
class CallGroup:
    """Consecutive calls of one operation within a request, and the items they read."""

    operation: str
    calls: int
    items: int


@dataclass(frozen=True)
class Usage:
    """DynamoDB and S3 cost of one request, in call order (S3 operations prefixed `S3 `)."""

    groups: tuple[CallGroup, ...]
    list_rows: int  # items read that are list headers or entries (small items, SK `LIST#…`)
    # Sequential round trips (the critical path): a call of the request's thread counts one, a
    # run of n consecutive calls of the fan-out pool ceil(n / pool size) (they run concurrently).
    round_trips: int = 0

    @property
    def items_read(self) -> int:
        return sum(group.items for group in self.groups)

    def count(self, operation: str) -> int:
        return sum(group.calls for group in self.groups if group.operation == operation)

    @property
    def calls(self) -> int:
        return sum(group.calls for group in self.groups)

    @property
    def calls_text(self) -> str:
        return " + ".join(f"{group.calls} {group.operation}" for group in self.groups) or "none"

    @property
    def items_breakdown(self) -> str:
        """Items read per group of reads, e.g. `1 + 201 + 20 + 200` (writes omitted)."""
        reads = [group for group in self.groups if group.operation in READS]
        return " + ".join(str(group.items) for group in reads) or "0"


READS = ("GetItem", "Query", "Scan", "BatchGetItem")


def items_returned(operation: str, parsed: dict[str, Any]) -> list[dict[str, Any]]:
    """Items a read operation returned (what writes return is not a read)."""
    if operation == "GetItem":
        return [parsed["Item"]] if parsed.get("Item") else []
    if operation in ("Query", "Scan"):
        return list(parsed.get("Items") or [])
    if operation == "BatchGetItem":
        return [item for items in (parsed.get("Responses") or {}).values() for item in items]
    return []


def is_list_row(item: dict[str, Any]) -> bool:
    sort_key = item.get("SK")
    if isinstance(sort_key, dict):  # wire format, should boto3 not have deserialised it yet
        sort_key = sort_key.get("S")
    return isinstance(sort_key, str) and sort_key.startswith("LIST#")


class CallMeter:
    """Counts the functions' DynamoDB and S3 calls and the items read, via botocore hooks.

    Hooks see every call whichever helper makes it, without touching the domain code. The
    DynamoDB hooks are attached to boto3's default session, so every client made from it carries
    them: the data layer keeps one table handle per thread, and list pages fan out to a pool of
    threads whose handles outlive a `mock_aws` context (so one meter serves the whole run). The
    images module makes its S3 clients from a session of its own, so the S3 hooks go into
    botocore's built-in handlers, which every new session registers (moto's own interception
    works the same way). botocore hands both hooks of a call the same `context` dict, which ties
    a response to its call even when calls overlap; the lock, because they do.

    Concurrent calls of different operations (e.g. a code's GetItem and its badge's GSI1 Query)
    start in any order, so each run of consecutive calls from the fan-out pool is reported
    sorted by operation: the same request then always shows the same call groups.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # [operation, items read, made on a fan-out pool thread], in call order
        self._calls: list[list[Any]] = []
        self._list_rows = 0
        self._generation = 0  # bumped by reset: late answers of earlier calls are ignored

    def attach(self, events: Any) -> None:
        events.register("before-call.dynamodb", self._before_call)
        events.register("after-call.dynamodb", self._after_call)

    def attach_s3_to_new_sessions(self) -> None:
        """Once, before the first S3 client is made (`verify_meter` checks it was)."""
        botocore_handlers.BUILTIN_HANDLERS.extend(
            [("before-call.s3", self._before_s3_call), ("after-call.s3", self._after_call)]
        )

    def reset(self) -> None:
        with self._lock:
            self._calls, self._list_rows = [], 0
            self._generation += 1

    def usage(self) -> Usage:
        with self._lock:
            groups: list[CallGroup] = []
            for operation, items in self._canonical_order():
                if groups and groups[-1].operation == operation:
                    last = groups.pop()
                    groups.append(CallGroup(operation, last.calls + 1, last.items + items))
                else:
                    groups.append(CallGroup(operation, 1, items))
            return Usage(tuple(groups), self._list_rows, self._round_trips())

    def _round_trips(self) -> int:
        trips, run = 0, 0
        for _, _, pooled in self._calls:
            if pooled:
                run += 1
                continue
            trips += math.ceil(run / FAN_OUT_THREADS) + 1
            run = 0
        return trips + math.ceil(run / FAN_OUT_THREADS)

    def pooled_calls(self) -> int:
        with self._lock:
            return sum(1 for _, _, pooled in self._calls if pooled)

    def _canonical_order(self) -> list[tuple[str, int]]:
        """Calls in order, each run of consecutive pool-thread calls sorted by operation."""
        ordered: list[tuple[str, int]] = []
        run: list[tuple[str, int]] = []
        for operation, items, pooled in self._calls:
            if pooled:
                run.append((operation, items))
                continue
            ordered += sorted(run, key=lambda call: call[0])
            run = []
            ordered.append((operation, items))
        return ordered + sorted(run, key=lambda call: call[0])

    def _before_call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        self._record(model.name, context)

    def _before_s3_call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        self._record(f"S3 {model.name}", context)

    def _record(self, operation: str, context: dict[str, Any]) -> None:
        with self._lock:
            context["bench_call"] = (self._generation, len(self._calls))
            pooled = threading.current_thread().name.startswith(FAN_OUT_THREAD_PREFIX)
            self._calls.append([operation, 0, pooled])

    def _after_call(
        self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        items = items_returned(model.name, parsed)
        with self._lock:
            generation, index = context.get("bench_call", (-1, 0))
            if generation != self._generation:
                return
            self._calls[index][1] = len(items)
            self._list_rows += sum(1 for item in items if is_list_row(item))


METER = CallMeter()
METER.attach_s3_to_new_sessions()


@contextmanager
def fresh_table() -> Iterator[CallMeter]:
    """A new mocked account with the template's table and images bucket, metered from its
    first call."""
    with mock_aws():
        # moto hides boto3's default session while mocking: make the one every client of this
        # context (all threads) will be created from, with the meter on it.
        session = boto3.Session()
        boto3.DEFAULT_SESSION = session
        METER.attach(session.events)
        # No stream: nothing consumes it here, and moto's stream records would make every
        # transaction slower than the one before (see `create_table`).
        create_table(boto3.client("dynamodb"), TABLE_NAME, stream=False)
        boto3.client("s3").create_bucket(Bucket=IMAGES_BUCKET)
        db.reset_clients()
        images.reset_clients()
        try:
            verify_meter()  # also creates this thread's handles, outside any timing
            yield METER
        finally:
            db.reset_clients()
            images.reset_clients()


def verify_meter() -> None:
    """Fail if the meter misses calls (a client made without the hooks): counts that silently
    miss calls would mislead. Also warms the fan-out pool: its threads start and make their
    clients here, outside any timing; and the images module's S3 client of this thread."""
    key = {"PK": "BENCH#meter", "SK": "check"}
    calls = 1 + 2 * FAN_OUT_THREADS
    METER.reset()
    db.get(key)
    db.fan_out(db.get, [key] * (calls - 1))
    images.s3().head_bucket(Bucket=images.bucket())
    usage = METER.usage()
    seen = usage.count("GetItem")
    if seen != calls:
        raise RuntimeError(f"the DynamoDB meter saw {seen} of {calls} GetItem calls")
    if METER.pooled_calls() != calls - 1:
        raise RuntimeError(f"fan-out threads are no longer named {FAN_OUT_THREAD_PREFIX}…")
    if usage.count("S3 HeadBucket") != 1:
        raise RuntimeError(f"the S3 meter missed a HeadBucket call: {usage.calls_text}")


@contextmanager
def bulk_writes() -> Iterator[None]:
    """Seeding only: apply the writes of each domain transaction in bulk, not atomically.

    moto deep-copies the whole table on every TransactWriteItems (to roll back on failure), so
    seeding 1,000 items through transactions is quadratic: minutes instead of seconds. A
    single-threaded seed of fresh slugs needs neither atomicity nor the conditions, so puts go
    through one batch writer (25 per call) and updates (ids, list totals) one by one; what is
    written is still what the domain functions build.
    """
    original = db.transact
    client, name = db.client(), db.table().name
    with db.table().batch_writer() as batch:

        def apply(actions: Sequence[dict[str, Any]]) -> None:
            for action in actions:
                for kind, body in action.items():
                    if kind == "Put":
                        batch.put_item(Item=body["Item"])
                    elif kind == "Update":
                        client.update_item(TableName=name, **body)
                    elif kind == "Delete":
                        batch.delete_item(Key=body["Key"])
                    # a ConditionCheck writes nothing

        db.transact = apply
        try:
            yield
        finally:
            db.transact = original


# --- measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One request shape, run once per iteration; `setup` and `teardown` are not timed."""

    method: str
    shown: str  # the path as shown in the tables
    target: Target
    client: Api
    auth: str  # "none" sends the request unsigned
    body: Callable[[int], dict[str, Any]] | None = None
    status: int = 200
    setup: Hook | None = None
    teardown: Hook | None = None
    listed: int | None = None  # expected length of the returned list
    iterations: int | None = None  # overrides the run's default (slow, large requests)
    warmup: int = WARMUP
    note: str = ""
    max_calls: int | None = None  # more calls than this is a round trip per listed item
    verify: Callable[[Reply], str | None] | None = None  # what is wrong with a reply, if anything


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    timings_ms: tuple[float, ...]
    usages: tuple[Usage, ...]  # distinct profiles seen: one when the cost is deterministic
    total: int | None  # pageData.total of a paginated list

    @property
    def median_ms(self) -> float:
        return statistics.median(self.timings_ms)

    @property
    def p95_ms(self) -> float:
        """Nearest-rank 95th percentile: a measured sample, not an interpolation."""
        ordered = sorted(self.timings_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    def text(self, part: Callable[[Usage], object]) -> str:
        """One usage figure; iterations that differed are all shown, separated by `/`."""
        return " / ".join(str(part(usage)) for usage in self.usages)


def listed_length(body: Any) -> int | None:
    """Length of the first list in a reply, looking one object deep (`{"system": {…}}`)."""
    if not isinstance(body, dict):
        return None
    for value in body.values():
        if isinstance(value, list):
            return len(value)
    for value in body.values():
        if isinstance(value, dict):
            return listed_length(value)
    return None


def reply_of(response: ProxyResponse) -> Reply:
    """The reply with its JSON body decoded; other bodies (images) are kept as bytes."""
    headers = dict(response.headers)
    if response.body and not headers.get("Content-Type", "").startswith("application/json"):
        return Reply(response.status, headers, response.body)
    return Reply.of(response)


def run_once(scenario: Scenario, index: int, meter: CallMeter) -> tuple[float, Usage, Reply]:
    """Time one dispatch; signing and building the request happen before the clock starts."""
    body = scenario.body(index) if scenario.body else None
    request = scenario.client.prepare(
        scenario.method, scenario.target(index), json_body=body, sign=scenario.auth != "none"
    )
    meter.reset()
    started = time.perf_counter()
    response = GATEWAY.dispatch(request)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return elapsed_ms, meter.usage(), reply_of(response)


def check(scenario: Scenario, index: int, usage: Usage, reply: Reply) -> None:
    where = f"{scenario.method} {scenario.target(index)}"
    if usage.count("Scan"):
        raise ScanOnRequestPath(f"{where}: {usage.calls_text}")
    if reply.status != scenario.status:
        raise UnexpectedReply(f"{where}: {reply.status}, expected {scenario.status}: {reply.body}")
    listed = listed_length(reply.body)
    if scenario.listed is not None and listed != scenario.listed:
        raise UnexpectedReply(f"{where}: listed {listed}, expected {scenario.listed}")
    problem = scenario.verify(reply) if scenario.verify else None
    if problem:
        raise UnexpectedReply(f"{where}: {problem}")
    if scenario.max_calls is not None and usage.calls > scenario.max_calls:
        raise TooManyCalls(f"{where}: {usage.calls_text}, at most {scenario.max_calls} expected")


def measure(scenario: Scenario, meter: CallMeter, iterations: int) -> Result:
    """Warm-up runs, then timed runs; every run is checked, only timed ones are kept."""
    timings: list[float] = []
    usages: list[Usage] = []
    total: int | None = None
    for index in range(scenario.warmup + (scenario.iterations or iterations)):
        if scenario.setup:
            scenario.setup(index)
        elapsed_ms, usage, reply = run_once(scenario, index, meter)
        check(scenario, index, usage, reply)
        if scenario.teardown:
            scenario.teardown(index)
        if index < scenario.warmup:
            continue
        timings.append(elapsed_ms)
        if usage not in usages:
            usages.append(usage)
        if isinstance(reply.body, dict) and "pageData" in reply.body:
            total = int(reply.body["pageData"]["total"])
    return Result(scenario, tuple(timings), tuple(usages), total)


def measure_all(scenarios: Sequence[Scenario], meter: CallMeter, iterations: int) -> list[Result]:
    results = []
    for scenario in scenarios:
        result = measure(scenario, meter, iterations)
        label = f"{scenario.method} {scenario.target(0)} ({scenario.auth})"
        print(
            f"  {label}: {result.median_ms:.1f} ms, {result.text(lambda u: u.calls_text)}",
            file=sys.stderr,
        )
        results.append(result)
    return results


# --- the per-endpoint scenarios ---------------------------------------------------------------

SYSTEM, ISSUER, PROGRAM, CONSUMER_KEY = "bench", "issuer-1", "program-1", "bench-frontend"
SYSTEM_PATH = f"/systems/{SYSTEM}"
ISSUER_PATH = f"{SYSTEM_PATH}/issuers/{ISSUER}"
ENDPOINT_FIXTURE = (
    f"4 systems; `{SYSTEM}` has 3 issuers with 2 programs each and 1 consumer key, the other "
    "3 systems are empty"
)


def expect(reply: Reply, status: int) -> Reply:
    if reply.status != status:
        raise UnexpectedReply(f"fixture request: {reply.status}, expected {status}: {reply.body}")
    return reply


def named(slug: str) -> dict[str, Any]:
    return {"slug": slug, "name": slug.replace("-", " ").title(), "url": "http://example.org/"}


def new(index: int) -> str:
    """Creates need a unique slug per iteration (their teardown deletes it again)."""
    return f"new-{index}"


def doomed(index: int) -> str:
    """Deletes need a fresh item per iteration (their setup creates it)."""
    return f"doomed-{index}"


def fixed(target: str) -> Target:
    return lambda _: target


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
        master = Api(secret=MASTER_SECRET, gw=GATEWAY)
        consumer = seed_endpoint_fixture(master)
        return measure_all(endpoint_scenarios(master, consumer), meter, iterations)


# --- the badges and public endpoints ----------------------------------------------------------

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
BADGE_FIXTURE = (
    f"the containers fixture; 3 badges under each of `{SYSTEM}`, `{ISSUER}` and "
    f"`{ISSUER}/{PROGRAM}` with remote images, and one system-level badge with a stored image "
    "(so lists of 10, 6 and 3 badges); every badge has 2 criteria, 1 alignment, 2 categories "
    "and 2 tags"
)


def list_bound(depth: int, lists: int, listed: int) -> int:
    """Most calls a badge list may make: resolve the prefix, one Query per list (two for
    `archived=any`), BatchGetItem chunks of 100 and one Query of the system's containers."""
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
    # One system on the page: its GSI1 Query and GetItem, and its containers Query.
    public_bound = 1 + 1 + 3
    system, _, program = BADGE_LEVELS
    return [
        get(first_page, first_page, listed=PUBLIC_BADGES, max_calls=public_bound),
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
        master = Api(secret=MASTER_SECRET, gw=GATEWAY)
        seed_endpoint_fixture(master)
        image_slug = seed_badge_fixture(master)
        badge_results = measure_all(badge_endpoint_scenarios(master), meter, iterations)
        public_results = measure_all(public_scenarios(master, image_slug), meter, iterations)
        return badge_results, public_results


# --- the claim codes, issuing, milestones, assessment and webhooks endpoints ------------------

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
    expect(master.put(f"{applications}/{slug}", {"processed": 1402560000}), 200)
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

    def delete_new(index: int) -> None:
        expect(master.delete(f"{path}/{new(index)}"), 200)

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
            teardown=delete_new,
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
            body=lambda _: {"processed": 1402560000},
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
        master = Api(secret=MASTER_SECRET, gw=GATEWAY)
        fixture = seed_issuing_fixture(master)
        return IssuingResults(
            measure_all(code_scenarios(master), meter, iterations),
            measure_all(instance_scenarios(master, fixture), meter, iterations),
            measure_all(milestone_scenarios(master, fixture), meter, iterations),
            measure_all(assessment_scenarios(master, fixture), meter, iterations),
            measure_all(webhook_scenarios(master, fixture), meter, iterations),
        )


# --- lists at scale ---------------------------------------------------------------------------


def body_of(slug: str) -> Body:
    return Body(named(slug))


def seed_issuers(programs_every: int) -> None:
    """System `scale` with SCALE issuers, every `programs_every`-th with one program.

    Seeded through the domain functions, the items the API would write, without the JWT and
    event overhead per item (see `bulk_writes` for moto's transactions).
    """
    with bulk_writes():
        system = containers.create(containers.system_level(), body_of("scale"))
        issuers = containers.issuer_level(system)
        for n in range(1, SCALE + 1):
            issuer = containers.create(issuers, body_of(f"issuer-{n}"))
            if n % programs_every == 0:
                containers.create(containers.program_level(system, issuer), body_of("program"))


def seed_systems() -> None:
    with bulk_writes():
        for n in range(1, SCALE + 1):
            containers.create(containers.system_level(), body_of(f"system-{n}"))


def page_of(shown: str, path: str, page: int) -> tuple[str, str]:
    query = f"?page={page}&count={PAGE_SIZE}"
    return shown + query, path + query


def scale_get(
    master: Api, shown: str, path: str, listed: int | None, *, iterations: int | None = None
) -> Scenario:
    """A read at scale, without warm-up runs (each costs seconds): by then the function, the
    clients of the fan-out pool (see `verify_meter`) and moto are all warm."""
    return Scenario(
        "GET",
        shown,
        fixed(path),
        master,
        "master",
        listed=listed,
        iterations=iterations,
        warmup=0,
    )


def issuer_scale_scenarios(master: Api) -> list[Scenario]:
    """Pages 1, 10 and the last one, the whole list, the system that embeds every issuer, and
    deleting that system."""
    shown, path = "/systems/{s}/issuers", "/systems/scale/issuers"
    return [
        *(scale_get(master, *page_of(shown, path, page), PAGE_SIZE) for page in PAGES),
        scale_get(master, shown, path, SCALE, iterations=WHOLE_ITERATIONS),
        scale_get(master, "/systems/{s}", "/systems/scale", SCALE, iterations=WHOLE_ITERATIONS),
        # Last: it removes the fixture. The subtree is purged within the request.
        Scenario(
            "DELETE",
            "/systems/{s}",
            fixed("/systems/scale"),
            master,
            "master",
            listed=SCALE,
            iterations=1,
            warmup=0,
        ),
    ]


def system_scale_scenarios(master: Api) -> list[Scenario]:
    """Pages 1 and 10, and once the whole list (one Query per system: slow under moto)."""
    shown = path = "/systems"
    return [
        *(scale_get(master, *page_of(shown, path, page), PAGE_SIZE) for page in PAGES[:2]),
        scale_get(master, shown, path, SCALE, iterations=1),
    ]


def measure_scale(scale_iterations: int) -> list[Result]:
    master = Api(secret=MASTER_SECRET, gw=GATEWAY)
    programs_every = 5
    with fresh_table() as meter:
        with phase(f"seeding {SCALE} issuers"):
            seed_issuers(programs_every)
        note = f"{SCALE:,} issuers, {SCALE // programs_every} programs"
        with phase("issuers at scale"):
            scenarios = [with_note(s, note) for s in issuer_scale_scenarios(master)]
            results = measure_all(scenarios, meter, scale_iterations)
    with fresh_table() as meter:
        with phase(f"seeding {SCALE} systems"):
            seed_systems()
        note = f"{SCALE:,} systems, no issuers"
        with phase("systems at scale"):
            scenarios = [with_note(s, note) for s in system_scale_scenarios(master)]
            results += measure_all(scenarios, meter, scale_iterations)
    return results


def scale_badge_body(n: int) -> Body:
    """Badge n of the scale fixture: 3 criteria, 2 alignments, 3 categories, 3 tags."""
    return Body(
        {
            "slug": f"badge-{n}",
            "name": f"Badge {n}",
            "strapline": f"Badge number {n} of the benchmark",
            "earnerDescription": f"What the earner of badge {n} did",
            "consumerDescription": f"What badge {n} tells whoever looks at it",
            "criteriaUrl": f"http://example.org/criteria/{n}",
            "imageUrl": f"http://example.org/badges/{n}.png",
            "unique": True,
            "archived": n % ARCHIVED_EVERY == 0,
            "criteria": [
                {"description": f"Criterion {c}", "required": c == 1, "note": f"Note {c}"}
                for c in range(1, 4)
            ],
            "alignments": [
                {"name": f"Standard {a}", "url": f"http://example.org/standards/{a}"}
                for a in range(1, 3)
            ],
            "categories": ["Science", "Coding", f"Group {n % 7}"],
            "tags": ["benchmark", f"tag-{n % 11}", f"badge-{n}"],
        }
    )


DOOMED_PROGRAM = (2, 1)  # issuer-2/p-1, deleted by the last scenario at scale


def program_badges(program: tuple[int, int]) -> int:
    """Badges of program `p-{m}` of `issuer-{n}` in the scale fixture (see `seed_badges`)."""
    issuer, number = program
    index = (issuer - 1) * PROGRAMS_PER_ISSUER + (number - 1)
    count = BADGE_ISSUERS * PROGRAMS_PER_ISSUER
    return sum(1 for n in range(1, BADGE_SCALE + 1) if n % 3 == 2 and n % count == index)


def badge_scale_levels() -> dict[str, int]:
    """How many badges of the scale fixture each level holds (badge n: level n % 3)."""
    levels = ("system", "issuer", "program")
    return {
        level: sum(1 for n in range(1, BADGE_SCALE + 1) if n % 3 == i)
        for i, level in enumerate(levels)
    }


def seed_badges() -> None:
    """System `scale` with BADGE_ISSUERS issuers of PROGRAMS_PER_ISSUER programs each and
    BADGE_SCALE badges spread over the system, its issuers and programs (every
    ARCHIVED_EVERY-th archived), through the domain functions in bulk (see `bulk_writes`)."""
    with bulk_writes():
        system = containers.create(containers.system_level(), body_of("scale"))
        issuers: list[Place] = []
        programs: list[Place] = []
        for n in range(1, BADGE_ISSUERS + 1):
            issuer = containers.create(containers.issuer_level(system), body_of(f"issuer-{n}"))
            issuers.append(Place(system, issuer))
            for m in range(1, PROGRAMS_PER_ISSUER + 1):
                level = containers.program_level(system, issuer)
                programs.append(Place(system, issuer, containers.create(level, body_of(f"p-{m}"))))
        for n in range(1, BADGE_SCALE + 1):
            places = ([Place(system)], issuers, programs)[n % 3]
            badges.create(places[n % len(places)], scale_badge_body(n))


def badge_scale_scenarios(master: Api) -> list[Scenario]:
    """The system's badge list whole and by page (default and `archived=any`), the public list,
    and deleting the system (its badges one by one)."""
    shown, path = "/systems/{s}/badges", "/systems/scale/badges"
    active = BADGE_SCALE - BADGE_SCALE // ARCHIVED_EVERY

    def on_page(total: int, page: int) -> int:
        return max(0, min(PAGE_SIZE, total - (page - 1) * PAGE_SIZE))

    def listing(shown: str, path: str, listed: int, lists: int, **kw: Any) -> Scenario:
        return replace(
            scale_get(master, shown, path, listed, **kw), max_calls=list_bound(1, lists, listed)
        )

    last = BADGE_PAGES[-1]
    any_query = f"?archived=any&page={last}&count={PAGE_SIZE}"
    public_pages = [f"/public/badges?page={page}&count={PAGE_SIZE}" for page in BADGE_PAGES[:2]]
    return [
        listing(shown, path, active, 1),
        *(listing(*page_of(shown, path, p), on_page(active, p), 1) for p in BADGE_PAGES),
        listing(shown + any_query, path + any_query, on_page(BADGE_SCALE, last), 2),
        *(
            # One system on the page: its GSI1 Query and GetItem, and its containers Query.
            replace(scale_get(master, page, page, PAGE_SIZE), auth="none", max_calls=1 + 1 + 3)
            for page in public_pages
        ),
        # Last: it changes the fixture. A program's badges are deleted one transaction each;
        # the whole system's would take minutes under moto (each transaction copies the table).
        Scenario(
            "DELETE",
            "/systems/{s}/issuers/{i}/programs/{p}",
            fixed(f"/systems/scale/issuers/issuer-{DOOMED_PROGRAM[0]}/programs/p-1"),
            master,
            "master",
            iterations=1,
            warmup=0,
            note=f"the program holds {program_badges(DOOMED_PROGRAM)} badges",
        ),
    ]


def measure_badge_scale(scale_iterations: int) -> list[Result]:
    master = Api(secret=MASTER_SECRET, gw=GATEWAY)
    levels = badge_scale_levels()
    archived = BADGE_SCALE // ARCHIVED_EVERY
    note = (
        f"{BADGE_SCALE} badges ({archived} archived; {levels['system']}/{levels['issuer']}/"
        f"{levels['program']} at system/issuer/program level), {BADGE_ISSUERS} issuers, "
        f"{BADGE_ISSUERS * PROGRAMS_PER_ISSUER} programs"
    )
    with fresh_table() as meter:
        with phase(f"seeding {BADGE_SCALE} badges"):
            seed_badges()
        with phase("badges at scale"):
            scenarios = [
                with_note(s, f"{note}; {s.note}" if s.note else note)
                for s in badge_scale_scenarios(master)
            ]
            return measure_all(scenarios, meter, scale_iterations)


# --- claim codes, instances and applications at scale ------------------------------------------

ISSUING_BADGES = 20  # system-level badges of the `scale` system
CODE_SCALE = 1_000  # claim codes of badge-1
INSTANCE_SCALE = 500  # instances of badge-2
HELD_BADGES = 5  # badges 3 to 7, held by HOLDER
APPLICATIONS_PER_BADGE = 25  # of every badge; every other round of 20 processed
APPLICATIONS_PER_LEARNER = 10  # consecutive applications, so for 10 different badges
SUPPORTS_PER_MILESTONE = 3  # milestone n: badge n, supported by the next 3 badges
APPLICATION_PAGES = (1, 5)
SCALE_LEARNER = "learner-7@example.org"
PROCESSED = 1402560000


def seed_issuing_scale() -> None:
    """System `scale` with ISSUING_BADGES badges and one milestone per badge; CODE_SCALE codes
    of badge-1 (every 10th multi-use), INSTANCE_SCALE instances of badge-2, HOLDER holding
    HELD_BADGES badges, and APPLICATIONS_PER_BADGE applications of every badge with one evidence
    item each. Through the domain functions in bulk (see `bulk_writes`), in three passes: a
    pass reads or updates only what earlier passes wrote (the milestones look their badges up,
    the processed flips update applications), and the milestones' look-ups come while the
    table is small (every moto Query visits the whole table)."""
    base_url = os.environ["PUBLIC_BASE_URL"]
    with bulk_writes():
        system = containers.create(containers.system_level(), body_of("scale"))
        place = Place(system)
        made = [badges.create(place, scale_badge_body(n)) for n in range(1, ISSUING_BADGES + 1)]
    processed: list[dict[str, Any]] = []
    with bulk_writes():
        for n, badge in enumerate(made):
            supports = [made[(n + k) % len(made)] for k in range(1, SUPPORTS_PER_MILESTONE + 1)]
            fields = {
                "primaryBadgeId": badge["id"],
                "numberRequired": 2,
                "supportBadges": [int(support["id"]) for support in supports],
            }
            milestones.create(system, fields)
        for n in range(1, CODE_SCALE + 1):
            codes.create(made[0], Body({"code": f"code-{n:04d}", "multiuse": n % 10 == 0}))
        earners = instances.Target.of(place, made[1], base_url)
        for n in range(1, INSTANCE_SCALE + 1):
            instances.award(earners, {"email": email_of("earner", n)})
        for badge in made[2 : 2 + HELD_BADGES]:
            instances.award(instances.Target.of(place, badge, base_url), {"email": HOLDER})
        for n in range(APPLICATIONS_PER_BADGE * ISSUING_BADGES):
            body = {
                "learner": email_of("learner", n // APPLICATIONS_PER_LEARNER),
                "evidence": [{"url": f"http://example.org/work/{n}", "mediaType": "link"}],
            }
            application = assessment.create_application(made[n % ISSUING_BADGES], Body(body))
            if (n // ISSUING_BADGES) % 2 == 0:
                processed.append(application)
    with bulk_writes():
        for application in processed:
            assessment.update_application(application, Body({"processed": PROCESSED}))


def processed_count() -> int:
    rounds = APPLICATIONS_PER_BADGE
    return sum(1 for r in range(rounds) if r % 2 == 0) * ISSUING_BADGES


def issuing_scale_scenarios(master: Api) -> list[Scenario]:
    """Badge-1's codes (pages, one code, the lookup by code, the system's code list), badge-2's
    instances (pages, one instance), HOLDER's instances, the system's applications (processed
    filter by page, email filter), one badge's applications and the system's milestones."""
    system, system_shown = "/systems/scale", "/systems/{s}"
    coded, awarded = f"{system}/badges/badge-1", f"{system}/badges/badge-2"
    badge_shown = f"{system_shown}/badges/{{b}}"
    per_badge = list_bound(1, 1, PAGE_SIZE)

    def bounded(shown: str, path: str, listed: int | None, bound: int | None) -> Scenario:
        return replace(scale_get(master, shown, path, listed), max_calls=bound)

    processed = "?processed=true"
    applications_shown = f"{system_shown}/applications{processed}"
    applications = f"{system}/applications{processed}"
    # Resolve, the badge list's 2 Queries, the list headers, per overlapped badge (at most 3 on
    # a page of 20 when a badge holds 12 or 13) 1 Query, 1 BatchGetItem of the page and badges.
    applications_bound = 1 + 2 + 1 + 3 + 1
    return [
        *(
            bounded(*page_of(f"{badge_shown}/codes", f"{coded}/codes", page), PAGE_SIZE, per_badge)
            for page in PAGES[:2]
        ),
        bounded(f"{badge_shown}/codes/{{code}}", f"{coded}/codes/code-0500", None, 2),
        bounded(f"{system_shown}/codes/{{code}}", f"{system}/codes/code-0500", None, None),
        bounded(*page_of(f"{system_shown}/codes", f"{system}/codes", 1), PAGE_SIZE, None),
        *(
            bounded(
                *page_of(f"{badge_shown}/instances", f"{awarded}/instances", page),
                PAGE_SIZE,
                per_badge,
            )
            for page in PAGES[:2]
        ),
        bounded(
            f"{badge_shown}/instances/{{email}}",
            f"{awarded}/instances/{escaped(email_of('earner', 250))}",
            None,
            2,
        ),
        bounded(
            f"{system_shown}/instances/{{email}}",
            f"{system}/instances/{escaped(HOLDER)}",
            HELD_BADGES,
            None,
        ),
        *(
            bounded(
                f"{applications_shown}&page={page}&count={PAGE_SIZE}",
                f"{applications}&page={page}&count={PAGE_SIZE}",
                PAGE_SIZE,
                applications_bound,
            )
            for page in APPLICATION_PAGES
        ),
        bounded(
            f"{system_shown}/applications?email={{email}}",
            f"{system}/applications?email={escaped(SCALE_LEARNER)}",
            APPLICATIONS_PER_LEARNER,
            4,
        ),
        bounded(
            *page_of(f"{badge_shown}/applications", f"{system}/badges/badge-3/applications", 1),
            PAGE_SIZE,
            1 + 2 + 1,
        ),
        bounded(*page_of(f"{system_shown}/milestones", f"{system}/milestones", 1), PAGE_SIZE, None),
    ]


def measure_issuing_scale(scale_iterations: int) -> list[Result]:
    master = Api(secret=MASTER_SECRET, gw=GATEWAY)
    note = (
        f"{ISSUING_BADGES} badges; badge-1: {CODE_SCALE:,} codes; badge-2: {INSTANCE_SCALE} "
        f"instances; {HELD_BADGES} badges held by one email; "
        f"{APPLICATIONS_PER_BADGE * ISSUING_BADGES} applications "
        f"({APPLICATIONS_PER_BADGE} per badge, {processed_count()} processed); "
        f"{ISSUING_BADGES} milestones ({SUPPORTS_PER_MILESTONE} support badges each)"
    )
    with fresh_table() as meter:
        with phase("seeding claim codes, instances and applications"):
            seed_issuing_scale()
        with phase("claim codes, instances and applications at scale"):
            scenarios = [with_note(s, note) for s in issuing_scale_scenarios(master)]
            return measure_all(scenarios, meter, scale_iterations)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Progress on stderr, with how long each part of the run took."""
    print(f"{name}:", file=sys.stderr)
    started = time.perf_counter()
    yield
    print(f"  ({time.perf_counter() - started:.1f} s)", file=sys.stderr)


def with_note(scenario: Scenario, note: str) -> Scenario:
    return replace(scenario, note=note)


# --- a bulk award at the limit ---------------------------------------------------------------

BULK_LIMIT = 1_000  # instances.MAX_BULK_EMAILS
BULK_BADGE = "bulk-badge"
# Assumed DynamoDB latencies for the expected times (same Region, warm connections): any other
# call (a read, the id counter's UpdateItem), and a TransactWriteItems of ~100 actions.
ROUND_TRIP_MS = (3, 10)
TRANSACTION_MS = (20, 60)


def bulk_scenarios(master: Api) -> list[Scenario]:
    """The bulk award at its limit: 1,000 new emails, the same request again (a client retrying
    after a timeout: every email now holds the badge), and 1,001 emails (refused before any
    read). One run each, in this order, on a table of their own."""
    shown = f"{BADGE_SHOWN}/instances/bulk"
    path = f"{SYSTEM_PATH}/badges/{BULK_BADGE}/instances/bulk"
    emails = [email_of("limit", n) for n in range(BULK_LIMIT)]
    once = {"iterations": 1, "warmup": 0}
    return [
        call(
            master,
            "POST",
            shown,
            path,
            body=lambda _: {"emails": emails, "comment": "Well done"},
            status=201,
            listed=BULK_LIMIT,
            note=f"{BULK_LIMIT:,} new emails",
            **once,
        ),
        call(
            master,
            "POST",
            shown,
            path,
            body=lambda _: {"emails": emails},
            status=201,
            listed=0,
            note=f"the same {BULK_LIMIT:,} again (a retry: all held)",
            **once,
        ),
        call(
            master,
            "POST",
            shown,
            path,
            body=lambda _: {"emails": [*emails, email_of("limit", BULK_LIMIT)]},
            status=400,
            note=f"{BULK_LIMIT + 1:,} emails",
            **once,
        ),
    ]


def measure_bulk() -> list[Result]:
    master = Api(secret=MASTER_SECRET, gw=GATEWAY)
    with fresh_table() as meter, one_rollback_copy():
        expect(master.post("/systems", named(SYSTEM)), 201)
        expect(master.post(f"{SYSTEM_PATH}/badges", badge_body(BULK_BADGE)), 201)
        with phase(f"bulk award of {BULK_LIMIT:,} emails"):
            return measure_all(bulk_scenarios(master), meter, 1)


class _CopyOncePerTable:
    """moto's `copy` module as its TransactWriteItems sees it: `deepcopy` of an object already
    copied during the current transaction returns that copy (the same table's rollback state)."""

    def __init__(self) -> None:
        self.copies: dict[int, Any] | None = None  # during a transaction only

    def deepcopy(self, value: Any) -> Any:
        if self.copies is None:
            return copy.deepcopy(value)
        if id(value) not in self.copies:
            self.copies[id(value)] = copy.deepcopy(value)
        return self.copies[id(value)]

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


@contextmanager
def one_rollback_copy() -> Iterator[None]:
    """moto 5.2 deep-copies the whole table once per action of a TransactWriteItems, each copy
    replacing the previous one: 98 copies of a table of thousands of items per bulk transaction
    (tens of minutes for 1,000 awards). Copy each table once per transaction instead: the same
    rollback state, the same results, so the counts are unaffected. Bulk section only (the
    other sections keep moto as it is, so their times stay comparable with earlier runs)."""
    shim = _CopyOncePerTable()
    original = moto_models.DynamoDBBackend.transact_write_items

    def transact_write_items(backend: Any, transact_items: Any) -> None:
        shim.copies = {}
        try:
            original(backend, transact_items)
        finally:
            shim.copies = None

    moto_models.copy = shim  # type: ignore[assignment]
    moto_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        moto_models.DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
        moto_models.copy = copy


def expected_time(usage: Usage) -> str:
    """The critical path priced at the assumed latencies (a range)."""
    transactions = usage.count("TransactWriteItems")
    others = usage.round_trips - transactions
    low, high = (
        transactions * t + others * r for t, r in zip(TRANSACTION_MS, ROUND_TRIP_MS, strict=True)
    )
    return f"{low / 1000:.2f}-{high / 1000:.2f} s"


def bulk_table(results: Sequence[Result]) -> str:
    rows = [
        [
            f"`{r.scenario.method} {r.scenario.shown}`",
            r.scenario.note,
            str(r.scenario.status),
            f"{r.median_ms:.0f}",
            r.text(lambda u: u.calls_text),
            r.text(lambda u: u.calls),
            r.text(lambda u: u.round_trips),
            r.text(expected_time),
        ]
        for r in results
    ]
    headers = [
        "Request",
        "Body",
        "Status",
        "ms (moto)",
        "DynamoDB calls (in order)",
        "Calls",
        "Round trips (critical path)",
        "Expected on DynamoDB",
    ]
    return markdown_table(headers, rows)


BULK_NOTES = f"""\
A bulk award checks the length of `emails` first (at most {BULK_LIMIT:,}), then reads the
emails' instances in BatchGetItems of 100 keys, run concurrently on the data layer's pool of
{FAN_OUT_THREADS} threads, reserves the ids in one UpdateItem and writes the awards in
transactions of up to 24 (per award the instance, its assertion, its list entry and its `award`
event; per transaction one update of the list total and one badge check: 98 actions), one after
another: every transaction updates the same list total and checks the same badge, items two
concurrent transactions would conflict on. *Round trips* counts the calls on the critical path:
a call of the request's thread one, a run of n concurrent pool calls ceil(n / {FAN_OUT_THREADS}).
*Expected on DynamoDB* prices that path at an assumed {TRANSACTION_MS[0]}-{TRANSACTION_MS[1]} ms
per TransactWriteItems of ~100 actions and {ROUND_TRIP_MS[0]}-{ROUND_TRIP_MS[1]} ms per other
call (same Region, warm connections; not measured here): far inside API Gateway's 29 s. The
moto time is not a DynamoDB estimate (here moto's rollback copy is made once per transaction
and table instead of once per action, or 1,000 awards would take tens of minutes).
A request cut short leaves whole transactions applied; sent again, it skips the emails that now
hold the badge (second row).
"""


# --- the report -------------------------------------------------------------------------------


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: int = 0) -> str:
    """A Markdown table; the last `right` columns are right-aligned (numbers)."""
    align = ["---"] * (len(headers) - right) + ["---:"] * right
    lines = [headers, align, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def endpoint_table(results: Sequence[Result]) -> str:
    rows = [
        [
            r.scenario.method,
            f"`{r.scenario.shown}`" + (f" ({r.scenario.note})" if r.scenario.note else ""),
            r.scenario.auth,
            f"{r.median_ms:.1f}",
            f"{r.p95_ms:.1f}",
            r.text(lambda u: u.calls_text),
            r.text(lambda u: u.items_read),
        ]
        for r in results
    ]
    headers = ["Method", "Path", "Key", "Median ms", "p95 ms", "Calls (in order)", "Items read"]
    return markdown_table(headers, rows)


def scale_table(results: Sequence[Result]) -> str:
    rows = [
        [
            f"`{r.scenario.method} {r.scenario.shown}`",
            r.scenario.note,
            ("-" if r.scenario.listed is None else f"{r.scenario.listed}")
            + (f" of {r.total:,}" if r.total is not None else ""),
            str(len(r.timings_ms)),
            f"{r.median_ms:.1f}",
            f"{r.p95_ms:.1f}",
            r.text(lambda u: u.calls_text),
            r.text(lambda u: f"{u.items_read} = {u.items_breakdown}"),
            r.text(lambda u: u.list_rows),
        ]
        for r in results
    ]
    headers = [
        "Request",
        "Collection",
        "Returned",
        "Runs",
        "Median ms",
        "p95 ms",
        "DynamoDB calls (in order)",
        "Items read (per call group)",
        "of which list rows",
    ]
    return markdown_table(headers, rows)


def environment_lines(
    args: argparse.Namespace, elapsed_s: float, load_at_start: float
) -> list[str]:
    """Where and how the numbers were taken: times mean nothing without it. The load average
    tells whether other processes competed for the CPUs (times are then inflated)."""
    return [
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.platform()} ({platform.machine()}), {os.cpu_count()} CPUs",
        f"- Python: {platform.python_implementation()} {platform.python_version()}; "
        f"boto3 {metadata.version('boto3')}, moto {metadata.version('moto')}, "
        f"aws-lambda-powertools {metadata.version('aws-lambda-powertools')}",
        f"- Timed runs: {args.iterations} per containers endpoint, {args.badge_iterations} per "
        f"badges or public endpoint, {args.issuing_iterations} per claim codes, issuing, "
        f"milestones, assessment or webhooks endpoint, each after {WARMUP} discarded warm-up "
        f"run; at scale: {args.scale_iterations} per page, fewer for some whole collections "
        "(column `Runs`)",
        f"- Whole run: {elapsed_s:.0f} s; load average (1 min) {load_at_start:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end",
    ]


ABOUT = """\
## What is measured, and what is not

- **Handler time** is `time.perf_counter()` around `Gateway.dispatch` of the local stack, in
  process: routing, the API Gateway proxy event, the route's warm function (Powertools
  resolver, JWT verification, validation, domain code, boto3 (de)serialisation) and moto
  answering every DynamoDB and S3 call in process. Building and signing the request, decoding
  the reply and the untimed set-up of fresh items (deletes) or clean-up (creates; flips such as
  archiving a badge are undone) are outside the clock.
- **Not real DynamoDB or S3 latency.** moto is an emulator doing Python work per call: every
  Query visits every item of the *table* (not just the partition), and every TransactWriteItems
  deep-copies the whole table once *per action* (moto 5.2's rollback copy), so a badge write
  listed in four lists (up to 17 actions) costs far more than it would on DynamoDB; its S3
  keeps objects in memory. So moto times grow with the table and the transaction's size while
  DynamoDB's barely do, and a real call is instead a network round trip (a few ms, more for
  transactions; an S3 PutObject or GetObject typically tens of ms). The table is created from
  the template without its stream (nothing consumes it here, and moto would keep every record
  and copy it in each transaction). So what the stream triggers after a response is not
  measured either: awards, revokes and reviews write their outbox event in the request's
  transaction (counted), while the webhook sender and the milestone awarder run later, in their
  own functions. Nor are API Gateway, Lambda cold starts (functions are imported before
  measuring), concurrency or throttling measured. Use the times only to compare rows of one
  run; the machine may have been busy with other work (see the load average).
- **The call and item counts are the meaningful, stable numbers.** *Calls* are every DynamoDB
  call of the data layer's boto3 clients and every S3 call of the images module (prefixed `S3`)
  during the request (botocore `before-call` hooks, on every thread), in call order (calls made
  concurrently sorted by operation), consecutive calls of one operation grouped. *Items read*
  are the items returned by GetItem, Query and BatchGetItem (`after-call` hook); *list rows*
  are the list headers and entries among them (SK `LIST#…`, a few dozen bytes each). A Scan on
  any request path stops the run, and so does a list making more calls than its bound: for
  lists of badges, and of a badge's codes, instances or applications, prefix GetItems + one
  Query per list + one BatchGetItem per 100 members + one containers Query; the bounds of the
  other bounded lists are given with their tables. A `/` in a cell would mean iterations
  differed.
"""

SCALE_NOTES = """\
How a page is read (docs/data-model.md, "Lists are header + entries"): one Query with
`Limit = 1 + page·count` reads the list header and the entries up to the end of the page (small
items), then one BatchGetItem reads the page's members (up to 100 keys per call). Issuers embed
their programs: a page adds one Query per listed issuer (concurrently), the whole list one Query
for all the system's programs. Systems embed their issuers and programs: one Query per listed
system (concurrently). The collections are seeded through the domain functions, in bulk (not
timed); the DELETE row removes the seeded system with everything under it, within the request.
At this scale a request takes seconds under moto, so few runs are timed: the counts are the
point here.
"""

BADGE_SCALE_NOTES = """\
Badges are listed in up to four lists each (all badges, system, issuer, program), each split
into active and archived halves, so the default list and `archived=true` are one list and
`archived=any` merges two (two Queries, each up to the end of the page). A page is then one
BatchGetItem (per 100 badges); the nested `issuer`/`program` objects of issuer- and
program-level badges come from one Query of *all* the system's issuers and programs, made once
per request whatever the page holds. `/public/badges` reads the deployment-wide list, then per
distinct system on the page one GSI1 Query and one GetItem (the system by id) and its
containers Query. Page 9 is the last full page of the active badges; page 10 lies past their
end (nothing returned, but the Query still reads every entry up to it). The DELETE row removes
one program: its badges are deleted one transaction each (docs/data-model.md, X1), each
followed by the Queries of its purge (its instances and their assertions, its milestone
references, its partition: 5 Queries, and batch deletes of whatever they find), so it is the
one request here whose calls grow with the collection (deleting the whole system would make 200
such transactions: minutes under moto, where each copies the table). Seeded like the
containers, in bulk through the domain functions.
"""


ISSUING_SCALE_NOTES = """\
One system with 20 system-level badges, seeded in bulk through the domain functions like the
collections above. A badge's codes, instances and applications are lists like the others: one
Query up to the end of the page, one BatchGetItem, so their calls are fixed and what they read
grows with the page number, not with the collection (the prefix and the badge come in one
BatchGetItem). One code or instance is one GetItem after that; the lookup by code is one GSI2
Query, then the code (GetItem) and its badge by id (GSI1 Query) concurrently. Two routes make
calls that grow with the collection: `GET {L}/codes` makes one Query per badge of the
container (each badge's code list, up to the end of the page, whether the badge has codes or
not), and the milestone list one GSI1 Query per distinct badge its page names.
`GET {L}/instances/{email}` also reads every distinct badge of its page by id (one GSI1 Query
each, concurrently), bounded by the page size. The system's applications with
`processed=true` read all 20 badges' list headers in one BatchGetItem, then only the badges the
page overlaps (one Query each): page 5 costs what page 1 does (bound: 8 calls); the `email`
filter is one GSI2 Query and two BatchGetItems whatever the collection (bound: 4).
"""


@dataclass(frozen=True)
class Results:
    containers: Sequence[Result]
    badges: Sequence[Result]
    public: Sequence[Result]
    issuing: IssuingResults
    container_scale: Sequence[Result]
    badge_scale: Sequence[Result]
    issuing_scale: Sequence[Result]
    bulk: Sequence[Result]


def report(results: Results, lines: Sequence[str]) -> str:
    return "\n".join(
        [
            "# Benchmarks",
            "",
            "Generated by `make bench` (`scripts/bench.py`); do not edit by hand, run it again.",
            "",
            *lines,
            "",
            ABOUT,
            "## Endpoints (containers function)",
            "",
            f"Fixture: {ENDPOINT_FIXTURE}. `Key`: the request's JWT key (none, the master key or "
            f"a consumer key of `{SYSTEM}`). Creates use a new slug each time and deletes a fresh "
            "item.",
            "",
            endpoint_table(results.containers),
            "",
            "## Endpoints (badges function)",
            "",
            f"Fixture: {BADGE_FIXTURE}. Every request with the master key. Creates send 2 "
            "criteria, 1 alignment, 2 categories and 2 tags, with a new slug each time (deleted "
            "again, untimed); a stored image is uploaded to S3 tagged pending, its IMAGE item "
            "written by the badge's transaction, then untagged. `scalar` changes the name, "
            "`slug rename` moves the badge between two slugs (its list entries are repointed), "
            "`archive` moves it from the active to the archived lists (undone untimed). Deletes "
            "remove a fresh badge.",
            "",
            endpoint_table(results.badges),
            "",
            "## Endpoints (public function)",
            "",
            "Same fixture, unsigned requests. A badge class names its issuer document under the "
            "badge's own container; through a higher prefix that takes the system's containers "
            "Query. The image is the fixture's stored PNG, read from S3.",
            "",
            endpoint_table(results.public),
            "",
            "## Endpoints (claim codes function)",
            "",
            f"Fixture of this and the next four tables: {ISSUING_FIXTURE}. Every request with "
            "the master key. The badge-level routes of these functions are measured under the "
            "system prefix on the system-level badge (system and badge in one BatchGetItem); a "
            "deeper prefix adds one GetItem per level, as for badges. Creates use a new code "
            "each time (deleted again, untimed) and the delete removes a fresh code. "
            "`GET {L}/codes/{code}` finds the code on GSI2 (1 Query), then reads it (GetItem) "
            "and its badge by id (GSI1 Query) concurrently, plus the system's containers Query "
            "when the badge lies below the URL's container. `GET {L}/codes` reads the "
            "container's badge list (2 Queries: active and archived), then **one Query per "
            "badge** of the container (its code list), then the page's codes and their badges "
            "(2 BatchGetItems): its calls grow with the number of badges, see the scale table.",
            "",
            endpoint_table(results.issuing.codes),
            "",
            "## Endpoints (issuing function, and hosted assertions)",
            "",
            "An award is one transaction: the instance, its assertion, the list entry and "
            "total, the badge check and the `award` outbox event, plus the code's claim when a "
            "claim code is given (read first by one GetItem). The bulk award reads the emails' "
            "instances in BatchGetItems of 100 (concurrently), reserves the ids in one "
            "UpdateItem and writes the awards in transactions of up to 24 (the list total and "
            "the badge check once per transaction; see the last section). A revoke deletes the "
            "instance, leaves a tombstone at its assertion and records the `revoke` event, in "
            "one transaction. "
            "`GET {L}/instances/{email}` queries GSI2 for the earner's instances in scope, reads "
            "them in one BatchGetItem, then each distinct badge by id (one GSI1 Query each, "
            "concurrently; one BatchGetItem confirms them), plus the system's containers Query "
            "for badges below the URL's container. `/public/assertions/{slug}` (public "
            "function, unsigned) reads the assertion, then its badge and system by id (GSI1, "
            "concurrently) and one BatchGetItem; a revoked one answers `410` from its tombstone "
            "alone. Creates award new emails (revoked again, untimed); the delete revokes a "
            "fresh instance.",
            "",
            endpoint_table(results.issuing.instances),
            "",
            "## Endpoints (milestones function)",
            "",
            "A system's milestones live in its partition: the list is one Query of all of "
            "them. Every milestone representation embeds its primary and support badges, read "
            "by id (one GSI1 Query per distinct badge, concurrently), plus the system's "
            "containers Query for issuer- or program-level badges: the list's calls grow with "
            "the number of distinct badges its page names (see the scale table). Writes look "
            "the badges they name up the same way, then write the milestone, its support "
            "entries and a check per newly named badge in one transaction. `add-badge` is "
            "undone untimed, `remove-badge` prepared untimed; the delete removes a fresh "
            "milestone.",
            "",
            endpoint_table(results.issuing.milestones),
            "",
            "## Endpoints (assessment function)",
            "",
            "`GET {L}/applications` reads the container's badge list (2 Queries), the "
            "application-list headers of all its badges (one BatchGetItem per 100), then only "
            "the badges the page overlaps (one Query per state each, concurrently) and one "
            "BatchGetItem of the page's applications with their badges, plus the system's "
            "containers Query for badges below the URL's container. `processed` selects the "
            "state lists; the `email` filter uses GSI2 instead (1 Query, then 2 "
            "BatchGetItems: the page's applications with pointers to their badges, then the "
            "badges). Reviews are read through their application (GetItem). A review create "
            "or update records the `review` event in its transaction. The `processed` flip "
            "moves the application's list entry (undone untimed); the application delete "
            "removes one with a review, whose reviews are purged after its transaction.",
            "",
            endpoint_table(results.issuing.assessment),
            "",
            "## Endpoints (webhooks function)",
            "",
            "The configuration routes (webhooks.md §1) and the delivery log, empty here: "
            "deliveries are written by the webhook sender, which does not run in this "
            "benchmark. `POST …/deliveries/{id}/redeliver` is not measured (it needs a delivery "
            "and sends to the SQS retry queue).",
            "",
            endpoint_table(results.issuing.webhooks),
            "",
            "## Lists at scale",
            "",
            "### Systems and issuers",
            "",
            SCALE_NOTES,
            scale_table(results.container_scale),
            "",
            "### Badges",
            "",
            BADGE_SCALE_NOTES,
            scale_table(results.badge_scale),
            "",
            "### Claim codes, instances, applications and milestones",
            "",
            ISSUING_SCALE_NOTES,
            scale_table(results.issuing_scale),
            "",
            bulk_section(results.bulk),
        ]
    )


def bulk_section(results: Sequence[Result]) -> str:
    return "\n".join(["## A bulk award at the limit", "", BULK_NOTES, bulk_table(results), ""])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__)
    parser.add_argument(
        "--iterations", type=int, default=ITERATIONS, help="per containers endpoint"
    )
    parser.add_argument(
        "--badge-iterations", type=int, default=BADGE_ITERATIONS, help="per badges/public endpoint"
    )
    parser.add_argument(
        "--issuing-iterations",
        type=int,
        default=ISSUING_ITERATIONS,
        help="per claim codes, issuing, milestones, assessment or webhooks endpoint",
    )
    parser.add_argument(
        "--scale-iterations", type=int, default=SCALE_ITERATIONS, help="per list at scale"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="Markdown report")
    parser.add_argument(
        "--bulk-only",
        action="store_true",
        help="only the bulk award at the limit: print its section, write nothing",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.bulk_only:
        print(bulk_section(measure_bulk()))
        return 0
    started, load = time.perf_counter(), os.getloadavg()[0]
    containers_results = measure_endpoints(args.iterations)
    badge_results, public_results = measure_badge_endpoints(args.badge_iterations)
    results = Results(
        containers_results,
        badge_results,
        public_results,
        measure_issuing_endpoints(args.issuing_iterations),
        measure_scale(args.scale_iterations),
        measure_badge_scale(args.scale_iterations),
        measure_issuing_scale(args.scale_iterations),
        measure_bulk(),
    )
    elapsed_s = time.perf_counter() - started
    lines = environment_lines(args, elapsed_s, load)
    text = report(results, lines)
    args.output.write_text(text)
    print(text)
    print(f"written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
