"""Per-request JWT verification, exactly as spec auth.md §4 orders and words it.

The token policy (auth.md §3.1) decides how `exp` is read and whether a `jti` makes a token
single-use. Everything that needs storage is injected (key and system lookups, the `jti` store),
so this module stays pure: the caller (api.build_handler) wires DynamoDB in.
"""

from __future__ import annotations

import hmac
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from badgekit import signing
from badgekit.errors import NotAuthorized
from badgekit.http.request import normalise_path

_HEADER = re.compile(r'JWT token="(.+?)"')
_NUMERIC = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")
_BODYLESS = ("GET", "DELETE", "HEAD")
DEFAULT_MAX_LIFETIME = 86_400
MAX_JTI_LENGTH = 128
# `exp` with 13 or more digits is in milliseconds under `strict` (the Node client's Date.now()).
_MILLISECONDS_FROM = 10**12


@dataclass(frozen=True)
class Principal:
    """Who signed the request: the master key (system_id None) or a consumer of one system."""

    key: str
    system_id: int | None

    @property
    def is_master(self) -> bool:
        return self.system_id is None


@dataclass(frozen=True)
class Credentials:
    secret: str | None
    system_id: int | None


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str  # the resource path (event["path"]), percent-encoded as sent
    query: Mapping[str, Sequence[str]]  # multiValueQueryStringParameters, decoded
    body: bytes
    authorization: str | None
    system_slug: str | None  # the {systemSlug} of the route, decoded, if it has one


@dataclass(frozen=True)
class TokenPolicy:
    """auth.md §3.1: `strict` (the default) or `legacy` (the original's behaviour)."""

    strict: bool = True
    max_lifetime: int = DEFAULT_MAX_LIFETIME  # seconds; strict only


STRICT = TokenPolicy()
LEGACY = TokenPolicy(strict=False)

# key -> credentials (None when unknown); system slug -> system id (None when unknown)
KeyLookup = Callable[[str], Credentials | None]
SystemLookup = Callable[[str], int | None]
# (key, jti, expires_at, now) -> True the first time, False when that key already used that jti
# and the token that did has not expired (expires_at: the token's exp in Unix seconds).
JtiStore = Callable[[str, str, int, int], bool]


def authenticate(
    request: SignedRequest,
    lookup_key: KeyLookup,
    lookup_system: SystemLookup,
    now: int,
    *,
    policy: TokenPolicy = STRICT,
    consume_jti: JtiStore,
    system_exists: Callable[[int], bool] = lambda _system_id: True,
) -> Principal:
    """Verify the request's token; raise NotAuthorized with the first failing step's message."""
    match = _HEADER.fullmatch(request.authorization or "")
    if not match:
        raise NotAuthorized("Missing valid Authorization header")
    try:
        token = signing.DecodedToken(match.group(1))
    except signing.TokenDecodeError as exc:
        raise NotAuthorized("Could not decode JWT") from exc
    claims = _claims(token)

    claimed_method = claims.get("method")
    if not claimed_method:
        raise NotAuthorized("Missing JWT claim: method")
    method = request.method.upper()
    if str(claimed_method).upper() != method:
        raise NotAuthorized(
            f'`method` does not match: using "{claimed_method}" token for "{method}" request'
        )
    claimed_path = claims.get("path")
    if not claimed_path:
        raise NotAuthorized("Missing JWT claim: path")
    if not isinstance(claimed_path, str) or not path_matches(
        claimed_path, request.path, request.query
    ):
        raise NotAuthorized(
            f'`path` does not match: trying to use token for "{claimed_path}" '
            f'on "{_request_target(request)}"'
        )
    expires_at, jti = 0, None
    if policy.strict:
        expires_at = _strict_expiry(claims, now, policy.max_lifetime)
        jti = _jti(claims)
    else:
        _legacy_expiry(claims.get("exp"), now)
    if method not in _BODYLESS:
        _check_body(claims, request.body)

    key = claims.get("key")
    if not key:
        raise NotAuthorized("Missing JWT claim: key")
    credentials = lookup_key(str(key))
    if credentials is None:
        raise NotAuthorized("Could not find consumer for API key")
    if credentials.system_id is not None:
        slug = request.system_slug
        if slug is None or lookup_system(slug) != credentials.system_id:
            if not system_exists(credentials.system_id):  # deleted: its keys are being purged
                raise NotAuthorized("Could not find consumer for API key")
            raise NotAuthorized("Invalid token for system")
    if credentials.secret is None or not token.signature_valid(credentials.secret):
        raise NotAuthorized("Invalid token signature")
    # Step 18 (strict): only a verified token may use up its jti, so a forged one never can.
    if jti is not None and not consume_jti(str(key), jti, expires_at, now):
        raise NotAuthorized("Token already used")
    return Principal(str(key), credentials.system_id)


def _claims(token: signing.DecodedToken) -> dict[str, Any]:
    try:
        payload = json.loads(token.payload_bytes)
    except ValueError as exc:
        raise NotAuthorized("Could not decode JWT") from exc
    if not isinstance(payload, dict):
        raise NotAuthorized("Missing JWT payload")
    return payload


def _strict_expiry(claims: Mapping[str, Any], now: int, max_lifetime: int) -> int:
    """Step 8 under `strict` (auth.md §3.1): the token's expiry in whole Unix seconds (rounded
    up, for remembering its jti at least that long), or NotAuthorized."""
    exp = claims.get("exp")
    if exp is None or (isinstance(exp, str) and not _NUMERIC.match(exp)):
        raise NotAuthorized("Missing JWT claim: exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float | str):
        raise NotAuthorized("Invalid JWT claim: exp")  # true/false, object, array
    value: int | float = float(exp) if isinstance(exp, str) else exp
    if isinstance(value, float) and not math.isfinite(value):
        raise NotAuthorized("Invalid JWT claim: exp")  # NaN, Infinity, 1e400 (parsed as inf)
    if value == 0:
        raise NotAuthorized("Missing JWT claim: exp")
    if abs(value) >= _MILLISECONDS_FROM:  # 13 or more digits: milliseconds, rounded down
        value = value // 1000 if isinstance(value, int) else math.floor(value / 1000)
    if value <= now:
        raise NotAuthorized(f"Token is expired (token expiry: {exp}, server time: {now}")
    if value > now + max_lifetime:
        raise NotAuthorized(f"Token lifetime exceeds {max_lifetime} seconds")
    return math.ceil(value)


def _jti(claims: Mapping[str, Any]) -> str | None:
    """Strict only: the token's `jti` (1-128 characters), None when it has none."""
    if "jti" not in claims:
        return None
    jti = claims["jti"]
    if not isinstance(jti, str) or not 1 <= len(jti) <= MAX_JTI_LENGTH:
        raise NotAuthorized("Invalid JWT claim: jti")
    return jti


def _legacy_expiry(exp: Any, now: int) -> None:
    # Absent, 0, null or non-numeric: never expires. Milliseconds (the Node client) compare as
    # seconds and so never expire either, exactly as in the original.
    if isinstance(exp, bool) or exp is None:
        return
    if isinstance(exp, str):
        if not _NUMERIC.match(exp):
            return
        value: float = float(exp)
    elif isinstance(exp, int | float):
        value = exp
    else:
        return
    if value and value <= now:
        raise NotAuthorized(f"Token is expired (token expiry: {exp}, server time: {now}")


def _check_body(claims: Mapping[str, Any], body: bytes) -> None:
    if "body" not in claims and not body:
        return  # body-less POST/PUT without a body claim (auth.md §7)
    claim = claims.get("body")
    if not claim:
        raise NotAuthorized("Missing JWT claim: body")
    if not isinstance(claim, dict) or not claim.get("alg"):
        raise NotAuthorized("Missing JWT claim: body.alg")
    if not claim.get("hash"):
        raise NotAuthorized("Missing JWT claim: body.hash")
    algorithm = str(claim["alg"])
    if algorithm.lower() not in signing.BODY_HASH_ALGORITHMS:
        raise NotAuthorized(f"Could not calculate hash, unsupported algorithm: {algorithm}")
    given = str(claim["hash"])
    computed = signing.body_hash(body, algorithm)
    if not hmac.compare_digest(given.encode(), computed.encode()):
        raise NotAuthorized(f"Computed hash does not match given hash: {given} != {computed}")


def path_matches(claim: str, path: str, query: Mapping[str, Sequence[str]]) -> bool:
    """Equivalence match of auth.md §6: decoded, normalised path and the same query multimap."""
    claim_path, _, claim_query = claim.partition("?")
    if normalise_path(unquote(claim_path)) != normalise_path(unquote(path)):
        return False
    claimed: dict[str, list[str]] = {}
    for name, value in parse_qsl(claim_query, keep_blank_values=True):
        claimed.setdefault(name, []).append(value)
    return claimed == {name: list(values) for name, values in query.items()}


def _request_target(request: SignedRequest) -> str:
    pairs = [(name, value) for name, values in request.query.items() for value in values]
    return request.path + (f"?{urlencode(pairs)}" if pairs else "")
