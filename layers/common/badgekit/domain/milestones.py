"""Milestones (spec milestones.md; data-model M1-M5) and their auto-award.

A milestone lives in its system's partition at `keys.milestone(systemId, id)`, so M1 (a system's
milestones, ascending id) is one strongly consistent Query of the `MILESTONE#` prefix (the list
header with the exact `total` sorts first; the Query stops at the end of the page) and M2 one
GetItem; a milestone of another system simply is not there. The item carries its support list
(`supportBadgeIds`, ascending) and is indexed on GSI2 by its primary badge (M3). Each support
badge also has an entry at `keys.milestone_support(badgeId, milestoneId)`: the partition
`SUPPORT#<badgeId>` answers "milestones listing B" (M4) with a strongly consistent Query.

Every change writes the milestone and the support entries it adds or removes in ONE transaction,
conditioned on the milestone's `version`, so concurrent edits never leave the reverse index out
of step. Badges a write starts referencing are checked in the same transaction (`id = :id` at
their key): a badge deleted meanwhile makes the write fail instead of leaving a reference that
the badge-delete cascade (`detach_badge`, run after the badge is gone) could miss.

Auto-award (`auto_award`) runs from the table's stream, after the award that triggers it has
committed, never inside the API request. Every expression and every read of a milestone is in
`store/milestones.py`, which hands back `MilestoneRecord`s.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from badgekit.domain import badges, instances, render
from badgekit.domain.places import Place
from badgekit.domain.validation import (
    INVALID_INTEGER,
    MILESTONE_ID_DIGITS,
    REQUIRED,
    CoercionError,
    IntegerField,
    Report,
    Rule,
    StringField,
    as_integer,
    check_fields,
)
from badgekit.errors import ResourceNotFound
from badgekit.store import badges as badge_store
from badgekit.store import containers as container_store
from badgekit.store import db
from badgekit.store import instances as instance_store
from badgekit.store import milestones as milestone_store
from badgekit.store.badges import BadgeRecord
from badgekit.store.containers import SystemRecord
from badgekit.store.instances import InstanceRecord
from badgekit.store.milestones import MilestoneRecord

# Badges a transaction found missing at their key: (id, PK) of the index entry that named them.
Gone = frozenset[tuple[int, str]]
# (current milestone, badges found gone) -> (updated milestone, or None: no change; its badges)
Change = Callable[[MilestoneRecord, Gone], tuple[MilestoneRecord | None, dict[int, BadgeRecord]]]

logger = logging.getLogger(__name__)

ENTITY = milestone_store.ENTITY
ACTIONS = ("issue", "queue-application")
ACTION_MESSAGE = "Value must be one of the following: issue, queue-application"
UNKNOWN_BADGE = "Unknown badge"
# One write is one transaction (at most 100 actions): the milestone, the support entries it adds
# and removes, and a check per newly referenced badge. Replacing a full list by another full list
# takes 2 + 3 * 32 = 98 actions.
MAX_SUPPORT_BADGES = 32
TOO_MANY = f"Too many support badges (at most {MAX_SUPPORT_BADGES})"
# Optimistic-concurrency attempts of one write (concurrent edits of one milestone retry with a
# jittered backoff).
ATTEMPTS = 8

FIELDS = (
    IntegerField("primaryBadgeId", required=True),
    IntegerField("numberRequired", required=True),
    StringField("action", rules=(Rule(lambda text: text in ACTIONS, ACTION_MESSAGE),)),
)
SUPPORT = "supportBadges"
ORDER = (*(spec.name for spec in FIELDS), SUPPORT)
BADGE_ID = IntegerField("badgeId", required=True)

_ID = re.compile(rf"^[0-9]{{1,{MILESTONE_ID_DIGITS}}}$")


# --- reading -------------------------------------------------------------------------------------


def not_found(milestone_id: str) -> ResourceNotFound:
    return ResourceNotFound.for_field("milestone", "id", milestone_id)


def get(system: SystemRecord, milestone_id: str) -> MilestoneRecord:
    """M2: the milestone `milestone_id` (the decoded path segment) of `system`, else the 404."""
    if not _ID.match(milestone_id):
        raise not_found(milestone_id)
    item = milestone_store.get(system["id"], int(milestone_id))
    if item is None:
        raise not_found(milestone_id)
    return item


def list_milestones(
    system: SystemRecord, page: db.Page | None
) -> tuple[list[MilestoneRecord], int]:
    """M1: ascending id, one page or all, and the exact total.

    One strongly consistent Query reads the list header (its `total`, kept in the transactions
    that create and delete milestones) and the milestones up to the end of the page."""
    return milestone_store.page_of(system["id"], page)


def referenced(milestones: Iterable[MilestoneRecord]) -> set[int]:
    """Every badge id the milestones name (primary and support)."""
    ids: set[int] = set()
    for milestone in milestones:
        ids.add(milestone["primaryBadgeId"])
        ids.update(milestone.get("supportBadgeIds", []))
    return ids


def of_primary(badge: BadgeRecord, system: SystemRecord) -> list[MilestoneRecord]:
    """M3: the milestones of `system` whose primary badge is `badge`, ascending id.

    None when the badge's count of primary milestones is 0 (no call). Else (a count above 0,
    or none kept: a badge written before it was) GSI2 (keys only) finds them; when there are
    any, one consistent BatchGetItem reads them."""
    if badge_store.has_no_primaries(badge):
        return []
    badge_id, system_id = badge["id"], system["id"]
    return sorted(
        (
            m
            for m in milestone_store.of_primary(badge_id)
            if m["systemId"] == system_id and m["primaryBadgeId"] == badge_id
        ),
        key=lambda m: m["id"],
    )


# --- representation ----------------------------------------------------------------------------


def need(renderer: render.Renderer, milestones: Iterable[MilestoneRecord]) -> render.Renderer:
    """Look up the badges the milestones name that the renderer does not know yet. A support
    badge under an issuer or program being purged is left out, as its purge will detach it
    (a primary one stays until the purge deletes the milestone: docs/compatibility.md)."""
    milestones = list(milestones)
    missing = referenced(milestones) - set(renderer.badges)
    primaries = {milestone["primaryBadgeId"] for milestone in milestones}
    found = badges.indexed_by_id(missing)
    renderer.badges.update(
        (badge_id, badge)
        for badge_id, badge in found.items()
        if badge_id in primaries or not renderer.place.purged(badge)
    )
    return renderer


def for_badge(badge: BadgeRecord, place: Place, base_url: str) -> list[dict[str, Any]]:
    """The `milestones` key of a single-badge GET (badges.md): milestones of the URL's system
    whose primary badge is this badge."""
    found = of_primary(badge, place.system)
    if not found:
        return []
    renderer = render.Renderer(Place(place.system), base_url, {badge["id"]: badge})
    need(renderer, found)
    return [renderer.milestone_json(m) for m in found]


# --- input -------------------------------------------------------------------------------------


@dataclass
class Parsed:
    """A validated body: the fields present (absent = keep on PUT) and the badges looked up."""

    values: dict[str, Any]
    support: list[int] | None
    badges: dict[int, BadgeRecord]


def _sort_key(detail: Mapping[str, Any]) -> tuple[int, int]:
    name = str(detail["field"])
    base, _, index = name.partition("[")
    return ORDER.index(base), int(index.rstrip("]") or -1)


def _support_input(
    fields: Mapping[str, Any], report: Report
) -> tuple[list[tuple[int, Any, int]] | None, bool]:
    """`supportBadges` as (index, submitted value, id) entries; (None, present).

    More than MAX_SUPPORT_BADGES entries (duplicates included: the input's length, README §3
    limits) is the one `supportBadges` detail, without a `value` key (the list is not echoed),
    raised at once with the details found so far: no entry is looked at and nothing looked up."""
    if SUPPORT not in fields:
        return None, False
    raw = fields.get(SUPPORT)
    if raw is None:
        report.add(SUPPORT, REQUIRED, raw)
        return None, True
    values = raw if isinstance(raw, list) else [raw]
    if len(values) > MAX_SUPPORT_BADGES:
        report.add(SUPPORT, TOO_MANY, with_value=False)
        report.raise_if_any()
    entries: list[tuple[int, Any, int]] = []
    for index, value in enumerate(values):
        try:
            entries.append((index, value, as_integer(value)))
        except CoercionError:
            report.add(f"{SUPPORT}[{index}]", INVALID_INTEGER, value)
    return entries, True


def parse(
    system: SystemRecord,
    fields: Mapping[str, Any],
    current: MilestoneRecord | None = None,
    gone: Gone = frozenset(),
) -> Parsed:
    """Validate a create (`current` None) or partial-update body (milestones.md input fields).

    Details come in the order primaryBadgeId, numberRequired, action, supportBadges. Badge ids
    must name badges of `system` (`Unknown badge`); the badges are looked up once, together with
    those `current` keeps, so the response needs no further lookup. `gone` holds (id, key) pairs
    of badges a transaction found missing: a stale index entry for one counts as unknown.
    A support list over the limit fails before any lookup (with the details found so far)."""
    report = Report()
    specs = FIELDS if current is None else tuple(s for s in FIELDS if s.name in fields)
    values = check_fields(specs, fields, report)
    entries, present = _support_input(fields, report)
    if current is None and not present:
        report.add(SUPPORT, REQUIRED, None)
    primary = values.get("primaryBadgeId")
    wanted = {badge_id for _, _, badge_id in entries or []}
    if primary is not None:
        wanted.add(primary)
    if current is not None:
        wanted |= referenced([current])
    found = badges.indexed_by_id(wanted)
    system_id, place = system["id"], Place(system)
    current_primary = None if current is None else current["primaryBadgeId"]
    ours = {
        badge_id: item
        for badge_id, item in found.items()
        if item["systemId"] == system_id
        and (badge_id, badge_store.key_of(item)["PK"]) not in gone
        # under an issuer or program being purged: gone (a current primary shows until the
        # purge deletes its milestone, as `need` renders it)
        and (not place.purged(item) or (current is not None and badge_id == current_primary))
    }
    if primary is not None and primary not in ours:
        report.add("primaryBadgeId", UNKNOWN_BADGE, fields.get("primaryBadgeId"))
    for index, value, badge_id in entries or []:
        if badge_id not in ours:
            report.add(f"{SUPPORT}[{index}]", UNKNOWN_BADGE, value)
    report.details.sort(key=_sort_key)
    report.raise_if_any()
    support = None if entries is None else sorted({badge_id for _, _, badge_id in entries})
    return Parsed(values, support, ours)


def parse_badge_id(fields: Mapping[str, Any]) -> int:
    """add-badge / remove-badge body: `badgeId`, a required integer."""
    report = Report()
    values = check_fields((BADGE_ID,), fields, report)
    report.raise_if_any()
    badge_id: int = values["badgeId"]
    return badge_id


# --- writing -----------------------------------------------------------------------------------


@dataclass
class Write:
    """One milestone transaction and, for its failures, which actions checked which badge."""

    actions: list[dict[str, Any]]
    checks: dict[int, BadgeRecord]  # action index -> badge checked there

    def gone(self, failure: db.TransactionFailed) -> set[tuple[int, str]]:
        return {
            (badge["id"], badge_store.key_of(badge)["PK"])
            for index, badge in self.checks.items()
            if failure.failed(index)
        }


def _write(
    current: MilestoneRecord | None,
    updated: MilestoneRecord,
    found: Mapping[int, BadgeRecord],
    extra: list[dict[str, Any]] | None = None,
) -> Write:
    """The transaction turning `current` (None: nothing yet) into `updated`."""
    before = referenced([current]) if current is not None else set()
    old = set(current.get("supportBadgeIds", [])) if current is not None else set()
    new = set(updated["supportBadgeIds"])
    if current is None:
        put = milestone_store.put_action(updated, None)
    else:
        updated["version"] = current.get("version", 0) + 1
        put = milestone_store.put_action(updated, current.get("version", 0))
    actions: list[dict[str, Any]] = [
        put,
        *(extra or []),
        *milestone_store.support_actions(updated, sorted(old - new), sorted(new - old)),
    ]
    checks: dict[int, BadgeRecord] = {}
    counted: set[int] = set()
    old_primary = current["primaryBadgeId"] if current is not None else None
    if updated["primaryBadgeId"] != old_primary:
        # The badges' counts of primary milestones: +1 on the new primary (which checks it too),
        # -1 on the old one where it is known (a count too high only costs a GET its Query).
        for badge_id, delta in ((updated["primaryBadgeId"], 1), (old_primary, -1)):
            badge = found.get(badge_id) if badge_id is not None else None
            if badge is None or not badge_store.counts_primaries(badge):
                continue
            counted.add(badge["id"])
            checks[len(actions)] = badge
            actions.append(_count_change(badge, delta))
    for badge_id in sorted(referenced([updated]) - before - counted):
        checks[len(actions)] = found[badge_id]
        actions.append(badge_store.still_there(found[badge_id]))
    return Write(actions, checks)


def _count_change(badge: BadgeRecord, delta: int) -> dict[str, Any]:
    return badge_store.primary_count_change(badge_store.key_of(badge), badge["id"], delta)


def create(
    system: SystemRecord, fields: Mapping[str, Any]
) -> tuple[MilestoneRecord, dict[int, BadgeRecord]]:
    """POST /systems/{s}/milestones: the milestone and its support entries, atomically.

    Returns the milestone and the badges it names (for the response)."""
    gone: set[tuple[int, str]] = set()
    for attempt in range(ATTEMPTS):
        parsed = parse(system, fields, None, frozenset(gone))
        milestone_id = db.next_id(ENTITY)
        item: MilestoneRecord = {
            "id": milestone_id,
            "systemId": system["id"],
            "primaryBadgeId": int(parsed.values["primaryBadgeId"]),
            "numberRequired": int(parsed.values["numberRequired"]),
            "action": parsed.values.get("action") or "issue",
            "supportBadgeIds": parsed.support or [],
            "version": 1,
        }
        extra = [
            container_store.still_there(system),
            milestone_store.total_change(system["id"], 1),
        ]
        write = _write(None, item, parsed.badges, extra)
        try:
            db.transact(write.actions)
        except db.TransactionFailed as failure:
            if failure.failed(1):
                raise ResourceNotFound.for_field("system", "slug", system["slug"]) from failure
            gone |= write.gone(failure)
            db.back_off(attempt)
            continue
        return item, parsed.badges
    raise db.TransactionFailed(["TransactionConflict"])


def _revise(
    current: MilestoneRecord, change: Change
) -> tuple[MilestoneRecord, dict[int, BadgeRecord]]:
    """Optimistic update loop: the write is retried, from the milestone as it now is, after a
    concurrent change or when a badge it starts referencing turned out to be gone."""
    gone: set[tuple[int, str]] = set()
    for attempt in range(ATTEMPTS):
        updated, found = change(current, frozenset(gone))
        if updated is None:
            return current, found
        write = _write(current, updated, found)
        try:
            db.transact(write.actions)
        except db.TransactionFailed as failure:
            gone |= write.gone(failure)
            db.back_off(attempt)
            current = milestone_store.reload(current, not_found(str(current["id"])), failure)
            continue
        return updated, found
    raise db.TransactionFailed(["TransactionConflict"])


def update(
    system: SystemRecord, milestone: MilestoneRecord, fields: Mapping[str, Any]
) -> tuple[MilestoneRecord, dict[int, BadgeRecord]]:
    """PUT: partial update; the support list is replaced as a whole when present."""

    def change(
        current: MilestoneRecord, gone: Gone
    ) -> tuple[MilestoneRecord | None, dict[int, BadgeRecord]]:
        parsed = parse(system, fields, current, gone)
        updated = current.copy()
        if "primaryBadgeId" in parsed.values:
            updated["primaryBadgeId"] = int(parsed.values["primaryBadgeId"])
        if "numberRequired" in parsed.values:
            updated["numberRequired"] = int(parsed.values["numberRequired"])
        if "action" in parsed.values:
            updated["action"] = parsed.values["action"] or "issue"
        if parsed.support is not None:
            updated["supportBadgeIds"] = parsed.support
        if updated == current:
            return None, parsed.badges
        return updated, parsed.badges

    return _revise(milestone, change)


def add_badge(
    system: SystemRecord, milestone: MilestoneRecord, fields: Mapping[str, Any]
) -> tuple[MilestoneRecord, dict[int, BadgeRecord]]:
    """add-badge: append a badge of this system to the support list (no-op if listed)."""
    badge_id = parse_badge_id(fields)

    def change(
        current: MilestoneRecord, gone: Gone
    ) -> tuple[MilestoneRecord | None, dict[int, BadgeRecord]]:
        listed = current.get("supportBadgeIds", [])
        if badge_id not in listed and len(listed) >= MAX_SUPPORT_BADGES:  # before any lookup
            report = Report()
            report.add("badgeId", TOO_MANY, fields.get("badgeId"))
            report.raise_if_any()
        found = badges.indexed_by_id(referenced([current]) | {badge_id})
        badge = found.get(badge_id)
        if (
            badge is None
            or badge["systemId"] != system["id"]
            or (badge_id, badge_store.key_of(badge)["PK"]) in gone
            or Place(system).purged(badge)
        ):
            report = Report()
            report.add("badgeId", UNKNOWN_BADGE, fields.get("badgeId"))
            report.raise_if_any()
        if badge_id in listed:
            return None, found
        return {**current, "supportBadgeIds": sorted([*listed, badge_id])}, found

    return _revise(milestone, change)


def remove_badge(
    milestone: MilestoneRecord, fields: Mapping[str, Any]
) -> tuple[MilestoneRecord, dict[int, BadgeRecord]]:
    """remove-badge: drop a badge from the support list (no-op if not listed; no existence
    check)."""
    badge_id = parse_badge_id(fields)

    def change(
        current: MilestoneRecord, gone: Gone
    ) -> tuple[MilestoneRecord | None, dict[int, BadgeRecord]]:
        listed = current.get("supportBadgeIds", [])
        if badge_id not in listed:
            return None, {}
        return {**current, "supportBadgeIds": [b for b in listed if b != badge_id]}, {}

    return _revise(milestone, change)


def _counted_primary(milestone: MilestoneRecord, gone: Gone) -> BadgeRecord | None:
    """The milestone's primary badge, if it keeps a count of its primary milestones and was not
    found gone at that key: at the key where the directory last saw it (checked by the
    transaction), else looked up by id (one GSI1 Query)."""
    badge_id = milestone["primaryBadgeId"]
    badge = badge_store.counted_guess(badge_id)
    if badge is None or (badge_id, badge_store.key_of(badge)["PK"]) in gone:
        badge = badges.indexed_by_id([badge_id]).get(badge_id)
    if badge is None or not badge_store.counts_primaries(badge):
        return None
    if (badge_id, badge_store.key_of(badge)["PK"]) in gone:
        return None
    return badge


def delete(milestone: MilestoneRecord, primary_gone: bool = False) -> None:
    """DELETE: the milestone and its support entries, atomically (instances stay), with one
    less on its primary badge's count (not when `primary_gone`: the badge-delete cascade)."""
    current = milestone
    gone: set[tuple[int, str]] = set()
    for attempt in range(ATTEMPTS):
        actions = milestone_store.delete_actions(current)
        checks: dict[int, BadgeRecord] = {}
        primary = None if primary_gone else _counted_primary(current, frozenset(gone))
        if primary is not None:
            checks[len(actions)] = primary
            actions.append(_count_change(primary, -1))
        try:
            db.transact(actions)
        except db.TransactionFailed as failure:
            gone |= Write(actions, checks).gone(failure)
            db.back_off(attempt)
            current = milestone_store.reload(current, not_found(str(current["id"])), failure)
            continue
        return
    raise db.TransactionFailed(["TransactionConflict"])


# --- badge delete cascade ----------------------------------------------------------------------


def detach_badge(badge: BadgeRecord) -> None:
    """Badge delete cascade (badges.md DELETE): delete the milestones whose primary it is and
    remove it from every support list.

    Runs after the badge's own delete committed; writes that start referencing a badge check it
    in their transaction, so every reference is visible to these strongly consistent reads."""
    badge_id = badge["id"]
    for milestone in milestone_store.of_system(badge["systemId"]):
        if milestone["primaryBadgeId"] == badge_id:
            _delete_if_there(milestone)  # (the badge, and so its count, is gone)
    for entry in milestone_store.support_entries(badge_id):
        _drop_support(entry, badge_id)


def _delete_if_there(milestone: MilestoneRecord) -> None:
    try:
        delete(milestone, primary_gone=True)
    except ResourceNotFound:
        return  # deleted concurrently


def _drop_support(entry: milestone_store.SupportRecord, badge_id: int) -> None:
    for attempt in range(ATTEMPTS):
        current = milestone_store.get(entry["systemId"], entry["milestoneId"])
        listed = current.get("supportBadgeIds", []) if current is not None else []
        if current is None or badge_id not in listed:  # a stale entry: just drop it
            milestone_store.delete_support(badge_id, entry["milestoneId"])
            return
        updated: MilestoneRecord = {
            **current,
            "supportBadgeIds": [b for b in listed if b != badge_id],
        }
        try:
            db.transact(_write(current, updated, {}).actions)
        except db.TransactionFailed:
            db.back_off(attempt)
            continue  # changed concurrently: read it again
        return
    raise db.TransactionFailed(["TransactionConflict"])


# --- auto-award (milestones.md §Auto-award) ----------------------------------------------------


@dataclass
class AwardMemo:
    """Reads shared by the records of one stream batch (a bulk award repeats the same badge):
    the milestones listing a badge and the primary badges. Never what an earner holds."""

    listing: dict[int, list[MilestoneRecord]] = field(default_factory=dict)
    primaries: dict[int, BadgeRecord | None] = field(default_factory=dict)


def listing(badge_id: int, memo: AwardMemo | None = None) -> list[MilestoneRecord]:
    """M4: milestones (any system) whose support list contains the badge, ascending id.

    One consistent Query of the badge's support partition; when it has entries, one consistent
    BatchGetItem of the milestones (an entry the milestone no longer backs is ignored)."""
    if memo is not None and badge_id in memo.listing:
        return memo.listing[badge_id]
    found = sorted(
        (m for m in milestone_store.listing(badge_id) if badge_id in m["supportBadgeIds"]),
        key=lambda m: m["id"],
    )
    if memo is not None:
        memo.listing[badge_id] = found
    return found


def held_among(email: str, badge_ids: Iterable[int]) -> set[int]:
    """Which of `badge_ids` `email` holds (any system; case-insensitive): one strongly
    consistent BatchGetItem of the instance keys, so an award committed just before is seen."""
    return instance_store.held_among(email, badge_ids)


def eligible(milestones: Iterable[MilestoneRecord], held: set[int]) -> list[int]:
    """Primary badge ids to award, in ascending milestone id, each once (steps 3-4)."""
    primaries: list[int] = []
    for milestone in sorted(milestones, key=lambda m: m["id"]):
        primary = milestone["primaryBadgeId"]
        if primary in held or primary in primaries:
            continue
        supports = set(milestone["supportBadgeIds"])
        if len(supports & held) >= milestone["numberRequired"]:
            primaries.append(primary)
    return primaries


def auto_award(
    badge_id: int,
    email: str,
    event_system_id: int,
    base_url: str,
    memo: AwardMemo | None = None,
) -> list[InstanceRecord]:
    """Award the milestone badges `email` became eligible for by being awarded `badge_id`.

    Idempotent: every award is conditional on the (badge, email) instance being absent, and a
    primary already held is not eligible, so re-processing the same award creates nothing.
    The awards record `award` events with origin "milestone", which never trigger this again
    (no chaining). Returns the instances created."""
    memo = memo if memo is not None else AwardMemo()
    candidates = listing(badge_id, memo)
    if not candidates:
        return []
    held = held_among(email, referenced(candidates) | {badge_id}) | {badge_id}
    created: list[InstanceRecord] = []
    for primary in eligible(candidates, held):
        if primary not in memo.primaries:
            memo.primaries[primary] = badge_store.indexed(primary)
        badge = memo.primaries[primary]
        if badge is None:
            logger.warning("milestone badge %s not found; not awarded", primary)
            continue
        instance = instances.award_from_milestone(badge, email, event_system_id, base_url)
        if instance is not None:
            created.append(instance)
    return created
