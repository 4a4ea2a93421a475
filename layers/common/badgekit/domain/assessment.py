"""Assessment (spec assessment.md): applications with evidence, reviews with review items.

The rules, validation and operations; `badgekit.store.assessment` stores them (an
application's evidence and a review's items are embedded in their items) and lists them.
Review create and every review update write the `review` outbox event in the same transaction
(webhooks.md §3.3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from badgekit import metrics, timestamps
from badgekit.domain import badges, render
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
from badgekit.store import assessment as assessment_store
from badgekit.store import db, keys, outbox
from badgekit.store.assessment import ApplicationRecord as ApplicationRecord
from badgekit.store.assessment import EvidenceRecord, ReviewItemRecord
from badgekit.store.assessment import ReviewRecord as ReviewRecord
from badgekit.store.badges import BadgeRecord

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


def find_evidence(application: ApplicationRecord, slug: str) -> dict[str, Any]:
    """One evidence item by slug (case-insensitive, like every slug), else the 404."""
    for evidence in application.get("evidence", []):
        if evidence["slug"].lower() == slug.lower():
            return render.evidence_json(evidence)
    raise ResourceNotFound.for_field("evidence", "slug", slug)


def approved(badge: BadgeRecord, review: ReviewRecord) -> bool:
    """Every required criterion of the badge is satisfied by an item of the review (true when
    the badge requires none); items naming unknown criteria never count (assessment.md)."""
    required = {c["id"] for c in badge.get("criteria", []) if c.get("required")}
    satisfied = {
        item["criterionId"] for item in review.get("reviewItems", []) if item.get("satisfied")
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


def _evidence(value: Any, report: Report) -> list[EvidenceRecord]:
    """Validated evidence items, each with a fresh slug."""
    bound_length("evidence", value, MAX_ITEM_BYTES, "Application")
    items: list[EvidenceRecord] = []
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


def _review_items(value: Any, report: Report) -> list[ReviewItemRecord]:
    bound_length("reviewItems", value, MAX_ITEM_BYTES, "Review")
    items: list[ReviewItemRecord] = []
    for raw, scoped in each_object("reviewItems", value, report):
        cleaned = check_fields(REVIEW_ITEM_FIELDS, raw, scoped)
        items.append(
            {
                # Always an int once the report is clear (the field is required).
                "criterionId": cast(int, cleaned.get("criterionId")),
                "satisfied": bool(cleaned.get("satisfied") or False),
                "comment": cleaned.get("comment"),
            }
        )
    return items


def _check_size(size: int, model: str) -> None:
    if size > MAX_ITEM_BYTES:
        raise RequestEntityTooLarge(
            f"{model} exceeds the maximum stored size of {MAX_ITEM_BYTES} bytes"
        )


# --- applications: reading ------------------------------------------------------------------------


def get_application(badge: BadgeRecord, slug: str) -> ApplicationRecord:
    """D2: the badge's application by slug (case-insensitive), else the 404."""
    found = assessment_store.get_application(badge["id"], slug)
    if found is None:
        raise ResourceNotFound.for_field("application", "slug", slug)
    return found


def list_applications(
    place: Place,
    badge: BadgeRecord | None,
    states: Sequence[bool],
    email: str | None,
    page: db.Page | None,
) -> tuple[list[tuple[ApplicationRecord, BadgeRecord]], int]:
    """D1: applications of the URL's container (and its descendants), or of one badge, in
    (badge id, created, id) order, filtered by state and learner, one page or all, with the
    total after filters. Never a round trip per application.

    - one badge: 1 Query per state (header + entries up to the page's end) + 1 BatchGetItem;
    - the container: its own state lists, `assessment_store.of_container` (1 Query per state
      + 2 BatchGetItems);
    - the `email` filter: `assessment_store.of_learner` (1 GSI2 Query + 2 BatchGetItems)."""
    if email:
        return assessment_store.of_learner(
            email,
            states,
            page,
            system_id=place.system["id"],
            container_prefix=place.scope_prefix(),
            badge=badge,
            purging=place.purging,
        )
    if badge is not None:
        applications, total = assessment_store.of_badge(badge["id"], states, page)
        return [(application, badge) for application in applications], total
    level, level_id = place.level()
    return assessment_store.of_container(place.system["id"], level, level_id, states, page)


# --- applications: writing ------------------------------------------------------------------------


def create_application(badge: BadgeRecord, body: Body) -> ApplicationRecord:
    """POST {L}/badges/{b}/applications: a pending application with its evidence, its list
    entry and its index attributes in one transaction (with a check that the badge is still
    there). Calls: 1 UpdateItem (id) + 1 TransactWriteItems."""
    fields = body.fields
    report = Report()
    values = check_fields(APPLICATION_FIELDS, fields, report)
    _, expiration = _timestamp("assignedExpiration", fields, report)
    evidence = _evidence(fields.get("evidence"), report)
    report.raise_if_any()
    application: ApplicationRecord = {
        "id": db.next_id(assessment_store.APPLICATION_ENTITY),
        "slug": keys.new_slug(),
        "badgeId": badge["id"],
        "systemId": badge["systemId"],
        "learner": values["learner"],
        "created": timestamps.now(),
        "evidence": evidence,
        "version": 1,
    }
    issuer_id, program_id = badge.get("issuerId"), badge.get("programId")
    if issuer_id is not None:
        application["issuerId"] = issuer_id
    if program_id is not None:
        application["programId"] = program_id
    if values.get("assignedTo") is not None:
        application["assignedTo"] = values["assignedTo"]
    if expiration is not None:
        application["assignedExpiration"] = expiration
    for attempt in range(_SLUG_ATTEMPTS):
        if attempt:
            application["slug"] = keys.new_slug()
        _check_size(assessment_store.application_size(application), "Application")
        try:
            assessment_store.insert_application(application, badge)
        except assessment_store.Rejected as rejected:
            if "badge" in rejected.changed:
                raise ResourceNotFound.for_field("badge", "slug", badge["slug"]) from rejected
            if "slug" in rejected.changed:
                continue  # slug collision: draw another
            raise
        metrics.count(metrics.APPLICATION_SUBMITTED)
        return application
    raise db.TransactionFailed(["ConditionalCheckFailed"])


def _application_input(application: ApplicationRecord) -> dict[str, Any]:
    return {"learner": application["learner"], "assignedTo": application.get("assignedTo")}


def update_application(application: ApplicationRecord, body: Body) -> ApplicationRecord:
    """PUT …/applications/{a}: partial update, all or nothing; a `processed` change moves the
    list entry in the same transaction. Nothing changed (e.g. only unknown fields) → no write.
    Calls: 1 TransactWriteItems (0 when nothing changed), + 1 GetItem per retry."""
    fields = body.fields
    current = application
    for attempt in range(db.MAX_ATTEMPTS):
        report = Report()
        merged = _application_input(current)
        merged.update({name: fields[name] for name in ("learner", "assignedTo") if name in fields})
        values = check_fields(APPLICATION_FIELDS, merged, report)
        has_expiration, expiration = _timestamp("assignedExpiration", fields, report)
        has_processed, processed = _timestamp("processed", fields, report, empty_clears=True)
        evidence = _evidence(fields["evidence"], report) if "evidence" in fields else None
        report.raise_if_any()
        updated = current.copy()
        updated["learner"] = values["learner"]
        if values.get("assignedTo") is None:
            updated.pop("assignedTo", None)
        else:
            updated["assignedTo"] = values["assignedTo"]
        if has_expiration:
            if expiration is None:
                updated.pop("assignedExpiration", None)
            else:
                updated["assignedExpiration"] = expiration
        if has_processed:
            if processed is None:
                updated.pop("processed", None)
            else:
                updated["processed"] = processed
        if evidence is not None:
            updated["evidence"] = evidence
        if updated == current:
            return current
        _check_size(assessment_store.application_size(updated), "Application")
        try:
            return assessment_store.save_application(current, updated)
        except assessment_store.Rejected as rejected:
            current = _application_or_gone(current, rejected)
            db.back_off(attempt)  # racing writers spread out (a state flip is 17 actions)
    raise db.TransactionFailed(["TransactionConflict"])


def _application_or_gone(current: ApplicationRecord, failure: Exception) -> ApplicationRecord:
    """The application as it now is, after `failure` (a lost race); its 404 if it is gone."""
    found = assessment_store.reload_application(current)
    if found is None:
        raise ResourceNotFound.for_field("application", "slug", current["slug"]) from failure
    return found


def _review_or_gone(current: ReviewRecord, failure: Exception) -> ReviewRecord:
    """The review as it now is, after `failure` (a lost race); its 404 if it is gone."""
    found = assessment_store.reload_review(current)
    if found is None:
        raise ResourceNotFound.for_field("review", "slug", current["slug"]) from failure
    return found


def delete_application(application: ApplicationRecord) -> None:
    """DELETE …/applications/{a}: the application and its list entry go in one transaction
    (its reviews become unreachable at once: every review route resolves the application);
    then its reviews and their list are purged. A review created concurrently either commits
    before (then it is purged) or fails its application check. Calls: 1 TransactWriteItems +
    2 Queries (concurrently) + 1 BatchWriteItem per 25 review rows."""
    if not assessment_store.remove_application(application):
        raise ResourceNotFound.for_field("application", "slug", application["slug"])
    purge_reviews(application)


def purge_badge(badge: BadgeRecord, children: Sequence[db.Item]) -> int:
    """The badge-delete cascade: the badge's applications leave the container lists (totals
    fixed); `children` are the badge partition's rows (`store.badges.children`)."""
    return assessment_store.detach_badge(badge, children)


def purge_reviews(application: ApplicationRecord) -> int:
    """Remove an application's reviews and their list (after the application is gone)."""
    return assessment_store.purge_reviews(application)


# --- reviews -------------------------------------------------------------------------------------


def get_review(application: ApplicationRecord, slug: str) -> ReviewRecord:
    """D5: the application's review by slug (case-insensitive), else the 404."""
    found = assessment_store.get_review(application["badgeId"], application["id"], slug)
    if found is None:
        raise ResourceNotFound.for_field("review", "slug", slug)
    return found


def list_reviews(
    application: ApplicationRecord, page: db.Page | None
) -> tuple[list[ReviewRecord], int]:
    """D4: 1 Query (header + entries) + 1 BatchGetItem."""
    return assessment_store.reviews(application["badgeId"], application["id"], page)


def _review_input(review: ReviewRecord | None) -> dict[str, Any]:
    if review is None:
        return {"author": None, "comment": None}
    return {"author": review["author"], "comment": review.get("comment")}


def _validate_review(
    fields: Mapping[str, Any], current: ReviewRecord | None
) -> tuple[dict[str, Any], list[ReviewItemRecord] | None]:
    report = Report()
    merged = _review_input(current)
    merged.update({name: fields[name] for name in ("author", "comment") if name in fields})
    values = check_fields(REVIEW_FIELDS, merged, report)
    items = _review_items(fields["reviewItems"], report) if "reviewItems" in fields else None
    report.raise_if_any()
    return values, items


def create_review(
    renderer: render.Renderer, badge: BadgeRecord, application: ApplicationRecord, body: Body
) -> ReviewRecord:
    """POST …/reviews: the review, its list entry, checks that the application (same version)
    and the badge are still there, and the `review` outbox event, in one transaction.
    Calls: 1 UpdateItem (id) + 1 TransactWriteItems (+ 1 GetItem per retry)."""
    values, items = _validate_review(body.fields, None)
    review: ReviewRecord = {
        "id": db.next_id(assessment_store.REVIEW_ENTITY),
        "slug": keys.new_slug(),
        "badgeId": badge["id"],
        "applicationId": application["id"],
        "author": values["author"],
        "reviewItems": items or [],
        "version": 1,
    }
    if values.get("comment") is not None:
        review["comment"] = values["comment"]
    current = application
    for attempt in range(db.MAX_ATTEMPTS):
        if attempt:
            review["slug"] = keys.new_slug()
        _check_size(assessment_store.review_size(review), "Review")
        event = outbox.event_put(
            badge["systemId"],
            "review",
            renderer.review_payload(badge, current, review, approved(badge, review)),
        )
        try:
            assessment_store.insert_review(review, current, badge, event)
        except assessment_store.Rejected as rejected:
            if "badge" in rejected.changed:
                raise ResourceNotFound.for_field("badge", "slug", badge["slug"]) from rejected
            if "application" in rejected.changed:
                current = _application_or_gone(current, rejected)
            continue  # a changed application, a slug collision or a conflict: again
        metrics.count(metrics.REVIEW_SUBMITTED)
        return review
    raise db.TransactionFailed(["TransactionConflict"])


def update_review(
    renderer: render.Renderer,
    badge: BadgeRecord,
    application: ApplicationRecord,
    review: ReviewRecord,
    body: Body,
) -> ReviewRecord:
    """PUT …/reviews/{r}: partial update of author, comment, reviewItems, written with a new
    `review` outbox event (after every successful update, as the original did), `approved`
    recomputed from the items after the update. Calls: 1 TransactWriteItems (+ 1-2 GetItems
    per retry)."""
    current, owner = review, application
    for _ in range(db.MAX_ATTEMPTS):
        values, items = _validate_review(body.fields, current)
        updated = current.copy()
        updated["author"] = values["author"]
        if values.get("comment") is None:
            updated.pop("comment", None)
        else:
            updated["comment"] = values["comment"]
        if items is not None:
            updated["reviewItems"] = items
        _check_size(assessment_store.review_size(updated), "Review")
        event = outbox.event_put(
            badge["systemId"],
            "review",
            renderer.review_payload(badge, owner, updated, approved(badge, updated)),
        )
        try:
            return assessment_store.save_review(current, updated, owner, badge, event)
        except assessment_store.Rejected as rejected:
            if "badge" in rejected.changed:
                raise ResourceNotFound.for_field("badge", "slug", badge["slug"]) from rejected
            if "application" in rejected.changed:
                owner = _application_or_gone(owner, rejected)
            if "review" in rejected.changed:
                current = _review_or_gone(current, rejected)
    raise db.TransactionFailed(["TransactionConflict"])


def delete_review(review: ReviewRecord) -> None:
    """DELETE …/reviews/{r}: the review (items embedded) and its list entry, one transaction;
    no event."""
    if not assessment_store.remove_review(review):
        raise ResourceNotFound.for_field("review", "slug", review["slug"])
