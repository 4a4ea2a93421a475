"""Claim codes (spec claim-codes.md): one item per (badge, code), keyed by the badge's id.

A code lives at `keys.claim_code(badge_id, code)` in the badge's partition, so one GetItem
resolves it, `attribute_not_exists(PK)` guards per-badge uniqueness (case-insensitive) and a
badge delete purges it with the partition. It is listed in the badge's ordered `codes_list`
(header + entries, written in the same transaction) and reverse-indexed by GSI2
(`code_lookup(code)` + `scope_sort_key`) for `GET {L}/codes/{code}` (C4).

Claiming is one conditional write (`claim_action`): `claimed = false OR multiuse = true`, so of
two concurrent claims of a single-use code exactly one succeeds; the issuing module puts the same
action in the instance-creation transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from badgekit.domain import badges
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
from badgekit.store import db, keys
from badgekit.store.badges import BadgeRecord
from badgekit.store.records import record

Item = dict[str, Any]

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


def code_key(badge: Mapping[str, Any], code: str) -> keys.Key:
    return keys.claim_code(int(badge["id"]), code)


def find(badge: Mapping[str, Any], code: str) -> Item | None:
    """The badge's code (case-insensitive), strongly consistent."""
    return db.get(code_key(badge, code))


def get(badge: Mapping[str, Any], code: str) -> Item:
    found = find(badge, code)
    if found is None:
        raise not_found(code)
    return found


def already_used(code: str) -> CodeAlreadyUsed:
    return CodeAlreadyUsed(f"Claim code `{code}` has already been claimed")


def not_found(code: str) -> ResourceNotFound:
    return ResourceNotFound.for_field("claimCode", "code", code)


def used_up(item: Mapping[str, Any]) -> bool:
    """The lookup's `claimed`: this code can no longer be used (claimed and single-use)."""
    return bool(item.get("claimed", False)) and not bool(item.get("multiuse", False))


def new_item(badge: Mapping[str, Any], code_id: int, code: str, values: Mapping[str, Any]) -> Item:
    system_id = int(badge["systemId"])
    issuer_id = db.int_or_none(badge.get("issuerId"))
    program_id = db.int_or_none(badge.get("programId"))
    item: Item = {
        **code_key(badge, code),
        "entity": "code",
        "id": code_id,
        "code": code,
        "claimed": bool(values.get("claimed") or False),
        "multiuse": bool(values.get("multiuse") or False),
        "badgeId": int(badge["id"]),
        "systemId": system_id,
        "GSI2PK": keys.code_lookup(code),
        "GSI2SK": keys.scope_sort_key(system_id, issuer_id, program_id, code_id),
    }
    if values.get("email") is not None:
        item["email"] = values["email"]
    if issuer_id is not None:
        item["issuerId"] = issuer_id
    if program_id is not None:
        item["programId"] = program_id
    return item


# --- claiming ---------------------------------------------------------------------------------


def claim_action(code_item: Mapping[str, Any], email: str | None) -> dict[str, Any]:
    """TransactWriteItems `Update`: mark the code claimed (recording `email`, or clearing it when
    None) unless it is a claimed single-use code. The condition also fails when the code is gone.
    Only `PK`/`SK` of `code_item` are used."""
    values: dict[str, Any] = {":true": True, ":false": False}
    if email is None:
        expression = "SET claimed = :true REMOVE email"
    else:
        expression = "SET claimed = :true, email = :email"
        values[":email"] = email
    return {
        "Update": {
            "Key": {"PK": code_item["PK"], "SK": code_item["SK"]},
            "UpdateExpression": expression,
            "ConditionExpression": (
                "attribute_exists(PK) AND (claimed = :false OR multiuse = :true)"
            ),
            "ExpressionAttributeValues": values,
        }
    }


def claim(badge: Mapping[str, Any], code: str, body: Body) -> Item:
    """POST …/codes/{code}/claim: one conditional UpdateItem; the old image returned on failure
    tells a used code (400) from a missing one (404)."""
    key = code_key(badge, code)
    report = Report()
    values = check_fields(CLAIM_FIELDS, body.fields, report)
    _raise_report(report, badge, code)
    update = claim_action(key, values.get("email"))["Update"]
    try:
        response = db.table().update_item(
            **update, ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD"
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        if exc.response.get("Item"):
            raise already_used(code) from exc
        raise not_found(code) from exc
    claimed: Item = response["Attributes"]
    return claimed


def _raise_report(report: Report, badge: Mapping[str, Any], code: str) -> None:
    """Validation failures, unless the code does not exist: resolution (404) comes before body
    validation (README §2). The extra read happens only on the error path."""
    if report.details:
        get(badge, code)
        report.raise_if_any()


# --- creating ---------------------------------------------------------------------------------


def create(badge: Mapping[str, Any], body: Body) -> Item:
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


def create_random(badge: Mapping[str, Any], body: Body) -> Item:
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


def _insert(badge: Mapping[str, Any], item: Item) -> bool:
    """Write a new code; False when the badge already has it (404 when the badge is gone)."""
    key = {"PK": item["PK"], "SK": item["SK"]}
    actions: list[dict[str, Any]] = [
        {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
        *db.list_add(keys.codes_list(int(badge["id"])), int(item["id"]), key),
        db.still_there(badge),
    ]
    try:
        db.transact(actions)
    except db.TransactionFailed as failure:
        if failure.failed(0):
            return False
        if failure.failed(len(actions) - 1):
            raise ResourceNotFound.for_field("badge", "slug", badge["slug"]) from failure
        raise
    return True


# --- updating and deleting --------------------------------------------------------------------


def update(badge: Mapping[str, Any], code: str, body: Body) -> Item:
    """PUT …/codes/{code} (extension): `claimed`, `multiuse`, `email` (null clears it); other
    keys ignored. `claimed`/`multiuse` sent as null are left unchanged."""
    report = Report()
    values = check_fields(UPDATE_FIELDS, body.fields, report)
    _raise_report(report, badge, code)
    sets: list[str] = []
    removes: list[str] = []
    attribute_values: dict[str, Any] = {}
    for name in ("email", "claimed", "multiuse"):
        if name not in values:
            continue
        if values[name] is None:
            if name == "email":
                removes.append("email")
            continue
        sets.append(f"{name} = :{name}")
        attribute_values[f":{name}"] = values[name]
    if not sets and not removes:
        return get(badge, code)
    expression = " ".join(
        part
        for part in (
            "SET " + ", ".join(sets) if sets else "",
            "REMOVE " + ", ".join(removes) if removes else "",
        )
        if part
    )
    kwargs: dict[str, Any] = {
        "Key": code_key(badge, code),
        "UpdateExpression": expression,
        "ConditionExpression": "attribute_exists(PK)",
        "ReturnValues": "ALL_NEW",
    }
    if attribute_values:
        kwargs["ExpressionAttributeValues"] = attribute_values
    try:
        response = db.table().update_item(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        raise not_found(code) from exc
    updated: Item = response["Attributes"]
    return updated


def delete(badge: Mapping[str, Any], code: str) -> Item:
    """DELETE …/codes/{code}: the code and its list entry, atomically; returns it as it was."""
    item = get(badge, code)
    actions: list[dict[str, Any]] = [
        db.delete_same(item),
        *db.list_remove(keys.codes_list(int(badge["id"])), int(item["id"])),
    ]
    try:
        db.transact(actions)
    except db.TransactionFailed as failure:
        if failure.failed(0):  # deleted (and maybe re-created) concurrently
            raise not_found(code) from failure
        raise
    return item


# --- reading lists ----------------------------------------------------------------------------


def list_codes(badge: Mapping[str, Any], page: db.Page | None) -> tuple[list[Item], int]:
    """C1: a badge's codes, ascending id, one page or all, with the exact total."""
    return db.list_members(keys.codes_list(int(badge["id"])), page)


@dataclass(frozen=True)
class BadgeRef:
    """A badge of a container as its list entry knows it: id and item key."""

    id: int
    key: keys.Key


def badges_within(place: Place) -> list[BadgeRef]:
    """Every badge (active and archived) of the container and its descendants, in id order,
    from the badge lists' entries only (no badge item is read): one Query per state,
    concurrently."""

    def read(archived: bool) -> list[BadgeRef]:
        scope = badges.list_scope(place, archived)
        return [
            BadgeRef(
                int(str(entry["SK"]).rsplit("#", 1)[1]),
                {"PK": entry["refPK"], "SK": entry["refSK"]},
            )
            for entry in db.query_prefix(scope.partition, scope.prefix)
            if entry["SK"] != scope.prefix  # the list header
        ]

    refs = [ref for half in db.fan_out(read, [False, True]) for ref in half]
    return sorted(refs, key=lambda ref: ref.id)


def list_all(place: Place, page: db.Page | None) -> tuple[list[tuple[Item, Item]], int]:
    """GET {L}/codes (extension): the codes of every badge in the container, ascending id, each
    with its badge. One Query per badge list, one per badge's code list (merged by id), one
    BatchGetItem for the page's codes and one for their badges."""
    refs = badges_within(place)
    codes, total = db.list_members([keys.codes_list(ref.id) for ref in refs], page)
    by_id = {ref.id: ref for ref in refs}
    wanted = sorted({int(code["badgeId"]) for code in codes})
    found = db.batch_get([by_id[badge_id].key for badge_id in wanted if badge_id in by_id])
    badge_of = {int(badge["id"]): badge for badge in found}
    pairs = [(code, badge_of.get(int(code["badgeId"]))) for code in codes]
    # A badge deleted meanwhile: its codes are being purged with it.
    return [(code, badge) for code, badge in pairs if badge is not None], total


# --- lookup by code (C4) ----------------------------------------------------------------------


def candidates(place: Place, code: str) -> list[keys.Key]:
    """Keys of the codes equal to `code` (ci) on badges within the container, lowest id first.

    GSI2 sorts by container then id, so every match in scope is read and sorted by id (the
    same code on many badges of one container is rare)."""
    found: list[tuple[int, keys.Key]] = []
    for row in db.reverse_lookup(keys.code_lookup(code), place.scope_prefix()):
        code_id = int(str(row["GSI2SK"]).rsplit("#", 1)[1])
        found.append((code_id, {"PK": row["PK"], "SK": row["SK"]}))
    found.sort(key=lambda pair: pair[0])
    return [key for _, key in found]


def lookup(place: Place, code: str) -> tuple[Item, BadgeRecord]:
    """GET {L}/codes/{code}: (code item, badge) of the lowest-id code in scope. The index is
    eventually consistent; each candidate is confirmed by a strongly consistent read of the code
    (read concurrently with its badge, by id)."""
    for key in candidates(place, code):
        badge_id = int(str(key["PK"]).rsplit("#", 1)[1])  # BADGEID#<id>
        item, badge = _code_and_badge(key, badge_id)
        if item is not None and badge is not None:
            return item, record(badge, BadgeRecord)
    raise ResourceNotFound(f"Could not find the requested claim code {code}")


def _code_and_badge(key: keys.Key, badge_id: int) -> tuple[Item | None, Item | None]:
    def read(which: str) -> Item | None:
        return db.get(key) if which == "code" else db.by_id("badge", badge_id)

    item, badge = db.fan_out(read, ["code", "badge"])
    return item, badge
