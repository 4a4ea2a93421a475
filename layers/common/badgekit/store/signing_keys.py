"""The signing keys: asymmetric keys in AWS KMS (the private half never leaves the key
service) and their public halves, recorded in the table by `kid` (docs/open-badges.md "Keys").

`SIGNING_KEY_ID` names the key in use (the template's `SigningKey`; locally the key the local
stack created in its embedded KMS). `current()` asks KMS for its public half once per process,
derives its `kid` (the RFC 7638 thumbprint of its JWK) and records it at `keys.signing_key(kid)`
unless it is already there; after a rotation the old keys' records stay, so their documents
stay published and what they signed stays verifiable. `sign` asks KMS to sign a SHA-256 digest
(RSASSA-PKCS1-v1_5, JOSE `RS256`). One KMS client per process, as `db` keeps one for DynamoDB.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any, TypedDict

import boto3
from botocore.config import Config

from badgekit import signing, timestamps
from badgekit.store import db, keys
from badgekit.store.records import optional, record

ENTITY = "signingKey"
JOSE_ALGORITHM = "RS256"
KMS_ALGORITHM = "RSASSA_PKCS1_V1_5_SHA_256"


class SigningKeyRecord(TypedDict):
    kid: str
    keyArn: str  # the KMS key (not a secret: only KMS can use it, and only with kms:Sign)
    algorithm: str  # JOSE name
    publicKeyPem: str
    jwk: dict[str, str]  # kty, n, e (never `d`: KMS does not give private halves out)
    created: int


class SigningNotConfigured(RuntimeError):
    """`SIGNING_KEY_ID` is not set: this deployment signs nothing."""


_lock = threading.Lock()
_client: Any = None
_current: dict[str, SigningKeyRecord] = {}  # SIGNING_KEY_ID -> its record (once per process)


def kms() -> Any:
    """The process's KMS client (thread-safe once made)."""
    global _client
    with _lock:
        if _client is None:
            # KMS_ENDPOINT is set only by the local stack (its embedded moto server).
            endpoint = os.environ.get("KMS_ENDPOINT") or None
            config = Config(
                retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=5
            )
            _client = boto3.session.Session().client("kms", endpoint_url=endpoint, config=config)
        return _client


def reset_clients() -> None:
    """Forget the client and the keys read through it (tests switch accounts and keys)."""
    global _client
    with _lock:
        _client = None
        _current.clear()


def configured() -> bool:
    """Whether a signing key is configured (`SIGNING_KEY_ID`)."""
    return bool(os.environ.get("SIGNING_KEY_ID"))


def configured_key_id() -> str:
    key_id = os.environ.get("SIGNING_KEY_ID") or ""
    if not key_id:
        raise SigningNotConfigured("SIGNING_KEY_ID is not set")
    return key_id


def current() -> SigningKeyRecord:
    """The key in use, its public half recorded in the table (once per process and key)."""
    key_id = configured_key_id()
    cached = _current.get(key_id)
    if cached is not None:
        return cached
    answer = kms().get_public_key(KeyId=key_id)
    der = bytes(answer["PublicKey"])
    jwk = signing.rsa_public_jwk(der)
    kid = signing.jwk_thumbprint(jwk)
    found = record(
        {
            "kid": kid,
            "keyArn": str(answer["KeyId"]),
            "algorithm": JOSE_ALGORITHM,
            "publicKeyPem": signing.public_pem(der),
            "jwk": {**jwk, "kid": kid, "alg": JOSE_ALGORITHM, "use": "sig"},
            "created": timestamps.now(),
        },
        SigningKeyRecord,
    )
    _record(found)
    _current[key_id] = found
    return found


def _record(key: SigningKeyRecord) -> None:
    try:
        db.table().put_item(
            Item={**keys.signing_key(key["kid"]), "entity": ENTITY, **key},
            ConditionExpression="attribute_not_exists(PK)",
        )
    except db.client().exceptions.ConditionalCheckFailedException:
        pass  # recorded before (by another process, or before a restart): kept as it was


def get(kid: str) -> SigningKeyRecord | None:
    """A recorded key by `kid` (the current one or any earlier one)."""
    return optional(db.get(keys.signing_key(kid)), SigningKeyRecord)


def every() -> list[SigningKeyRecord]:
    """Every recorded key (one Query of their partition), in kid order."""
    items = db.query_prefix(keys.SIGNING_KEYS_PARTITION, keys.SIGNING_KEY_PREFIX)
    return [record(item, SigningKeyRecord) for item in items]


def sign(key: SigningKeyRecord, message: bytes) -> bytes:
    """KMS's RSASSA-PKCS1-v1_5 SHA-256 signature of `message` with `key` (its digest is sent,
    so the message may be larger than KMS's 4 KB)."""
    answer = kms().sign(
        KeyId=key["keyArn"],
        Message=hashlib.sha256(message).digest(),
        MessageType="DIGEST",
        SigningAlgorithm=KMS_ALGORITHM,
    )
    return bytes(answer["Signature"])
