"""Open Badges 3.0 credentials (docs/open-badges.md "OB 3.0 credentials",
`GET /public/credentials/{instanceSlug}`): the exact document, every property the OB 3.0.3
data model requires, JSON-LD expansion with the offline contexts (no term dropped), content
negotiation, the revoked `410`, the `404`, and the DynamoDB round trips of the route."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pyld import jsonld

from tests.support.meter import Trips, counting_trips
from tests.support.ob_validator_run import CONTEXT_FILES
from tests.support.validator import CONTEXTS
from tests.unit.conftest import Api, system_body

BASE = "https://badges.example.org"
SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
PRG = f"{ISS}/programs/scratch"
BRIAN = "brian@example.org"
VC2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OFFLINE = {url: CONTEXTS / CONTEXT_FILES[url] for url in (VC2, OB3)}
NOT_FOUND = {"code": "ResourceNotFound", "message": "Could not find badge instance"}


def rich_badge(slug: str, **extra: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": "Scratch Coder",
        "earnerDescription": "You made a game.",
        "consumerDescription": "The earner made a game in Scratch.",
        "criteriaUrl": "http://example.org/coder/criteria",
        "unique": False,
        "imageUrl": "http://example.org/coder.png",
        "criteria": [
            {"description": "Make a game", "required": True, "note": ""},
            {"description": "Share it", "required": False, "note": "if you like"},
        ],
        "alignments": [
            {
                "name": "CCSS.ELA-Literacy.RST.11-12.3",
                "url": "http://www.corestandards.org/ELA-Literacy/RST/11-12/3",
                "description": "Follow a multistep procedure",
            },
            {"name": "Games", "url": "http://example.org/games"},
        ],
        "tags": ["scratch", "games"],
        **extra,
    }


def minimal(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": "Minimal",
        "earnerDescription": "e",
        "consumerDescription": "A minimal badge",
        "criteriaUrl": "http://example.org/criteria",
        "unique": False,
        "imageUrl": "http://example.org/plain.png",
    }


@pytest.fixture
def tree(api: Api) -> Api:
    system = system_body(
        "chicago", email="info@chipublib.org", description="Chicago Public Library"
    )
    assert api.post("/systems", system).status == 201
    library = {"slug": "library", "name": "Library", "url": "http://lib.org"}
    assert api.post(f"{SYS}/issuers", library).status == 201
    scratch = {"slug": "scratch", "name": "MIT Scratch", "url": "http://scratch.mit.edu"}
    assert api.post(f"{ISS}/programs", {**scratch, "description": "Make games"}).status == 201
    assert api.post(f"{PRG}/badges", rich_badge("coder")).status == 201
    assert api.post(f"{SYS}/badges", minimal("plain")).status == 201
    return api


def award(api: Api, prefix: str, badge: str, **body: Any) -> dict[str, Any]:
    reply = api.post(f"{prefix}/badges/{badge}/instances", {"email": BRIAN, **body})
    assert reply.status == 201, reply.json
    instance: dict[str, Any] = reply.json["instance"]
    return instance


def credential_path(slug: str) -> str:
    return f"/public/credentials/{slug}"


def get_credential(api: Api, slug: str, accept: str | None = None) -> Any:
    headers = {"Accept": accept} if accept is not None else None
    return api.get(credential_path(slug), sign=False, headers=headers)


def assertion_salt(api: Api, slug: str) -> str:
    """The salt of the award's OB 2.0 hosted assertion (the credential reuses it)."""
    reply = api.get(
        f"/public/assertions/{slug}", sign=False, headers={"Accept": "application/ld+json"}
    )
    assert reply.status == 200
    salt: str = reply.json["recipient"]["salt"]
    return salt


# --- the document -------------------------------------------------------------------------------


def test_credential_document_is_exact(tree):
    instance = award(tree, PRG, "coder", issuedOn="2014-06-10T14:02:57Z", expires=1420070400)
    slug = instance["slug"]
    reply = get_credential(tree, slug)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/vc+ld+json"
    assert reply.headers["Vary"] == "Accept"
    salt = assertion_salt(tree, slug)
    assert re.fullmatch(r"[0-9a-f]{32}", salt)
    digest = hashlib.sha256((BRIAN + salt).encode()).hexdigest()
    program_url = f"{BASE}/public/systems/chicago/issuers/library/programs/scratch"
    assert reply.json == {
        "@context": [VC2, OB3],
        "id": f"{BASE}/public/credentials/{slug}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Scratch Coder",
        "issuer": {
            "id": program_url,
            "type": ["Profile"],
            # each key from the most specific container that has one (the issuer profile)
            "name": "MIT Scratch",
            "url": "http://scratch.mit.edu",
            "description": "Make games",
            "email": "info@chipublib.org",
        },
        "validFrom": "2014-06-10T14:02:57.000Z",
        "validUntil": "2015-01-01T00:00:00.000Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": f"sha256${digest}",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": {
                "id": f"{program_url}/badges/coder",
                "type": ["Achievement"],
                "name": "Scratch Coder",
                "description": "The earner made a game in Scratch.",
                "criteria": {
                    "id": "http://example.org/coder/criteria",
                    "narrative": "- Make a game\n- Share it (optional)",
                },
                "image": {"id": "http://example.org/coder.png", "type": "Image"},
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "CCSS.ELA-Literacy.RST.11-12.3",
                        "targetUrl": "http://www.corestandards.org/ELA-Literacy/RST/11-12/3",
                        "targetDescription": "Follow a multistep procedure",
                    },
                    {
                        "type": ["Alignment"],
                        "targetName": "Games",
                        "targetUrl": "http://example.org/games",
                    },
                ],
                "tag": ["scratch", "games"],
            },
        },
        "credentialStatus": {
            "id": f"{BASE}/public/systems/chicago/credentials/status",
            "type": "1EdTechRevocationList",
        },
    }
    # The profile id and the achievement id are the documents the hosted assertion links to.
    for url in (program_url, f"{program_url}/badges/coder"):
        assert tree.get(url.removeprefix(BASE), sign=False).status == 200


def test_minimal_badge_at_system_level(tree):
    instance = award(tree, SYS, "plain")
    document = get_credential(tree, instance["slug"]).json
    assert "validUntil" not in document
    assert document["issuer"] == {
        "id": f"{BASE}/public/systems/chicago",
        "type": ["Profile"],
        "name": "Chicago",
        "url": "http://example.org",
        "description": "Chicago Public Library",
        "email": "info@chipublib.org",
    }
    assert document["credentialSubject"]["achievement"] == {
        "id": f"{BASE}/public/systems/chicago/badges/plain",
        "type": ["Achievement"],
        "name": "Minimal",
        "description": "A minimal badge",
        "criteria": {"id": "http://example.org/criteria"},
        "image": {"id": "http://example.org/plain.png", "type": "Image"},
    }


def test_credential_follows_renames_and_updates(tree):
    instance = award(tree, PRG, "coder")
    assert tree.put(ISS, {"slug": "books"}).status == 200
    assert tree.put(f"{SYS}/issuers/books/programs/scratch/badges/coder", {"name": "Coder"})
    update = {"expires": 1893456000}
    instance_path = f"{SYS}/issuers/books/programs/scratch/badges/coder/instances/{BRIAN}"
    assert tree.put(instance_path, update).status == 200
    document = get_credential(tree, instance["slug"]).json
    program = f"{BASE}/public/systems/chicago/issuers/books/programs/scratch"
    assert document["issuer"]["id"] == program
    assert document["credentialSubject"]["achievement"]["id"] == f"{program}/badges/coder"
    assert document["credentialSubject"]["achievement"]["name"] == "Coder"
    assert document["validUntil"] == "2030-01-01T00:00:00.000Z"


# --- OB 3.0.3 required properties (ob_v3p0 common_credentials data model) ----------------------

# Per class: the properties with a minimum cardinality of 1, and where the spec requires one of
# `type`'s values. AchievementSubject needs `id` or an `identifier`; Criteria `id` or `narrative`.
REQUIRED: dict[str, tuple[tuple[str, ...], str | None]] = {
    "OpenBadgeCredential": (
        ("@context", "id", "type", "issuer", "validFrom", "credentialSubject"),
        "OpenBadgeCredential",
    ),
    "Profile": (("id", "type"), "Profile"),
    "AchievementSubject": (("type", "achievement"), "AchievementSubject"),
    "IdentityObject": (("type", "hashed", "identityHash", "identityType"), "IdentityObject"),
    "Achievement": (("id", "type", "criteria", "description", "name"), "Achievement"),
    "Image": (("id", "type"), "Image"),
    "Alignment": (("type", "targetName", "targetUrl"), "Alignment"),
    "CredentialStatus": (("id", "type"), None),
}


def missing_required(document: dict[str, Any]) -> list[str]:
    """What the OB 3.0.3 data model requires and the credential lacks, as `Class.property`."""
    missing: list[str] = []

    def check(name: str, item: Any) -> None:
        if not isinstance(item, dict):
            missing.append(f"{name} (not an object)")
            return
        properties, kind = REQUIRED[name]
        missing.extend(f"{name}.{p}" for p in properties if item.get(p) in (None, "", []))
        types = item.get("type")
        types = types if isinstance(types, list) else [types]
        if kind is not None and kind not in types:
            missing.append(f"{name}.type ∌ {kind}")

    check("OpenBadgeCredential", document)
    if "VerifiableCredential" not in document.get("type", []):
        missing.append("OpenBadgeCredential.type ∌ VerifiableCredential")
    if document.get("@context", [])[:2] != [VC2, OB3]:
        missing.append("OpenBadgeCredential.@context")
    check("Profile", document.get("issuer"))
    check("CredentialStatus", document.get("credentialStatus"))
    subject = document.get("credentialSubject", {})
    check("AchievementSubject", subject)
    if not subject.get("id") and not subject.get("identifier"):
        missing.append("AchievementSubject.id|identifier")
    for identity in subject.get("identifier", []):
        check("IdentityObject", identity)
        if identity.get("hashed") and not str(identity.get("identityHash")).startswith("sha256$"):
            missing.append("IdentityObject.identityHash (IdentityHash)")
    achievement = subject.get("achievement", {})
    check("Achievement", achievement)
    criteria = achievement.get("criteria", {})
    if not criteria.get("id") and not criteria.get("narrative"):
        missing.append("Criteria.id|narrative")
    if "image" in achievement:
        check("Image", achievement["image"])
    for alignment in achievement.get("alignment", []):
        check("Alignment", alignment)
    return missing


@pytest.mark.parametrize(("prefix", "badge"), [(PRG, "coder"), (SYS, "plain")])
def test_every_required_property_is_present(tree, prefix, badge):
    instance = award(tree, prefix, badge, expires=1893456000)
    assert missing_required(get_credential(tree, instance["slug"]).json) == []


def test_the_required_properties_check_can_fail():
    assert missing_required({"type": ["VerifiableCredential"]}) == [
        "OpenBadgeCredential.@context",
        "OpenBadgeCredential.id",
        "OpenBadgeCredential.issuer",
        "OpenBadgeCredential.validFrom",
        "OpenBadgeCredential.credentialSubject",
        "OpenBadgeCredential.type ∌ OpenBadgeCredential",
        "OpenBadgeCredential.@context",
        "Profile (not an object)",
        "CredentialStatus (not an object)",
        "AchievementSubject.type",
        "AchievementSubject.achievement",
        "AchievementSubject.type ∌ AchievementSubject",
        "AchievementSubject.id|identifier",
        "Achievement.id",
        "Achievement.type",
        "Achievement.criteria",
        "Achievement.description",
        "Achievement.name",
        "Achievement.type ∌ Achievement",
        "Criteria.id|narrative",
    ]


# --- JSON-LD: expansion with the offline contexts -----------------------------------------------


VOCABULARIES = re.compile(
    r"https://www\.w3\.org/2018/credentials#|https://purl\.imsglobal\.org/spec/vc/ob/vocab\.html#"
    r"|https://schema\.org/|https?://www\.w3\.org/2001/XMLSchema#"
)


def offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Serves the two contexts from the offline copies; anything else fails."""
    if url not in OFFLINE:
        raise AssertionError(f"the expansion fetched {url}")
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(OFFLINE[url].read_text()),
    }


def options(document: dict[str, Any]) -> dict[str, Any]:
    """The offline loader, no base (a relative IRI stays as written) and absolute IRIs kept
    absolute when compacting."""
    return {"documentLoader": offline_loader, "base": None, "compactToRelative": False}


def expand(document: dict[str, Any]) -> list[dict[str, Any]]:
    expanded: list[dict[str, Any]] = jsonld.expand(document, options(document))
    return expanded


def properties_and_types(node: Any) -> tuple[set[str], set[str]]:
    """Every property IRI and every `@type` value of an expanded document."""
    properties: set[str] = set()
    types: set[str] = set()
    if isinstance(node, list):
        for item in node:
            more = properties_and_types(item)
            properties |= more[0]
            types |= more[1]
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@type":
                types.update(value if isinstance(value, list) else [value])
                continue
            if not key.startswith("@"):
                properties.add(key)
            more = properties_and_types(value)
            properties |= more[0]
            types |= more[1]
    return properties, types


def terms(node: Any) -> set[str]:
    """Every key of a compacted document (its terms), `@context` left out."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= terms(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key != "@context":
                found.add(key)
                found |= terms(value)
    return found


def unwrapped(node: Any) -> Any:
    """A document with compaction's choices made: one-item arrays as their item, and a node
    with nothing but an `id` as that IRI (e.g. `criteria` without a narrative)."""
    if isinstance(node, list):
        items = [unwrapped(item) for item in node]
        return items[0] if len(items) == 1 else items
    if isinstance(node, dict):
        if list(node) == ["id"]:
            return node["id"]
        return {key: unwrapped(value) for key, value in node.items()}
    return node


@pytest.mark.parametrize(("prefix", "badge"), [(PRG, "coder"), (SYS, "plain")])
def test_credential_expands_without_dropping_a_term(tree, prefix, badge):
    instance = award(tree, prefix, badge, expires=1893456000)
    document = get_credential(tree, instance["slug"]).json
    expanded = expand(document)
    properties, types = properties_and_types(expanded)
    # Every property expanded to an absolute IRI of the two vocabularies (schema.org's
    # `name`, `description`, `email` ... through the OB 3.0 context).
    assert properties, expanded
    assert {iri for iri in properties if not VOCABULARIES.match(iri)} == set()
    # Every type too (node types and the dates' xsd:dateTime), but the status method's name,
    # which neither context defines (as in the spec's own examples): a relative IRI.
    assert [t for t in types if not VOCABULARIES.match(t)] == ["1EdTechRevocationList"]
    # Compacting the expansion again gives back the document: nothing was dropped.
    context = {"@context": [VC2, OB3]}
    compacted = jsonld.compact(expanded, context, options(document))
    assert terms(compacted) == terms(document)
    assert unwrapped(compacted) == unwrapped(document)


def test_a_dropped_term_is_noticed():
    """A term neither context defines is dropped by the expansion (no `@vocab`): the round
    trip above notices."""
    document = {
        "@context": [VC2, OB3],
        "id": "https://example.org/c/1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "unknownTerm": "x",
    }
    expanded = expand(document)
    compacted = jsonld.compact(expanded, {"@context": [VC2, OB3]}, options(document))
    assert terms(document) - terms(compacted) == {"unknownTerm"}


def test_the_loader_refuses_other_urls():
    with pytest.raises(jsonld.JsonLdError):
        expand({"@context": "https://example.org/other-context", "name": "x"})


# --- content negotiation, revocation, errors ----------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "jwt_type"),
    [
        (None, None),
        ("application/json", None),
        ("application/ld+json", None),
        ("application/vc+ld+json", None),
        ("*/*", None),
        ("application/vc+jwt", "application/vc+jwt"),
        ("application/jwt", "application/jwt"),
        ("APPLICATION/JWT", "application/jwt"),
        ("application/vc+jwt, application/jwt", "application/vc+jwt"),
        ("application/jwt, application/vc+jwt;q=0.5", "application/jwt"),
        ("application/vc+jwt, */*;q=0.1", "application/vc+jwt"),
        ("application/json, application/vc+jwt", "application/vc+jwt"),
        ("application/json, application/vc+jwt;q=0.5", None),
        ("application/vc+ld+json, application/jwt;q=0.9", None),
        ("application/vc+jwt;q=0", None),
    ],
)
def test_content_negotiation(accept, jwt_type):
    from badgekit.domain import public

    assert public.credential_jwt_type(accept) == jwt_type


def raw_get(api: Api, path: str, accept: str) -> Any:
    return api.gateway.dispatch(api.prepare("GET", path, sign=False, headers={"Accept": accept}))


@pytest.mark.parametrize("accept", ["application/vc+jwt", "application/jwt"])
def test_jwt_form_is_the_signed_credential(tree, monkeypatch, accept):
    from badgekit.domain import public

    signed: list[tuple[str, dict[str, Any]]] = []

    def sign(system_slug: str, credential: dict[str, Any]) -> str:
        signed.append((system_slug, credential))
        return "header.payload.signature"

    monkeypatch.setattr(public, "signed_credential", sign)
    instance = award(tree, PRG, "coder")
    response = raw_get(tree, credential_path(instance["slug"]), accept)
    assert response.status == 200
    headers = dict(response.headers)
    assert headers["Content-Type"] == accept
    assert headers["Vary"] == "Accept"
    assert response.body == b"header.payload.signature"
    assert signed == [("chicago", get_credential(tree, instance["slug"]).json)]


def test_revoked_award_is_a_410_tombstone_in_either_form(tree):
    instance = award(tree, PRG, "coder")
    slug = instance["slug"]
    assert tree.delete(f"{PRG}/badges/coder/instances/{BRIAN}").status == 200
    for accept in (None, "application/vc+jwt"):
        reply = get_credential(tree, slug, accept)
        assert reply.status == 410
        assert reply.headers["Content-Type"] == "application/vc+ld+json"
        assert reply.json == {
            "@context": [VC2, OB3],
            "id": f"{BASE}/public/credentials/{slug}",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "revoked": True,
        }
    again = award(tree, PRG, "coder")
    assert get_credential(tree, again["slug"]).status == 200
    assert get_credential(tree, slug).status == 410


def test_unknown_slug_and_deleted_badge_are_404(tree):
    for accept in (None, "application/jwt"):
        reply = get_credential(tree, "nope", accept)
        assert (reply.status, reply.json) == (404, NOT_FOUND)
    instance = award(tree, SYS, "plain")
    assert tree.delete(f"{SYS}/badges/plain").status == 200
    reply = get_credential(tree, instance["slug"])
    assert (reply.status, reply.json) == (404, NOT_FOUND)


def test_public_route_needs_no_token_and_only_answers_get(tree):
    instance = award(tree, SYS, "plain")
    assert tree.get(credential_path(instance["slug"])).status == 200
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        reply = tree.call(method, credential_path(instance["slug"]), sign=False)
        assert reply.status == 405


# --- round trips (as the benchmark counts them) -------------------------------------------------


@pytest.fixture
def trips(tree: Api) -> Iterator[Trips]:
    with counting_trips() as counter:
        yield counter


def test_round_trips_as_the_hosted_assertion(tree, trips):
    instance = award(tree, PRG, "coder")
    path = credential_path(instance["slug"])
    # unseen award of a known badge: the assertion, then its badge (with its issuer and
    # program) and system together
    assert tree.get(f"{PRG}/badges/coder").status == 200
    assert trips.during(lambda: tree.get(path, sign=False)) == (["BatchGetItem", "GetItem"], 2)
    # warm: everything in one BatchGetItem
    assert trips.during(lambda: tree.get(path, sign=False)) == (["BatchGetItem"], 1)
    hosted = f"/public/assertions/{instance['slug']}"
    assert trips.during(lambda: tree.get(hosted, sign=False)) == (["BatchGetItem"], 1)
    assert tree.delete(f"{PRG}/badges/coder/instances/{BRIAN}").status == 200
    assert get_credential(tree, instance["slug"]).status == 410
    assert trips.during(lambda: tree.get(path, sign=False)) == (["GetItem"], 1)
