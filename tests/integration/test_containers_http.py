"""Systems, issuers, programs and consumer keys over real HTTP against the local stack.

Written from spec systems.md, issuers.md, programs.md, auth.md and README §1-§13; every request
is signed with PyJWT by the test client, independently of the project's own signing code.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.client import OMIT, ApiClient


def make_system(api: ApiClient, slug: str, **extra) -> dict:
    response = api.post(
        "/systems", json={"slug": slug, "name": slug.title(), "url": "http://example.org", **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()["system"]


def make_tree(api: ApiClient, system: str) -> None:
    make_system(api, system)
    issuer = {"slug": "library", "name": "Library", "url": "http://www.chipublib.org/"}
    assert api.post(f"/systems/{system}/issuers", json=issuer).status_code == 201
    program = {"slug": "scratch", "name": "MIT Scratch", "url": "http://scratch.mit.edu/"}
    assert api.post(f"/systems/{system}/issuers/library/programs", json=program).status_code == 201


# --- the worked example of the issue: POST then GET ----------------------------------------------


def test_post_then_get_system_returns_the_spec_json(api, unique):
    slug = unique("sys")
    body = {
        "slug": slug,
        "name": "Test System",
        "url": "https://example.org/system",
        "email": "guy@example.org",
        "imageUrl": "http://example.org/logo.png",
    }
    created = api.post("/systems", json=body)
    assert created.status_code == 201
    assert created.headers["Content-Type"].startswith("application/json")
    system = created.json()["system"]
    assert created.json()["status"] == "created"
    assert isinstance(system["id"], int)
    assert system["id"] > 0
    assert system == {
        "id": system["id"],
        "slug": slug,
        "url": "https://example.org/system",
        "name": "Test System",
        "description": None,
        "email": "guy@example.org",
        "imageUrl": "http://example.org/logo.png",
        "issuers": [],
    }
    fetched = api.get(f"/systems/{slug.upper()}")
    assert fetched.status_code == 200
    assert fetched.json() == {"system": system}


def test_ids_increase_in_creation_order(api, unique):
    first = make_system(api, unique("a"))
    second = make_system(api, unique("b"))
    assert second["id"] > first["id"]


# --- auth over HTTP (auth.md §4) -------------------------------------------------------------------


def test_every_auth_failure_is_403_not_authorized(api, unique):
    slug = unique("sys")
    make_system(api, slug)
    path = f"/systems/{slug}"
    cases = [
        (dict(sign=False), "Missing valid Authorization header"),
        (dict(headers={"Authorization": "Bearer x"}), "Missing valid Authorization header"),
        (dict(token="not.a.token"), "Could not decode JWT"),
        (dict(claims={"method": OMIT}), "Missing JWT claim: method"),
        (
            dict(claims={"method": "POST"}),
            '`method` does not match: using "POST" token for "GET" request',
        ),
        (dict(claims={"path": OMIT}), "Missing JWT claim: path"),
        (dict(claims={"path": "/systems/other"}), "`path` does not match"),
        (dict(claims={"exp": int(time.time()) - 10}), "Token is expired (token expiry: "),
        (dict(claims={"key": OMIT}), "Missing JWT claim: key"),
        (dict(claims={"key": "nobody"}), "Could not find consumer for API key"),
    ]
    for kwargs, message in cases:
        response = api.get(path, **kwargs)
        assert response.status_code == 403, (kwargs, response.text)
        assert response.json()["code"] == "NotAuthorized"
        assert response.json()["message"].startswith(message), (kwargs, response.json())
    wrong = ApiClient(api.base_url, "master", "wrong-secret")
    assert wrong.get(path).json() == {"code": "NotAuthorized", "message": "Invalid token signature"}


def test_alg_none_and_non_hmac_tokens_are_rejected(api):
    import base64
    import json

    def b64(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    # With an exp: without one the strict policy stops the token before the signature step.
    claims = {"key": "master", "exp": int(time.time()) + 60, "method": "GET", "path": "/systems"}
    for header in ({"typ": "JWT", "alg": "none"}, {"typ": "JWT", "alg": "RS256"}):
        token = f"{b64(header)}.{b64(claims)}."
        response = api.get("/systems", token=token)
        assert response.status_code == 403
        assert response.json() == {"code": "NotAuthorized", "message": "Invalid token signature"}


def test_body_hash_binds_the_token_to_the_body(api, unique):
    body = f'{{"slug":"{unique("h")}","name":"H","url":"http://example.org"}}'.encode()
    token_claims = {"body": {"alg": "sha256", "hash": hashlib.sha256(body).hexdigest()}}
    tampered = body.replace(b'"H"', b'"X"')
    response = api.post(
        "/systems", body=tampered, content_type="application/json", claims=token_claims
    )
    assert response.status_code == 403
    assert response.json()["message"].startswith("Computed hash does not match given hash: ")
    assert (
        api.post(
            "/systems", body=body, content_type="application/json", claims=token_claims
        ).status_code
        == 201
    )


def test_query_string_is_part_of_the_signed_path(api):
    signed_for = {"path": "/systems?page=1&count=2"}
    assert api.get("/systems?page=1&count=2", claims=signed_for).status_code == 200
    assert api.get("/systems?count=2&page=1", claims=signed_for).status_code == 200  # same multimap
    assert api.get("/systems?page=1&count=3", claims=signed_for).status_code == 403


def test_node_client_quirks_are_accepted(api, unique):
    # exp in milliseconds and body.alg "SHA256", as badgekit-api-client sends them
    body = f'{{"slug":"{unique("n")}","name":"N","url":"http://example.org"}}'.encode()
    claims = {
        "exp": int(time.time() * 1000) + 60000,
        "body": {"alg": "SHA256", "hash": hashlib.sha256(body).hexdigest()},
    }
    assert (
        api.post("/systems", body=body, content_type="application/json", claims=claims).status_code
        == 201
    )


def test_consumer_key_is_scoped_to_its_system(api, unique):
    mine, other = unique("mine"), unique("other")
    make_tree(api, mine)
    make_system(api, other)
    consumer = api.post(f"/systems/{mine}/consumers", json={"description": "frontend"}).json()[
        "consumer"
    ]
    frontend = api.with_key(consumer["apiKey"], consumer["apiSecret"])
    assert frontend.get(f"/systems/{mine}/issuers/library/programs/scratch").status_code == 200
    assert (
        frontend.post(
            f"/systems/{mine}/issuers", json={"slug": "x", "name": "X", "url": "x.org"}
        ).status_code
        == 201
    )
    for method, path in (
        ("GET", f"/systems/{other}"),
        ("GET", "/systems"),
        ("DELETE", f"/systems/{other}"),
        ("POST", "/systems"),
    ):
        response = frontend.request(method, path, json={} if method == "POST" else None)
        assert response.status_code == 403, (method, path)
        assert response.json() == {"code": "NotAuthorized", "message": "Invalid token for system"}
    assert frontend.get(f"/systems/{mine}/consumers").status_code == 403
    assert api.get(f"/systems/{other}").json()["system"]["issuers"] == []  # untouched


# --- body formats and input robustness (README §3) ------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "InvalidContent"),
        (b"[1,2,3]", "application/json", 400, "InvalidContent"),
        (b"slug,name", "text/csv", 415, "UnsupportedMediaTypeError"),
        (b"\x00\x01", None, 415, "UnsupportedMediaTypeError"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=zzz", 400, "BadRequestError"),
        (
            b'{"slug": {"deep": [1]}, "name": 5, "url": false}',
            "application/json",
            400,
            "ValidationError",
        ),
        (
            b'{"slug": "' + b"s" * 300 + b'", "name": "n", "url": "http://x.org"}',
            "application/json",
            400,
            "ValidationError",
        ),
    ],
)
def test_bad_input_never_yields_500(api, raw, content_type, status, code):
    response = api.post("/systems", body=raw, content_type=content_type)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


def test_unsupported_media_type_names_the_type(api):
    response = api.post("/systems", body=b"a", content_type="text/plain; charset=utf-8")
    assert response.json() == {
        "code": "UnsupportedMediaTypeError",
        "message": "text/plain; charset=utf-8",
    }


def test_form_urlencoded_and_multipart_creates(api, unique):
    slug = unique("form")
    response = api.post(
        "/systems", data={"slug": slug, "name": "Form", "url": "http://example.org"}
    )
    assert response.status_code == 201
    assert response.json()["system"]["slug"] == slug
    slug = unique("multi")
    boundary = "----badgekit"
    fields = {
        "slug": slug,
        "name": "Multi",
        "url": "http://example.org",
        "description": "caf\u00e9",
    }
    raw = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    )
    raw += f"--{boundary}--\r\n"
    response = api.post(
        "/systems", body=raw.encode(), content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 201, response.text
    assert response.json()["system"]["description"] == "caf\u00e9"


def test_validation_error_body_and_no_partial_write(api, unique):
    slug = unique("bad")
    response = api.post(
        "/systems", json={"slug": slug, "name": "", "url": "not a url", "email": "nope"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": [
            {"message": "String is not in range", "field": "name", "value": ""},
            {"message": "Invalid URL", "field": "url", "value": "not a url"},
            {"message": "Invalid email", "field": "email", "value": "nope"},
        ],
    }
    assert api.get(f"/systems/{slug}").status_code == 404


# --- systems ------------------------------------------------------------------------------------------


def test_list_systems_paginates_in_id_order(api, unique):
    slugs = [make_system(api, unique(f"p{n}"))["slug"] for n in range(3)]
    everything = api.get("/systems").json()
    assert "pageData" not in everything
    listed = [s["slug"] for s in everything["systems"]]
    assert [s for s in listed if s in slugs] == slugs
    ids = [s["id"] for s in everything["systems"]]
    assert ids == sorted(ids)
    total = len(listed)
    page = api.get(f"/systems?page={total}&count=1").json()
    assert page == {
        "systems": [everything["systems"][-1]],
        "pageData": {"page": total, "count": 1, "total": total},
    }
    assert api.get(f"/systems?page={total + 1}&count=1").json()["systems"] == []
    assert "pageData" not in api.get("/systems?page=abc&count=1").json()


def test_update_rename_and_delete_system(api, unique):
    slug, renamed = unique("old"), unique("new")
    make_tree(api, slug)
    response = api.put(f"/systems/{slug}", json={"slug": renamed, "description": "desc", "id": 999})
    assert response.status_code == 200
    system = response.json()["system"]
    assert response.json()["status"] == "updated"
    assert (system["slug"], system["description"]) == (renamed, "desc")
    assert system["id"] != 999
    assert api.get(f"/systems/{slug}").status_code == 404
    assert api.get(f"/systems/{renamed}/issuers/library/programs/scratch").status_code == 200
    deleted = api.delete(f"/systems/{renamed}")
    assert deleted.json() == {"status": "deleted", "system": api_get_gone(api, renamed, system)}
    assert api.get(f"/systems/{renamed}/issuers/library").status_code == 404
    assert make_system(api, renamed)["issuers"] == []


def api_get_gone(api: ApiClient, slug: str, before: dict) -> dict:
    """The delete response holds the system as it was, programs included."""
    assert api.get(f"/systems/{slug}").status_code == 404
    return {**before, "issuers": [{**before["issuers"][0]}]}


def test_404_messages_name_the_first_missing_level(api, unique):
    slug = unique("sys")
    make_tree(api, slug)
    assert (
        api.get("/systems/zz-none").json()["message"]
        == "Could not find system field: `slug`, value: `zz-none`"
    )
    assert (
        api.get(f"/systems/{slug}/issuers/zz").json()["message"]
        == "Could not find issuer field: `slug`, value: `zz`"
    )
    assert api.get(f"/systems/{slug}/issuers/library/programs/zz").json()["message"] == (
        "Could not find program field: `slug`, value: `zz`"
    )
    encoded = api.get("/systems/brian%40example.org")
    assert (
        encoded.json()["message"]
        == "Could not find system field: `slug`, value: `brian@example.org`"
    )


# --- issuers and programs -------------------------------------------------------------------------------


def test_issuer_and_program_lifecycle(api, unique):
    slug = unique("sys")
    make_system(api, slug)
    issuer = {
        "slug": "test-issuer",
        "name": "Test Issuer",
        "url": "https://example.org/issuer",
        "email": "guy@example.org",
    }
    created = api.post(f"/systems/{slug}/issuers", json=issuer)
    assert created.status_code == 201
    assert created.json()["issuer"]["programs"] == []
    conflict = api.post(f"/systems/{slug}/issuers", json=issuer)
    assert conflict.status_code == 409
    assert conflict.json() == {
        "code": "ResourceConflict",
        "message": "issuer with that `slug` already exists",
        "details": {
            "slug": "test-issuer",
            "url": "https://example.org/issuer",
            "name": "Test Issuer",
            "email": "guy@example.org",
        },
    }
    program = {
        "slug": "test-program",
        "name": "Test Program",
        "url": "http://example.org/test/",
        "email": "test@example.org",
        "description": "it is a test!",
    }
    response = api.post(f"/systems/{slug}/issuers/test-issuer/programs", json=program)
    assert response.status_code == 201
    assert response.json()["program"] == {
        "id": response.json()["program"]["id"],
        **{k: program[k] for k in ("slug", "url", "name", "description", "email")},
        "imageUrl": None,
    }
    listed = api.get(f"/systems/{slug}/issuers?page=1&count=10").json()
    assert listed["pageData"] == {"page": 1, "count": 10, "total": 1}
    assert listed["issuers"][0]["programs"][0]["slug"] == "test-program"
    programs = api.get(f"/systems/{slug}/issuers/test-issuer/programs").json()
    assert [p["slug"] for p in programs["programs"]] == ["test-program"]
    updated = api.put(
        f"/systems/{slug}/issuers/test-issuer/programs/test-program", json={"name": "Renamed"}
    )
    assert updated.json()["program"]["name"] == "Renamed"
    assert (
        api.delete(f"/systems/{slug}/issuers/test-issuer/programs/test-program").status_code == 200
    )
    assert (
        api.delete(f"/systems/{slug}/issuers/test-issuer").json()["issuer"]["slug"] == "test-issuer"
    )
    assert api.get(f"/systems/{slug}/issuers").json() == {"issuers": []}


def test_put_with_invalid_merge_changes_nothing(api, unique):
    slug = unique("sys")
    make_tree(api, slug)
    response = api.put(f"/systems/{slug}/issuers/library", json={"url": "nope", "name": "New"})
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"message": "Invalid URL", "field": "url", "value": "nope"}
    ]
    assert api.get(f"/systems/{slug}/issuers/library").json()["issuer"]["name"] == "Library"


# --- consumer key management (README §13.1) ------------------------------------------------------------


def test_consumer_keys(api, unique):
    slug = unique("sys")
    make_system(api, slug)
    key = unique("key")
    created = api.post(f"/systems/{slug}/consumers", json={"apiKey": key, "description": "site"})
    assert created.status_code == 201
    consumer = created.json()["consumer"]
    assert consumer["apiKey"] == key
    assert len(consumer["apiSecret"]) >= 43
    assert api.post(f"/systems/{slug}/consumers", json={"apiKey": key}).status_code == 409
    listed = api.get(f"/systems/{slug}/consumers").json()["consumers"]
    assert listed == [{"apiKey": key, "description": "site", "created": consumer["created"]}]
    assert api.delete(f"/systems/{slug}/consumers/{key}").status_code == 200
    gone = api.with_key(key, consumer["apiSecret"]).get(f"/systems/{slug}")
    assert gone.json() == {
        "code": "NotAuthorized",
        "message": "Could not find consumer for API key",
    }


# --- concurrency (data-model §4.1) ---------------------------------------------------------------------


def test_twenty_simultaneous_creates_of_one_slug_one_wins(api, unique):
    slug = unique("race")
    body = {"slug": slug, "name": "Race", "url": "http://example.org"}
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(
            pool.map(
                lambda _: (
                    api.with_key("master", api.secret).post("/systems", json=body).status_code
                ),
                range(20),
            )
        )
    assert sorted(statuses) == [201] + [409] * 19
    assert api.get(f"/systems/{slug}").status_code == 200
    listed = [s for s in api.get("/systems").json()["systems"] if s["slug"] == slug]
    assert len(listed) == 1


def test_twenty_simultaneous_issuer_creates_one_wins(api, unique):
    slug = unique("race")
    make_system(api, slug)
    body = {"slug": "same", "name": "Same", "url": "http://example.org"}
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(
            pool.map(
                lambda _: (
                    api.with_key("master", api.secret)
                    .post(f"/systems/{slug}/issuers", json=body)
                    .status_code
                ),
                range(20),
            )
        )
    assert sorted(statuses) == [201] + [409] * 19
    assert api.get(f"/systems/{slug}/issuers?page=1&count=5").json()["pageData"]["total"] == 1
