"""Compact JWS signing and verification, and body hashes.

One module signs. `compact_jws` builds every compact JWS the service issues: HMAC tokens
(request auth verifies tokens made by clients, webhook delivery signs tokens for receivers, the
local tooling signs requests) and the public-key signatures of Open Badges documents, whose
signature comes from the key service (`badgekit.store.signing_keys` signs; the private half of
those keys never leaves it). Verification here is HMAC only, so a token a client sends can never
select `none` or a public-key algorithm (spec auth.md §3). The RSA public-key helpers turn the
key service's DER public key into the forms documents publish (PEM, JWK, RFC 7638 thumbprint).
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
    return compact_jws(header, claims, lambda data: hmac_digest(secret, data, algorithm))


def compact_jws(
    header: Mapping[str, Any], payload: Mapping[str, Any], signer: Callable[[bytes], bytes]
) -> str:
    """`BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)` (RFC 7515 §7.1), the
    signature being `signer(signing input as ASCII bytes)`."""
    signing_input = ".".join(
        b64url_encode(json.dumps(part, separators=(",", ":")).encode())
        for part in (header, payload)
    )
    return f"{signing_input}.{b64url_encode(signer(signing_input.encode('ascii')))}"


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


# --- RSA public keys as documents publish them ---------------------------------------------------


def public_pem(der: bytes) -> str:
    """A DER SubjectPublicKeyInfo (what the key service returns) as PEM text."""
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN PUBLIC KEY-----", *lines, "-----END PUBLIC KEY-----"]) + "\n"


def rsa_public_jwk(der: bytes) -> dict[str, str]:
    """The JWK (RFC 7517: `kty`, `n`, `e`) of a DER SubjectPublicKeyInfo holding an RSA key."""
    spki = _der_sequence(_der_read(der, 0)[0])
    algorithm, bit_string = spki[0], spki[1]
    if _RSA_OID not in algorithm:
        raise ValueError("not an RSA public key")
    # The bit string's first octet counts unused bits (0); the rest is an RSAPublicKey SEQUENCE.
    rsa_key = _der_sequence(_der_read(bit_string, 1)[0])
    modulus, exponent = (int.from_bytes(part, "big") for part in rsa_key[:2])
    return {
        "kty": "RSA",
        "n": b64url_encode(_unsigned(modulus)),
        "e": b64url_encode(_unsigned(exponent)),
    }


def jwk_thumbprint(jwk: Mapping[str, str]) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) of an RSA JWK: a key's stable `kid`."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    return b64url_encode(hashlib.sha256(canonical.encode()).digest())


_RSA_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1 rsaEncryption


def _unsigned(number: int) -> bytes:
    return number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")


def _der_read(data: bytes, at: int) -> tuple[bytes, int]:
    """(contents of the TLV at `at`, offset after it)."""
    length = data[at + 1]
    at += 2
    if length & 0x80:
        size = length & 0x7F
        length = int.from_bytes(data[at : at + size], "big")
        at += size
    return data[at : at + length], at + length


def _der_sequence(contents: bytes) -> list[bytes]:
    """The contents of every TLV inside a SEQUENCE's contents."""
    parts = []
    at = 0
    while at < len(contents):
        part, at = _der_read(contents, at)
        parts.append(part)
    return parts
