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


def test_diff_compares_badge_relations_and_embedded_programs_as_one_value() -> None:
    original = {"badge": {"criteria": [{"id": 1}], "tags": [], "issuers": [{"programs": []}]}}
    ours = {"badge": {"criteria": [{"id": 2}], "tags": [], "issuers": [{"programs": [{"id": 1}]}]}}
    assert list(diff(original, ours)) == [
        ("$.badge.criteria", [{"id": 1}], [{"id": 2}]),
        ("$.badge.issuers[0].programs", [], [{"id": 1}]),
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
    where = "$.system.issuers[0].programs"
    assert judge("/systems/{s}", "/systems/s", where, [], programs, ctx) == f"{KNOWN_DEFECT}/K2"
    # The original's own programs list disagrees with ours: real.
    ctx = context(
        {"/systems/s/issuers/i/programs": {"programs": [{"slug": "p1"}]}}, {"/systems/s": ours}
    )
    assert judge("/systems/{s}", "/systems/s", where, [], programs, ctx) == REAL
    # The original did embed programs, different ones: real.
    assert judge("/systems/{s}", "/systems/s", where, programs[:1], programs, ctx) == REAL


def test_k5_milestone_badges_without_relations() -> None:
    b1 = badge(1, imageUrl="http://img.example/1.png", system={"id": 1, "slug": "s"})
    ours = {"milestone": {"id": 1, "action": "issue", "primaryBadge": b1, "supportBadges": [b1]}}
    original_single = {**b1, "unique": 1}
    ctx = context({SINGLE_1: {"badge": original_single}}, {"/systems/s/milestones/1": ours})
    route, path = "/systems/{s}/milestones/{id}", "/systems/s/milestones/1"
    assert judge(route, path, "$.milestone.primaryBadge.criteria", [], b1["criteria"], ctx) == (
        f"{KNOWN_DEFECT}/K5"
    )
    assert judge(
        route, path, "$.milestone.supportBadges[0].imageUrl", MISSING, b1["imageUrl"], ctx
    ) == (f"{KNOWN_DEFECT}/K5")
    assert judge(route, path, "$.milestone.primaryBadge.system", MISSING, b1["system"], ctx) == (
        f"{KNOWN_DEFECT}/K5"
    )
    # A value the original did render differently is not explained.
    assert (
        judge(
            route, path, "$.milestone.primaryBadge.imageUrl", "http://x/2.png", b1["imageUrl"], ctx
        )
        == REAL
    )
    # Ours differ from the original's own badge document: real.
    other = [{"id": 7, "description": "x", "required": True}]
    assert judge(route, path, "$.milestone.primaryBadge.criteria", [], other, ctx) == REAL
    # Outside a milestone's badges: not K5.
    assert judge(route, path, "$.milestone.imageUrl", MISSING, "x", ctx) == REAL


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
    rows = dict(re.findall(r"^\| `?([A-Z][A-Z0-9]*)`? \| ([a-z ]+) \|", text, re.MULTILINE))
    expected = {rule.id: rule.kind for rule in RULES}
    expected.update({rule_id: "ignored" for rule_id, _, _ in IGNORED})
    assert rows == expected


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rules_are_described(rule: Any) -> None:
    assert rule.description
    assert rule.reference
