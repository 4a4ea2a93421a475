"""The import: every row of the original's database into the table and the images bucket,
through `badgekit.store`'s item builders (never HTTP).

Faithful identity: ids, slugs and timestamps are the original's; each entity type's id
counter is raised to the largest id read (`db.raise_counter`), so the next id the API allocates
is above every imported one; lists hold the same members in the same order (entries keyed by
id, applications by badge, created, id) with exact totals.

Units and atomicity. Each imported entity is one *unit*: the store's actions that create it
(its item, its guards, its list entries) plus the increments of the list totals it belongs to.
A unit's first action is a conditional put of its item (`attribute_not_exists(PK)`), and a unit
is only ever written whole, in one TransactWriteItems, so its list entries and its share of the
totals are there exactly when its item is. Units are written in transactions of up to 100
actions (the totals of one list merged into one increment), a chunk of 100 units at a time:

1. one BatchGetItem of the chunk's item keys: an item already there with the same id is
   *already present* (counted, not written again); another entity at that key is a conflict
   (a finding, skipped);
2. the stored images' bytes are uploaded (untagged; the same bytes to the same key on a re-run);
3. the rest is written; a cancelled transaction is retried unit by unit, so one unit that
   cannot be written (a key taken since) never holds back the others.

So a run interrupted anywhere leaves whole units, and running it again writes exactly the
missing ones (with their totals): the import is resumable and idempotent, and a run that finds
everything already there writes nothing and says so.

Bounded memory: instances, claim codes, applications and reviews are streamed in chunks; what is
held is per badge or per application (their ids and containers, a badge's child rows, an
application's evidence and review items), never per instance.

`dry_run=True` reads every row and runs every check (`migrate.checks`) but makes no call to the
table or the bucket: `written` then counts what a run into an empty table would write.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import batched
from typing import Any

from botocore.exceptions import ClientError

from badgekit.domain import badges as badge_rules
from badgekit.domain import images as image_rules
from badgekit.jsonutil import dumps
from badgekit.store import assessment as assessment_store
from badgekit.store import badges as badge_store
from badgekit.store import codes as code_store
from badgekit.store import consumers as consumer_store
from badgekit.store import containers as container_store
from badgekit.store import db, keys
from badgekit.store import images as image_store
from badgekit.store import instances as instance_store
from badgekit.store import milestones as milestone_store
from badgekit.store import webhooks as webhook_store
from badgekit.store.assessment import ApplicationRecord, EvidenceRecord, ReviewRecord
from badgekit.store.badges import BadgeRecord
from badgekit.store.codes import CodeRecord
from badgekit.store.consumers import ConsumerRecord
from badgekit.store.containers import IssuerRecord, ProgramRecord, SystemRecord
from badgekit.store.images import ImageRecord
from badgekit.store.milestones import MilestoneRecord
from badgekit.store.records import record
from badgekit.store.webhooks import WebhookRecord
from migrate import checks
from migrate.checks import Findings, RowCheck
from migrate.source import TABLES, Source

Progress = Callable[[str, int, int], None]
Action = dict[str, Any]

# The id counter (`db.allocate_ids` entity) of each table whose ids the API allocates.
COUNTERS = {
    "images": "image",
    "systems": "system",
    "issuers": "issuer",
    "programs": "program",
    "consumers": "consumer",
    "webhooks": "webhook",
    "badges": "badge",
    "criteria": "criterion",
    "alignments": "alignment",
    "tags": "tag",
    "claimCodes": "code",
    "badgeInstances": "instance",
    "applications": "application",
    "reviews": "review",
    "milestones": "milestone",
}

CHUNK = 100  # units per presence check (BatchGetItem reads 100 keys)
MAX_ACTIONS = 100  # actions per TransactWriteItems
MAX_BYTES = 3_500_000  # request size budget per TransactWriteItems (DynamoDB allows 4 MB)
TEXT = 65535


# --- the report ------------------------------------------------------------------------------


@dataclass
class Counts:
    read: int = 0
    written: int = 0
    present: int = 0  # already imported (same id at the same key): not written again
    skipped: int = 0


@dataclass
class Report:
    dry_run: bool
    counts: dict[str, Counts] = field(default_factory=dict)
    findings: Findings = field(default_factory=Findings)
    counters: dict[str, int] = field(default_factory=dict)  # raised to (this run)
    elapsed: float = 0.0

    def of(self, table: str) -> Counts:
        return self.counts.setdefault(table, Counts())

    @property
    def written(self) -> int:
        return sum(c.written for c in self.counts.values()) + len(self.counters)

    def render(self) -> str:
        verb = "would write" if self.dry_run else "written"
        title = "Dry run (nothing written)" if self.dry_run else "Import"
        lines = [f"{title}: {self.elapsed:.1f} s", ""]
        header = f"{'table':<16} {'read':>9} {verb:>12} {'present':>9} {'skipped':>9}"
        lines.append(header)
        for table in TABLES:
            c = self.counts.get(table)
            if c is None:
                continue
            lines.append(f"{table:<16} {c.read:>9} {c.written:>12} {c.present:>9} {c.skipped:>9}")
        if self.counters:
            raised = ", ".join(f"{name} {value}" for name, value in sorted(self.counters.items()))
            lines.append(f"id counters raised: {raised}")
        if not self.dry_run and self.written == 0:
            lines.append("Nothing to do: everything was already imported.")
        lines.append("")
        if not self.findings.counts:
            lines.append("Findings: none")
        else:
            lines.append(f"Findings: {len(self.findings)}")
            for (table, problem, action), n in sorted(self.findings.counts.items()):
                lines.append(f"  {table}: {problem} -> {action}: {n}")
            lines.append("Examples:")
            lines.extend(f"  {finding.render()}" for finding in self.findings.examples)
        return "\n".join(lines)


# --- units -----------------------------------------------------------------------------------


@dataclass
class Unit:
    """One entity's write: `actions[0]` puts its item (only if the key is free); `totals` are
    the list-total increments that go with it (merged per list in a transaction)."""

    table: str
    row_id: Any
    identity: Any  # the item's `id`
    actions: list[Action]
    totals: dict[tuple[str, str], int]
    upload: tuple[str, bytes, str] | None = None  # (object key, bytes, type) before the write
    children: dict[str, int] = field(default_factory=dict)  # child rows embedded, per table

    @property
    def key(self) -> keys.Key:
        item = self.actions[0]["Put"]["Item"]
        return {"PK": item["PK"], "SK": item["SK"]}

    def size(self) -> int:
        return len(dumps(self.actions).encode())


def unit(
    table: str, row_id: Any, actions: list[Action], upload: tuple[str, bytes, str] | None = None
) -> Unit:
    """A unit from a store builder's actions: the list-total increments (`db.total_change`)
    are taken out, to be merged per transaction."""
    own: list[Action] = []
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for action in actions:
        change = db.total_delta(action)
        if change is not None:
            header, delta = change
            totals[(header["PK"], header["SK"])] += delta
        else:
            own.append(action)
    identity = own[0]["Put"]["Item"].get("id")
    return Unit(table, row_id, identity, own, dict(totals), upload)


def _touched(action: Action) -> tuple[str, str]:
    body = next(iter(action.values()))
    key = body.get("Key") or body["Item"]
    return (key["PK"], key["SK"])


class Writer:
    """Writes units in chunks (see the module docstring); counts into the report."""

    def __init__(self, report: Report, dry_run: bool) -> None:
        self.report = report
        self.dry_run = dry_run

    def write(self, units: Iterable[Unit], progress: Callable[[int], None]) -> None:
        done = 0
        for chunk in batched(units, CHUNK, strict=False):
            self._chunk(list(chunk))
            done += len(chunk)
            progress(done)

    def _count(self, u: Unit, what: str) -> None:
        counts = self.report.of(u.table)
        setattr(counts, what, getattr(counts, what) + 1)
        for table, n in u.children.items():
            child = self.report.of(table)
            setattr(child, what, getattr(child, what) + n)

    def _chunk(self, chunk: list[Unit]) -> None:
        if self.dry_run:
            for u in chunk:
                self._count(u, "written")
            return
        found = {(i["PK"], i["SK"]): i for i in db.batch_get([u.key for u in chunk])}
        todo: list[Unit] = []
        seen: set[tuple[str, str]] = set()
        for u in chunk:
            key = (u.key["PK"], u.key["SK"])
            item = found.get(key)
            if item is not None:
                self._classify(u, item)
            elif key in seen:  # two rows of this chunk at one key (e.g. slugs differing in case)
                self._conflict(u, "taken by another row of the original")
            elif len(u.actions) + len(u.totals) > MAX_ACTIONS:
                self._conflict(u, f"{len(u.actions)} items: more than one transaction holds")
            else:
                seen.add(key)
                todo.append(u)
        for u in todo:
            if u.upload is not None:
                image_store.upload(*u.upload)
        for group in _pack(todo):
            self._commit(group)

    def _classify(self, u: Unit, item: dict[str, Any]) -> None:
        identity = item.get("id")
        if identity is not None and int(identity) == int(u.identity):
            self._count(u, "present")
        else:
            self._conflict(u, f"{u.key['PK']} {u.key['SK']} holds another entity")

    def _conflict(self, u: Unit, detail: str) -> None:
        self._refused(u, checks.TAKEN, detail)

    def _refused(self, u: Unit, problem: str, detail: str) -> None:
        self.report.findings.add(u.table, u.row_id, problem, "skipped", detail)
        self._count(u, "skipped")

    def _commit(self, group: list[Unit]) -> None:
        for attempt in range(db.MAX_ATTEMPTS):
            try:
                db.transact(_merged(group))
            except ClientError as error:
                # A request DynamoDB refuses outright (e.g. an item it cannot hold): the units
                # one at a time, and the one refused alone is reported, not retried forever.
                if error.response.get("Error", {}).get("Code") != "ValidationException":
                    raise
                if len(group) > 1:
                    for single in group:
                        self._commit([single])
                    return
                message = str(error.response["Error"].get("Message", ""))
                self._refused(group[0], checks.TOO_LARGE, f"refused by DynamoDB: {message}")
                return
            except db.TransactionFailed as failure:
                if len(group) > 1:
                    for single in group:  # one at a time: the one that cannot go stays out
                        self._commit([single])
                    return
                if failure.conflict:
                    db.back_off(attempt)
                    continue
                self._rejected(group[0], failure)
                return
            for u in group:
                self._count(u, "written")
            return
        raise db.TransactionFailed(["TransactionConflict"])

    def _rejected(self, u: Unit, failure: db.TransactionFailed) -> None:
        """A unit's transaction failed a condition: its item written meanwhile (present), or
        a key of it held by another entity (a conflict: skipped)."""
        if failure.failed(0):
            found = db.batch_get([u.key])
            if found:
                self._classify(u, found[0])
                return
        taken = [
            " ".join(_touched(action))
            for index, action in enumerate(u.actions)
            if failure.failed(index)
        ]
        self._conflict(u, "; ".join(taken) or ", ".join(failure.reasons))


def _merged(group: list[Unit]) -> list[Action]:
    actions = [action for u in group for action in u.actions]
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for u in group:
        for key, delta in u.totals.items():
            totals[key] += delta
    actions.extend(
        db.header_total_change({"PK": pk, "SK": sk}, delta)
        for (pk, sk), delta in totals.items()
        if delta
    )
    return actions


def _pack(units: list[Unit]) -> Iterator[list[Unit]]:
    """Groups of units that fit one transaction: at most MAX_ACTIONS actions (the merged
    totals included), MAX_BYTES, and no item touched by two units (list headers aside)."""
    group: list[Unit] = []
    headers: set[tuple[str, str]] = set()
    touched: set[tuple[str, str]] = set()
    actions = size = 0
    for u in units:
        own = {_touched(action) for action in u.actions}
        new_headers = set(u.totals) - headers
        n, bytes_ = len(u.actions) + len(new_headers), u.size()
        if group and (
            actions + n > MAX_ACTIONS or size + bytes_ > MAX_BYTES or own & (touched | headers)
        ):
            yield group
            group, headers, touched, actions, size = [], set(), set(), 0, 0
            new_headers = set(u.totals)
            n = len(u.actions) + len(new_headers)
        group.append(u)
        headers |= new_headers
        touched |= own
        actions += n
        size += bytes_
    if group:
        yield group


# --- what is known of the rows already imported ------------------------------------------------


@dataclass(frozen=True)
class BadgePlace:
    slug: str
    system_id: int
    issuer_id: int | None
    program_id: int | None


@dataclass
class Known:
    """Per-entity facts the later tables need (ids, containers): bounded by the number of
    images, containers, badges and applications, never of instances."""

    images: dict[int, dict[str, str]] = field(default_factory=dict)  # id -> owner attributes
    downloads: set[int] = field(default_factory=set)  # images of no stored type (downloads)
    criteria: dict[int, set[int]] = field(default_factory=dict)  # badge id -> criterion ids
    systems: dict[int, str] = field(default_factory=dict)  # id -> slug
    issuers: dict[int, int] = field(default_factory=dict)  # id -> system id
    programs: dict[int, tuple[int, int]] = field(default_factory=dict)  # id -> (system, issuer)
    badges: dict[int, BadgePlace] = field(default_factory=dict)
    applications: dict[int, tuple[int, str]] = field(default_factory=dict)  # id -> (badge, slug)
    top: dict[str, int] = field(default_factory=dict)  # table -> largest id read

    def saw(self, table: str, row: dict[str, Any]) -> None:
        row_id = row.get("id")
        if isinstance(row_id, int) and row_id > self.top.get(table, 0):
            self.top[table] = row_id


# --- the import ------------------------------------------------------------------------------


class Import:
    def __init__(self, source: Source, dry_run: bool, progress: Progress | None) -> None:
        self.source = source
        self.report = Report(dry_run=dry_run)
        self.writer = Writer(self.report, dry_run)
        self.progress = progress
        self.known = Known()
        self.findings = self.report.findings
        self.available = set(source.tables())
        self.totals: dict[str, int] = {}

    # rows and progress

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        if table not in self.available:
            return
        counts = self.report.of(table)
        for row in self.source.rows(table):
            counts.read += 1
            self.known.saw(table, row)
            yield row

    def check(self, table: str, row: dict[str, Any]) -> RowCheck:
        return RowCheck(self.findings, table, row)

    def skip(self, check: RowCheck, problem: str, detail: str) -> None:
        check.note(problem, "skipped", detail)
        self.report.of(check.table).skipped += 1

    def advanced(self, table: str) -> None:
        """Report progress: rows of `table` read (and so written, skipped or found) so far."""
        if self.progress is None:
            return
        total = self.totals.get(table)
        if total is None:  # one count per table (a COUNT(*) on a MySQL source)
            total = self.totals[table] = self.source.count(table) if table in self.available else 0
        self.progress(table, self.report.of(table).read, total)

    def write(self, table: str, units: Iterable[Unit]) -> None:
        self.writer.write(units, lambda _: self.advanced(table))
        self.advanced(table)

    def children(self, table: str, parent: str) -> dict[int, list[dict[str, Any]]]:
        """A child table's rows grouped by parent id, each group in id order."""
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in self.rows(table):
            grouped[int(row[parent])].append(row)
        for rows in grouped.values():
            rows.sort(key=lambda r: int(r.get("id") or 0))
        self.advanced(table)
        return grouped

    def orphans(self, table: str, grouped: dict[int, list[dict[str, Any]]], parents: Any) -> None:
        """Child rows whose parent was not imported: skipped (the parent's own finding, or a
        dangling reference)."""
        for parent_id, rows in grouped.items():
            if parent_id not in parents:
                for row in rows:
                    self.skip(self.check(table, row), checks.DANGLING, f"parent {parent_id}")

    # the tables

    def run(self) -> Report:
        started = time.monotonic()
        self.images()
        self.systems()
        self.issuers()
        self.programs()
        self.consumers()
        self.webhooks()
        milestones, supports = self.read_milestones()
        self.badges(milestones)
        self.codes()
        self.instances()
        self.applications()
        self.reviews()
        self.milestones(milestones, supports)
        self.raise_counters()
        self.report.elapsed = time.monotonic() - started
        return self.report

    def images(self) -> None:
        def units() -> Iterator[Unit]:
            for row in self.rows("images"):
                check = self.check("images", row)
                slug = check.slug()
                decision = checks.image(check)
                if slug is None or decision.skip:
                    self.report.of("images").skipped += 1
                    continue
                item: ImageRecord = {"entity": "image", "id": int(row["id"]), "slug": slug}
                upload = None
                if decision.url is not None:
                    item["url"] = decision.url
                    self.known.images[item["id"]] = {"imageUrl": decision.url}
                else:
                    assert decision.data is not None
                    assert decision.mimetype is not None
                    object_key = image_store.object_key(slug)
                    item.update(
                        {
                            "mimetype": decision.mimetype,
                            "s3Key": object_key,
                            "size": len(decision.data),
                        }
                    )
                    upload = (object_key, decision.data, decision.mimetype)
                    self.known.images[item["id"]] = {"imageSlug": slug}
                    if decision.mimetype not in image_rules.STORED_TYPES:
                        self.known.downloads.add(item["id"])
                yield unit("images", row["id"], [image_store.put_new(item)], upload)

        self.write("images", units())

    def image_of(self, check: RowCheck) -> dict[str, str]:
        image_id = check.row.get("imageId")
        if image_id is None:
            return {}
        found = self.known.images.get(int(image_id))
        if found is None:
            check.note(checks.DANGLING, "changed", f"imageId {image_id}: imported without image")
            return {}
        if int(image_id) in self.known.downloads:
            check.note(checks.NOT_AN_IMAGE, "as-is", f"imageId {image_id}: served as a download")
        return dict(found)

    def container(self, check: RowCheck) -> dict[str, Any] | None:
        slug = check.slug()
        if slug is None:
            return None
        values: dict[str, Any] = {
            "id": int(check.row["id"]),
            "slug": slug,
            "name": check.text("name", 255, required=True) or "",
            "url": check.url("url") or "",
            "version": 1,
        }
        description = check.text("description", 255)
        email = check.email("email")
        if description is not None:
            values["description"] = description
        if email is not None:
            values["email"] = email
        values.update(self.image_of(check))
        return values

    def systems(self) -> None:
        def units() -> Iterator[Unit]:
            for row in self.rows("systems"):
                check = self.check("systems", row)
                values = self.container(check)
                if values is None:
                    self.report.of("systems").skipped += 1
                    continue
                system = record({"entity": "system", **values}, SystemRecord)
                self.known.systems[system["id"]] = system["slug"]
                yield self.container_unit("systems", system, keys.systems_list())

        self.write("systems", units())

    def container_unit(
        self,
        table: str,
        container: SystemRecord | IssuerRecord | ProgramRecord,
        members: keys.ListScope,
    ) -> Unit:
        return unit(table, container["id"], container_store.new_actions(container, members))

    def issuers(self) -> None:
        def units() -> Iterator[Unit]:
            for row in self.rows("issuers"):
                check = self.check("issuers", row)
                system_id = row.get("systemId")
                if system_id is None or int(system_id) not in self.known.systems:
                    self.skip(check, checks.DANGLING, f"systemId {system_id}")
                    continue
                values = self.container(check)
                if values is None:
                    self.report.of("issuers").skipped += 1
                    continue
                issuer = record(
                    {"entity": "issuer", **values, "systemId": int(system_id)}, IssuerRecord
                )
                self.known.issuers[issuer["id"]] = issuer["systemId"]
                scope = keys.issuers_list(issuer["systemId"])
                yield self.container_unit("issuers", issuer, scope)

        self.write("issuers", units())

    def programs(self) -> None:
        def units() -> Iterator[Unit]:
            for row in self.rows("programs"):
                check = self.check("programs", row)
                issuer_id = row.get("issuerId")
                if issuer_id is None or int(issuer_id) not in self.known.issuers:
                    self.skip(check, checks.DANGLING, f"issuerId {issuer_id}")
                    continue
                values = self.container(check)
                if values is None:
                    self.report.of("programs").skipped += 1
                    continue
                system_id = self.known.issuers[int(issuer_id)]
                program = record(
                    {
                        "entity": "program",
                        **values,
                        "systemId": system_id,
                        "issuerId": int(issuer_id),
                    },
                    ProgramRecord,
                )
                self.known.programs[program["id"]] = (system_id, int(issuer_id))
                scope = keys.programs_list(system_id, int(issuer_id))
                yield self.container_unit("programs", program, scope)

        self.write("programs", units())

    def consumers(self) -> None:
        def units() -> Iterator[Unit]:
            for row in self.rows("consumers"):
                check = self.check("consumers", row)
                system_id = row.get("systemId")
                if system_id is None or int(system_id) not in self.known.systems:
                    self.skip(check, checks.DANGLING, f"systemId {system_id}")
                    continue
                api_key = check.text("apiKey", 255) or ""
                if not api_key:
                    self.skip(check, checks.EMPTY, "apiKey")
                    continue
                consumer: ConsumerRecord = {
                    "entity": "consumer",
                    "id": int(row["id"]),
                    "apiKey": api_key,
                    "apiSecret": check.text("apiSecret", 255) or "",
                    "systemId": int(system_id),
                }
                description = check.text("description", 255)
                if description is not None:
                    consumer["description"] = description
                yield unit("consumers", consumer["id"], consumer_store.add(consumer))

        self.write("consumers", units())

    def webhooks(self) -> None:
        created = int(time.time())

        def units() -> Iterator[Unit]:
            for row in self.rows("webhooks"):
                check = self.check("webhooks", row)
                system_id = row.get("systemId")
                if system_id is None or int(system_id) not in self.known.systems:
                    self.skip(check, checks.DANGLING, f"systemId {system_id}")
                    continue
                webhook: WebhookRecord = {
                    "id": int(row["id"]),
                    "systemId": int(system_id),
                    "url": checks.webhook_url(check) or "",
                    "secret": check.text("secret", 255) or "",
                    "disabled": False,
                    "created": created,
                }
                actions = webhook_store.new_webhook_actions(webhook)
                yield unit("webhooks", webhook["id"], actions)

        self.write("webhooks", units())

    # badges

    def read_milestones(self) -> tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]]]:
        """Milestones and their support rows, read before the badges (a badge keeps the count
        of milestones naming it primary): a system's milestones are few."""
        milestones = list(self.rows("milestones"))
        supports = self.children("milestoneBadges", "milestoneId")
        return milestones, supports

    def badges(self, milestones: list[dict[str, Any]]) -> None:
        primaries: dict[int, int] = defaultdict(int)
        for row in milestones:
            if row.get("primaryBadgeId") is not None:
                primaries[int(row["primaryBadgeId"])] += 1
        criteria = self.children("criteria", "badgeId")
        alignments = self.children("alignments", "badgeId")
        categories = self.children("categories", "badgeId")
        tags = self.children("tags", "badgeId")
        groups = {
            "criteria": criteria,
            "alignments": alignments,
            "categories": categories,
            "tags": tags,
        }

        def units() -> Iterator[Unit]:
            for row in self.rows("badges"):
                check = self.check("badges", row)
                badge = self.badge(check, groups, primaries.get(int(row["id"]), 0))
                if badge is None:  # its child rows are skipped with the orphans below
                    self.report.of("badges").skipped += 1
                    continue
                u = unit("badges", badge["id"], badge_rules.new_actions(badge))
                u.children = {
                    "criteria": len(badge.get("criteria", [])),
                    "alignments": len(badge.get("alignments", [])),
                    "categories": len(badge.get("categories", [])),
                    "tags": len(badge.get("tags", [])),
                }
                self.known.criteria[badge["id"]] = {c["id"] for c in badge.get("criteria", [])}
                self.known.badges[badge["id"]] = BadgePlace(
                    badge["slug"], badge["systemId"], badge.get("issuerId"), badge.get("programId")
                )
                yield u

        self.write("badges", units())
        for name, grouped in groups.items():
            self.orphans(name, grouped, self.known.badges)

    def place(self, check: RowCheck) -> tuple[int, int | None, int | None] | None:
        """A badge's (system, issuer, program), from its most specific container: a program
        gives its issuer and system, an issuer its system."""
        row = check.row
        system_id, issuer_id, program_id = (
            row.get("systemId"),
            row.get("issuerId"),
            row.get("programId"),
        )
        if program_id is not None:
            found = self.known.programs.get(int(program_id))
            if found is None:
                check.note(checks.DANGLING, "skipped", f"programId {program_id}")
                return None
            parents = (found[0], found[1])
            if (system_id, issuer_id) != parents:
                check.note(
                    checks.INCONSISTENT,
                    "changed",
                    f"systemId {system_id}, issuerId {issuer_id}: the program's are {parents}",
                )
            return found[0], found[1], int(program_id)
        if issuer_id is not None:
            found_system = self.known.issuers.get(int(issuer_id))
            if found_system is None:
                check.note(checks.DANGLING, "skipped", f"issuerId {issuer_id}")
                return None
            if system_id != found_system:
                check.note(
                    checks.INCONSISTENT,
                    "changed",
                    f"systemId {system_id}: the issuer's is {found_system}",
                )
            return found_system, int(issuer_id), None
        if system_id is None or int(system_id) not in self.known.systems:
            check.note(checks.DANGLING, "skipped", f"systemId {system_id}")
            return None
        return int(system_id), None, None

    def badge(
        self, check: RowCheck, groups: dict[str, dict[int, list[dict[str, Any]]]], primaries: int
    ) -> BadgeRecord | None:
        row = check.row
        slug = check.slug()
        place = self.place(check)
        if slug is None or place is None:
            return None
        badge_id = int(row["id"])
        system_id, issuer_id, program_id = place
        badge: dict[str, Any] = {
            "entity": "badge",
            "id": badge_id,
            "slug": slug,
            "name": check.text("name", 255, required=True) or "",
            "earnerDescription": check.text("earnerDescription", TEXT, required=True) or "",
            "consumerDescription": check.text("consumerDescription", TEXT, required=True) or "",
            "criteriaUrl": check.url("criteriaUrl") or "",
            "unique": check.flag("unique"),
            "archived": check.flag("archived"),
            "type": check.text("type", 255) or "",
            "systemId": system_id,
            "created": check.timestamp("created", required=True),
            "version": 1,
            badge_store.PRIMARY_COUNT: primaries,
        }
        optional = {
            "strapline": check.text("strapline", 140),
            "issuerUrl": check.text("issuerUrl", 255),
            "rubricUrl": check.text("rubricUrl", 255),
            "timeValue": row.get("timeValue"),
            "timeUnits": row.get("timeUnits"),
            "limit": row.get("limit"),
            "evidenceType": row.get("evidenceType"),
            "issuerId": issuer_id,
            "programId": program_id,
        }
        badge.update({name: value for name, value in optional.items() if value is not None})
        badge.update(self.image_of(check))
        if row.get("imageId") is None:
            check.note(checks.DANGLING, "as-is", "imageId null: imageUrl renders null")
        badge["criteria"] = [
            {
                "id": int(c["id"]),
                "description": c.get("description") or "",
                "required": bool(c.get("required") or False),
                "note": c.get("note") or "",
            }
            for c in groups["criteria"].get(badge_id, [])
        ]
        badge["alignments"] = [
            {
                "id": int(a["id"]),
                "name": a.get("name") or "",
                "url": a.get("url") or "",
                "description": a.get("description") or "",
            }
            for a in groups["alignments"].get(badge_id, [])
        ]
        badge["categories"] = self.values("categories", groups["categories"].get(badge_id, []))
        badge["tags"] = [
            {"id": int(t["id"]), "value": t["value"]}
            for t in self.values_rows("tags", groups["tags"].get(badge_id, []))
        ]
        for alignment in groups["alignments"].get(badge_id, []):
            self.check("alignments", alignment).url("url", TEXT)
        size = len(dumps(badge_store.stored_form(badge)).encode())
        if size > badge_rules.MAX_ITEM_BYTES:
            check.note(checks.TOO_LARGE, "skipped", f"{size} bytes")
            return None
        return record(badge, BadgeRecord)

    def values_rows(self, table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Category or tag rows without empty values and exact duplicates (the original's
        writes dropped those; data-model.md), the first of each kept."""
        seen: set[str] = set()
        kept = []
        for row in rows:
            value = row.get("value")
            if value is None or value == "" or value in seen:
                self.skip(self.check(table, row), checks.DUPLICATE, repr(value))
                continue
            seen.add(value)
            kept.append(row)
        return kept

    def values(self, table: str, rows: list[dict[str, Any]]) -> list[str]:
        return [str(row["value"]) for row in self.values_rows(table, rows)]

    # badge children

    def badge_of(self, check: RowCheck) -> BadgePlace | None:
        badge_id = check.row.get("badgeId")
        place = self.known.badges.get(int(badge_id)) if badge_id is not None else None
        if place is None:
            self.skip(check, checks.DANGLING, f"badgeId {badge_id}")
        return place

    def codes(self) -> None:
        def units() -> Iterator[Unit]:
            for row in self.rows("claimCodes"):
                check = self.check("claimCodes", row)
                place = self.badge_of(check)
                if place is None:
                    continue
                text = check.text("code", 255) or ""
                if not text:
                    self.skip(check, checks.EMPTY, "code")
                    continue
                code: CodeRecord = {
                    "id": int(row["id"]),
                    "code": text,
                    "claimed": check.flag("claimed"),
                    "multiuse": check.flag("multiuse"),
                    "badgeId": int(row["badgeId"]),
                    "systemId": place.system_id,
                }
                email = check.email("email")
                if email is not None:
                    code["email"] = email
                if place.issuer_id is not None:
                    code["issuerId"] = place.issuer_id
                if place.program_id is not None:
                    code["programId"] = place.program_id
                yield unit("claimCodes", code["id"], code_store.add_actions(code))

        self.write("claimCodes", units())

    def instances(self) -> None:
        def units() -> Iterator[Unit]:
            for row in self.rows("badgeInstances"):
                check = self.check("badgeInstances", row)
                place = self.badge_of(check)
                if place is None:
                    continue
                slug = check.slug()
                email = check.email("email")
                if slug is None or not email:
                    if slug is not None:
                        self.skip(check, checks.EMPTY, "email")
                    else:
                        self.report.of("badgeInstances").skipped += 1
                    continue
                instance_id, badge_id = int(row["id"]), int(row["badgeId"])
                issued_on = check.timestamp("issuedOn", required=True)
                assert issued_on is not None
                expires = check.timestamp("expires")
                claim_code = check.text("claimCode", 255)
                instance = instance_store.new_record(
                    instance_id=instance_id,
                    slug=slug,
                    email=email,
                    issued_on=issued_on,
                    expires=expires,
                    claim_code=claim_code,
                    badge_id=badge_id,
                    place=(place.system_id, place.issuer_id, place.program_id),
                    salt=assertion_salt(slug),
                )
                actions = [
                    *instance_store.put_actions(instance, instance_store.hosted_of(instance)),
                    instance_store.total_change(badge_id, 1),
                ]
                yield unit("badgeInstances", instance_id, actions)

        self.write("badgeInstances", units())

    def applications(self) -> None:
        evidence = self.children("evidence", "applicationId")

        def units() -> Iterator[Unit]:
            for row in self.rows("applications"):
                check = self.check("applications", row)
                place = self.badge_of(check)
                if place is None:
                    for child in evidence.get(int(row["id"]), []):
                        self.skip(self.check("evidence", child), checks.DANGLING, "application")
                    continue
                slug = check.slug()
                if slug is None:
                    self.report.of("applications").skipped += 1
                    continue
                application_id = int(row["id"])
                created = check.timestamp("created", required=True)
                assert created is not None
                application: ApplicationRecord = {
                    "id": application_id,
                    "slug": slug,
                    "badgeId": int(row["badgeId"]),
                    "systemId": place.system_id,
                    "learner": check.email("learner") or "",
                    "created": created,
                    "evidence": [self.evidence(e) for e in evidence.get(application_id, [])],
                    "version": 1,
                }
                given = (row.get("systemId"), row.get("issuerId"), row.get("programId"))
                if any(value is not None for value in given) and given != (
                    place.system_id,
                    place.issuer_id,
                    place.program_id,
                ):
                    check.note(checks.INCONSISTENT, "changed", f"{given}: the badge's are used")
                if place.issuer_id is not None:
                    application["issuerId"] = place.issuer_id
                if place.program_id is not None:
                    application["programId"] = place.program_id
                assigned_to = check.email("assignedTo")
                if assigned_to is not None:
                    application["assignedTo"] = assigned_to
                expiration = check.timestamp("assignedExpiration")
                if expiration is not None:
                    application["assignedExpiration"] = expiration
                processed = check.timestamp("processed")
                if processed is not None:
                    application["processed"] = processed
                size = assessment_store.application_size(application)
                if size > badge_rules.MAX_ITEM_BYTES:
                    self.skip(check, checks.TOO_LARGE, f"{size} bytes")
                    continue
                self.known.applications[application_id] = (application["badgeId"], slug)
                u = unit(
                    "applications",
                    application_id,
                    assessment_store.new_application_actions(application),
                )
                u.children = {"evidence": len(application["evidence"])}
                yield u

        self.write("applications", units())
        self.orphans("evidence", evidence, self.known.applications)

    def evidence(self, row: dict[str, Any]) -> EvidenceRecord:
        check = self.check("evidence", row)
        media = row.get("mediaType")
        if media is not None and media not in ("image", "link"):
            check.note(checks.INVALID_VALUE, "as-is", f"mediaType {media!r}")
        return {
            "slug": evidence_slug(int(row["id"])),
            "url": check.url("url"),
            "mediaType": media,
            "reflection": check.text("reflection", TEXT),
        }

    def reviews(self) -> None:
        items = self.children("reviewItems", "reviewId")
        imported: set[int] = set()

        def units() -> Iterator[Unit]:
            for row in self.rows("reviews"):
                check = self.check("reviews", row)
                application_id = row.get("applicationId")
                parent = (
                    self.known.applications.get(int(application_id))
                    if application_id is not None
                    else None
                )
                if parent is None:
                    self.skip(check, checks.DANGLING, f"applicationId {application_id}")
                    continue
                slug = check.slug()
                if slug is None:
                    self.report.of("reviews").skipped += 1
                    continue
                review_id = int(row["id"])
                review: ReviewRecord = {
                    "id": review_id,
                    "slug": slug,
                    "badgeId": parent[0],
                    "applicationId": int(application_id),  # type: ignore[arg-type]
                    "author": check.email("author") or "",
                    "reviewItems": [
                        {
                            "criterionId": int(item["criterionId"]),
                            "satisfied": bool(item.get("satisfied") or False),
                            "comment": self.check("reviewItems", item).text("comment", TEXT),
                        }
                        for item in items.get(review_id, [])
                    ],
                    "version": 1,
                }
                comment = check.text("comment", TEXT)
                if comment is not None:
                    review["comment"] = comment
                own = self.known.criteria.get(parent[0], set())
                for item in items.get(review_id, []):
                    if int(item["criterionId"]) not in own:
                        self.check("reviewItems", item).note(
                            checks.DANGLING,
                            "as-is",
                            f"criterionId {item['criterionId']} is not a criterion of the badge",
                        )
                imported.add(review_id)
                u = unit("reviews", review_id, assessment_store.new_review_actions(review))
                u.children = {"reviewItems": len(review["reviewItems"])}
                yield u

        self.write("reviews", units())
        self.orphans("reviewItems", items, imported)

    def milestones(
        self, milestones: list[dict[str, Any]], supports: dict[int, list[dict[str, Any]]]
    ) -> None:
        imported: set[int] = set()

        def units() -> Iterator[Unit]:
            for row in milestones:
                check = self.check("milestones", row)
                system_id, primary = row.get("systemId"), row.get("primaryBadgeId")
                if system_id is None or int(system_id) not in self.known.systems:
                    self.skip(check, checks.DANGLING, f"systemId {system_id}")
                    continue
                if primary is None or int(primary) not in self.known.badges:
                    self.skip(check, checks.DANGLING, f"primaryBadgeId {primary}")
                    continue
                action = row.get("action")
                if action is None:
                    check.note(checks.NULL_ACTION, "changed", "rendered as the default `issue`")
                    action = "issue"
                milestone_id = int(row["id"])
                support: list[int] = []
                for entry in supports.get(milestone_id, []):
                    badge_id = entry.get("badgeId")
                    if badge_id is None or int(badge_id) not in self.known.badges:
                        self.skip(
                            self.check("milestoneBadges", entry),
                            checks.DANGLING,
                            f"badgeId {badge_id}",
                        )
                    elif int(badge_id) not in support:
                        support.append(int(badge_id))
                strangers = [
                    badge_id
                    for badge_id in [int(primary), *support]
                    if self.known.badges[badge_id].system_id != int(system_id)
                ]
                if strangers:
                    check.note(checks.OTHER_SYSTEM, "as-is", f"badges {strangers}")
                if len(support) > 32:
                    check.note(checks.TOO_LONG, "as-is", f"{len(support)} support badges (32)")
                milestone: MilestoneRecord = {
                    "id": milestone_id,
                    "systemId": int(system_id),
                    "primaryBadgeId": int(primary),
                    "numberRequired": int(row.get("numberRequired") or 0),
                    "action": str(action),
                    "supportBadgeIds": sorted(support),
                    "version": 1,
                }
                imported.add(milestone_id)
                actions = [
                    milestone_store.put_action(milestone, None),
                    *milestone_store.support_actions(milestone, [], milestone["supportBadgeIds"]),
                    milestone_store.total_change(milestone["systemId"], 1),
                ]
                u = unit("milestones", milestone_id, actions)
                u.children = {"milestoneBadges": len(support)}
                yield u

        self.write("milestones", units())
        self.orphans("milestoneBadges", supports, imported)

    def raise_counters(self) -> None:
        if self.report.dry_run:
            return
        current = db.get(keys.id_counters()) or {}
        for table, top in sorted(self.known.top.items()):
            entity = COUNTERS.get(table)
            if entity is None or int(current.get(entity, 0)) >= top:
                continue  # already above (a re-run writes nothing)
            if db.raise_counter(entity, top):
                self.report.counters[entity] = top


def assertion_salt(slug: str) -> str:
    """The OB 2.0 salt of an imported award: the original hashed recipients unsalted (OB 1.0
    keeps that hash unchanged); the salt is derived from the instance's slug, so every run of
    the import writes the same one and the published salted hash never changes. Like any salt
    it is published in the assertion; it only has to differ between awards."""
    return hashlib.sha256(f"badgekit-import-salt:{slug.lower()}".encode()).hexdigest()[:32]


def evidence_slug(evidence_id: int) -> str:
    """An imported evidence item's slug (assessment.md: 32 lowercase hex characters): derived
    from its id in the original, so a re-run writes the same one."""
    return hashlib.sha256(f"badgekit-import-evidence:{evidence_id}".encode()).hexdigest()[:32]


def import_all(source: Source, *, dry_run: bool, progress: Progress | None = None) -> Report:
    """Import every table of `source` (see the module docstring); the report counts, per
    table, the rows read, written (or, in a dry run, to write), already present and skipped,
    with the findings of `migrate.checks`."""
    return Import(source, dry_run, progress).run()
