"""Badge instances: awarding, revoking, listing (spec issuing.md; data-model C5-C9).

An instance lives at `keys.instance(badgeId, email)` in its badge's partition: the key is the
one-per-(badge, email) guard (case-insensitive) and a badge delete purges it. Its public face is
an assertion item at `keys.assertion(slug)`, the deployment-wide slug guard, which holds what the
hosted assertion needs. An award is ONE transaction: instance, assertion, list entry + total,
"badge still exists", the claim of a code when one was used, and the `award` outbox event.

A revoke deletes the instance and turns its assertion into a tombstone (`revoked`): the slug
stays taken and the hosted assertion answers `410`. A reference to the tombstone stays in the
badge's partition so the badge-delete cascade can find and remove it.

Instances are reverse-indexed on GSI2 (`earner_lookup(email)` + `scope_sort_key`) for "badges
held by an email" (C8 by container, C9 for milestones). Every expression and every read of an
instance or an assertion is in `store/instances.py`, which hands back typed records.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from badgekit import jsonutil, metrics, timestamps
from badgekit.domain import badges, codes, render
from badgekit.domain.places import Place
from badgekit.domain.validation import (
    EMAIL,
    INVALID_EMAIL,
    NOT_A_DATE,
    REQUIRED,
    CoercionError,
    Report,
    StringField,
    as_string,
    check_fields,
    length,
)
from badgekit.errors import ResourceConflict, ResourceNotFound, ValidationError
from badgekit.store import badges as badge_store
from badgekit.store import codes as code_store
from badgekit.store import containers as container_store
from badgekit.store import db, keys, outbox
from badgekit.store import instances as instance_store
from badgekit.store.badges import BadgeRecord
from badgekit.store.codes import CodeRecord
from badgekit.store.instances import AssertionRecord, InstanceRecord

ENTITY = instance_store.ENTITY

EMAIL_FIELD = StringField("email", required=True, rules=(EMAIL, length(0, 255)))
SLUG_FIELD = StringField("slug", rules=(length(1, 255),))
CLAIM_CODE_FIELD = StringField("claimCode", rules=(length(0, 255),))
# Values of `expires` that mean "no expiry" (issuing.md input fields; form bodies send text).
NO_EXPIRY = ("", "0", "false")
EXPECTED_ARRAY = "Expected array"
# A bulk award is bounded (README §3 limits): its length is checked before anything is read.
MAX_BULK_EMAILS = 1000
TOO_MANY_EMAILS = f"Too many emails (at most {MAX_BULK_EMAILS})"
# A bulk award writes its instances in transactions of up to 100 actions: per award the instance,
# its assertion, its list entry and its `award` event, plus one list-total update and one badge
# check per transaction.
_PER_AWARD = 4
_BULK_CHUNK = (100 - 2) // _PER_AWARD  # 24 awards
# DynamoDB caps a transaction at 4 MB; each event embeds the badge's representation, so a large
# badge makes smaller chunks. Sizes are estimated from the items' JSON, with a margin.
_CHUNK_BYTES = 3_000_000

_ATTEMPTS = 6  # transaction conflicts and generated-slug collisions are retried


# --- the badge being issued ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A badge being issued or shown, and the request's renderer (its Badge representation in
    responses and events, the base URL of its assertions)."""

    badge: BadgeRecord
    renderer: render.Renderer

    @classmethod
    def of(cls, place: Place, badge: BadgeRecord, base_url: str) -> Target:
        return cls(badge, render.Renderer(place, base_url))

    @property
    def badge_id(self) -> int:
        return self.badge["id"]

    @property
    def base_url(self) -> str:
        return self.renderer.base_url


# --- input ----------------------------------------------------------------------------------------


@dataclass
class AwardInput:
    email: str
    slug: str | None = None
    issued_on: int | None = None
    expires: int | None = None
    claim_code: str | None = None
    comment: str | None = None


def _timestamp(
    fields: Mapping[str, Any], name: str, report: Report, *, expiry: bool = False
) -> int | None:
    value = fields.get(name)
    if expiry and (value is False or (isinstance(value, int) and value == 0)):
        return None
    if expiry and isinstance(value, str) and value.strip().lower() in NO_EXPIRY:
        return None
    try:
        return timestamps.parse(value)
    except ValueError:
        report.add(name, NOT_A_DATE, value)
        return None


def _comment(fields: Mapping[str, Any]) -> str | None:
    value = fields.get("comment")
    if value is None:
        return None
    try:
        return as_string(value)
    except CoercionError:
        return None


def parse_award(fields: Mapping[str, Any]) -> AwardInput:
    """Single-award body; details in the order email, slug, issuedOn, expires, claimCode."""
    report = Report()
    values = check_fields((EMAIL_FIELD, SLUG_FIELD), fields, report)
    issued_on = _timestamp(fields, "issuedOn", report)
    expires = _timestamp(fields, "expires", report, expiry=True)
    values.update(check_fields((CLAIM_CODE_FIELD,), fields, report))
    report.raise_if_any()
    return AwardInput(
        email=values["email"],
        slug=values.get("slug"),
        issued_on=issued_on,
        expires=expires,
        claim_code=values.get("claimCode"),
        comment=_comment(fields),
    )


@dataclass
class BulkInput:
    emails: list[str]
    issued_on: int | None
    expires: int | None
    comment: str | None


def parse_bulk(fields: Mapping[str, Any]) -> BulkInput:
    """Bulk body: `emails` (array, or one string), then issuedOn, expires.

    More than MAX_BULK_EMAILS entries is the `emails` detail (no `value` key, issuing.md), found
    from the length alone: the entries are then not validated one by one (a field fails at most
    once), and nothing has been read yet. issuedOn and expires are still checked."""
    report = Report()
    raw = fields.get("emails")
    emails: list[str] = []
    if raw is None:
        report.add("emails", REQUIRED, raw)
    elif not isinstance(raw, list | str):
        report.add("emails", EXPECTED_ARRAY, raw)
    elif isinstance(raw, list) and len(raw) > MAX_BULK_EMAILS:
        report.add("emails", TOO_MANY_EMAILS, with_value=False)
    else:
        for index, entry in enumerate(raw if isinstance(raw, list) else [raw]):
            try:
                text = as_string(entry)
            except CoercionError:
                text = None
            if text is None or not EMAIL.check(text) or len(text) > 255:
                report.add(f"emails[{index}]", INVALID_EMAIL, entry)
            else:
                emails.append(text)
    issued_on = _timestamp(fields, "issuedOn", report)
    expires = _timestamp(fields, "expires", report, expiry=True)
    report.raise_if_any()
    return BulkInput(emails, issued_on, expires, _comment(fields))


# --- awarding -------------------------------------------------------------------------------------


def _build(
    target: Target,
    instance_id: int,
    email: str,
    slug: str,
    issued_on: int,
    expires: int | None,
    claim_code: str | None,
) -> tuple[InstanceRecord, AssertionRecord]:
    badge = target.badge
    instance = instance_store.new_record(
        instance_id=instance_id,
        slug=slug,
        email=email,
        issued_on=issued_on,
        expires=expires,
        claim_code=claim_code,
        badge_id=target.badge_id,
        place=(badge["systemId"], badge.get("issuerId"), badge.get("programId")),
        salt=secrets.token_hex(16),
    )
    return instance, instance_store.hosted_of(instance)


# Action order of an award transaction: instance, assertion, list entry, list total, badge
# check, [code claim], event.
_ASSERTION = 1


def _award_actions(
    target: Target,
    instance: InstanceRecord,
    assertion: AssertionRecord,
    code_item: CodeRecord | None,
    comment: str | None,
    origin: outbox.Origin,
    event_system_id: int,
) -> list[dict[str, Any]]:
    """One award's transaction: its own actions, the list total, the badge check, the claim."""
    actions = [
        *_own_actions(target, instance, assertion, comment, origin, event_system_id),
        instance_store.total_change(target.badge_id, 1),
        badge_store.still_there(target.badge),
    ]
    if code_item is not None:
        actions.append(
            code_store.claim_action(code_item["badgeId"], code_item["code"], instance["email"])
        )
    return actions


def _own_actions(
    target: Target,
    instance: InstanceRecord,
    assertion: AssertionRecord,
    comment: str | None,
    origin: outbox.Origin,
    event_system_id: int,
) -> list[dict[str, Any]]:
    """What each award writes whatever else shares its transaction: the instance, its assertion,
    its list entry and its `award` event."""
    return [
        *instance_store.put_actions(instance, assertion),
        outbox.event_put(
            event_system_id,
            "award",
            target.renderer.award_payload(instance, target.badge, comment),
            origin=origin,
            attributes={
                "badgeId": target.badge_id,
                "email": instance["email"],
                "baseUrl": target.base_url,
            },
        ),
    ]


class _Retry(Exception):
    """A failure nothing in the stored data explains (a conflict, a generated-slug clash)."""


def already_awarded(email: str, target: Target, existing: InstanceRecord) -> ResourceConflict:
    return ResourceConflict(
        f"User {email} has already been awarded badge {target.badge['slug']}",
        {"assertionUrl": render.assertion_url(existing["slug"], target.base_url)},
    )


def _explain(
    failure: db.TransactionFailed,
    target: Target,
    email: str,
    slug: str,
    slug_given: bool,
    code: str | None,
) -> Exception:
    """The spec error for a cancelled award, from the data as it now is (issuing.md flow, in
    its order: badge, code, already awarded, slug); `_Retry` when nothing explains it."""
    state = instance_store.award_state(target.badge, email, code)
    badge_now = state.badge
    if badge_now is None or badge_now["id"] != target.badge["id"]:
        return ResourceNotFound.for_field("badge", "slug", target.badge["slug"])
    if code is not None:
        if state.code is None:
            return codes.not_found(code)
        if codes.used_up(state.code):
            return codes.already_used(code)
    existing = state.instance
    if existing is not None:
        return already_awarded(email, target, existing)
    if failure.failed(_ASSERTION) and slug_given:
        return ResourceConflict.duplicate_slug("badgeInstance", {"slug": slug})
    return _Retry()


def _award(
    target: Target,
    spec: AwardInput,
    *,
    origin: outbox.Origin = "request",
    event_system_id: int | None = None,
    code_item: CodeRecord | None = None,
    instance_id: int | None = None,
) -> InstanceRecord:
    """Create one instance (one transaction), retrying what the data does not explain."""
    system_id = target.badge["systemId"] if event_system_id is None else event_system_id
    for attempt in range(_ATTEMPTS):
        if instance_id is None:
            instance_id = db.next_id(ENTITY)
        slug = spec.slug or keys.new_slug(keys.INSTANCE_SLUG_HEX)
        issued_on = spec.issued_on if spec.issued_on is not None else timestamps.now()
        instance, assertion = _build(
            target, instance_id, spec.email, slug, issued_on, spec.expires, spec.claim_code
        )
        actions = _award_actions(
            target, instance, assertion, code_item, spec.comment, origin, system_id
        )
        try:
            db.transact(actions)
        except db.TransactionFailed as failure:
            error = _explain(
                failure, target, spec.email, slug, spec.slug is not None, spec.claim_code
            )
            if not isinstance(error, _Retry):
                raise error from failure
            db.back_off(attempt)
            continue
        return instance
    raise db.TransactionFailed(["TransactionConflict"])


def award_input(fields: Mapping[str, Any]) -> AwardInput | None:
    """`fields` parsed by `parse_award`, or None when they do not pass (a request that parses
    will probably create an instance: its id is worth reserving while its path resolves)."""
    try:
        return parse_award(fields)
    except ValidationError:
        return None


def award(
    target: Target, fields: Mapping[str, Any] | AwardInput, instance_id: int | None = None
) -> InstanceRecord:
    """POST {L}/badges/{b}/instances (issuing.md flow steps 1-5): the body's fields, or the
    `AwardInput` they were already parsed into; `instance_id` reserved already, or None
    (reserved here)."""
    spec = fields if isinstance(fields, AwardInput) else parse_award(fields)
    badge = target.badge
    code_item: CodeRecord | None = None
    if spec.claim_code is not None:
        code_item = codes.get(badge, spec.claim_code)
        if codes.used_up(code_item):
            raise codes.already_used(spec.claim_code)
    created = _award(target, spec, code_item=code_item, instance_id=instance_id)
    if code_item is None:
        metrics.awarded("direct")
    else:  # the award claimed the code
        metrics.awarded("claimCode")
        metrics.count(metrics.CLAIM_CODE_CLAIMED)
    return created


def award_bulk(target: Target, fields: Mapping[str, Any]) -> list[InstanceRecord]:
    """POST {L}/badges/{b}/instances/bulk: the new instances, in the order of `emails`.

    Calls: the emails' instance keys in BatchGetItems of 100 (concurrently), one UpdateItem
    reserving the ids (in `emails` order), then one transaction per chunk of up to 24 awards
    (`_award_chunk`), one after another: every chunk adds to the same list total and checks the
    same badge, items concurrent transactions would conflict on. 1,000 new emails: 10
    BatchGetItems, 1 UpdateItem, 42 TransactWriteItems. A request cut short (a timeout) leaves
    whole chunks awarded; sending it again skips the emails that now hold the badge."""
    spec = parse_bulk(fields)
    unique: list[str] = []
    seen: set[str] = set()
    for email in spec.emails:
        if keys.slug_key(email) not in seen:
            seen.add(keys.slug_key(email))
            unique.append(email)
    held = instance_store.holding(target.badge_id, unique)
    fresh = [e for e in unique if e not in held]
    ids = db.allocate_ids({ENTITY: len(fresh)})[ENTITY]
    pending = list(zip(fresh, ids, strict=True))
    created: list[InstanceRecord] = []
    size = _chunk_size(target, pending[0], spec) if pending else 1
    while pending:
        chunk, pending = pending[:size], pending[size:]
        awarded = _award_chunk(target, chunk, spec)
        metrics.awarded("bulk", len(awarded))  # per chunk: a later one may fail
        created.extend(awarded)
    return created


def _bulk_build(
    target: Target, pairs: Sequence[tuple[str, int]], spec: BulkInput
) -> list[tuple[InstanceRecord, list[dict[str, Any]]]]:
    """Each award of a chunk: its instance and its 4 actions (fresh slugs each time)."""
    built = []
    issued_on = spec.issued_on if spec.issued_on is not None else timestamps.now()
    system_id = target.badge["systemId"]
    for email, instance_id in pairs:
        instance, assertion = _build(
            target,
            instance_id,
            email,
            keys.new_slug(keys.INSTANCE_SLUG_HEX),
            issued_on,
            spec.expires,
            None,
        )
        # the list total and the badge check go once per chunk (`_award_chunk`)
        built.append(
            (
                instance,
                _own_actions(target, instance, assertion, spec.comment, "request", system_id),
            )
        )
    return built


def _chunk_size(target: Target, first: tuple[str, int], spec: BulkInput) -> int:
    """Awards per transaction: at most 24, fewer when the badge's representation (in every
    event) is large. All awards of a bulk have the same size but for the email."""
    _, actions = _bulk_build(target, [first], spec)[0]
    one = len(jsonutil.dumps(actions)) + 6 * 255  # the longest email, wherever it appears
    return max(1, min(_BULK_CHUNK, _CHUNK_BYTES // one))


def _award_chunk(
    target: Target, pairs: Sequence[tuple[str, int]], spec: BulkInput
) -> list[InstanceRecord]:
    """Award a chunk of emails in ONE transaction: their instances, assertions, list entries
    and `award` events, the list total raised once by the chunk's size, the badge check.

    A cancelled transaction is explained from the data as it now is (one BatchGetItem: the
    badge and the chunk's instance keys): the badge gone is the 404; emails awarded meanwhile
    (a concurrent award of the same email wins) are dropped; the rest is written again with
    fresh slugs (a conflict on the list total, a generated-slug clash)."""
    pending = list(pairs)
    for attempt in range(_ATTEMPTS):
        if not pending:
            return []
        built = _bulk_build(target, pending, spec)
        actions = [action for _, group in built for action in group]
        actions += [
            instance_store.total_change(target.badge_id, len(built)),
            badge_store.still_there(target.badge),
        ]
        try:
            db.transact(actions)
        except db.TransactionFailed as failure:
            badge_now, held = instance_store.recheck(target.badge, [e for e, _ in pending])
            if badge_now is None or badge_now["id"] != target.badge["id"]:
                raise ResourceNotFound.for_field("badge", "slug", target.badge["slug"]) from failure
            pending = [(e, i) for e, i in pending if e not in held]
            db.back_off(attempt)
            continue
        return [instance for instance, _ in built]
    raise db.TransactionFailed(["TransactionConflict"])


def held_badge_ids(email: str) -> set[int]:
    """C9: ids of every badge `email` holds, in any system (GSI2: eventually consistent)."""
    return instance_store.held_badge_ids(email)


def award_from_milestone(
    badge: BadgeRecord, email: str, event_system_id: int, base_url: str
) -> InstanceRecord | None:
    """Milestone auto-award (milestones.md step 4-5): an instance of `badge` for `email`
    (generated slug, issued now, no expiry, no code) and its `award` event (origin
    "milestone", comment null) in one transaction. None when `email` already holds it (or the
    badge or its system is gone)."""
    system = container_store.system_by_id(badge["systemId"])
    if system is None:
        return None
    target = Target.of(Place(system), badge, base_url)
    try:
        created = _award(
            target, AwardInput(email), origin="milestone", event_system_id=event_system_id
        )
    except (ResourceConflict, ResourceNotFound):
        return None
    metrics.awarded("milestone")
    return created


# --- reading --------------------------------------------------------------------------------------


def get(badge: BadgeRecord, email: str) -> InstanceRecord:
    instance = instance_store.get(badge["id"], email)
    if instance is None:
        raise not_found(email)
    return instance


def not_found(email: str) -> ResourceNotFound:
    return ResourceNotFound.for_field("badgeInstance", "email", email)


def list_for_badge(badge: BadgeRecord, page: db.Page | None) -> tuple[list[InstanceRecord], int]:
    """C7: a badge's instances, creation order."""
    return instance_store.list_for_badge(badge["id"], page)


def list_for_earner(
    place: Place, email: str, page: db.Page | None
) -> tuple[list[InstanceRecord], int]:
    """C8: instances held by `email` whose badge lies in the container (or below), ascending
    id, with the exact total."""
    return instance_store.list_for_earner(email, place.scope_prefix(), page, place.purging)


def with_badges(found: Sequence[InstanceRecord]) -> list[tuple[InstanceRecord, BadgeRecord]]:
    """Instances of several badges, each with its badge (read by id); an instance whose badge
    is being deleted is left out (the cascade removes it)."""
    by_id = badges.current_by_id(item["badgeId"] for item in found)
    pairs = [(item, by_id.get(item["badgeId"])) for item in found]
    return [(item, badge) for item, badge in pairs if badge is not None]


# --- revoking and updating ------------------------------------------------------------------------


def revoke(target: Target, email: str) -> InstanceRecord:
    """DELETE {L}/badges/{b}/instances/{email}: one transaction removes the instance, leaves a
    tombstone at its assertion, and records the `revoke` event. Returns the instance as it was."""
    instance = get(target.badge, email)
    actions: list[dict[str, Any]] = [
        *instance_store.revoke_actions(instance, timestamps.now()),
        outbox.event_put(
            target.badge["systemId"],
            "revoke",
            target.renderer.revoke_payload(instance, target.badge),
        ),
    ]
    try:
        db.transact(actions)
    except db.TransactionFailed as failure:
        raise not_found(email) from failure
    metrics.count(metrics.BADGE_REVOKED)
    return instance


def parse_update(fields: Mapping[str, Any]) -> dict[str, int | None]:
    """PUT extension: `issuedOn` and `expires` (null clears it); other keys are ignored."""
    report = Report()
    changes: dict[str, int | None] = {}
    if fields.get("issuedOn") is not None:
        changes["issuedOn"] = _timestamp(fields, "issuedOn", report)
    if "expires" in fields:
        changes["expires"] = _timestamp(fields, "expires", report, expiry=True)
    report.raise_if_any()
    return changes


def update(badge: BadgeRecord, email: str, fields: Mapping[str, Any]) -> InstanceRecord:
    """PUT {L}/badges/{b}/instances/{email}: instance and assertion change together."""
    instance = get(badge, email)
    changes = parse_update(fields)
    if not changes:
        return instance
    try:
        db.transact(instance_store.update_actions(instance, changes))
    except db.TransactionFailed as failure:
        raise not_found(email) from failure
    return instance_store.revised(instance, changes)


# --- badge delete cascade -------------------------------------------------------------------------


def purge_badge(badge: BadgeRecord) -> None:
    """Badge delete cascade: remove what the badge's instances keep outside its partition (their
    assertions and tombstones). The partition itself is purged by the caller afterwards."""
    instance_store.purge_assertions(badge["id"])
