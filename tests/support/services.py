"""`python -m local --services-only` (what `make services` runs) as a subprocess, for tests."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


@dataclass
class Services:
    process: subprocess.Popen[bytes]
    url: str
    env_file: Path
    log: Path

    @property
    def env_vars(self) -> dict[str, dict[str, str]]:
        data: dict[str, dict[str, str]] = json.loads(self.env_file.read_text())
        return data

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_services(tmp: Path, *options: str) -> Services:
    """`python -m local --services-only` on a free port, in a clean environment."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "PYTHONUNBUFFERED": "1",
        "LOCAL_SECRET_FILE": str(tmp / "master-secret"),
    }
    log = tmp / "services.log"
    env_file = tmp / "env.json"
    command = [sys.executable, "-m", "local", "--services-only", "--services-port", "0"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--env-file", str(env_file), *options],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    services = Services(process, "", env_file, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"services exited with {process.returncode}:\n{services.output()}")
        found = _LISTENING.search(services.output())
        if found and env_file.exists():
            services.url = found.group(1)
            return services
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"services did not start:\n{services.output()}")


def stop(services: Services, signum: int = signal.SIGTERM) -> int:
    if services.process.poll() is None:
        services.process.send_signal(signum)
        try:
            services.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            services.process.kill()
            services.process.wait(timeout=10)
    return services.process.returncode
