"""Body parsing and path normalisation (spec README §1, §3)."""

from __future__ import annotations

import base64
import json

import pytest

from badgekit import jsonutil
from badgekit.errors import BadRequestError, InvalidContent, UnsupportedMediaType
from badgekit.http.request import (
    MAX_DEPTH,
    normalise_path,
    parse_body,
    parse_form,
    raw_body,
    too_deep,
)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=XyZ"


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


def test_raw_body_decodes_base64_events():
    data = b"\x00\x01binary"
    assert raw_body({"body": base64.b64encode(data).decode(), "isBase64Encoded": True}) == data
    assert raw_body({"body": '{"a":1}', "isBase64Encoded": False}) == b'{"a":1}'
    assert raw_body({"body": None}) == b""


# --- limits (README §3 "Limits") -----------------------------------------------------------------


def invalid(content_type: str, raw: bytes) -> dict:
    """The error body parse_body raises for `raw` (it must be 400 InvalidContent)."""
    with pytest.raises(InvalidContent) as caught:
        parse_body("POST", content_type, raw)
    assert caught.value.status == 400
    return caught.value.body()


def depth_of(value) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


def test_json_nested_up_to_the_limit_is_accepted():
    body = parse_body("POST", JSON, b'{"a":' * (MAX_DEPTH - 1) + b"{}" + b"}" * (MAX_DEPTH - 1))
    assert depth_of(body.fields) == MAX_DEPTH == 32
    mixed = parse_body("POST", JSON, b'{"a":' + b"[" * 30 + b"{}" + b"]" * 30 + b"}")
    assert depth_of(mixed.fields) == 32


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":' * 32 + b"{}" + b"}" * 32,  # 33 objects
        b'{"a":' + b"[" * 32 + b"1" + b"]" * 32 + b"}",  # 1 object + 32 arrays
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,  # deep enough to blow json.loads' recursion
        b"[" * 100_000,  # unclosed: json.loads would recurse before finding the error
        b'{"a":' + b"[" * 50_000 + b'"x"',
    ],
    ids=["33-objects", "33-mixed", "100000-objects", "100000-unclosed", "50000-arrays-unclosed"],
)
def test_json_nested_too_deeply(raw):
    assert invalid(JSON, raw) == {
        "code": "InvalidContent",
        "message": "Invalid JSON: nested too deeply",
    }


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":"' + b"[" * 100 + b'"}',
        b'{"a":"' + b"{" * 100 + b'","b":"' + b"]" * 100 + b'"}',
        b'{"a\\\\":"' + b"[" * 100 + b'\\\\"}',
        b'{"a":"\\"' + b"[" * 100 + b'\\""}',
        b'{"' + b"[" * 100 + b'":' + b"[" * 31 + b"]" * 31 + b"}",
    ],
    ids=["in-value", "both-kinds", "after-escaped-backslash", "between-escaped-quotes", "in-key"],
)
def test_brackets_inside_strings_do_not_count(raw):
    assert not too_deep(raw)
    assert parse_body("POST", JSON, raw).fields


def test_depth_scan_of_a_large_body_is_linear():
    wide = b'{"a":[' + b"[1,2,{}]," * 600_000 + b"[]]}"  # ~5 MB, depth 3
    assert not too_deep(wide)
    assert len(parse_body("POST", JSON, wide).fields["a"]) == 600_001


def test_malformed_shallow_json_keeps_the_parser_message():
    assert invalid(JSON, b'{"a":[}') == {
        "code": "InvalidContent",
        "message": "Invalid JSON: Expecting value: line 1 column 7 (char 6)",
    }
    assert invalid(JSON, b'{"a":"' + b"[" * 5000)["message"] == (
        "Invalid JSON: Unterminated string starting at: line 1 column 6 (char 5)"
    )


LONE_SURROGATE = {
    "code": "InvalidContent",
    "message": "Invalid JSON: invalid Unicode (lone surrogate)",
}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name":"\\ud800"}',
        b'{"name":"a\\uDFFFb"}',
        b'{"\\udc00":1}',
        b'{"a":[{"b":["x","\\ud83d"]}]}',  # high surrogate without its pair, deep inside
        b'{"a":"\\ude00\\ud83d"}',  # a pair in the wrong order
    ],
)
def test_lone_surrogates_in_json(raw):
    assert invalid(JSON, raw) == LONE_SURROGATE


def test_surrogate_pairs_and_escaped_backslashes_are_fine():
    raw = b'{"emoji":"\\ud83d\\ude00","text":"\\\\ud800"}'
    assert parse_body("POST", JSON, raw).fields == {"emoji": "\U0001f600", "text": "\\ud800"}


def test_invalid_utf8_json():
    assert invalid(JSON, b'{"a":"\xff"}') == {
        "code": "InvalidContent",
        "message": "Invalid JSON: invalid UTF-8 at byte 6",
    }
    # UTF-8 of a surrogate (CESU-8) is not UTF-8 either
    assert (
        invalid(JSON, b'{"a":"\xed\xa0\x80"}')["message"] == "Invalid JSON: invalid UTF-8 at byte 6"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"n":1e999999}', "Invalid JSON: number out of range"),
        (b'{"n":-1E400}', "Invalid JSON: number out of range"),
        (b'{"n":' + b"7" * 5000 + b"}", "Invalid JSON: number out of range"),
        (b'{"n":-' + b"7" * 4301 + b"}", "Invalid JSON: number out of range"),
        (b'{"n":NaN}', "Invalid JSON: NaN is not valid JSON"),
        (b'{"n":Infinity}', "Invalid JSON: Infinity is not valid JSON"),
        (b'{"n":[-Infinity]}', "Invalid JSON: -Infinity is not valid JSON"),
        (b"   ", "Invalid JSON: Expecting value: line 1 column 4 (char 3)"),
        (b"\n\t", "Invalid JSON: Expecting value: line 2 column 2 (char 2)"),
    ],
)
def test_json_numbers_constants_and_blank_bodies(raw, message):
    assert invalid(JSON, raw) == {"code": "InvalidContent", "message": message}


def test_large_but_finite_numbers_and_duplicate_keys():
    raw = b'{"n":1e308,"i":' + b"9" * 4300 + b',"d":1,"d":2,"t":1e-999999}'
    fields = parse_body("POST", JSON, raw).fields
    assert fields["n"] == 1e308
    assert fields["i"] == int("9" * 4300)
    assert fields["d"] == 2  # the last one wins, as with JSON.parse
    assert fields["t"] == 0.0


def test_content_type_parameters_are_ignored_even_a_bogus_charset():
    for content_type in (
        "application/json; charset=bogus",
        "APPLICATION/JSON ;",
        "application/json;;a",
    ):
        assert parse_body("POST", content_type, b'{"a":1}').fields == {"a": 1}


@pytest.mark.parametrize("content_type", ["", ";", " ; charset=utf-8"])
def test_content_type_without_a_media_type_is_unsupported(content_type):
    with pytest.raises(UnsupportedMediaType) as caught:
        parse_body("POST", content_type, b"{}")
    assert caught.value.status == 415


def test_form_nesting_limit():
    at_limit = parse_form("a" + "[b]" * MAX_DEPTH + "=1")
    assert depth_of(at_limit) == MAX_DEPTH + 1  # the body object plus 32 bracket levels
    for raw in (
        b"a" + b"[b]" * 33 + b"=1",
        b"x=1&a" + b"[0]" * 5000 + b"=1",
        b"a" + b"[]" * 33 + b"=1",
    ):
        assert invalid(FORM, raw) == {
            "code": "InvalidContent",
            "message": "Invalid form: nested too deeply",
        }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"name=caf\xe9", "Invalid form: invalid UTF-8 at byte 8"),
        (b"name=%FF", "Invalid form: invalid UTF-8 in a percent-encoded name or value"),
        (b"name=%ED%A0%80", "Invalid form: invalid UTF-8 in a percent-encoded name or value"),
        (b"na%C3me=x", "Invalid form: invalid UTF-8 in a percent-encoded name or value"),
        (b"a[%FF]=x", "Invalid form: invalid UTF-8 in a percent-encoded name or value"),
    ],
)
def test_invalid_utf8_in_forms(raw, message):
    assert invalid(FORM, raw) == {"code": "InvalidContent", "message": message}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # indices only order a list, whatever their size: nothing is allocated for the gaps
        ("a[99999999]=x&a[5]=y", {"a": ["y", "x"]}),
        ("a[" + "9" * 5000 + "]=x&a[10]=y", {"a": ["y", "x"]}),
        ("a[007]=x&a[7]=y&a[10]=z", {"a": ["x", "y", "z"]}),
        # only ASCII digits are indices (superscript two and Arabic-Indic one pass str.isdigit)
        ("a[\u00b2]=x", {"a": {"\u00b2": "x"}}),
        ("a[\u0661]=x", {"a": {"\u0661": "x"}}),
        # mixed objects, arrays and scalars never raise
        ("a=1&a[b]=2&a[0]=3&a[]=4", {"a": {"": ["1", "4"], "b": "2", "0": "3"}}),
        ("a[b]=1&a=2", {"a": "2"}),
        ("a[0]=1&a[b]=2&a[]=3", {"a": ["1", "3", "2"]}),
        ("a[]=1&a[][b]=2&a[0][c]=3", {"a": [{"c": "3"}, "1", {"b": "2"}]}),
        # not a clean bracket path: a literal key
        (
            "[[a]]=1&a[[b]]=2&a]=3&a[=4&a[b]c=5",
            {"[[a]]": "1", "a[[b]]": "2", "a]": "3", "a[": "4", "a[b]c": "5"},
        ),
        ("   ", {"   ": ""}),
    ],
)
def test_pathological_forms_stay_bounded(text, expected):
    assert parse_form(text) == expected


def test_many_repeated_form_keys_are_linear():
    text = "&".join(["a=1"] * 100_000 + ["t[]=2"] * 100_000 + [f"i[{n}]=3" for n in range(100_000)])
    fields = parse_form(text)
    assert [len(fields[k]) for k in ("a", "t", "i")] == [100_000, 100_000, 100_000]


def test_multipart_text_must_be_valid_in_its_charset():
    def field(data: bytes, content_type: str | None = None) -> bytes:
        return _multipart([("name", None, content_type, data)])

    assert invalid(MULTIPART, field(b"caf\xe9")) == {
        "code": "InvalidContent",
        "message": "Invalid form: a multipart field is not valid utf-8",
    }
    assert invalid(MULTIPART, field(b"x", "text/plain; charset=bogus")) == {
        "code": "InvalidContent",
        "message": "Invalid form: unknown charset in a multipart field",
    }
    # a codec that is not a text encoding is no charset either
    assert invalid(MULTIPART, field(b"ab", "text/plain; charset=hex"))["message"] == (
        "Invalid form: unknown charset in a multipart field"
    )
    # UTF-7 can spell a lone surrogate
    assert invalid(MULTIPART, field(b"+2AA-", "text/plain; charset=utf-7")) == {
        "code": "InvalidContent",
        "message": "Invalid form: invalid Unicode (lone surrogate)",
    }
    latin = parse_body("POST", MULTIPART, field(b"caf\xe9", "text/plain; charset=ISO-8859-1"))
    assert latin.fields == {"name": "caf\u00e9"}


def test_multipart_file_parts_are_bytes_not_text():
    raw = _multipart(
        [("image", "x.png", "image/png", b"\xff\xfe"), ("other", "y.bin", None, b"\xff")]
    )
    assert parse_body("POST", MULTIPART, raw).upload.data == b"\xff\xfe"


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=other",
    ],
)
def test_multipart_without_a_usable_boundary(content_type):
    raw = _multipart([("name", None, None, b"x")])
    with pytest.raises(BadRequestError) as caught:
        parse_body("POST", content_type, raw)
    assert caught.value.body() == {
        "code": "BadRequestError",
        "message": "Unable to parse multipart body",
    }


def test_raw_body_with_invalid_base64_is_a_bad_request():
    for body in ("abc", "a", "\u00e9"):
        with pytest.raises(BadRequestError) as caught:
            raw_body({"body": body, "isBase64Encoded": True})
        assert caught.value.body() == {"code": "BadRequestError", "message": "Invalid base64 body"}


def test_raw_text_body_with_a_lone_surrogate_is_not_utf8():
    raw = raw_body({"body": '{"a":"\ud800"}', "isBase64Encoded": False})
    assert raw == b'{"a":"\xed\xa0\x80"}'
    assert invalid(JSON, raw)["message"] == "Invalid JSON: invalid UTF-8 at byte 6"


# --- the encoder ------------------------------------------------------------------------------


def test_dumps_keeps_unicode_readable():
    assert jsonutil.dumps({"name": "Caf\u00e9 \U0001f600"}) == '{"name":"Caf\u00e9 \U0001f600"}'


def test_dumps_escapes_a_stored_lone_surrogate():
    text = jsonutil.dumps({"name": "bad\ud800", "other": "Caf\u00e9"})
    assert text == '{"name":"bad\\ud800","other":"Caf\\u00e9"}'
    assert text.encode("utf-8")
    assert json.loads(text) == {"name": "bad\ud800", "other": "Caf\u00e9"}
