"""Claim codes through the claim-codes function (in-process), written from spec claim-codes.md.

Every route is exercised under the three container prefixes (README §1) with a badge owned by
that level; error bodies are compared whole. `calls` counts the DynamoDB calls of one request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.bodies import badge_body
from tests.support.meter import Meter, metered
from tests.unit.conftest import Api, system_body

SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
PRG = f"{ISS}/programs/scratch"
# (prefix, badge owned by that level)
LEVELS = [(SYS, "sys-badge"), (ISS, "iss-badge"), (PRG, "prg-badge")]
LEVEL_IDS = ["system", "issuer", "program"]
CODE_KEYS = ["id", "code", "claimed", "email", "multiuse"]


@pytest.fixture
def tree(api: Api) -> Api:
    assert api.post("/systems", system_body("chicago")).status == 201
    issuer = {"slug": "library", "name": "Library", "url": "http://lib.org"}
    assert api.post(f"{SYS}/issuers", issuer).status == 201
    program = {"slug": "scratch", "name": "Scratch", "url": "http://s.org"}
    assert api.post(f"{ISS}/programs", program).status == 201
    for prefix, slug in LEVELS:
        assert api.post(f"{prefix}/badges", badge_body(slug)).status == 201
    return api


def badge_of(api: Api, prefix: str, slug: str) -> dict[str, Any]:
    """The Badge representation as the badges function gives it (milestones: [])."""
    reply = api.get(f"{prefix}/badges/{slug}")
    assert reply.status == 200
    badge: dict[str, Any] = reply.json["badge"]
    assert badge["milestones"] == []
    return badge


def create(api: Api, prefix: str, slug: str, code: str, **fields: Any) -> dict[str, Any]:
    reply = api.post(f"{prefix}/badges/{slug}/codes", {"code": code, **fields})
    assert reply.status == 201, reply.json
    created: dict[str, Any] = reply.json["claimCode"]
    return created


def not_found(model: str, field: str, value: str) -> dict[str, str]:
    return {
        "code": "ResourceNotFound",
        "message": f"Could not find {model} field: `{field}`, value: `{value}`",
    }


def lookup_missing(code: str) -> dict[str, str]:
    return {
        "code": "ResourceNotFound",
        "message": f"Could not find the requested claim code {code}",
    }


def validation(*details: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": list(details),
    }


@pytest.fixture
def calls(tree: Api) -> Iterator[Meter]:
    with metered() as meter:
        yield meter


# --- POST {L}/badges/{b}/codes ---------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "slug"), LEVELS, ids=LEVEL_IDS)
def test_create_returns_code_and_badge(tree, prefix, slug):
    reply = tree.post(f"{prefix}/badges/{slug}/codes", {"code": "test", "multiuse": True})
    assert reply.status == 201
    assert list(reply.json) == ["status", "claimCode", "badge"]
    assert reply.json["status"] == "created"
    assert reply.json["claimCode"] == {
        "id": 1,
        "code": "test",
        "claimed": False,
        "email": None,
        "multiuse": True,
    }
    assert list(reply.json["claimCode"]) == CODE_KEYS
    assert reply.json["badge"] == badge_of(tree, prefix, slug)


def test_create_with_every_field_and_ids_in_creation_order(tree):
    first = create(tree, SYS, "sys-badge", "first")
    second = create(
        tree, SYS, "sys-badge", "Second", email="brian@example.org", claimed=True, multiuse=False
    )
    assert first == {"id": 1, "code": "first", "claimed": False, "email": None, "multiuse": False}
    assert second == {
        "id": 2,
        "code": "Second",
        "claimed": True,
        "email": "brian@example.org",
        "multiuse": False,
    }


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("1", True),
        ("0", False),
        ("true", True),
        ("false", False),
        (None, False),
    ],
)
def test_create_booleans_are_parsed_not_just_present(tree, sent, expected):
    code = create(tree, SYS, "sys-badge", "c", claimed=sent, multiuse=sent)
    assert (code["claimed"], code["multiuse"]) == (expected, expected)


def test_create_code_converted_from_number(tree):
    assert create(tree, SYS, "sys-badge", 12345)["code"] == "12345"


def test_create_without_code_is_required_field(tree):
    reply = tree.post(f"{SYS}/badges/sys-badge/codes", {"multiuse": 1})
    assert reply.status == 400
    assert reply.json == validation({"message": "Required field", "field": "code", "value": ""})


def test_create_validation_details_in_field_order(tree):
    body = {"multiuse": 2, "claimed": "yes", "email": "nope", "code": ""}
    reply = tree.post(f"{SYS}/badges/sys-badge/codes", body)
    assert reply.status == 400
    assert reply.json == validation(
        {"message": "String is not in range", "field": "code", "value": ""},
        {"message": "Invalid email", "field": "email", "value": "nope"},
        {"message": "Unexpected value or invalid argument", "field": "claimed", "value": "yes"},
        {"message": "Unexpected value or invalid argument", "field": "multiuse", "value": 2},
    )
    assert tree.get(f"{SYS}/badges/sys-badge/codes").json["claimCodes"] == []


def test_create_length_limits(tree):
    long_email = "a" * 250 + "@b.org"
    reply = tree.post(f"{SYS}/badges/sys-badge/codes", {"code": "x" * 256, "email": long_email})
    assert reply.json == validation(
        {"message": "String is not in range", "field": "code", "value": "x" * 256},
        {"message": "String is not in range", "field": "email", "value": long_email},
    )
    assert create(tree, SYS, "sys-badge", "y" * 255)["code"] == "y" * 255


def test_create_code_as_object_fails_validation(tree):
    reply = tree.post(f"{SYS}/badges/sys-badge/codes", {"code": {"a": 1}})
    assert reply.json == validation(
        {"message": "String is not in range", "field": "code", "value": {"a": 1}}
    )


def test_create_empty_email_is_invalid(tree):
    reply = tree.post(f"{SYS}/badges/sys-badge/codes", {"code": "c", "email": ""})
    assert reply.json == validation({"message": "Invalid email", "field": "email", "value": ""})


def test_duplicate_code_is_409_case_insensitively(tree):
    create(tree, SYS, "sys-badge", "Test")
    reply = tree.post(f"{SYS}/badges/sys-badge/codes", {"code": "test", "multiuse": True})
    assert reply.status == 409
    assert reply.json == {
        "code": "ResourceConflict",
        "message": "claimCode with that `code` already exists",
        "details": {"code": "test", "email": None, "claimed": False, "multiuse": True},
    }
    codes = tree.get(f"{SYS}/badges/sys-badge/codes").json["claimCodes"]
    assert [c["code"] for c in codes] == ["Test"]


def test_duplicate_details_carry_the_submitted_values(tree):
    create(tree, SYS, "sys-badge", "dup")
    body = {"code": "DUP", "email": "a@b.co", "claimed": "1", "multiuse": 0}
    reply = tree.post(f"{SYS}/badges/sys-badge/codes", body)
    assert reply.json["details"] == {
        "code": "DUP",
        "email": "a@b.co",
        "claimed": True,
        "multiuse": False,
    }


def test_same_code_on_other_badges_is_allowed(tree):
    ids = [create(tree, prefix, slug, "shared")["id"] for prefix, slug in LEVELS]
    assert ids == [1, 2, 3]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/systems/nope/badges/sys-badge/codes", not_found("system", "slug", "nope")),
        (f"{SYS}/issuers/nope/badges/iss-badge/codes", not_found("issuer", "slug", "nope")),
        (f"{ISS}/programs/nope/badges/prg-badge/codes", not_found("program", "slug", "nope")),
        (f"{SYS}/badges/nope/codes", not_found("badge", "slug", "nope")),
        # a system-level badge is not addressable under an issuer prefix (README §1 rule 2)
        (f"{ISS}/badges/sys-badge/codes", not_found("badge", "slug", "sys-badge")),
        (f"{PRG}/badges/iss-badge/codes", not_found("badge", "slug", "iss-badge")),
    ],
)
def test_container_and_badge_404s(tree, path, body):
    for reply in (
        tree.post(path, {"code": "c"}),
        tree.post(f"{path}/random"),
        tree.get(path),
        tree.get(f"{path}/c"),
        tree.put(f"{path}/c", {"claimed": True}),
        tree.delete(f"{path}/c"),
        tree.post(f"{path}/c/claim", {}),
    ):
        assert (reply.status, reply.json) == (404, body)


def test_resolution_404_comes_before_validation(tree):
    reply = tree.post(f"{SYS}/badges/nope/codes", {"multiuse": "bad"})
    assert (reply.status, reply.json) == (404, not_found("badge", "slug", "nope"))


def test_badge_reached_through_an_ancestor(tree):
    code = create(tree, SYS, "prg-badge", "from-system")
    got = tree.get(f"{PRG}/badges/prg-badge/codes/from-system")
    assert got.json["claimCode"] == code
    assert got.json["badge"] == badge_of(tree, PRG, "prg-badge")


# --- POST {L}/badges/{b}/codes/random --------------------------------------------------------


@pytest.mark.parametrize(("prefix", "slug"), LEVELS, ids=LEVEL_IDS)
def test_random_code_with_an_empty_body(tree, prefix, slug):
    reply = tree.call("POST", f"{prefix}/badges/{slug}/codes/random")  # no body, no type
    assert reply.status == 201
    assert list(reply.json) == ["status", "claimCode", "badge"]
    code = reply.json["claimCode"]
    assert re.fullmatch(r"[0-9a-f]{10}", code["code"])
    assert code == {
        "id": 1,
        "code": code["code"],
        "claimed": False,
        "email": None,
        "multiuse": False,
    }
    assert reply.json["badge"] == badge_of(tree, prefix, slug)
    assert tree.get(f"{prefix}/badges/{slug}/codes/{code['code']}").json["claimCode"] == code


def test_random_code_empty_body_without_body_claim(tree):
    """auth.md §7: an empty POST whose JWT has no `body` claim is accepted."""
    from badgekit import signing, timestamps

    path = f"{SYS}/badges/sys-badge/codes/random"
    claims = signing.request_claims("POST", path, b"", exp=timestamps.now() + 60)
    claims.pop("body")
    token = signing.authorization_header(signing.sign(claims, tree.secret))
    reply = tree.call("POST", path, sign=False, headers={"Authorization": token})
    assert reply.status == 201
    assert re.fullmatch(r"[0-9a-f]{10}", reply.json["claimCode"]["code"])


def test_random_codes_differ(tree):
    made = {
        tree.post(f"{SYS}/badges/sys-badge/codes/random").json["claimCode"]["code"]
        for _ in range(5)
    }
    assert len(made) == 5


def test_random_ignores_code_and_takes_the_other_fields(tree):
    body = {"code": "mine", "email": "a@b.co", "claimed": "true", "multiuse": 1}
    code = tree.post(f"{SYS}/badges/sys-badge/codes/random", body).json["claimCode"]
    assert code["code"] != "mine"
    assert (code["email"], code["claimed"], code["multiuse"]) == ("a@b.co", True, True)


def test_random_validation(tree):
    body = {"code": "", "email": "bad", "claimed": "nah", "multiuse": "yes"}
    reply = tree.post(f"{SYS}/badges/sys-badge/codes/random", body)
    assert reply.status == 400
    assert reply.json == validation(
        {"message": "Invalid email", "field": "email", "value": "bad"},
        {"message": "Unexpected value or invalid argument", "field": "claimed", "value": "nah"},
        {"message": "Unexpected value or invalid argument", "field": "multiuse", "value": "yes"},
    )


def test_random_generates_again_on_collision(tree, monkeypatch):
    from badgekit.domain import codes

    create(tree, SYS, "sys-badge", "aaaaaaaaaa")
    generated = iter(["AAAAAAAAAA", "aaaaaaaaaa", "bbbbbbbbbb"])
    monkeypatch.setattr(codes, "random_code", lambda: next(generated))
    reply = tree.post(f"{SYS}/badges/sys-badge/codes/random")
    assert reply.status == 201
    assert reply.json["claimCode"]["code"] == "bbbbbbbbbb"
    assert reply.json["claimCode"]["id"] == 2  # the retries reuse the reserved id
    listed = tree.get(f"{SYS}/badges/sys-badge/codes?page=1&count=10").json
    assert [c["code"] for c in listed["claimCodes"]] == ["aaaaaaaaaa", "bbbbbbbbbb"]
    assert listed["pageData"]["total"] == 2


def test_get_codes_random_looks_up_the_code_named_random(tree):
    path = f"{SYS}/badges/sys-badge/codes/random"
    assert tree.get(path).json == not_found("claimCode", "code", "random")
    create(tree, SYS, "sys-badge", "random")
    assert tree.get(path).json["claimCode"]["code"] == "random"


# --- GET {L}/badges/{b}/codes ------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "slug"), LEVELS, ids=LEVEL_IDS)
def test_list_codes_of_a_badge(tree, prefix, slug):
    made = [create(tree, prefix, slug, f"code-{n}") for n in range(4)]
    reply = tree.get(f"{prefix}/badges/{slug}/codes")
    assert reply.status == 200
    assert list(reply.json) == ["claimCodes", "badge"]
    assert reply.json["claimCodes"] == made
    assert reply.json["badge"] == badge_of(tree, prefix, slug)


def test_list_is_empty_without_codes(tree):
    assert tree.get(f"{SYS}/badges/sys-badge/codes").json["claimCodes"] == []
    paged = tree.get(f"{SYS}/badges/sys-badge/codes?page=1&count=5").json
    assert paged["pageData"] == {"page": 1, "count": 5, "total": 0}


def test_list_only_holds_this_badges_codes(tree):
    create(tree, SYS, "sys-badge", "mine")
    create(tree, ISS, "iss-badge", "theirs")
    codes = tree.get(f"{SYS}/badges/sys-badge/codes").json["claimCodes"]
    assert [c["code"] for c in codes] == ["mine"]


def test_list_pagination(tree):
    made = [create(tree, SYS, "sys-badge", f"c{n}") for n in range(5)]
    reply = tree.get(f"{SYS}/badges/sys-badge/codes?page=2&count=2")
    assert list(reply.json) == ["claimCodes", "badge", "pageData"]
    assert reply.json["claimCodes"] == made[2:4]
    assert reply.json["pageData"] == {"page": 2, "count": 2, "total": 5}
    last = tree.get(f"{SYS}/badges/sys-badge/codes?page=3&count=2").json
    assert last["claimCodes"] == made[4:]
    past = tree.get(f"{SYS}/badges/sys-badge/codes?page=9&count=2").json
    assert past["claimCodes"] == []
    assert past["pageData"] == {"page": 9, "count": 2, "total": 5}
    for query in ("page=1", "count=2", "page=0&count=2", "page=x&count=2", "page=-1&count=2"):
        full = tree.get(f"{SYS}/badges/sys-badge/codes?{query}").json
        assert "pageData" not in full
        assert full["claimCodes"] == made
    loose = tree.get(f"{SYS}/badges/sys-badge/codes?page=2abc&count=3").json
    assert loose["claimCodes"] == made[3:]


# --- GET / PUT / DELETE {L}/badges/{b}/codes/{code} -------------------------------------------


@pytest.mark.parametrize(("prefix", "slug"), LEVELS, ids=LEVEL_IDS)
def test_get_code(tree, prefix, slug):
    code = create(tree, prefix, slug, "MixedCase", email="a@b.co")
    reply = tree.get(f"{prefix}/badges/{slug}/codes/mixedcase")
    assert reply.status == 200
    assert list(reply.json) == ["badge", "claimCode"]
    assert reply.json == {"badge": badge_of(tree, prefix, slug), "claimCode": code}
    assert reply.json["claimCode"]["code"] == "MixedCase"


def test_get_unknown_code(tree):
    create(tree, SYS, "sys-badge", "known")
    reply = tree.get(f"{SYS}/badges/sys-badge/codes/unknown")
    assert (reply.status, reply.json) == (404, not_found("claimCode", "code", "unknown"))
    # codes are per badge: another badge's code is not this badge's
    other = tree.get(f"{ISS}/badges/iss-badge/codes/known")
    assert (other.status, other.json) == (404, not_found("claimCode", "code", "known"))


def test_percent_encoded_code_in_path(tree):
    code = create(tree, SYS, "sys-badge", "café 1@x")
    reply = tree.get(f"{SYS}/badges/sys-badge/codes/caf%C3%A9%201%40x")
    assert reply.json["claimCode"] == code
    missing = tree.get(f"{SYS}/badges/sys-badge/codes/caf%C3%A9%202")
    assert missing.json == not_found("claimCode", "code", "café 2")


@pytest.mark.parametrize(("prefix", "slug"), LEVELS, ids=LEVEL_IDS)
def test_delete_code(tree, prefix, slug):
    keep = create(tree, prefix, slug, "keep")
    gone = create(tree, prefix, slug, "Gone", email="a@b.co", claimed=True)
    reply = tree.delete(f"{prefix}/badges/{slug}/codes/GONE")
    assert reply.status == 200
    assert list(reply.json) == ["status", "claimCode", "badge"]
    assert reply.json == {
        "status": "deleted",
        "claimCode": gone,
        "badge": badge_of(tree, prefix, slug),
    }
    again = tree.delete(f"{prefix}/badges/{slug}/codes/gone")
    assert (again.status, again.json) == (404, not_found("claimCode", "code", "gone"))
    assert tree.get(f"{prefix}/badges/{slug}/codes/gone").status == 404
    listed = tree.get(f"{prefix}/badges/{slug}/codes?page=1&count=10").json
    assert listed["claimCodes"] == [keep]
    assert listed["pageData"]["total"] == 1
    assert tree.get(f"{prefix}/codes/gone").json == lookup_missing("gone")
    # the code is free again, with a new id
    assert create(tree, prefix, slug, "gone")["id"] == 3


@pytest.mark.parametrize(("prefix", "slug"), LEVELS, ids=LEVEL_IDS)
def test_update_code(tree, prefix, slug):
    create(tree, prefix, slug, "edit")
    body = {"claimed": "true", "multiuse": 1, "email": "new@example.org"}
    reply = tree.put(f"{prefix}/badges/{slug}/codes/EDIT", body)
    assert reply.status == 200
    assert list(reply.json) == ["status", "claimCode", "badge"]
    assert reply.json == {
        "status": "updated",
        "claimCode": {
            "id": 1,
            "code": "edit",
            "claimed": True,
            "email": "new@example.org",
            "multiuse": True,
        },
        "badge": badge_of(tree, prefix, slug),
    }
    assert (
        tree.get(f"{prefix}/badges/{slug}/codes/edit").json["claimCode"]
        == (reply.json["claimCode"])
    )


def test_update_is_partial_and_ignores_other_keys(tree):
    create(tree, SYS, "sys-badge", "edit", email="a@b.co", multiuse=True)
    whole = {"id": 99, "code": "renamed", "claimed": True, "nonsense": 1}
    reply = tree.put(f"{SYS}/badges/sys-badge/codes/edit", whole)
    assert reply.json["claimCode"] == {
        "id": 1,
        "code": "edit",
        "claimed": True,
        "email": "a@b.co",
        "multiuse": True,
    }
    assert tree.get(f"{SYS}/badges/sys-badge/codes/renamed").status == 404


def test_update_email_null_clears_it_and_false_flags(tree):
    create(tree, SYS, "sys-badge", "edit", email="a@b.co", claimed=True, multiuse=True)
    body = {"email": None, "claimed": False, "multiuse": "0"}
    code = tree.put(f"{SYS}/badges/sys-badge/codes/edit", body).json["claimCode"]
    assert code == {"id": 1, "code": "edit", "claimed": False, "email": None, "multiuse": False}


def test_update_with_an_empty_body_changes_nothing(tree):
    made = create(tree, SYS, "sys-badge", "edit", email="a@b.co")
    reply = tree.call("PUT", f"{SYS}/badges/sys-badge/codes/edit")
    assert reply.status == 200
    assert reply.json["claimCode"] == made


def test_update_validation_leaves_the_code_untouched(tree):
    made = create(tree, SYS, "sys-badge", "edit")
    body = {"multiuse": "maybe", "claimed": 3, "email": "nope", "code": ""}
    reply = tree.put(f"{SYS}/badges/sys-badge/codes/edit", body)
    assert reply.status == 400
    assert reply.json == validation(
        {"message": "Invalid email", "field": "email", "value": "nope"},
        {"message": "Unexpected value or invalid argument", "field": "claimed", "value": 3},
        {"message": "Unexpected value or invalid argument", "field": "multiuse", "value": "maybe"},
    )
    assert tree.get(f"{SYS}/badges/sys-badge/codes/edit").json["claimCode"] == made


def test_update_unknown_code(tree):
    reply = tree.put(f"{SYS}/badges/sys-badge/codes/nope", {"claimed": True})
    assert (reply.status, reply.json) == (404, not_found("claimCode", "code", "nope"))
    # resolution before validation
    invalid = tree.put(f"{SYS}/badges/sys-badge/codes/nope", {"claimed": "bad"})
    assert (invalid.status, invalid.json) == (404, not_found("claimCode", "code", "nope"))
    empty = tree.call("PUT", f"{SYS}/badges/sys-badge/codes/nope")
    assert (empty.status, empty.json) == (404, not_found("claimCode", "code", "nope"))
    assert tree.get(f"{SYS}/badges/sys-badge/codes/nope").status == 404  # not created


# --- POST {L}/badges/{b}/codes/{code}/claim ----------------------------------------------------


@pytest.mark.parametrize(("prefix", "slug"), LEVELS, ids=LEVEL_IDS)
def test_claim_single_use_code_once(tree, prefix, slug):
    create(tree, prefix, slug, "single-use")
    path = f"{prefix}/badges/{slug}/codes/single-use/claim"
    reply = tree.post(path, {"email": "brian@example.org"})
    assert reply.status == 200
    assert list(reply.json) == ["status", "claimCode", "badge"]
    assert reply.json == {
        "status": "updated",
        "claimCode": {
            "id": 1,
            "code": "single-use",
            "claimed": True,
            "email": "brian@example.org",
            "multiuse": False,
        },
        "badge": badge_of(tree, prefix, slug),
    }
    again = tree.post(path, {"email": "other@example.org"})
    assert again.status == 400
    assert again.json == {
        "code": "CodeAlreadyUsed",
        "message": "Claim code `single-use` has already been claimed",
    }
    stored = tree.get(f"{prefix}/badges/{slug}/codes/single-use").json["claimCode"]
    assert stored["email"] == "brian@example.org"


def test_claim_message_names_the_code_as_requested(tree):
    create(tree, SYS, "sys-badge", "Once", claimed=True)
    reply = tree.post(f"{SYS}/badges/sys-badge/codes/ONCE/claim", {})
    assert reply.json == {
        "code": "CodeAlreadyUsed",
        "message": "Claim code `ONCE` has already been claimed",
    }


def test_claim_multiuse_code_records_the_latest_claimant(tree):
    create(tree, SYS, "sys-badge", "multi", multiuse=True)
    path = f"{SYS}/badges/sys-badge/codes/multi/claim"
    first = tree.post(path, {"email": "one@example.org"}).json["claimCode"]
    assert (first["claimed"], first["email"]) == (True, "one@example.org")
    second = tree.post(path, {"email": "two@example.org"}).json["claimCode"]
    assert (second["claimed"], second["email"]) == (True, "two@example.org")
    anonymous = tree.call("POST", path)  # empty body: email absent -> null
    assert anonymous.status == 200
    assert anonymous.json["claimCode"] == {
        "id": 1,
        "code": "multi",
        "claimed": True,
        "email": None,
        "multiuse": True,
    }


def test_claim_without_email_clears_a_creation_email(tree):
    create(tree, SYS, "sys-badge", "given", email="given@example.org")
    code = tree.post(f"{SYS}/badges/sys-badge/codes/given/claim", {}).json["claimCode"]
    assert (code["claimed"], code["email"]) == (True, None)


def test_claim_email_is_any_string_up_to_255(tree):
    create(tree, SYS, "sys-badge", "loose", multiuse=True)
    path = f"{SYS}/badges/sys-badge/codes/loose/claim"
    for email in ("not an email", "", "x" * 255):
        reply = tree.post(path, {"email": email})
        assert reply.status == 200
        assert reply.json["claimCode"]["email"] == email


def test_claim_email_too_long(tree):
    create(tree, SYS, "sys-badge", "c")
    reply = tree.post(f"{SYS}/badges/sys-badge/codes/c/claim", {"email": "x" * 256})
    assert reply.status == 400
    assert reply.json == validation(
        {"message": "String is not in range", "field": "email", "value": "x" * 256}
    )
    assert tree.get(f"{SYS}/badges/sys-badge/codes/c").json["claimCode"]["claimed"] is False


def test_claim_unknown_code(tree):
    reply = tree.post(f"{SYS}/badges/sys-badge/codes/nope/claim", {"email": "a@b.co"})
    assert (reply.status, reply.json) == (404, not_found("claimCode", "code", "nope"))
    invalid = tree.post(f"{SYS}/badges/sys-badge/codes/nope/claim", {"email": "x" * 300})
    assert (invalid.status, invalid.json) == (404, not_found("claimCode", "code", "nope"))
    assert tree.get(f"{SYS}/badges/sys-badge/codes/nope").status == 404  # not created


def test_claim_creates_no_instance_and_no_event(tree, aws):
    create(tree, SYS, "sys-badge", "c")
    assert tree.post(f"{SYS}/badges/sys-badge/codes/c/claim", {"email": "a@b.co"}).status == 200
    items = aws.scan(TableName="badgekit-unit")["Items"]
    entities = {item["entity"]["S"] for item in items if "entity" in item}
    assert "instance" not in entities
    assert "event" not in entities


# --- GET {L}/codes/{code}: the badge of a code -------------------------------------------------


@pytest.mark.parametrize(("prefix", "slug"), LEVELS, ids=LEVEL_IDS)
def test_lookup_gives_the_badge_and_claimed(tree, prefix, slug):
    create(tree, prefix, slug, "Find-Me")
    reply = tree.get(f"{prefix}/codes/find-me")
    assert reply.status == 200
    assert list(reply.json) == ["badge"]
    expected = {**badge_of(tree, prefix, slug), "claimed": False}
    assert reply.json == {"badge": expected}
    assert list(reply.json["badge"])[-1] == "claimed"


def test_lookup_sees_descendants_only(tree):
    create(tree, SYS, "sys-badge", "s-code")
    create(tree, ISS, "iss-badge", "i-code")
    create(tree, PRG, "prg-badge", "p-code")
    found = {
        prefix: [
            code
            for code in ("s-code", "i-code", "p-code")
            if tree.get(f"{prefix}/codes/{code}").status == 200
        ]
        for prefix in (SYS, ISS, PRG)
    }
    assert found == {
        SYS: ["s-code", "i-code", "p-code"],
        ISS: ["i-code", "p-code"],
        PRG: ["p-code"],
    }
    assert tree.get(f"{ISS}/codes/s-code").json == lookup_missing("s-code")
    # a program badge found from the system level: nested issuer and program included
    at_system = tree.get(f"{SYS}/codes/p-code").json["badge"]
    assert at_system == {**badge_of(tree, SYS, "prg-badge"), "claimed": False}
    assert at_system["program"]["slug"] == "scratch"


def test_lookup_lowest_code_id_wins(tree):
    # the program badge's code is older than the system badge's, though the index sorts
    # system-level codes first
    create(tree, PRG, "prg-badge", "shared")
    create(tree, SYS, "sys-badge", "shared")
    create(tree, ISS, "iss-badge", "shared")
    assert tree.get(f"{SYS}/codes/shared").json["badge"]["slug"] == "prg-badge"
    assert tree.get(f"{ISS}/codes/shared").json["badge"]["slug"] == "prg-badge"
    tree.delete(f"{PRG}/badges/prg-badge/codes/shared")
    assert tree.get(f"{SYS}/codes/shared").json["badge"]["slug"] == "sys-badge"
    assert tree.get(f"{ISS}/codes/shared").json["badge"]["slug"] == "iss-badge"
    assert tree.get(f"{PRG}/codes/shared").json == lookup_missing("shared")


def test_lookup_claimed_means_no_longer_usable(tree):
    create(tree, SYS, "sys-badge", "single")
    create(tree, SYS, "sys-badge", "multi", multiuse=True)
    create(tree, SYS, "sys-badge", "pre-claimed", claimed=True)

    def claimed(code: str) -> Any:
        return tree.get(f"{SYS}/codes/{code}").json["badge"]["claimed"]

    assert (claimed("single"), claimed("multi"), claimed("pre-claimed")) == (False, False, True)
    tree.post(f"{SYS}/badges/sys-badge/codes/single/claim", {"email": "a@b.co"})
    tree.post(f"{SYS}/badges/sys-badge/codes/multi/claim", {"email": "a@b.co"})
    assert (claimed("single"), claimed("multi")) == (True, False)


def test_lookup_is_case_insensitive_and_decoded(tree):
    create(tree, SYS, "sys-badge", "Café")
    assert tree.get(f"{SYS}/codes/CAF%C3%89").json["badge"]["slug"] == "sys-badge"


def test_lookup_404s(tree):
    assert tree.get(f"{SYS}/codes/nope").json == lookup_missing("nope")
    assert tree.get(f"{SYS}/codes/nope").status == 404
    assert tree.get("/systems/nope/codes/x").json == not_found("system", "slug", "nope")
    assert tree.get(f"{SYS}/issuers/nope/codes/x").json == not_found("issuer", "slug", "nope")
    assert tree.get(f"{ISS}/programs/nope/codes/x").json == not_found("program", "slug", "nope")


def test_codes_of_a_deleted_badge_are_gone(tree):
    create(tree, SYS, "sys-badge", "orphan")
    assert tree.delete(f"{SYS}/badges/sys-badge").status == 200
    assert tree.get(f"{SYS}/codes/orphan").json == lookup_missing("orphan")
    assert tree.get(f"{SYS}/codes").json == {"claimCodes": []}
    assert tree.post(f"{SYS}/badges", badge_body("sys-badge")).status == 201
    assert tree.get(f"{SYS}/badges/sys-badge/codes").json["claimCodes"] == []
    assert tree.get(f"{SYS}/badges/sys-badge/codes/orphan").status == 404


def test_codes_follow_a_renamed_badge(tree):
    made = create(tree, SYS, "sys-badge", "kept")
    assert tree.put(f"{SYS}/badges/sys-badge", {"slug": "renamed"}).status == 200
    assert tree.get(f"{SYS}/badges/renamed/codes/kept").json["claimCode"] == made
    assert tree.get(f"{SYS}/codes/kept").json["badge"]["slug"] == "renamed"


# --- GET {L}/codes (extension) -----------------------------------------------------------------


def test_all_codes_of_a_container(tree):
    s1 = create(tree, SYS, "sys-badge", "s1")
    p1 = create(tree, PRG, "prg-badge", "p1")
    i1 = create(tree, ISS, "iss-badge", "i1")
    s2 = create(tree, SYS, "sys-badge", "s2")
    ids = {slug: badge_of(tree, prefix, slug)["id"] for prefix, slug in LEVELS}

    def tagged(code: dict[str, Any], slug: str) -> dict[str, Any]:
        return {**code, "badge": {"id": ids[slug], "slug": slug}}

    reply = tree.get(f"{SYS}/codes")
    assert reply.status == 200
    assert reply.json == {
        "claimCodes": [
            tagged(s1, "sys-badge"),
            tagged(p1, "prg-badge"),
            tagged(i1, "iss-badge"),
            tagged(s2, "sys-badge"),
        ]
    }
    assert list(reply.json["claimCodes"][0]) == [*CODE_KEYS, "badge"]
    assert tree.get(f"{ISS}/codes").json == {
        "claimCodes": [tagged(p1, "prg-badge"), tagged(i1, "iss-badge")]
    }
    assert tree.get(f"{PRG}/codes").json == {"claimCodes": [tagged(p1, "prg-badge")]}
    paged = tree.get(f"{SYS}/codes?page=2&count=3").json
    assert paged == {
        "claimCodes": [tagged(s2, "sys-badge")],
        "pageData": {"page": 2, "count": 3, "total": 4},
    }
    first = tree.get(f"{SYS}/codes?page=1&count=2").json
    assert first["claimCodes"] == [tagged(s1, "sys-badge"), tagged(p1, "prg-badge")]


def test_all_codes_include_archived_badges(tree):
    made = create(tree, SYS, "sys-badge", "old")
    assert tree.put(f"{SYS}/badges/sys-badge", {"archived": True}).status == 200
    listed = tree.get(f"{SYS}/codes").json["claimCodes"]
    assert [c["code"] for c in listed] == [made["code"]]


def test_all_codes_empty_and_404s(tree):
    assert tree.get(f"{SYS}/codes").json == {"claimCodes": []}
    assert tree.get(f"{SYS}/codes?page=1&count=2").json == {
        "claimCodes": [],
        "pageData": {"page": 1, "count": 2, "total": 0},
    }
    assert tree.get("/systems/nope/codes").json == not_found("system", "slug", "nope")
    assert tree.get(f"{SYS}/issuers/nope/codes").json == not_found("issuer", "slug", "nope")
    assert tree.get(f"{ISS}/programs/nope/codes").json == not_found("program", "slug", "nope")


def totals(tree: Api) -> list[int]:
    """pageData.total of the system's, the issuer's and the program's code lists."""
    return [
        tree.get(f"{prefix}/codes?page=1&count=1").json["pageData"]["total"]
        for prefix in (SYS, ISS, PRG)
    ]


def test_container_totals_follow_creates_claims_and_deletes(tree):
    create(tree, SYS, "sys-badge", "s1")
    create(tree, ISS, "iss-badge", "i1")
    create(tree, PRG, "prg-badge", "p1")
    create(tree, PRG, "prg-badge", "p2", multiuse=True)
    assert totals(tree) == [4, 3, 2]
    assert tree.post(f"{PRG}/badges/prg-badge/codes/p1/claim", {}).status == 200
    assert tree.post(f"{SYS}/badges/sys-badge/codes/s1/claim", {}).status == 200
    assert totals(tree) == [4, 3, 2]
    assert tree.delete(f"{PRG}/badges/prg-badge/codes/p2").status == 200
    assert totals(tree) == [3, 2, 1]
    assert tree.delete(f"{SYS}/badges/sys-badge/codes/s1").status == 200
    assert totals(tree) == [2, 2, 1]
    listed = tree.get(f"{SYS}/codes").json["claimCodes"]
    assert [(c["code"], c["claimed"], c["badge"]["slug"]) for c in listed] == [
        ("i1", False, "iss-badge"),
        ("p1", True, "prg-badge"),
    ]


def test_badge_delete_removes_its_codes_from_the_container_lists(tree):
    """More codes than one detach transaction takes (24), on the deepest badge."""
    kept = create(tree, ISS, "iss-badge", "kept")
    for n in range(30):
        create(tree, PRG, "prg-badge", f"code-{n:02d}")
    create(tree, SYS, "sys-badge", "last")
    assert totals(tree) == [32, 31, 30]
    assert tree.delete(f"{PRG}/badges/prg-badge").status == 200
    assert totals(tree) == [2, 1, 0]
    assert [c["code"] for c in tree.get(f"{SYS}/codes").json["claimCodes"]] == ["kept", "last"]
    assert tree.get(f"{ISS}/codes").json["claimCodes"] == [
        {**kept, "badge": {"id": badge_of(tree, ISS, "iss-badge")["id"], "slug": "iss-badge"}}
    ]
    assert tree.get(f"{PRG}/codes").json == {"claimCodes": []}


def test_container_list_shows_a_renamed_badge(tree):
    create(tree, ISS, "iss-badge", "kept")
    assert tree.put(f"{ISS}/badges/iss-badge", {"slug": "renamed"}).status == 200
    listed = tree.get(f"{SYS}/codes").json["claimCodes"]
    assert [c["badge"]["slug"] for c in listed] == ["renamed"]
    assert tree.put(f"{ISS}/badges/renamed", {"archived": True}).status == 200
    listed = tree.get(f"{ISS}/codes").json["claimCodes"]
    assert [c["badge"]["slug"] for c in listed] == ["renamed"]


def test_issuer_delete_empties_its_code_lists(tree):
    create(tree, SYS, "sys-badge", "s1")
    create(tree, ISS, "iss-badge", "i1")
    create(tree, PRG, "prg-badge", "p1")
    assert tree.delete(ISS).status == 200
    assert tree.get(f"{SYS}/codes?page=1&count=5").json == {
        "claimCodes": [
            {
                **tree.get(f"{SYS}/badges/sys-badge/codes/s1").json["claimCode"],
                "badge": {"id": badge_of(tree, SYS, "sys-badge")["id"], "slug": "sys-badge"},
            }
        ],
        "pageData": {"page": 1, "count": 5, "total": 1},
    }


# --- routing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", [SYS, ISS, PRG], ids=LEVEL_IDS)
@pytest.mark.parametrize(
    ("method", "suffix", "allow"),
    [
        ("DELETE", "/badges/b/codes", "GET, POST"),
        ("PUT", "/badges/b/codes", "GET, POST"),
        ("GET", "/badges/b/codes/x/claim", "POST"),
        ("DELETE", "/badges/b/codes/x/claim", "POST"),
        ("POST", "/badges/b/codes/x", "DELETE, GET, PUT"),
        ("POST", "/codes", "GET"),
        ("DELETE", "/codes/x", "GET"),
        ("HEAD", "/codes/x", "GET"),
        ("OPTIONS", "/badges/b/codes", "GET, POST"),
    ],
)
def test_wrong_method_is_405_with_allow(api, prefix, method, suffix, allow):
    reply = api.call(method, prefix + suffix)
    assert reply.status == 405
    assert reply.headers["Allow"] == allow
    if method != "HEAD":
        assert reply.json == {
            "code": "MethodNotAllowedError",
            "message": f"{method} is not allowed",
        }


def test_random_path_methods(tree):
    """`…/codes/random` is also `…/codes/{code}` with code "random" for GET/PUT/DELETE."""
    path = f"{SYS}/badges/sys-badge/codes/random"
    assert tree.delete(path).json == not_found("claimCode", "code", "random")
    assert tree.put(path, {"claimed": True}).json == not_found("claimCode", "code", "random")


def test_requires_a_token(tree):
    reply = tree.call("GET", f"{SYS}/badges/sys-badge/codes", sign=False)
    assert reply.status == 403
    assert reply.json["code"] == "NotAuthorized"


# --- DynamoDB calls per request ----------------------------------------------------------------


def test_calls_per_request(tree, calls):
    base = f"{SYS}/badges/sys-badge/codes"
    assert calls.during(lambda: create(tree, SYS, "sys-badge", "a")) == [
        "BatchGetItem",
        "TransactWriteItems",
        "UpdateItem",
    ]
    assert calls.during(lambda: tree.post(f"{base}/random")) == [
        "BatchGetItem",
        "TransactWriteItems",
        "UpdateItem",
    ]
    # warm directory: system, badge and code in one BatchGetItem
    assert calls.during(lambda: tree.get(f"{base}/a")) == ["BatchGetItem"]
    assert calls.during(lambda: tree.post(f"{base}/a/claim", {})) == [
        "BatchGetItem",
        "UpdateItem",
    ]
    assert calls.during(lambda: tree.post(f"{base}/a/claim", {})) == [
        "BatchGetItem",
        "UpdateItem",
    ]
    assert calls.during(lambda: tree.put(f"{base}/a", {"multiuse": True})) == [
        "BatchGetItem",
        "UpdateItem",
    ]
    assert calls.during(lambda: tree.get(f"{base}?page=1&count=1")) == [
        "BatchGetItem",
        "BatchGetItem",
        "Query",
    ]
    # lookup at system level of a system badge, warm directory: the system and the index
    # concurrently, then the code and its badge in one BatchGetItem
    assert calls.during(lambda: tree.get(f"{SYS}/codes/a")) == [
        "BatchGetItem",
        "GetItem",
        "Query",
    ]
    assert calls.during(lambda: tree.delete(f"{base}/a")) == [
        "BatchGetItem",
        "GetItem",
        "TransactWriteItems",
    ]
    # all codes of a container: system, its code list, the codes with their badges' list
    # entries, the badges; whatever the number of badges
    create(tree, ISS, "iss-badge", "b")
    assert calls.during(lambda: tree.get(f"{SYS}/codes")) == [
        "BatchGetItem",
        "BatchGetItem",
        "GetItem",
        "Query",
    ]


def test_badge_cascade_skips_a_code_deleted_meanwhile(tree):
    """The cascade's chunk fails on a code deleted after the badge partition was read (its
    delete already took its entries and totals): the chunk is redone code by code."""
    from badgekit.store import badges as badge_store
    from badgekit.store import codes as code_store
    from badgekit.store import db, keys
    from badgekit.store.records import record

    for n in range(30):
        create(tree, PRG, "prg-badge", f"c{n:02d}")
    badge = record(db.get(keys.badge("prg-badge")) or {}, badge_store.BadgeRecord)
    children = badge_store.children(badge["id"])
    assert tree.delete(f"{PRG}/badges/prg-badge/codes/c03").status == 200
    assert totals(tree) == [29, 29, 29]
    assert code_store.detach_badge(badge, children) == 29
    assert totals(tree) == [0, 0, 0]
    assert tree.get(f"{PRG}/badges/prg-badge/codes").json["claimCodes"] == []
