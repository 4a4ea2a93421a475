"""Applications and reviews (assessment.md): every read and write, and their records.

Everything lives in the badge's partition (`keys.badge_partition(badgeId)`), so a badge delete
purges it with the rest of the badge:

- an **application** is one item at `keys.application(badgeId, slug)`; its evidence is an
  embedded list (insertion order, one GetItem reads it, one conditional write replaces it);
- it is listed in the badge's `applications_list(badgeId, processed)` (one list per state,
  entries keyed `(created, id)` so they sort as D1 orders applications); the entry moves
  between the two lists in the same transaction as a `processed` change;
- it is reverse-indexed by learner on GSI2 (`learner_lookup(learner)` +
  `learner_sort_key(container, badge, created, id, state)`): one KEYS_ONLY query answers the
  `email` filter with order, state and total;
- a **review** is one item at `keys.review(badgeId, applicationId, slug)` with its review items
  embedded, listed in `reviews_list(badgeId, applicationId)` (id order).

Badges read here become `BadgeRecord`s (store/badges.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NotRequired, TypedDict

from badgekit.jsonutil import dumps
from badgekit.store import db, keys, prefetch
from badgekit.store.badges import BadgeRecord
from badgekit.store.records import optional, record

APPLICATION_ENTITY = "application"
REVIEW_ENTITY = "review"


class EvidenceRecord(TypedDict):
    slug: str
    url: str | None
    mediaType: str | None
    reflection: str | None


class ApplicationRecord(TypedDict):
    id: int
    slug: str
    badgeId: int
    systemId: int
    issuerId: NotRequired[int]
    programId: NotRequired[int]
    learner: str
    assignedTo: NotRequired[str]
    assignedExpiration: NotRequired[int]
    created: int
    processed: NotRequired[int]
    evidence: list[EvidenceRecord]
    version: int


class ReviewItemRecord(TypedDict):
    criterionId: int
    satisfied: bool
    comment: str | None


class ReviewRecord(TypedDict):
    id: int
    slug: str
    badgeId: int
    applicationId: int
    author: str
    comment: NotRequired[str]
    reviewItems: list[ReviewItemRecord]
    version: int


class Rejected(db.TransactionFailed):
    """A conditional write of an application or review failed; `changed` names what it found
    changed: "badge" (gone), "application" / "review" (another version, or gone), "slug"
    (a newly drawn slug is taken)."""

    def __init__(self, failure: db.TransactionFailed, changed: Iterable[str]) -> None:
        super().__init__(failure.reasons)
        self.changed = frozenset(changed)


def _badge_check(badge: Mapping[str, Any]) -> dict[str, Any]:
    """ConditionCheck: the badge is still there (same slug, same id)."""
    return db.still_there({**keys.badge(str(badge["slug"])), "id": badge["id"]})


# --- applications: items -----------------------------------------------------------------------


def _index_attributes(application: ApplicationRecord) -> dict[str, str]:
    """GSI2 attributes (learner lookup), recomputed on every write."""
    return {
        "GSI2PK": keys.learner_lookup(application["learner"]),
        "GSI2SK": keys.learner_sort_key(
            application["systemId"],
            application.get("issuerId"),
            application.get("programId"),
            application["badgeId"],
            application["created"],
            application["id"],
            application.get("processed") is not None,
        ),
    }


def _application_item(application: ApplicationRecord) -> db.Item:
    """The application as stored: its key, entity and index attributes with its fields."""
    return {
        **application,
        **keys.application(application["badgeId"], application["slug"]),
        "entity": APPLICATION_ENTITY,
        **_index_attributes(application),
    }


def application_size(application: ApplicationRecord) -> int:
    """Bytes of the application's stored item as JSON (the size limit's measure)."""
    return len(dumps(_application_item(application)).encode())


def _list_of(application: ApplicationRecord) -> keys.ListScope:
    """The badge's list of applications in this one's state (pending / processed)."""
    return keys.applications_list(application["badgeId"], application.get("processed") is not None)


def _entry_key(application: ApplicationRecord) -> keys.Key:
    return keys.application_entry(
        application["badgeId"],
        application.get("processed") is not None,
        application["created"],
        application["id"],
    )


def _entry_add(application: ApplicationRecord) -> list[dict[str, Any]]:
    key = keys.application(application["badgeId"], application["slug"])
    entry = {**_entry_key(application), "refPK": key["PK"], "refSK": key["SK"]}
    return [{"Put": {"Item": entry}}, db.total_change(_list_of(application), 1)]


def _entry_remove(application: ApplicationRecord) -> list[dict[str, Any]]:
    delete = {"Delete": {"Key": _entry_key(application)}}
    return [delete, db.total_change(_list_of(application), -1)]


def _application_check(application: ApplicationRecord) -> dict[str, Any]:
    """ConditionCheck: the application is unchanged since it was read (same id, version)."""
    return {
        "ConditionCheck": {
            "Key": keys.application(application["badgeId"], application["slug"]),
            "ConditionExpression": "id = :id AND version = :v",
            "ExpressionAttributeValues": {
                ":id": application["id"],
                ":v": application.get("version", 0),
            },
        }
    }


# --- applications: reading ----------------------------------------------------------------------


def get_application(badge_id: int, slug: str) -> ApplicationRecord | None:
    """The badge's application by slug (case-insensitive): one GetItem."""
    return optional(prefetch.get(keys.application(badge_id, slug)), ApplicationRecord)


def reload_application(current: ApplicationRecord) -> ApplicationRecord | None:
    """`current` read again (consistently) after a write of it failed; None when it is gone
    (or its key holds another application)."""
    found = db.get(keys.application(current["badgeId"], current["slug"]))
    if found is None or found["id"] != current["id"]:
        return None
    return record(found, ApplicationRecord)


def _window_of(total: int, page: db.Page | None) -> tuple[int, int]:
    if page is None:
        return 0, total
    return page.start, page.start + page.count


def _badge_entries(
    badge_id: int, states: Sequence[bool], high: int | None
) -> tuple[list[db.Item], int]:
    """The first `high` list entries (all when None) of a badge's applications in `states`,
    merged in (created, id) order, and the number of entries in those lists (from their
    headers). One Query per state, run concurrently."""

    def read(processed: bool) -> tuple[list[db.Item], int]:
        scope = keys.applications_list(badge_id, processed)
        rows = list(
            db.query_prefix(scope.partition, scope.prefix, None if high is None else 1 + high)
        )
        header = rows[0] if rows and rows[0]["SK"] == scope.prefix else None
        entries = rows[1:] if header else rows
        total = int(header.get("total", 0)) if header else len(entries)
        return [{**e, "order": str(e["SK"])[len(scope.prefix) :]} for e in entries], total

    results = db.fan_out(read, list(states))
    entries = sorted((e for rows, _ in results for e in rows), key=lambda e: e["order"])
    return entries, sum(total for _, total in results)


def of_badge(
    badge_id: int, states: Sequence[bool], page: db.Page | None
) -> tuple[list[ApplicationRecord], int]:
    """A badge's applications in `states`, in (created, id) order, one page or all, and their
    total: 1 Query per state (header + entries up to the page's end) + 1 BatchGetItem of the
    page's applications."""
    low, high = _window_of(0, page)
    entries, total = _badge_entries(badge_id, states, None if page is None else high)
    entries = entries[low:high] if page is not None else entries
    found = db.batch_get([{"PK": e["refPK"], "SK": e["refSK"]} for e in entries])
    return [record(item, ApplicationRecord) for item in found], total


def _batch_get_concurrently(key_list: Sequence[keys.Key]) -> list[db.Item]:
    """BatchGetItem in chunks of 100, the chunks concurrently."""
    chunks = [list(key_list[start : start + 100]) for start in range(0, len(key_list), 100)]
    return [item for chunk in db.fan_out(db.batch_get, chunks) for item in chunk]


def of_badges(
    badges: Sequence[tuple[int, keys.Key]], states: Sequence[bool], page: db.Page | None
) -> tuple[list[tuple[ApplicationRecord, BadgeRecord]], int]:
    """The applications of several badges (id and item key, in id order) in `states`, in
    (badge id, created, id) order, each with its badge item, one page or all, and the total.

    Every badge's list totals come from their headers (1 BatchGetItem per 50-100 badges), then
    only the badges the page overlaps are read (1 Query per state each, concurrently) and one
    BatchGetItem reads the page's applications together with their badges."""
    if not badges:
        return [], 0
    headers = _batch_get_concurrently(
        [
            keys.applications_list(badge_id, state).header()
            for badge_id, _ in badges
            for state in states
        ]
    )
    totals: dict[str, int] = {str(h["PK"]): 0 for h in headers}
    for header in headers:
        totals[str(header["PK"])] += int(header.get("total", 0))
    total = sum(totals.values())
    low, high = _window_of(total, page)
    wanted: list[tuple[int, keys.Key, int, int]] = []  # badge id, badge key, low, high (local)
    offset = 0
    for badge_id, badge_key in badges:
        count = totals.get(keys.badge_partition(badge_id), 0)
        if count and offset < high and offset + count > low:
            wanted.append((badge_id, badge_key, max(0, low - offset), min(count, high - offset)))
        offset += count
    windows = db.fan_out(lambda w: _badge_entries(w[0], states, w[3])[0][w[2] : w[3]], wanted)
    entries = [entry for window in windows for entry in window]
    badge_keys = [badge_key for _, badge_key, _, _ in wanted]
    found = _batch_get_concurrently(
        [*({"PK": e["refPK"], "SK": e["refSK"]} for e in entries), *badge_keys]
    )
    by_key = {(item["PK"], item["SK"]): item for item in found}
    badge_by_id = {
        int(item["id"]): record(item, BadgeRecord)
        for item in found
        if item.get("entity") == "badge"
    }
    rows: list[tuple[ApplicationRecord, BadgeRecord]] = []
    for entry in entries:
        item = by_key.get((entry["refPK"], entry["refSK"]))
        if item is None:
            continue
        application = record(item, ApplicationRecord)
        badge = badge_by_id.get(application["badgeId"])
        if badge is not None:
            rows.append((application, badge))
    return rows, total


def _badge_prefix(badge: Mapping[str, Any]) -> str:
    """GSI2 sort-key prefix of one badge's applications."""
    return (
        keys.scope_sort_key(
            int(badge["systemId"]),
            db.int_or_none(badge.get("issuerId")),
            db.int_or_none(badge.get("programId")),
            int(badge["id"]),
        )
        + "#"
    )


def of_learner(
    email: str,
    states: Sequence[bool],
    page: db.Page | None,
    *,
    system_id: int,
    container_prefix: str,
    badge: BadgeRecord | None,
) -> tuple[list[tuple[ApplicationRecord, BadgeRecord]], int]:
    """One learner's applications in `states`, of one badge or of the container whose GSI2
    prefix is `container_prefix`, in (badge id, created, id) order, each with its badge item,
    one page or all, and the total.

    1 GSI2 Query (order, state and total come from the index keys), then 1 BatchGetItem of
    the page's applications (+ the entries of the system's badge list that point at their
    badges) and 1 BatchGetItem of those badges. GSI2 is eventually consistent: an application
    created or processed a moment ago may be missing or in its old state."""
    prefix = container_prefix if badge is None else _badge_prefix(badge)
    selected: list[tuple[tuple[int, int, int], keys.Key]] = []
    for row in db.reverse_lookup(keys.learner_lookup(email), prefix):
        parts = str(row["GSI2SK"]).split("#")
        # S, system, I, issuer, P, program, badge, created, id, state
        state = parts[9] == "PROCESSED"
        if state in states:
            order = (int(parts[6]), int(parts[7]), int(parts[8]))
            selected.append((order, {"PK": row["PK"], "SK": row["SK"]}))
    selected.sort(key=lambda pair: pair[0])
    total = len(selected)
    low, high = _window_of(total, page)
    chosen = selected[low:high]
    badge_ids = sorted({order[0] for order, _ in chosen})
    pointers = [
        keys.badges_list(system_id, "system", system_id, archived).entry(badge_id)
        for badge_id in ([] if badge is not None else badge_ids)
        for archived in (False, True)
    ]
    found = _batch_get_concurrently([*(key for _, key in chosen), *pointers])
    by_key = {(item["PK"], item["SK"]): item for item in found}
    badge_by_id: dict[int, BadgeRecord] = {}
    if badge is not None:
        badge_by_id[badge["id"]] = badge
    else:
        entries = [by_key[(p["PK"], p["SK"])] for p in pointers if (p["PK"], p["SK"]) in by_key]
        for owner in _batch_get_concurrently(
            [{"PK": e["refPK"], "SK": e["refSK"]} for e in entries]
        ):
            badge_by_id[int(owner["id"])] = record(owner, BadgeRecord)
    rows: list[tuple[ApplicationRecord, BadgeRecord]] = []
    for order, key in chosen:
        stored = by_key.get((key["PK"], key["SK"]))
        badge_item = badge_by_id.get(order[0])
        if stored is not None and badge_item is not None:
            rows.append((record(stored, ApplicationRecord), badge_item))
    return rows, total


# --- applications: writing ----------------------------------------------------------------------


def insert_application(application: ApplicationRecord, badge: Mapping[str, Any]) -> None:
    """Write a new application with its list entry and its index attributes, if the badge is
    still there: one TransactWriteItems. Raises `Rejected` ("badge": gone, "slug": taken)."""
    actions = [
        {
            "Put": {
                "Item": _application_item(application),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        },
        *_entry_add(application),
        _badge_check(badge),
    ]
    try:
        db.transact(actions)
    except db.TransactionFailed as failure:
        changed = {
            name
            for name, index in (("badge", len(actions) - 1), ("slug", 0))
            if failure.failed(index)
        }
        raise Rejected(failure, changed) from failure


def save_application(current: ApplicationRecord, updated: ApplicationRecord) -> ApplicationRecord:
    """Write `updated` over `current` if it is still that version (a `processed` change moves
    the list entry in the same transaction): one TransactWriteItems. Returns the record as
    written (its new version); raises `Rejected` ("application") if it changed meanwhile."""
    extra: list[dict[str, Any]] = []
    if (current.get("processed") is None) != (updated.get("processed") is None):
        extra = [*_entry_remove(current), *_entry_add(updated)]
    item = _application_item(updated)
    try:
        db.save_revision(_application_item(current), db.Revision(item, extra))
    except db.TransactionFailed as failure:
        raise Rejected(failure, {"application"}) from failure
    return record(item, ApplicationRecord)


def remove_application(application: ApplicationRecord) -> bool:
    """Delete the application (if it is still the same one) and its list entry: one
    TransactWriteItems; False when it was gone already."""
    key = keys.application(application["badgeId"], application["slug"])
    try:
        db.transact(
            [
                db.delete_same({**key, "id": application["id"]}),
                *_entry_remove(application),
            ]
        )
    except db.TransactionFailed:
        return False
    return True


def purge_reviews(application: ApplicationRecord) -> int:
    """Remove an application's reviews and their list (after the application is gone):
    2 Queries (concurrently) + 1 BatchWriteItem per 25 review rows."""
    badge_id, application_id = application["badgeId"], application["id"]
    partition = keys.badge_partition(badge_id)
    prefixes = [
        keys.reviews_prefix(application_id),
        keys.reviews_list(badge_id, application_id).prefix,
    ]
    found = db.fan_out(lambda prefix: list(db.partition_keys(partition, prefix)), prefixes)
    return db.delete_keys(key for rows in found for key in rows)


# --- reviews --------------------------------------------------------------------------------------


def _review_item(review: ReviewRecord) -> db.Item:
    """The review as stored: its key and entity with its fields."""
    return {
        **review,
        **keys.review(review["badgeId"], review["applicationId"], review["slug"]),
        "entity": REVIEW_ENTITY,
    }


def review_size(review: ReviewRecord) -> int:
    """Bytes of the review's stored item as JSON (the size limit's measure)."""
    return len(dumps(_review_item(review)).encode())


def get_review(badge_id: int, application_id: int, slug: str) -> ReviewRecord | None:
    """The application's review by slug (case-insensitive): one GetItem."""
    return optional(prefetch.get(keys.review(badge_id, application_id, slug)), ReviewRecord)


def reload_review(current: ReviewRecord) -> ReviewRecord | None:
    """`current` read again (consistently) after a write of it failed; None when it is gone."""
    found = db.get(keys.review(current["badgeId"], current["applicationId"], current["slug"]))
    if found is None or found["id"] != current["id"]:
        return None
    return record(found, ReviewRecord)


def reviews(
    badge_id: int, application_id: int, page: db.Page | None
) -> tuple[list[ReviewRecord], int]:
    """An application's reviews in id order: 1 Query (header + entries) + 1 BatchGetItem."""
    found, total = db.list_members(keys.reviews_list(badge_id, application_id), page)
    return [record(item, ReviewRecord) for item in found], total


def insert_review(
    review: ReviewRecord,
    application: ApplicationRecord,
    badge: Mapping[str, Any],
    event: dict[str, Any],
) -> None:
    """Write a new review with its list entry and `event` (an outbox Put), if the application
    is still that version and the badge still there: one TransactWriteItems. Raises `Rejected`
    ("badge", "application" also on a conflict; else a taken slug or a conflict)."""
    badge_id, application_id = review["badgeId"], review["applicationId"]
    actions = [
        {"Put": {"Item": _review_item(review), "ConditionExpression": "attribute_not_exists(PK)"}},
        *db.list_add(
            keys.reviews_list(badge_id, application_id),
            review["id"],
            keys.review(badge_id, application_id, review["slug"]),
        ),
        _application_check(application),
        _badge_check(badge),
        event,
    ]
    try:
        db.transact(actions)
    except db.TransactionFailed as failure:
        changed = set()
        if failure.failed(4):
            changed.add("badge")
        if failure.failed(3) or failure.conflict:
            changed.add("application")
        raise Rejected(failure, changed) from failure


def save_review(
    current: ReviewRecord,
    updated: ReviewRecord,
    application: ApplicationRecord,
    badge: Mapping[str, Any],
    event: dict[str, Any],
) -> ReviewRecord:
    """Write `updated` over `current` if it is still that version, with `event`, if the
    application is still that version and the badge still there: one TransactWriteItems.
    Returns the record as written; raises `Rejected` ("badge"; "application" and "review",
    both on a conflict)."""
    item = _review_item(updated)
    extra = [_application_check(application), _badge_check(badge), event]
    try:
        db.save_revision(_review_item(current), db.Revision(item, extra))
    except db.TransactionFailed as failure:
        changed = set()
        if failure.failed(2):
            changed.add("badge")
        if failure.failed(1) or failure.conflict:
            changed.add("application")
        if failure.failed(0) or failure.conflict:
            changed.add("review")
        raise Rejected(failure, changed) from failure
    return record(item, ReviewRecord)


def remove_review(review: ReviewRecord) -> bool:
    """Delete the review (if it is still the same one) and its list entry: one
    TransactWriteItems; False when it was gone already."""
    badge_id, application_id = review["badgeId"], review["applicationId"]
    key = keys.review(badge_id, application_id, review["slug"])
    try:
        db.transact(
            [
                db.delete_same({**key, "id": review["id"]}),
                *db.list_remove(keys.reviews_list(badge_id, application_id), review["id"]),
            ]
        )
    except db.TransactionFailed:
        return False
    return True
