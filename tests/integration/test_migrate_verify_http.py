"""The verify mode against a small data set on its own local stack: recorded answers of the
same stack verify clean, and each kind of edit of the recording is classified as documented."""

from __future__ import annotations

import argparse
import base64
import json
import struct
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrate.verify import (
    CONTRACT_DIVERGENCE,
    KNOWN_DEFECT,
    REAL,
    Endpoint,
    RecordedDir,
    add_verify_parser,
    recorded_file,
    run_verify,
    verify,
)
from tests.support.client import MASTER_SECRET, ApiClient
from tests.support.trees import created, make_badge, make_tree

ROUTES = {
    "/systems",
    "/systems/{s}",
    "/systems/{s}/issuers",
    "/systems/{s}/issuers/{i}",
    "/systems/{s}/issuers/{i}/programs",
    "/systems/{s}/issuers/{i}/programs/{p}",
    "/systems/{s}/milestones",
    "/systems/{s}/milestones/{id}",
    "/systems/{s}/consumers",
    "/systems/{s}/webhooks",
    "/systems/{s}/webhooks/{id}/deliveries",
    "{L}/badges",
    "{L}/badges?archived=true",
    "{L}/badges/{b}",
    "{L}/badges/{b}/codes",
    "{L}/badges/{b}/codes/{code}",
    "{L}/codes",
    "{L}/codes/{code}",
    "{L}/badges/{b}/instances",
    "{L}/badges/{b}/instances/{email}",
    "{L}/instances/{email}",
    "{L}/applications",
    "{L}/badges/{b}/applications",
    "{L}/badges/{b}/applications/{a}",
    "{L}/badges/{b}/applications/{a}/evidence",
    "{L}/badges/{b}/applications/{a}/reviews",
    "{L}/badges/{b}/applications/{a}/reviews/{r}",
    "/public/badges",
    "/public{L}",
    "/public{L}/badges/{b}",
    "/public/assertions/{slug}",
    "/public/images/{slug}",
}


def png() -> str:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    raw += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(raw).decode()


def fill(api: ApiClient) -> None:
    """Every entity the walk reaches: containers, badges at each level, codes, instances,
    an application with a review, a milestone, a webhook, a stored image."""
    tree = make_tree(api, "verify-sys", imageUrl=png())
    criteria = [{"description": "Do it", "required": True, "note": "n"}]
    make_badge(api, tree.sys, "v-sys", criteria=criteria, tags=["a"], categories=["Science"])
    make_badge(api, tree.iss, "v-iss", criteria=[{"description": "Other", "required": False}])
    make_badge(api, tree.prg, "v-prg", unique=True, tags=["b"])
    code = f"{tree.sys}/badges/v-sys/codes"
    assert api.post(code, json={"code": "single-use"}).status_code == 201
    assert api.post(code, json={"code": "many", "multiuse": True}).status_code == 201
    award = {"email": "earner@example.org", "claimCode": "single-use", "issuedOn": 1400000000}
    assert api.post(f"{tree.sys}/badges/v-sys/instances", json=award).status_code == 201
    award = {"email": "earner@example.org", "issuedOn": 1400000000, "expires": 1900000000}
    assert api.post(f"{tree.prg}/badges/v-prg/instances", json=award).status_code == 201
    applications = f"{tree.iss}/badges/v-iss/applications"
    evidence = [{"url": "http://example.org/e", "mediaType": "link", "reflection": "r"}]
    body = {"learner": "learner@example.org", "evidence": evidence}
    application = created(api.post(applications, json=body), "application")
    review = {"author": "r@example.org", "comment": "ok", "reviewItems": []}
    reviews = f"{applications}/{application['slug']}/reviews"
    assert api.post(reviews, json=review).status_code == 201
    milestone = {"primaryBadgeId": 1, "numberRequired": 1, "supportBadges": [2, 3]}
    assert api.post(f"{tree.sys}/milestones", json=milestone).status_code == 201
    webhook = {"url": "https://hooks.example.org/badges", "secret": "s"}
    assert api.post(f"{tree.sys}/webhooks", json=webhook).status_code == 201


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.integration.conftest import running_stack

    with running_stack() as stack:
        fill(ApiClient(stack.base_url, "master", MASTER_SECRET))
        yield Endpoint(stack.base_url, "master", MASTER_SECRET)


@pytest.fixture
def recorded(ours: Endpoint, tmp_path: Path) -> Path:
    verify(ours, None, record_to=tmp_path / "rec")
    return tmp_path / "rec"


def edit(root: Path, path: str, change: Callable[[dict[str, Any]], None]) -> None:
    file = recorded_file(root, path)
    data = json.loads(file.read_text(encoding="utf-8"))
    change(data["body"])
    file.write_text(json.dumps(data), encoding="utf-8")


def test_recorded_answers_of_the_same_stack_verify_clean(ours: Endpoint, recorded: Path) -> None:
    report = verify(RecordedDir(recorded), ours)
    assert set(report.routes) == ROUTES
    only_ours = {d.route for d in report.differences}
    assert only_ours == {
        "/systems/{s}/consumers",
        "/systems/{s}/webhooks",
        "/systems/{s}/webhooks/{id}/deliveries",
        "{L}/codes",
        "{L}/badges/{b}/applications/{a}/evidence",
    }
    assert {(d.kind, d.rule) for d in report.differences} == {(CONTRACT_DIVERGENCE, "R1")}
    assert report.ok
    images = list((recorded / "public" / "images").iterdir())
    assert len(images) == 1
    image = json.loads(images[0].read_text(encoding="utf-8"))
    assert (image["status"], image["body"]["contentType"]) == (200, "image/png")


def test_original_defects_and_divergences_are_classified_and_real_differences_fail(
    ours: Endpoint, recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sys_path = "/systems/verify-sys"

    def other_criteria(body: dict[str, Any]) -> None:
        body["badges"][0]["criteria"] = body["badges"][1]["criteria"]  # K1

    def zero_one(body: dict[str, Any]) -> None:
        body["badge"]["unique"] = 1  # K3 (ours: true)

    def null_action(body: dict[str, Any]) -> None:
        body["milestone"]["action"] = None  # K4

    def bare_system(body: dict[str, Any]) -> None:
        del body["system"]["description"]  # B3
        body["system"]["issuers"][0]["programs"] = []  # K2

    def renamed(body: dict[str, Any]) -> None:
        body["issuer"]["name"] = "Old name"  # real

    edit(recorded, f"{sys_path}/badges", other_criteria)
    edit(recorded, f"{sys_path}/issuers/library/programs/scratch/badges/v-prg", zero_one)
    edit(recorded, f"{sys_path}/milestones/1", null_action)
    edit(recorded, sys_path, bare_system)
    edit(recorded, f"{sys_path}/issuers/library", renamed)
    recorded_file(recorded, f"{sys_path}/badges/v-sys/codes/many").unlink()  # real: not recorded

    report = verify(RecordedDir(recorded), ours)
    counts = Counter((d.kind, d.rule) for d in report.differences if d.rule != "R1")
    assert counts == {
        (KNOWN_DEFECT, "K1"): 1,
        (KNOWN_DEFECT, "K2"): 1,
        (KNOWN_DEFECT, "K3"): 1,
        (KNOWN_DEFECT, "K4"): 1,
        (CONTRACT_DIVERGENCE, "B3"): 1,
        (REAL, ""): 3,
    }
    assert [(d.path, d.where, d.original, d.ours) for d in report.real] == [
        (f"{sys_path}/issuers/library", "$.issuer.name", "Old name", "Chicago Public Library"),
        (f"{sys_path}/badges/v-sys/codes/many", "status", 0, 200),
        (f"{sys_path}/badges/v-sys/codes/many", "$", None, report.real[2].ours),
    ]
    assert not report.ok

    parser = argparse.ArgumentParser()
    add_verify_parser(parser.add_subparsers())
    args = parser.parse_args(
        [
            "verify",
            "--original-recorded",
            str(recorded),
            "--ours",
            ours.base_url,
            "--ours-secret",
            ours.secret,
        ]
    )
    assert run_verify(args) == 1
    out = capsys.readouterr().out
    assert f'GET {sys_path}/issuers/library $.issuer.name: original "Old name"' in out
    assert "  known original defect: 4 (K1: 1, K2: 1, K3: 1, K4: 1)" in out
    assert "result: FAILED in" in out
