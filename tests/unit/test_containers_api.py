"""Systems, issuers, programs and consumer keys through the containers function (in-process).

Every expectation comes from spec systems.md, issuers.md, programs.md and README §1-§13.
"""

from __future__ import annotations

import base64

import pytest

from badgekit.store import db, keys
from tests.unit.conftest import Api, system_body

BASE = "https://badges.example.org"


def create_tree(api: Api) -> None:
    assert api.post("/systems", system_body("chicago", email="mayor@example.org")).status == 201
    issuer = {"slug": "library", "name": "Library", "url": "http://lib.example.org/"}
    assert api.post("/systems/chicago/issuers", issuer).status == 201
    program = {"slug": "scratch", "name": "Scratch", "url": "http://scratch.mit.edu/"}
    assert api.post("/systems/chicago/issuers/library/programs", program).status == 201


# --- health and routing --------------------------------------------------------------------------


def test_health_routes_are_public(api):
    for target in ("/", "/healthcheck", "/healthcheck?x=1"):
        reply = api.get(target, sign=False)
        assert reply.status == 200
        assert reply.json == {"app": "BadgeKit API", "version": "0.3.0"}


def test_unknown_path_is_404_with_query_in_message(api):
    reply = api.get("/nope/here?a=1", sign=False)
    assert reply.status == 404
    assert reply.json == {"code": "ResourceNotFound", "message": "/nope/here?a=1 does not exist"}


@pytest.mark.parametrize("method", ["PATCH", "HEAD", "OPTIONS"])
def test_undefined_method_is_405_with_allow(api, method):
    reply = api.call(method, "/systems", sign=False)
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, POST"
    if method != "HEAD":
        assert reply.json == {
            "code": "MethodNotAllowedError",
            "message": f"{method} is not allowed",
        }


def test_routing_errors_come_before_body_parsing_and_auth(api):
    reply = api.call("PATCH", "/systems", body=b"{bad", content_type="application/json", sign=False)
    assert reply.status == 405
    reply = api.call("POST", "/systems", body=b"a,b", content_type="text/csv", sign=False)
    assert reply.status == 415
    assert reply.json == {"code": "UnsupportedMediaTypeError", "message": "text/csv"}
    reply = api.call("POST", "/systems", body=b"{bad", content_type="application/json", sign=False)
    assert reply.status == 400
    assert reply.json["code"] == "InvalidContent"
    assert reply.json["message"].startswith("Invalid JSON: ")


def test_auth_comes_before_resolution(api):
    reply = api.get("/systems/nope", sign=False)
    assert reply.status == 403
    assert reply.json == {"code": "NotAuthorized", "message": "Missing valid Authorization header"}
    assert api.get("/systems/nope").status == 404


def test_path_normalisation(api):
    create_tree(api)
    assert api.get("//systems//chicago/").status == 200
    reply = api.post(
        "/systems/chicago/issuers/library/programs/", {"slug": "p2", "name": "P", "url": "a.org"}
    )
    assert reply.status == 201


# --- systems -------------------------------------------------------------------------------------


def test_create_system_returns_the_spec_shape(api):
    body = {
        "slug": "test-system",
        "name": "Test System",
        "url": "https://example.org/system",
        "email": "guy@example.org",
        "imageUrl": "http://example.org/logo.png",
        "id": 99,
        "issuers": ["ignored"],
    }
    reply = api.post("/systems", body)
    assert reply.status == 201
    assert reply.json == {
        "status": "created",
        "system": {
            "id": 1,
            "slug": "test-system",
            "url": "https://example.org/system",
            "name": "Test System",
            "description": None,
            "email": "guy@example.org",
            "imageUrl": "http://example.org/logo.png",
            "issuers": [],
        },
    }
    assert list(reply.json["system"]) == [
        "id",
        "slug",
        "url",
        "name",
        "description",
        "email",
        "imageUrl",
        "issuers",
    ]


def test_system_get_embeds_issuers_and_programs(api):
    create_tree(api)
    reply = api.get("/systems/CHICAGO")
    assert reply.status == 200
    system = reply.json["system"]
    assert system["slug"] == "chicago"
    assert system["email"] == "mayor@example.org"
    assert [i["slug"] for i in system["issuers"]] == ["library"]
    assert system["issuers"][0]["programs"] == [
        {
            "id": 1,
            "slug": "scratch",
            "url": "http://scratch.mit.edu/",
            "name": "Scratch",
            "description": None,
            "email": None,
            "imageUrl": None,
        }
    ]


def test_create_system_validation_errors(api):
    reply = api.post("/systems", {"nonsense": "x"})
    assert reply.status == 400
    assert reply.json == {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": [
            {"message": "Required field", "field": "slug", "value": ""},
            {"message": "Required field", "field": "name", "value": ""},
            {"message": "Required field", "field": "url", "value": ""},
        ],
    }


def test_field_rules(api):
    body = {
        "slug": "s" * 256,
        "name": "",
        "url": "not a url",
        "description": "d" * 256,
        "email": "nope",
        "image": "/images/abc",
    }
    reply = api.post("/systems", body)
    assert reply.status == 400
    assert reply.json["details"] == [
        {"message": "String is not in range", "field": "slug", "value": "s" * 256},
        {"message": "String is not in range", "field": "name", "value": ""},
        {"message": "Invalid URL", "field": "url", "value": "not a url"},
        {"message": "String is not in range", "field": "description", "value": "d" * 256},
        {"message": "Invalid email", "field": "email", "value": "nope"},
        {"message": "Invalid URL", "field": "image"},
    ]
    assert api.get("/systems").json == {"systems": []}


def test_wrong_types_are_validation_errors_not_500(api):
    reply = api.post("/systems", {"slug": {"a": 1}, "name": ["x"], "url": True, "email": 5})
    assert reply.status == 400
    assert [d["field"] for d in reply.json["details"]] == ["slug", "name", "url", "email"]


def test_numbers_are_coerced_to_strings(api):
    reply = api.post("/systems", {"slug": 123, "name": 4.0, "url": "www.example.org"})
    assert reply.status == 201
    assert reply.json["system"]["slug"] == "123"
    assert reply.json["system"]["name"] == "4"


def test_duplicate_slug_is_409_case_insensitively(api):
    assert api.post("/systems", system_body("chicago")).status == 201
    reply = api.post(
        "/systems", {"slug": "CHICAGO", "name": "Other", "url": "http://o.org", "email": "a@b.co"}
    )
    assert reply.status == 409
    assert reply.json == {
        "code": "ResourceConflict",
        "message": "system with that `slug` already exists",
        "details": {"slug": "CHICAGO", "url": "http://o.org", "name": "Other", "email": "a@b.co"},
    }


def test_form_and_multipart_bodies(api):
    reply = api.call(
        "POST",
        "/systems",
        body=b"slug=formed&name=Formed&url=http%3A%2F%2Fexample.org",
        content_type="application/x-www-form-urlencoded",
    )
    assert reply.status == 201
    boundary = "b0undary"
    parts = [("slug", "multi"), ("name", "Multi"), ("url", "http://example.org")]
    raw = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in parts
    )
    raw += f"--{boundary}--\r\n"
    reply = api.call(
        "POST",
        "/systems",
        body=raw.encode(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert reply.status == 201
    assert reply.json["system"]["slug"] == "multi"


def test_image_uploads_are_stored_and_served(api):
    # README §10: data: URIs (and multipart parts, tests/unit/test_images.py) are stored.
    png = (  # a 1x1 PNG: only real images are stored
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9"
        "awAAAABJRU5ErkJggg=="
    )
    reply = api.post("/systems", system_body("img", image=f"data:image/png;base64,{png}"))
    assert reply.status == 201
    image_url = reply.json["system"]["imageUrl"]
    assert image_url.startswith(f"{BASE}/public/images/")
    served = api.gateway.dispatch(api.prepare("GET", image_url.removeprefix(BASE), sign=False))
    assert served.status == 200
    assert served.body == base64.b64decode(png)
    reply = api.post("/systems", system_body("img2", image={"url": "x"}))
    assert reply.json["details"] == [{"message": "Missing value", "field": "image"}]


def test_list_systems_with_pagination(api):
    for n in range(5):
        assert api.post("/systems", system_body(f"s{n}")).status == 201
    reply = api.get("/systems?page=2&count=2")
    assert reply.status == 200
    assert [s["slug"] for s in reply.json["systems"]] == ["s2", "s3"]
    assert reply.json["pageData"] == {"page": 2, "count": 2, "total": 5}
    assert api.get("/systems?page=9&count=2").json == {
        "systems": [],
        "pageData": {"page": 9, "count": 2, "total": 5},
    }
    full = api.get("/systems?page=0&count=2").json
    assert "pageData" not in full
    assert [s["id"] for s in full["systems"]] == [1, 2, 3, 4, 5]
    assert "pageData" not in api.get("/systems?page=1").json


def test_update_system_is_partial_and_validates_the_merge(api):
    api.post("/systems", system_body("chicago", description="old", email="a@b.co"))
    reply = api.put("/systems/chicago", {"name": "Chicago!", "description": None, "nonsense": 1})
    assert reply.status == 200
    assert reply.json["status"] == "updated"
    system = reply.json["system"]
    assert (system["name"], system["description"], system["email"], system["url"]) == (
        "Chicago!",
        None,
        "a@b.co",
        "http://example.org",
    )
    reply = api.put("/systems/chicago", {"name": None, "email": "bad"})
    assert reply.status == 400
    assert reply.json["details"] == [
        {"message": "Required field", "field": "name", "value": ""},
        {"message": "Invalid email", "field": "email", "value": "bad"},
    ]
    assert api.get("/systems/chicago").json["system"]["name"] == "Chicago!"


def test_rename_system_keeps_id_and_children(api):
    create_tree(api)
    reply = api.put("/systems/chicago", {"slug": "windy-city"})
    assert reply.status == 200
    assert reply.json["system"]["id"] == 1
    assert api.get("/systems/chicago").status == 404
    renamed = api.get("/systems/windy-city").json["system"]
    assert renamed["issuers"][0]["programs"][0]["slug"] == "scratch"
    assert api.get("/systems/windy-city/issuers/library/programs/scratch").status == 200
    assert [s["slug"] for s in api.get("/systems").json["systems"]] == ["windy-city"]


def test_rename_to_a_taken_slug_is_409_and_changes_nothing(api):
    api.post("/systems", system_body("a"))
    api.post("/systems", system_body("b"))
    reply = api.put("/systems/a", {"slug": "B", "name": "New"})
    assert reply.status == 409
    assert reply.json["message"] == "system with that `slug` already exists"
    # details = the merged record (systems.md PUT), nulls included
    assert reply.json["details"] == {
        "slug": "B",
        "url": "http://example.org",
        "name": "New",
        "description": None,
        "email": None,
    }
    assert api.get("/systems/a").json["system"]["name"] == "A"


def test_case_change_of_own_slug_is_allowed(api):
    api.post("/systems", system_body("chicago"))
    reply = api.put("/systems/chicago", {"slug": "Chicago"})
    assert reply.status == 200
    assert api.get("/systems/CHICAGO").json["system"]["slug"] == "Chicago"


def test_delete_system_cascades_and_a_new_one_starts_empty(api, aws):
    create_tree(api)
    before = api.get("/systems/chicago").json["system"]
    reply = api.delete("/systems/chicago")
    assert reply.status == 200
    assert reply.json == {"status": "deleted", "system": before}
    assert api.get("/systems/chicago").status == 404
    assert api.get("/systems/chicago/issuers/library").status == 404
    assert api.get("/systems").json == {"systems": []}
    # everything of the old system is physically gone
    assert list(db.partition_keys(keys.system_partition(1))) == []
    assert api.post("/systems", system_body("chicago")).status == 201
    fresh = api.get("/systems/chicago").json["system"]
    assert fresh["id"] == 2
    assert fresh["issuers"] == []


def test_unknown_system_messages(api):
    reply = api.get("/systems/nope")
    assert reply.json == {
        "code": "ResourceNotFound",
        "message": "Could not find system field: `slug`, value: `nope`",
    }
    for method in ("PUT", "DELETE"):
        assert (
            api.call(method, "/systems/nope", json_body={} if method == "PUT" else None).status
            == 404
        )


# --- issuers and programs ------------------------------------------------------------------------


def test_issuer_crud(api):
    api.post("/systems", system_body("chicago"))
    body = {
        "slug": "test-issuer",
        "name": "Test Issuer",
        "url": "https://example.org/issuer",
        "email": "guy@example.org",
    }
    reply = api.post("/systems/chicago/issuers", {**body, "systemId": 42})
    assert reply.status == 201
    assert reply.json == {
        "status": "created",
        "issuer": {
            "id": 1,
            "slug": "test-issuer",
            "url": "https://example.org/issuer",
            "name": "Test Issuer",
            "description": None,
            "email": "guy@example.org",
            "imageUrl": None,
            "programs": [],
        },
    }
    dup = api.post("/systems/chicago/issuers", {**body, "slug": "TEST-issuer"})
    assert dup.status == 409
    assert dup.json["message"] == "issuer with that `slug` already exists"
    assert api.get("/systems/chicago/issuers/Test-Issuer").json["issuer"]["id"] == 1
    updated = api.put(
        "/systems/chicago/issuers/test-issuer", {"slug": "renamed", "description": "d"}
    )
    assert updated.status == 200
    assert updated.json["issuer"]["slug"] == "renamed"
    assert api.get("/systems/chicago/issuers").json == {"issuers": [updated.json["issuer"]]}
    deleted = api.delete("/systems/chicago/issuers/renamed")
    assert deleted.json == {"status": "deleted", "issuer": updated.json["issuer"]}
    assert api.get("/systems/chicago/issuers/renamed").status == 404
    assert api.get("/systems/chicago/issuers?page=1&count=5").json == {
        "issuers": [],
        "pageData": {"page": 1, "count": 5, "total": 0},
    }


def test_issuer_slugs_are_scoped_to_their_system(api):
    api.post("/systems", system_body("a"))
    api.post("/systems", system_body("b"))
    issuer = {"slug": "same", "name": "Same", "url": "http://x.org"}
    assert api.post("/systems/a/issuers", issuer).status == 201
    assert api.post("/systems/b/issuers", issuer).status == 201
    reply = api.get("/systems/a/issuers/nope")
    assert reply.json == {
        "code": "ResourceNotFound",
        "message": "Could not find issuer field: `slug`, value: `nope`",
    }


def test_program_crud_and_scoping(api):
    create_tree(api)
    api.post(
        "/systems/chicago/issuers", {"slug": "museum", "name": "Museum", "url": "http://m.org"}
    )
    program = {"slug": "scratch", "name": "Other", "url": "http://o.org"}
    assert api.post("/systems/chicago/issuers/museum/programs", program).status == 201
    dup = api.post("/systems/chicago/issuers/library/programs", program)
    assert dup.status == 409
    assert dup.json == {
        "code": "ResourceConflict",
        "message": "program with that `slug` already exists",
        "details": {"slug": "scratch", "url": "http://o.org", "name": "Other"},
    }
    reply = api.get("/systems/chicago/issuers/library/programs/scratch")
    assert list(reply.json["program"]) == [
        "id",
        "slug",
        "url",
        "name",
        "description",
        "email",
        "imageUrl",
    ]
    assert api.get("/systems/chicago/issuers/museum/programs/nope").json["message"] == (
        "Could not find program field: `slug`, value: `nope`"
    )
    assert api.get("/systems/chicago/issuers/nope/programs/scratch").json["message"] == (
        "Could not find issuer field: `slug`, value: `nope`"
    )
    updated = api.put(
        "/systems/chicago/issuers/library/programs/scratch", {"email": "p@example.org"}
    )
    assert updated.json["program"]["email"] == "p@example.org"
    listed = api.get("/systems/chicago/issuers/library/programs?page=1&count=1").json
    assert listed == {
        "programs": [updated.json["program"]],
        "pageData": {"page": 1, "count": 1, "total": 1},
    }
    assert (
        api.delete("/systems/chicago/issuers/library/programs/scratch").json["program"]["slug"]
        == "scratch"
    )
    assert api.get("/systems/chicago/issuers/library").json["issuer"]["programs"] == []


def test_deleting_an_issuer_removes_its_programs(api):
    create_tree(api)
    assert api.delete("/systems/chicago/issuers/library").status == 200
    assert api.get("/systems/chicago/issuers/library/programs/scratch").status == 404
    assert api.get("/systems/chicago").json["system"]["issuers"] == []
    # a new issuer with the same slug starts empty
    api.post("/systems/chicago/issuers", {"slug": "library", "name": "L", "url": "http://l.org"})
    assert api.get("/systems/chicago/issuers/library/programs").json == {"programs": []}


def test_issuer_list_embeds_programs_per_issuer(api):
    create_tree(api)
    api.post(
        "/systems/chicago/issuers", {"slug": "museum", "name": "Museum", "url": "http://m.org"}
    )
    listed = api.get("/systems/chicago/issuers").json["issuers"]
    assert [(i["slug"], [p["slug"] for p in i["programs"]]) for i in listed] == [
        ("library", ["scratch"]),
        ("museum", []),
    ]


# --- consumer keys (README §13.1, auth.md §5) -----------------------------------------------------


def test_consumer_keys_lifecycle_and_scope(api):
    create_tree(api)
    api.post("/systems", system_body("pittsburgh"))
    created = api.post(
        "/systems/chicago/consumers", {"apiKey": "chicago-frontend", "description": "site"}
    )
    assert created.status == 201
    consumer = created.json["consumer"]
    assert set(consumer) == {"apiKey", "apiSecret", "description", "created"}
    assert len(consumer["apiSecret"]) >= 43
    assert consumer["created"].endswith(".000Z")

    frontend = Api("chicago-frontend", consumer["apiSecret"])
    assert frontend.get("/systems/chicago").status == 200
    assert frontend.get("/systems/Chicago/issuers/library").status == 200
    for target in ("/systems/pittsburgh", "/systems", "/systems/nope"):
        reply = frontend.get(target)
        assert reply.status == 403, target
        assert reply.json == {"code": "NotAuthorized", "message": "Invalid token for system"}
    assert frontend.post("/systems", system_body("mine")).status == 403
    # consumer management is master-only
    for method, target in (
        ("GET", "/systems/chicago/consumers"),
        ("DELETE", "/systems/chicago/consumers/x"),
    ):
        assert frontend.call(method, target).status == 403
    assert frontend.post("/systems/chicago/consumers", {}).status == 403

    listed = api.get("/systems/chicago/consumers").json
    assert listed == {"consumers": [{k: consumer[k] for k in ("apiKey", "description", "created")}]}
    assert api.post("/systems/pittsburgh/consumers", {"apiKey": "chicago-frontend"}).status == 409

    deleted = api.delete("/systems/chicago/consumers/chicago-frontend")
    assert deleted.json == {"status": "deleted", "consumer": listed["consumers"][0]}
    reply = frontend.get("/systems/chicago")
    assert reply.json == {"code": "NotAuthorized", "message": "Could not find consumer for API key"}


def test_generated_consumer_key_and_system_deletion_revokes_keys(api):
    api.post("/systems", system_body("chicago"))
    consumer = api.post("/systems/chicago/consumers", {}).json["consumer"]
    assert len(consumer["apiKey"]) >= 16
    frontend = Api(consumer["apiKey"], consumer["apiSecret"])
    assert frontend.get("/systems/chicago").status == 200
    api.delete("/systems/chicago")
    api.post("/systems", system_body("chicago"))
    assert frontend.get("/systems/chicago").status == 403


def test_wrong_secret_for_consumer(api):
    api.post("/systems", system_body("chicago"))
    consumer = api.post("/systems/chicago/consumers", {"apiKey": "k"}).json["consumer"]
    reply = Api("k", consumer["apiSecret"] + "x").get("/systems/chicago")
    assert reply.json == {"code": "NotAuthorized", "message": "Invalid token signature"}


def test_unexpected_errors_return_the_internal_error_body_without_details(api, monkeypatch):
    from badgekit.domain import containers

    def explode(slug):
        raise RuntimeError("secret driver detail")

    monkeypatch.setattr(containers, "find_system", explode)
    reply = api.get("/systems/chicago")
    assert reply.status == 500
    assert reply.json == {"code": "InternalError", "message": "An internal error occurred"}
    assert "secret driver detail" not in str(reply.json)


@pytest.mark.parametrize("key", ["k" * 256, "\ud800", "frontend\udfff"])
def test_impossible_consumer_keys_are_unknown_without_a_lookup(api, key):
    """A key claim no consumer can have (over 255 characters, or a lone surrogate from a JSON
    escape) is refused at step 15 without sending an oversized or unencodable key to DynamoDB."""
    from tests.support.meter import metered

    api.post("/systems", system_body("chicago"))
    with metered() as meter:
        reply = Api(key, "secret").get("/systems/chicago")
    assert reply.status == 403
    assert reply.json == {"code": "NotAuthorized", "message": "Could not find consumer for API key"}
    assert "GetItem" not in meter.operations


def test_pages_embed_exactly_their_members_containers(api):
    """A page's embedded issuers and programs come from one index range over the page's ids:
    members just outside the page, renames and deletes must not leak into it."""
    for n in range(4):
        assert api.post("/systems", system_body(f"s{n}")).status == 201
        for i in range(3):
            issuer = {"slug": f"i{i}", "name": f"I{i}", "url": "http://i.org"}
            assert api.post(f"/systems/s{n}/issuers", issuer).status == 201
            program = {"slug": f"p{i}", "name": f"P{i}", "url": "http://p.org"}
            assert api.post(f"/systems/s{n}/issuers/i{i}/programs", program).status == 201
    assert api.put("/systems/s1/issuers/i1/programs/p1", {"slug": "moved"}).status == 200
    assert api.delete("/systems/s2/issuers/i0").status == 200
    assert api.delete("/systems/s0").status == 200

    def shape(system: dict[str, object]) -> list[tuple[str, list[str]]]:
        issuers = system["issuers"]
        assert isinstance(issuers, list)
        return [(i["slug"], [p["slug"] for p in i["programs"]]) for i in issuers]

    page = api.get("/systems?page=1&count=2").json
    assert page["pageData"] == {"page": 1, "count": 2, "total": 3}
    assert [(s["slug"], shape(s)) for s in page["systems"]] == [
        ("s1", [("i0", ["p0"]), ("i1", ["moved"]), ("i2", ["p2"])]),
        ("s2", [("i1", ["p1"]), ("i2", ["p2"])]),
    ]
    whole = api.get("/systems").json["systems"]
    assert [s["slug"] for s in whole] == ["s1", "s2", "s3"]
    assert whole[:2] == page["systems"]
    issuers = api.get("/systems/s1/issuers?page=2&count=1").json
    assert issuers["pageData"] == {"page": 2, "count": 1, "total": 3}
    assert [(i["slug"], [p["slug"] for p in i["programs"]]) for i in issuers["issuers"]] == [
        ("i1", ["moved"])
    ]
