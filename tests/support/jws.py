"""Reading and checking the compact JWSs the public documents serve (signed Open Badges 2.0
assertions), as a verifier does: the parts before any check, and the claims verified with the
`publicKeyPem` of the assertion's `CryptographicKey`."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization


def unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(JOSE header, payload) of a compact JWS, its signature not checked."""
    header = jwt.get_unverified_header(token)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return header, payload


def pem_verified(token: str, public_key_pem: str) -> dict[str, Any]:
    """The claims of an RS256 compact JWS, verified with a PEM public key."""
    public_key = serialization.load_pem_public_key(public_key_pem.encode())
    claims: dict[str, Any] = jwt.decode(token, public_key, algorithms=["RS256"])  # type: ignore[arg-type]
    return claims
