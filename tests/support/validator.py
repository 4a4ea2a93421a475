"""The 1EdTech Open Badges validator (PyPI `openbadges`, Open Badges 1.x/2.0), run offline in its
own Python 3.8 environment `.venv-ob` (`make validator-venv`; `make test` builds it) by
`tests/support/ob_validator_run.py`, against the local stack: the JSON-LD contexts come from the
offline copies, every other fetch may only go to 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-ob" / "bin" / "python"
RUNNER = Path(__file__).with_name("ob_validator_run.py")
CONTEXTS = Path("/work/shared/openbadges-contexts")
TIMEOUT_S = 120


def validate(target: str | bytes) -> dict[str, Any]:
    """The validator's report for a hosted assertion URL, or for a baked image's bytes:
    `valid`, `openBadgesVersion`, `errorCount`, `warningCount`, `messages`, ..., and
    `documents`: the version the validator detected for each document it read (the report's
    `openBadgesVersion` is only the last one's)."""
    assert PYTHON.exists(), f"{PYTHON} is missing: run `make validator-venv`"
    with tempfile.TemporaryDirectory() as folder:
        if isinstance(target, bytes):
            image = Path(folder) / "baked"
            image.write_bytes(target)
            argument = f"@{image}"
        else:
            argument = target
        done = subprocess.run(
            [str(PYTHON), str(RUNNER), str(CONTEXTS), argument],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    report: dict[str, Any] = {**output["report"], "documents": output["documents"]}
    return report


def versions(report: dict[str, Any]) -> dict[str, str]:
    """The detected Open Badges version of each document read, by type."""
    return {str(d["type"]): d["version"] for d in report["documents"]}


def errors(report: dict[str, Any]) -> list[str]:
    """The report's error messages (for assertion messages)."""
    return [m["result"] for m in report.get("messages", []) if m.get("messageLevel") == "ERROR"]
