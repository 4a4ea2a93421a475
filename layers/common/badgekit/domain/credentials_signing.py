"""Signed Open Badges documents and the key documents that verify them (docs/open-badges.md).

Scheme: one deployment signing key in AWS KMS (the template's `SigningKey`, RSA 2048, JOSE
`RS256`); its private half never leaves KMS (`badgekit.store.signing_keys`). Every issuer
profile owns its own `CryptographicKey` document for it, at `{profile URL}/keys/{kid}` (owner:
that profile), which is the profile's `publicKey` and the `creator` of the Open Badges 2.0
assertions it signs; the same key as a JWK is at `{base}/public/keys/{kid}` (the VC-JWT `kid`),
and every key ever used is in the JWKS at `{base}/public/keys`. `kid` is the key's RFC 7638
thumbprint. A rotation (a new key in the template) starts a new `kid`; the old keys stay recorded,
so their documents keep answering and what they signed keeps verifying.

Entry points for the documents' renderers: `sign_assertion` (compact JWS of an OB 2.0 assertion),
`sign_credential` (VC-JWT of an OB 3.0 credential) and `profile_keys` (the `publicKey` and
`revocationList` of an OB 2.0 issuer profile).
"""

from __future__ import annotations

from typing import Any

from badgekit import signing, timestamps
from badgekit.domain import render
from badgekit.domain.places import Place
from badgekit.errors import ResourceNotFound
from badgekit.store import signing_keys
from badgekit.store.signing_keys import SigningKeyRecord

KEYS_PATH = "/public/keys"


def key_not_found() -> ResourceNotFound:
    return ResourceNotFound("Could not find key")


# --- URLs ---------------------------------------------------------------------------------------


def key_url(profile: str, kid: str) -> str:
    """The profile's own `CryptographicKey` document of key `kid`."""
    return f"{profile}/keys/{kid}"


def jwk_url(base_url: str, kid: str) -> str:
    return f"{base_url}{KEYS_PATH}/{kid}"


def revocation_list_url(base_url: str, system_slug: str) -> str:
    return f"{base_url}/public/systems/{system_slug}/revocations"


def _base_of(url: str) -> str:
    """The deployment's base URL from one of its public document URLs."""
    base, found, _ = url.rpartition("/public/")
    if not found:
        raise ValueError(f"not a public document URL: {url!r}")
    return base


# --- signing --------------------------------------------------------------------------------------


def _compact(header: dict[str, Any], payload: dict[str, Any], key: SigningKeyRecord) -> str:
    return signing.compact_jws(header, payload, lambda data: signing_keys.sign(key, data))


def sign_assertion(system_slug: str, profile_url: str, assertion: dict[str, Any]) -> str:
    """Compact JWS (RS256) of an Open Badges 2.0 assertion, its `verification` made
    `SignedBadge` with `creator` the key document owned by the badge's issuer profile
    `profile_url` (which lists that key as its `publicKey`). One deployment key serves every
    system (`system_slug` is not used to choose it)."""
    key = signing_keys.current()
    signed = {
        **assertion,
        "verification": {"type": "SignedBadge", "creator": key_url(profile_url, key["kid"])},
    }
    return _compact({"alg": key["algorithm"]}, signed, key)


def enabled() -> bool:
    """Whether this deployment signs (its signing key is configured)."""
    return signing_keys.configured()


def sign_credential(system_slug: str, credential: dict[str, Any]) -> str:
    """VC-JWT (compact JWS, RS256) of an Open Badges 3.0 credential per the OB 3.0 "JSON Web
    Token Proof Format" for Verifiable Credentials 2.0: header `alg`, `typ: JWT`, `kid` (a URL
    answering the public JWK); the payload is the credential itself with the claims `iss`
    (issuer.id), `jti` (id), `nbf` (validFrom),
    `exp` (validUntil, when the credential has one), `sub` (credentialSubject.id, when it has
    one: an award's credential has none, docs/open-badges.md "VC-JWT proofs"). The `kid` URL is
    on the deployment serving the credential's `id`."""
    key = signing_keys.current()
    issuer = credential["issuer"]
    claims: dict[str, Any] = {
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": credential["id"],
    }
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and subject.get("id"):
        claims["sub"] = subject["id"]
    valid_from = credential.get("validFrom") or credential.get("issuanceDate")
    if valid_from:
        claims["nbf"] = timestamps.to_seconds(valid_from)  # a JWT NumericDate
    valid_until = credential.get("validUntil") or credential.get("expirationDate")
    if valid_until:
        claims["exp"] = timestamps.to_seconds(valid_until)
    header = {
        "alg": key["algorithm"],
        "typ": "JWT",
        "kid": jwk_url(_base_of(str(credential["id"])), key["kid"]),
    }
    return _compact(header, {**credential, **claims}, key)


# --- documents ----------------------------------------------------------------------------------


def profile_keys(place: Place, base_url: str) -> dict[str, str]:
    """What an Open Badges 2.0 issuer profile adds for signed assertions: `publicKey` (its key
    document of the key in use: the 1EdTech validator accepts exactly one) and
    `revocationList` (its system's list). Nothing where no signing key is configured."""
    try:
        key = signing_keys.current()
    except signing_keys.SigningNotConfigured:
        return {}
    return {
        "publicKey": key_url(render.profile_url(place, base_url), key["kid"]),
        "revocationList": revocation_list_url(base_url, place.system["slug"]),
    }


def _published(kid: str) -> SigningKeyRecord:
    found = signing_keys.get(kid)
    if found is None:
        try:
            current = signing_keys.current()  # records it if this process has not yet
        except signing_keys.SigningNotConfigured:
            raise key_not_found() from None
        if current["kid"] != kid:
            raise key_not_found()
        found = current
    return found


def cryptographic_key_json(place: Place, base_url: str, kid: str) -> dict[str, Any]:
    """Open Badges 2.0 `CryptographicKey` of a profile: any key ever used, owned by it."""
    key = _published(kid)
    profile = render.profile_url(place, base_url)
    return {
        "@context": render.OB2_CONTEXT,
        "type": "CryptographicKey",
        "id": key_url(profile, kid),
        "owner": profile,
        "publicKeyPem": key["publicKeyPem"],
    }


def _public_jwk(key: SigningKeyRecord) -> dict[str, str]:
    # Only the public members, whatever a record holds.
    return {name: key["jwk"][name] for name in ("kty", "n", "e", "kid", "alg", "use")}


def jwk_json(kid: str) -> dict[str, str]:
    """The public JWK of a key ever used (the VC-JWT `kid` dereferences to it)."""
    return _public_jwk(_published(kid))


def jwks_json() -> dict[str, list[dict[str, str]]]:
    """Every key ever used, as a JWK Set (RFC 7517 §5)."""
    recorded = {key["kid"]: key for key in signing_keys.every()}
    try:
        current = signing_keys.current()
    except signing_keys.SigningNotConfigured:
        pass
    else:
        recorded.setdefault(current["kid"], current)
    return {"keys": [_public_jwk(key) for _, key in sorted(recorded.items())]}
