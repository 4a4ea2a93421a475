"""The measuring harness: the in-process gateway, the DynamoDB and S3 call meter, fresh tables,
and timing and checking one scenario.

Importing this module configures the offline environment and imports the benchmarked functions
(putting the layer on sys.path), so it comes before any `badgekit` import of the package (the
package's `__init__` imports it first).
"""

from __future__ import annotations

import copy
import math
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from unittest import mock

from botocore import handlers as botocore_handlers

from local.events import ProxyResponse
from local.inprocess import (
    IMAGES_BUCKET,
    Api,
    Reply,
    create_table,
    gateway,
    use_offline_environment,
)
from scripts.bench.accounting import CpuAccount, round_trips

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
from moto.core.botocore_stubber import BotocoreStubber  # noqa: E402
from moto.dynamodb import models as moto_models  # noqa: E402

from badgekit.store import db, images  # noqa: E402

WARMUP = 1  # untimed first run of a scenario (first-use set-up in boto3, moto, the fan-out pool)
FAN_OUT_THREADS = 8  # badgekit.store.db's pool size, for warming it up
FAN_OUT_THREAD_PREFIX = "dynamodb"  # badgekit.store.db's pool thread names

Target = Callable[[int], str]  # the request path of iteration n
Hook = Callable[[int], None]  # set-up or clean-up of iteration n


class ScanOnRequestPath(RuntimeError):
    """A request scanned the table: its cost grows with the whole table, never acceptable."""


class UnexpectedReply(RuntimeError):
    """A request did not do what it should, so its numbers would be meaningless."""


class TooManyCalls(RuntimeError):
    """A request made more calls than its page justifies: a round trip per listed item."""


class TooManyRoundTrips(RuntimeError):
    """A single-item GET waited on more sequential round trips than MAX_ITEM_ROUND_TRIPS."""


# --- client CPU -----------------------------------------------------------------------------------

# The request's CPU in this process minus the CPU spent answering its calls in moto (in process,
# behind botocore's `before-send` event: the stubber returns the response, so nothing is sent)
# and in the call meter's hooks, on every thread (the fan-out pool's included).
CPU = CpuAccount()
BotocoreStubber.__call__ = CPU.excluding(BotocoreStubber.__call__)  # type: ignore[method-assign]


# --- counting DynamoDB and S3 calls ---------------------------------------------------------------


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
        return round_trips((pooled for _, _, pooled in self._calls), FAN_OUT_THREADS)

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
        with CPU.excluded():
            self._record(model.name, context)

    def _before_s3_call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        with CPU.excluded():
            self._record(f"S3 {model.name}", context)

    def _record(self, operation: str, context: dict[str, Any]) -> None:
        with self._lock:
            context["bench_call"] = (self._generation, len(self._calls))
            pooled = threading.current_thread().name.startswith(FAN_OUT_THREAD_PREFIX)
            self._calls.append([operation, 0, pooled])

    def _after_call(
        self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        with CPU.excluded():
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


# --- measuring ------------------------------------------------------------------------------------


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
    collection: str = ""  # the collection read at scale (`with_note`)

    @property
    def description(self) -> str:
        """The collection, then the note (the scale tables' `Collection` column)."""
        return "; ".join(part for part in (self.collection, self.note) if part)


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    timings_ms: tuple[float, ...]
    usages: tuple[Usage, ...]  # distinct profiles seen: one when the cost is deterministic
    total: int | None  # pageData.total of a paginated list
    cpu_ms: tuple[float, ...] = ()  # client CPU of each timed run (see `CPU`)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.timings_ms)

    @property
    def median_cpu_ms(self) -> float:
        return statistics.median(self.cpu_ms)

    @property
    def p95_ms(self) -> float:
        """Nearest-rank 95th percentile: a measured sample, not an interpolation."""
        ordered = sorted(self.timings_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    def text(self, part: Callable[[Usage], object]) -> str:
        """One usage figure; iterations that differed are all shown, separated by `/`."""
        return " / ".join(str(part(usage)) for usage in self.usages)

    @property
    def calls_text(self) -> str:
        return self.text(lambda usage: usage.calls_text)


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


@dataclass(frozen=True)
class Run:
    """One dispatch: its handler time, its client CPU, its calls and its reply."""

    elapsed_ms: float
    cpu_ms: float
    usage: Usage
    reply: Reply


def run_once(scenario: Scenario, index: int, meter: CallMeter) -> Run:
    """Time one dispatch; signing and building the request happen before the clock starts."""
    body = scenario.body(index) if scenario.body else None
    request = scenario.client.prepare(
        scenario.method, scenario.target(index), json_body=body, sign=scenario.auth != "none"
    )
    meter.reset()
    cpu = CPU.start()
    started = time.perf_counter()
    response = GATEWAY.dispatch(request)
    elapsed_ms = (time.perf_counter() - started) * 1000
    cpu_ms = CPU.client_ms(cpu)
    return Run(elapsed_ms, cpu_ms, meter.usage(), reply_of(response))


# Single-item GETs (`is_single_item_get`) wait on at most this many sequential round trips.
MAX_ITEM_ROUND_TRIPS = 2


def is_single_item_get(scenario: Scenario) -> bool:
    """A GET whose path ends in an item's `{placeholder}` and whose reply is that one item, not
    a list (`listed` unset): e.g. `/systems/{s}/badges/{b}`, not `/systems/{s}/badges` nor
    `/systems/{s}/instances/{email}` (an earner's instances)."""
    last = scenario.shown.partition("?")[0].rstrip("/").rsplit("/", 1)[-1]
    return scenario.method == "GET" and last.startswith("{") and scenario.listed is None


def round_trip_bound(scenario: Scenario) -> int | None:
    if is_single_item_get(scenario):
        return MAX_ITEM_ROUND_TRIPS
    return None


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
    bound = round_trip_bound(scenario)
    if bound is not None and usage.round_trips > bound:
        raise TooManyRoundTrips(
            f"{where}: {usage.round_trips} sequential round trips ({usage.calls_text}), at most "
            f"{bound} expected of a single-item GET"
        )


def measure(scenario: Scenario, meter: CallMeter, iterations: int) -> Result:
    """Warm-up runs, then timed runs; every run is checked, only timed ones are kept."""
    timings: list[float] = []
    cpu: list[float] = []
    usages: list[Usage] = []
    total: int | None = None
    for index in range(scenario.warmup + (scenario.iterations or iterations)):
        if scenario.setup:
            scenario.setup(index)
        run = run_once(scenario, index, meter)
        usage, reply = run.usage, run.reply
        check(scenario, index, usage, reply)
        if scenario.teardown:
            scenario.teardown(index)
        if index < scenario.warmup:
            continue
        timings.append(run.elapsed_ms)
        cpu.append(run.cpu_ms)
        if usage not in usages:
            usages.append(usage)
        if isinstance(reply.body, dict) and "pageData" in reply.body:
            total = int(reply.body["pageData"]["total"])
    return Result(scenario, tuple(timings), tuple(usages), total, tuple(cpu))


def measure_all(scenarios: Sequence[Scenario], meter: CallMeter, iterations: int) -> list[Result]:
    results = []
    for scenario in scenarios:
        result = measure(scenario, meter, iterations)
        request = f"{scenario.method} {scenario.target(0)} ({scenario.auth})"
        print(
            f"  {request}: {result.median_ms:.1f} ms, {result.calls_text}, "
            f"{result.text(lambda u: u.round_trips)} round trips, "
            f"client CPU {result.median_cpu_ms:.1f} ms",
            file=sys.stderr,
        )
        results.append(result)
    return results


def expect(reply: Reply, status: int) -> Reply:
    """The reply of a set-up or clean-up request, which must have succeeded."""
    if reply.status != status:
        raise UnexpectedReply(f"fixture request: {reply.status}, expected {status}: {reply.body}")
    return reply


def fixed(target: str) -> Target:
    return lambda _: target


def master_client() -> Api:
    """A client of the in-process gateway signing with the master key."""
    return Api(secret=MASTER_SECRET, gw=GATEWAY)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Progress on stderr, with how long each part of the run took."""
    print(f"{name}:", file=sys.stderr)
    started = time.perf_counter()
    yield
    print(f"  ({time.perf_counter() - started:.1f} s)", file=sys.stderr)


def with_note(scenario: Scenario, note: str) -> Scenario:
    """The scenario with `note` (a collection's description) before its own note, if any."""
    return replace(scenario, collection=note)


# --- seeding, and moto's transactions -------------------------------------------------------------


@contextmanager
def bulk_writes() -> Iterator[None]:
    """Seeding only: apply the writes of each domain transaction in bulk, not atomically.

    moto deep-copies the whole table on every TransactWriteItems (to roll back on failure), so
    seeding 1,000 items through transactions is quadratic: minutes instead of seconds. A
    single-threaded seed of fresh slugs needs neither atomicity nor the conditions, so puts go
    through one batch writer (25 per call) and updates (ids, list totals) one by one; what is
    written is still what the domain functions build.
    """
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

        with mock.patch.object(db, "transact", apply):
            yield


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

    with (
        mock.patch.object(moto_models, "copy", shim),
        mock.patch.object(
            moto_models.DynamoDBBackend, "transact_write_items", transact_write_items
        ),
    ):
        yield
