"""Random request bodies for the HTTP fuzz test (tests/integration/test_fuzz_http.py).

A body is drawn in two steps: a value (a JSON-like object: either a "valid-ish" object whose keys
are the route's own field names with good or bad values, or anything at all), then its encoding as
exact bytes with a Content-Type: JSON, form-urlencoded or multipart, sometimes malformed on
purpose. The bytes are what gets signed and sent, so the server sees exactly what was drawn:
NUL, non-BMP characters, combining marks, RTL overrides, lone surrogates (as JSON `\\ud800`
escapes, or as the CESU bytes `ED A0 80` in a form or multipart field), invalid UTF-8, numbers no
database column holds, NaN/Infinity, and nesting up to 40 levels.
"""

from __future__ import annotations

import base64
import json
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis caches Unicode tables under ./.hypothesis; keep that out of the repository (the
# tests also set `database=None`, so no examples are stored anywhere).
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "badgekit-hypothesis")

MAX_NESTING = 40
BOUNDARY = "fuzz-7MA4YWxkTrZu0gW"

_ODD_CHARACTERS = [
    "\x00",  # NUL
    "\ud800",  # lone high surrogate
    "\udfff",  # lone low surrogate
    "\U0001f600",  # non-BMP
    "\U00010348",
    "e\u0301",  # combining acute accent
    "\u202e",  # RTL override
    "\u05d0\u05d1",  # Hebrew (RTL)
    "\ufeff",
    "\uffff",
    "\r\n",
    "%",
    "%00",
    "[",
    "]",
    "&",
    "=",
    "+",
    '"',
    "\\",
    "/",
    "--" + BOUNDARY,
]

text = st.lists(st.one_of(st.characters(), st.sampled_from(_ODD_CHARACTERS)), max_size=24).map(
    "".join
)
# Lengths either side of the spec's limits (255, 140, 65535) and one past a stored item's size.
long_text = st.builds(
    lambda unit, size: (unit * size)[:size],
    st.sampled_from(["a", "\U0001f600", "e\u0301", "\x00"]),
    st.sampled_from([140, 141, 255, 256, 2083, 65536, 420_000]),
)
integers = st.one_of(
    st.integers(),
    st.sampled_from(
        [0, -1, 1, 2**31, 2**53 + 1, 2**63, -(2**63) - 1, 10**38, 10**40, 253402300800, 10**300]
    ),
)
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, -0.0, 1e308, 5e-324, 1e20, 253402300800.5, 1.5e12]),
)
scalars = st.one_of(st.none(), st.booleans(), integers, floats, text)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=12,
)


def _nest(value: Any, depth: int, key: str | None) -> Any:
    for _ in range(depth):
        value = [value] if key is None else {key: value}
    return value


# A value buried 0-40 levels deep in arrays or objects.
deep = st.builds(_nest, values, st.integers(0, MAX_NESTING), st.one_of(st.none(), text))
junk = st.one_of(values, deep, long_text)


@st.composite
def valid_ish(
    draw: st.DrawFn, base: Mapping[str, Any], fields: Mapping[str, st.SearchStrategy[Any]]
) -> dict[str, Any]:
    """The route's valid `base` body with up to three of its fields changed: a plausible value
    (boundary values included), anything at all, or the field removed; plus stray keys. Mostly
    valid bodies get past validation to the store and the response, where bugs hide."""
    body = dict(base)
    names = st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True)
    for name in draw(names) if fields else []:
        change = draw(st.sampled_from(["plausible", "plausible", "anything", "remove"]))
        if change == "remove":
            body.pop(name, None)
        else:
            body[name] = draw(fields[name] if change == "plausible" else junk)
    body.update(draw(st.dictionaries(text, junk, max_size=1)))
    return body


# --- Plausible field values ---------------------------------------------------------------

emails = st.one_of(
    st.builds("{}@example.org".format, st.from_regex(r"[a-z0-9.+_-]{1,12}", fullmatch=True)),
    st.sampled_from(["a@b.co", "Earner@Example.ORG", "x@[127.0.0.1]", "ü@exämple.org", "a@b"]),
)
urls = st.one_of(
    st.sampled_from(
        [
            "http://example.org",
            "https://example.org/a/b.png",
            "ftp://files.example.org",
            "http://localhost:8080/x",
            "www.example.org",
            "http://127.0.0.1:9/hook",
            "http://[::1]/x",
            "javascript:alert(1)",
            "data:text/html;base64,PGI+",
            "http://example.org/" + "a" * 2100,
        ]
    ),
    st.builds(
        "https://{}.example.org/{}".format, st.from_regex(r"[a-z]{1,8}", fullmatch=True), text
    ),
)
booleans = st.sampled_from([True, False, 0, 1, "0", "1", "true", "false", "TRUE", "yes", 2])
timestamps = st.one_of(
    st.integers(-(10**15), 10**15),
    st.sampled_from(
        [
            0,
            -1,
            253402300799,
            253402300800,
            1402409677000,
            9999999999999,
            2**63,
            10**20,
            1e20,
            "1402409677",
            "1402409677000",
            "2014-06-10T14:02:57Z",
            "2014-06-10 14:02:57",
            "2014-06-10T14:02:57+14:00",
            "9999-12-31T23:59:59Z",
            "10000-01-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "-000001-01-01",
            "March 9, 1979 12:00:00",
            "Feb 30, 2014",
            "",
            "now",
        ]
    ),
)
slugs = st.one_of(st.from_regex(r"[a-z0-9-]{1,16}", fullmatch=True), text)


def image_bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=64),
        st.sampled_from(
            [
                b"\x89PNG\r\n\x1a\n" + b"\x00" * 16,
                b"\xff\xd8\xff\xe0" + b"\x00" * 16,
                b"GIF89a" + b"\x00" * 10,
                b"RIFF\x10\x00\x00\x00WEBPVP8 ",
                b'<svg xmlns="http://www.w3.org/2000/svg"/>',
                b"<html><script>alert(1)</script></html>",
                b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
            ]
        ),
    )


mimetypes = st.sampled_from(
    ["image/png", "image/jpeg", "image/svg+xml", "text/html", "image/x", "IMAGE/PNG", "a b", ""]
)
images = st.one_of(
    urls,
    st.builds(
        lambda mime, data: f"data:{mime};base64,{base64.b64encode(data).decode()}",
        mimetypes,
        image_bytes(),
    ),
    st.sampled_from(["data:image/png;base64,%%%", "data:;base64,", "data:image/png,abc"]),
)


# --- Encodings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """Exact bytes to send and their Content-Type (None: no header)."""

    raw: bytes
    content_type: str | None
    kind: str

    def __repr__(self) -> str:
        limit = 600
        shown = self.raw if len(self.raw) <= limit else self.raw[:limit] + b"..."
        return f"{self.kind} ({len(self.raw)} bytes, Content-Type {self.content_type!r}): {shown!r}"


def _utf8(value: str) -> bytes:
    """UTF-8, with lone surrogates written as their (invalid) 3-byte forms."""
    return value.encode("utf-8", "surrogatepass")


def _json_text(value: Any, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        return _json_text(value, ascii_only=False)
    return str(value)


def form_pairs(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """qs-style pairs: `a[b][0]=x`; empty containers vanish, as in a browser form."""
    if isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        for key, item in value.items():
            name = f"{prefix}[{key}]" if prefix else str(key)
            pairs += form_pairs(item, name)
        return pairs
    if isinstance(value, list):
        pairs = []
        for index, item in enumerate(value):
            scalar = not isinstance(item, list | dict)
            pairs += form_pairs(item, f"{prefix}[]" if scalar else f"{prefix}[{index}]")
        return pairs
    return [(prefix or "value", _scalar_text(value))]


def _urlencode(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(
        f"{quote_from_bytes(_utf8(k))}={quote_from_bytes(_utf8(v))}" for k, v in pairs
    ).encode("ascii")


def _multipart(pairs: list[tuple[str, bytes]], upload: tuple[str, bytes] | None) -> bytes:
    out = b""
    for name, data in pairs:
        disposition = b'Content-Disposition: form-data; name="' + _utf8(name).replace(b'"', b"%22")
        out += b"--" + BOUNDARY.encode() + b"\r\n" + disposition + b'"\r\n\r\n' + data + b"\r\n"
    if upload is not None:
        mime, data = upload
        out += (
            b"--" + BOUNDARY.encode() + b"\r\n"
            b'Content-Disposition: form-data; name="image"; filename="i.png"\r\n'
            b"Content-Type: " + _utf8(mime) + b"\r\n\r\n" + data + b"\r\n"
        )
    return out + b"--" + BOUNDARY.encode() + b"--\r\n"


INVALID_UTF8 = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80"]


@st.composite
def encode(draw: st.DrawFn, value: Any) -> Body:
    """`value` as a JSON, form-urlencoded or multipart body (sometimes broken on purpose)."""
    kind = draw(st.sampled_from(["json", "json", "json", "form", "form", "multipart"]))
    if kind == "json":
        ascii_only = draw(st.booleans())
        raw = _utf8(_json_text(value, ascii_only))
        content_type = draw(
            st.sampled_from(
                ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"]
            )
        )
        return Body(raw, content_type, "json")
    pairs = form_pairs(value if isinstance(value, dict) else {"value": value})
    # Bracket paths deeper than any field needs, and invalid UTF-8 in a name or value.
    if draw(st.booleans()):
        depth = draw(st.integers(1, MAX_NESTING))
        pairs.append(("criteria" + "[0]" * depth + "[description]", draw(text)))
    bad = draw(st.one_of(st.none(), st.sampled_from(INVALID_UTF8)))
    if kind == "form":
        raw = _urlencode(pairs)
        if bad is not None:
            raw += b"&" + quote_from_bytes(bad).encode() + b"=" + bad
        return Body(raw, "application/x-www-form-urlencoded", "form")
    parts = [(name, _utf8(data)) for name, data in pairs]
    if bad is not None:
        parts.append(("name", b"x" + bad))
    upload = draw(st.one_of(st.none(), st.tuples(mimetypes, image_bytes())))
    raw = _multipart(parts, upload)
    if draw(st.integers(0, 9)) == 0:  # truncated: a malformed multipart body
        raw = raw[: draw(st.integers(0, len(raw)))]
    return Body(raw, f"multipart/form-data; boundary={BOUNDARY}", "multipart")


# Hand-made bodies no value above encodes: numbers past Python's 4300-digit limit, nesting far
# past any recursion limit, a JSON object with a lone surrogate key, a duplicate key.
CRAFTED = [
    (b'{"limit": 1' + b"0" * 5000 + b"}", "application/json"),
    (b'{"issuedOn": 1e999999}', "application/json"),
    (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "application/json"),
    (b"[" * 5_000 + b"]" * 5_000, "application/json"),
    (b'{"\\ud800": "\\udfff", "name": "\\ud83d"}', "application/json"),
    (b'{"name": "a", "name": {"x": []}}', "application/json"),
    (b"tags" + b"[a]" * 5_000 + b"=1", "application/x-www-form-urlencoded"),
    (b"criteria[99999999999999999999][description]=x", "application/x-www-form-urlencoded"),
    (b"emails[]=a@b.co&" * 3000, "application/x-www-form-urlencoded"),
]

random_bodies = st.builds(
    lambda raw, content_type: Body(raw, content_type, "random bytes"),
    st.binary(max_size=200),
    st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            f"multipart/form-data; boundary={BOUNDARY}",
            "multipart/form-data",
            "text/plain",
            "application/octet-stream",
            None,
        ]
    ),
)


def bodies(
    base: Mapping[str, Any], fields: Mapping[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[Body]:
    """Bodies for a route: mostly its valid body with a few fields changed, sometimes anything."""
    choices = {
        "shaped": valid_ish(base, fields).flatmap(encode),
        "anything": st.one_of(junk, st.dictionaries(text, junk, max_size=5)).flatmap(encode),
        "random": random_bodies,
        "crafted": st.sampled_from([Body(raw, ctype, "crafted") for raw, ctype in CRAFTED]),
    }
    kinds = ["shaped"] * 7 + ["anything", "random", "crafted"]
    return st.sampled_from(kinds).flatmap(choices.__getitem__)
