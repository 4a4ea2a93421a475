"""Stored image types (spec README §10): the type is decided from the bytes, the declared type
must name the same type, and how stored bytes are served. Pure functions, no AWS."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest

from badgekit.domain import images
from badgekit.domain.images import ImageInput, StoredImage, image_input, sniff, stored_type
from badgekit.domain.inputs import Upload
from badgekit.domain.validation import Report

SVG_NS = "http://www.w3.org/2000/svg"


def png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x00\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = png_1x1()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF87 = b"GIF87a\x01\x00\x01\x00\x00\x00\x00;"
GIF89 = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
SVG = f'<svg xmlns="{SVG_NS}" width="1" height="1"><rect width="1" height="1"/></svg>'.encode()
SVG_WITH_SCRIPT = f'<svg xmlns="{SVG_NS}"><script>alert(document.domain)</script></svg>'.encode()
HTML = b"<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>"
XHTML = (
    b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
    b"<script>alert(1)</script></body></html>"
)
SVG_DOCTYPE = (
    b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">' + f'<svg xmlns="{SVG_NS}"/>'.encode()
)
SVG_ENTITY = f'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="{SVG_NS}">&x;</svg>'.encode()
SVG_EXTERNAL_ENTITY = (
    f'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="{SVG_NS}">&x;</svg>'
).encode()
# "Billion laughs": ten levels of ten references. Refused at the DOCTYPE, never expanded.
LAUGHS = (
    b'<!DOCTYPE svg [<!ENTITY l0 "ha">'
    + b"".join(b'<!ENTITY l%d "%s">' % (n, (b"&l%d;" % (n - 1)) * 10) for n in range(1, 10))
    + f']><svg xmlns="{SVG_NS}">&l9;</svg>'.encode()
)


# --- sniff: true positives --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF87, "image/gif"),
        (GIF89, "image/gif"),
        (WEBP, "image/webp"),
        (SVG, "image/svg+xml"),
        (SVG_WITH_SCRIPT, "image/svg+xml"),  # stored: it is served inert (README §10)
        (b'<?xml version="1.0" encoding="UTF-8"?>\n' + SVG, "image/svg+xml"),
        (b"\xef\xbb\xbf" + SVG, "image/svg+xml"),  # UTF-8 byte order mark
        (
            f'<?xml version="1.0" encoding="UTF-16"?><svg xmlns="{SVG_NS}"/>'.encode("utf-16"),
            "image/svg+xml",
        ),
        (f'<s:svg xmlns:s="{SVG_NS}"><s:g/></s:svg>'.encode(), "image/svg+xml"),  # any prefix
        (f'<!-- logo --><?pi x?><svg xmlns="{SVG_NS}"/>\n'.encode(), "image/svg+xml"),
        (f'<svg xmlns="{SVG_NS}">&amp;&#x41;</svg>'.encode(), "image/svg+xml"),  # predefined
    ],
)
def test_sniff_recognises_the_stored_image_types(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


# --- sniff: not images ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(HTML, id="html"),
        pytest.param(b"<html><body>hi</body></html>", id="html-no-doctype"),
        pytest.param(XHTML, id="xhtml"),
        pytest.param(SVG_DOCTYPE, id="svg-with-doctype"),
        pytest.param(SVG_ENTITY, id="svg-with-entity"),
        pytest.param(SVG_EXTERNAL_ENTITY, id="svg-with-external-entity"),
        pytest.param(LAUGHS, id="billion-laughs"),
        pytest.param(f'<svg xmlns="{SVG_NS}">&x;</svg>'.encode(), id="undeclared-entity"),
        pytest.param(f'<foo xmlns="{SVG_NS}"/>'.encode(), id="non-svg-root-in-svg-ns"),
        pytest.param(b"<?xml version='1.0'?><feed><svg/></feed>", id="xml-non-svg-root"),
        pytest.param(
            f'<html xmlns="http://www.w3.org/1999/xhtml"><svg xmlns="{SVG_NS}"/></html>'.encode(),
            id="svg-inside-xhtml",
        ),
        pytest.param(b"<svg/>", id="svg-without-namespace"),
        pytest.param(b'<svg xmlns="http://www.w3.org/1999/xhtml"/>', id="svg-in-xhtml-ns"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg/"/>', id="svg-in-near-miss-ns"),
        pytest.param(b"<x:svg/>", id="undeclared-prefix"),
        pytest.param(f'<svg xmlns="{SVG_NS}">'.encode(), id="unclosed-svg"),
        pytest.param(f'<svg xmlns="{SVG_NS}"/><svg xmlns="{SVG_NS}"/>'.encode(), id="two-roots"),
        pytest.param(f'<svg xmlns="{SVG_NS}"/><script>x</script>'.encode(), id="trailing-markup"),
        pytest.param(b" " + b"<?xml version='1.0'?>" + SVG, id="declaration-not-at-start"),
        pytest.param(b"", id="empty"),
        pytest.param(b"just text", id="text"),
        pytest.param(b"\x89PNG\r\n\x1a", id="png-truncated"),
        pytest.param(b"\x89PNG", id="png-prefix"),
        pytest.param(b"\x89PNG\r\n\x1b\n" + PNG[8:], id="png-bad-signature"),
        pytest.param(b"\xff\xd8", id="jpeg-truncated"),
        pytest.param(b"GIF89", id="gif-truncated"),
        pytest.param(b"GIF88a\x01\x00", id="gif-unknown-version"),
        pytest.param(b"RIFF\x1a\x00\x00\x00WEB", id="webp-truncated"),
        pytest.param(b"RIFF\x1a\x00\x00\x00WAVEfmt ", id="riff-not-webp"),
        pytest.param(b"WEBPRIFF\x00\x00\x00\x00", id="webp-swapped"),
    ],
)
def test_sniff_refuses_everything_else(data: bytes) -> None:
    assert sniff(data) is None


# --- stored_type: the declared type must name the sniffed type --------------------------------


@pytest.mark.parametrize(
    ("declared", "data", "expected"),
    [
        ("image/png", PNG, "image/png"),
        ("IMAGE/PNG", PNG, "image/png"),
        ("image/jpeg", JPEG, "image/jpeg"),
        ("image/jpg", JPEG, "image/jpeg"),
        ("image/pjpeg", JPEG, "image/jpeg"),
        ("Image/JPG", JPEG, "image/jpeg"),
        ("image/gif", GIF89, "image/gif"),
        ("image/webp", WEBP, "image/webp"),
        ("image/svg+xml", SVG, "image/svg+xml"),
        ("image/SVG+XML", SVG_WITH_SCRIPT, "image/svg+xml"),
    ],
)
def test_matching_declared_type_gives_the_stored_type(
    declared: str, data: bytes, expected: str
) -> None:
    assert stored_type(declared, data) == expected


@pytest.mark.parametrize(
    ("declared", "data"),
    [
        ("text/html", HTML),
        ("application/xhtml+xml", XHTML),
        ("image/svg+xml", XHTML),
        ("image/svg+xml", SVG_DOCTYPE),
        ("image/svg+xml", SVG_ENTITY),
        ("image/png", HTML),  # a page declared as an image
        ("image/png", GIF89),
        ("image/gif", PNG),
        ("image/jpeg", PNG),
        ("image/webp", PNG),
        ("image/png", SVG),
        ("image/svg+xml", PNG),
        ("text/xml", SVG),
        ("application/xml", SVG),
        ("image/x-png", PNG),
        ("application/octet-stream", PNG),
        ("image/bmp", b"BM" + bytes(60)),
    ],
)
def test_mismatched_or_unknown_declared_type_is_refused(declared: str, data: bytes) -> None:
    assert stored_type(declared, data) is None


# --- image_input: the validation details -------------------------------------------------------


UNSUPPORTED = [{"message": "Unsupported image type", "field": "image"}]


def parse(fields: dict[str, object], upload: Upload | None = None) -> tuple[object, object]:
    report = Report()
    result = image_input(fields, upload, report)
    return result, report.details


def data_uri(data: bytes, mimetype: str) -> str:
    return f"data:{mimetype};base64,{base64.b64encode(data).decode()}"


@pytest.mark.parametrize(
    ("mimetype", "data"),
    [
        ("text/html", HTML),
        ("application/xhtml+xml", XHTML),
        ("image/svg+xml", SVG_DOCTYPE),
        ("image/png", HTML),
    ],
)
def test_unsupported_upload_and_data_uri(mimetype: str, data: bytes) -> None:
    assert parse({}, Upload(data, mimetype, "x")) == (None, UNSUPPORTED)
    assert parse({"image": data_uri(data, mimetype)}) == (None, UNSUPPORTED)
    assert parse({"imageUrl": data_uri(data, mimetype)}) == (None, UNSUPPORTED)


def test_mimetype_shape_is_checked_before_the_type() -> None:
    invalid = [{"message": "Invalid characters", "field": "image"}]
    assert parse({}, Upload(HTML, "text/html!", "x")) == (None, invalid)
    assert parse({"image": data_uri(HTML, "text/html!")}) == (None, invalid)


def test_accepted_upload_is_stored_under_the_canonical_type() -> None:
    assert parse({}, Upload(JPEG, "image/pjpeg", "x")) == (
        ImageInput(data=JPEG, mimetype="image/jpeg"),
        [],
    )
    assert parse({"image": data_uri(WEBP, "IMAGE/WEBP")}) == (
        ImageInput(data=WEBP, mimetype="image/webp"),
        [],
    )


# --- delivery: the headers stored bytes are served with -----------------------------------------

CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@pytest.mark.parametrize(
    ("stored", "served"),
    [
        ("image/png", "image/png"),
        ("image/jpeg", "image/jpeg"),
        ("image/jpg", "image/jpeg"),
        ("image/gif", "image/gif"),
        ("image/webp", "image/webp"),
        ("image/svg+xml", "image/svg+xml"),
    ],
)
def test_stored_image_types_are_served_as_themselves(stored: str, served: str) -> None:
    assert images.delivery(StoredImage("s", stored, b"")) == (
        served,
        {
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": CSP,
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )


@pytest.mark.parametrize(
    "stored", ["text/html", "application/xhtml+xml", "image/svg", "text/xml", "image/bmp", ""]
)
def test_legacy_types_are_served_as_attachments(stored: str) -> None:
    assert images.delivery(StoredImage("s", stored, b"")) == (
        "application/octet-stream",
        {
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": CSP,
            "Content-Disposition": "attachment",
            "Cache-Control": "no-store",
        },
    )
