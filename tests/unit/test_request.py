"""Body parsing and path normalisation (spec README §1, §3)."""

from __future__ import annotations

import base64

import pytest

from badgekit.errors import BadRequestError, InvalidContent, UnsupportedMediaType
from badgekit.request import normalise_path, parse_body, parse_form, raw_body


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "/"),
        ("//", "/"),
        ("/systems/", "/systems"),
        ("//systems//chicago///", "/systems/chicago"),
        ("/systems/chicago/issuers/x/programs/", "/systems/chicago/issuers/x/programs"),
    ],
)
def test_normalise_path(path, expected):
    assert normalise_path(path) == expected


def test_json_object_body():
    body = parse_body("POST", "application/json; charset=utf-8", b'{"slug":"a","n":[1,2]}')
    assert body.fields == {"slug": "a", "n": [1, 2]}
    assert body.upload is None


@pytest.mark.parametrize("raw", [b"[1,2]", b'"text"', b"3", b"null"])
def test_json_must_be_an_object(raw):
    with pytest.raises(InvalidContent):
        parse_body("POST", "application/json", raw)


def test_malformed_json_message():
    with pytest.raises(InvalidContent) as caught:
        parse_body("PUT", "Application/JSON", b"{nope")
    assert caught.value.status == 400
    assert caught.value.message.startswith("Invalid JSON: ")


def test_empty_body_is_an_empty_object_whatever_the_type():
    assert parse_body("POST", "text/csv", b"").fields == {}
    assert parse_body("POST", None, b"").fields == {}


def test_get_and_delete_bodies_are_ignored():
    assert parse_body("GET", "application/json", b"{nope").fields == {}
    assert parse_body("DELETE", "text/plain", b"whatever").fields == {}


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("text/csv", "text/csv"),
        ("text/plain; charset=x", "text/plain; charset=x"),
        (None, "application/octet-stream"),
    ],
)
def test_unsupported_media_types(content_type, message):
    with pytest.raises(UnsupportedMediaType) as caught:
        parse_body("POST", content_type, b"a,b")
    assert caught.value.status == 415
    assert caught.value.body() == {"code": "UnsupportedMediaTypeError", "message": message}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("slug=a&name=b", {"slug": "a", "name": "b"}),
        ("tags[]=a&tags[]=b", {"tags": ["a", "b"]}),
        ("a=1&a=2", {"a": ["1", "2"]}),
        (
            "criteria[0][description]=x&criteria[0][required]=1&criteria[1][description]=y",
            {"criteria": [{"description": "x", "required": "1"}, {"description": "y"}]},
        ),
        ("a[b]=c&a[d]=e", {"a": {"b": "c", "d": "e"}}),
        ("a[1]=x&a[3]=y", {"a": ["x", "y"]}),
        ("blank=&plus=a+b&enc=%40", {"blank": "", "plus": "a b", "enc": "@"}),
    ],
)
def test_form_parsing_like_qs(text, expected):
    assert parse_form(text) == expected


def test_form_body():
    body = parse_body("POST", "application/x-www-form-urlencoded", b"slug=x&tags[]=1")
    assert body.fields == {"slug": "x", "tags": ["1"]}


def _multipart(
    parts: list[tuple[str, str | None, str | None, bytes]], boundary: str = "XyZ"
) -> bytes:
    chunks = []
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        chunks.append(head.encode() + b"\r\n" + data + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode()


def test_multipart_fields_and_image_upload():
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    raw = _multipart(
        [
            ("slug", None, None, b"first"),
            ("slug", None, None, b"second"),
            ("name", None, None, "Caf\u00e9".encode()),
            ("image", "logo.png", "image/png", png),
            ("other", "x.txt", "text/plain", b"ignored"),
        ]
    )
    body = parse_body("POST", "multipart/form-data; boundary=XyZ", raw)
    assert body.fields == {"slug": "second", "name": "Caf\u00e9"}
    assert body.upload is not None
    assert body.upload.data == png
    assert body.upload.content_type == "image/png"


def test_empty_image_part_is_not_an_upload():
    raw = _multipart([("image", "empty.png", "image/png", b"")])
    assert parse_body("POST", "multipart/form-data; boundary=XyZ", raw).upload is None


@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("multipart/form-data", b"--XyZ\r\n\r\nx\r\n--XyZ--"),
        ("multipart/form-data; boundary=XyZ", b"no boundaries at all"),
    ],
)
def test_unparseable_multipart(content_type, raw):
    with pytest.raises(BadRequestError) as caught:
        parse_body("POST", content_type, raw)
    assert caught.value.body()["code"] == "BadRequestError"


def test_invalid_utf8_json_is_invalid_content():
    with pytest.raises(InvalidContent):
        parse_body("POST", "application/json", b'{"a":"\xff"}')


def test_raw_body_decodes_base64_events():
    data = b"\x00\x01binary"
    assert raw_body({"body": base64.b64encode(data).decode(), "isBase64Encoded": True}) == data
    assert raw_body({"body": '{"a":1}', "isBase64Encoded": False}) == b'{"a":1}'
    assert raw_body({"body": None}) == b""
