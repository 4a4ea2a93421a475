"""`make bench`: handler time and DynamoDB cost of every containers endpoint, and of lists at scale.

Why: the single-table design (docs/data-model.md) promises a fixed number of DynamoDB calls per
request, and list pages whose cost depends on the page rather than on the collection. Those
counts are what this measures and what matters; the times are the handler plus moto's in-process
emulation, useful only to compare endpoints with each other on one machine.

This is not a test: nothing asserts a speed. It fails loudly only for what is wrong at any
speed (a Scan on a request path, an unexpected status, a page of the wrong size), because the
numbers of such a run would be meaningless.

Writes docs/benchmarks.md and prints the same tables; progress goes to stderr.
"""

from __future__ import annotations

import argparse
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
# Imports the function once, putting the layer on sys.path. Only the function benchmarked: its
# routes are all the run needs, and the run stays independent of the other functions' state.
GATEWAY = gateway(TABLE_NAME, functions=("ContainersFunction",))

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from badgekit import containers, db  # noqa: E402
from badgekit.request import Body  # noqa: E402

OUTPUT = ROOT / "docs" / "benchmarks.md"
ITERATIONS = 30
SCALE_ITERATIONS = 2
WHOLE_ITERATIONS = 1  # unpaginated lists of 1,000: seconds per request under moto
WARMUP = 1  # untimed first run of a scenario (first-use set-up in boto3, moto, the fan-out pool)
SCALE = 1_000
PAGE_SIZE = 20
PAGES = (1, 10, SCALE // PAGE_SIZE)
FAN_OUT_THREADS = 8  # badgekit.db's pool size, for warming it up

Target = Callable[[int], str]
Hook = Callable[[int], None]


class ScanOnRequestPath(RuntimeError):
    """A request scanned the table: its cost grows with the whole table, never acceptable."""


class UnexpectedReply(RuntimeError):
    """A request did not do what it should, so its numbers would be meaningless."""


# --- counting DynamoDB calls ------------------------------------------------------------------


@dataclass(frozen=True)
class CallGroup:
    """Consecutive calls of one operation within a request, and the items they read."""

    operation: str
    calls: int
    items: int


@dataclass(frozen=True)
class Usage:
    """DynamoDB cost of one request, in call order."""

    groups: tuple[CallGroup, ...]
    list_rows: int  # items read that are list headers or entries (small items, SK `LIST#…`)

    @property
    def items_read(self) -> int:
        return sum(group.items for group in self.groups)

    def count(self, operation: str) -> int:
        return sum(group.calls for group in self.groups if group.operation == operation)

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


class DynamoMeter:
    """Counts the data layer's DynamoDB calls and the items they read, via botocore hooks.

    Hooks see every call whichever helper makes it, without touching the domain code. They are
    attached to boto3's default session, so every client made from it carries them: the data
    layer keeps one table handle per thread, and list pages fan out to a pool of threads whose
    handles outlive a `mock_aws` context (so one meter serves the whole run). botocore hands both
    hooks of a call the same `context` dict, which ties a response to its call even when calls
    overlap; the lock, because they do.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[list[Any]] = []  # [operation, items read], in call order
        self._list_rows = 0
        self._generation = 0  # bumped by reset: late answers of earlier calls are ignored

    def attach(self, events: Any) -> None:
        events.register("before-call.dynamodb", self._before_call)
        events.register("after-call.dynamodb", self._after_call)

    def reset(self) -> None:
        with self._lock:
            self._calls, self._list_rows = [], 0
            self._generation += 1

    def usage(self) -> Usage:
        with self._lock:
            groups: list[CallGroup] = []
            for operation, items in self._calls:
                if groups and groups[-1].operation == operation:
                    last = groups.pop()
                    groups.append(CallGroup(operation, last.calls + 1, last.items + items))
                else:
                    groups.append(CallGroup(operation, 1, items))
            return Usage(tuple(groups), self._list_rows)

    def _before_call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        with self._lock:
            context["bench_call"] = (self._generation, len(self._calls))
            self._calls.append([model.name, 0])

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


METER = DynamoMeter()


@contextmanager
def fresh_table() -> Iterator[DynamoMeter]:
    """A new mocked account with the template's table, metered from its first call."""
    with mock_aws():
        # moto hides boto3's default session while mocking: make the one every client of this
        # context (all threads) will be created from, with the meter on it.
        session = boto3.Session()
        boto3.DEFAULT_SESSION = session
        METER.attach(session.events)
        # No stream: nothing consumes it here, and moto's stream records would make every
        # transaction slower than the one before (see `create_table`).
        create_table(boto3.client("dynamodb"), TABLE_NAME, stream=False)
        # Images are not benchmarked (JSON bodies only), but a path may still reach the bucket.
        boto3.client("s3").create_bucket(Bucket=IMAGES_BUCKET)
        db.reset_clients()
        try:
            verify_meter()  # also creates this thread's handle, outside any timing
            yield METER
        finally:
            db.reset_clients()


def verify_meter() -> None:
    """Fail if the meter misses calls (a client made without the hooks): counts that silently
    miss calls would mislead. Also warms the fan-out pool: its threads start and make their
    clients here, outside any timing."""
    key = {"PK": "BENCH#meter", "SK": "check"}
    calls = 1 + 2 * FAN_OUT_THREADS
    METER.reset()
    db.get(key)
    db.fan_out(db.get, [key] * (calls - 1))
    seen = METER.usage().count("GetItem")
    if seen != calls:
        raise RuntimeError(f"the DynamoDB meter saw {seen} of {calls} GetItem calls")


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


def run_once(scenario: Scenario, index: int, meter: DynamoMeter) -> tuple[float, Usage, Reply]:
    """Time one dispatch; signing and building the request happen before the clock starts."""
    body = scenario.body(index) if scenario.body else None
    request = scenario.client.prepare(
        scenario.method, scenario.target(index), json_body=body, sign=scenario.auth != "none"
    )
    meter.reset()
    started = time.perf_counter()
    response = GATEWAY.dispatch(request)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return elapsed_ms, meter.usage(), Reply.of(response)


def check(scenario: Scenario, index: int, usage: Usage, reply: Reply) -> None:
    where = f"{scenario.method} {scenario.target(index)}"
    if usage.count("Scan"):
        raise ScanOnRequestPath(f"{where}: {usage.calls_text}")
    if reply.status != scenario.status:
        raise UnexpectedReply(f"{where}: {reply.status}, expected {scenario.status}: {reply.body}")
    listed = listed_length(reply.body)
    if scenario.listed is not None and listed != scenario.listed:
        raise UnexpectedReply(f"{where}: listed {listed}, expected {scenario.listed}")


def measure(scenario: Scenario, meter: DynamoMeter, iterations: int) -> Result:
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


def measure_all(scenarios: Sequence[Scenario], meter: DynamoMeter, iterations: int) -> list[Result]:
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
    master: Api, shown: str, path: str, listed: int, *, iterations: int | None = None
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


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Progress on stderr, with how long each part of the run took."""
    print(f"{name}:", file=sys.stderr)
    started = time.perf_counter()
    yield
    print(f"  ({time.perf_counter() - started:.1f} s)", file=sys.stderr)


def with_note(scenario: Scenario, note: str) -> Scenario:
    return replace(scenario, note=note)


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
    headers = ["Method", "Path", "Key", "Median ms", "p95 ms", "DynamoDB calls", "Items read"]
    return markdown_table(headers, rows)


def scale_table(results: Sequence[Result]) -> str:
    rows = [
        [
            f"`{r.scenario.method} {r.scenario.shown}`",
            r.scenario.note,
            f"{r.scenario.listed}" + (f" of {r.total:,}" if r.total is not None else ""),
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
    iterations: int, scale_iterations: int, elapsed_s: float, load_at_start: float
) -> list[str]:
    """Where and how the numbers were taken: times mean nothing without it. The load average
    tells whether other processes competed for the CPUs (times are then inflated)."""
    return [
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.platform()} ({platform.machine()}), {os.cpu_count()} CPUs",
        f"- Python: {platform.python_implementation()} {platform.python_version()}; "
        f"boto3 {metadata.version('boto3')}, moto {metadata.version('moto')}, "
        f"aws-lambda-powertools {metadata.version('aws-lambda-powertools')}",
        f"- Timed runs: {iterations} per endpoint, after {WARMUP} discarded warm-up run; at "
        f"scale: {scale_iterations} per page, fewer for whole collections (column `Runs`)",
        f"- Whole run: {elapsed_s:.0f} s; load average (1 min) {load_at_start:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end",
    ]


ABOUT = """\
## What is measured, and what is not

- **Handler time** is `time.perf_counter()` around `Gateway.dispatch` of the local stack, in
  process: routing, the API Gateway proxy event, the warm containers function (Powertools
  resolver, JWT verification, validation, domain code, boto3 (de)serialisation) and moto
  answering every DynamoDB call in process. Building and signing the request, decoding the reply
  and the untimed set-up of fresh items (deletes) or clean-up (creates) are outside the clock.
- **Not real DynamoDB latency.** moto is an emulator doing Python work per call: every Query
  visits every item of the *table* (not just the partition), and every TransactWriteItems
  copies the whole table. So moto times grow with the table while DynamoDB's do not, and a real
  call is instead a network round trip (a few ms, more for transactions). The table is created
  from the template without its stream (nothing consumes it here, and moto would keep every
  record and copy it in each transaction). Nor are API Gateway, Lambda cold starts (functions
  are imported before measuring), concurrency or throttling measured. Use the times only to
  compare rows of one run; the machine may have been busy with other work.
- **The call and item counts are the meaningful, stable numbers.** *DynamoDB calls* are every
  API call the data layer's boto3 clients make during the request (botocore `before-call`
  hook, on every thread), in call order, consecutive calls of one operation grouped. *Items
  read* are the items returned by GetItem, Query and BatchGetItem (`after-call` hook); *list
  rows* are the list headers and entries among them (SK `LIST#…`, a few dozen bytes each). A
  Scan on any request path stops the run. A `/` in a cell would mean iterations differed.
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


def report(endpoints: Sequence[Result], scale: Sequence[Result], lines: Sequence[str]) -> str:
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
            endpoint_table(endpoints),
            "",
            "## Lists at scale",
            "",
            SCALE_NOTES,
            scale_table(scale),
            "",
        ]
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__)
    parser.add_argument("--iterations", type=int, default=ITERATIONS, help="per endpoint")
    parser.add_argument(
        "--scale-iterations", type=int, default=SCALE_ITERATIONS, help="per list at scale"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="Markdown report")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started, load = time.perf_counter(), os.getloadavg()[0]
    endpoints = measure_endpoints(args.iterations)
    scale = measure_scale(args.scale_iterations)
    elapsed_s = time.perf_counter() - started
    lines = environment_lines(args.iterations, args.scale_iterations, elapsed_s, load)
    text = report(endpoints, scale, lines)
    args.output.write_text(text)
    print(text)
    print(f"written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
