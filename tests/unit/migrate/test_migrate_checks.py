"""The row checks of the import (`migrate.checks`): pure, no AWS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from migrate import checks
from migrate.checks import Findings, RowCheck
from tests.unit.migrate.fixture_rows import HTML, PNG, SVG

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


def check(row: dict[str, Any], table: str = "images") -> tuple[RowCheck, Findings]:
    findings = Findings()
    return RowCheck(findings, table, {"id": 9, **row}), findings


def notes(findings: Findings) -> list[tuple[str, str]]:
    return [(f.problem, f.action) for f in findings.examples]


def test_stored_types_are_decided_by_the_bytes():
    c, found = check({"mimetype": "image/jpg", "data": JPEG, "url": None})
    assert checks.image(c) == checks.ImageDecision(data=JPEG, mimetype="image/jpeg")
    assert notes(found) == []  # an accepted alias of JPEG
    c, found = check({"mimetype": "image/svg+xml", "data": SVG, "url": None})
    assert checks.image(c).mimetype == "image/svg+xml"
    c, found = check({"mimetype": "image/gif", "data": PNG, "url": None})
    assert checks.image(c).mimetype == "image/png"
    assert notes(found) == [(checks.TYPE_MISMATCH, "changed")]


def test_bytes_of_no_stored_type_are_kept_as_a_download():
    c, found = check({"mimetype": "image/png", "data": HTML, "url": None})
    assert checks.image(c) == checks.ImageDecision(data=HTML, mimetype="application/octet-stream")
    assert notes(found) == [(checks.NOT_AN_IMAGE, "as-is")]
    c, _ = check({"mimetype": "application/pdf", "data": b"%PDF-1.4", "url": None})
    assert checks.image(c).mimetype == "application/pdf"
    c, found = check({"mimetype": None, "data": None, "url": None})
    assert checks.image(c).skip
    assert notes(found) == [(checks.NO_IMAGE_DATA, "skipped")]
    c, _ = check({"mimetype": None, "data": None, "url": b"http://example.org/a.png"})
    assert checks.image(c) == checks.ImageDecision(url="http://example.org/a.png")


def test_timestamps_are_naive_utc_and_kept_in_range():
    c, found = check({"created": datetime(2014, 5, 21, 19, 22, 9)}, "badges")
    assert c.timestamp("created", required=True) == 1400700129
    c, found = check({"created": None, "processed": "0000-00-00 00:00:00"}, "applications")
    assert c.timestamp("created", required=True) == 0
    assert c.timestamp("processed") is None
    assert notes(found) == [(checks.DATE_MISSING, "clamped"), (checks.DATE_MISSING, "changed")]
    c, found = check({"expires": datetime(1969, 12, 31, 23, 0, 0)}, "badgeInstances")
    assert c.timestamp("expires") == 0
    assert notes(found) == [(checks.DATE_RANGE, "clamped")]


def test_texts_slugs_emails_and_urls():
    c, found = check(
        {"slug": "a/b", "description": "x" * 256, "email": "nope", "url": "not a url"}, "systems"
    )
    assert c.slug() == "a/b"
    assert c.text("description", 255) == "x" * 256
    assert c.email("email") == "nope"
    assert c.url("url") == "not a url"
    assert notes(found) == [
        (checks.INVALID_SLUG, "as-is"),
        (checks.TOO_LONG, "as-is"),
        (checks.INVALID_EMAIL, "as-is"),
        (checks.INVALID_URL, "as-is"),
    ]
    c, found = check({"slug": "  "}, "systems")
    assert c.slug() is None
    assert notes(found) == [(checks.INVALID_SLUG, "skipped")]


def test_findings_keep_bounded_examples_and_count_all():
    findings = Findings()
    for n in range(checks.EXAMPLES_PER_CLASS + 5):
        findings.add("badgeInstances", n, checks.INVALID_EMAIL, "as-is")
    assert len(findings) == checks.EXAMPLES_PER_CLASS + 5
    assert len(findings.examples) == checks.EXAMPLES_PER_CLASS
