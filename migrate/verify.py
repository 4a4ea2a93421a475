"""Verify mode: walk every GET route of the contract on the original and on ours, compare.

Both APIs are walked from `GET /systems` down: every system, issuer, program, badge (at every
level that lists it), claim code, instance, application, review and milestone, and the public
documents (`/public/badges`, issuer organisations, badge classes, hosted assertions, images).
The original is either a running deployment (`Endpoint`) or a directory of its recorded answers
(`RecordedDir`, one JSON file per request path; `record` writes one). Each answer pair is compared
after the one ignore rule (absolute URLs' scheme and host, `H1`); every remaining difference is
classified by the first rule of `RULES` that explains it:

- `contract divergence`: the contract departs from the original on purpose
  (../shared/spec/divergences.md, docs/compatibility.md);
- `known original defect`: the original renders its own data wrongly (the contract says what
  the right document is, and ours follows it);
- `real difference`: anything no rule explains. Only these fail the verification.

`verify(original, ours)` returns a `VerifyReport`; `python -m migrate verify` prints its
`render()` and exits 1 when it holds a real difference. docs/migration.md "Verify" has the table
of `RULES` (tests/unit/migrate/test_verify_rules.py keeps both in step).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

from badgekit import signing

CONTRACT_DIVERGENCE = "contract divergence"
KNOWN_DEFECT = "known original defect"
REAL = "real difference"
CLASSES = (CONTRACT_DIVERGENCE, KNOWN_DEFECT, REAL)

# Placeholder the H1 rule puts where either side's scheme + host stood.
BASE = "{base}"
META_FILE = "_meta.json"


# --- where answers come from -------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A running BadgeKit API: base URL (scheme, host, optional path prefix) and a signing key."""

    base_url: str
    key: str
    secret: str
    timeout: float = 30.0


@dataclass(frozen=True)
class RecordedDir:
    """A directory of recorded answers written by `record` (see `recorded_file`)."""

    path: Path


@dataclass(frozen=True)
class Answer:
    """One answer: HTTP status (0: none recorded) and body (JSON, or a digest of other bytes)."""

    status: int
    body: Any


NOT_RECORDED = Answer(0, None)
NO_ANSWER = "noAnswer"


class Fetcher(Protocol):
    base_url: str

    def get(self, path: str) -> Answer: ...


def sign(key: str, secret: str, method: str, path: str, now: int | None = None) -> str:
    """The Authorization header value for a body-less request (spec auth.md: HS256 JWT)."""
    claims = signing.request_claims(method, path, None, key, (now or int(time.time())) + 300)
    return signing.authorization_header(signing.sign(claims, secret))


def decode_body(raw: bytes, content_type: str) -> Any:
    """JSON bodies parsed; anything else (images) as its type, length and SHA-256."""
    if "json" in content_type.lower() or (not content_type and raw[:1] in (b"{", b"[")):
        try:
            return json.loads(raw)
        except ValueError:
            pass
    return {
        "contentType": content_type.split(";")[0].strip().lower(),
        "length": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }


class HttpFetcher:
    """Signed GETs against an Endpoint; the path is sent and signed exactly as given."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.base_url = endpoint.base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self._https = parts.scheme == "https"
        self._netloc = parts.netloc
        self._prefix = parts.path.rstrip("/")

    def get(self, path: str) -> Answer:
        target = self._prefix + path
        headers = {"Authorization": sign(self.endpoint.key, self.endpoint.secret, "GET", target)}
        conn_type = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = conn_type(self._netloc, timeout=self.endpoint.timeout)
        try:
            conn.request("GET", target, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            return Answer(response.status, decode_body(raw, response.getheader("Content-Type", "")))
        except (OSError, http.client.HTTPException) as exc:  # timeouts, resets, garbage
            return no_answer(f"{type(exc).__name__}: {exc}".rstrip(": "))
        finally:
            conn.close()


def no_answer(reason: str) -> Answer:
    """A request that got no HTTP answer (status 0, the reason in the body)."""
    return Answer(0, {NO_ANSWER: reason})


def failed(answer: Answer) -> bool:
    """The server failed: a 5xx status, or no answer at all."""
    got_none = answer.status == 0 and isinstance(answer.body, dict) and NO_ANSWER in answer.body
    return answer.status >= 500 or got_none


def recorded_file(root: Path, path: str) -> Path:
    """The file of one request path: its segments as folders, the last one + `.json`.

    Segments are percent-encoded (`quote(..., safe="@")`) so any slug, code or email is one safe
    file name; `/` itself is `_root.json`; a query string stays on the last segment as `%3F...`.
    """
    segments = [_seg(unquote(s)) for s in path.strip("/").split("/") if s]
    if not segments:
        return root / "_root.json"
    return root.joinpath(*segments[:-1]) / f"{segments[-1]}.json"


class RecordedFetcher:
    """Answers from a RecordedDir; a path never recorded answers NOT_RECORDED (status 0)."""

    def __init__(self, recorded: RecordedDir) -> None:
        self.root = recorded.path
        meta = json.loads((self.root / META_FILE).read_text(encoding="utf-8"))
        self.base_url = str(meta["baseUrl"]).rstrip("/")

    def get(self, path: str) -> Answer:
        file = recorded_file(self.root, path)
        if not file.is_file():
            return NOT_RECORDED
        data = json.loads(file.read_text(encoding="utf-8"))
        return Answer(int(data["status"]), data.get("body"))


class Recorder:
    """Wraps a fetcher and writes every answer it gives into `root` (a RecordedDir)."""

    def __init__(self, inner: Fetcher, root: Path) -> None:
        self.inner = inner
        self.root = root
        self.base_url = inner.base_url
        root.mkdir(parents=True, exist_ok=True)
        meta = {"baseUrl": inner.base_url}
        (root / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    def get(self, path: str) -> Answer:
        answer = self.inner.get(path)
        file = recorded_file(self.root, path)
        file.parent.mkdir(parents=True, exist_ok=True)
        data = {"path": path, "status": answer.status, "body": answer.body}
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        file.write_text(text, encoding="utf-8")
        return answer


def fetcher_for(source: Endpoint | RecordedDir | Fetcher) -> Fetcher:
    if isinstance(source, Endpoint):
        return HttpFetcher(source)
    if isinstance(source, RecordedDir):
        return RecordedFetcher(source)
    return source


# --- the walk ----------------------------------------------------------------------------------

# Routes of the contract the original never had (divergences A10, B10/C22 extensions, claim
# codes' `{L}/codes` list, evidence): fetched from ours only, reported under rule R1.
CONTRACT_ONLY = frozenset(
    {
        "/systems/{s}/consumers",
        "/systems/{s}/webhooks",
        "/systems/{s}/webhooks/{id}/deliveries",
        "{L}/codes",
        "{L}/badges/{b}/applications/{a}/evidence",
    }
)


@dataclass(frozen=True)
class Request:
    route: str  # the route template, e.g. "{L}/badges/{b}" or "/public/assertions/{slug}"
    path: str  # the request path as sent


def _seg(value: Any) -> str:
    return quote(str(value), safe="@")


def _items(body: Any, key: str) -> list[dict[str, Any]]:
    value = body.get(key) if isinstance(body, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _values(bodies: tuple[Any, ...], key: str, attr: str) -> list[str]:
    """`attr` of every item of list `key`, in the original's order then ours' extras (deduped)."""
    seen: dict[str, None] = {}
    for body in bodies:
        for item in _items(body, key):
            value = item.get(attr)
            if value is not None and value != "":
                seen.setdefault(str(value), None)
    return list(seen)


_IMAGE_PATH = re.compile(r"(?:^|/)images/([^/?#]+)$")
_ASSERTION_PATH = re.compile(r"/public/assertions/([^/?#]+)$")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class Walk:
    """Breadth of the contract's GET routes, discovered from both sides' answers."""

    def __init__(self) -> None:
        self.queue: list[Request] = []
        self.seen: set[str] = set()
        self.images: dict[str, None] = {}
        self.assertions: dict[str, None] = {}

    def add(self, route: str, path: str) -> None:
        # Emails match case-insensitively (divergences.md D): one earner lookup per address,
        # which also keeps the recorded files apart on case-insensitive file systems.
        key = path.lower() if route == "{L}/instances/{email}" else path
        if key not in self.seen:
            self.seen.add(key)
            self.queue.append(Request(route, path))

    def start(self) -> None:
        self.add("/systems", "/systems")
        self.add("/public/badges", "/public/badges")

    def discover(self, request: Request, bodies: tuple[Any, ...]) -> None:
        """Queue the routes the answers to `request` lead to."""
        for body in bodies:
            for text in _strings(body):
                if match := _IMAGE_PATH.search(text):
                    self.images.setdefault(unquote(match.group(1)), None)
                if match := _ASSERTION_PATH.search(text):
                    self.assertions.setdefault(unquote(match.group(1)), None)
        route, path = request.route, request.path
        if route == "/systems":
            for s in _values(bodies, "systems", "slug"):
                self._system(f"/systems/{_seg(s)}")
        elif route == "/systems/{s}/issuers":
            for i in _values(bodies, "issuers", "slug"):
                level = f"{path}/{_seg(i)}"
                self.add("/systems/{s}/issuers/{i}", level)
                self.add("/systems/{s}/issuers/{i}/programs", f"{level}/programs")
                self._level(level)
        elif route == "/systems/{s}/issuers/{i}/programs":
            for p in _values(bodies, "programs", "slug"):
                level = f"{path}/{_seg(p)}"
                self.add("/systems/{s}/issuers/{i}/programs/{p}", level)
                self._level(level)
        elif route in ("{L}/badges", "{L}/badges?archived=true"):
            path = path.split("?")[0]
            for b in _values(bodies, "badges", "slug"):
                badge = f"{path}/{_seg(b)}"
                self.add("{L}/badges/{b}", badge)
                self.add("/public{L}/badges/{b}", f"/public{badge}")
                for child in ("codes", "instances", "applications"):
                    self.add(f"{{L}}/badges/{{b}}/{child}", f"{badge}/{child}")
        elif route == "{L}/badges/{b}/codes":
            level = path.split("/badges/")[0]
            for code in _values(bodies, "claimCodes", "code"):
                self.add("{L}/badges/{b}/codes/{code}", f"{path}/{_seg(code)}")
                self.add("{L}/codes/{code}", f"{level}/codes/{_seg(code)}")
        elif route == "{L}/badges/{b}/instances":
            level = path.split("/badges/")[0]
            for email in _values(bodies, "instances", "email"):
                self.add("{L}/badges/{b}/instances/{email}", f"{path}/{_seg(email)}")
                self.add("{L}/instances/{email}", f"{level}/instances/{_seg(email)}")
            for slug in _values(bodies, "instances", "slug"):
                self.assertions.setdefault(slug, None)
        elif route == "{L}/badges/{b}/applications":
            for a in _values(bodies, "applications", "slug"):
                application = f"{path}/{_seg(a)}"
                self.add("{L}/badges/{b}/applications/{a}", application)
                self.add("{L}/badges/{b}/applications/{a}/reviews", f"{application}/reviews")
                self.add("{L}/badges/{b}/applications/{a}/evidence", f"{application}/evidence")
        elif route == "{L}/badges/{b}/applications/{a}/reviews":
            for r in _values(bodies, "reviews", "slug"):
                self.add("{L}/badges/{b}/applications/{a}/reviews/{r}", f"{path}/{_seg(r)}")
        elif route == "/systems/{s}/milestones":
            for m in _values(bodies, "milestones", "id"):
                self.add("/systems/{s}/milestones/{id}", f"{path}/{_seg(m)}")
        elif route == "/systems/{s}/webhooks":
            for w in _values(bodies, "webhooks", "id"):
                self.add("/systems/{s}/webhooks/{id}/deliveries", f"{path}/{_seg(w)}/deliveries")

    def _system(self, system: str) -> None:
        self.add("/systems/{s}", system)
        self.add("/systems/{s}/issuers", f"{system}/issuers")
        self._level(system)
        self.add("/systems/{s}/milestones", f"{system}/milestones")
        self.add("/systems/{s}/consumers", f"{system}/consumers")
        self.add("/systems/{s}/webhooks", f"{system}/webhooks")

    def _level(self, level: str) -> None:
        self.add("/public{L}", f"/public{level}")
        self.add("{L}/badges", f"{level}/badges")
        self.add("{L}/badges?archived=true", f"{level}/badges?archived=true")
        self.add("{L}/applications", f"{level}/applications")
        self.add("{L}/codes", f"{level}/codes")

    def finish(self) -> bool:
        """Queue the hosted assertions and images found; True when that added anything."""
        before = len(self.queue)
        for slug in self.assertions:
            self.add("/public/assertions/{slug}", f"/public/assertions/{_seg(slug)}")
        for slug in self.images:
            self.add("/public/images/{slug}", f"/public/images/{_seg(slug)}")
        return len(self.queue) > before


# --- comparison --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One place where the answers differ. `where` is `status` or a JSON location (`$.a[0].b`)."""

    route: str
    path: str
    where: str
    original: Any
    ours: Any
    kind: str = REAL
    rule: str = ""


def strip_base(value: Any, bases: tuple[str, ...]) -> Any:
    """Rule H1: a string starting with one of the base URLs has that prefix replaced by BASE."""
    if isinstance(value, str):
        for base in bases:
            if base and (value == base or value.startswith(base + "/")):
                return BASE + value[len(base) :]
        return value
    if isinstance(value, dict):
        return {key: strip_base(item, bases) for key, item in value.items()}
    if isinstance(value, list):
        return [strip_base(item, bases) for item in value]
    return value


# Keys compared as one value: a badge's relations are judged as a whole (rules K1, K5).
RELATIONS = ("criteria", "alignments", "tags", "categories")
ATOMIC_KEYS = frozenset(RELATIONS)
MISSING = "<missing>"


def _same(a: Any, b: Any) -> bool:
    # bool is an int in Python: 1 == True must still count as a difference.
    return type(a) is type(b) and a == b


def diff(original: Any, ours: Any, where: str = "$") -> Iterator[tuple[str, Any, Any]]:
    """(location, original, ours) of every leaf that differs; MISSING for an absent key/item."""
    if isinstance(original, dict) and isinstance(ours, dict):
        for key in list(original) + [k for k in ours if k not in original]:
            here = f"{where}.{key}"
            a, b = original.get(key, MISSING), ours.get(key, MISSING)
            if key in ATOMIC_KEYS or a is MISSING or b is MISSING:
                if not _same(a, b):
                    yield here, a, b
            else:
                yield from diff(a, b, here)
    elif isinstance(original, list) and isinstance(ours, list):
        for index in range(max(len(original), len(ours))):
            a = original[index] if index < len(original) else MISSING
            b = ours[index] if index < len(ours) else MISSING
            yield from diff(a, b, f"{where}[{index}]")
    elif not _same(original, ours):
        yield where, original, ours


# --- classification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a rule may look at besides the difference itself: every answer of the walk."""

    original: Mapping[str, Answer]
    ours: Mapping[str, Answer]


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    reference: str
    description: str
    applies: Callable[[Difference, Context], bool]


def _key(where: str) -> str:
    return re.split(r"[.\[]", where.rsplit(".", 1)[-1])[0] if "." in where else ""


def _at(body: Any, where: str) -> Any:
    """The value at a `$.a[0].b` location of a body (MISSING when absent)."""
    value = body
    for name, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", where):
        if name and isinstance(value, dict) and name in value:
            value = value[name]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return MISSING
    return value


def _parent(where: str) -> str:
    return where.rsplit(".", 1)[0]


def _r1_route_added(d: Difference, _: Context) -> bool:
    return d.route in CONTRACT_ONLY


def _k6_original_fails(d: Difference, ctx: Context) -> bool:
    """The original failed (5xx, or no answer: an exception in a callback) where ours answered."""
    original, ours = ctx.original.get(d.path), ctx.ours.get(d.path)
    return original is not None and ours is not None and failed(original) and not failed(ours)


def _k1_other_badges_relations(d: Difference, ctx: Context) -> bool:
    """The original's criteria/alignments/tags/categories of a badge in a list or nested in
    another document are another badge's: they differ from the original's own single-badge GET
    of that badge, and ours equal it. When the original cannot render that badge itself (K6),
    ours must equal our own single-badge GET and the original's value another badge's."""
    key = _key(d.where)
    if key not in RELATIONS or d.where == f"$.badge.{key}":
        return False
    badge = _at(ctx.ours.get(d.path, NOT_RECORDED).body, _parent(d.where))
    if not isinstance(badge, dict) or "id" not in badge:
        return False
    own = _single_badge(ctx.original, badge["id"])
    if own:
        return not _same(own.get(key), d.original) and _same(own.get(key), d.ours)
    if not _same(_single_badge(ctx.ours, badge["id"]).get(key, MISSING), d.ours):
        return False
    return any(
        _same(other.get(key), d.original)
        for other in _single_badges(ctx.original)
        if other.get("id") != badge["id"]
    )


def _single_badges(answers: Mapping[str, Answer]) -> Iterator[dict[str, Any]]:
    """Every badge of a single-badge answer (`{L}/badges/{b}`: `{"badge": {...}}`)."""
    for path, answer in answers.items():
        body = answer.body
        if "/badges/" not in path or path.startswith("/public/") or not isinstance(body, dict):
            continue
        single = body.get("badge")
        if set(body) == {"badge"} and isinstance(single, dict):
            yield single


def _single_badge(answers: Mapping[str, Answer], badge_id: Any) -> dict[str, Any]:
    """The badge `badge_id` as a single-badge answer shows it, else {}."""
    return next((b for b in _single_badges(answers) if _same(b.get("id"), badge_id)), {})


_MILESTONE_BADGE = re.compile(r"\.(?:primaryBadge|supportBadges\[\d+\])\.([^.\[]+)$")
BADGE_RELATIONS = frozenset({*RELATIONS, "imageUrl", "system", "issuer", "program"})


def _k5_milestone_badges_bare(d: Difference, ctx: Context) -> bool:
    """A milestone's primary and support badges are badge rows without their relations in the
    original (no image, no containers; empty criteria, alignments, tags, categories). Confirmed
    when ours equal our own single-badge GET of that badge and the original's own single-badge
    GET does show that relation (or fails altogether, K6)."""
    match = _MILESTONE_BADGE.search(d.where)
    key = match.group(1) if match else ""
    if key not in BADGE_RELATIONS or d.original not in ([], MISSING):
        return False
    badge = _at(ctx.ours.get(d.path, NOT_RECORDED).body, _parent(d.where))
    if not isinstance(badge, dict) or "id" not in badge:
        return False
    if not _same(_single_badge(ctx.ours, badge["id"]).get(key, MISSING), d.ours):
        return False
    own = _single_badge(ctx.original, badge["id"])
    if not own:
        return _original_failed_on_badge(ctx, badge)
    return own.get(key, MISSING) not in ([], MISSING)


def _original_failed_on_badge(ctx: Context, badge: dict[str, Any]) -> bool:
    """The original failed (K6) on a single-badge GET of this badge's slug."""
    tail = f"/badges/{_seg(badge.get('slug'))}"
    return any(
        path.endswith(tail) and not path.startswith("/public/") and failed(answer)
        for path, answer in ctx.original.items()
    )


def _k2_embedded_issuer_programs(d: Difference, ctx: Context) -> bool:
    """A system's embedded issuer without its programs: the original has none, ours list the
    programs the original's own programs list has for that issuer (same slug at that place)."""
    match = re.search(r"^(.*)\.issuers\[\d+\]\.programs\[(\d+)\]$", d.where)
    if not match or d.original is not MISSING or not isinstance(d.ours, dict):
        return False
    body = ctx.ours.get(d.path, NOT_RECORDED).body
    system, issuer = _at(body, match.group(1)), _at(body, _parent(d.where).rsplit("[", 1)[0])
    issuer = _at(body, d.where.rsplit(".programs[", 1)[0])
    if not isinstance(system, dict) or not isinstance(issuer, dict):
        return False
    listing = ctx.original.get(
        f"/systems/{_seg(system.get('slug'))}/issuers/{_seg(issuer.get('slug'))}/programs"
    )
    programs = _items(listing.body if listing else None, "programs")
    index = int(match.group(2))
    return index < len(programs) and programs[index].get("slug") == d.ours.get("slug")


def _k7_nested_container_image(d: Difference, ctx: Context) -> bool:
    """A system, issuer or program nested in another document (a badge's `system`/`issuer`/
    `program`, a system's `issuers`, an issuer's `programs`) has `imageUrl` null in the
    original while its own container GET shows the image: ours show that image (C14 applied)."""
    if d.original is not None or not isinstance(d.ours, str):
        return False
    found = _container_path(ctx.ours.get(d.path, NOT_RECORDED).body, d.where, d.path)
    answer = ctx.original.get(found[0]) if found else None
    if found is None or answer is None or not isinstance(answer.body, dict):
        return False
    own = answer.body.get(found[1])
    image = own.get("imageUrl") if isinstance(own, dict) else None
    return isinstance(image, str) and (
        image == d.ours or _c14_image_urls(Difference("", "", "", image, d.ours), ctx)
    )


def _slug(value: Any) -> str:
    slug = value.get("slug") if isinstance(value, dict) else None
    return _seg(slug) if isinstance(slug, str) and slug else ""


def _container_path(body: Any, where: str, request_path: str) -> tuple[str, str] | None:
    """(the container's own GET path, its key in that answer) for a nested `imageUrl`."""
    here = request_path.split("/")
    from_path = here[2] if len(here) > 2 and here[1] == "systems" else ""
    if match := re.fullmatch(r"(.*)\.(system|issuer|program)\.imageUrl", where):
        badge, kind = _at(body, match.group(1)), match.group(2)
        levels = ("system", "issuer", "program")
        depth = levels.index(kind) + 1
        slugs = [_slug(badge.get(k)) if isinstance(badge, dict) else "" for k in levels]
    elif match := re.fullmatch(r"(.*)\.programs\[\d+\]\.imageUrl", where):
        kind, depth = "program", 3
        holder = re.fullmatch(r"(.*)\.issuers\[\d+\]", match.group(1))
        system = _slug(_at(body, holder.group(1))) if holder else from_path
        issuer = _at(body, match.group(1))
        slugs = [system or from_path, _slug(issuer), _slug(_at(body, _parent(where)))]
    elif match := re.fullmatch(r"(.*)\.issuers\[\d+\]\.imageUrl", where):
        kind, depth = "issuer", 2
        slugs = [_slug(_at(body, match.group(1))) or from_path, _slug(_at(body, _parent(where)))]
    else:
        return None
    slugs = slugs[:depth]
    if not all(slugs):
        return None
    names = ("/systems/", "/issuers/", "/programs/")
    return "".join(name + slug for name, slug in zip(names, slugs, strict=False)), kind


def _t1_zero_dates(d: Difference, _: Context) -> bool:
    """MySQL's zero date, which the original rendered as its raw text, is clamped to the
    earliest timestamp (docs/compatibility.md, stored timestamps outside the range)."""
    if d.route == "/public/assertions/{slug}" and d.where == "$.issuedOn":
        return d.original is MISSING and _same(d.ours, 0)  # the OB 1.0 integer form
    return _same(d.original, "0000-00-00 00:00:00") and _same(d.ours, "1970-01-01T00:00:00.000Z")


def _al_alignment_description(d: Difference, _: Context) -> bool:
    """An alignment stored without description: `""`, the contract's default (the original
    rendered `null` in badge classes and crashed on every other read of that badge, K6)."""
    where = re.search(r"\.alignments?\[\d+\]\.description$", d.where)
    return where is not None and d.original is None and d.ours == ""


def _i1_image_type(d: Difference, _: Context) -> bool:
    """The original served every stored image as `application/octet-stream` (restify's
    default for a Buffer); ours serve the stored type."""
    return (
        d.route == "/public/images/{slug}"
        and d.where == "$.contentType"
        and d.original == "application/octet-stream"
    )


def _u1_encoded_assertion_urls(d: Difference, _: Context) -> bool:
    """An assertion URL whose slug ours percent-encode (docs/compatibility.md)."""
    return (
        isinstance(d.original, str)
        and isinstance(d.ours, str)
        and "/public/assertions/" in d.original
        and unquote(d.ours) == d.original
    )


def _b3_system_description(d: Difference, _: Context) -> bool:
    return (
        d.original is MISSING
        and re.fullmatch(r"\$\.(?:system|systems\[\d+\])\.description", d.where) is not None
    )


def _evidence_slug(d: Difference, _: Context) -> bool:
    return d.original is MISSING and re.search(r"\.evidence\[\d+\]\.slug$", d.where) is not None


def _k3_booleans(d: Difference, _: Context) -> bool:
    return (
        type(d.original) is int
        and d.original in (0, 1)
        and isinstance(d.ours, bool)
        and bool(d.original) == d.ours
    )


def _k4_milestone_action(d: Difference, _: Context) -> bool:
    return _key(d.where) == "action" and d.original is None and d.ours == "issue"


_IMAGE_URL = re.compile(r"^(?:\{base\})?/images/([^/?#]+)$")


def _c14_image_urls(d: Difference, _: Context) -> bool:
    if not isinstance(d.original, str) or not isinstance(d.ours, str):
        return False
    match = _IMAGE_URL.match(d.original)
    return match is not None and d.ours == f"{BASE}/public/images/{match.group(1)}"


RULES: tuple[Rule, ...] = (
    Rule(
        "R1",
        CONTRACT_DIVERGENCE,
        "divergences.md A10, B10, C22; claim-codes.md extensions; assessment.md evidence",
        "a route the original never had (consumers, webhooks, deliveries, `{L}/codes`, evidence): "
        "fetched from ours only",
        _r1_route_added,
    ),
    Rule(
        "K6",
        KNOWN_DEFECT,
        "divergences.md C19, C21",
        "the original fails on data it stored (`500`, or no answer at all: e.g. every read of a "
        "badge with an alignment without description) where ours answers; such a route is not "
        "compared further",
        _k6_original_fails,
    ),
    Rule(
        "C14",
        CONTRACT_DIVERGENCE,
        "divergences.md C14",
        "an image URL the original wrote as `/images/<slug>` (a route it never had) is "
        "`<base>/public/images/<slug>` in ours",
        _c14_image_urls,
    ),
    Rule(
        "T1",
        CONTRACT_DIVERGENCE,
        "docs/compatibility.md (stored timestamps outside the range)",
        "MySQL's zero date `0000-00-00 00:00:00`, rendered raw by the original, is "
        "`1970-01-01T00:00:00.000Z`",
        _t1_zero_dates,
    ),
    Rule(
        "U1",
        CONTRACT_DIVERGENCE,
        "docs/compatibility.md (assertion URLs)",
        "an assertion URL with the instance slug percent-encoded (the original wrote it raw)",
        _u1_encoded_assertion_urls,
    ),
    Rule(
        "AL",
        CONTRACT_DIVERGENCE,
        'badges.md (alignments: `description` defaults to `""`)',
        'an alignment stored without description is `""`, where the original rendered `null`',
        _al_alignment_description,
    ),
    Rule(
        "I1",
        CONTRACT_DIVERGENCE,
        "README §10; docs/compatibility.md (`GET /public/images/{slug}`)",
        "a stored image is served with its stored type; the original always sent "
        "`application/octet-stream` (bytes compared by length and SHA-256)",
        _i1_image_type,
    ),
    Rule(
        "B3",
        CONTRACT_DIVERGENCE,
        "divergences.md B3",
        "a system's `description` (in the system endpoints) which the original never rendered",
        _b3_system_description,
    ),
    Rule(
        "EV",
        CONTRACT_DIVERGENCE,
        "assessment.md (evidence slugs, an extension)",
        "an evidence item's `slug`, which the original did not have",
        _evidence_slug,
    ),
    Rule(
        "K5",
        KNOWN_DEFECT,
        "milestones.md (`primaryBadge`, `supportBadges` are Badges)",
        "a milestone's badges are bare rows in the original (empty criteria, alignments, tags, "
        "categories; no `imageUrl`, `system`, `issuer`, `program`): ours equal our own "
        "single-badge document, whose relation the original's own single-badge document shows "
        "too (or the original fails on that badge, K6)",
        _k5_milestone_badges_bare,
    ),
    Rule(
        "K7",
        KNOWN_DEFECT,
        "README §10 (a container's `imageUrl`)",
        "a system, issuer or program nested in another document has `imageUrl` null in the "
        "original while its own GET shows the image: ours show that image",
        _k7_nested_container_image,
    ),
    Rule(
        "K1",
        KNOWN_DEFECT,
        "issue #15",
        "a badge in a list or nested in another document carries another badge's criteria, "
        "alignments, tags or categories in the original: ours equal the original's own "
        "single-badge document of that badge (if the original fails on it, K6: ours equal our "
        "own, and the original's value is another badge's)",
        _k1_other_badges_relations,
    ),
    Rule(
        "K2",
        KNOWN_DEFECT,
        "issue #15",
        "a system's embedded issuer has no programs in the original: ours list the programs "
        "the original's own programs list gives for that issuer",
        _k2_embedded_issuer_programs,
    ),
    Rule(
        "K3",
        KNOWN_DEFECT,
        "divergences.md B15",
        "`0`/`1` in the original where the contract has the boolean of the same truth",
        _k3_booleans,
    ),
    Rule(
        "K4",
        KNOWN_DEFECT,
        "divergences.md B17",
        'milestone `action` `null` in the original where the contract defaults to `"issue"`',
        _k4_milestone_action,
    ),
)

IGNORED = (
    (
        "H1",
        "divergences.md C15; README §1",
        "absolute URLs: each side's own base URL (scheme, host, port) is replaced by `{base}` "
        "before comparing",
    ),
)


def classify(difference: Difference, context: Context) -> Difference:
    for rule in RULES:
        if rule.applies(difference, context):
            return Difference(**{**difference.__dict__, "kind": rule.kind, "rule": rule.id})
    return difference


# --- the report --------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    routes: Counter[str] = field(default_factory=Counter)  # route template -> requests
    differences: list[Difference] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.routes.values())

    @property
    def real(self) -> list[Difference]:
        return [d for d in self.differences if d.kind == REAL]

    @property
    def ok(self) -> bool:
        return not self.real

    def counts(self) -> Counter[tuple[str, str]]:
        """(class, rule) -> number of differences."""
        return Counter((d.kind, d.rule) for d in self.differences)

    def render(self, first: int = 3) -> str:
        lines = [f"verify: {self.requests} requests over {len(self.routes)} routes"]
        lines += [f"  {count:6d}  {route}" for route, count in sorted(self.routes.items())]
        lines.append("differences by class:")
        counts = self.counts()
        for kind in CLASSES:
            rules = {rule: n for (k, rule), n in counts.items() if k == kind}
            detail = ", ".join(f"{rule}: {n}" for rule, n in sorted(rules.items()) if rule)
            total = sum(rules.values())
            lines.append(f"  {kind}: {total}" + (f" ({detail})" if detail else ""))
        unanswered = sorted({d.path for d in self.differences if d.rule == "K6"})
        if unanswered:
            lines.append(f"not compared, the original failed (K6): {len(unanswered)} requests")
            lines += [f"    GET {path}" for path in unanswered[:first]]
        by_route: dict[str, list[Difference]] = {}
        for d in self.real:
            by_route.setdefault(d.route, []).append(d)
        if by_route:
            lines.append(f"real differences (first {first} per route):")
        for route, found in sorted(by_route.items()):
            lines.append(f"  {route}: {len(found)}")
            for d in found[:first]:
                lines.append(
                    f"    GET {d.path} {d.where}: original {_short(d.original)}"
                    f" / ours {_short(d.ours)}"
                )
        lines.append(f"result: {'OK' if self.ok else 'FAILED'} in {self.elapsed:.1f} s")
        return "\n".join(lines)


def _short(value: Any, limit: int = 120) -> str:
    text = value if value is MISSING else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def verify(
    original: Endpoint | RecordedDir | Fetcher,
    ours: Endpoint | Fetcher | None,
    *,
    record_to: Path | None = None,
) -> VerifyReport:
    """Walk both APIs, compare every answer pair, classify each difference.

    `ours=None` walks the original only (to record it: `record_to`), and reports nothing.
    """
    started = time.monotonic()
    left = fetcher_for(original)
    if record_to is not None:
        left = Recorder(left, record_to)
    right = fetcher_for(ours) if ours is not None else None
    bases = tuple(b for b in (left.base_url, right.base_url if right else "") if b)
    report = VerifyReport()
    answers: tuple[dict[str, Answer], dict[str, Answer]] = ({}, {})
    raw: list[Difference] = []
    walk = Walk()
    walk.start()
    index = 0
    while True:
        while index < len(walk.queue):
            request = walk.queue[index]
            index += 1
            report.routes[request.route] += 1
            mine = right.get(request.path) if right else NOT_RECORDED
            added = request.route in CONTRACT_ONLY
            theirs = NOT_RECORDED if added else left.get(request.path)
            theirs = Answer(theirs.status, strip_base(theirs.body, bases))
            mine = Answer(mine.status, strip_base(mine.body, bases))
            answers[0][request.path], answers[1][request.path] = theirs, mine
            walk.discover(request, (theirs.body, mine.body))
            if right is None:
                continue
            if request.route in CONTRACT_ONLY:
                if mine.status != 200:
                    raw.append(Difference(request.route, request.path, "status", None, mine.status))
                else:
                    raw.append(Difference(request.route, request.path, "route", MISSING, 200))
                continue
            if theirs.status != mine.status:
                raw.append(
                    Difference(request.route, request.path, "status", theirs.status, mine.status)
                )
            raw.extend(
                Difference(request.route, request.path, where, a, b)
                for where, a, b in diff(theirs.body, mine.body)
            )
        if not walk.finish():
            break
    context = Context(answers[0], answers[1])
    report.differences = [
        d if d.where == "status" and d.route in CONTRACT_ONLY else classify(d, context) for d in raw
    ]
    report.elapsed = time.monotonic() - started
    return report


# --- command line ------------------------------------------------------------------------------


def add_verify_parser(subparsers: Any) -> argparse.ArgumentParser:
    """The `verify` sub-command of `python -m migrate` (its function: run_verify)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "verify",
        help="compare every GET route of the original and ours",
        description="Walk every system of both APIs, compare every GET answer, classify the "
        "differences; exit 1 on a real difference (docs/migration.md, Verify).",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--original", metavar="URL", help="the original's base URL")
    source.add_argument(
        "--original-recorded", metavar="DIR", type=Path, help="the original's recorded answers"
    )
    parser.add_argument("--original-key", default="master", help="key for the original (master)")
    parser.add_argument(
        "--original-secret",
        default=os.environ.get("ORIGINAL_SECRET"),
        help="its secret (default: env ORIGINAL_SECRET)",
    )
    parser.add_argument("--ours", metavar="URL", help="our base URL (omit with --record)")
    parser.add_argument("--ours-key", default="master", help="key for ours (master)")
    parser.add_argument(
        "--ours-secret",
        default=os.environ.get("MASTER_SECRET"),
        help="its secret (default: env MASTER_SECRET)",
    )
    parser.add_argument(
        "--record", metavar="DIR", type=Path, help="also write the original's answers to DIR"
    )
    parser.add_argument("--first", type=int, default=3, help="differences shown per route (3)")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for an answer (30)"
    )
    parser.set_defaults(run=run_verify)
    return parser


def run_verify(args: argparse.Namespace) -> int:
    if args.original is not None:
        if not args.original_secret:
            raise SystemExit("verify: no secret for the original (--original-secret)")
        original: Endpoint | RecordedDir = Endpoint(
            args.original, args.original_key, args.original_secret, args.timeout
        )
    else:
        original = RecordedDir(args.original_recorded)
    ours = None
    if args.ours is not None:
        if not args.ours_secret:
            raise SystemExit("verify: no secret for ours (--ours-secret or MASTER_SECRET)")
        ours = Endpoint(args.ours, args.ours_key, args.ours_secret, args.timeout)
    elif args.record is None:
        raise SystemExit("verify: --ours is required unless --record is given")
    report = verify(original, ours, record_to=args.record)
    if ours is None:
        print(f"recorded {report.requests} answers to {args.record}")
        return 0
    print(report.render(args.first))
    return 0 if report.ok else 1
