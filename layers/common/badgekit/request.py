"""Request decoding (spec README §1, §3): path normalisation and body parsing.

Bodies are parsed from the exact raw bytes, which are also what the JWT body hash covers.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl

from badgekit.errors import BadRequestError, InvalidContent, UnsupportedMediaType

_SLASHES = re.compile(r"/{2,}")


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
        return base64.b64decode(body)
    return str(body).encode("utf-8")


@dataclass(frozen=True)
class Upload:
    """A multipart file part named `image`."""

    data: bytes
    content_type: str
    filename: str | None = None


@dataclass
class Body:
    fields: dict[str, Any] = field(default_factory=dict)
    upload: Upload | None = None


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
        return Body(parse_form(_text(raw)))
    if kind == "multipart/form-data":
        return _parse_multipart(content_type or "", raw)
    raise UnsupportedMediaType(content_type or "application/octet-stream")


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidContent(f"Invalid body encoding: {exc.reason}") from exc


def _parse_json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(_text(raw))
    except ValueError as exc:
        raise InvalidContent(f"Invalid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidContent("Invalid JSON: the body must be a JSON object")
    return value


# --- qs-style form parsing ---------------------------------------------------------------

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def _path_of(name: str) -> list[str]:
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
    """Parse urlencoded text the way the "qs" module did: `a[]=x`, `a[0][b]=y`, `a=1&a=2`."""
    root: dict[str, Any] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        _assign(root, _path_of(name), value)
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
            node[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            node[key] = value
        return
    if isinstance(node, _Seq):
        key = len(node) + 10_000_000 if key == "" else key
    child_seg = path[1]
    child = node.get(key)
    if not isinstance(child, dict):
        child = _Seq() if child_seg == "" or child_seg.isdigit() else {}
        if isinstance(node.get(key), str):
            child[0 if isinstance(child, _Seq) else ""] = node[key]
        node[key] = child
    elif not isinstance(child, _Seq) and (child_seg == "" or child_seg.isdigit()):
        pass  # an object already: numeric keys stay object keys, as qs does
    _assign(child, path[1:], value)


def _finish(node: Any) -> Any:
    if isinstance(node, _Seq):
        ordered = sorted(node.items(), key=lambda kv: _index(kv[0]))
        return [_finish(v) for _, v in ordered]
    if isinstance(node, dict):
        return {k: _finish(v) for k, v in node.items()}
    return node


def _index(key: Any) -> float:
    if isinstance(key, int):
        return key
    return int(key) if str(key).isdigit() else float("inf")


# --- multipart -----------------------------------------------------------------------------


def _part_media_type(part: Message) -> str:
    """The part's media type as sent (parameters dropped), for the image mimetype check (README
    §10); `get_content_type()` would turn a malformed one into text/plain. No header: text/plain
    (RFC 7578 §4.4)."""
    header = str(part.get("content-type") or "")
    return header.split(";", 1)[0].strip() or "text/plain"


def _parse_multipart(content_type: str, raw: bytes) -> Body:
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
        charset = part.get_content_charset() or "utf-8"
        body.fields[name] = data.decode(charset, errors="replace")
    return body
