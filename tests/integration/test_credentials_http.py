"""Open Badges 3.0 credentials over real HTTP against the local stack (docs/open-badges.md):
award, then the credential at its public URL (and the documents it points to), the `award`
webhook's `credentialUrl`, the negotiated VC-JWT form, and the `410` once revoked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import jwt
import requests
from pyld import jsonld

from tests.support.client import ApiClient
from tests.support.receiver import receiving, wait_for
from tests.unit.test_credentials import expand, options, terms

Unique = Callable[..., str]
VC2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EMAIL = "brian@example.org"


def make_tree(api: ApiClient, unique: Unique) -> tuple[str, str]:
    """A system with an issuer; a badge under the issuer. Its (system slug, badge path)."""
    system, issuer, badge = unique("sys"), unique("iss"), unique("badge")
    body = {"slug": system, "name": "Chicago", "url": "http://example.org", "email": "c@x.org"}
    assert api.post("/systems", json=body).status_code == 201
    library = {"slug": issuer, "name": "Library", "url": "http://lib.org"}
    assert api.post(f"/systems/{system}/issuers", json=library).status_code == 201
    badge_body = {
        "slug": badge,
        "name": "Reader",
        "earnerDescription": "You read.",
        "consumerDescription": "The earner read five books.",
        "criteriaUrl": "http://example.org/reader/criteria",
        "unique": False,
        "imageUrl": "http://example.org/reader.png",
        "criteria": [{"description": "Read five books", "required": True}],
        "alignments": [{"name": "RL.5.10", "url": "http://example.org/rl-5-10"}],
        "tags": ["reading"],
    }
    path = f"/systems/{system}/issuers/{issuer}/badges"
    assert api.post(path, json=badge_body).status_code == 201
    return system, f"{path}/{badge}"


def test_award_then_credential_then_revoke(api: ApiClient, unique: Unique) -> None:
    system, badge = make_tree(api, unique)
    issuer_url = (
        f"{api.base_url}{badge.split('/badges/')[0].replace('/systems', '/public/systems')}"
    )
    with receiving() as receiver:
        hook = {"url": receiver.url + f"/{system}", "secret": "s3cret"}
        assert api.post(f"/systems/{system}/webhooks", json=hook).status_code == 201
        reply = api.post(f"{badge}/instances", json={"email": EMAIL, "expires": 1893456000})
        assert reply.status_code == 201, reply.text
        instance: dict[str, Any] = reply.json()["instance"]
        slug = instance["slug"]
        credential_url = f"{api.base_url}/public/credentials/{slug}"
        (award,) = wait_for(lambda: receiver.at(f"/{system}"), "the award webhook")
        payload = json.loads(award.body)
        assert payload["credentialUrl"] == credential_url
        assert payload["assertionUrl"] == instance["assertionUrl"]

    response = requests.get(credential_url, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vc+ld+json"
    assert response.headers["Vary"] == "Accept"
    document = response.json()
    hosted = requests.get(
        instance["assertionUrl"], headers={"Accept": "application/ld+json"}, timeout=10
    ).json()
    salt = hosted["recipient"]["salt"]
    assert document == {
        "@context": [VC2, OB3],
        "id": credential_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Reader",
        "issuer": {
            "id": issuer_url,
            "type": ["Profile"],
            "name": "Library",
            "url": "http://lib.org",
            "email": "c@x.org",
        },
        "validFrom": instance["issuedOn"],
        "validUntil": "2030-01-01T00:00:00.000Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    # the hosted OB 2.0 assertion's salted hash
                    "identityHash": hosted["recipient"]["identity"],
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": {
                "id": hosted["badge"],
                "type": ["Achievement"],
                "name": "Reader",
                "description": "The earner read five books.",
                "criteria": {
                    "id": "http://example.org/reader/criteria",
                    "narrative": "- Read five books",
                },
                "image": {"id": "http://example.org/reader.png", "type": "Image"},
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "RL.5.10",
                        "targetUrl": "http://example.org/rl-5-10",
                    }
                ],
                "tag": ["reading"],
            },
        },
        "credentialStatus": {
            "id": f"{api.base_url}/public/systems/{system}/credentials/status",
            "type": "1EdTechRevocationList",
        },
    }
    digest = hashlib.sha256((EMAIL + salt).encode()).hexdigest()
    assert hosted["recipient"]["identity"] == f"sha256${digest}"
    # The issuer profile and the achievement are the public documents the assertion links to.
    for url in (document["issuer"]["id"], document["credentialSubject"]["achievement"]["id"]):
        assert requests.get(url, timeout=10).status_code == 200

    # The VC-JWT form verifies with nothing but the public JWK its `kid` names, and carries
    # the same credential; the JSON served expands with the offline contexts, no term dropped.
    signed = requests.get(credential_url, headers={"Accept": "application/vc+jwt"}, timeout=10)
    assert (signed.status_code, signed.headers["Content-Type"]) == (200, "application/vc+jwt")
    header = jwt.get_unverified_header(signed.text)
    assert (header["alg"], header["typ"]) == ("RS256", "JWT")
    jwk = requests.get(header["kid"], timeout=10).json()
    public_key = jwt.PyJWK(jwk).key
    claims = jwt.decode(
        signed.text, public_key, algorithms=["RS256"], options={"verify_aud": False}
    )
    # The payload is the credential itself with the registered claims (no `sub`: the earner
    # has no id, only the salted email hash).
    assert claims == {
        **document,
        "iss": issuer_url,
        "jti": credential_url,
        "nbf": claims["nbf"],
        "exp": 1893456000,  # validUntil 2030-01-01
    }
    assert claims["nbf"] == int(
        datetime.fromisoformat(document["validFrom"].replace("Z", "+00:00")).timestamp()
    )
    compacted = jsonld.compact(expand(document), {"@context": [VC2, OB3]}, options(document))
    assert terms(compacted) == terms(document)
    status_url = document["credentialStatus"]["id"]
    assert credential_url not in json.dumps(requests.get(status_url, timeout=10).json())

    assert api.delete(f"{badge}/instances/{EMAIL.replace('@', '%40')}").status_code == 200
    for accept in ("application/vc+ld+json", "application/jwt"):
        gone = requests.get(credential_url, headers={"Accept": accept}, timeout=10)
        assert gone.status_code == 410
        assert gone.json() == {
            "@context": [VC2, OB3],
            "id": credential_url,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "revoked": True,
        }
    # Revoked: listed in the system's status list (by credential id), and verifiers reading
    # only that list see it.
    status = requests.get(status_url, timeout=10).json()
    assert [entry["id"] for entry in status["revokedCredentials"]] == [credential_url]


def test_unknown_credential_is_404(api: ApiClient) -> None:
    response = requests.get(f"{api.base_url}/public/credentials/nope", timeout=10)
    assert (response.status_code, response.json()) == (
        404,
        {"code": "ResourceNotFound", "message": "Could not find badge instance"},
    )
