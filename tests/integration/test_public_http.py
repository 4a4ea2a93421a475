"""Public documents over real HTTP, without any Authorization header (spec badges.md
`GET /public/badges`, issuing.md "Public documents" for badge classes and issuer organisations,
README §2, §7, §10, §11).

The stack's `PUBLIC_BASE_URL` is its own URL (local/stack.py passes `PublicBaseUrl` = the local
`http://127.0.0.1:<port>` unless configured, and conftest clears any developer setting), so every
absolute URL starts with `stack.base_url`. `/public/badges` lists the whole deployment and other
tests add badges to the same stack, so the assertions are about this test's own badges: present,
absent, in order. The module has a stack of its own: on the process's shared stack every listing
would read every badge the other modules made (hundreds by then, seconds per test).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.integration.conftest import StackProcess, running_stack
from tests.support.client import ApiClient
from tests.support.trees import (
    ARCHIVED_ERROR,
    LEVELS,
    Tree,
    assert_json,
    created,
    make_badge,
    not_found,
)


@pytest.fixture(scope="module")
def stack() -> Iterator[StackProcess]:
    """Overrides conftest's session stack for this module (see the module docstring)."""
    with running_stack() as running:
        yield running


Unique = Callable[..., str]
CLASS_KEYS = ["name", "description", "image", "criteria", "alignment", "issuer"]


def public_get(api: ApiClient, path: str, **kwargs: Any) -> requests.Response:
    """GET with no Authorization header at all."""
    response = api.get(path, sign=False, **kwargs)
    assert "Authorization" not in response.request.headers
    return response


def badgelist(api: ApiClient, query: str = "") -> list[str]:
    body = assert_json(public_get(api, f"/public/badges{query}"), 200)
    assert list(body) == ["badgelist"], body.keys()
    assert all(list(entry) == ["location"] for entry in body["badgelist"])
    return [entry["location"] for entry in body["badgelist"]]


def mine(locations: list[str], own: list[str]) -> list[str]:
    """The locations that are this test's, in the listed order."""
    return [loc for loc in locations if loc in own]


def class_url(stack: StackProcess, tree: Tree, level: str, slug: str) -> str:
    return f"{stack.base_url}/public{tree.prefix(level)}/badges/{slug}"


# --- GET /public/badges ----------------------------------------------------------------------------


def test_public_badge_list_is_public_with_absolute_locations(api, stack, unique, new_tree):
    tree = new_tree()
    made = [
        ("program", make_badge(api, tree.prg, unique("p"))["slug"]),
        ("system", make_badge(api, tree.sys, unique("s"))["slug"]),
        ("issuer", make_badge(api, tree.iss, unique("i"))["slug"]),
    ]
    hidden = make_badge(api, tree.sys, unique("old"), archived=True)["slug"]
    own = [class_url(stack, tree, level, slug) for level, slug in made]
    assert own == [
        f"{stack.base_url}/public/systems/{tree.slug}/issuers/library/programs/scratch/badges/{made[0][1]}",
        f"{stack.base_url}/public/systems/{tree.slug}/badges/{made[1][1]}",
        f"{stack.base_url}/public/systems/{tree.slug}/issuers/library/badges/{made[2][1]}",
    ]
    response = public_get(api, "/public/badges")
    assert response.headers["Content-Type"].startswith("application/json")
    locations = badgelist(api)
    assert mine(locations, own) == own  # ascending id = creation order
    assert not [loc for loc in locations if loc.endswith(f"/badges/{hidden}")]
    assert all(loc.startswith(f"{stack.base_url}/public/systems/") for loc in locations)
    # the configured base wins over the Host header (README §11)
    with_host = public_get(api, "/public/badges", headers={"Host": "evil.example.org"})
    hosted = [e["location"] for e in assert_json(with_host, 200)["badgelist"]]
    assert mine(hosted, own) == own
    # an Authorization header, even a garbage one, is ignored on public routes
    garbage = api.get("/public/badges", sign=False, headers={"Authorization": 'JWT token="nope"'})
    assert mine([e["location"] for e in assert_json(garbage, 200)["badgelist"]], own) == own
    signed = api.get("/public/badges")
    assert mine([e["location"] for e in assert_json(signed, 200)["badgelist"]], own) == own


def test_public_badge_list_archived_filter(api, stack, unique, new_system):
    system = new_system()
    prefix = f"/systems/{system['slug']}"
    active = make_badge(api, prefix, unique("a"))["slug"]
    archived = make_badge(api, prefix, unique("z"), archived="1")["slug"]
    later = make_badge(api, prefix, unique("l"))["slug"]
    assert api.put(f"{prefix}/badges/{later}", json={"archived": True}).status_code == 200
    url = {
        slug: f"{stack.base_url}/public{prefix}/badges/{slug}" for slug in (active, archived, later)
    }
    own = list(url.values())
    table = [
        ("", [url[active]]),
        ("?archived=undefined", [url[active]]),
        ("?archived=false", [url[active]]),
        ("?archived=0", [url[active]]),
        ("?archived=true", [url[archived], url[later]]),
        ("?archived=1", [url[archived], url[later]]),
        ("?archived=any", own),
        ("?archived=", own),
        ("?archived", own),
    ]
    for query, expected in table:
        assert mine(badgelist(api, query), own) == expected, query
    for query in ("?archived=nope", "?archived=TRUE&archived=true", "?archived=any&archived=0"):
        response = public_get(api, f"/public/badges{query}")
        assert assert_json(response, 400) == ARCHIVED_ERROR, query


def test_public_badge_list_pagination(api, stack, unique, new_system):
    prefix = f"/systems/{new_system()['slug']}"
    slugs = [make_badge(api, prefix, unique(f"b{n}"))["slug"] for n in range(3)]
    archived = make_badge(api, prefix, unique("z"), archived=True)["slug"]
    own = [f"{stack.base_url}/public{prefix}/badges/{slug}" for slug in slugs]

    def page(query: str) -> dict[str, Any]:
        body = assert_json(public_get(api, f"/public/badges{query}"), 200)
        assert list(body) == ["badgelist", "pageData"]
        return body

    everything = badgelist(api)
    assert mine(everything, own) == own
    total = len(everything)
    first = page("?page=1&count=1")
    assert first == {
        "badgelist": [{"location": everything[0]}],
        "pageData": {"page": 1, "count": 1, "total": total},
    }
    # this test's badges are the newest: the last page(s) hold them, in order
    assert page(f"?page={total}&count=1")["badgelist"] == [{"location": own[-1]}]
    last = (total + 1) // 2
    tail = (
        page(f"?page={last - 1}&count=2")["badgelist"] + page(f"?page={last}&count=2")["badgelist"]
    )
    assert [e["location"] for e in tail] == everything[2 * (last - 2) :]
    assert [e["location"] for e in tail][-3:] == own
    beyond = page(f"?page={total + 1}&count=1")
    assert beyond == {"badgelist": [], "pageData": {"page": total + 1, "count": 1, "total": total}}
    # total counts after the archived filter
    with_archived = page("?archived=any&page=1&count=1")["pageData"]["total"]
    only_archived = page(f"?archived=true&page=1&count={10**6}")
    assert with_archived == total + only_archived["pageData"]["total"]
    archived_url = f"{stack.base_url}/public{prefix}/badges/{archived}"
    assert archived_url in [e["location"] for e in only_archived["badgelist"]]
    # inactive pagination: the whole list, no pageData
    for query in ("?page=1", "?count=1", "?page=0&count=1", "?page=x&count=1"):
        assert badgelist(api, query) == everything, query


# --- badge classes -----------------------------------------------------------------------------------


def test_badge_class_documents_through_every_ancestor(api, stack, unique, new_tree):
    tree = new_tree()
    alignments = [
        {
            "name": "CCSS.ELA-Literacy.RST.11-12.3",
            "url": "http://www.corestandards.org/ELA-Literacy/RST/11-12/3",
            "description": "Follow precisely a complex multistep procedure",
        },
        {"name": "No description", "url": "http://example.org/a"},
    ]
    system_badge = make_badge(
        api,
        tree.sys,
        unique("s"),
        name="System Badge",
        consumerDescription="For consumers",
        criteriaUrl="http://example.org/criteria",
        imageUrl="http://example.org/remote.png",
        alignments=alignments,
        tags=["not", "published"],
    )
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    issuer_badge = make_badge(
        api,
        tree.iss,
        unique("i"),
        image="data:image/png;base64," + base64.b64encode(png).decode(),
        archived=True,
    )
    program_badge = make_badge(api, tree.prg, unique("p"))

    system_doc = {
        "name": "System Badge",
        "description": "For consumers",
        "image": "http://example.org/remote.png",
        "criteria": "http://example.org/criteria",
        "alignment": [
            alignments[0],
            {"name": "No description", "url": "http://example.org/a", "description": ""},
        ],
        "issuer": f"{stack.base_url}/public{tree.sys}",
    }
    issuer_doc = {
        "name": "Minimal",
        "description": "c",
        "image": issuer_badge["imageUrl"],
        "criteria": "http://example.org/c",
        "alignment": [],
        "issuer": f"{stack.base_url}/public{tree.iss}",
    }
    program_doc = {**issuer_doc, "image": "http://example.org/i.png"}
    program_doc["issuer"] = f"{stack.base_url}/public{tree.prg}"
    cases = [
        (system_badge, system_doc, ["system"]),
        (issuer_badge, issuer_doc, ["system", "issuer"]),  # archived badges are served
        (program_badge, program_doc, ["system", "issuer", "program"]),
    ]
    for badge, document, levels in cases:
        for level in LEVELS:
            path = f"/public{tree.prefix(level)}/badges/{badge['slug']}"
            response = public_get(api, path)
            if level in levels:
                assert assert_json(response, 200) == document, path
                assert list(response.json()) == CLASS_KEYS
            else:
                assert assert_json(response, 404) == not_found("badge", badge["slug"]), path
    # the stored image is absolute and served at its path
    assert issuer_doc["image"].startswith(f"{stack.base_url}/public/images/")
    served = public_get(api, urlsplit(issuer_doc["image"]).path)
    assert (served.status_code, served.headers["Content-Type"]) == (200, "image/png")
    assert served.content == png
    # slugs are case-insensitive on public paths too
    upper = f"/public/systems/{tree.slug.upper()}/badges/{system_badge['slug'].upper()}"
    assert assert_json(public_get(api, upper), 200) == system_doc
    # a badge of another system is not under this one
    other = new_tree()
    response = public_get(api, f"/public{other.sys}/badges/{system_badge['slug']}")
    assert assert_json(response, 404) == not_found("badge", system_badge["slug"])


def test_public_documents_follow_renames_archiving_and_deletes(api, stack, unique, new_tree):
    tree = new_tree()
    slug, renamed = unique("b"), unique("renamed")
    make_badge(api, tree.prg, slug)
    assert api.put(f"{tree.prg}/badges/{slug}", json={"slug": renamed}).status_code == 200
    assert public_get(api, f"/public{tree.prg}/badges/{slug}").status_code == 404
    assert public_get(api, f"/public{tree.prg}/badges/{renamed}").status_code == 200
    new_url = f"{stack.base_url}/public{tree.prg}/badges/{renamed}"
    assert mine(badgelist(api), [new_url]) == [new_url]
    # renaming the issuer moves the badge-class URL and its `issuer` document URL
    response = api.put(f"{tree.iss}", json={"slug": "renamed-library"})
    assert response.status_code == 200, response.text
    moved_prg = f"{tree.sys}/issuers/renamed-library/programs/scratch"
    moved_url = f"{stack.base_url}/public{moved_prg}/badges/{renamed}"
    locations = badgelist(api)
    assert moved_url in locations
    assert new_url not in locations
    document = assert_json(public_get(api, f"/public{moved_prg}/badges/{renamed}"), 200)
    assert document["issuer"] == f"{stack.base_url}/public{moved_prg}"
    assert assert_json(public_get(api, f"/public{tree.iss}"), 404) == not_found("issuer", "library")
    # archived: gone from the default list, still served
    assert api.put(f"{tree.sys}/badges/{renamed}", json={"archived": True}).status_code == 200
    assert moved_url not in badgelist(api)
    assert moved_url in badgelist(api, "?archived=true")
    assert public_get(api, f"/public{tree.sys}/badges/{renamed}").status_code == 200
    # deleted: nowhere
    assert api.delete(f"{tree.sys}/badges/{renamed}").status_code == 200
    assert moved_url not in badgelist(api, "?archived=any")
    response = public_get(api, f"/public{moved_prg}/badges/{renamed}")
    assert assert_json(response, 404) == not_found("badge", renamed)


# --- issuer organisations ----------------------------------------------------------------------------


def test_issuer_organisation_documents_fall_back_program_issuer_system(api, unique):
    slug = unique("org")
    created(
        api.post(
            "/systems",
            json={
                "slug": slug,
                "name": "Chicago",
                "url": "http://cityofchicago.org",
                "description": "The City of Chicago",
                "email": "mayor-emanuel@cityofchicago.org",
            },
        ),
        "system",
    )
    prefix = f"/systems/{slug}"
    created(
        api.post(
            f"{prefix}/issuers",
            json={
                "slug": "library",
                "name": "Library",
                "url": "http://lib.org",
                "email": "lib@lib.org",
            },
        ),
        "issuer",
    )
    created(
        api.post(
            f"{prefix}/issuers/library/programs",
            json={"slug": "scratch", "name": "Scratch", "url": "http://s.org", "description": ""},
        ),
        "program",
    )
    created(
        api.post(
            f"{prefix}/issuers/library/programs",
            json={
                "slug": "own",
                "name": "Own",
                "url": "http://own.org",
                "description": "Own words",
                "email": "own@own.org",
            },
        ),
        "program",
    )
    expected = {
        "": {
            "name": "Chicago",
            "url": "http://cityofchicago.org",
            "description": "The City of Chicago",
            "email": "mayor-emanuel@cityofchicago.org",
        },
        "/issuers/library": {
            "name": "Library",
            "url": "http://lib.org",
            "description": "The City of Chicago",
            "email": "lib@lib.org",
        },
        "/issuers/LIBRARY/programs/scratch": {
            "name": "Scratch",
            "url": "http://s.org",
            "description": "The City of Chicago",  # "" counts as no value
            "email": "lib@lib.org",
        },
        "/issuers/library/programs/own": {
            "name": "Own",
            "url": "http://own.org",
            "description": "Own words",
            "email": "own@own.org",
        },
    }
    for suffix, document in expected.items():
        response = public_get(api, f"/public{prefix}{suffix}")
        assert assert_json(response, 200) == document, suffix
        assert list(response.json()) == ["name", "url", "description", "email"]


def test_issuer_organisation_omits_keys_no_container_has(api, unique, new_system):
    system = new_system()
    prefix = f"/systems/{system['slug']}"
    created(
        api.post(f"{prefix}/issuers", json={"slug": "bare", "name": "Bare", "url": "bare.org"}),
        "issuer",
    )
    created(
        api.post(
            f"{prefix}/issuers/bare/programs",
            json={"slug": "p", "name": "P", "url": "p.org", "email": "p@p.org", "description": ""},
        ),
        "program",
    )
    assert assert_json(public_get(api, f"/public{prefix}"), 200) == {
        "name": "Bare",
        "url": "http://example.org",
    }
    assert assert_json(public_get(api, f"/public{prefix}/issuers/bare"), 200) == {
        "name": "Bare",
        "url": "bare.org",
    }
    response = public_get(api, f"/public{prefix}/issuers/bare/programs/p")
    assert assert_json(response, 200) == {"name": "P", "url": "p.org", "email": "p@p.org"}
    assert list(response.json()) == ["name", "url", "email"]


def test_public_404_bodies(api, new_tree):
    tree = new_tree()
    other_issuer = created(
        api.post(
            f"{tree.sys}/issuers", json={"slug": "museum", "name": "M", "url": "http://m.org"}
        ),
        "issuer",
    )
    cases = [
        ("/public/systems/zz-none", not_found("system", "zz-none")),
        ("/public/systems/zz-none/issuers/library", not_found("system", "zz-none")),
        (f"/public{tree.sys}/issuers/zz-none", not_found("issuer", "zz-none")),
        (f"/public{tree.iss}/programs/zz-none", not_found("program", "zz-none")),
        # a program is looked up inside the URL's issuer
        (
            f"/public{tree.sys}/issuers/{other_issuer['slug']}/programs/scratch",
            not_found("program", "scratch"),
        ),
        (f"/public{tree.sys}/badges/zz-none", not_found("badge", "zz-none")),
        (f"/public{tree.prg}/badges/zz-none", not_found("badge", "zz-none")),
        ("/public/systems/zz-none/badges/zz-none", not_found("system", "zz-none")),
        (
            "/public/systems",
            {"code": "ResourceNotFound", "message": "/public/systems does not exist"},
        ),
        (
            "/public/nothing?x=1",
            {"code": "ResourceNotFound", "message": "/public/nothing?x=1 does not exist"},
        ),
        (
            f"/public{tree.sys}/badges",
            {"code": "ResourceNotFound", "message": f"/public{tree.sys}/badges does not exist"},
        ),
    ]
    for path, body in cases:
        assert assert_json(public_get(api, path), 404) == body, path
    # a deleted system's documents are gone
    assert api.delete(tree.sys).status_code == 200
    assert assert_json(public_get(api, f"/public{tree.iss}"), 404) == not_found("system", tree.slug)


def test_public_routes_allow_only_get(api, unique, new_tree):
    tree = new_tree()
    slug = make_badge(api, tree.prg, unique("b"))["slug"]
    paths = [
        "/public/badges",
        f"/public{tree.sys}",
        f"/public{tree.iss}",
        f"/public{tree.prg}",
        f"/public{tree.sys}/badges/{slug}",
        f"/public{tree.iss}/badges/{slug}",
        f"/public{tree.prg}/badges/{slug}",
        "/public/images/0123456789abcdef0123456789abcdef",
    ]
    for path in paths:
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            # unsigned, with a JSON body: the route check comes first (README §2)
            response = api.request(method, path, json={"name": "x"}, sign=False)
            assert assert_json(response, 405) == {
                "code": "MethodNotAllowedError",
                "message": f"{method} is not allowed",
            }, (method, path)
            assert response.headers["Allow"] == "GET"
        head = api.request("HEAD", path, sign=False)
        assert (head.status_code, head.headers["Allow"]) == (405, "GET"), path
    # nothing changed
    assert public_get(api, f"/public{tree.prg}/badges/{slug}").json()["name"] == "Minimal"
