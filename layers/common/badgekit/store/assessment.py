"""Applications and reviews (assessment.md): every read and write, and their records.

Everything lives in the badge's partition (`keys.badge_partition(badgeId)`), so a badge delete
purges it with the rest of the badge:

- an **application** is one item at `keys.application(badgeId, slug)`; its evidence is an
  embedded list (insertion order, one GetItem reads it, one conditional write replaces it);
- it is listed in the badge's `applications_list(badgeId, processed)` (one list per state,
  entries keyed `(created, id)` so they sort as D1 orders applications) and in the
  `container_applications_list` of its badge's system, issuer and program (entries keyed
  `(badge id, created, id)`); the entries move between the state lists in the same transaction
  as a `processed` change;
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


def container_lists(owner: Mapping[str, Any], processed: bool) -> list[keys.ListScope]:
    """The container-level application lists, in one state, of an application (or of every
    application of a badge): its badge's system's, issuer's and program's."""
    system_id = int(owner["systemId"])
    levels = [("system", system_id)]
    for level, name in (("issuer", "issuerId"), ("program", "programId")):
        if owner.get(name) is not None:
            levels.append((level, int(owner[name])))
    return [
        keys.container_applications_list(system_id, level, level_id, processed)
        for level, level_id in levels
    ]


def _container_entries(application: ApplicationRecord) -> list[keys.Key]:
    processed = application.get("processed") is not None
    ids = (application["badgeId"], application["created"], application["id"])
    return [
        keys.container_application_entry(scope, *ids)
        for scope in container_lists(application, processed)
    ]


def _entry_add(application: ApplicationRecord) -> list[dict[str, Any]]:
    """Actions adding the application's entries (badge and containers, in its state) and
    bumping their totals: 2 + 2 per container (at most 8)."""
    key = keys.application(application["badgeId"], application["slug"])
    entry = {**_entry_key(application), "refPK": key["PK"], "refSK": key["SK"]}
    actions = [{"Put": {"Item": entry}}, db.total_change(_list_of(application), 1)]
    processed = application.get("processed") is not None
    scopes = container_lists(application, processed)
    owners = keys.owner_tokens(
        application["systemId"], application.get("issuerId"), application.get("programId")
    )
    for scope, entry_key in zip(scopes, _container_entries(application), strict=True):
        pointer = {**entry_key, "refPK": key["PK"], "refSK": key["SK"], db.OWNERS: owners}
        actions.extend([{"Put": {"Item": pointer}}, db.total_change(scope, 1)])
    return actions


def _entry_remove(application: ApplicationRecord) -> list[dict[str, Any]]:
    delete = {"Delete": {"Key": _entry_key(application)}}
    actions = [delete, db.total_change(_list_of(application), -1)]
    processed = application.get("processed") is not None
    scopes = container_lists(application, processed)
    for scope, entry_key in zip(scopes, _container_entries(application), strict=True):
        actions.extend([{"Delete": {"Key": entry_key}}, db.total_change(scope, -1)])
    return actions


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


def of_container(
    system_id: int, level: str, level_id: int, states: Sequence[bool], page: db.Page | None
) -> tuple[list[tuple[ApplicationRecord, BadgeRecord]], int]:
    """The applications of every badge of a container in `states`, in (badge id, created, id)
    order, each with its badge, one page or all, and the total: one Query per state of the
    container's lists (header + entries up to the page's end; two states merged by their
    entry keys), one BatchGetItem of the page's applications with the system badge-list
    entries of their badges (they point at the badges' current keys), one of those badges."""
    low, high = _window_of(0, page)

    def read(processed: bool) -> tuple[list[tuple[str, db.Item]], int]:
        scope = keys.container_applications_list(system_id, level, level_id, processed)
        limit = None if page is None else 1 + high
        found = list(db.query_prefix(scope.partition, scope.prefix, limit))
        rows = db.live_rows(scope, found, limit)
        header = rows[0] if rows and rows[0]["SK"] == scope.prefix else None
        entries = rows[1:] if header else rows
        total = int(header.get("total", 0)) if header else len(entries)
        return [(str(e["SK"])[len(scope.prefix) :], e) for e in entries], total

    results = db.fan_out(read, list(states))
    total = sum(count for _, count in results)
    ordered = sorted((pair for rows, _ in results for pair in rows), key=lambda pair: pair[0])
    chosen = ordered[low:high] if page is not None else ordered
    badge_ids = sorted({int(order.split("#", 1)[0]) for order, _ in chosen})
    pointers = [
        keys.badges_list(system_id, "system", system_id, archived).entry(badge_id)
        for badge_id in badge_ids
        for archived in (False, True)
    ]
    application_keys = [{"PK": e["refPK"], "SK": e["refSK"]} for _, e in chosen]
    found = _batch_get_concurrently([*application_keys, *pointers])
    badge_keys = [{"PK": i["refPK"], "SK": i["refSK"]} for i in found if "refPK" in i]
    badge_by_id = {
        int(item["id"]): record(item, BadgeRecord)
        for item in _batch_get_concurrently(badge_keys)
        if item.get("entity") == "badge"
    }
    by_key = {(item["PK"], item["SK"]): item for item in found}
    rows: list[tuple[ApplicationRecord, BadgeRecord]] = []
    for key in application_keys:
        stored = by_key.get((key["PK"], key["SK"]))
        if stored is None:
            continue
        application = record(stored, ApplicationRecord)
        badge = badge_by_id.get(application["badgeId"])
        if badge is not None:  # a badge being deleted: its applications are being purged
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
    purging: frozenset[str] = frozenset(),
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
        if state in states and not keys.purged_scope(str(row["GSI2SK"]), purging):
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


def new_application_actions(application: ApplicationRecord) -> list[dict[str, Any]]:
    """Actions writing a new application (action 0, only if its key is free) with its list
    entries and their totals (`_entry_add`)."""
    return [
        {
            "Put": {
                "Item": _application_item(application),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        },
        *_entry_add(application),
    ]


def insert_application(application: ApplicationRecord, badge: Mapping[str, Any]) -> None:
    """Write a new application with its list entry and its index attributes, if the badge is
    still there: one TransactWriteItems. Raises `Rejected` ("badge": gone, "slug": taken)."""
    actions = [*new_application_actions(application), _badge_check(badge)]
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


# A deleted badge's applications leave the container lists in transactions of DETACH_CHUNK
# applications of one state: per application its delete (if still the same one, in that state)
# and up to 3 entries, plus one total per list: 24 * 4 + 3 = 99 actions (DynamoDB allows 100).
DETACH_CHUNK = 24


def detach_badge(badge: Mapping[str, Any], children: Sequence[db.Item]) -> int:
    """After a badge's delete committed: remove its applications (and their container-list
    entries, with the totals), found through the entries of the badge's own state lists among
    `children` (the badge partition's rows, `store.badges.children`); the partition (reviews,
    lists) is purged afterwards. An application changed meanwhile (deleted, or processed)
    fails its chunk, which is then done one by one from a fresh read. Returns the number of
    applications removed here."""
    badge_id = int(badge["id"])
    removed = 0
    for processed in (False, True):
        prefix = keys.applications_list(badge_id, processed).prefix
        found = []
        for row in children:
            sk = str(row["SK"])
            if sk.startswith(prefix) and sk != prefix:
                created, application_id = (int(part) for part in sk[len(prefix) :].split("#"))
                found.append((application_id, created, {"PK": row["refPK"], "SK": row["refSK"]}))
        lists = container_lists(badge, processed)
        for start in range(0, len(found), DETACH_CHUNK):
            chunk = found[start : start + DETACH_CHUNK]
            try:
                db.transact(_detach_actions(badge_id, chunk, lists, processed))
                removed += len(chunk)
            except db.TransactionFailed:
                removed += sum(_detach_one(badge, key) for _, _, key in chunk)
    return removed


def _detach_actions(
    badge_id: int,
    applications: Sequence[tuple[int, int, keys.Key]],
    lists: Sequence[keys.ListScope],
    processed: bool,
) -> list[dict[str, Any]]:
    state = "attribute_exists(#p)" if processed else "attribute_not_exists(#p)"
    actions: list[dict[str, Any]] = []
    for application_id, created, key in applications:
        condition = {
            "ConditionExpression": f"id = :id AND {state}",
            "ExpressionAttributeNames": {"#p": "processed"},
            "ExpressionAttributeValues": {":id": application_id},
        }
        actions.append({"Delete": {"Key": key, **condition}})
        actions.extend(
            {
                "Delete": {
                    "Key": keys.container_application_entry(s, badge_id, created, application_id)
                }
            }
            for s in lists
        )
    actions.extend(db.total_change(scope, -len(applications)) for scope in lists)
    return actions


def _detach_one(badge: Mapping[str, Any], key: keys.Key) -> int:
    """One application's `_detach_actions` as it now is (0 when it is gone)."""
    for attempt in range(db.MAX_ATTEMPTS):
        current = db.get(key)
        if current is None:
            return 0
        processed = current.get("processed") is not None
        entry = (int(current["id"]), int(current["created"]), key)
        lists = container_lists(badge, processed)
        try:
            db.transact(_detach_actions(int(badge["id"]), [entry], lists, processed))
            return 1
        except db.TransactionFailed:
            db.back_off(attempt)
    raise db.TransactionFailed(["TransactionConflict"])


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


def new_review_actions(review: ReviewRecord) -> list[dict[str, Any]]:
    """Actions writing a new review (action 0, only if its key is free) with its list entry
    and the list's total (actions 1 and 2)."""
    badge_id, application_id = review["badgeId"], review["applicationId"]
    return [
        {"Put": {"Item": _review_item(review), "ConditionExpression": "attribute_not_exists(PK)"}},
        *db.list_add(
            keys.reviews_list(badge_id, application_id),
            review["id"],
            keys.review(badge_id, application_id, review["slug"]),
        ),
    ]


def insert_review(
    review: ReviewRecord,
    application: ApplicationRecord,
    badge: Mapping[str, Any],
    event: dict[str, Any],
) -> None:
    """Write a new review with its list entry and `event` (an outbox Put), if the application
    is still that version and the badge still there: one TransactWriteItems. Raises `Rejected`
    ("badge", "application" also on a conflict; else a taken slug or a conflict)."""
    actions = [
        *new_review_actions(review),
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
