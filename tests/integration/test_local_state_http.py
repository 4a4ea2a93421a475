"""The local stack's state folder over real restarts of `python -m local` (local/state.py):
data and undelivered outbox events survive a stop by SIGTERM and a start with the same folder;
`--in-memory` keeps nothing, `--clean` starts empty; an unusable state file stops the start and
is left as it is."""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tests.integration.conftest import REPO_ROOT, StackProcess, start_stack
from tests.support.bodies import minimal_badge
from tests.support.client import MASTER_SECRET, ApiClient
from tests.support.receiver import receiving, wait_for

SENDER = "WebhookSenderFunction.NewEvents"
AWARDER = "MilestoneAwardFunction.RequestAwards"
PUBLIC_IMAGE = re.compile(r"/public/images/([0-9a-f]{32})$")
GIF = b"GIF89a-kept-across-restarts"


def _api(stack: StackProcess) -> ApiClient:
    return ApiClient(stack.base_url, "master", MASTER_SECRET)


def _stop(stack: StackProcess) -> str:
    """SIGTERM; the stack must leave with status 0. Returns its output."""
    try:
        stack.stop()
        assert stack.process.returncode == 0, stack.output()
        return stack.output()
    finally:
        stack.log_path.unlink(missing_ok=True)


def _json(response: Any, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _based(document: Any, stack: StackProcess) -> Any:
    """`document` with the stack's URL (its port changes on every start) as `BASE`."""
    return json.loads(json.dumps(document).replace(stack.base_url, "BASE"))


def _saved(folder: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    return document


def test_data_survives_a_stop_and_a_start(tmp_path: Path, unique: Callable[..., str]) -> None:
    args = ("--state-dir", str(tmp_path))
    first = start_stack(args=args)
    try:
        api = _api(first)
        slug = unique("kept")
        image = "data:image/gif;base64," + base64.b64encode(GIF).decode()
        body = {"slug": slug, "name": "Kept", "url": "http://example.org", "image": image}
        system = _json(api.post("/systems", json=body), 201)["system"]
        badge_path = f"/systems/{slug}/badges/kept-badge"
        _json(api.post(f"/systems/{slug}/badges", json=minimal_badge("kept-badge")), 201)
        _json(api.post(f"{badge_path}/codes", json={"code": "KEEP-ME"}), 201)
        badge = _based(_json(api.get(badge_path), 200), first)
        codes = _based(_json(api.get(f"/systems/{slug}/codes"), 200), first)
        code = _based(_json(api.get(f"{badge_path}/codes/KEEP-ME"), 200), first)
    finally:
        output = _stop(first)
    assert "Stopping..." in output
    saved = _saved(tmp_path)
    assert saved["format"] == "badgekit-local-state"
    assert saved["table"]["items"]

    second = start_stack(args=args)
    try:
        api = _api(second)
        assert "(restored " in second.output()
        systems = _json(api.get("/systems"), 200)["systems"]
        assert [s["slug"] for s in systems] == [slug]
        assert _based(_json(api.get(badge_path), 200), second) == badge
        assert _based(_json(api.get(f"{badge_path}/codes/KEEP-ME"), 200), second) == code
        assert _based(_json(api.get(f"/systems/{slug}/codes"), 200), second) == codes
        match = PUBLIC_IMAGE.search(system["imageUrl"])
        assert match, system["imageUrl"]
        served = api.get(f"/public/images/{match.group(1)}", sign=False)
        assert served.status_code == 200
        assert served.headers["Content-Type"] == "image/gif"
        assert served.content == GIF
        # and the restored stack keeps working: ids go on from where they were
        other = {"slug": unique("next"), "name": "Next", "url": "http://example.org"}
        assert _json(api.post("/systems", json=other), 201)["system"]["id"] == system["id"] + 1
    finally:
        _stop(second)


def test_an_award_not_delivered_before_the_stop_is_delivered_once_after_the_start(
    tmp_path: Path, unique: Callable[..., str]
) -> None:
    args = ("--state-dir", str(tmp_path))
    with receiving() as receiver:
        # stream pollers that never read: the award's event is committed, not processed
        first = start_stack(args=args, module="tests.support.paused_streams")
        try:
            api = _api(first)
            slug = unique("hooked")
            body = {"slug": slug, "name": slug, "url": "http://example.org"}
            _json(api.post("/systems", json=body), 201)
            hook = {"url": f"{receiver.url}/{slug}", "secret": "restart-secret"}
            webhook = _json(api.post(f"/systems/{slug}/webhooks", json=hook), 201)["webhook"]
            _json(api.post(f"/systems/{slug}/badges", json=minimal_badge("b")), 201)
            awarded = api.post(
                f"/systems/{slug}/badges/b/instances", json={"email": "kept@example.org"}
            )
            instance = _json(awarded, 201)["instance"]
        finally:
            _stop(first)
        assert receiver.at(f"/{slug}") == []
        pending = _saved(tmp_path)["streams"]
        assert [r["dynamodb"]["NewImage"]["action"]["S"] for r in pending[SENDER]] == ["award"]
        assert [r["dynamodb"]["NewImage"]["action"]["S"] for r in pending[AWARDER]] == ["award"]

        second = start_stack(args=args)
        try:
            api = _api(second)
            (call,) = wait_for(lambda: receiver.at(f"/{slug}"), "the award's delivery")
            payload = json.loads(call.body)
            assert (payload["action"], payload["uid"], payload["email"]) == (
                "award",
                instance["slug"],
                "kept@example.org",
            )
            path = f"/systems/{slug}/webhooks/{webhook['id']}/deliveries"
            log = wait_for(
                lambda: [
                    d for d in _json(api.get(path), 200)["deliveries"] if d["status"] == "delivered"
                ],
                "the delivery's log",
            )
            assert [(d["attempts"], d["status"]) for d in log] == [(1, "delivered")]
        finally:
            _stop(second)
        assert len(receiver.at(f"/{slug}")) == 1
        streams = _saved(tmp_path)["streams"]
        assert {SENDER, AWARDER} <= set(streams)  # and the purger's: every stream consumer
        assert all(pending == [] for pending in streams.values()), streams


def test_in_memory_keeps_nothing_and_clean_starts_empty(
    tmp_path: Path, unique: Callable[..., str]
) -> None:
    folder = tmp_path / "state"
    body = {"slug": unique("gone"), "name": "Gone", "url": "http://example.org"}
    # --in-memory: nothing is written, not even to the folder the environment names
    stack = start_stack({"LOCAL_STATE_DIR": str(folder)}, args=("--in-memory",))
    try:
        _json(_api(stack).post("/systems", json=body), 201)
    finally:
        _stop(stack)
    assert not (folder / "state.json").exists()

    stack = start_stack({"LOCAL_STATE_DIR": str(folder)}, args=())  # the environment's folder
    try:
        assert _json(_api(stack).get("/systems"), 200) == {"systems": []}
        _json(_api(stack).post("/systems", json=body), 201)
        stack.process.send_signal(signal.SIGINT)  # Ctrl-C saves too
        assert stack.process.wait(timeout=10) == 0
    finally:
        _stop(stack)
    items = _saved(folder)["table"]["items"]
    assert {"S": f"SYSTEM#{body['slug']}"} in [item["PK"] for item in items]

    stack = start_stack(args=("--state-dir", str(folder), "--clean"))
    try:
        assert "Deleted the saved state" in stack.output()
        assert _json(_api(stack).get("/systems"), 200) == {"systems": []}
    finally:
        _stop(stack)


def _refused(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local", "--port", "0", "--state-dir", str(folder)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_unusable_state_file_is_reported_and_nothing_is_loaded(tmp_path: Path) -> None:
    item = {"PK": {"S": "SYSTEM#1"}, "SK": {"S": "SYSTEM"}}
    valid = {
        "format": "badgekit-local-state",
        "version": 1,
        "savedAt": 1,
        "table": {"name": "badgekit-local", "items": [item, {**item, "n": {"X": "1"}}]},
        "buckets": {},
        "queues": {},
        "streams": {},
    }
    cases = {
        "truncated": json.dumps(valid)[:-20],
        "bad-item": json.dumps(valid),
    }
    for name, text in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "state.json").write_text(text, encoding="utf-8")
        result = _refused(folder)
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert "listening on" not in result.stdout
        assert f"{folder / 'state.json'}" in result.stderr
        assert "Nothing of it was loaded" in result.stderr
        expected = (
            "is not a complete state file"
            if name == "truncated"
            else "table item 1.n: unknown attribute type 'X'"
        )
        assert expected in result.stderr, result.stderr
        assert (folder / "state.json").read_text(encoding="utf-8") == text  # left as it was


def test_sigterm_under_load_saves_every_acknowledged_award_and_its_webhook(
    tmp_path: Path, unique: Callable[..., str]
) -> None:
    """Awards keep coming while the stack is stopped: each one answered 201 is there after the
    restart and its webhook is delivered exactly once (requests on kept-alive connections are
    finished or refused before the state is saved)."""
    args = ("--state-dir", str(tmp_path))
    slug = unique("load")
    acknowledged: list[str] = []
    with receiving() as receiver:
        first = start_stack(args=args)
        try:
            api = _api(first)
            _json(
                api.post("/systems", json={"slug": slug, "name": slug, "url": "http://x.org"}), 201
            )
            hook = {"url": f"{receiver.url}/{slug}", "secret": "load-secret"}
            _json(api.post(f"/systems/{slug}/webhooks", json=hook), 201)
            _json(api.post(f"/systems/{slug}/badges", json=minimal_badge("b")), 201)
            stopping = threading.Event()

            def award(worker: int) -> None:
                client = _api(first)
                for n in range(500):
                    email = f"w{worker}-{n}@example.org"
                    try:
                        reply = client.post(
                            f"/systems/{slug}/badges/b/instances", json={"email": email}
                        )
                    except requests.RequestException:
                        return
                    if reply.status_code == 201:
                        acknowledged.append(email)
                    elif stopping.is_set():
                        return  # 503: the stack is stopping
                    else:
                        raise AssertionError(reply.text)

            workers = [threading.Thread(target=award, args=(w,)) for w in range(3)]
            for worker in workers:
                worker.start()
            wait_for(lambda: len(acknowledged) >= 30, "30 awards")
            stopping.set()
            first.process.terminate()  # SIGTERM while awards are being answered
            first.process.wait(timeout=10)
            for worker in workers:
                worker.join(timeout=30)
        finally:
            output = _stop(first)
        assert first.process.returncode == 0, output
        assert (tmp_path / "state.json").exists()
        awarded = set(acknowledged)
        second = start_stack(args=args)
        try:
            api = _api(second)
            listed = _json(api.get(f"/systems/{slug}/badges/b/instances"), 200)["instances"]
            assert {i["email"] for i in listed} == awarded

            def delivered() -> set[str]:
                return {json.loads(c.body)["email"] for c in receiver.at(f"/{slug}")}

            wait_for(lambda: delivered() == awarded, "one delivery per award", timeout=60)
        finally:
            _stop(second)
        calls = receiver.at(f"/{slug}")
        assert len(calls) == len(awarded)  # none twice
