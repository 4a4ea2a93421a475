"""Request decoding (spec README §1, §3): path normalisation and body parsing.

Bodies are parsed from the exact raw bytes, which are also what the JWT body hash covers.
Decoding is bounded (README §3 "Limits"): nesting deeper than `MAX_DEPTH` and text that is not
valid Unicode are `400 InvalidContent` before any recursive parser sees them, so no body can make
the server recurse without bound, allocate a huge structure or answer `5xx`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from array import array
from email.message import Message
from email.parser import BytesParser
from itertools import accumulate
from typing import Any
from urllib.parse import parse_qsl

from badgekit.domain.inputs import Body, Upload
from badgekit.errors import BadRequestError, InvalidContent, UnsupportedMediaType

_SLASHES = re.compile(r"/{2,}")

# README §3 "Limits": containers in a JSON body (its top-level object counts as one), bracket
# groups in a form key.
MAX_DEPTH = 32


def normalise_path(path: str) -> str:
    """Collapse runs of `/` and drop a trailing `/` (except for the root), as the original did."""
    collapsed = _SLASHES.sub("/", path or "/")
    if len(collapsed) > 1 and collapsed.endswith("/"):
        collapsed = collapsed.rstrip("/") or "/"
    return collapsed


def raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if not body:
        return b""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body)
        except (binascii.Error, ValueError) as exc:
            raise BadRequestError("Invalid base64 body") from exc
    # A text body holding a lone surrogate keeps it as bytes that are not UTF-8, so the parsers
    # answer 400 for it like for any other invalid text.
    return str(body).encode("utf-8", "surrogatepass")


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_body(method: str, content_type: str | None, raw: bytes) -> Body:
    """Parse a POST/PUT body; GET/DELETE bodies and empty bodies are `{}`."""
    if method.upper() not in ("POST", "PUT", "PATCH") or not raw:
        return Body()
    kind = media_type(content_type) or "application/octet-stream"
    if kind == "application/json":
        return Body(_parse_json(raw))
    if kind == "application/x-www-form-urlencoded":
        return Body(parse_form(_text(raw, "form")))
    if kind == "multipart/form-data":
        return _parse_multipart(content_type or "", raw)
    raise UnsupportedMediaType(content_type or "application/octet-stream")


def _text(raw: bytes, kind: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidContent(f"Invalid {kind}: invalid UTF-8 at byte {exc.start}") from exc


# --- JSON ----------------------------------------------------------------------------------

_DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
LONE_SURROGATE = "invalid Unicode (lone surrogate)"


def too_deep(raw: bytes) -> bool:
    """Whether a JSON text opens more than MAX_DEPTH containers at once, decided without
    recursion by C-level scans over bytes.

    String contents are cut out (escaped backslashes and quotes first, then every other piece
    between quotes); the brackets left become +1/-1 and their running sum is the depth. Where the
    text is not JSON, the cut can differ from JSON's tokens only after the point where json.loads
    stops with a syntax error, so json.loads never recurses deeper than MAX_DEPTH levels.
    """
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(unescaped.split(b'"')[::2])
    steps = outside_strings.translate(_DEPTH_STEPS, _NOT_BRACKETS)
    return bool(steps) and max(accumulate(array("b", steps))) > MAX_DEPTH


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > 4300:  # beyond Python's int-from-text limit
        raise ValueError("number out of range")
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999999
        raise ValueError("number out of range")
    return value


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")  # NaN, Infinity, -Infinity


def _has_surrogate(value: Any) -> bool:
    """A lone UTF-16 surrogate in any key or string (depth is bounded by MAX_DEPTH)."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def _parse_json(raw: bytes) -> dict[str, Any]:
    """Strict JSON: no NaN/Infinity, finite numbers, valid Unicode; duplicate keys keep the last
    value (as JavaScript's JSON.parse, which the original used)."""
    text = _text(raw, "JSON")
    if too_deep(raw):
        raise InvalidContent("Invalid JSON: nested too deeply")
    try:
        value = json.loads(
            text,
            parse_int=_json_int,
            parse_float=_json_float,
            parse_constant=_json_constant,
        )
    except ValueError as exc:
        raise InvalidContent(f"Invalid JSON: {exc}") from exc
    if _SURROGATE_ESCAPE.search(raw) and _has_surrogate(value):
        raise InvalidContent(f"Invalid JSON: {LONE_SURROGATE}")
    if not isinstance(value, dict):
        raise InvalidContent("Invalid JSON: the body must be a JSON object")
    return value


# --- qs-style form parsing ---------------------------------------------------------------

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_INDEX = re.compile(r"[0-9]+")


def _path_of(name: str) -> list[str]:
    if "[" not in name:
        return [name]
    head = name.split("[", 1)[0]
    if head == name or not head:
        return [name]
    rest = name[len(head) :]
    segments = _BRACKETS.findall(rest)
    # Anything that is not a clean run of [..] groups is kept literally, as qs does.
    if "".join(f"[{s}]" for s in segments) != rest:
        return [name]
    return [head, *segments]


def parse_form(text: str) -> dict[str, Any]:
    """Parse urlencoded text the way the "qs" module did: `a[]=x`, `a[0][b]=y`, `a=1&a=2`.

    Work is linear in the text: keys with more than MAX_DEPTH bracket groups are refused, and
    indices only order a list (`a[99999999]=x` is `["x"]`), they never size it.
    """
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidContent(
            "Invalid form: invalid UTF-8 in a percent-encoded name or value"
        ) from exc
    root: dict[str, Any] = {}
    for name, value in pairs:
        path = _path_of(name)
        if len(path) - 1 > MAX_DEPTH:
            raise InvalidContent("Invalid form: nested too deeply")
        _assign(root, path, value)
    result = _finish(root)
    return result if isinstance(result, dict) else {}


class _Seq(dict[Any, Any]):
    """Marks a node built from index segments (`[]`, `[0]`); becomes a list at the end."""


def _assign(node: dict[Any, Any], path: list[str], value: str) -> None:
    key: Any = path[0]
    if len(path) == 1:
        if isinstance(node, _Seq) and key == "":
            node[len(node) + 10_000_000] = value
        elif key in node and not isinstance(node[key], dict):
            existing = node[key]
            if isinstance(existing, list):
                existing.append(value)
            else:
                node[key] = [existing, value]
        else:
            node[key] = value
        return
    if isinstance(node, _Seq):
        key = len(node) + 10_000_000 if key == "" else key
    child_seg = path[1]
    child = node.get(key)
    if not isinstance(child, dict):
        child = _Seq() if _is_index(child_seg) else {}
        if isinstance(node.get(key), str):
            child[0 if isinstance(child, _Seq) else ""] = node[key]
        node[key] = child
    elif not isinstance(child, _Seq) and _is_index(child_seg):
        pass  # an object already: numeric keys stay object keys, as qs does
    _assign(child, path[1:], value)


def _finish(node: Any) -> Any:
    if isinstance(node, _Seq):
        ordered = sorted(node.items(), key=lambda kv: _index(kv[0]))
        return [_finish(v) for _, v in ordered]
    if isinstance(node, dict):
        return {k: _finish(v) for k, v in node.items()}
    return node


def _is_index(segment: str) -> bool:
    return segment == "" or _INDEX.fullmatch(segment) is not None


def _index(key: Any) -> tuple[int, int, str]:
    """Numeric order of an index without int() (a 5,000-digit index would exceed Python's
    int-from-text limit); other keys last, in insertion order (the sort is stable)."""
    digits = str(key)
    if not isinstance(key, int) and _INDEX.fullmatch(digits) is None:
        return (1, 0, "")
    digits = digits.lstrip("0") or "0"
    return (0, len(digits), digits)


# --- multipart -----------------------------------------------------------------------------


def _part_media_type(part: Message) -> str:
    """The part's media type as sent (parameters dropped), for the image mimetype check (README
    §10); `get_content_type()` would turn a malformed one into text/plain. No header: text/plain
    (RFC 7578 §4.4)."""
    header = str(part.get("content-type") or "")
    return header.split(";", 1)[0].strip() or "text/plain"


def _parse_multipart(content_type: str, raw: bytes) -> Body:
    # Imported here: the email policies (header registry and parser) cost a few milliseconds of
    # every cold start, and only image uploads send multipart bodies.
    from email import policy

    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    try:
        message: Message = BytesParser(policy=policy.HTTP).parsebytes(head + raw)
    except Exception as exc:  # the parser is lenient; anything it raises is a malformed body
        raise BadRequestError("Unable to parse multipart body") from exc
    if not message.is_multipart() or message.defects or not message.get_boundary():
        raise BadRequestError("Unable to parse multipart body")
    body = Body()
    for part in message.get_payload():
        if not isinstance(part, Message):
            raise BadRequestError("Unable to parse multipart body")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            if name == "image" and data:
                body.upload = Upload(data, _part_media_type(part), filename)
            continue  # other file parts are ignored (spec §3)
        body.fields[name] = _field_text(data, part.get_content_charset() or "utf-8")
    return body


def _field_text(data: bytes, charset: str) -> str:
    """A multipart text field in its part's charset; invalid text or an unknown (or non-text)
    charset is an invalid form, as is anything decoding to a lone surrogate (e.g. UTF-7)."""
    try:
        text = data.decode(charset)
    except LookupError as exc:
        raise InvalidContent("Invalid form: unknown charset in a multipart field") from exc
    except ValueError as exc:  # UnicodeDecodeError and codec-specific errors
        raise InvalidContent(f"Invalid form: a multipart field is not valid {charset}") from exc
    if _SURROGATE.search(text):
        raise InvalidContent(f"Invalid form: {LONE_SURROGATE}")
    return text
