"""Compact JWS (HMAC) signing and verification, and body hashes.

One helper for both directions: request auth verifies tokens made by clients, webhook delivery
signs tokens for receivers, and the local tooling signs requests. Only HMAC algorithms exist
here, so a token can never select `none` or a public-key algorithm (spec auth.md §3).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

HMAC_ALGORITHMS: dict[str, Callable[..., Any]] = {
    "HS256": hashlib.sha256,
    "HS384": hashlib.sha384,
    "HS512": hashlib.sha512,
}

# Body-hash algorithm names accepted in the `body.alg` claim (matched case-insensitively).
BODY_HASH_ALGORITHMS = ("sha256", "sha1", "sha224", "sha384", "sha512", "md5")


class TokenDecodeError(ValueError):
    """The token is not three base64url parts with a JSON object header."""


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not _B64URL_CHARS.issuperset(text):
        raise TokenDecodeError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenDecodeError(str(exc)) from exc


_B64URL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


def body_hash(body: bytes, algorithm: str = "sha256") -> str:
    """Lowercase hex digest of the raw body; `algorithm` must be in BODY_HASH_ALGORITHMS."""
    name = algorithm.lower()
    if name not in BODY_HASH_ALGORITHMS:
        raise ValueError(f"unsupported hash algorithm: {algorithm}")
    return hashlib.new(name, body).hexdigest()


def sign(claims: Mapping[str, Any], secret: str, algorithm: str = "HS256") -> str:
    """Return a compact JWS of `claims` signed with `secret`."""
    header = {"alg": algorithm, "typ": "JWT"}
    signing_input = ".".join(
        b64url_encode(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    return f"{signing_input}.{b64url_encode(_mac(algorithm, secret, signing_input))}"


def _mac(algorithm: str, secret: str, signing_input: str) -> bytes:
    return hmac_digest(secret, signing_input.encode("ascii"), algorithm)


def hmac_digest(secret: str, data: bytes, algorithm: str = "HS256") -> bytes:
    """HMAC of `data` keyed with the secret's UTF-8 bytes (JWS and webhook signatures)."""
    return hmac.new(secret.encode(), data, HMAC_ALGORITHMS[algorithm]).digest()


class DecodedToken:
    """A token split into parts; claims are unverified until `signature_valid` says so."""

    def __init__(self, token: str) -> None:
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenDecodeError("expected three parts")
        self.header_b64, self.payload_b64, self.signature_b64 = parts
        header = _json_or_none(b64url_decode(self.header_b64))
        if not isinstance(header, dict):
            raise TokenDecodeError("header is not a JSON object")
        self.header: dict[str, Any] = header
        # The payload is decoded separately: "not JSON" and "not an object" have different
        # messages in the verification table (auth.md §4 steps 2-3).
        self.payload_bytes = b64url_decode(self.payload_b64)
        self.signature = b64url_decode(self.signature_b64)

    def signature_valid(self, secret: str) -> bool:
        algorithm = self.header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in HMAC_ALGORITHMS:
            return False
        expected = _mac(algorithm, secret, f"{self.header_b64}.{self.payload_b64}")
        return hmac.compare_digest(expected, self.signature)


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def authorization_header(token: str) -> str:
    return f'JWT token="{token}"'


def request_claims(
    method: str, path: str, body: bytes | None, key: str = "master", exp: int | None = None
) -> dict[str, Any]:
    """Claims for signing one API request (what the official clients send)."""
    claims: dict[str, Any] = {"key": key, "method": method.upper(), "path": path}
    if exp is not None:
        claims["exp"] = exp
    if method.upper() not in ("GET", "DELETE", "HEAD"):
        claims["body"] = {"alg": "sha256", "hash": body_hash(body or b"")}
    return claims
