"""An original BadgeKit database in memory (the original's table and column names), covering every
entity and the edges the import checks: archived badges, used and multi-use codes, instances
listed out of id order, applications with evidence and reviews, milestones with a null action,
images of several kinds, and rows the contract refuses (dangling references, a non-image blob,
a declared type that differs from the bytes, an empty slug, an invalid email)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
HTML = b"<html><script>alert(1)</script></html>"

PNG_SLUG = "0123456789abcdef0123456789abcdef"
REMOTE_SLUG = "1123456789abcdef0123456789abcdef"
HTML_SLUG = "2123456789abcdef0123456789abcdef"
MISMATCH_SLUG = "3123456789abcdef0123456789abcdef"
EMPTY_SLUG = "4123456789abcdef0123456789abcdef"
SVG_SLUG = "5123456789abcdef0123456789abcdef"
REMOTE_URL = "http://example.org/pitt.png"

CREATED = datetime(2014, 6, 1, 12, 0, 0)  # 1401624000
ISSUED = datetime(2014, 6, 2, 8, 30, 0)  # 1401697800
EXPIRES = datetime(2015, 6, 2, 8, 30, 0)  # 1433233800


def badge_row(badge_id: int, slug: str, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": badge_id,
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "strapline": None,
        "earnerDescription": "For earners",
        "consumerDescription": "For consumers",
        "issuerUrl": None,
        "rubricUrl": None,
        "criteriaUrl": "http://example.org/criteria",
        "timeValue": None,
        "timeUnits": None,
        "limit": None,
        "unique": 0,
        "archived": 0,
        "created": CREATED,
        "imageId": 1,
        "programId": None,
        "issuerId": None,
        "systemId": None,
        "type": "",
        "evidenceType": None,
    }
    row.update(extra)
    return row


def tables() -> dict[str, list[dict[str, Any]]]:
    return {
        "images": [
            {"id": 1, "slug": PNG_SLUG, "url": None, "mimetype": "image/png", "data": PNG},
            {"id": 2, "slug": REMOTE_SLUG, "url": REMOTE_URL, "mimetype": None, "data": None},
            {"id": 3, "slug": HTML_SLUG, "url": None, "mimetype": "text/html", "data": HTML},
            {"id": 4, "slug": MISMATCH_SLUG, "url": None, "mimetype": "image/jpeg", "data": PNG},
            {"id": 5, "slug": EMPTY_SLUG, "url": None, "mimetype": None, "data": None},
            {"id": 6, "slug": SVG_SLUG, "url": None, "mimetype": "image/svg+xml", "data": SVG},
        ],
        "systems": [
            {
                "id": 1,
                "slug": "chicago",
                "name": "Chicago",
                "url": "http://chicago.example.org",
                "description": "The City",
                "email": "mayor@example.org",
                "imageId": 1,
            },
            {
                "id": 2,
                "slug": "pittsburgh",
                "name": "Pittsburgh",
                "url": "http://pgh.example.org",
                "description": None,
                "email": None,
                "imageId": 2,
            },
            {
                "id": 3,
                "slug": "",
                "name": "Nameless",
                "url": "http://x.example.org",
                "description": None,
                "email": None,
                "imageId": None,
            },
        ],
        "issuers": [
            {
                "id": 1,
                "slug": "library",
                "name": "Library",
                "url": "http://lib.example.org",
                "description": None,
                "email": "lib@example.org",
                "imageId": None,
                "systemId": 1,
            },
            {
                "id": 2,
                "slug": "orphan",
                "name": "Orphan",
                "url": "http://o.example.org",
                "description": None,
                "email": None,
                "imageId": None,
                "systemId": 99,
            },
        ],
        "programs": [
            {
                "id": 1,
                "slug": "scratch",
                "name": "Scratch",
                "url": "http://scratch.example.org",
                "description": "Code",
                "email": None,
                "imageId": 6,
                "issuerId": 1,
            }
        ],
        "consumers": [
            {
                "id": 1,
                "apiKey": "chicago-key",
                "apiSecret": "chicago-secret",
                "description": "Site",
                "systemId": 1,
            }
        ],
        "webhooks": [
            {"id": 1, "url": "http://hooks.example.org/in", "secret": "hook-secret", "systemId": 1}
        ],
        "badges": [
            badge_row(
                1,
                "sys-badge",
                systemId=1,
                strapline="Strap",
                unique=1,
                timeValue=10,
                timeUnits="hours",
                limit=5,
                evidenceType="URL",
                type="skill",
                issuerUrl="http://lib.example.org",
            ),
            badge_row(2, "prog-badge", systemId=1, issuerId=1, programId=1, imageId=2),
            badge_row(3, "old-badge", systemId=1, issuerId=1, archived=1, imageId=4),
            badge_row(7, "pitt-badge", systemId=2, imageId=99),
            badge_row(5, "ghost", systemId=42),
        ],
        "criteria": [
            {"id": 2, "badgeId": 1, "description": "Second", "note": "", "required": 0},
            {"id": 1, "badgeId": 1, "description": "First", "note": "Look", "required": 1},
            {"id": 3, "badgeId": 5, "description": "Ghost", "note": "", "required": 0},
        ],
        "alignments": [
            {
                "id": 1,
                "badgeId": 1,
                "name": "CCSS",
                "url": "http://www.corestandards.org/x",
                "description": None,
            }
        ],
        "categories": [
            {"id": 1, "badgeId": 1, "value": "science"},
            {"id": 2, "badgeId": 1, "value": "math"},
        ],
        "tags": [
            {"id": 1, "badgeId": 1, "value": "a"},
            {"id": 2, "badgeId": 1, "value": "b"},
            {"id": 3, "badgeId": 1, "value": "a"},
        ],
        "claimCodes": [
            {
                "id": 1,
                "code": "CODE1",
                "claimed": 1,
                "email": "earner@example.org",
                "multiuse": 0,
                "badgeId": 1,
            },
            {"id": 2, "code": "multi", "claimed": 1, "email": None, "multiuse": 1, "badgeId": 1},
            {"id": 3, "code": "prog", "claimed": 0, "email": None, "multiuse": 0, "badgeId": 2},
            {"id": 4, "code": "lost", "claimed": 0, "email": None, "multiuse": 0, "badgeId": 5},
        ],
        "badgeInstances": [
            {
                "id": 3,
                "slug": "third",
                "email": "third@example.org",
                "issuedOn": ISSUED,
                "expires": None,
                "claimCode": None,
                "badgeId": 1,
            },
            {
                "id": 1,
                "slug": "abc",
                "email": "Earner@Example.org",
                "issuedOn": ISSUED,
                "expires": EXPIRES,
                "claimCode": "CODE1",
                "badgeId": 1,
            },
            {
                "id": 2,
                "slug": "def",
                "email": "prog@example.org",
                "issuedOn": ISSUED,
                "expires": None,
                "claimCode": None,
                "badgeId": 2,
            },
            {
                "id": 4,
                "slug": "bad-email",
                "email": "not-an-email",
                "issuedOn": ISSUED,
                "expires": None,
                "claimCode": None,
                "badgeId": 3,
            },
            {
                "id": 5,
                "slug": "lost",
                "email": "lost@example.org",
                "issuedOn": ISSUED,
                "expires": None,
                "claimCode": None,
                "badgeId": 5,
            },
        ],
        "applications": [
            {
                "id": 1,
                "slug": "app1",
                "badgeId": 1,
                "learner": "learner@example.org",
                "created": CREATED,
                "assignedTo": None,
                "assignedExpiration": None,
                "processed": None,
                "programId": None,
                "issuerId": None,
                "systemId": 1,
            },
            {
                "id": 2,
                "slug": "app2",
                "badgeId": 2,
                "learner": "learner@example.org",
                "created": ISSUED,
                "assignedTo": "reviewer@example.org",
                "assignedExpiration": EXPIRES,
                "processed": EXPIRES,
                "programId": 1,
                "issuerId": 1,
                "systemId": 1,
            },
        ],
        "evidence": [
            {
                "id": 1,
                "applicationId": 1,
                "url": "http://example.org/work",
                "mediaType": "link",
                "reflection": "I did it",
            },
            {
                "id": 2,
                "applicationId": 1,
                "url": "http://example.org/shot.png",
                "mediaType": "image",
                "reflection": None,
            },
            {"id": 3, "applicationId": 77, "url": None, "mediaType": None, "reflection": "x"},
        ],
        "reviews": [
            {
                "id": 1,
                "slug": "rev1",
                "applicationId": 1,
                "author": "rev@example.org",
                "comment": "Good",
            },
            {
                "id": 2,
                "slug": "rev2",
                "applicationId": 1,
                "author": "rev@example.org",
                "comment": None,
            },
            {
                "id": 3,
                "slug": "rev3",
                "applicationId": 77,
                "author": "r@example.org",
                "comment": None,
            },
        ],
        "reviewItems": [
            {"id": 1, "reviewId": 1, "criterionId": 1, "satisfied": 1, "comment": None},
            {"id": 2, "reviewId": 1, "criterionId": 2, "satisfied": 0, "comment": "Meh"},
        ],
        "milestones": [
            {
                "id": 1,
                "systemId": 1,
                "primaryBadgeId": 2,
                "numberRequired": 1,
                "action": "queue-application",
            },
            {"id": 2, "systemId": 1, "primaryBadgeId": 1, "numberRequired": 1, "action": None},
        ],
        "milestoneBadges": [
            {"id": 1, "milestoneId": 1, "badgeId": 1},
            {"id": 2, "milestoneId": 1, "badgeId": 3},
            {"id": 3, "milestoneId": 2, "badgeId": 2},
            {"id": 4, "milestoneId": 1, "badgeId": 5},
        ],
    }
