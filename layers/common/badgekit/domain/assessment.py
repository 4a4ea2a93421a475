"""Assessment (spec assessment.md): applications with evidence, reviews with review items.

Everything lives in the badge's partition (`keys.badge_partition(badgeId)`), so a badge delete
purges it with the rest of the badge:

- an **application** is one item at `keys.application(badgeId, slug)` (slug: 32 random hex);
  its evidence is an embedded list of `{slug, url, mediaType, reflection}` maps (insertion
  order, one GetItem reads it, one conditional write replaces it);
- it is listed in the badge's `applications_list(badgeId, processed)` — one list per state,
  entries keyed `(created, id)` so they sort as D1 orders applications — and the entry moves
  between the two lists in the same transaction as a `processed` change;
- it is reverse-indexed by learner on GSI2 (`learner_lookup(learner)` +
  `learner_sort_key(container, badge, created, id, state)`): one KEYS_ONLY query answers the
  `email` filter with order, state and total;
- a **review** is one item at `keys.review(badgeId, applicationId, slug)` with its review items
  embedded, listed in `reviews_list(badgeId, applicationId)` (id order). Review create and
  every review update write the `review` outbox event in the same transaction (webhooks.md §3.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from badgekit import timestamps
from badgekit.domain import badges, codes, render
from badgekit.domain.inputs import Body
from badgekit.domain.places import Place
from badgekit.domain.validation import (
    EMAIL,
    NOT_A_DATE,
    URL,
    BooleanField,
    IntegerField,
    Report,
    StringField,
    bound_length,
    check_fields,
    each_object,
    length,
    one_of,
)
from badgekit.errors import InvalidParameter, RequestEntityTooLarge, ResourceNotFound
from badgekit.jsonutil import dumps
from badgekit.store import db, keys, outbox

Item = dict[str, Any]

TEXT = 65535
APPLICATION_FIELDS = (
    StringField("learner", required=True, rules=(EMAIL, length(0, 255))),
    StringField("assignedTo", rules=(EMAIL, length(0, 255))),
)
EVIDENCE_FIELDS = (
    StringField("url", rules=(URL, length(0, 255))),
    StringField("mediaType", rules=(one_of("image", "link"),)),
    StringField("reflection", rules=(length(0, TEXT),)),
)
REVIEW_FIELDS = (
    StringField("author", required=True, rules=(EMAIL, length(0, 255))),
    StringField("comment", rules=(length(0, TEXT),)),
)
REVIEW_ITEM_FIELDS = (
    IntegerField("criterionId", required=True),
    BooleanField("satisfied"),
    StringField("comment", rules=(length(0, TEXT),)),
)
PROCESSED_MESSAGE = "Invalid `processed` parameter. Expecting one of 'true', 'false' or 'any'."
MAX_ITEM_BYTES = badges.MAX_ITEM_BYTES
_SLUG_ATTEMPTS = 3  # a generated slug colliding with an existing one is retried


# --- evidence and approval ---------------------------------------------------------------------


def find_evidence(application: Mapping[str, Any], slug: str) -> dict[str, Any]:
    """One evidence item by slug (case-insensitive, like every slug), else the 404."""
    for evidence in application.get("evidence", []):
        if str(evidence["slug"]).lower() == slug.lower():
            return render.evidence_json(evidence)
    raise ResourceNotFound.for_field("evidence", "slug", slug)


def approved(badge: Mapping[str, Any], review: Mapping[str, Any]) -> bool:
    """Every required criterion of the badge is satisfied by an item of the review (true when
    the badge requires none); items naming unknown criteria never count (assessment.md)."""
    required = {int(c["id"]) for c in badge.get("criteria", []) if c.get("required")}
    satisfied = {
        int(item["criterionId"]) for item in review.get("reviewItems", []) if item.get("satisfied")
    }
    return required <= satisfied


# --- input ----------------------------------------------------------------------------------------


def processed_filter(values: Sequence[str] | None) -> list[bool]:
    """The `processed` query parameter as the states to list; default (and `any`) = both."""
    if values is None:
        return [False, True]
    if len(values) != 1:
        raise InvalidParameter("processed", PROCESSED_MESSAGE)
    value = values[0]
    if value in ("true", "1"):
        return [True]
    if value in ("false", "0"):
        return [False]
    if value in ("any", "", "undefined"):
        return [False, True]
    raise InvalidParameter("processed", PROCESSED_MESSAGE)


def _timestamp(
    name: str, fields: Mapping[str, Any], report: Report, *, empty_clears: bool = False
) -> tuple[bool, int | None]:
    """(present, seconds) of a timestamp field (README §6); failures are `Not a date`."""
    if name not in fields:
        return False, None
    value = fields[name]
    if value is None or (empty_clears and value == ""):
        return True, None
    try:
        return True, timestamps.parse(value)
    except ValueError:
        report.add(name, NOT_A_DATE, value)
        return True, None


def _evidence(value: Any, report: Report) -> list[Item]:
    """Validated evidence items, each with a fresh slug."""
    bound_length("evidence", value, MAX_ITEM_BYTES, "Application")
    items: list[Item] = []
    for raw, scoped in each_object("evidence", value, report):
        cleaned = check_fields(EVIDENCE_FIELDS, raw, scoped)
        items.append(
            {
                "slug": keys.new_slug(),
                "url": cleaned.get("url"),
                "mediaType": cleaned.get("mediaType"),
                "reflection": cleaned.get("reflection"),
            }
        )
    return items


def _review_items(value: Any, report: Report) -> list[Item]:
    bound_length("reviewItems", value, MAX_ITEM_BYTES, "Review")
    items: list[Item] = []
    for raw, scoped in each_object("reviewItems", value, report):
        cleaned = check_fields(REVIEW_ITEM_FIELDS, raw, scoped)
        items.append(
            {
                "criterionId": cleaned.get("criterionId"),
                "satisfied": bool(cleaned.get("satisfied") or False),
                "comment": cleaned.get("comment"),
            }
        )
    return items


def _set_or_clear(item: Item, name: str, value: Any) -> None:
    if value is None:
        item.pop(name, None)
    else:
        item[name] = value


def _check_size(item: Item, model: str) -> None:
    if len(dumps(item).encode()) > MAX_ITEM_BYTES:
        raise RequestEntityTooLarge(
            f"{model} exceeds the maximum stored size of {MAX_ITEM_BYTES} bytes"
        )


# --- applications: reading ------------------------------------------------------------------------


def application_key(badge: Mapping[str, Any], slug: str) -> keys.Key:
    return keys.application(int(badge["id"]), slug)


def get_application(badge: Mapping[str, Any], slug: str) -> Item:
    """D2: the badge's application by slug (case-insensitive), else the 404."""
    found = db.get(application_key(badge, slug))
    if found is None:
        raise ResourceNotFound.for_field("application", "slug", slug)
    return found


def _list_of(application: Mapping[str, Any]) -> keys.ListScope:
    """The badge's list of applications in this one's state (pending / processed)."""
    return keys.applications_list(
        int(application["badgeId"]), application.get("processed") is not None
    )


def _entry_key(application: Mapping[str, Any]) -> keys.Key:
    return keys.application_entry(
        int(application["badgeId"]),
        application.get("processed") is not None,
        int(application["created"]),
        int(application["id"]),
    )


@dataclass
class _Listing:
    """One page of D1: (application, badge) pairs in order, and the filtered total."""

    rows: list[tuple[Item, Item]] = field(default_factory=list)
    total: int = 0


def list_applications(
    place: Place,
    badge: Item | None,
    states: Sequence[bool],
    email: str | None,
    page: db.Page | None,
) -> tuple[list[tuple[Item, Item]], int]:
    """D1: applications of the URL's container (and its descendants), or of one badge, in
    (badge id, created, id) order, filtered by state and learner, one page or all, with the
    total after filters. Never a round trip per application."""
    if email:
        listing = _by_learner(place, badge, states, email, page)
    elif badge is not None:
        listing = _of_badge(badge, states, page)
    else:
        listing = _of_container(place, states, page)
    return listing.rows, listing.total


def _window_of(total: int, page: db.Page | None) -> tuple[int, int]:
    if page is None:
        return 0, total
    return page.start, page.start + page.count


def _badge_entries(
    badge_id: int, states: Sequence[bool], high: int | None
) -> tuple[list[Item], int]:
    """The first `high` list entries (all when None) of a badge's applications in `states`,
    merged in (created, id) order, and the number of entries in those lists (from their
    headers). One Query per state, run concurrently."""

    def read(processed: bool) -> tuple[list[Item], int]:
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


def _of_badge(badge: Item, states: Sequence[bool], page: db.Page | None) -> _Listing:
    """`GET {L}/badges/{b}/applications`: 1 Query per state (header + entries up to the page's
    end) + 1 BatchGetItem of the page's applications."""
    low, high = _window_of(0, page)
    entries, total = _badge_entries(int(badge["id"]), states, None if page is None else high)
    entries = entries[low:high] if page is not None else entries
    found = db.batch_get([{"PK": e["refPK"], "SK": e["refSK"]} for e in entries])
    return _Listing([(application, badge) for application in found], total)


def _batch_get_concurrently(key_list: Sequence[keys.Key]) -> list[Item]:
    """BatchGetItem in chunks of 100, the chunks concurrently."""
    chunks = [list(key_list[start : start + 100]) for start in range(0, len(key_list), 100)]
    return [item for chunk in db.fan_out(db.batch_get, chunks) for item in chunk]


def _of_container(place: Place, states: Sequence[bool], page: db.Page | None) -> _Listing:
    """`GET {L}/applications`: badge ids from the container's badge list (2 Queries), every
    badge's list totals from their headers (1 BatchGetItem per 50-100 badges), then only the
    badges the page overlaps are read (1 Query per state each, concurrently) and one
    BatchGetItem reads the page's applications together with their badges."""
    container_badges = codes.badges_within(place)
    if not container_badges:
        return _Listing()
    headers = _batch_get_concurrently(
        [
            keys.applications_list(ref.id, state).header()
            for ref in container_badges
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
    for ref in container_badges:
        count = totals.get(keys.badge_partition(ref.id), 0)
        if count and offset < high and offset + count > low:
            wanted.append((ref.id, ref.key, max(0, low - offset), min(count, high - offset)))
        offset += count
    windows = db.fan_out(lambda w: _badge_entries(w[0], states, w[3])[0][w[2] : w[3]], wanted)
    entries = [entry for window in windows for entry in window]
    badge_keys = [badge_key for _, badge_key, _, _ in wanted]
    found = _batch_get_concurrently(
        [*({"PK": e["refPK"], "SK": e["refSK"]} for e in entries), *badge_keys]
    )
    by_key = {(item["PK"], item["SK"]): item for item in found}
    badge_by_id = {int(item["id"]): item for item in found if item.get("entity") == "badge"}
    rows: list[tuple[Item, Item]] = []
    for entry in entries:
        application = by_key.get((entry["refPK"], entry["refSK"]))
        if application is None:
            continue
        badge = badge_by_id.get(int(application["badgeId"]))
        if badge is not None:
            rows.append((application, badge))
    return _Listing(rows, total)


def _learner_prefix(place: Place, badge: Item | None) -> str:
    if badge is None:
        return place.scope_prefix()
    return (
        keys.scope_sort_key(
            int(badge["systemId"]),
            db.int_or_none(badge.get("issuerId")),
            db.int_or_none(badge.get("programId")),
            int(badge["id"]),
        )
        + "#"
    )


def _learner_index(email: str, prefix: str) -> Iterable[Item]:
    """GSI2 (KEYS_ONLY) rows of one learner's applications under a scope prefix."""
    return db.reverse_lookup(keys.learner_lookup(email), prefix)


def _by_learner(
    place: Place,
    badge: Item | None,
    states: Sequence[bool],
    email: str,
    page: db.Page | None,
) -> _Listing:
    """The `email` filter: 1 GSI2 Query (order, state and total come from the index keys), then
    1 BatchGetItem of the page's applications (+ the entries of the system's badge list that
    point at their badges) and 1 BatchGetItem of those badges. GSI2 is eventually consistent:
    an application created or processed a moment ago may be missing or in its old state."""
    selected: list[tuple[tuple[int, int, int], keys.Key]] = []
    for row in _learner_index(email, _learner_prefix(place, badge)):
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
    system_id = int(place.system["id"])
    pointers = [
        keys.badges_list(system_id, "system", system_id, archived).entry(badge_id)
        for badge_id in ([] if badge is not None else badge_ids)
        for archived in (False, True)
    ]
    found = _batch_get_concurrently([*(key for _, key in chosen), *pointers])
    by_key = {(item["PK"], item["SK"]): item for item in found}
    badge_by_id: dict[int, Item] = {}
    if badge is not None:
        badge_by_id[int(badge["id"])] = badge
    else:
        entries = [by_key[(p["PK"], p["SK"])] for p in pointers if (p["PK"], p["SK"]) in by_key]
        for item in _batch_get_concurrently(
            [{"PK": e["refPK"], "SK": e["refSK"]} for e in entries]
        ):
            badge_by_id[int(item["id"])] = item
    rows: list[tuple[Item, Item]] = []
    for order, key in chosen:
        application = by_key.get((key["PK"], key["SK"]))
        owner = badge_by_id.get(order[0])
        if application is not None and owner is not None:
            rows.append((application, owner))
    return _Listing(rows, total)


# --- applications: writing ------------------------------------------------------------------------


def _index_attributes(application: Mapping[str, Any]) -> dict[str, str]:
    """GSI2 attributes (learner lookup), recomputed on every write."""
    return {
        "GSI2PK": keys.learner_lookup(str(application["learner"])),
        "GSI2SK": keys.learner_sort_key(
            int(application["systemId"]),
            db.int_or_none(application.get("issuerId")),
            db.int_or_none(application.get("programId")),
            int(application["badgeId"]),
            int(application["created"]),
            int(application["id"]),
            application.get("processed") is not None,
        ),
    }


def _entry_add(application: Mapping[str, Any]) -> list[dict[str, Any]]:
    entry = {
        **_entry_key(application),
        "refPK": application["PK"],
        "refSK": application["SK"],
    }
    return [{"Put": {"Item": entry}}, db.total_change(_list_of(application), 1)]


def _entry_remove(application: Mapping[str, Any]) -> list[dict[str, Any]]:
    delete = {"Delete": {"Key": _entry_key(application)}}
    return [delete, db.total_change(_list_of(application), -1)]


def create_application(badge: Item, body: Body) -> Item:
    """POST {L}/badges/{b}/applications: a pending application with its evidence, its list
    entry and its index attributes in one transaction (with a check that the badge is still
    there). Calls: 1 UpdateItem (id) + 1 TransactWriteItems."""
    fields = body.fields
    report = Report()
    values = check_fields(APPLICATION_FIELDS, fields, report)
    _, expiration = _timestamp("assignedExpiration", fields, report)
    evidence = _evidence(fields.get("evidence"), report)
    report.raise_if_any()
    application_id = db.next_id("application")
    badge_id = int(badge["id"])
    item: Item = {
        "entity": "application",
        "id": application_id,
        "badgeId": badge_id,
        "systemId": int(badge["systemId"]),
        "learner": values["learner"],
        "created": timestamps.now(),
        "evidence": evidence,
        "version": 1,
    }
    for owner in ("issuerId", "programId"):
        if badge.get(owner) is not None:
            item[owner] = int(badge[owner])
    _set_or_clear(item, "assignedTo", values.get("assignedTo"))
    _set_or_clear(item, "assignedExpiration", expiration)
    for _ in range(_SLUG_ATTEMPTS):
        slug = keys.new_slug()
        item.update({**keys.application(badge_id, slug), "slug": slug})
        item.update(_index_attributes(item))
        _check_size(item, "Application")
        actions = [
            {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
            *_entry_add(item),
            db.still_there(badge),
        ]
        try:
            db.transact(actions)
        except db.TransactionFailed as failure:
            if failure.failed(len(actions) - 1):
                raise ResourceNotFound.for_field("badge", "slug", badge["slug"]) from failure
            if failure.failed(0):
                continue  # slug collision: draw another
            raise
        return item
    raise db.TransactionFailed(["ConditionalCheckFailed"])


def _application_input(application: Mapping[str, Any]) -> dict[str, Any]:
    return {"learner": application.get("learner"), "assignedTo": application.get("assignedTo")}


def update_application(application: Item, body: Body) -> Item:
    """PUT …/applications/{a}: partial update, all or nothing; a `processed` change moves the
    list entry in the same transaction. Nothing changed (e.g. only unknown fields) → no write.
    Calls: 1 TransactWriteItems (0 when nothing changed), + 1 GetItem per retry."""
    fields = body.fields
    current = application
    for _ in range(db.MAX_ATTEMPTS):
        report = Report()
        merged = _application_input(current)
        merged.update({name: fields[name] for name in ("learner", "assignedTo") if name in fields})
        values = check_fields(APPLICATION_FIELDS, merged, report)
        has_expiration, expiration = _timestamp("assignedExpiration", fields, report)
        has_processed, processed = _timestamp("processed", fields, report, empty_clears=True)
        evidence = _evidence(fields["evidence"], report) if "evidence" in fields else None
        report.raise_if_any()
        updated: Item = dict(current)
        updated["learner"] = values["learner"]
        _set_or_clear(updated, "assignedTo", values.get("assignedTo"))
        if has_expiration:
            _set_or_clear(updated, "assignedExpiration", expiration)
        if has_processed:
            _set_or_clear(updated, "processed", processed)
        if evidence is not None:
            updated["evidence"] = evidence
        updated.update(_index_attributes(updated))
        if updated == current:
            return current
        _check_size(updated, "Application")
        extra: list[dict[str, Any]] = []
        if (current.get("processed") is None) != (updated.get("processed") is None):
            extra = [*_entry_remove(current), *_entry_add(updated)]
        try:
            db.save_revision(current, db.Revision(updated, extra))
        except db.TransactionFailed as failure:
            current = _or_gone("application", current, failure)
            continue
        return updated
    raise db.TransactionFailed(["TransactionConflict"])


def _or_gone(model: str, current: Item, failure: Exception) -> Item:
    """An application or review as it now is, after `failure` (db.reload); its 404 if gone."""
    return db.reload(current, ResourceNotFound.for_field(model, "slug", current["slug"]), failure)


def delete_application(application: Item) -> None:
    """DELETE …/applications/{a}: the application and its list entry go in one transaction
    (its reviews become unreachable at once: every review route resolves the application);
    then its reviews and their list are purged. A review created concurrently either commits
    before (then it is purged) or fails its application check. Calls: 1 TransactWriteItems +
    2 Queries (concurrently) + 1 BatchWriteItem per 25 review rows."""
    try:
        db.transact(
            [
                db.delete_same(application),
                *_entry_remove(application),
            ]
        )
    except db.TransactionFailed as failure:
        raise ResourceNotFound.for_field("application", "slug", application["slug"]) from failure
    purge_reviews(application)


def purge_reviews(application: Mapping[str, Any]) -> int:
    """Remove an application's reviews and their list (after the application is gone)."""
    partition = keys.badge_partition(int(application["badgeId"]))
    application_id = int(application["id"])
    prefixes = [
        keys.reviews_prefix(application_id),
        keys.reviews_list(int(application["badgeId"]), application_id).prefix,
    ]
    found = db.fan_out(lambda prefix: list(db.partition_keys(partition, prefix)), prefixes)
    return db.delete_keys(key for rows in found for key in rows)


# --- reviews -------------------------------------------------------------------------------------


def get_review(application: Mapping[str, Any], slug: str) -> Item:
    """D5: the application's review by slug (case-insensitive), else the 404."""
    found = db.get(keys.review(int(application["badgeId"]), int(application["id"]), slug))
    if found is None:
        raise ResourceNotFound.for_field("review", "slug", slug)
    return found


def list_reviews(application: Mapping[str, Any], page: db.Page | None) -> tuple[list[Item], int]:
    """D4: 1 Query (header + entries) + 1 BatchGetItem."""
    scope = keys.reviews_list(int(application["badgeId"]), int(application["id"]))
    return db.list_members(scope, page)


def _application_check(application: Mapping[str, Any]) -> dict[str, Any]:
    """ConditionCheck: the application is unchanged since it was read, so the event's payload
    describes it as it is when the review commits."""
    return {
        "ConditionCheck": {
            "Key": {"PK": application["PK"], "SK": application["SK"]},
            "ConditionExpression": "id = :id AND version = :v",
            "ExpressionAttributeValues": {
                ":id": application["id"],
                ":v": application.get("version", 0),
            },
        }
    }


def _review_input(review: Mapping[str, Any]) -> dict[str, Any]:
    return {"author": review.get("author"), "comment": review.get("comment")}


def _validate_review(
    fields: Mapping[str, Any], current: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Item] | None]:
    report = Report()
    merged = _review_input(current)
    merged.update({name: fields[name] for name in ("author", "comment") if name in fields})
    values = check_fields(REVIEW_FIELDS, merged, report)
    items = _review_items(fields["reviewItems"], report) if "reviewItems" in fields else None
    report.raise_if_any()
    return values, items


def create_review(renderer: render.Renderer, badge: Item, application: Item, body: Body) -> Item:
    """POST …/reviews: the review, its list entry, checks that the application (same version)
    and the badge are still there, and the `review` outbox event, in one transaction.
    Calls: 1 UpdateItem (id) + 1 TransactWriteItems (+ 1 GetItem per retry)."""
    values, items = _validate_review(body.fields, {})
    review_id = db.next_id("review")
    badge_id, application_id = int(badge["id"]), int(application["id"])
    review: Item = {
        "entity": "review",
        "id": review_id,
        "badgeId": badge_id,
        "applicationId": application_id,
        "author": values["author"],
        "reviewItems": items or [],
        "version": 1,
    }
    _set_or_clear(review, "comment", values.get("comment"))
    current = application
    for _ in range(db.MAX_ATTEMPTS):
        slug = keys.new_slug()
        review.update({**keys.review(badge_id, application_id, slug), "slug": slug})
        _check_size(review, "Review")
        event = outbox.event_put(
            int(badge["systemId"]),
            "review",
            renderer.review_payload(badge, current, review, approved(badge, review)),
        )
        actions = [
            {"Put": {"Item": review, "ConditionExpression": "attribute_not_exists(PK)"}},
            *db.list_add(
                keys.reviews_list(badge_id, application_id),
                review_id,
                keys.review(badge_id, application_id, slug),
            ),
            _application_check(current),
            db.still_there(badge),
            event,
        ]
        try:
            db.transact(actions)
        except db.TransactionFailed as failure:
            if failure.failed(4):
                raise ResourceNotFound.for_field("badge", "slug", badge["slug"]) from failure
            if failure.failed(3) or failure.conflict:
                current = _or_gone("application", current, failure)
            continue  # a changed application, a slug collision or a conflict: again
        return review
    raise db.TransactionFailed(["TransactionConflict"])


def update_review(
    renderer: render.Renderer, badge: Item, application: Item, review: Item, body: Body
) -> Item:
    """PUT …/reviews/{r}: partial update of author, comment, reviewItems, written with a new
    `review` outbox event (after every successful update, as the original did), `approved`
    recomputed from the items after the update. Calls: 1 TransactWriteItems (+ 1-2 GetItems
    per retry)."""
    current, owner = review, application
    for _ in range(db.MAX_ATTEMPTS):
        values, items = _validate_review(body.fields, current)
        updated: Item = dict(current)
        updated["author"] = values["author"]
        _set_or_clear(updated, "comment", values.get("comment"))
        if items is not None:
            updated["reviewItems"] = items
        _check_size(updated, "Review")
        event = outbox.event_put(
            int(badge["systemId"]),
            "review",
            renderer.review_payload(badge, owner, updated, approved(badge, updated)),
        )
        extra = [_application_check(owner), db.still_there(badge), event]
        try:
            db.save_revision(current, db.Revision(updated, extra))
        except db.TransactionFailed as failure:
            if failure.failed(2):
                raise ResourceNotFound.for_field("badge", "slug", badge["slug"]) from failure
            if failure.failed(1) or failure.conflict:
                owner = _or_gone("application", owner, failure)
            if failure.failed(0) or failure.conflict:
                current = _or_gone("review", current, failure)
            continue
        return updated
    raise db.TransactionFailed(["TransactionConflict"])


def delete_review(review: Item) -> None:
    """DELETE …/reviews/{r}: the review (items embedded) and its list entry, one transaction;
    no event."""
    scope = keys.reviews_list(int(review["badgeId"]), int(review["applicationId"]))
    try:
        db.transact(
            [
                db.delete_same(review),
                *db.list_remove(scope, int(review["id"])),
            ]
        )
    except db.TransactionFailed as failure:
        raise ResourceNotFound.for_field("review", "slug", review["slug"]) from failure
