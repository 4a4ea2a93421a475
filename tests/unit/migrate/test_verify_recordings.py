"""The original's recorded answers for the migration fixture (tests/migration/expected/) show
each known defect the verify rules name: the rules describe what the original really does."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from migrate.verify import META_FILE, NO_ANSWER, recorded_file

EXPECTED = Path(__file__).resolve().parents[2] / "migration" / "expected"


@cache
def body(path: str) -> Any:
    data = json.loads(recorded_file(EXPECTED, path).read_text(encoding="utf-8"))
    assert data["path"] == path
    return data["body"]


def status(path: str) -> int:
    data = json.loads(recorded_file(EXPECTED, path).read_text(encoding="utf-8"))
    return int(data["status"])


def test_the_recording_names_the_originals_base_url() -> None:
    meta = json.loads((EXPECTED / META_FILE).read_text(encoding="utf-8"))
    assert meta["baseUrl"].startswith("http://127.0.0.1:")
    assert body("/systems")["systems"][0]["slug"] == "chicago"


def test_k1_lists_carry_other_badges_relations() -> None:
    own = body("/systems/chicago/badges/library-explorer")["badge"]
    assert [c["id"] for c in own["criteria"]] == [4, 5]
    listed = body("/systems/chicago/badges/library-explorer/instances")["instances"]
    # Badge 6's criteria (8, 9) on an instance of badge 2.
    assert [c["id"] for c in listed[0]["badge"]["criteria"]] == [8, 9]
    assert listed[0]["badge"]["id"] == own["id"]


def test_k2_a_systems_issuers_come_without_their_programs() -> None:
    issuers = {i["slug"]: i for i in body("/systems/chicago")["system"]["issuers"]}
    assert issuers["library"]["programs"] == []
    programs = body("/systems/chicago/issuers/library/programs")["programs"]
    assert [p["slug"] for p in programs] == ["reading-club", "maker-lab"]


def test_k3_zero_or_one_for_booleans() -> None:
    badge = body("/systems/chicago/badges/reading-club-star")["badge"]
    assert badge["unique"] == 0
    assert type(badge["unique"]) is int


def test_k4_null_milestone_action() -> None:
    assert body("/systems/chicago/milestones/2")["milestone"]["action"] is None


def test_k5_milestone_badges_are_bare_rows() -> None:
    primary = body("/systems/chicago/milestones/2")["milestone"]["primaryBadge"]
    own = body("/systems/chicago/badges/reading-club-star")["badge"]
    assert (primary["criteria"], primary["tags"]) == ([], [])
    assert own["criteria"] != []
    assert "system" not in primary
    assert "imageUrl" not in primary
    assert own["system"]["slug"] == "chicago"


def test_k6_the_original_fails_on_a_badge_with_an_alignment_without_description() -> None:
    # Badge reading-100's alignment 2 has no description: lists and the badge's own routes
    # crash, some never answer (an exception in a promise callback).
    crash = "Cannot read properties of null (reading 'toString')"
    assert (status("/systems/chicago/badges"), body("/systems/chicago/badges")) == (
        500,
        {"code": "InternalError", "message": crash},
    )
    single = "/systems/chicago/badges/reading-100"
    assert (status(single), body(single)) == (500, {"message": crash})
    assert status("/systems/chicago/badges/reading-100/codes") == 0
    assert NO_ANSWER in body("/systems/chicago/badges/reading-100/codes")


def test_k7_nested_containers_come_without_their_image() -> None:
    own = body("/systems/chicago")["system"]["imageUrl"]
    nested = body("/systems/chicago/badges/library-explorer")["badge"]["system"]
    assert own == "/images/832bd1f871a188bba8499cda1cd0523e"
    assert nested["imageUrl"] is None


def test_divergences_seen_in_the_recording() -> None:
    # C14: image URLs of a route the original never had; B3: no system description; T1: the
    # zero date rendered raw; I1: every image sent as application/octet-stream.
    system = body("/systems/chicago")["system"]
    assert system["imageUrl"].startswith("/images/")
    assert "description" not in system
    instances = body("/systems/chicago/badges/reading-club-star/instances")["instances"]
    assert "0000-00-00 00:00:00" in [i["issuedOn"] for i in instances]
    image = body("/public/images/832bd1f871a188bba8499cda1cd0523e")
    assert image["contentType"] == "application/octet-stream"
