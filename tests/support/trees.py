"""The container tree and the small request helpers the HTTP tests of badges and public
documents share: a system with one issuer and one program, created over the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from tests.support.client import ApiClient

LEVELS = ("system", "issuer", "program")
ARCHIVED_ERROR = {
    "code": "InvalidParameter",
    "parameter": "archived",
    "message": "Invalid `archived` parameter. Expecting one of 'true', 'false' or 'any'.",
}


@dataclass
class Tree:
    """A system with one issuer (`library`) and one program (`scratch`), as created."""

    system: dict[str, Any]
    issuer: dict[str, Any]
    program: dict[str, Any]

    @property
    def slug(self) -> str:
        return self.system["slug"]

    @property
    def sys(self) -> str:
        return f"/systems/{self.slug}"

    @property
    def iss(self) -> str:
        return f"{self.sys}/issuers/{self.issuer['slug']}"

    @property
    def prg(self) -> str:
        return f"{self.iss}/programs/{self.program['slug']}"

    def prefix(self, level: str) -> str:
        return {"system": self.sys, "issuer": self.iss, "program": self.prg}[level]

    def nested_system(self) -> dict[str, Any]:
        """The system as it appears inside a badge: no `description`, `issuers: []`."""
        s = self.system
        return {
            "id": s["id"],
            "slug": s["slug"],
            "url": s["url"],
            "name": s["name"],
            "email": s["email"],
            "imageUrl": s["imageUrl"],
            "issuers": [],
        }

    def nested_issuer(self) -> dict[str, Any]:
        return {**self.issuer, "programs": []}


def created(response: requests.Response, key: str) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()[key]


def make_tree(api: ApiClient, slug: str, **system_extra: Any) -> Tree:
    system = created(
        api.post(
            "/systems",
            json={
                "slug": slug,
                "name": "Chicago",
                "url": "http://cityofchicago.org",
                "email": "mayor-emanuel@cityofchicago.org",
                "description": "The City of Chicago",
                "imageUrl": "http://example.org/test.png",
                **system_extra,
            },
        ),
        "system",
    )
    issuer = created(
        api.post(
            f"/systems/{slug}/issuers",
            json={
                "slug": "library",
                "name": "Chicago Public Library",
                "url": "http://www.chipublib.org/",
                "description": "Chicago Public Library",
                "email": "eratosthenes@chipublib.org",
                "imageUrl": "http://example.org/test.png",
            },
        ),
        "issuer",
    )
    program = created(
        api.post(
            f"/systems/{slug}/issuers/library/programs",
            json={
                "slug": "scratch",
                "name": "MIT Scratch",
                "url": "http://scratch.mit.edu/",
                "description": "Create stories...",
                "email": "admin@scratch.mit.edu",
                "imageUrl": "http://example.org/test.png",
            },
        ),
        "program",
    )
    # The container routes give issuers their `programs`; a badge nests the issuer without them.
    issuer.pop("programs", None)
    return Tree(system, issuer, program)


def minimal_body(slug: str | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Minimal",
        "earnerDescription": "e",
        "consumerDescription": "c",
        "criteriaUrl": "http://example.org/c",
        "unique": False,
        "imageUrl": "http://example.org/i.png",
    }
    if slug is not None:
        body["slug"] = slug
    body.update(extra)
    return body


def make_badge(api: ApiClient, prefix: str, slug: str, **extra: Any) -> dict[str, Any]:
    return created(api.post(f"{prefix}/badges", json=minimal_body(slug, **extra)), "badge")


def not_found(model: str, value: str) -> dict[str, str]:
    return {
        "code": "ResourceNotFound",
        "message": f"Could not find {model} field: `slug`, value: `{value}`",
    }


def assert_json(response: requests.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()
