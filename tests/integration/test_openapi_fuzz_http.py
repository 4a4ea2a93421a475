"""Schema-driven fuzzing (Schemathesis) of every operation of functions/docs/openapi.json
against the local stack: no 5xx, every status code, content type and header documented, every
response body valid against the schema of its status.

Every request is signed after Schemathesis has serialised it (a `requests` auth hook sees the
exact method, path with query and body bytes: auth.md), so signed routes are exercised beyond
their `403`. Path parameters of containers and badges point at a real tree (a system with an
issuer, a program, a badge at program level, a claim code, an instance and an application), so
most operations reach their handler rather than a `404`; the tree is recreated under new slugs
when a generated `PUT` renamed or a `DELETE` removed part of it. Example counts are bounded and
the run is derandomised (same cases every run) so it fits in the normal test run.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scripts.openapi.build import OUTPUT
from scripts.openapi.routes import template_routes
from tests.support.client import MASTER_SECRET

MAX_EXAMPLES = 4
# Examples (the document's own) and random generation, both positive and negative; no coverage
# phase (it enumerates every boundary value of every field: thousands of requests) and no
# shrinking (a failure is reported as found), so the run stays within a couple of minutes.
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "no-shrink": True},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
# Every operation of a path the template routes (the docs function's two routes are in the
# document before they are in a template: `scripts.openapi.operations.DOCS_OPERATIONS`).
SCHEMA = schemathesis.openapi.from_path(OUTPUT, config=CONFIG).include(
    path=sorted(template_routes().paths)
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class Signer(requests.auth.AuthBase):
    """`Authorization: JWT token="..."` for the prepared request (auth.md §3)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else body
        method = (request.method or "GET").upper()
        claims: dict[str, Any] = {
            "key": "master",
            "method": method,
            "path": request.path_url,
            "exp": int(time.time()) + 300,
        }
        if method in ("POST", "PUT"):
            claims["body"] = {"alg": "sha256", "hash": hashlib.sha256(raw).hexdigest()}
        token = jwt.encode(claims, MASTER_SECRET, algorithm="HS256")
        request.headers["Authorization"] = f'JWT token="{token}"'
        return request


@dataclass
class Tree:
    """The real resources path parameters point at, recreated when a case removed them."""

    base_url: str
    session: requests.Session
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    slugs: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def check_path(self) -> str:
        s = self.slugs
        return (
            f"/systems/{s['systemSlug']}/issuers/{s['issuerSlug']}/programs/{s['programSlug']}"
            f"/badges/{s['badgeSlug']}/applications/{s['applicationSlug']}"
        )

    def ensure(self) -> dict[str, str]:
        """The tree's slugs, after recreating it if any part of it is gone."""
        if self.slugs:
            reply = self.session.get(self.url(self.check_path()), timeout=30)
            code = self.session.get(
                self.url(f"/systems/{self.slugs['systemSlug']}/codes/{self.slugs['code']}"),
                timeout=30,
            )
            if reply.status_code == 200 and code.status_code == 200:
                return self.slugs
        self.create(next(self.numbers))
        return self.slugs

    def create(self, number: int) -> None:
        tag = f"fz{number}-{int(time.time() * 1000) % 10**8}"

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            reply = self.session.post(self.url(path), json=body, timeout=30)
            assert reply.status_code == 201, (path, reply.status_code, reply.text)
            document: dict[str, Any] = reply.json()
            return document

        container = {"name": "Fuzz", "url": "http://example.org", "email": "f@example.org"}
        system = f"/systems/{tag}"
        post("/systems", {**container, "slug": tag})
        post(f"{system}/issuers", {**container, "slug": "iss"})
        program = f"{system}/issuers/iss/programs/prg"
        post(f"{system}/issuers/iss/programs", {**container, "slug": "prg"})
        badge = {
            "slug": f"{tag}-badge",
            "name": "Fuzz badge",
            "earnerDescription": "e",
            "consumerDescription": "c",
            "criteriaUrl": "http://example.org/criteria",
            "unique": False,
            "imageUrl": "http://example.org/badge.png",
            "criteria": [{"description": "Do it", "required": True}],
        }
        post(f"{program}/badges", badge)
        badge_path = f"{program}/badges/{tag}-badge"
        post(f"{badge_path}/codes", {"code": f"{tag}-code", "multiuse": True})
        award = post(f"{badge_path}/instances", {"email": "earner@example.org"})
        application = post(f"{badge_path}/applications", {"learner": "earner@example.org"})
        app_slug = application["application"]["slug"]
        review = post(f"{badge_path}/applications/{app_slug}/reviews", {"author": "r@example.org"})
        milestone = post(
            f"{system}/milestones",
            {
                "primaryBadgeId": award["instance"]["badge"]["id"],
                "numberRequired": 1,
                "supportBadges": [],
            },
        )
        webhook = post(f"{system}/webhooks", {"url": "http://127.0.0.1:9999/hook", "secret": "s"})
        self.slugs = {
            "systemSlug": tag,
            "issuerSlug": "iss",
            "programSlug": "prg",
            "badgeSlug": f"{tag}-badge",
            "code": f"{tag}-code",
            "email": "earner@example.org",
            "applicationSlug": app_slug,
            "reviewSlug": review["review"]["slug"],
            "milestoneId": str(milestone["milestone"]["id"]),
            "webhookId": str(webhook["webhook"]["id"]),
            "instanceSlug": award["instance"]["slug"],
        }


@pytest.fixture(scope="module")
def session() -> requests.Session:
    signed = requests.Session()
    signed.auth = Signer()
    return signed


@pytest.fixture(scope="module")
def tree(stack: Any, session: requests.Session) -> Tree:
    return Tree(stack.base_url, session)


@SCHEMA.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_document(
    case: schemathesis.Case, stack: Any, session: requests.Session, tree: Tree
) -> None:
    slugs = tree.ensure()
    for name in case.path_parameters or {}:
        if name in slugs:
            case.path_parameters[name] = slugs[name]
    case.call_and_validate(base_url=stack.base_url, session=session, checks=CHECKS, timeout=30)
