"""The container, consumer, badge and image stores: records come back with int ids (never
Decimal), keys are rebuilt from a record's ids and slug, and the reads the resolver relies on
keep their call counts (one BatchGetItem for a badge and its system)."""

from __future__ import annotations

from base64 import b64encode
from decimal import Decimal

from badgekit.store import badges as badge_store
from badgekit.store import consumers as consumer_store
from badgekit.store import containers as container_store
from badgekit.store import db, keys
from badgekit.store import images as image_store
from tests.support.meter import metered
from tests.unit.conftest import Api, system_body

GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00,"
BADGE = {
    "slug": "bee",
    "name": "Bee",
    "earnerDescription": "e",
    "consumerDescription": "c",
    "criteriaUrl": "http://example.org/criteria",
    "unique": True,
    "imageUrl": "http://example.org/bee.png",
    "criteria": [{"description": "buzz", "required": True}],
    "tags": ["wings"],
}


def create_tree(api: Api) -> None:
    assert api.post("/systems", system_body("chicago")).status == 201
    issuer = {"slug": "Library", "name": "Library", "url": "http://lib.example.org/"}
    assert api.post("/systems/chicago/issuers", issuer).status == 201
    program = {"slug": "scratch", "name": "Scratch", "url": "http://scratch.mit.edu/"}
    assert api.post("/systems/chicago/issuers/library/programs", program).status == 201


def test_container_records_have_int_ids_and_rebuild_their_keys(api):
    create_tree(api)
    system = container_store.get_system("CHICAGO")
    assert system is not None
    issuer = container_store.get_issuer(system["id"], "library")
    assert issuer is not None
    program = container_store.get_program(system["id"], issuer["id"], "scratch")
    assert program is not None
    assert (system["entity"], issuer["entity"], program["entity"]) == (
        "system",
        "issuer",
        "program",
    )
    for found in (system, issuer, program):
        assert type(found["id"]) is int
        assert type(found["version"]) is int
    assert (type(issuer["systemId"]), type(program["issuerId"])) == (int, int)
    stored = db.get(keys.issuer(system["id"], "library"))
    assert stored is not None
    assert isinstance(stored["id"], Decimal)
    assert container_store.key_of(system) == keys.system("chicago")
    # The key is rebuilt from the spelling kept in the record ("Library"), case-folded.
    assert container_store.key_of(issuer) == {"PK": stored["PK"], "SK": stored["SK"]}
    assert container_store.key_of(program) == keys.program(system["id"], issuer["id"], "scratch")
    owned = container_store.owned_by(system["id"])
    assert [(item["entity"], item["slug"]) for item in owned] == [
        ("issuer", "Library"),
        ("program", "scratch"),
    ]
    assert container_store.system_by_id(system["id"]) == system
    assert container_store.system_by_id(system["id"] + 1) is None


def test_list_pages_are_records(api):
    create_tree(api)
    assert api.post("/systems", system_body("boston")).status == 201
    systems, total = container_store.systems_page(db.Page(2, 1))
    assert total == 2
    assert [(s["slug"], type(s["id"])) for s in systems] == [("boston", int)]
    system = container_store.get_system("chicago")
    assert system is not None
    issuers, total = container_store.issuers_page(system["id"], None)
    assert (total, [i["slug"] for i in issuers]) == (1, ["Library"])
    programs, total = container_store.programs_page(system["id"], issuers[0]["id"], None)
    assert (total, [p["slug"] for p in programs]) == (1, ["scratch"])


def test_consumer_records(api):
    assert api.post("/systems", system_body("chicago")).status == 201
    created = api.post("/systems/chicago/consumers", {"apiKey": "Key-1", "description": "d"})
    assert created.status == 201
    consumer = consumer_store.get("Key-1")
    assert consumer is not None
    assert consumer_store.get("key-1") is None  # API keys are exact
    assert (consumer["apiKey"], consumer["description"], type(consumer["systemId"])) == (
        "Key-1",
        "d",
        int,
    )
    found, total = consumer_store.page_of(consumer["systemId"], None)
    assert (total, found) == (1, [consumer])
    assert consumer_store.keys_of_system(consumer["systemId"]) == [keys.consumer("Key-1")]


def test_badge_records_nest_int_children(api):
    assert api.post("/systems", system_body("chicago")).status == 201
    assert api.post("/systems/chicago/badges", BADGE).status == 201
    system, badge = badge_store.with_system("BEE", None)
    assert system is None
    assert badge is not None
    assert type(badge["id"]) is int
    assert type(badge["systemId"]) is int
    criteria = badge.get("criteria", [])
    tags = badge.get("tags", [])
    assert [type(c["id"]) for c in criteria] == [int]
    assert [(type(t["id"]), t["value"]) for t in tags] == [(int, "wings")]
    assert badge_store.key_of(badge) == keys.badge("bee")
    assert badge_store.indexed(badge["id"]) == badge
    assert badge_store.current([badge]) == [badge]


def test_a_badge_and_its_system_are_one_batch_get(api):
    assert api.post("/systems", system_body("chicago")).status == 201
    assert api.post("/systems/chicago/badges", BADGE).status == 201
    with metered() as meter:
        system, badge = badge_store.with_system("bee", "Chicago")
        missing_system, missing_badge = badge_store.with_system("wasp", "nowhere")
    assert meter.operations == ["BatchGetItem", "BatchGetItem"]
    assert system is not None
    assert system["slug"] == "chicago"
    assert badge is not None
    assert badge["slug"] == "bee"
    assert (missing_system, missing_badge) == (None, None)


def test_image_records(api):
    body = {**system_body("chicago"), "image": f"data:image/gif;base64,{b64encode(GIF).decode()}"}
    reply = api.post("/systems", body)
    assert reply.status == 201
    slug = reply.json["system"]["imageUrl"].rsplit("/", 1)[1]
    image = image_store.get(slug)
    assert image is not None
    assert (image["entity"], image["slug"], image["mimetype"]) == ("image", slug, "image/gif")
    assert (type(image["id"]), type(image["size"])) == (int, int)
    assert image["s3Key"] == image_store.object_key(slug)
    assert image_store.exists(slug)
    assert image_store.read_object(image["s3Key"]) == GIF
    assert image_store.get("0" * 32) is None
