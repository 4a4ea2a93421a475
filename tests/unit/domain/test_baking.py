"""Baking (badgekit.baking): the Open Badges 2.0 and 3.0 baking specifications for PNG (`iTXt`
chunks `openbadges` / `openbadgecredential`) and SVG (`openbadges:assertion` /
`openbadges:credential`), read back with the tests' own parser."""

from __future__ import annotations

import pytest

from badgekit import baking
from tests.support.baked import (
    SVG,
    baked_values,
    itxt_fields,
    read_chunks,
    svg_elements,
    tiny_png,
)

URL = "https://badges.example.org/public/assertions/d49fcc2e7ca554b61cd67c480aaaefe4eb944b20"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl"
OB2 = "http://openbadges.org"
OB3 = "https://purl.imsglobal.org/ob/v3p0"


def test_png_gets_an_uncompressed_itxt_chunk_right_after_ihdr():
    original = tiny_png()
    baked = baking.bake(original, "image/png", URL)
    chunks = read_chunks(baked)  # every CRC checked
    assert [kind for kind, _ in chunks] == [b"IHDR", b"iTXt", b"IDAT", b"IEND"]
    assert itxt_fields(chunks[1][1]) == ("openbadges", 0, 0, "", "", URL)
    # Everything else is byte for byte the original's.
    assert [c for c in chunks if c[0] != b"iTXt"] == read_chunks(original)


def test_png_with_a_credential_gets_both_keywords():
    baked = baking.bake(tiny_png(), "image/png", URL, credential=JWT)
    assert [kind for kind, _ in read_chunks(baked)][:3] == [b"IHDR", b"iTXt", b"iTXt"]
    assert baked_values(baked) == {"openbadges": [URL], "openbadgecredential": [JWT]}


def test_png_existing_baked_chunks_are_replaced_not_repeated():
    old = tiny_png(
        (b"iTXt", b"openbadges\x00\x00\x00\x00\x00https://old.example.org/a"),
        (b"tEXt", b"openbadges\x00https://older.example.org/a"),
        (b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00old.jwt.value"),
        (b"tEXt", b"Comment\x00kept"),
    )
    baked = baking.bake(old, "image/png", URL)
    chunks = read_chunks(baked)
    assert baked_values(baked) == {"openbadges": [URL]}
    assert (b"tEXt", b"Comment\x00kept") in chunks
    assert not any(body.startswith(b"openbadges\x00") for kind, body in chunks if kind == b"tEXt")
    # Baking again (e.g. once the value is signed) still leaves one chunk per keyword.
    again = baking.bake(baked, "image/png", "a.b.c", credential=JWT)
    assert baked_values(again) == {"openbadges": ["a.b.c"], "openbadgecredential": [JWT]}


def test_png_text_is_utf8():
    baked = baking.bake(tiny_png(), "image/png", "https://x.example.org/é")
    assert baked_values(baked) == {"openbadges": ["https://x.example.org/é"]}


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)),  # a signature, then garbage
        tiny_png()[:-3],  # truncated
        tiny_png()[:19] + b"\x07" + tiny_png()[20:],  # a damaged IHDR (CRC mismatch)
        b"GIF89a",
    ],
)
def test_not_a_png_is_refused(data):
    with pytest.raises(baking.NotBakeable):
        baking.bake(data, "image/png", URL)


def test_svg_gets_the_namespace_and_the_assertion_element_first():
    baked = baking.bake(SVG, "image/svg+xml", URL)
    elements = svg_elements(baked)  # well-formed
    assert elements[0] == (OB2, "assertion", {"verify": URL})
    assert [(ns, name) for ns, name, _ in elements[1:]] == [
        ("http://www.w3.org/2000/svg", "title"),
        ("http://www.w3.org/2000/svg", "circle"),
    ]
    assert b'xmlns:openbadges="http://openbadges.org"' in baked
    assert b"<title>B &amp; co</title>" in baked


def test_svg_with_a_credential_binds_it_to_the_3_0_namespace():
    baked = baking.bake(SVG, "image/svg+xml", URL, credential=JWT)
    elements = svg_elements(baked)
    assert elements[0] == (OB2, "assertion", {"verify": URL})
    assert elements[1] == (OB3, "credential", {"xmlns:openbadges": OB3, "verify": JWT})
    # What prefix-matching extractors look for is there too.
    assert b"<openbadges:assertion " in baked
    assert b"<openbadges:credential " in baked


def test_svg_existing_elements_are_replaced():
    once = baking.bake(SVG, "image/svg+xml", "https://old.example.org/a", credential="o.l.d")
    again = baking.bake(once, "image/svg+xml", URL)
    elements = svg_elements(again)
    assert [e for e in elements if e[0] in (OB2, OB3)] == [(OB2, "assertion", {"verify": URL})]
    assert len(elements) == 3


@pytest.mark.parametrize(
    "data",
    [
        b"<svg",  # not well-formed
        b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
        b'<html xmlns="http://www.w3.org/1999/xhtml"/>',
    ],
)
def test_not_a_plain_svg_is_refused(data):
    with pytest.raises(baking.NotBakeable):
        baking.bake(data, "image/svg+xml", URL)


@pytest.mark.parametrize("mimetype", ["image/jpeg", "image/gif", "image/webp"])
def test_other_types_are_refused(mimetype):
    with pytest.raises(baking.NotBakeable):
        baking.bake(b"\xff\xd8\xff", mimetype, URL)
