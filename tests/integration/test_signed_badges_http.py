"""Signed Open Badges over real HTTP on the local stack, whose signing key the stack created
from the template in its embedded KMS (docs/open-badges.md): the `Accept: application/jwt`
negotiation of hosted assertions, the key documents a verifier follows (CryptographicKey, JWK,
JWKS), the issuer profile's `publicKey` and `revocationList`, the two revocation lists after a
revoke, and no private key material in the table or the stack's logs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import jwt
import pytest
import requests

from tests.integration.conftest import StackProcess, running_stack
from tests.support.client import ApiClient
from tests.support.jws import pem_verified, unverified
from tests.support.trees import Tree, created, make_badge

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
REASON = "Revoked by the issuer"


@pytest.fixture(scope="module")
def stack() -> Iterator[StackProcess]:
    """A stack of this module's own, logging everything at DEBUG, the AWS calls' bodies too
    (searched below)."""
    with running_stack({"FUNCTION_LOG_LEVEL": "DEBUG", "LOG_LEVEL": "DEBUG"}) as running:
        yield running


def get(url: str, accept: str | None = None) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return requests.get(url, headers=headers, timeout=10)


def document(url: str, accept: str | None = None, media: str = "application/json") -> Any:
    response = get(url, accept)
    assert response.status_code == 200, (url, response.text)
    assert response.headers["Content-Type"] == media, url
    return response.json()


def award(api: ApiClient, prefix: str, badge: str, email: str) -> str:
    body = {"email": email}
    return str(
        created(api.post(f"{prefix}/badges/{badge}/instances", json=body), "instance")["slug"]
    )


def signed(stack: StackProcess, slug: str) -> str:
    response = get(f"{stack.base_url}/public/assertions/{slug}", "application/jwt")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/jwt"
    assert response.headers["Vary"] == "Accept"
    return response.text


@pytest.fixture
def tree(new_tree: Callable[..., Tree], api: ApiClient) -> Tree:
    made = new_tree()
    make_badge(api, made.sys, f"{made.slug}-s")
    make_badge(api, made.prg, f"{made.slug}-p")
    return made


def test_a_signed_award_verifies_from_the_documents_it_points_to(
    stack: StackProcess, api: ApiClient, tree: Tree
) -> None:
    slug = award(api, tree.prg, f"{tree.slug}-p", "ann@example.org")
    token = signed(stack, slug)
    header, payload = unverified(token)
    assert header == {"alg": "RS256"}
    hosted = document(
        f"{stack.base_url}/public/assertions/{slug}", "application/ld+json", "application/ld+json"
    )
    creator = payload["verification"]["creator"]
    assert payload == {**hosted, "verification": {"type": "SignedBadge", "creator": creator}}

    key = document(creator, "application/ld+json", "application/ld+json")
    profile_url = f"{stack.base_url}/public/systems/{tree.slug}/issuers/library/programs/scratch"
    assert key == {
        "@context": OB2_CONTEXT,
        "type": "CryptographicKey",
        "id": creator,
        "owner": profile_url,
        "publicKeyPem": key["publicKeyPem"],
    }
    claims = pem_verified(token, key["publicKeyPem"])
    assert claims == payload
    badge = document(claims["badge"])
    assert badge["issuer"] == profile_url

    profile = document(profile_url, "application/ld+json", "application/ld+json")
    assert profile["publicKey"] == creator
    assert profile["revocationList"] == f"{stack.base_url}/public/systems/{tree.slug}/revocations"
    # The same key as the JWK of VC-JWTs, and in the JWK Set.
    kid = creator.rsplit("/", 1)[1]
    jwk = document(f"{stack.base_url}/public/keys/{kid}")
    assert set(jwk) == {"kty", "n", "e", "kid", "alg", "use"}
    assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"]) == payload
    assert jwk in document(f"{stack.base_url}/public/keys")["keys"]
    # JSON stays the default, and wins over a JWT asked with a lower quality than a wildcard.
    assert "uid" in document(f"{stack.base_url}/public/assertions/{slug}")
    mixed = get(f"{stack.base_url}/public/assertions/{slug}", "application/jwt;q=0.5, */*")
    assert mixed.headers["Content-Type"] == "application/json"


def test_revoked_awards_are_listed_in_both_revocation_lists(
    stack: StackProcess, api: ApiClient, tree: Tree
) -> None:
    kept = award(api, tree.sys, f"{tree.slug}-s", "kept@example.org")
    gone = award(api, tree.sys, f"{tree.slug}-s", "gone@example.org")
    program_gone = award(api, tree.prg, f"{tree.slug}-p", "gone@example.org")
    for prefix, badge in ((tree.sys, f"{tree.slug}-s"), (tree.prg, f"{tree.slug}-p")):
        assert api.delete(f"{prefix}/badges/{badge}/instances/gone@example.org").status_code == 200
    base = stack.base_url
    revoked = sorted([gone, program_gone])
    assert document(
        f"{base}/public/systems/{tree.slug}/revocations", None, "application/ld+json"
    ) == {
        "@context": OB2_CONTEXT,
        "id": f"{base}/public/systems/{tree.slug}/revocations",
        "type": "RevocationList",
        "issuer": f"{base}/public/systems/{tree.slug}",
        "revokedAssertions": [
            {"id": f"{base}/public/assertions/{slug}", "revocationReason": REASON}
            for slug in revoked
        ],
    }
    assert document(f"{base}/public/systems/{tree.slug}/credentials/status") == {
        "id": f"{base}/public/systems/{tree.slug}/credentials/status",
        "issuer": f"{base}/public/systems/{tree.slug}",
        "revokedCredentials": [
            {"id": f"{base}/public/credentials/{slug}", "revocationReason": REASON}
            for slug in revoked
        ],
    }
    tombstone = get(f"{base}/public/assertions/{gone}", "application/jwt")
    assert tombstone.status_code == 410
    assert tombstone.json() == {
        "@context": OB2_CONTEXT,
        "id": f"{base}/public/assertions/{gone}",
        "type": "Assertion",
        "revoked": True,
    }
    assert signed(stack, kept).count(".") == 2


def test_unknown_keys_and_systems_answer_404(stack: StackProcess, tree: Tree) -> None:
    base = stack.base_url
    for url, message in (
        (f"{base}/public/keys/unknown", "Could not find key"),
        (f"{base}/public/systems/{tree.slug}/keys/unknown", "Could not find key"),
        (
            f"{base}/public/systems/no-{tree.slug}/revocations",
            f"Could not find system field: `slug`, value: `no-{tree.slug}`",
        ),
    ):
        response = get(url)
        assert response.status_code == 404
        assert response.json() == {"code": "ResourceNotFound", "message": message}


def test_no_private_key_material_in_the_table_or_the_logs(
    stack: StackProcess, api: ApiClient, tree: Tree
) -> None:
    slug = award(api, tree.sys, f"{tree.slug}-s", "logs@example.org")
    signed(stack, slug)
    document(f"{stack.base_url}/public/keys")
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=stack.dynamodb_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    items: list[Any] = []
    kwargs: dict[str, Any] = {"TableName": stack.table_name}
    while True:
        page = dynamodb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    table = json.dumps(items)
    keys = [item for item in items if item["PK"]["S"] == "SIGNINGKEY"]
    assert keys, "the public half is recorded"
    assert all(set(item["jwk"]["M"]) == {"kty", "n", "e", "kid", "alg", "use"} for item in keys)
    logs = stack.output()
    # At DEBUG every KMS and DynamoDB call is logged with its body (botocore): the logs saw
    # the signing.
    assert "kms.GetPublicKey" in logs
    assert "kms.Sign" in logs
    for text in ("PRIVATE KEY", '"d":', '"p":', '"q":', '"dp":', '"dq":', '"qi":'):
        assert text not in table
        assert text not in logs


def test_a_restart_of_the_local_stack_rotates_the_key_and_keeps_the_old_one_published(
    tmp_path: Any,
) -> None:
    """Locally a restart creates the template's key again (a new KMS key: a rotation); the state
    folder keeps the table, so the first key's documents still answer and what it signed still
    verifies, and the profile names the new key."""
    public = "http://badges.test"
    env = {"PUBLIC_BASE_URL": public}
    args = ("--state-dir", str(tmp_path / "state"))

    def on(stack: StackProcess, url: str) -> str:
        return stack.base_url + url.removeprefix(public)

    def verify(stack: StackProcess, token: str) -> str:
        creator = unverified(token)[1]["verification"]["creator"]
        key = document(on(stack, creator), "application/ld+json", "application/ld+json")
        pem_verified(token, key["publicKeyPem"])
        return str(creator.rsplit("/", 1)[1])

    with running_stack(env, args) as first:
        api = ApiClient(first.base_url, "master", first.master_secret)
        tree = created(
            api.post("/systems", json={"slug": "rot", "name": "Rot", "url": "http://r.org"}),
            "system",
        )
        make_badge(api, f"/systems/{tree['slug']}", "rot-badge")
        old_token = signed(first, award(api, "/systems/rot", "rot-badge", "a@example.org"))
        old_kid = verify(first, old_token)
    with running_stack(env, args) as second:
        api = ApiClient(second.base_url, "master", second.master_secret)
        new_token = signed(second, award(api, "/systems/rot", "rot-badge", "b@example.org"))
        new_kid = verify(second, new_token)
        assert new_kid != old_kid
        assert verify(second, old_token) == old_kid
        kids = {key["kid"] for key in document(f"{second.base_url}/public/keys")["keys"]}
        assert kids == {old_kid, new_kid}
        profile = document(
            f"{second.base_url}/public/systems/rot", "application/ld+json", "application/ld+json"
        )
        assert profile["publicKey"] == f"{public}/public/systems/rot/keys/{new_kid}"
