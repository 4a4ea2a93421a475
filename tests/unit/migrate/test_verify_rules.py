"""The verify mode's comparison and classification rules (pure: no HTTP, no table)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from badgekit import signing
from migrate.verify import (
    BASE,
    CONTRACT_DIVERGENCE,
    IGNORED,
    KNOWN_DEFECT,
    MISSING,
    REAL,
    RULES,
    Answer,
    Context,
    Difference,
    VerifyReport,
    classify,
    diff,
    recorded_file,
    sign,
    strip_base,
)

REPO = Path(__file__).resolve().parents[3]
ORIGINAL = "http://old.example.org:8080"
OURS = "https://badges.example.org"


def badge(badge_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": badge_id,
        "slug": f"b{badge_id}",
        "unique": True,
        "criteria": [{"id": badge_id, "description": f"criterion of {badge_id}", "required": True}],
        "alignments": [],
        "tags": [{"id": badge_id, "value": f"tag{badge_id}"}],
        "categories": [],
        **fields,
    }


def context(original: dict[str, Any], ours: dict[str, Any]) -> Context:
    return Context(
        {path: Answer(200, body) for path, body in original.items()},
        {path: Answer(200, body) for path, body in ours.items()},
    )


def judge(route: str, path: str, where: str, a: Any, b: Any, ctx: Context | None = None) -> str:
    found = classify(Difference(route, path, where, a, b), ctx or context({}, {}))
    return f"{found.kind}/{found.rule}" if found.rule else found.kind


# --- H1 and the comparison ---------------------------------------------------------------------


def test_h1_replaces_only_each_sides_own_base_url() -> None:
    body = {
        "assertionUrl": f"{ORIGINAL}/public/assertions/x",
        "badge": {"issuer": f"{OURS}/public/systems/s"},
        "other": ["http://old.example.org:8080x/y", "http://elsewhere.example/public", ORIGINAL],
    }
    assert strip_base(body, (ORIGINAL, OURS)) == {
        "assertionUrl": f"{BASE}/public/assertions/x",
        "badge": {"issuer": f"{BASE}/public/systems/s"},
        "other": ["http://old.example.org:8080x/y", "http://elsewhere.example/public", BASE],
    }


def test_diff_reports_leaves_missing_keys_and_items_and_bool_is_not_int() -> None:
    original = {"a": 1, "b": [1, 2], "c": {"d": None}, "e": 0}
    ours = {"a": True, "b": [1], "c": {"d": None, "f": "x"}, "e": 0}
    assert list(diff(original, ours)) == [
        ("$.a", 1, True),
        ("$.b[1]", 2, MISSING),
        ("$.c.f", MISSING, "x"),
    ]


def test_diff_compares_badge_relations_as_one_value() -> None:
    original = {"badge": {"criteria": [{"id": 1}], "tags": [], "issuers": [{"programs": []}]}}
    ours = {"badge": {"criteria": [{"id": 2}], "tags": [], "issuers": [{"programs": [{"id": 1}]}]}}
    assert list(diff(original, ours)) == [
        ("$.badge.criteria", [{"id": 1}], [{"id": 2}]),
        ("$.badge.issuers[0].programs[0]", MISSING, {"id": 1}),
    ]


def test_identical_answers_have_no_difference() -> None:
    body = {"badges": [badge(1), badge(2)], "pageData": {"page": 1, "count": 2, "total": 9}}
    assert list(diff(body, body)) == []


# --- classification ----------------------------------------------------------------------------


def test_k3_zero_or_one_for_the_boolean_of_the_same_truth() -> None:
    assert judge("{L}/badges/{b}", "/p", "$.badge.unique", 1, True) == f"{KNOWN_DEFECT}/K3"
    assert judge("{L}/codes/{code}", "/p", "$.badge.claimed", 0, False) == f"{KNOWN_DEFECT}/K3"
    assert judge("{L}/badges/{b}", "/p", "$.badge.unique", 0, True) == REAL
    assert judge("{L}/badges/{b}", "/p", "$.badge.unique", 2, True) == REAL
    assert judge("{L}/badges/{b}", "/p", "$.badge.unique", "1", True) == REAL


def test_k4_null_milestone_action_for_issue() -> None:
    where = "$.milestones[0].action"
    assert judge("/systems/{s}/milestones", "/p", where, None, "issue") == f"{KNOWN_DEFECT}/K4"
    assert judge("/systems/{s}/milestones", "/p", where, None, "queue-application") == REAL
    assert judge("/systems/{s}/milestones", "/p", where, "issue", "queue-application") == REAL


def test_c14_image_urls_of_a_route_that_never_existed() -> None:
    where = "$.badge.imageUrl"
    ours = f"{BASE}/public/images/abc"
    assert judge("r", "/p", where, "/images/abc", ours) == f"{CONTRACT_DIVERGENCE}/C14"
    assert judge("r", "/p", where, f"{BASE}/images/abc", ours) == f"{CONTRACT_DIVERGENCE}/C14"
    assert judge("r", "/p", where, "/images/abd", ours) == REAL
    assert judge("r", "/p", where, "http://cdn.example/x.png", ours) == REAL


def test_b3_and_evidence_slugs_are_keys_the_original_never_had() -> None:
    assert judge("/systems/{s}", "/p", "$.system.description", MISSING, "d") == (
        f"{CONTRACT_DIVERGENCE}/B3"
    )
    assert judge("/systems", "/p", "$.systems[3].description", MISSING, None) == (
        f"{CONTRACT_DIVERGENCE}/B3"
    )
    assert judge("/systems/{s}", "/p", "$.system.description", "old", "new") == REAL
    assert judge("{L}/badges", "/p", "$.badges[0].description", MISSING, "d") == REAL
    where = "$.application.evidence[1].slug"
    assert judge("r", "/p", where, MISSING, "e1") == f"{CONTRACT_DIVERGENCE}/EV"
    assert judge("r", "/p", where, "e0", "e1") == REAL


def test_r1_routes_the_original_never_had() -> None:
    assert judge("/systems/{s}/consumers", "/p", "route", MISSING, 200) == (
        f"{CONTRACT_DIVERGENCE}/R1"
    )


LIST = "/systems/s/badges"
SINGLE_1 = "/systems/s/badges/b1"


def k1_context(ours_list: list[dict[str, Any]], original_single: dict[str, Any]) -> Context:
    return context(
        {SINGLE_1: {"badge": original_single}},
        {LIST: {"badges": ours_list}, SINGLE_1: {"badge": ours_list[0]}},
    )


def test_k1_list_with_another_badges_relations_when_ours_equal_the_originals_own_document() -> None:
    ctx = k1_context([badge(1), badge(2)], badge(1))
    other = badge(2)["criteria"]
    assert judge("{L}/badges", LIST, "$.badges[0].criteria", other, badge(1)["criteria"], ctx) == (
        f"{KNOWN_DEFECT}/K1"
    )
    assert judge(
        "{L}/badges", LIST, "$.badges[0].tags", badge(2)["tags"], badge(1)["tags"], ctx
    ) == (f"{KNOWN_DEFECT}/K1")


def test_k1_does_not_hide_a_badge_whose_relations_really_differ() -> None:
    changed = badge(1, criteria=[{"id": 9, "description": "changed", "required": True}])
    ctx = k1_context([changed, badge(2)], badge(1))
    # Ours differ from the original's own single-badge document: a real difference.
    assert (
        judge(
            "{L}/badges",
            LIST,
            "$.badges[0].criteria",
            badge(2)["criteria"],
            changed["criteria"],
            ctx,
        )
        == REAL
    )
    # The single-badge route itself is never explained by K1.
    ctx = k1_context([badge(1)], badge(1))
    assert (
        judge("{L}/badges/{b}", SINGLE_1, "$.badge.criteria", [], badge(1)["criteria"], ctx) == REAL
    )
    # No single-badge document of the original to compare with: real.
    bare = context({}, {LIST: {"badges": [badge(1)]}})
    assert judge("{L}/badges", LIST, "$.badges[0].criteria", [], badge(1)["criteria"], bare) == REAL


def test_k2_embedded_issuer_without_programs() -> None:
    programs = [{"id": 1, "slug": "p1"}, {"id": 2, "slug": "p2"}]
    ours = {"system": {"slug": "s", "issuers": [{"slug": "i", "programs": programs}]}}
    listing = {"programs": [{"slug": "p1"}, {"slug": "p2"}]}
    ctx = context({"/systems/s/issuers/i/programs": listing}, {"/systems/s": ours})
    where = "$.system.issuers[0].programs[1]"
    defect = f"{KNOWN_DEFECT}/K2"
    assert judge("/systems/{s}", "/systems/s", where, MISSING, programs[1], ctx) == defect
    # Not the program the original's own list has at that place: real.
    swapped = {"programs": [{"slug": "p2"}, {"slug": "p1"}]}
    ctx = context({"/systems/s/issuers/i/programs": swapped}, {"/systems/s": ours})
    assert judge("/systems/{s}", "/systems/s", where, MISSING, programs[1], ctx) == REAL
    # The original did embed a program there, a different one: real.
    assert judge("/systems/{s}", "/systems/s", where, programs[0], programs[1], ctx) == REAL


MILESTONE = "/systems/s/milestones/1"


def k5_context(original_single: dict[str, Any] | None, failed: bool = False) -> Context:
    b1 = badge(1, imageUrl="http://img.example/1.png", system={"id": 1, "slug": "s"})
    ours = {"milestone": {"id": 1, "action": "issue", "primaryBadge": b1, "supportBadges": [b1]}}
    original: dict[str, Answer] = {}
    if original_single is not None:
        original[SINGLE_1] = Answer(200, {"badge": original_single})
    if failed:
        original[SINGLE_1] = Answer(0, {"noAnswer": "TimeoutError: timed out"})
    return Context(original, {MILESTONE: Answer(200, ours), SINGLE_1: Answer(200, {"badge": b1})})


def test_k5_milestone_badges_without_relations() -> None:
    b1 = badge(1, imageUrl="http://img.example/1.png", system={"id": 1, "slug": "s"})
    ctx = k5_context({**b1, "unique": 1})
    route, defect = "/systems/{s}/milestones/{id}", f"{KNOWN_DEFECT}/K5"
    where = "$.milestone.primaryBadge"
    assert judge(route, MILESTONE, f"{where}.criteria", [], b1["criteria"], ctx) == defect
    support = "$.milestone.supportBadges[0]"
    assert judge(route, MILESTONE, f"{support}.imageUrl", MISSING, b1["imageUrl"], ctx) == defect
    assert judge(route, MILESTONE, f"{where}.system", MISSING, b1["system"], ctx) == defect
    # The original failing on that badge's own document (K6) confirms it as well.
    failed = k5_context(None, failed=True)
    assert judge(route, MILESTONE, f"{where}.tags", [], b1["tags"], failed) == defect
    # A value the original did render differently is not explained.
    other_image = "http://x/2.png"
    assert judge(route, MILESTONE, f"{where}.imageUrl", other_image, b1["imageUrl"], ctx) == REAL
    # Ours differ from our own single-badge document: real.
    other = [{"id": 7, "description": "x", "required": True}]
    assert judge(route, MILESTONE, f"{where}.criteria", [], other, ctx) == REAL
    # The original's own document has no such relation either: real.
    no_tags = k5_context({**b1, "tags": []})
    assert judge(route, MILESTONE, f"{where}.tags", [], b1["tags"], no_tags) == REAL
    # No single-badge answer of the original at all: real.
    assert judge(route, MILESTONE, f"{where}.tags", [], b1["tags"], k5_context(None)) == REAL
    # Outside a milestone's badges: not K5.
    assert judge(route, MILESTONE, "$.milestone.imageUrl", MISSING, "x", ctx) == REAL


def test_k1_when_the_original_fails_on_the_badge_itself() -> None:
    b1, b2 = badge(1), badge(2)
    listing = "/systems/s/instances/e@example.org"
    ours = {"instances": [{"slug": "i1", "badge": b1}]}
    ctx = Context(
        {
            SINGLE_1: Answer(500, {"code": "InternalError", "message": "x"}),
            "/systems/s/badges/b2": Answer(200, {"badge": b2}),
        },
        {listing: Answer(200, ours), SINGLE_1: Answer(200, {"badge": b1})},
    )
    where = "$.instances[0].badge.criteria"
    route = "{L}/instances/{email}"
    assert judge(route, listing, where, b2["criteria"], b1["criteria"], ctx) == (
        f"{KNOWN_DEFECT}/K1"
    )
    # The original's value is no other badge's: real.
    assert judge(route, listing, where, [{"id": 99}], b1["criteria"], ctx) == REAL


def test_k6_the_original_failing_where_ours_answer() -> None:
    path = "/systems/s/badges/b1/codes"
    ours = Answer(200, {"claimCodes": []})
    for original in (
        Answer(500, {"code": "InternalError", "message": "log is not defined"}),
        Answer(0, {"noAnswer": "TimeoutError: timed out"}),
    ):
        ctx = Context({path: original}, {path: ours})
        route = "{L}/badges/{b}/codes"
        assert judge(route, path, "status", original.status, 200, ctx) == f"{KNOWN_DEFECT}/K6"
        assert judge(route, path, "$.code", MISSING, "x", ctx) == f"{KNOWN_DEFECT}/K6"
    # Not recorded at all, or ours failing too: real.
    ctx = Context({path: Answer(0, None)}, {path: ours})
    assert judge("r", path, "status", 0, 200, ctx) == REAL
    ctx = Context({path: Answer(500, {})}, {path: Answer(500, {})})
    assert judge("r", path, "$.message", "a", "b", ctx) == REAL


def test_k7_nested_containers_without_their_image() -> None:
    image = f"{BASE}/public/images/sys-image"
    b1 = badge(1, system={"slug": "s", "imageUrl": image}, issuer={"slug": "i", "imageUrl": None})
    path = "/systems/s/badges"
    original = {
        "/systems/s": {"system": {"slug": "s", "imageUrl": "/images/sys-image"}},
        "/systems/s/issuers/i": {"issuer": {"slug": "i", "imageUrl": f"{BASE}/x.png"}},
    }
    ctx = context(original, {path: {"badges": [b1]}})
    defect = f"{KNOWN_DEFECT}/K7"
    assert judge("{L}/badges", path, "$.badges[0].system.imageUrl", None, image, ctx) == defect
    # Ours show another image than the container's own document: real.
    other = f"{BASE}/public/images/other"
    assert judge("{L}/badges", path, "$.badges[0].system.imageUrl", None, other, ctx) == REAL
    # A system's issuers and an issuer's programs.
    system = {"slug": "s", "issuers": [{"slug": "i", "programs": [{"slug": "p"}]}]}
    original["/systems/s/issuers/i/programs/p"] = {"program": {"slug": "p", "imageUrl": image}}
    ctx = context(original, {"/systems": {"systems": [system]}})
    where = "$.systems[0].issuers[0].programs[0].imageUrl"
    assert judge("/systems", "/systems", where, None, image, ctx) == defect
    where = "$.systems[0].issuers[0].imageUrl"
    assert judge("/systems", "/systems", where, None, f"{BASE}/x.png", ctx) == defect
    # The container's own document has no image either: real.
    original["/systems/s/issuers/i"] = {"issuer": {"slug": "i", "imageUrl": None}}
    ctx = context(original, {"/systems": {"systems": [system]}})
    assert judge("/systems", "/systems", where, None, f"{BASE}/x.png", ctx) == REAL


def test_t1_u1_al_i1_stored_values_the_contract_renders_otherwise() -> None:
    zero = "0000-00-00 00:00:00"
    epoch = "1970-01-01T00:00:00.000Z"
    assert judge("r", "/p", "$.instance.issuedOn", zero, epoch) == f"{CONTRACT_DIVERGENCE}/T1"
    assert judge("r", "/p", "$.instance.issuedOn", zero, "2014-01-01T00:00:00.000Z") == REAL
    route = "/public/assertions/{slug}"
    assert judge(route, "/p", "$.issuedOn", MISSING, 0) == f"{CONTRACT_DIVERGENCE}/T1"
    assert judge(route, "/p", "$.issuedOn", MISSING, 5) == REAL
    raw, encoded = f"{BASE}/public/assertions/café", f"{BASE}/public/assertions/caf%C3%A9"
    assert judge("r", "/p", "$.verify.url", raw, encoded) == f"{CONTRACT_DIVERGENCE}/U1"
    assert judge("r", "/p", "$.verify.url", f"{BASE}/public/assertions/cafe", encoded) == REAL
    where = "$.alignment[0].description"
    assert judge("r", "/p", where, None, "") == f"{CONTRACT_DIVERGENCE}/AL"
    assert judge("r", "/p", "$.badge.alignments[1].description", None, "") == (
        f"{CONTRACT_DIVERGENCE}/AL"
    )
    assert judge("r", "/p", where, None, "x") == REAL
    images = "/public/images/{slug}"
    octet = "application/octet-stream"
    assert judge(images, "/p", "$.contentType", octet, "image/png") == f"{CONTRACT_DIVERGENCE}/I1"
    assert judge(images, "/p", "$.sha256", "a", "b") == REAL
    assert judge(images, "/p", "$.contentType", "image/gif", "image/png") == REAL


def test_a_status_difference_is_real() -> None:
    assert judge("/public/assertions/{slug}", "/p", "status", 200, 404) == REAL
    assert judge("/public/assertions/{slug}", "/p", "status", 0, 200) == REAL


# --- report, files, signing --------------------------------------------------------------------


def test_report_fails_only_on_real_differences_and_counts_classes() -> None:
    report = VerifyReport()
    report.routes.update({"/systems": 1, "{L}/badges": 3})
    report.differences = [
        Difference(
            "{L}/badges", "/systems/s/badges", "$.badges[0].unique", 1, True, KNOWN_DEFECT, "K3"
        ),
        Difference(
            "/systems",
            "/systems",
            "$.systems[0].description",
            MISSING,
            "d",
            CONTRACT_DIVERGENCE,
            "B3",
        ),
    ]
    assert report.ok
    text = report.render()
    assert "verify: 4 requests over 2 routes" in text
    assert "  contract divergence: 1 (B3: 1)" in text
    assert "  known original defect: 1 (K3: 1)" in text
    assert "  real difference: 0" in text
    assert "result: OK in" in text
    assert "not compared" not in text
    report.differences.append(
        Difference("{L}/badges/{b}", "/systems/s/badges/b", "status", 500, 200, KNOWN_DEFECT, "K6")
    )
    text = report.render()
    assert (
        "not compared, the original failed (K6): 1 requests\n    GET /systems/s/badges/b\n" in text
    )
    assert report.ok
    report.differences.append(
        Difference("{L}/badges", "/systems/s/badges", "$.badges[0].name", "a", "b")
    )
    assert not report.ok
    text = report.render()
    assert "  {L}/badges: 1" in text
    assert '    GET /systems/s/badges $.badges[0].name: original "a" / ours "b"' in text
    assert "result: FAILED" in text


def test_recorded_files_are_keyed_by_request_path(tmp_path: Path) -> None:
    assert recorded_file(tmp_path, "/systems") == tmp_path / "systems.json"
    assert recorded_file(tmp_path, "/systems/s/badges/b") == tmp_path / "systems/s/badges/b.json"
    assert recorded_file(tmp_path, "/systems/s/instances/a%2Bb@example.org") == (
        tmp_path / "systems/s/instances/a%2Bb@example.org.json"
    )
    assert recorded_file(tmp_path, "/systems/s/badges?page=2&count=1") == (
        tmp_path / "systems/s/badges%3Fpage%3D2%26count%3D1.json"
    )
    assert recorded_file(tmp_path, "/") == tmp_path / "_root.json"


def test_requests_are_signed_as_the_contract_says() -> None:
    header = sign("master", "s3cret", "GET", "/systems/s?page=1", now=1_000)
    token = signing.DecodedToken(re.fullmatch(r'JWT token="(.+)"', header).group(1))  # type: ignore[union-attr]
    assert token.signature_valid("s3cret")
    assert not token.signature_valid("other")


def test_every_rule_is_in_the_docs_table_with_its_class() -> None:
    text = (REPO / "docs" / "migration.md").read_text(encoding="utf-8")
    text = text[text.index("## Verify") :]
    text = text[: text.index("\n## ", 1)] if "\n## " in text[1:] else text
    rows = dict(re.findall(r"^\| `?([A-Z][A-Z0-9]*)`? \| ([a-z ]+) \|", text, re.MULTILINE))
    expected = {rule.id: rule.kind for rule in RULES}
    expected.update({rule_id: "ignored" for rule_id, _, _ in IGNORED})
    assert rows == expected


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rules_are_described(rule: Any) -> None:
    assert rule.description
    assert rule.reference
