"""Claim codes in the table (spec claim-codes.md; data-model C1-C4).

A code lives at `keys.claim_code(badgeId, code)` in its badge's partition (one GetItem resolves
it; `attribute_not_exists(PK)` guards per-badge uniqueness, case-insensitively), is listed in the
badge's `codes_list` and reverse-indexed on GSI2 (`code_lookup(code)` + `scope_sort_key`) for the
lookup by code (C4). Every expression a code is written with is built here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from botocore.exceptions import ClientError

from badgekit.store import db, keys, prefetch
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


def list_for_badges(badge_ids: Sequence[int], page: db.Page | None) -> tuple[list[CodeRecord], int]:
    """The codes of several badges merged by id (one Query per badge's list, concurrently)."""
    members, total = db.list_members([keys.codes_list(badge_id) for badge_id in badge_ids], page)
    return [record(member, CodeRecord) for member in members], total


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
    yet), its list entry and the list total."""
    code_key = key(code["badgeId"], code["code"])
    return [
        {"Put": {"Item": _item(code), "ConditionExpression": "attribute_not_exists(PK)"}},
        *db.list_add(keys.codes_list(code["badgeId"]), code["id"], code_key),
    ]


def delete_actions(code: CodeRecord) -> list[Action]:
    """Transaction actions deleting a code (action 0, only if it is still the same code) and
    its list entry."""
    current = {**key(code["badgeId"], code["code"]), "id": code["id"]}
    return [
        db.delete_same(current),
        *db.list_remove(keys.codes_list(code["badgeId"]), code["id"]),
    ]


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
