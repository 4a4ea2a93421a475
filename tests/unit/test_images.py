"""Images (spec README §10): input precedence and messages, S3 storage with the pending tag,
uploads through the containers API and `GET /public/images/{slug}` (in-process, moto)."""

from __future__ import annotations

import base64
import os
import re
from typing import Any

import pytest

from badgekit.domain import images
from badgekit.domain.images import ImageInput, image_input
from badgekit.domain.inputs import Upload
from badgekit.domain.validation import Report
from badgekit.errors import RequestEntityTooLarge
from badgekit.store import db, keys
from tests.support.stored_images import bucket_keys, image_items, s3, tags
from tests.unit.conftest import Api, system_body

BASE = "https://badges.example.org"
PUBLIC_URL = re.compile(rf"^{re.escape(BASE)}/public/images/([0-9a-f]{{32}})$")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
PENDING = [{"Key": "badgekit-state", "Value": "pending"}]


def data_uri(data: bytes, mimetype: str = "image/png") -> str:
    return f"data:{mimetype};base64,{base64.b64encode(data).decode()}"


def parse(
    fields: dict[str, Any],
    upload: Upload | None = None,
    current_url: str | None = None,
    *,
    required: bool = False,
) -> tuple[ImageInput | None, list[dict[str, Any]]]:
    report = Report()
    result = image_input(fields, upload, report, current_url, required=required)
    return result, report.details


def missing() -> list[dict[str, Any]]:
    return [{"message": "Missing value", "field": "image"}]


# --- image_input: precedence ------------------------------------------------------------------


def test_multipart_part_wins_over_fields():
    upload = Upload(PNG, "image/png", "a.png")
    result, details = parse({"image": "http://a.org/x.png", "imageUrl": "http://b.org"}, upload)
    assert details == []
    assert result == ImageInput(data=PNG, mimetype="image/png")


def test_empty_multipart_part_is_no_upload():
    result, _ = parse({"image": "http://a.org/x.png"}, Upload(b"", "image/png"))
    assert result == ImageInput(url="http://a.org/x.png")


def test_field_image_wins_over_image_url():
    result, _ = parse({"image": "http://a.org/x.png", "imageUrl": "http://b.org/y.png"})
    assert result == ImageInput(url="http://a.org/x.png")


@pytest.mark.parametrize("empty", [None, ""])
def test_empty_image_falls_back_to_image_url(empty):
    result, _ = parse({"image": empty, "imageUrl": "http://b.org/y.png"})
    assert result == ImageInput(url="http://b.org/y.png")


@pytest.mark.parametrize("fields", [{}, {"image": None}, {"image": "", "imageUrl": ""}])
def test_nothing_supplied(fields):
    assert parse(fields) == (None, [])
    assert parse(fields, required=True) == (None, missing())


def test_data_uri_is_decoded_into_an_upload():
    result, details = parse({"imageUrl": data_uri(SVG, "Image/SVG+XML")})
    assert details == []
    assert result == ImageInput(data=SVG, mimetype="image/svg+xml")
    assert result is not None
    assert result.stored


def test_data_uri_base64_may_be_wrapped():
    encoded = base64.b64encode(PNG).decode()
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    result, _ = parse({"image": f"data:image/png;base64,{wrapped}"})
    assert result == ImageInput(data=PNG, mimetype="image/png")


def test_empty_data_uri_is_nothing_supplied():
    assert parse({"image": "data:image/png;base64,"}) == (None, [])
    assert parse({"image": "data:image/png;base64,"}, required=True) == (None, missing())


def test_value_equal_to_the_current_image_is_unchanged():
    assert parse({"image": "http://a.org/x.png"}, current_url="http://a.org/x.png") == (None, [])
    stored = "/public/images/0123456789abcdef0123456789abcdef"
    # A stored image is recognised by its path whatever base URL the client saw.
    assert parse({"imageUrl": f"http://other.host{stored}"}, current_url=stored) == (None, [])
    result, _ = parse({"imageUrl": "http://a.org/x.png"}, current_url=stored)
    assert result == ImageInput(url="http://a.org/x.png")


# --- image_input: failures (field `image`, no `value` key) --------------------------------


@pytest.mark.parametrize("value", ["not a url", "/images/abc", "example", "data:image/png,raw"])
def test_bad_url(value):
    assert parse({"image": value}) == (None, [{"message": "Invalid URL", "field": "image"}])


@pytest.mark.parametrize(
    "value",
    [
        "data:image;base64,AAAA",
        "data:image/png!;base64,AAAA",
        "data:;base64,AAAA",
        "data:image/png;base64,***",
        "data:image/png;base64,AAA",  # bad padding
    ],
)
def test_bad_data_uri(value):
    assert parse({"image": value}) == (None, [{"message": "Invalid characters", "field": "image"}])


@pytest.mark.parametrize("mimetype", ["image", "image/png; x", "text/plain/x", "../x"])
def test_bad_upload_mimetype(mimetype):
    result, details = parse({}, Upload(PNG, mimetype))
    assert result is None
    assert details == [{"message": "Invalid characters", "field": "image"}]


@pytest.mark.parametrize("value", [{"url": "x"}, ["http://a.org"], 5, True])
def test_non_string_value(value):
    assert parse({"image": value}) == (None, missing())
    assert parse({"image": None, "imageUrl": value}) == (None, missing())


def test_oversized_image_is_413():
    with pytest.raises(RequestEntityTooLarge):
        parse({}, Upload(b"x" * (images.MAX_IMAGE_BYTES + 1), "image/png"))


# --- storage: prepare / committed / abandoned -----------------------------------------------


def test_prepare_remote_url_touches_nothing(aws):
    prepared = images.prepare(ImageInput(url="http://a.org/x.png"))
    assert prepared.owner_attributes == {"imageUrl": "http://a.org/x.png"}
    assert prepared.actions == []
    prepared.committed()
    prepared.abandoned()
    assert bucket_keys() == []


def test_prepare_uploads_tagged_pending_and_commit_untags(aws):
    prepared = images.prepare(ImageInput(data=PNG, mimetype="image/png"), image_id=7)
    slug = prepared.owner_attributes["imageSlug"]
    assert re.fullmatch(r"[0-9a-f]{32}", slug)
    key = f"images/{slug}"
    assert bucket_keys() == [key]
    head = s3().head_object(Bucket=os.environ["IMAGES_BUCKET"], Key=key)
    assert head["ContentType"] == "image/png"
    assert head["ContentLength"] == len(PNG)
    assert tags(key) == PENDING
    (action,) = prepared.actions
    item = action["Put"]["Item"]
    assert action["Put"]["ConditionExpression"] == "attribute_not_exists(PK)"
    assert {k: v for k, v in item.items() if k != "created"} == {
        **keys.image(slug),
        "entity": "image",
        "id": 7,
        "slug": slug,
        "mimetype": "image/png",
        "s3Key": key,
        "size": len(PNG),
    }
    db.transact(prepared.actions)
    prepared.committed()
    assert tags(key) == []
    loaded = images.load(slug)
    assert loaded == images.StoredImage(slug, "image/png", PNG)


def test_abandoned_upload_is_deleted(aws):
    prepared = images.prepare(ImageInput(data=PNG, mimetype="image/png"))
    assert len(bucket_keys()) == 1
    prepared.abandoned()
    assert bucket_keys() == []
    assert image_items() == []


def test_settling_decides_by_the_outcome(aws):
    # Success: untagged.
    ok = images.prepare(ImageInput(data=b"1", mimetype="image/gif"))
    with images.settling(ok):
        db.transact(ok.actions)
    assert ok.object_key is not None
    assert tags(ok.object_key) == []
    # A cancelled transaction wrote nothing: the object goes.
    cancelled = images.prepare(ImageInput(data=b"2", mimetype="image/gif"))
    with pytest.raises(db.TransactionFailed), images.settling(cancelled):
        raise db.TransactionFailed(["ConditionalCheckFailed"])
    # Unknown outcome (e.g. a timeout): the IMAGE item decides.
    unknown = images.prepare(ImageInput(data=b"3", mimetype="image/gif"))

    def commit_then_time_out() -> None:
        db.transact(unknown.actions)
        raise TimeoutError

    with pytest.raises(TimeoutError), images.settling(unknown):
        commit_then_time_out()
    lost = images.prepare(ImageInput(data=b"4", mimetype="image/gif"))
    with pytest.raises(TimeoutError), images.settling(lost):
        raise TimeoutError
    assert bucket_keys() == sorted([ok.object_key, unknown.object_key])
    assert unknown.object_key is not None
    assert tags(unknown.object_key) == []


# --- through the API ------------------------------------------------------------------------


def multipart(fields: dict[str, str], image: bytes, mimetype: str) -> tuple[bytes, str]:
    boundary = "xXbadgekitXx"
    raw = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    )
    raw += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="i.png"\r\n'
        f"Content-Type: {mimetype}\r\n\r\n"
    ).encode()
    raw += image + f"\r\n--{boundary}--\r\n".encode()
    return raw, f"multipart/form-data; boundary={boundary}"


def fetch(api: Api, url: str) -> Any:
    """GET a public image URL; the raw proxy response (the body may be bytes)."""
    return api.gateway.dispatch(api.prepare("GET", url.removeprefix(BASE), sign=False))


def slug_of(url: str) -> str:
    match = PUBLIC_URL.match(url)
    assert match, url
    return match.group(1)


def test_multipart_upload_on_each_container_level(api):
    body, content_type = multipart(system_body("chicago"), PNG, "image/png")
    reply = api.call("POST", "/systems", body=body, content_type=content_type)
    assert reply.status == 201, reply.json
    system_image = reply.json["system"]["imageUrl"]
    issuer = {"slug": "lib", "name": "Lib", "url": "http://lib.org", "image": data_uri(b"GIF89a")}
    reply = api.post(
        "/systems/chicago/issuers", {**issuer, "image": data_uri(b"GIF89a", "image/gif")}
    )
    assert reply.status == 201, reply.json
    issuer_image = reply.json["issuer"]["imageUrl"]
    program = {
        "slug": "p",
        "name": "P",
        "url": "http://p.org",
        "imageUrl": data_uri(SVG, "image/svg+xml"),
    }
    reply = api.post("/systems/chicago/issuers/lib/programs", program)
    assert reply.status == 201, reply.json
    program_image = reply.json["program"]["imageUrl"]

    expected = [
        (system_image, "image/png", PNG),
        (issuer_image, "image/gif", b"GIF89a"),
        (program_image, "image/svg+xml", SVG),
    ]
    for url, mimetype, data in expected:
        served = fetch(api, url)
        assert served.status == 200
        assert dict(served.headers)["Content-Type"] == mimetype
        assert served.body == data
        assert tags(f"images/{slug_of(url)}") == []  # committed
    assert len(image_items()) == 3
    # The stored reference shows in every representation.
    assert api.get("/systems/chicago").json["system"]["issuers"][0]["imageUrl"] == issuer_image


def test_binary_response_is_base64_flagged(api):
    reply = api.post("/systems", system_body("bin", image=data_uri(PNG)))
    path = reply.json["system"]["imageUrl"].removeprefix(BASE)
    function = api.gateway.functions["PublicFunction"]
    event = {
        "httpMethod": "GET",
        "path": path,
        "resource": "/public/images/{imageSlug}",
        "headers": {"Host": "api.example.org"},
        "pathParameters": {"imageSlug": path.rsplit("/", 1)[1]},
    }
    result = function.invoke(event)
    assert result["statusCode"] == 200
    assert result["isBase64Encoded"] is True
    assert base64.b64decode(result["body"]) == PNG


def test_failed_create_leaves_no_object_and_no_image_item(api):
    assert api.post("/systems", system_body("dup")).status == 201
    reply = api.post("/systems", system_body("DUP", image=data_uri(PNG)))
    assert reply.status == 409
    assert bucket_keys() == []
    assert image_items() == []


def test_invalid_request_uploads_nothing(api):
    reply = api.post("/systems", {"slug": "x", "image": data_uri(PNG)})
    assert reply.status == 400
    assert bucket_keys() == []


def test_update_replaces_the_image(api):
    reply = api.post("/systems", system_body("chicago", image=data_uri(b"GIF89a-old", "image/gif")))
    old_url = reply.json["system"]["imageUrl"]
    # Round-tripping the current imageUrl changes nothing (README §10).
    reply = api.put("/systems/chicago", {"imageUrl": old_url, "name": "Renamed"})
    assert reply.status == 200
    assert reply.json["system"]["imageUrl"] == old_url
    assert len(bucket_keys()) == 1

    reply = api.put("/systems/chicago", {"image": data_uri(PNG + b"new", "image/png")})
    assert reply.status == 200
    new_url = reply.json["system"]["imageUrl"]
    assert slug_of(new_url) != slug_of(old_url)
    assert fetch(api, new_url).body == PNG + b"new"
    assert tags(f"images/{slug_of(new_url)}") == []
    # The replaced image stays available (published badge classes may point at it).
    assert fetch(api, old_url).body == b"GIF89a-old"

    # Stored → remote → stored again.
    reply = api.put("/systems/chicago", {"imageUrl": "http://example.org/remote.png"})
    assert reply.json["system"]["imageUrl"] == "http://example.org/remote.png"
    item = db.get(keys.system("chicago"))
    assert item is not None
    assert "imageSlug" not in item
    reply = api.put("/systems/chicago", {"image": data_uri(PNG + b"again", "image/png")})
    again = db.get(keys.system("chicago"))
    assert again is not None
    assert "imageUrl" not in again
    assert fetch(api, reply.json["system"]["imageUrl"]).body == PNG + b"again"


def test_update_validation_failure_uploads_nothing(api):
    api.post("/systems", system_body("chicago"))
    reply = api.put("/systems/chicago", {"url": "bad url", "image": data_uri(PNG)})
    assert reply.status == 400
    assert bucket_keys() == []


def test_remote_url_is_kept_on_the_owner(api):
    reply = api.post("/systems", system_body("r", imageUrl="http://example.org/x.png"))
    assert reply.json["system"]["imageUrl"] == "http://example.org/x.png"
    assert bucket_keys() == []
    assert image_items() == []


def test_public_image_route(api):
    unknown = "0123456789abcdef0123456789abcdef"
    reply = api.get(f"/public/images/{unknown}", sign=False)
    assert reply.status == 404
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json == {
        "code": "ResourceNotFound",
        "message": f"Could not find image field: `slug`, value: `{unknown}`",
    }
    db.table().put_item(
        Item={
            **keys.image("r" * 32),
            "entity": "image",
            "id": 1,
            "slug": "r" * 32,
            "url": "http://example.org/r.png",
        }
    )
    reply = api.get(f"/public/images/{'R' * 32}", sign=False)  # slugs match case-insensitively
    assert reply.status == 301
    assert reply.headers["Location"] == "http://example.org/r.png"
    assert reply.json == {"location": "http://example.org/r.png"}
    reply = api.call("POST", f"/public/images/{unknown}", sign=False)
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET"


def test_other_public_paths_answer_404_until_implemented(api):
    reply = api.get("/public/systems/chicago", sign=False)
    assert reply.status == 404
    assert reply.json["code"] == "ResourceNotFound"


def test_image_item_without_object_is_404(api):
    reply = api.post("/systems", system_body("lost", image=data_uri(PNG)))
    url = reply.json["system"]["imageUrl"]
    s3().delete_object(Bucket=os.environ["IMAGES_BUCKET"], Key=f"images/{slug_of(url)}")
    assert fetch(api, url).status == 404


# --- stored image types (README §10): refused uploads store nothing ---------------------------

SVG_NS = "http://www.w3.org/2000/svg"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>"
XHTML = (
    b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
    b"<script>alert(document.domain)</script></body></html>"
)
SVG_DOCTYPE = f'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="{SVG_NS}">&x;</svg>'.encode()
SVG_SCRIPT = f'<svg xmlns="{SVG_NS}"><script>alert(document.domain)</script></svg>'.encode()
NOT_IMAGES = [
    pytest.param("text/html", HTML, id="html"),
    pytest.param("application/xhtml+xml", XHTML, id="xhtml"),
    pytest.param("image/svg+xml", SVG_DOCTYPE, id="svg-doctype"),
]
UNSUPPORTED = {
    "code": "ValidationError",
    "message": "Could not validate required fields",
    "details": [{"message": "Unsupported image type", "field": "image"}],
}
ISSUER = "/systems/chicago/issuers/lib"
PROGRAM = f"{ISSUER}/programs/p"
# owner -> (collection path, fields of a new one)
OWNERS: dict[str, tuple[str, dict[str, str]]] = {
    "system": ("/systems", {"slug": "new", "name": "New", "url": "http://example.org"}),
    "issuer": (
        "/systems/chicago/issuers",
        {"slug": "new", "name": "New", "url": "http://example.org"},
    ),
    "program": (f"{ISSUER}/programs", {"slug": "new", "name": "New", "url": "http://example.org"}),
    "badge": (
        "/systems/chicago/badges",
        {
            "slug": "new",
            "name": "New",
            "earnerDescription": "For earners",
            "consumerDescription": "For consumers",
            "criteriaUrl": "http://example.org/criteria",
            "unique": "false",
        },
    ),
}
EXISTING = {
    "system": "/systems/chicago",
    "issuer": ISSUER,
    "program": PROGRAM,
    "badge": "/systems/chicago/badges/b",
}


@pytest.fixture
def tree(api: Api) -> Api:
    """A system, issuer, program and badge, each with a remote image."""
    remote = {"imageUrl": "http://example.org/x.png"}
    assert api.post("/systems", system_body("chicago", **remote)).status == 201
    issuer = {"slug": "lib", "name": "Lib", "url": "http://lib.org", **remote}
    assert api.post("/systems/chicago/issuers", issuer).status == 201
    program = {"slug": "p", "name": "P", "url": "http://p.org", **remote}
    assert api.post(f"{ISSUER}/programs", program).status == 201
    badge = {**OWNERS["badge"][1], "slug": "b", **remote}
    assert api.post("/systems/chicago/badges", badge).status == 201
    return api


def send_image(
    api: Api, method: str, path: str, fields: dict[str, str], data: bytes, mimetype: str, how: str
) -> Any:
    if how == "multipart":
        raw, content_type = multipart(fields, data, mimetype)
        return api.call(method, path, body=raw, content_type=content_type)
    return api.call(method, path, json_body={**fields, "image": data_uri(data, mimetype)})


def assert_refused_and_nothing_stored(api: Api, reply: Any, owner: str, before: Any) -> None:
    assert (reply.status, reply.json) == (400, UNSUPPORTED)
    assert bucket_keys() == []
    assert image_items() == []
    collection, _ = OWNERS[owner]
    assert api.get(f"{collection}/new").status == 404
    assert api.get(EXISTING[owner]).json == before


@pytest.mark.parametrize("how", ["multipart", "data-uri"])
@pytest.mark.parametrize(("mimetype", "data"), NOT_IMAGES)
def test_system_create_and_update_refuse_non_images(tree, how, mimetype, data):
    before = tree.get("/systems/chicago").json
    fields = OWNERS["system"][1]
    reply = send_image(tree, "POST", "/systems", fields, data, mimetype, how)
    assert_refused_and_nothing_stored(tree, reply, "system", before)
    reply = send_image(tree, "PUT", "/systems/chicago", {"name": "X"}, data, mimetype, how)
    assert_refused_and_nothing_stored(tree, reply, "system", before)


@pytest.mark.parametrize("how", ["multipart", "data-uri"])
@pytest.mark.parametrize(
    ("owner", "mimetype", "data"),
    [
        ("issuer", "text/html", HTML),
        ("program", "application/xhtml+xml", XHTML),
        ("badge", "image/svg+xml", SVG_DOCTYPE),
        ("badge", "text/html", HTML),
    ],
)
def test_other_owners_refuse_non_images_on_create_and_update(tree, how, owner, mimetype, data):
    before = tree.get(EXISTING[owner]).json
    collection, fields = OWNERS[owner]
    reply = send_image(tree, "POST", collection, fields, data, mimetype, how)
    assert_refused_and_nothing_stored(tree, reply, owner, before)
    reply = send_image(tree, "PUT", EXISTING[owner], {"name": "X"}, data, mimetype, how)
    assert_refused_and_nothing_stored(tree, reply, owner, before)


def test_a_declared_type_naming_another_image_type_is_refused(api):
    reply = api.post("/systems", system_body("gif", image=data_uri(PNG, "image/gif")))
    assert (reply.status, reply.json) == (400, UNSUPPORTED)
    raw, content_type = multipart(system_body("png"), HTML, "image/png")
    reply = api.call("POST", "/systems", body=raw, content_type=content_type)
    assert (reply.status, reply.json) == (400, UNSUPPORTED)
    assert bucket_keys() == []
    assert image_items() == []


def test_bad_mimetype_is_reported_before_the_type(api):
    raw, content_type = multipart(system_body("x"), HTML, "text/html!")
    reply = api.call("POST", "/systems", body=raw, content_type=content_type)
    assert reply.status == 400
    assert reply.json["details"] == [{"message": "Invalid characters", "field": "image"}]


def test_jpeg_declared_as_image_jpg_is_stored_as_image_jpeg(api):
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
    reply = api.post("/systems", system_body("jpg", image=data_uri(jpeg, "image/JPG")))
    assert reply.status == 201, reply.json
    url = reply.json["system"]["imageUrl"]
    (item,) = image_items()
    assert item["mimetype"] == "image/jpeg"
    served = fetch(api, url)
    assert (served.status, dict(served.headers)["Content-Type"], served.body) == (
        200,
        "image/jpeg",
        jpeg,
    )


# --- serving headers --------------------------------------------------------------------------

CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def served_headers(response: Any) -> dict[str, str]:
    """The response's headers but the request id; each name must appear once."""
    names = [name.lower() for name, _ in response.headers]
    assert len(names) == len(set(names)), response.headers
    return {k: v for k, v in response.headers if k != "x-amzn-RequestId"}


def test_stored_png_and_svg_are_served_with_the_security_headers(api):
    raw, content_type = multipart(system_body("png"), PNG, "image/png")
    png_url = api.call("POST", "/systems", body=raw, content_type=content_type).json["system"][
        "imageUrl"
    ]
    # An SVG with <script> is stored: the headers make it inert (README §10).
    svg_url = api.post("/systems", system_body("svg", image=data_uri(SVG_SCRIPT, "image/svg+xml")))
    svg_url = svg_url.json["system"]["imageUrl"]
    for url, mimetype, data in [
        (png_url, "image/png", PNG),
        (svg_url, "image/svg+xml", SVG_SCRIPT),
    ]:
        served = fetch(api, url)
        assert (served.status, served.body) == (200, data)
        assert served_headers(served) == {
            "Content-Type": mimetype,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": CSP,
            "Cache-Control": "public, max-age=31536000, immutable",
        }


def test_legacy_non_image_is_served_as_an_attachment(api):
    slug = "1" * 32
    s3().put_object(
        Bucket=os.environ["IMAGES_BUCKET"], Key=f"images/{slug}", Body=HTML, ContentType="text/html"
    )
    db.table().put_item(
        Item={
            **keys.image(slug),
            "entity": "image",
            "id": 1,
            "slug": slug,
            "mimetype": "text/html",
            "s3Key": f"images/{slug}",
            "size": len(HTML),
            "created": 0,
        }
    )
    served = fetch(api, f"{BASE}/public/images/{slug}")
    assert (served.status, served.body) == (200, HTML)
    assert served_headers(served) == {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": "attachment",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": CSP,
        "Cache-Control": "no-store",
    }


# --- X-Content-Type-Options: nosniff on every response (README §10) ---------------------------


def nosniff(response: Any) -> list[str]:
    return [v for k, v in response.headers if k.lower() == "x-content-type-options"]


def test_every_kind_of_response_carries_nosniff(api, monkeypatch):
    dispatch = api.gateway.dispatch
    cases = [
        (404, api.prepare("GET", "/nope?x=1")),  # the catch-all route's function
        (404, api.prepare("GET", "/systems/nope")),
        (404, api.prepare("GET", f"/public/images/{'0' * 32}", sign=False)),
        (405, api.prepare("HEAD", "/systems")),
        (405, api.prepare("POST", f"/public/images/{'0' * 32}", sign=False)),
        (403, api.prepare("GET", "/systems", sign=False)),
        (400, api.prepare("POST", "/systems", json_body={})),
        (415, api.prepare("POST", "/systems", body=b"x", content_type="text/plain")),
        (200, api.prepare("GET", "/systems")),
        (200, api.prepare("GET", "/healthcheck", sign=False)),
        (201, api.prepare("POST", "/systems", json_body=system_body("n"))),
        (200, api.prepare("GET", "/public/badges", sign=False)),
    ]
    for status, request in cases:
        response = dispatch(request)
        assert (response.status, nosniff(response)) == (status, ["nosniff"]), request
        assert dict(response.headers)["Content-Type"] == "application/json"

    # The unhandled-exception 500 of a function.
    from badgekit.domain import containers

    def explode(*_: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(containers, "find_system", explode)
    response = dispatch(api.prepare("GET", "/systems/n"))
    assert (response.status, nosniff(response)) == (500, ["nosniff"])


def test_the_gateways_own_responses_carry_nosniff(api, monkeypatch):
    # REQUEST_TOO_LARGE: answered before any function runs.
    too_large = b"x" * (10 * 1024 * 1024 + 1)
    request = api.prepare("POST", "/systems", body=too_large, content_type="text/plain", sign=False)
    response = api.gateway.dispatch(request)
    assert (response.status, nosniff(response)) == (413, ["nosniff"])

    # DEFAULT_5XX: a function that crashes outright (no proxy response at all).
    function = api.gateway.functions["ContainersFunction"]

    def crash(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(function, "invoke", crash)
    response = api.gateway.dispatch(api.prepare("GET", "/systems"))
    assert (response.status, nosniff(response)) == (502, ["nosniff"])
