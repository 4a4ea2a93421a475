"""The 1EdTech Open Badges validator (PyPI `openbadges`, in its Python 3.8 environment; see
tests/support/validator.py) verifies awards made through the local stack, offline: a hosted
award and a baked PNG award are reported valid, Open Badges 2.0 (docs/api/openbadges.md); a
baked SVG carries the URL of such an award.

Every image the documents name is stored by the stack: the validator fetches images too, and
only 127.0.0.1 is reachable."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import jwt

from tests.support.baked import SVG, baked_values, svg_elements, tiny_png
from tests.support.client import ApiClient
from tests.support.trees import created, make_badge
from tests.support.validator import errors, validate, versions

PNG_URI = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()
SVG_URI = "data:image/svg+xml;base64," + base64.b64encode(SVG).decode()


def tree_with_stored_images(api: ApiClient, slug: str) -> str:
    """A system / issuer / program whose images are stored PNGs; the program's path."""
    created(
        api.post(
            "/systems",
            json={
                "slug": slug,
                "name": "Chicago",
                "url": "http://cityofchicago.org",
                "email": "mayor-emanuel@cityofchicago.org",
                "description": "The City of Chicago",
                "image": PNG_URI,
            },
        ),
        "system",
    )
    issuer = {"slug": "library", "name": "Library", "url": "http://www.chipublib.org/"}
    created(api.post(f"/systems/{slug}/issuers", json={**issuer, "image": PNG_URI}), "issuer")
    program = {"slug": "scratch", "name": "MIT Scratch", "url": "http://scratch.mit.edu/"}
    path = f"/systems/{slug}/issuers/library/programs"
    created(api.post(path, json={**program, "image": PNG_URI}), "program")
    return f"{path}/scratch"


def award(
    api: ApiClient, prefix: str, unique: Callable[..., str], image: str = PNG_URI
) -> dict[str, Any]:
    badge = make_badge(
        api,
        prefix,
        unique("b"),
        name="Reader",
        consumerDescription="The earner read five books.",
        image=image,
        imageUrl=None,
        criteria=[{"description": "Read five books", "required": True, "note": ""}],
        alignments=[
            {
                "name": "CCSS.ELA-Literacy.RL.5.10",
                "url": "http://www.corestandards.org/ELA-Literacy/RL/5/10/",
                "description": "Read and comprehend literature",
            }
        ],
        tags=["reading"],
    )
    response = api.post(
        f"{prefix}/badges/{badge['slug']}/instances", json={"email": "brian@example.org"}
    )
    instance: dict[str, Any] = created(response, "instance")
    return instance


# Every document the validator reads for an award: the issuer profile names its signing key
# (`publicKey`), which the validator fetches too.
DOCUMENTS_2_0 = {
    "Assertion": "2.0",
    "BadgeClass": "2.0",
    "Issuer": "2.0",
    "CryptographicKey": "2.0",
}


def test_hosted_award_is_valid_open_badges_2_0(api, unique):
    instance = award(api, tree_with_stored_images(api, unique("ob")), unique)
    report = validate(instance["assertionUrl"])
    assert errors(report) == []
    assert report["valid"] is True
    assert report["openBadgesVersion"] == "2.0"
    # Every document of the award is Open Badges 2.0, not only the last one read.
    assert versions(report) == DOCUMENTS_2_0


def test_baked_png_award_is_valid_open_badges_2_0(api, unique):
    instance = award(api, tree_with_stored_images(api, unique("ob")), unique)
    response = api.get(f"/public/assertions/{instance['slug']}/image", sign=False)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    values = baked_values(response.content)
    assert sorted(values) == ["openbadgecredential", "openbadges"]
    assert values["openbadges"] == [instance["assertionUrl"]]
    # The OB 3.0 credential of the same award, as its VC-JWT.
    (credential,) = values["openbadgecredential"]
    claims = jwt.decode(credential, options={"verify_signature": False})
    assert claims["jti"] == f"{api.base_url}/public/credentials/{instance['slug']}"
    report = validate(response.content)
    assert errors(report) == []
    assert report["valid"] is True
    assert report["openBadgesVersion"] == "2.0"
    assert versions(report) == DOCUMENTS_2_0


def test_baked_svg_award_carries_the_assertion_url(api, unique):
    """This validator release cannot take a baked SVG (its SVG extraction returns bytes, which
    its input detection refuses: "only URL, JSON, or JWS input"), so the SVG is checked for the
    element and the URL it carries is validated."""
    instance = award(api, tree_with_stored_images(api, unique("ob")), unique, SVG_URI)
    response = api.get(f"/public/assertions/{instance['slug']}/image", sign=False)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    (first, *_) = svg_elements(response.content)
    assert first == ("http://openbadges.org", "assertion", {"verify": instance["assertionUrl"]})
    report = validate(first[2]["verify"])
    assert errors(report) == []
    assert report["valid"] is True
    assert versions(report) == DOCUMENTS_2_0


def test_signed_award_is_valid_open_badges_2_0(api, unique):
    instance = award(api, tree_with_stored_images(api, unique("ob")), unique)
    response = api.get(
        f"/public/assertions/{instance['slug']}", sign=False, headers={"Accept": "application/jwt"}
    )
    assert (response.status_code, response.headers["Content-Type"]) == (200, "application/jwt")
    report = validate(response.text)
    assert errors(report) == []
    assert report["valid"] is True
    assert report["openBadgesVersion"] == "2.0"
    # A signed assertion is checked against its issuer's revocation list too.
    assert versions(report) == {**DOCUMENTS_2_0, "RevocationList": "2.0"}
    assert jwt.get_unverified_header(response.text)["alg"] == "RS256"


def test_a_revoked_award_is_reported_invalid(api, unique):
    prefix = tree_with_stored_images(api, unique("ob"))
    instance = award(api, prefix, unique)
    badge = instance["badge"]["slug"]
    response = api.delete(f"{prefix}/badges/{badge}/instances/brian%40example.org")
    assert response.status_code == 200, response.text
    report = validate(instance["assertionUrl"])
    assert report["valid"] is False
    assert errors(report) != []
