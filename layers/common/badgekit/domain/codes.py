"""Claim codes (spec claim-codes.md): one item per (badge, code), keyed by the badge's id.

A code lives at `keys.claim_code(badge_id, code)` in the badge's partition, so one GetItem
resolves it, `attribute_not_exists(PK)` guards per-badge uniqueness (case-insensitive) and a
badge delete purges it with the partition. It is listed in the badge's ordered `codes_list`
(header + entries, written in the same transaction) and reverse-indexed by GSI2
(`code_lookup(code)` + `scope_sort_key`) for `GET {L}/codes/{code}` (C4).

Claiming is one conditional write (`store.codes.claim_action`): `claimed = false OR multiuse =
true`, so of two concurrent claims of a single-use code exactly one succeeds; the issuing module
puts the same action in the instance-creation transaction. Every expression and every read is in
`store/codes.py`, which hands back `CodeRecord`s.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from badgekit import metrics
from badgekit.domain.inputs import Body
from badgekit.domain.places import Place
from badgekit.domain.validation import (
    EMAIL,
    BooleanField,
    Report,
    StringField,
    check_fields,
    length,
)
from badgekit.errors import CodeAlreadyUsed, ResourceConflict, ResourceNotFound
from badgekit.store import badges as badge_store
from badgekit.store import codes as code_store
from badgekit.store import db
from badgekit.store.badges import BadgeRecord
from badgekit.store.codes import CodeRecord

CODE = StringField("code", required=True, rules=(length(1, 255),))
EMAIL_FIELD = StringField("email", rules=(EMAIL, length(0, 255)))
FLAGS = (BooleanField("claimed"), BooleanField("multiuse"))
CREATE_FIELDS = (CODE, EMAIL_FIELD, *FLAGS)
RANDOM_FIELDS = (EMAIL_FIELD, *FLAGS)  # `code` is ignored on …/codes/random
UPDATE_FIELDS = (EMAIL_FIELD, *FLAGS)
CLAIM_FIELDS = (StringField("email", rules=(length(0, 255),)),)  # no format check (spec)

RANDOM_ALPHABET = "0123456789abcdef"
RANDOM_LENGTH = 10
RANDOM_ATTEMPTS = 5


# --- the item and its representation ---------------------------------------------------------


def find(badge: BadgeRecord, code: str) -> CodeRecord | None:
    """The badge's code (case-insensitive), strongly consistent."""
    return code_store.get(badge["id"], code)


def get(badge: BadgeRecord, code: str) -> CodeRecord:
    found = find(badge, code)
    if found is None:
        raise not_found(code)
    return found


def already_used(code: str) -> CodeAlreadyUsed:
    return CodeAlreadyUsed(f"Claim code `{code}` has already been claimed")


def not_found(code: str) -> ResourceNotFound:
    return ResourceNotFound.for_field("claimCode", "code", code)


def used_up(item: CodeRecord) -> bool:
    """The lookup's `claimed`: this code can no longer be used (claimed and single-use)."""
    return bool(item.get("claimed", False)) and not bool(item.get("multiuse", False))


def new_item(badge: BadgeRecord, code_id: int, code: str, values: Mapping[str, Any]) -> CodeRecord:
    issuer_id = badge.get("issuerId")
    program_id = badge.get("programId")
    item: CodeRecord = {
        "id": code_id,
        "code": code,
        "claimed": bool(values.get("claimed") or False),
        "multiuse": bool(values.get("multiuse") or False),
        "badgeId": badge["id"],
        "systemId": badge["systemId"],
    }
    if values.get("email") is not None:
        item["email"] = values["email"]
    if issuer_id is not None:
        item["issuerId"] = issuer_id
    if program_id is not None:
        item["programId"] = program_id
    return item


# --- claiming ---------------------------------------------------------------------------------


def claim(badge: BadgeRecord, code: str, body: Body) -> CodeRecord:
    """POST …/codes/{code}/claim: one conditional UpdateItem; the old image returned on failure
    tells a used code (400) from a missing one (404)."""
    report = Report()
    values = check_fields(CLAIM_FIELDS, body.fields, report)
    _raise_report(report, badge, code)
    try:
        claimed = code_store.claim(badge["id"], code, values.get("email"))
    except code_store.ClaimRefused as refused:
        if refused.exists:
            raise already_used(code) from refused
        raise not_found(code) from refused
    metrics.count(metrics.CLAIM_CODE_CLAIMED)
    return claimed


def _raise_report(report: Report, badge: BadgeRecord, code: str) -> None:
    """Validation failures, unless the code does not exist: resolution (404) comes before body
    validation (README §2). The extra read happens only on the error path."""
    if report.details:
        get(badge, code)
        report.raise_if_any()


# --- creating ---------------------------------------------------------------------------------


def create(badge: BadgeRecord, body: Body) -> CodeRecord:
    """POST …/codes: the code, its list entry and the list total in one transaction, provided
    the code is free on this badge and the badge still exists."""
    report = Report()
    values = check_fields(CREATE_FIELDS, body.fields, report)
    report.raise_if_any()
    code = str(values["code"])
    item = new_item(badge, db.next_id("code"), code, values)
    if not _insert(badge, item):
        raise ResourceConflict(
            "claimCode with that `code` already exists",
            {
                "code": code,
                "email": values.get("email"),
                "claimed": item["claimed"],
                "multiuse": item["multiuse"],
            },
        )
    return item


def create_random(badge: BadgeRecord, body: Body) -> CodeRecord:
    """POST …/codes/random: a fresh 10-hex-character code, generated again on collision."""
    report = Report()
    values = check_fields(RANDOM_FIELDS, body.fields, report)
    report.raise_if_any()
    code_id = db.next_id("code")
    for _ in range(RANDOM_ATTEMPTS):
        item = new_item(badge, code_id, random_code(), values)
        if _insert(badge, item):
            return item
    # 16^10 codes: reaching this means the badge holds a large share of them.
    raise ResourceConflict("claimCode with that `code` already exists", {})


def random_code() -> str:
    return "".join(secrets.choice(RANDOM_ALPHABET) for _ in range(RANDOM_LENGTH))


def _insert(badge: BadgeRecord, item: CodeRecord) -> bool:
    """Write a new code; False when the badge already has it (404 when the badge is gone). A
    conflict with another transaction (e.g. a code of the same container: they share the
    container lists' totals) is retried after a back-off."""
    actions = [*code_store.add_actions(item), badge_store.still_there(badge)]
    for attempt in range(db.MAX_ATTEMPTS):
        try:
            db.transact(actions)
            return True
        except db.TransactionFailed as failure:
            if failure.failed(0):
                return False
            if failure.failed(len(actions) - 1):
                raise ResourceNotFound.for_field("badge", "slug", badge["slug"]) from failure
            if not failure.conflict or attempt == db.MAX_ATTEMPTS - 1:
                raise
            db.back_off(attempt)
    raise db.TransactionFailed(["TransactionConflict"])


# --- updating and deleting --------------------------------------------------------------------


def update(badge: BadgeRecord, code: str, body: Body) -> CodeRecord:
    """PUT …/codes/{code} (extension): `claimed`, `multiuse`, `email` (null clears it); other
    keys ignored. `claimed`/`multiuse` sent as null are left unchanged."""
    report = Report()
    values = check_fields(UPDATE_FIELDS, body.fields, report)
    _raise_report(report, badge, code)
    sets: dict[str, Any] = {}
    removes: list[str] = []
    for name in ("email", "claimed", "multiuse"):
        if name not in values:
            continue
        if values[name] is None:
            if name == "email":
                removes.append("email")
            continue
        sets[name] = values[name]
    if not sets and not removes:
        return get(badge, code)
    updated = code_store.update(badge["id"], code, sets, removes)
    if updated is None:
        raise not_found(code)
    return updated


def delete(badge: BadgeRecord, code: str) -> CodeRecord:
    """DELETE …/codes/{code}: the code and its list entry, atomically; returns it as it was."""
    item = get(badge, code)
    try:
        db.transact(code_store.delete_actions(item))
    except db.TransactionFailed as failure:
        if failure.failed(0):  # deleted (and maybe re-created) concurrently
            raise not_found(code) from failure
        raise
    return item


# --- reading lists ----------------------------------------------------------------------------


def list_codes(badge: BadgeRecord, page: db.Page | None) -> tuple[list[CodeRecord], int]:
    """C1: a badge's codes, ascending id, one page or all, with the exact total."""
    return code_store.list_for_badge(badge["id"], page)


def list_all(
    place: Place, page: db.Page | None
) -> tuple[list[tuple[CodeRecord, BadgeRecord]], int]:
    """GET {L}/codes (extension): the codes of every badge in the container, ascending id, each
    with its badge: one Query of the container's code list, one BatchGetItem of the page's codes
    (with pointers to their badges), one BatchGetItem of their badges."""
    level, level_id = place.level()
    return code_store.list_for_container(place.system["id"], level, level_id, page)


def purge_badge(badge: BadgeRecord, children: Sequence[db.Item]) -> int:
    """The badge-delete cascade: the badge's codes leave the container lists (totals fixed);
    `children` are the badge partition's rows (`store.badges.children`)."""
    return code_store.detach_badge(badge, children)


# --- lookup by code (C4) ----------------------------------------------------------------------


def lookup(place: Place, code: str) -> tuple[CodeRecord, BadgeRecord]:
    """GET {L}/codes/{code}: (code, badge) of the lowest-id code in scope. The index is
    eventually consistent; each candidate is confirmed by a strongly consistent read of the code
    (read concurrently with its badge, by id). The same code on many badges of one container is
    rare."""
    for match in code_store.matches(code, place.scope_prefix()):
        item, badge = _code_and_badge(match)
        if item is not None and badge is not None and not place.purged(badge):
            return item, badge
    raise ResourceNotFound(f"Could not find the requested claim code {code}")


def _code_and_badge(match: code_store.Match) -> tuple[CodeRecord | None, BadgeRecord | None]:
    # In a GET request: the code and its badge (where the directory last saw it, with its
    # issuer and program) in one BatchGetItem; the badge counts only if it has that id.
    if badge_store.keys_by_id([match.badge_id]):
        badge = badge_store.by_ids([match.badge_id], also=[match.key]).get(match.badge_id)
        if badge is not None:
            return code_store.at(match.key), badge
        if code_store.read_ahead(match.key):  # the guess was wrong: the badge by id (GSI1)
            return code_store.at(match.key), badge_store.indexed(match.badge_id)

    def read(which: str) -> tuple[CodeRecord | None, BadgeRecord | None]:
        if which == "code":
            return code_store.at(match.key), None
        return None, badge_store.indexed(match.badge_id)

    (item, _), (_, badge) = db.fan_out(read, ["code", "badge"])
    return item, badge
