"""The revocation lists of a system (docs/open-badges.md "Revocation lists"): every award of
the system revoked so far (the revoke's own transaction records it: `store/revocations.py`),
as an Open Badges 2.0 `RevocationList` (the issuer profiles' `revocationList`, checked by
verifiers of signed assertions) and as the 1EdTech Revocation List status document of the
Open Badges 3.0 credentials (their `credentialStatus`, type `1EdTechRevocationList`)."""

from __future__ import annotations

from typing import Any

from badgekit.domain import credentials_signing, render
from badgekit.domain.places import Place
from badgekit.store import revocations as revocation_store


def revocation_list_json(place: Place, base_url: str) -> dict[str, Any]:
    """Open Badges 2.0 `RevocationList` of the system: each revoked assertion's URL (`id`)
    and `revocationReason`."""
    revoked = revocation_store.list_for_system(place.system["id"])
    return {
        "@context": render.OB2_CONTEXT,
        "id": credentials_signing.revocation_list_url(base_url, place.system["slug"]),
        "type": "RevocationList",
        "issuer": render.profile_url(place, base_url),
        "revokedAssertions": [
            {
                "id": render.assertion_url(entry["slug"], base_url),
                "revocationReason": entry["reason"],
            }
            for entry in revoked
        ],
    }


def credential_status_json(place: Place, base_url: str) -> dict[str, Any]:
    """1EdTech Revocation List (the OB 3.0 `1EdTechRevocationList` status method) of the
    system: `id`, `issuer` and each revoked credential's `id` and `revocationReason`."""
    revoked = revocation_store.list_for_system(place.system["id"])
    return {
        "id": render.credential_status_url(place.system["slug"], base_url),
        "issuer": render.profile_url(place, base_url),
        "revokedCredentials": [
            {
                "id": render.credential_url(entry["slug"], base_url),
                "revocationReason": entry["reason"],
            }
            for entry in revoked
        ],
    }
