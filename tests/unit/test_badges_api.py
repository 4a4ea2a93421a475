"""Badge classes through the badges function (in-process), written from spec badges.md."""

from __future__ import annotations

import re

import pytest

from tests.support.bodies import badge_body
from tests.unit.conftest import Api, system_body

SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
PRG = f"{ISS}/programs/scratch"


@pytest.fixture
def tree(api: Api) -> Api:
    assert api.post("/systems", system_body("chicago", email="mayor@example.org")).status == 201
    assert (
        api.post(
            f"{SYS}/issuers", {"slug": "library", "name": "Library", "url": "http://lib.org"}
        ).status
        == 201
    )
    assert (
        api.post(
            f"{ISS}/programs", {"slug": "scratch", "name": "Scratch", "url": "http://s.org"}
        ).status
        == 201
    )
    return api


def test_create_returns_the_full_badge_and_location(tree):
    reply = tree.post(f"{ISS}/badges", badge_body())
    assert reply.status == 201
    assert reply.headers["Location"] == f"{ISS}/badges/test-badge"
    badge = reply.json["badge"]
    assert reply.json["status"] == "created"
    assert list(badge) == [
        "id",
        "slug",
        "name",
        "strapline",
        "earnerDescription",
        "consumerDescription",
        "issuerUrl",
        "rubricUrl",
        "timeValue",
        "timeUnits",
        "limit",
        "unique",
        "created",
        "imageUrl",
        "type",
        "archived",
        "system",
        "issuer",
        "criteriaUrl",
        "criteria",
        "alignments",
        "evidenceType",
        "categories",
        "tags",
        "milestones",
    ]
    assert badge["unique"] is False
    assert badge["archived"] is False
    assert badge["type"] == "Badge Type"
    assert badge["categories"] == ["Category One"]
    assert [t["value"] for t in badge["tags"]] == ["tag1"]
    assert badge["criteria"][0]["required"] is True
    assert badge["criteria"][0]["note"] == "Check the thing"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", badge["created"])
    assert badge["system"] == {
        "id": 1,
        "slug": "chicago",
        "url": "http://example.org",
        "name": "Chicago",
        "email": "mayor@example.org",
        "imageUrl": None,
        "issuers": [],
    }
    assert badge["issuer"]["slug"] == "library"
    assert badge["issuer"]["programs"] == []
    assert "program" not in badge
    assert badge["milestones"] == []
    assert tree.get(reply.headers["Location"]).json == {"badge": badge}


def test_generated_slug_and_defaults(tree):
    body = badge_body(slug=None)
    for key in ("type", "categories", "tags", "criteria", "strapline"):
        body.pop(key)
    badge = tree.post(f"{SYS}/badges", body).json["badge"]
    assert re.fullmatch(r"[0-9a-f]{32}", badge["slug"])
    assert (badge["type"], badge["strapline"], badge["criteria"], badge["tags"]) == (
        "",
        None,
        [],
        [],
    )
    assert "issuer" not in badge


def test_validation_of_an_empty_body(tree):
    reply = tree.post(f"{SYS}/badges", {"whatever": "lol"})
    assert reply.status == 400
    assert [(d["field"], d["message"]) for d in reply.json["details"]] == [
        ("name", "Required field"),
        ("earnerDescription", "Required field"),
        ("consumerDescription", "Required field"),
        ("criteriaUrl", "Required field"),
        ("unique", "Required field"),
        ("image", "Missing value"),
    ]
    assert "value" not in reply.json["details"][-1]


def test_field_rules_and_child_rules(tree):
    body = badge_body(
        strapline="s" * 141,
        criteriaUrl="nope",
        timeValue="5.0",
        timeUnits="years",
        limit=True,
        unique="maybe",
        archived="no",
        evidenceType="video",
        criteria=[{"required": "perhaps"}],
        alignments=[{"name": "", "url": "not a url"}, {"url": "http://a.org"}],
        categories=["x" * 256],
    )
    reply = tree.post(f"{SYS}/badges", body)
    assert reply.status == 400
    assert [(d["field"], d["message"]) for d in reply.json["details"]] == [
        ("strapline", "String is not in range"),
        ("criteriaUrl", "Invalid URL"),
        ("timeValue", "Invalid integer"),
        ("timeUnits", "Unexpected value or invalid argument"),
        ("limit", "Invalid integer"),
        ("unique", "Unexpected value or invalid argument"),
        ("archived", "Unexpected value or invalid argument"),
        ("evidenceType", "Unexpected value or invalid argument"),
        ("criteria[0].required", "Unexpected value or invalid argument"),
        ("alignments[0].name", "String is not in range"),
        ("alignments[0].url", "Invalid URL"),
        ("alignments[1].name", "Required field"),
        ("categories", "String is not in range"),
    ]
    assert tree.get(f"{SYS}/badges?archived=any").json == {"badges": []}


def test_integers_a_number_column_cannot_hold_are_invalid(tree):
    body = badge_body(timeValue=10**40, limit=str(2**63), criteria=[{"id": 2**70}])
    reply = tree.post(f"{SYS}/badges", body)
    assert reply.status == 400
    assert reply.json["details"] == [
        {"message": "Invalid integer", "field": "timeValue", "value": 10**40},
        {"message": "Invalid integer", "field": "limit", "value": str(2**63)},
    ]
    assert tree.get(f"{SYS}/badges?archived=any").json == {"badges": []}


def test_slug_is_unique_across_the_deployment(tree):
    assert tree.post(f"{PRG}/badges", badge_body("shared")).status == 201
    tree.post("/systems", system_body("pittsburgh"))
    reply = tree.post("/systems/pittsburgh/badges", badge_body("SHARED"))
    assert reply.status == 409
    assert reply.json["code"] == "ResourceConflict"
    assert reply.json["message"] == "badge with that `slug` already exists"
    details = reply.json["details"]
    assert details["slug"] == "SHARED"
    assert details["unique"] == 0
    assert "criteria" not in details


def test_resolution_through_ancestors_only(tree):
    tree.post(f"{SYS}/badges", badge_body("system-badge"))
    tree.post(f"{PRG}/badges", badge_body("program-badge"))
    assert tree.get(f"{SYS}/badges/PROGRAM-BADGE").status == 200
    assert tree.get(f"{ISS}/badges/program-badge").status == 200
    program_view = tree.get(f"{PRG}/badges/program-badge").json["badge"]
    assert program_view["program"]["slug"] == "scratch"
    assert program_view["issuer"]["slug"] == "library"
    reply = tree.get(f"{ISS}/badges/system-badge")
    assert reply.status == 404
    assert reply.json["message"] == "Could not find badge field: `slug`, value: `system-badge`"
    assert tree.get(f"{SYS}/issuers/nope/badges/program-badge").json["message"] == (
        "Could not find issuer field: `slug`, value: `nope`"
    )


def test_lists_include_descendants_and_filter_archived(tree):
    tree.post(f"{SYS}/badges", badge_body("a"))
    tree.post(f"{ISS}/badges", badge_body("b"))
    tree.post(f"{PRG}/badges", badge_body("c", archived=True))
    tree.post(f"{PRG}/badges", badge_body("d"))

    def slugs(target: str) -> list[str]:
        reply = tree.get(target)
        assert reply.status == 200, reply.json
        return [b["slug"] for b in reply.json["badges"]]

    assert slugs(f"{SYS}/badges") == ["a", "b", "d"]
    assert slugs(f"{SYS}/badges?archived=any") == ["a", "b", "c", "d"]
    assert slugs(f"{SYS}/badges?archived=") == ["a", "b", "c", "d"]
    assert slugs(f"{SYS}/badges?archived=true") == ["c"]
    assert slugs(f"{SYS}/badges?archived=1") == ["c"]
    assert slugs(f"{SYS}/badges?archived=0") == ["a", "b", "d"]
    assert slugs(f"{SYS}/badges?archived=undefined") == ["a", "b", "d"]
    assert slugs(f"{ISS}/badges?archived=any") == ["b", "c", "d"]
    assert slugs(f"{PRG}/badges?archived=any") == ["c", "d"]
    page = tree.get(f"{SYS}/badges?archived=any&page=2&count=2").json
    assert [b["slug"] for b in page["badges"]] == ["c", "d"]
    assert page["pageData"] == {"page": 2, "count": 2, "total": 4}
    assert tree.get(f"{SYS}/badges?page=1&count=2").json["pageData"]["total"] == 3
    listed = tree.get(f"{SYS}/badges").json["badges"]
    assert listed[2]["program"]["slug"] == "scratch"
    assert all(b["milestones"] == [] for b in listed)
    for bad in ("?archived=maybe", "?archived=true&archived=false"):
        reply = tree.get(f"{SYS}/badges{bad}")
        assert reply.status == 400
        assert reply.json == {
            "code": "InvalidParameter",
            "parameter": "archived",
            "message": "Invalid `archived` parameter. Expecting one of 'true', 'false' or 'any'.",
        }


def test_update_is_partial_and_keeps_criterion_ids(tree):
    created = tree.post(
        f"{SYS}/badges", badge_body(criteria=[{"description": "one"}, {"description": "two"}])
    ).json["badge"]
    first, second = created["criteria"]
    reply = tree.put(f"{SYS}/badges/test-badge", {"name": "Renamed", "strapline": None})
    assert reply.status == 200
    updated = reply.json["badge"]
    assert (updated["name"], updated["strapline"]) == ("Renamed", None)
    assert updated["criteria"] == created["criteria"]
    assert updated["tags"] == created["tags"]
    reply = tree.put(
        f"{SYS}/badges/test-badge",
        {
            "criteria": [
                {"id": second["id"], "description": "two!"},
                {"id": 999, "description": "new"},
            ],
            "tags": [],
        },
    )
    criteria = reply.json["badge"]["criteria"]
    assert criteria[0] == {"id": second["id"], "description": "two!", "required": False, "note": ""}
    assert criteria[1]["id"] not in (first["id"], second["id"], 999)
    assert reply.json["badge"]["tags"] == []
    assert tree.put(f"{SYS}/badges/test-badge", {"unique": "maybe"}).status == 400
    assert tree.get(f"{SYS}/badges/test-badge").json["badge"]["name"] == "Renamed"


def test_stored_numbers_survive_an_unrelated_update(tree):
    tree.post(f"{SYS}/badges", badge_body(timeValue=5, timeUnits="hours", limit="2"))
    reply = tree.put(f"{SYS}/badges/test-badge", {"name": "Other"})
    assert reply.status == 200, reply.json
    badge = reply.json["badge"]
    assert (badge["timeValue"], badge["timeUnits"], badge["limit"]) == (5, "hours", 2)
    cleared = tree.put(f"{SYS}/badges/test-badge", {"timeValue": None}).json["badge"]
    assert (cleared["timeValue"], cleared["limit"]) == (None, 2)


def test_tags_accept_objects_and_get_new_ids_on_replace(tree):
    created = tree.post(f"{SYS}/badges", badge_body(tags=["a", "a", "", "b"])).json["badge"]
    assert [t["value"] for t in created["tags"]] == ["a", "b"]
    replaced = tree.put(f"{SYS}/badges/test-badge", {"tags": created["tags"]}).json["badge"]["tags"]
    assert [t["value"] for t in replaced] == ["a", "b"]
    assert {t["id"] for t in replaced}.isdisjoint({t["id"] for t in created["tags"]})


def test_archive_rename_and_delete(tree):
    tree.post(f"{ISS}/badges", badge_body("old"))
    reply = tree.put(f"{SYS}/badges/old", {"archived": True, "slug": "new"})
    assert reply.status == 200
    assert reply.json["badge"]["archived"] is True
    assert tree.get(f"{SYS}/badges/old").status == 404
    assert [b["slug"] for b in tree.get(f"{ISS}/badges?archived=true").json["badges"]] == ["new"]
    assert tree.get(f"{ISS}/badges").json["badges"] == []
    tree.post(f"{SYS}/badges", badge_body("other"))
    assert tree.put(f"{SYS}/badges/new", {"slug": "OTHER"}).status == 409
    deleted = tree.delete(f"{ISS}/badges/new")
    assert deleted.status == 200
    assert deleted.json["status"] == "deleted"
    assert deleted.json["badge"]["slug"] == "new"
    assert tree.get(f"{SYS}/badges/new").status == 404
    assert tree.get(f"{SYS}/badges?archived=any&page=1&count=5").json["pageData"]["total"] == 1


def test_a_null_slug_on_update_keeps_the_slug(tree):
    # Found by the schema-driven fuzzing: `"slug": null` on PUT answered 500.
    tree.post(f"{ISS}/badges", badge_body("kept"))
    reply = tree.put(f"{SYS}/badges/kept", {"archived": True, "slug": None})
    assert reply.status == 200
    assert reply.json["badge"]["slug"] == "kept"
    assert reply.json["badge"]["archived"] is True
    assert tree.get(f"{ISS}/badges/kept").json["badge"]["archived"] is True


def test_form_encoded_badge_with_bracket_arrays(tree):
    raw = (
        "slug=form-badge&name=Form&earnerDescription=e&consumerDescription=c&unique=1"
        "&imageUrl=http%3A%2F%2Fexample.org%2Fi.png&criteriaUrl=http%3A%2F%2Fexample.org%2Fc"
        "&criteria[0][description]=Read+a+book&criteria[0][required]=1&categories[]=Reading&tags=books"
    )
    reply = tree.call(
        "POST", f"{SYS}/badges", body=raw.encode(), content_type="application/x-www-form-urlencoded"
    )
    assert reply.status == 201, reply.json
    badge = reply.json["badge"]
    assert badge["unique"] is True
    assert badge["criteria"][0]["description"] == "Read a book"
    assert badge["criteria"][0]["required"] is True
    assert badge["categories"] == ["Reading"]
    assert [t["value"] for t in badge["tags"]] == ["books"]


def test_deleting_containers_cascades_to_badges(tree):
    tree.post(f"{PRG}/badges", badge_body("p-badge"))
    tree.post(f"{ISS}/badges", badge_body("i-badge"))
    tree.post(f"{SYS}/badges", badge_body("s-badge"))
    assert tree.delete(PRG).status == 200
    assert [b["slug"] for b in tree.get(f"{SYS}/badges").json["badges"]] == ["i-badge", "s-badge"]
    assert tree.delete(f"{SYS}/issuers/library").status == 200
    assert [b["slug"] for b in tree.get(f"{SYS}/badges").json["badges"]] == ["s-badge"]
    assert tree.delete(SYS).status == 200
    tree.post("/systems", system_body("chicago"))
    assert tree.get(f"{SYS}/badges?archived=any").json == {"badges": []}
    assert tree.post(f"{SYS}/badges", badge_body("p-badge")).status == 201  # slug free again


def test_stored_badge_image_commits_with_the_badge_and_a_conflict_leaves_nothing(tree):
    import base64

    from tests.support.stored_images import bucket_keys, image_items, tags

    png = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    created = tree.post(f"{SYS}/badges", badge_body("pictured", imageUrl=None, image=uri))
    assert created.status == 201, created.json
    image_url = created.json["badge"]["imageUrl"]
    assert re.fullmatch(r"https://badges\.example\.org/public/images/[0-9a-f]{32}", image_url)
    (key,) = bucket_keys()
    assert tags(key) == []  # committed: no longer pending expiry
    conflict = tree.post(f"{SYS}/badges", badge_body("PICTURED", imageUrl=None, image=uri))
    assert conflict.status == 409
    assert bucket_keys() == [key]  # the loser's upload was deleted
    assert len(image_items()) == 1


# --- array lengths (README §3 limits) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "entries"),
    [
        ("criteria", [{}] * 7_601),  # 380,000 // 50 + 1
        ("alignments", [{"name": "x"}] * 9_501),
        ("tags", ["t"] * 19_001),
        ("categories", [""] * 95_001),  # empty and repeated entries count
    ],
)
def test_an_array_too_long_for_one_stored_item_is_413_before_anything_is_written(
    tree, name, entries
):
    from tests.support.meter import metered

    too_large = {
        "code": "RequestEntityTooLargeError",
        "message": "Badge exceeds the maximum stored size of 380000 bytes",
    }
    assert tree.post(f"{SYS}/badges", badge_body("b1")).status == 201
    with metered() as meter:
        replies = []
        baseline = meter.during(lambda: replies.append(tree.post(f"{SYS}/badges", {})))
        assert replies[-1].status == 400
        create = meter.during(
            lambda: replies.append(tree.post(f"{SYS}/badges", badge_body("b2", **{name: entries})))
        )
        update = meter.during(lambda: replies.append(tree.put(f"{SYS}/badges/b1", {name: entries})))
    assert (replies[1].status, replies[1].json) == (413, too_large)
    assert (replies[2].status, replies[2].json) == (413, too_large)
    assert create == baseline  # the path's system: no id reserved, nothing written
    assert update == ["BatchGetItem"]  # the system and the badge
    assert tree.get(f"{SYS}/badges/b2").status == 404
    assert tree.get(f"{SYS}/badges/b1").json["badge"]["tags"] == [{"id": 1, "value": "tag1"}]
