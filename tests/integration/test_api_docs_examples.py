"""The signing examples of docs/api/authentication.md, run as written against a local stack.

The code is taken from the page itself (the fenced block after `<!-- example: python -->` and
`<!-- example: javascript -->`), so the page and the test cannot drift: the Python example runs
in a fresh interpreter, the JavaScript one with `node`, each with only the documented variables
(`BADGEKIT_URL`, `BADGEKIT_SECRET`) set; each must create a system (`201`) and list its badges
with a signed query string (`200`), and the system must then exist.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import MASTER_SECRET, StackProcess
from tests.support.client import ApiClient

REPO_ROOT = Path(__file__).resolve().parents[2]
PAGE = REPO_ROOT / "docs" / "api" / "authentication.md"
RUN_TIMEOUT_S = 60


def example(language: str) -> str:
    """The code block that follows `<!-- example: <language> -->` on the page."""
    text = PAGE.read_text(encoding="utf-8")
    pattern = rf"<!-- example: {language} -->\n```{language}\n(.*?)\n```\n"
    found = re.findall(pattern, text, flags=re.DOTALL)
    assert len(found) == 1, f"expected one {language} example in {PAGE}, found {len(found)}"
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
