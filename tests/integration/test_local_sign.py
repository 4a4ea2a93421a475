"""The README's two shells: `make dev` in one, `python -m local.sign` + curl in a fresh other one.

`python -m local` writes the master secret it uses (generated or from MASTER_SECRET) to the
secret file (`.local-state/master-secret`, git-ignored); `local.sign` reads it when MASTER_SECRET
is not set. The tests point both at a temporary file (LOCAL_SECRET_FILE) so that they never
overwrite a developer's running stack's secret; that both sides default to the same file is
checked in tests/unit/test_sam_local_services.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]


def sign_in_fresh_shell(secret_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m local.sign ARGS` with nothing in the environment but PATH (and where this
    checkout's stack keeps its secret)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOCAL_SECRET_FILE": str(secret_file)}
    return subprocess.run(
        [sys.executable, "-m", "local.sign", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def header(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    name, _, value = result.stdout.strip().partition(": ")
    assert name == "Authorization"
    return {name: value}


def test_first_signed_request_from_a_fresh_shell_succeeds(stack_factory, tmp_path: Path) -> None:
    """The README's example as written: `BADGEKIT_SYSTEM=chicago make dev`, then in a fresh
    shell a signed GET of the system and a signed POST of an issuer from a file."""
    secret_file = tmp_path / "master-secret"
    # No MASTER_SECRET: the stack generates one, prints it and writes it for local.sign.
    stack = stack_factory(
        MASTER_SECRET="", BADGEKIT_SYSTEM="chicago", LOCAL_SECRET_FILE=str(secret_file)
    )
    secret = secret_file.read_text().strip()
    assert f"master secret: generated (set MASTER_SECRET to choose one): {secret}" in (
        stack.output()
    )
    assert oct(secret_file.stat().st_mode & 0o777) == "0o600"

    shown = requests.get(
        f"{stack.base_url}/systems/chicago",
        headers=header(sign_in_fresh_shell(secret_file, "GET", "/systems/chicago")),
        timeout=10,
    )
    assert shown.status_code == 200, shown.text
    assert shown.json()["system"]["slug"] == "chicago"

    issuer = tmp_path / "issuer.json"
    issuer.write_text('{"slug":"library","name":"Library","url":"http://lib.example.org"}\n')
    signed = sign_in_fresh_shell(secret_file, "POST", "/systems/chicago/issuers", f"@{issuer}")
    created = requests.post(
        f"{stack.base_url}/systems/chicago/issuers",
        data=issuer.read_bytes(),
        headers={**header(signed), "Content-Type": "application/json"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    assert created.json()["issuer"]["slug"] == "library"


def test_a_chosen_master_secret_is_written_too(stack_factory, tmp_path: Path) -> None:
    secret_file = tmp_path / "master-secret"
    stack = stack_factory(MASTER_SECRET="chosen-secret", LOCAL_SECRET_FILE=str(secret_file))
    assert secret_file.read_text() == "chosen-secret\n"
    response = requests.get(
        f"{stack.base_url}/systems",
        headers=header(sign_in_fresh_shell(secret_file, "GET", "/systems")),
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_without_a_running_stack_sign_says_what_to_do(tmp_path: Path) -> None:
    result = sign_in_fresh_shell(tmp_path / "absent", "GET", "/systems")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.rstrip().endswith(
        "error: no secret: start the local stack (make dev), set MASTER_SECRET or --secret"
    )
