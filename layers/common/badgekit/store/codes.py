"""Claim codes in the table (spec claim-codes.md; data-model C1-C4).

A code lives at `keys.claim_code(badgeId, code)` in its badge's partition (one GetItem resolves
it; `attribute_not_exists(PK)` guards per-badge uniqueness, case-insensitively), is listed in the
badge's `codes_list` and in the `container_codes_list` of its badge's system, issuer and program
(`GET {L}/codes`), and reverse-indexed on GSI2 (`code_lookup(code)` + `scope_sort_key`) for the
lookup by code (C4). Every expression a code is written with is built here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from botocore.exceptions import ClientError

from badgekit.store import db, keys, prefetch
from badgekit.store.badges import BadgeRecord
from badgekit.store.records import optional, record

ENTITY = "code"

Action = dict[str, Any]


class CodeRecord(TypedDict):
    id: int
    code: str
    claimed: bool
    multiuse: bool
    badgeId: int
    systemId: int
    email: NotRequired[str]
    issuerId: NotRequired[int]
    programId: NotRequired[int]


def key(badge_id: int, code: str) -> keys.Key:
    return keys.claim_code(badge_id, code)


def _item(code: CodeRecord) -> dict[str, Any]:
    """The stored item of a new code: the record, its key and its GSI2 entry."""
    return {
        **key(code["badgeId"], code["code"]),
        "entity": ENTITY,
        **code,
        "GSI2PK": keys.code_lookup(code["code"]),
        "GSI2SK": keys.scope_sort_key(
            code["systemId"], code.get("issuerId"), code.get("programId"), code["id"]
        ),
    }


# --- reading ----------------------------------------------------------------------------------


def get(badge_id: int, code: str) -> CodeRecord | None:
    """The badge's code (case-insensitive), strongly consistent."""
    return optional(prefetch.get(key(badge_id, code)), CodeRecord)


def at(code_key: keys.Key) -> CodeRecord | None:
    """The code at a key found through the index (a `Match`), strongly consistent."""
    return optional(prefetch.get(code_key), CodeRecord)


def read_ahead(code_key: keys.Key) -> bool:
    """Whether this request has already read the code at `code_key` (`at` costs no call)."""
    return prefetch.known(code_key)[0]


def list_for_badge(badge_id: int, page: db.Page | None) -> tuple[list[CodeRecord], int]:
    """C1: a badge's codes, ascending id, one page or all, with the exact total."""
    members, total = db.list_members(keys.codes_list(badge_id), page)
    return [record(member, CodeRecord) for member in members], total


def container_lists(
    system_id: int, issuer_id: int | None, program_id: int | None
) -> list[keys.ListScope]:
    """The container-level code lists a code of a badge at (system, issuer, program) is in."""
    scopes = [keys.container_codes_list(system_id, "system", system_id)]
    if issuer_id is not None:
        scopes.append(keys.container_codes_list(system_id, "issuer", issuer_id))
    if program_id is not None:
        scopes.append(keys.container_codes_list(system_id, "program", program_id))
    return scopes


def _memberships(owner: Mapping[str, Any]) -> list[keys.ListScope]:
    """The container lists of a code (or of every code of a badge): its badge's containers."""
    return container_lists(
        int(owner["systemId"]),
        db.int_or_none(owner.get("issuerId")),
        db.int_or_none(owner.get("programId")),
    )


def _owners(owner: Mapping[str, Any]) -> list[str]:
    return keys.owner_tokens(
        int(owner["systemId"]),
        db.int_or_none(owner.get("issuerId")),
        db.int_or_none(owner.get("programId")),
    )


def list_for_container(
    system_id: int, level: str, level_id: int, page: db.Page | None
) -> tuple[list[tuple[CodeRecord, BadgeRecord]], int]:
    """The codes of every badge of a container, ascending id, one page or all, each with its
    badge, and the exact total: one Query of the container's code list (header + entries up to
    the end of the page), one BatchGetItem of the page's codes together with the system's
    badge-list entries of their badges (both states: they point at the badges' current keys),
    one BatchGetItem of those badges. A code whose badge is gone (being purged) is left out."""
    entries, total = db.list_entries(keys.container_codes_list(system_id, level, level_id), page)
    badge_ids = sorted({int(entry["badgeId"]) for entry in entries})
    pointers = [
        keys.badges_list(system_id, "system", system_id, archived).entry(badge_id)
        for badge_id in badge_ids
        for archived in (False, True)
    ]
    code_keys = [{"PK": entry["refPK"], "SK": entry["refSK"]} for entry in entries]
    found = db.batch_get([*code_keys, *pointers])
    badge_keys = [{"PK": i["refPK"], "SK": i["refSK"]} for i in found if "refPK" in i]
    badges = {
        int(item["id"]): record(item, BadgeRecord)
        for item in db.batch_get(badge_keys)
        if item.get("entity") == "badge"
    }
    pairs: list[tuple[CodeRecord, BadgeRecord]] = []
    for item in found:
        if item.get("entity") != ENTITY:
            continue
        code = record(item, CodeRecord)
        badge = badges.get(code["badgeId"])
        if badge is not None:
            pairs.append((code, badge))
    return pairs, total


@dataclass(frozen=True)
class Match:
    """A code found through GSI2: its id, its badge's id and its key."""

    id: int
    badge_id: int
    key: keys.Key


def matches_query(code: str, scope_prefix: str) -> prefetch.Planned:
    """(name, run) of the GSI2 Query of `matches`, for a request to make it ahead."""
    lookup = keys.code_lookup(code)
    return ("code", lookup, scope_prefix), lambda: db.reverse_lookup(lookup, scope_prefix)


def matches(code: str, scope_prefix: str) -> list[Match]:
    """Codes equal to `code` (ci) on badges within a container (`scope_prefix`), lowest id
    first. GSI2 sorts by container then id, so every match in scope is read and sorted by id."""
    found = [
        Match(
            int(str(row["GSI2SK"]).rsplit("#", 1)[1]),
            int(str(row["PK"]).rsplit("#", 1)[1]),  # BADGEID#<id>
            {"PK": row["PK"], "SK": row["SK"]},
        )
        for row in prefetch.query(*matches_query(code, scope_prefix))
    ]
    return sorted(found, key=lambda match: match.id)


# --- writing ----------------------------------------------------------------------------------


def add_actions(code: CodeRecord) -> list[Action]:
    """Transaction actions writing a new code (action 0, only if the badge does not have it
    yet), its entries in the badge's and the containers' lists and their totals (1 + 2 + 2 per
    container: at most 9)."""
    code_key = key(code["badgeId"], code["code"])
    actions = [
        {"Put": {"Item": _item(code), "ConditionExpression": "attribute_not_exists(PK)"}},
        *db.list_add(keys.codes_list(code["badgeId"]), code["id"], code_key),
    ]
    for scope in _memberships(code):
        entry = {
            **scope.entry(code["id"]),
            "refPK": code_key["PK"],
            "refSK": code_key["SK"],
            "badgeId": code["badgeId"],  # the container list reads the badges with the codes
            db.OWNERS: _owners(code),  # skipped while one of them is purged (domain/cascade.py)
        }
        actions.extend([{"Put": {"Item": entry}}, db.total_change(scope, 1)])
    return actions


def delete_actions(code: CodeRecord) -> list[Action]:
    """Transaction actions deleting a code (action 0, only if it is still the same code) and
    its entries in the badge's and the containers' lists."""
    current = {**key(code["badgeId"], code["code"]), "id": code["id"]}
    actions = [
        db.delete_same(current),
        *db.list_remove(keys.codes_list(code["badgeId"]), code["id"]),
    ]
    for scope in _memberships(code):
        actions.extend(db.list_remove(scope, code["id"]))
    return actions


# A deleted badge's codes leave the container lists in transactions of DETACH_CHUNK codes:
# per code its delete (if still the same code) and up to 3 entries, plus one total per list:
# 24 * 4 + 3 = 99 actions (DynamoDB allows 100).
DETACH_CHUNK = 24


def detach_badge(badge: Mapping[str, Any], children: Sequence[db.Item]) -> int:
    """After a badge's delete committed: remove its codes (and their container-list entries,
    with the totals) in transactions of DETACH_CHUNK, found through the entries of the badge's
    own code list among `children` (the badge partition's rows, `store.badges.children`); the
    badge partition is purged afterwards. A code deleted concurrently fails its chunk, which is
    then done code by code (that one skipped). Returns the number of codes removed here."""
    scope = keys.codes_list(int(badge["id"]))
    found = [
        (db.member_id(entry), db.member_key(entry))
        for entry in children
        if str(entry["SK"]).startswith(scope.prefix) and entry["SK"] != scope.prefix
    ]
    lists = _memberships(badge)
    removed = 0
    for start in range(0, len(found), DETACH_CHUNK):
        chunk = found[start : start + DETACH_CHUNK]
        try:
            db.transact(_detach_actions(chunk, lists))
            removed += len(chunk)
        except db.TransactionFailed:
            removed += sum(_detach_one(member, lists) for member in chunk)
    return removed


def _detach_actions(
    codes: Sequence[tuple[int, keys.Key]], lists: Sequence[keys.ListScope]
) -> list[Action]:
    actions = []
    for code_id, code_key in codes:
        actions.append(db.delete_same({**code_key, "id": code_id}))
        actions.extend({"Delete": {"Key": scope.entry(code_id)}} for scope in lists)
    actions.extend(db.total_change(scope, -len(codes)) for scope in lists)
    return actions


def _detach_one(code: tuple[int, keys.Key], lists: Sequence[keys.ListScope]) -> int:
    """One code's `_detach_actions`; 0 when it is already gone, retried on a conflict."""
    for attempt in range(db.MAX_ATTEMPTS):
        try:
            db.transact(_detach_actions([code], lists))
            return 1
        except db.TransactionFailed as failure:
            if failure.failed(0):
                return 0
            db.back_off(attempt)
    raise db.TransactionFailed(["TransactionConflict"])


def claim_action(badge_id: int, code: str, email: str | None) -> Action:
    """TransactWriteItems `Update`: mark the code claimed (recording `email`, or clearing it when
    None) unless it is a claimed single-use code. The condition also fails when the code is
    gone."""
    values: dict[str, Any] = {":true": True, ":false": False}
    if email is None:
        expression = "SET claimed = :true REMOVE email"
    else:
        expression = "SET claimed = :true, email = :email"
        values[":email"] = email
    return {
        "Update": {
            "Key": key(badge_id, code),
            "UpdateExpression": expression,
            "ConditionExpression": (
                "attribute_exists(PK) AND (claimed = :false OR multiuse = :true)"
            ),
            "ExpressionAttributeValues": values,
        }
    }


class ClaimRefused(Exception):
    """A claim's condition failed: the code is used up (`exists`) or gone."""

    def __init__(self, exists: bool) -> None:
        super().__init__("claimed" if exists else "missing")
        self.exists = exists


def claim(badge_id: int, code: str, email: str | None) -> CodeRecord:
    """One conditional UpdateItem (`claim_action`): the code as claimed, or `ClaimRefused`
    (the old image returned on failure tells a used code from a missing one)."""
    update = claim_action(badge_id, code, email)["Update"]
    try:
        response = db.table().update_item(
            **update, ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD"
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        raise ClaimRefused(bool(exc.response.get("Item"))) from exc
    return record(response["Attributes"], CodeRecord)


def update(
    badge_id: int, code: str, sets: Mapping[str, Any], removes: Sequence[str]
) -> CodeRecord | None:
    """One conditional UpdateItem setting `sets` and removing `removes` (attribute names); the
    code as updated, or None when it does not exist."""
    expression = " ".join(
        part
        for part in (
            "SET " + ", ".join(f"{name} = :{name}" for name in sets) if sets else "",
            "REMOVE " + ", ".join(removes) if removes else "",
        )
        if part
    )
    kwargs: dict[str, Any] = {
        "Key": key(badge_id, code),
        "UpdateExpression": expression,
        "ConditionExpression": "attribute_exists(PK)",
        "ReturnValues": "ALL_NEW",
    }
    if sets:
        kwargs["ExpressionAttributeValues"] = {f":{name}": value for name, value in sets.items()}
    try:
        response = db.table().update_item(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return None
    return record(response["Attributes"], CodeRecord)
