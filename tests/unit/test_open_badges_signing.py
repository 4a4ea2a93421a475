"""Signed Open Badges documents on moto's KMS (docs/open-badges.md "Keys", "Signed assertions",
"Revocation lists"): JWS of OB 2.0 assertions and VC-JWTs of OB 3.0 credentials, each verified
with PyJWT + cryptography from nothing but the published public key document (CryptographicKey
PEM, JWK, JWKS); key rotation keeping old signatures verifiable; the revocation lists holding
exactly the revoked awards; and no private key material anywhere in the table or the logs."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local.inprocess import Api
from tests.support.jws import pem_verified, unverified
from tests.unit.conftest import system_body

BASE = "https://badges.example.org"
SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
PRG = f"{ISS}/programs/scratch"
BRIAN = "brian@example.org"
OB2_CONTEXT = "https://w3id.org/openbadges/v2"
JWT_ACCEPT = {"Accept": "application/jwt"}
LD = {"Accept": "application/ld+json"}


def new_key() -> str:
    """A new RSA 2048 signing key in moto's KMS, as the template declares it; its ARN."""
    metadata = boto3.client("kms").create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    return str(metadata["KeyMetadata"]["Arn"])


def use_key(monkeypatch: pytest.MonkeyPatch, arn: str) -> None:
    from badgekit.store import signing_keys

    monkeypatch.setenv("SIGNING_KEY_ID", arn)
    signing_keys.reset_clients()


@pytest.fixture
def signer(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    _ = api.gateway  # the functions loaded (badgekit importable)
    arn = new_key()
    use_key(monkeypatch, arn)
    yield arn
    from badgekit.store import signing_keys

    monkeypatch.delenv("SIGNING_KEY_ID")
    signing_keys.reset_clients()


def badge_body(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": "Chicago Badge",
        "earnerDescription": "For earners",
        "consumerDescription": "A consumer description",
        "unique": 0,
        "imageUrl": "http://example.org/test.png",
        "criteriaUrl": "http://example.org/chicagoCriteria",
    }


@pytest.fixture
def tree(api: Api, signer: str) -> Api:
    assert api.post("/systems", system_body("chicago")).status == 201
    api.post(f"{SYS}/issuers", {"slug": "library", "name": "Library", "url": "http://lib.org"})
    api.post(f"{ISS}/programs", {"slug": "scratch", "name": "Scratch", "url": "http://s.org"})
    for prefix, slug in ((SYS, "chicago-badge"), (ISS, "library-badge"), (PRG, "scratch-badge")):
        assert api.post(f"{prefix}/badges", badge_body(slug)).status == 201
    return api


def award(api: Api, prefix: str, badge: str, email: str = BRIAN) -> str:
    reply = api.post(f"{prefix}/badges/{badge}/instances", {"email": email})
    assert reply.status == 201, reply.json
    return str(reply.json["instance"]["slug"])


def raw_get(api: Api, path: str, headers: dict[str, str] | None = None) -> Any:
    """The gateway's response with its body as bytes (a JWS is not JSON)."""
    return api.gateway.dispatch(api.prepare("GET", path, headers=headers, sign=False))


def public_json(api: Api, url: str, headers: dict[str, str] | None = None) -> Any:
    reply = api.get(url.removeprefix(BASE), sign=False, headers=headers)
    assert reply.status == 200, (url, reply.status, reply.json)
    return reply.json


def signed_assertion(api: Api, slug: str) -> str:
    response = raw_get(api, f"/public/assertions/{slug}", JWT_ACCEPT)
    assert response.status == 200
    assert dict(response.headers)["Content-Type"] == "application/jwt"
    assert dict(response.headers)["Vary"] == "Accept"
    return str(response.body.decode())


def verify_ob2(api: Api, token: str) -> dict[str, Any]:
    """What a verifier of a signed 2.0 assertion does, from the published documents only:
    creator key document -> its PEM verifies the JWS; the key's owner is the badge's issuer
    profile, which lists that key as its publicKey."""
    header, claims = unverified(token)
    assert header == {"alg": "RS256"}
    creator_url = claims["verification"]["creator"]
    key_doc = public_json(api, creator_url)
    assert set(key_doc) == {"@context", "type", "id", "owner", "publicKeyPem"}
    assert key_doc["@context"] == OB2_CONTEXT
    assert key_doc["type"] == "CryptographicKey"
    assert key_doc["id"] == creator_url
    verified = pem_verified(token, key_doc["publicKeyPem"])
    badge = public_json(api, verified["badge"])
    assert key_doc["owner"] == badge["issuer"]
    return verified


def test_signed_assertion_verifies_with_the_issuer_profiles_published_key(tree: Api) -> None:
    for prefix, badge, profile in (
        (SYS, "chicago-badge", f"{BASE}/public/systems/chicago"),
        (ISS, "library-badge", f"{BASE}/public/systems/chicago/issuers/library"),
        (PRG, "scratch-badge", f"{BASE}/public/systems/chicago/issuers/library/programs/scratch"),
    ):
        slug = award(tree, prefix, badge)
        token = signed_assertion(tree, slug)
        claims = verify_ob2(tree, token)
        hosted = public_json(tree, f"/public/assertions/{slug}", LD)
        assert claims == {
            **hosted,
            "verification": {"type": "SignedBadge", "creator": claims["verification"]["creator"]},
        }
        kid = jwt.PyJWK(public_json(tree, "/public/keys")["keys"][0]).key_id
        assert claims["verification"]["creator"] == f"{profile}/keys/{kid}"
        # The OB 2.0 profile names that key and its system's revocation list.
        document = public_json(tree, profile, LD)
        assert document["publicKey"] == f"{profile}/keys/{kid}"
        assert document["revocationList"] == f"{BASE}/public/systems/chicago/revocations"


def test_key_documents_answer_404_for_unknown_keys_and_containers(tree: Api) -> None:
    missing = tree.get("/public/systems/chicago/keys/nope", sign=False)
    assert (missing.status, missing.json) == (
        404,
        {"code": "ResourceNotFound", "message": "Could not find key"},
    )
    jwk_missing = tree.get("/public/keys/nope", sign=False)
    assert (jwk_missing.status, jwk_missing.json) == (
        404,
        {"code": "ResourceNotFound", "message": "Could not find key"},
    )
    kid = public_json(tree, "/public/keys")["keys"][0]["kid"]
    no_issuer = tree.get(f"/public/systems/chicago/issuers/nope/keys/{kid}", sign=False)
    assert (no_issuer.status, no_issuer.json) == (
        404,
        {
            "code": "ResourceNotFound",
            "message": "Could not find issuer field: `slug`, value: `nope`",
        },
    )


def test_vc_jwt_follows_the_ob3_proof_format_and_verifies_with_the_published_jwk(
    tree: Api,
) -> None:
    from badgekit.domain import credentials_signing

    credential = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"{BASE}/public/credentials/abc123",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": f"{BASE}/public/systems/chicago", "type": ["Profile"], "name": "Chicago"},
        "validFrom": "2024-06-10T14:02:57Z",
        "validUntil": "2030-01-01T00:00:00Z",
        "credentialSubject": {"id": "mailto:brian@example.org", "type": ["AchievementSubject"]},
    }
    token = credentials_signing.sign_credential("chicago", credential)
    header, _ = unverified(token)
    assert set(header) == {"alg", "typ", "kid"}
    assert header["alg"] == "RS256"
    assert header["typ"] == "JWT"
    assert header["kid"].startswith(f"{BASE}/public/keys/")
    jwk = public_json(tree, header["kid"])
    assert set(jwk) == {"kty", "n", "e", "kid", "alg", "use"}  # never "d"
    assert header["kid"].endswith("/" + jwk["kid"])
    claims = jwt.decode(
        token,
        jwt.PyJWK(jwk).key,
        algorithms=["RS256"],
        options={"verify_exp": True, "verify_nbf": True},
    )
    # The payload is the credential itself (Verifiable Credentials 2.0) with the claims.
    assert claims == {
        **credential,
        "iss": f"{BASE}/public/systems/chicago",
        "jti": f"{BASE}/public/credentials/abc123",
        "sub": "mailto:brian@example.org",
        "nbf": 1718028177,
        "exp": 1893456000,
    }
    # The JWKS holds the same key.
    assert public_json(tree, "/public/keys") == {"keys": [jwk]}


def test_vc_jwt_leaves_out_claims_the_credential_has_no_value_for(tree: Api) -> None:
    from badgekit.domain import credentials_signing

    credential = {
        "id": f"{BASE}/public/credentials/x",
        "issuer": f"{BASE}/public/systems/chicago",
        "validFrom": "2024-06-10T14:02:57+00:00",
        "credentialSubject": {"type": ["AchievementSubject"]},
    }
    token = credentials_signing.sign_credential("chicago", credential)
    jwk = public_json(tree, jwt.get_unverified_header(token)["kid"])
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"])
    assert claims == {
        **credential,
        "iss": f"{BASE}/public/systems/chicago",
        "jti": f"{BASE}/public/credentials/x",
        "nbf": 1718028177,
    }


def test_a_large_document_is_signed_by_digest(tree: Api) -> None:
    """KMS takes at most 4 KB of message: the digest is sent, so size does not matter."""
    from badgekit.domain import credentials_signing

    credential = {
        "id": f"{BASE}/public/credentials/big",
        "issuer": {"id": f"{BASE}/public/systems/chicago"},
        "validFrom": "2024-06-10T14:02:57Z",
        "description": "é" * 20_000,
    }
    token = credentials_signing.sign_credential("chicago", credential)
    jwk = public_json(tree, jwt.get_unverified_header(token)["kid"])
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"])
    assert {k: v for k, v in claims.items() if k in credential} == credential


def test_rotation_keeps_what_the_old_key_signed_verifiable(
    tree: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from badgekit.domain import credentials_signing

    first = award(tree, SYS, "chicago-badge")
    old_token = signed_assertion(tree, first)
    credential = {
        "id": f"{BASE}/public/credentials/{first}",
        "issuer": {"id": f"{BASE}/public/systems/chicago"},
        "validFrom": "2024-06-10T14:02:57Z",
    }
    old_vc = credentials_signing.sign_credential("chicago", credential)
    old_kid = jwt.PyJWK(public_json(tree, "/public/keys")["keys"][0]).key_id

    use_key(monkeypatch, new_key())  # the template's key replaced: a new process, a new key
    second = award(tree, SYS, "chicago-badge", "ann@example.org")
    new_token = signed_assertion(tree, second)
    new_vc = credentials_signing.sign_credential("chicago", credential)
    new_kid = jwt.get_unverified_header(new_vc)["kid"].rsplit("/", 1)[1]
    assert new_kid != old_kid

    # Both signatures of each kind verify from what is published now.
    verify_ob2(tree, old_token)
    verify_ob2(tree, new_token)
    assert unverified(old_token)[1]["verification"]["creator"].endswith(f"/keys/{old_kid}")
    for token in (old_vc, new_vc):
        jwk = public_json(tree, jwt.get_unverified_header(token)["kid"])
        claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"])
        assert {k: v for k, v in claims.items() if k in credential} == credential
    assert sorted(k["kid"] for k in public_json(tree, "/public/keys")["keys"]) == sorted(
        [old_kid, new_kid]
    )
    # The profile now names the new key (the 1EdTech validator accepts exactly one).
    profile = public_json(tree, "/public/systems/chicago", LD)
    assert profile["publicKey"] == f"{BASE}/public/systems/chicago/keys/{new_kid}"


def test_revoked_awards_are_in_both_lists_and_nowhere_else(tree: Api) -> None:
    kept = award(tree, SYS, "chicago-badge")
    revoked_system = award(tree, SYS, "chicago-badge", "ann@example.org")
    revoked_program = award(tree, PRG, "scratch-badge")
    assert tree.delete(f"{SYS}/badges/chicago-badge/instances/ann@example.org").status == 200
    assert tree.delete(f"{PRG}/badges/scratch-badge/instances/{BRIAN}").status == 200
    # Another system's revocations stay in its own lists.
    assert tree.post("/systems", system_body("other")).status == 201
    assert tree.post("/systems/other/badges", badge_body("other-badge")).status == 201
    elsewhere = award(tree, "/systems/other", "other-badge")
    assert tree.delete(f"/systems/other/badges/other-badge/instances/{BRIAN}").status == 200

    revocations = tree.get("/public/systems/chicago/revocations", sign=False)
    assert revocations.status == 200
    assert revocations.headers["Content-Type"] == "application/ld+json"
    revoked = sorted([revoked_system, revoked_program])
    assert revocations.json == {
        "@context": OB2_CONTEXT,
        "id": f"{BASE}/public/systems/chicago/revocations",
        "type": "RevocationList",
        "issuer": f"{BASE}/public/systems/chicago",
        "revokedAssertions": [
            {"id": f"{BASE}/public/assertions/{slug}", "revocationReason": "Revoked by the issuer"}
            for slug in revoked
        ],
    }
    status = tree.get("/public/systems/chicago/credentials/status", sign=False)
    assert status.status == 200
    assert status.headers["Content-Type"] == "application/json"
    assert status.json == {
        "id": f"{BASE}/public/systems/chicago/credentials/status",
        "issuer": f"{BASE}/public/systems/chicago",
        "revokedCredentials": [
            {"id": f"{BASE}/public/credentials/{slug}", "revocationReason": "Revoked by the issuer"}
            for slug in revoked
        ],
    }
    other = public_json(tree, "/public/systems/other/revocations")["revokedAssertions"]
    assert other == [
        {"id": f"{BASE}/public/assertions/{elsewhere}", "revocationReason": "Revoked by the issuer"}
    ]
    assert kept not in json.dumps([revocations.json, status.json])
    # A signed request for a revoked award answers the 2.0 tombstone.
    gone = raw_get(tree, f"/public/assertions/{revoked_system}", JWT_ACCEPT)
    assert gone.status == 410
    assert json.loads(gone.body) == {
        "@context": OB2_CONTEXT,
        "id": f"{BASE}/public/assertions/{revoked_system}",
        "type": "Assertion",
        "revoked": True,
    }


def test_revocation_lists_of_an_unknown_system_answer_404(tree: Api) -> None:
    for path in ("revocations", "credentials/status", "keys/some-kid"):
        reply = tree.get(f"/public/systems/nowhere/{path}", sign=False)
        assert (reply.status, reply.json) == (
            404,
            {
                "code": "ResourceNotFound",
                "message": "Could not find system field: `slug`, value: `nowhere`",
            },
        )


def test_a_system_delete_removes_its_revocations(tree: Api, aws: Any) -> None:
    award(tree, SYS, "chicago-badge")
    assert tree.delete(f"{SYS}/badges/chicago-badge/instances/{BRIAN}").status == 200
    assert tree.delete(SYS).status == 200
    items = aws.scan(TableName="badgekit-unit")["Items"]
    assert [item for item in items if item["SK"]["S"].startswith("REVOCATION#")] == []


def test_no_private_key_material_in_the_table_or_the_logs(
    tree: Api, aws: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """KMS never gives a private half out; this proves nothing of it is written anywhere: the
    whole table and every log record after signing are searched for PEM private keys, JWK
    private members and the key's private numbers (taken from moto's own copy of the key)."""
    from moto.kms.models import kms_backends

    caplog.set_level(logging.DEBUG)
    slug = award(tree, SYS, "chicago-badge")
    signed_assertion(tree, slug)
    public_json(tree, "/public/keys")
    public_json(tree, "/public/systems/chicago", LD)
    assert tree.delete(f"{SYS}/badges/chicago-badge/instances/{BRIAN}").status == 200

    (key,) = [k for k in kms_backends["123456789012"]["us-east-1"].keys.values()]
    private = key.private_key.private_key
    assert isinstance(private, rsa.RSAPrivateKey)
    numbers = private.private_numbers()
    forbidden = ["PRIVATE KEY", '"d":', '"p":', '"q":', '"dp":', '"dq":', '"qi":']
    for number in (numbers.d, numbers.p, numbers.q, numbers.dmp1, numbers.dmq1, numbers.iqmp):
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
        forbidden += [
            str(number),
            format(number, "x"),
            base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
            base64.b64encode(raw).decode()[:40],
        ]
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    forbidden.append(pem.splitlines()[1])
    table_text = json.dumps(aws.scan(TableName="badgekit-unit")["Items"])
    assert "SIGNINGKEY" in table_text  # the public half was recorded
    logs = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    for text in forbidden:
        assert text not in table_text
        assert text not in logs


def test_a_revoke_records_its_revocation_in_its_one_transaction(tree: Api) -> None:
    """The revocation lists cost the revoke no round trip: its one TransactWriteItems carries
    the entry (a revoke without it would have the same calls)."""
    from tests.support.meter import metered

    slug = award(tree, SYS, "chicago-badge")
    with metered() as meter:
        replies = []
        calls = meter.during(
            lambda: replies.append(tree.delete(f"{SYS}/badges/chicago-badge/instances/{BRIAN}"))
        )
    assert replies[0].status == 200
    assert calls.count("TransactWriteItems") == 1
    assert set(calls) <= {"TransactWriteItems", "GetItem", "BatchGetItem", "Query"}
    listed = public_json(tree, "/public/systems/chicago/revocations")["revokedAssertions"]
    assert listed == [
        {"id": f"{BASE}/public/assertions/{slug}", "revocationReason": "Revoked by the issuer"}
    ]
