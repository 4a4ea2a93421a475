"""Baked badge images: an award embedded in its badge's PNG or SVG image, per the Open Badges
2.0 baking specification (keyword / element `openbadges`: a hosted assertion URL or a signed
assertion's compact JWS) and the Open Badges 3.0 one (keyword / element `openbadgecredential`:
a credential's compact VC-JWT). Pure: bytes in, bytes out.

PNG: an uncompressed `iTXt` chunk per value, right after `IHDR`; chunks (`iTXt`, `tEXt`,
`zTXt`) already carrying either keyword are dropped, so a value never appears twice.

SVG: `xmlns:openbadges="http://openbadges.org"` on the root and, as its first children,
`<openbadges:assertion verify="..."/>` and, with a credential,
`<openbadges:credential verify="..."/>` (which rebinds the prefix to the Open Badges 3.0
namespace on itself, as the 3.0 specification binds it); existing such elements are replaced.
An SVG with a document type declaration is refused (`NotBakeable`) before its internal subset
is read, so no entity is ever declared, expanded or fetched.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any, NoReturn
from xml.dom import expatbuilder, minidom

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ASSERTION_KEYWORD = "openbadges"
CREDENTIAL_KEYWORD = "openbadgecredential"
_KEYWORDS = frozenset({ASSERTION_KEYWORD.encode(), CREDENTIAL_KEYWORD.encode()})
_TEXT_CHUNKS = frozenset({b"iTXt", b"tEXt", b"zTXt"})

OB2_NAMESPACE = "http://openbadges.org"
OB3_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
_ELEMENTS = frozenset({"assertion", "credential"})

PNG = "image/png"
SVG = "image/svg+xml"


class NotBakeable(ValueError):
    """The image is not a PNG or SVG this module can bake into."""


def bake(data: bytes, mimetype: str, assertion: str, credential: str | None = None) -> bytes:
    """`data` (a `mimetype` image, PNG or SVG) with `assertion` (the `openbadges` value) and,
    when given, `credential` (the `openbadgecredential` value) baked in."""
    if mimetype == PNG:
        return bake_png(data, assertion, credential)
    if mimetype == SVG:
        return bake_svg(data, assertion, credential)
    raise NotBakeable(f"cannot bake into {mimetype}")


# --- PNG ---------------------------------------------------------------------------------------


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, data) chunks of a PNG datastream, CRCs checked; `NotBakeable` otherwise."""
    if not data.startswith(PNG_SIGNATURE):
        raise NotBakeable("not a PNG datastream")
    chunks: list[tuple[bytes, bytes]] = []
    offset = len(PNG_SIGNATURE)
    while offset < len(data):
        if offset + 12 > len(data):
            raise NotBakeable("truncated PNG chunk")
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        end = offset + 8 + length
        if end + 4 > len(data):
            raise NotBakeable("truncated PNG chunk")
        body = data[offset + 8 : end]
        (crc,) = struct.unpack(">I", data[end : end + 4])
        if crc != zlib.crc32(kind + body):
            raise NotBakeable("PNG chunk CRC mismatch")
        chunks.append((kind, body))
        offset = end + 4
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise NotBakeable("a PNG starts with IHDR and ends with IEND")
    return chunks


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One encoded chunk: length, type, data, CRC-32 of type and data."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def itxt(keyword: str, text: str) -> bytes:
    """The data of an uncompressed `iTXt` chunk: keyword, NUL, compression flag 0, method 0,
    empty language tag, NUL, empty translated keyword, NUL, UTF-8 text."""
    return keyword.encode("latin-1") + b"\x00\x00\x00" + b"\x00" + b"\x00" + text.encode()


def text_keyword(kind: bytes, body: bytes) -> bytes | None:
    """The keyword of a textual chunk (`iTXt`, `tEXt`, `zTXt`), else None."""
    if kind not in _TEXT_CHUNKS:
        return None
    return body.split(b"\x00", 1)[0]


def bake_png(data: bytes, assertion: str, credential: str | None = None) -> bytes:
    chunks = png_chunks(data)
    baked = [(b"iTXt", itxt(ASSERTION_KEYWORD, assertion))]
    if credential is not None:
        baked.append((b"iTXt", itxt(CREDENTIAL_KEYWORD, credential)))
    kept = [chunk for chunk in chunks[1:] if text_keyword(*chunk) not in _KEYWORDS]
    ordered = [chunks[0], *baked, *kept]
    return PNG_SIGNATURE + b"".join(png_chunk(kind, body) for kind, body in ordered)


# --- SVG ---------------------------------------------------------------------------------------


def _is_baked_element(node: minidom.Node) -> bool:
    if node.nodeType != node.ELEMENT_NODE:
        return False
    assert isinstance(node, minidom.Element)
    if node.namespaceURI in (OB2_NAMESPACE, OB3_NAMESPACE) and node.localName in _ELEMENTS:
        return True
    return node.tagName in {f"openbadges:{name}" for name in _ELEMENTS}


def _refuse(*_: Any) -> NoReturn:
    raise NotBakeable("an SVG with a document type declaration is not baked")


def parse_svg(data: bytes) -> minidom.Document:
    """The namespace-aware DOM of `data`, refused (`NotBakeable`) at the start of any document
    type declaration: no entity is ever declared, expanded or fetched."""
    builder = expatbuilder.ExpatBuilderNS()
    parser = builder.getParser()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    try:
        document = builder.parseString(data)
    except NotBakeable:
        raise
    except Exception as exc:  # expat's errors, or anything else a bad document raises
        raise NotBakeable("not a well-formed SVG document") from exc
    assert isinstance(document, minidom.Document)
    return document


def bake_svg(data: bytes, assertion: str, credential: str | None = None) -> bytes:
    document = parse_svg(data)
    root = document.documentElement
    if root is None or root.localName != "svg":
        raise NotBakeable("not an SVG document")
    for child in list(root.childNodes):
        if _is_baked_element(child):
            root.removeChild(child)
    root.setAttribute("xmlns:openbadges", OB2_NAMESPACE)
    elements = [document.createElementNS(OB2_NAMESPACE, "openbadges:assertion")]
    elements[0].setAttribute("verify", assertion)
    if credential is not None:
        element = document.createElementNS(OB3_NAMESPACE, "openbadges:credential")
        element.setAttribute("xmlns:openbadges", OB3_NAMESPACE)
        element.setAttribute("verify", credential)
        elements.append(element)
    first = root.firstChild
    for element in elements:
        root.insertBefore(element, first)
    return document.toxml("utf-8")
