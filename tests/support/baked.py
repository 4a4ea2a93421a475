"""Images for the baking tests, and an independent reader of what is baked into them (written
from the PNG and baking specifications, not from `badgekit.baking`)."""

from __future__ import annotations

import struct
import zlib
from xml.dom import minidom

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2">'
    b'<title>B &amp; co</title><circle cx="1" cy="1" r="1" fill="#c00"/></svg>'
)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def tiny_png(*extra: tuple[bytes, bytes]) -> bytes:
    """A valid 1x1 RGB PNG; `extra` chunks (type, data) go between IHDR and IDAT."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xcc\x00\x00")
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", ihdr)
        + b"".join(chunk(kind, body) for kind, body in extra)
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


def read_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, asserting the signature and every CRC."""
    assert data[:8] == PNG_SIGNATURE
    found, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        found.append((kind, body))
        offset += 12 + length
    assert offset == len(data)
    return found


def itxt_fields(body: bytes) -> tuple[str, int, int, str, str, str]:
    """keyword, compression flag, compression method, language tag, translated keyword, text."""
    keyword, rest = body.split(b"\x00", 1)
    flag, method, rest = rest[0], rest[1], rest[2:]
    language, rest = rest.split(b"\x00", 1)
    translated, text = rest.split(b"\x00", 1)
    return (
        keyword.decode("latin-1"),
        flag,
        method,
        language.decode(),
        translated.decode(),
        text.decode(),
    )


def baked_values(data: bytes) -> dict[str, list[str]]:
    """The text of every iTXt chunk by keyword."""
    values: dict[str, list[str]] = {}
    for kind, body in read_chunks(data):
        if kind == b"iTXt":
            keyword, flag, method, language, translated, text = itxt_fields(body)
            assert (flag, method, language, translated) == (0, 0, "", "")
            values.setdefault(keyword, []).append(text)
    return values


def svg_elements(data: bytes) -> list[tuple[str | None, str, dict[str, str]]]:
    """(namespace, local name, attributes) of the root's element children, in order."""
    document = minidom.parseString(data)
    root = document.documentElement
    assert root is not None
    return [
        (node.namespaceURI, node.localName, dict(node.attributes.items()))
        for node in root.childNodes
        if isinstance(node, minidom.Element)
    ]
