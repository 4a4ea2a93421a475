"""The code examples of docs/api/, run as written against a local stack.

The code is taken from the pages themselves (the fenced block after `<!-- example: <name> -->`),
so a page and its test cannot drift. authentication.md: the Python example runs in a fresh
interpreter, the JavaScript one with `node`, each with only the documented variables
(`BADGEKIT_URL`, `BADGEKIT_SECRET`) set; each must create a system (`201`) and list its badges
with a signed query string (`200`), and the system must then exist. webhooks.md: the
verification functions accept a real webhook call and refuse it altered.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import MASTER_SECRET, StackProcess
from tests.support.bodies import minimal_badge
from tests.support.client import ApiClient
from tests.support.receiver import receiving, wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
API_DOCS = REPO_ROOT / "docs" / "api"
PAGE = API_DOCS / "authentication.md"
RUN_TIMEOUT_S = 60


def example(name: str, page: Path = PAGE, language: str | None = None) -> str:
    """The `language` (default: `name`) code block that follows `<!-- example: <name> -->`."""
    text = page.read_text(encoding="utf-8")
    pattern = rf"<!-- example: {name} -->\n```{language or name}\n(.*?)\n```\n"
    found = re.findall(pattern, text, flags=re.DOTALL)
    assert len(found) == 1, f"expected one {name} example in {page}, found {len(found)}"
    return str(found[0]) + "\n"


def run(command: list[str], stack: StackProcess, cwd: Path) -> list[str]:
    """Run an example with only the documented settings; its output lines."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "BADGEKIT_URL": stack.base_url,
        "BADGEKIT_SECRET": MASTER_SECRET,
    }
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    return lines


def created_slug(api: ApiClient, line: str) -> str:
    """The slug the example printed on its `201` line, checked against the API."""
    status, _, rest = line.partition(" ")
    assert status == "201", line
    match = re.search(r"""['"]slug['"]: ?['"](museum-[0-9a-f]{8})['"]""", rest)
    assert match, line
    slug = match.group(1)
    response = api.get(f"/systems/{slug}")
    assert response.status_code == 200
    assert response.json()["system"]["name"] == "Museum"
    return slug


def test_python_example_creates_and_lists(stack: StackProcess, api: ApiClient, tmp_path: Path):
    script = tmp_path / "sign.py"
    script.write_text(example("python"), encoding="utf-8")

    created, listed = run([sys.executable, str(script)], stack, tmp_path)

    created_slug(api, created)
    assert listed == "200 {'badges': []}"


def test_javascript_example_creates_and_lists(stack: StackProcess, api: ApiClient, tmp_path: Path):
    node = shutil.which("node")
    assert node, "node (20 or later) is needed to run the JavaScript example"
    script = tmp_path / "sign.mjs"
    script.write_text(example("javascript"), encoding="utf-8")

    created, listed = run([node, str(script)], stack, tmp_path)

    slug = created_slug(api, created)
    status, _, body = listed.partition(" ")
    assert (status, json.loads(body)) == ("200", {"badges": []})
    assert json.loads(created.partition(" ")[2])["system"]["slug"] == slug


@pytest.mark.parametrize("language", ["python", "javascript"])
def test_examples_sign_with_the_secret_they_are_given(
    language: str, stack: StackProcess, tmp_path: Path
):
    """A wrong secret gets the API's 403, printed like any answer (the test above can fail)."""
    script = tmp_path / ("sign.py" if language == "python" else "sign.mjs")
    script.write_text(example(language), encoding="utf-8")
    command = [sys.executable if language == "python" else shutil.which("node") or "node"]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "BADGEKIT_URL": stack.base_url,
        "BADGEKIT_SECRET": "not-the-secret",
    }
    done = subprocess.run(
        [*command, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("403 ")
    assert "Invalid token signature" in first


def test_webhook_verification_snippet_accepts_a_real_call(api: ApiClient, unique: Any) -> None:
    namespace: dict[str, Any] = {}
    exec(example("verify", API_DOCS / "webhooks.md", "python"), namespace)
    legacy_ok, standard_ok = namespace["legacy_ok"], namespace["standard_ok"]
    slug, secret = unique("hooked"), "the webhook's secret"
    system = {"slug": slug, "name": "Hooked", "url": "http://example.org"}
    assert api.post("/systems", json=system).status_code == 201
    assert api.post(f"/systems/{slug}/badges", json=minimal_badge(slug)).status_code == 201
    with receiving() as receiver:
        hook = {"url": receiver.url + "/hook", "secret": secret}
        assert api.post(f"/systems/{slug}/webhooks", json=hook).status_code == 201
        award = {"email": "maria@example.org"}
        assert api.post(f"/systems/{slug}/badges/{slug}/instances", json=award).status_code == 201
        call = wait_for(lambda: receiver.at("/hook"), "the award webhook")[0]

    assert json.loads(call.body)["action"] == "award"
    assert legacy_ok(call.headers, call.body, secret) is True
    assert standard_ok(call.headers, call.body, secret) is True
    altered = call.body.replace(b"maria", b"mario")
    assert legacy_ok(call.headers, altered, secret) is False
    assert standard_ok(call.headers, altered, secret) is False
    assert legacy_ok(call.headers, call.body, "another secret") is False
    assert standard_ok(call.headers, call.body, "another secret") is False
