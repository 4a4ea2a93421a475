"""The local stack as `make dev` runs it, measured from outside (issue "Local development").

`python -m local --port 0` is started in a child process with its stream and queue pollers, and
driven over HTTP with signed requests, as a developer's client would:

- the issue's request mix (list a system's 50 badges, get a badge, get a program, award, fetch a
  public assertion), one request after another: requests per second of wall time;
- idle: the stack process's CPU (utime + stime from /proc) over a quiet period, then the delay
  from an award to its webhook at a receiver on 127.0.0.1 (after that long idle period);
- writes: WRITES writes (badge creates and updates, claim codes, awards, and one bulk award of
  BULK emails), with the stack process's RSS before, after and at its peak (VmHWM).

The run fails (nonzero exit) when RSS after the writes is MAX_RSS_BYTES or more, the mix is
under MIN_MIX_RPS requests/s, or the stack uses MAX_IDLE_CPU_MS of CPU per second or more idle.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from badgekit import signing
from local.inprocess import ROOT
from scripts.bench.against import cpu_seconds
from scripts.bench.scenarios import badge_body, email_of, named

MAX_RSS_BYTES = 1 << 30  # RSS of the stack after the writes must stay under 1 GiB
MIN_MIX_RPS = 40.0  # the mix, one request after another
MAX_IDLE_CPU_MS = 5.0  # CPU milliseconds per second of the idle stack
MAX_WEBHOOK_DELAY_S = 2.0  # an award's webhook after a long idle period

MIX_BADGES = 50
MIX_ROUNDS = 40
MIX_WARMUP = 3
IDLE_S = 10.0
WRITES = 5000  # every write counted: each created instance of the bulk is one
BULK = 1000  # emails of the bulk award (the spec's cap)
AWARDS = 1000

# The same section before the local stack's pollers backed off and moto's sizes were patched
# (commit 69e0cde, this machine, load average 5.8 to 7.5 on 2 cores), quoted, not measured.
BEFORE = (
    "Before (commit 69e0cde, same machine and run, load average 5.8-7.5): the mix 29.6 "
    "requests/s; idle CPU 64-99 ms/s; award to webhook after idle 0.28 s; RSS 136 MiB before "
    "the 5,000 writes, 446 MiB after (peak 446 MiB)."
)
# Runs of this section alone (`--devstack-only --devstack-writes 200`) alternating between
# two commits on 2026-12-07, when the goals above first failed: quoted, not measured.
ALTERNATING = (
    "On 2026-12-07 the mix and idle goals failed for the commit before that day's changes too: "
    "alternating runs of this section alone (200 writes, load average 0.6-1.2) gave commit "
    "755460f 32.9 and 33.1 requests/s, idle 21.0 and 19.0 ms/s, and that day's main 28.6 and "
    "32.0 requests/s, idle 27.0 and 17.0 ms/s (last measured at 42.2 requests/s and 4.99 ms/s "
    "on 2026-12-06): the machine's speed moved, not the stack's work."
)

SYSTEM, ISSUER, PROGRAM = "dev", "issuer-1", "program-1"
_URL_LINE = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


@dataclass(frozen=True)
class DevStackResult:
    mix_requests: int
    mix_seconds: float
    mix_load: float
    mix_cpu_ms: float  # the stack process's CPU over the timed rounds
    idle_seconds: float
    idle_cpu_ms: float
    webhook_delay_s: float
    writes: int
    write_requests: int
    write_seconds: float
    rss_before: int
    rss_after: int
    rss_peak: int

    @property
    def mix_rps(self) -> float:
        return self.mix_requests / self.mix_seconds

    @property
    def mix_cpu_per_request(self) -> float:
        return self.mix_cpu_ms / self.mix_requests

    @property
    def idle_cpu_ms_per_s(self) -> float:
        return self.idle_cpu_ms / self.idle_seconds

    @property
    def failures(self) -> list[str]:
        found = []
        if self.rss_after >= MAX_RSS_BYTES:
            found.append(f"the stack's RSS after the writes is {mib(self.rss_after)} (>= 1 GiB)")
        if self.mix_rps < MIN_MIX_RPS:
            found.append(f"the mix ran at {self.mix_rps:.1f} requests/s (< {MIN_MIX_RPS:.0f})")
        if self.idle_cpu_ms_per_s >= MAX_IDLE_CPU_MS:
            found.append(
                f"the idle stack used {self.idle_cpu_ms_per_s:.1f} ms CPU/s "
                f"(>= {MAX_IDLE_CPU_MS:.0f})"
            )
        if self.webhook_delay_s > MAX_WEBHOOK_DELAY_S:
            found.append(
                f"the webhook came {self.webhook_delay_s:.2f} s after the award "
                f"(> {MAX_WEBHOOK_DELAY_S:.0f} s)"
            )
        return found


def mib(size: int) -> str:
    return f"{size / (1 << 20):.0f} MiB"


# -- the stack process --------------------------------------------------------------------------


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    log: Path
    url: str = ""

    def status(self, field: str) -> int:
        """A `/proc/<pid>/status` size (VmRSS, VmHWM) in bytes."""
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in text.splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no {field} in /proc/{self.process.pid}/status")

    def cpu_ms(self) -> float:
        """utime + stime of the stack process (all its threads) in milliseconds."""
        return cpu_seconds(self.process.pid) * 1000


@contextmanager
def dev_stack(secret: str) -> Iterator[Stack]:
    """`python -m local --port 0` (what `make dev` runs) until the block ends."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MASTER_SECRET": secret,
        "TABLE_NAME": f"badgekit-bench-{secrets.token_hex(4)}",
        "LOG_LEVEL": "WARNING",
        "FUNCTION_LOG_LEVEL": "WARNING",
        "FUNCTION_METRICS": "off",
        "PYTHONUNBUFFERED": "1",
        "LOCAL_SECRET_FILE": "",
    }
    for name in ("DYNAMODB_ENDPOINT", "S3_ENDPOINT", "SQS_ENDPOINT", "AWS_ENDPOINT_URL"):
        env.pop(name, None)
    fd, name = tempfile.mkstemp(prefix="bench-devstack-", suffix=".log")
    log = Path(name)
    # --in-memory: the bench never touches the developer's saved data.
    command = [sys.executable, "-m", "local", "--port", "0", "--in-memory"]
    with os.fdopen(fd, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    stack = Stack(process, log)
    try:
        deadline = time.monotonic() + 120
        while not stack.url:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the local stack did not start:\n{log.read_text()}")
            found = _URL_LINE.search(log.read_text(errors="replace"))
            if found:
                stack.url = found.group(1)
            else:
                time.sleep(0.1)
        yield stack
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)


class Client:
    """Signed requests with the master key, one connection kept open."""

    def __init__(self, base_url: str, secret: str) -> None:
        self.base_url = base_url
        self.secret = secret
        self.session = requests.Session()

    def send(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        data = None if body is None else json.dumps(body).encode()
        claims = signing.request_claims(method, path, data, exp=int(time.time()) + 300)
        headers = {"Authorization": signing.authorization_header(signing.sign(claims, self.secret))}
        if data is not None:
            headers["Content-Type"] = "application/json"
        reply = self.session.request(
            method, self.base_url + path, data=data, headers=headers, timeout=120
        )
        if reply.status_code != status:
            raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text[:300]}")
        return reply.json() if reply.content else None


@contextmanager
def receiver() -> Iterator[tuple[str, list[float]]]:
    """A webhook receiver on 127.0.0.1: yields its URL and the arrival times of its calls."""
    arrivals: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrivals.append(time.monotonic())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", arrivals
    finally:
        server.shutdown()
        server.server_close()


# -- the measurements ---------------------------------------------------------------------------


def seed(client: Client) -> str:
    """System, issuer, program, MIX_BADGES badges over the three levels; one award of badge-1
    (its public assertion is read by the mix). Returns that assertion's slug."""
    system = f"/systems/{SYSTEM}"
    issuer = f"{system}/issuers/{ISSUER}"
    program = f"{issuer}/programs/{PROGRAM}"
    client.send("POST", "/systems", named(SYSTEM), 201)
    client.send("POST", f"{system}/issuers", named(ISSUER), 201)
    client.send("POST", f"{issuer}/programs", named(PROGRAM), 201)
    for n in range(1, MIX_BADGES + 1):
        level = (system, issuer, program)[(n - 1) % 3]
        client.send("POST", f"{level}/badges", badge_body(f"badge-{n}"), 201)
    held = client.send(
        "POST", f"{system}/badges/badge-1/instances", {"email": "h@example.org"}, 201
    )
    return str(held["instance"]["slug"])


def run_mix(
    client: Client, assertion: str, rounds: int, stack: Stack
) -> tuple[int, float, float, float]:
    """MIX_WARMUP + `rounds` rounds of the five requests; (requests, seconds, load, the stack's
    CPU ms) of the timed rounds."""
    system = f"/systems/{SYSTEM}"
    program = f"{system}/issuers/{ISSUER}/programs/{PROGRAM}"
    load, started, cpu = 0.0, 0.0, 0.0
    for index in range(MIX_WARMUP + rounds):
        if index == MIX_WARMUP:
            load, started, cpu = os.getloadavg()[0], time.perf_counter(), stack.cpu_ms()
        listed = client.send("GET", f"{system}/badges")
        if len(listed["badges"]) != MIX_BADGES:
            raise RuntimeError(f"listed {len(listed['badges'])} badges")
        client.send("GET", f"{system}/badges/badge-1")
        client.send("GET", program)
        email = email_of("mix", index)
        client.send("POST", f"{system}/badges/badge-1/instances", {"email": email}, 201)
        client.send("GET", f"/public/assertions/{assertion}")
    return rounds * 5, time.perf_counter() - started, load, stack.cpu_ms() - cpu


def run_writes(client: Client, writes: int) -> int:
    """`writes` writes: AWARDS awards, one bulk award of BULK emails, and the rest in turn badge
    creates, badge updates and claim codes. Returns the number of requests."""
    system = f"/systems/{SYSTEM}"
    program = f"{system}/issuers/{ISSUER}/programs/{PROGRAM}"
    awards = min(AWARDS, writes)
    bulk = min(BULK, writes - awards)
    others = writes - awards - bulk
    requests_sent = 0
    created = 0
    for n in range(max(awards, others)):
        if n < awards:
            email = email_of("award", n)
            client.send("POST", f"{system}/badges/badge-2/instances", {"email": email}, 201)
            requests_sent += 1
        if n < others:
            kind = n % 3
            if kind == 0:
                created += 1
                client.send("POST", f"{program}/badges", badge_body(f"extra-{created}"), 201)
            elif kind == 1:
                slug = f"badge-{(n // 3) % MIX_BADGES + 1}"
                level = (system, f"{system}/issuers/{ISSUER}", program)[
                    (int(slug.split("-")[1]) - 1) % 3
                ]
                body = badge_body(slug)
                body["strapline"] = f"Updated {n}"
                client.send("PUT", f"{level}/badges/{slug}", body)
            else:
                client.send("POST", f"{system}/badges/badge-4/codes/random", {}, 201)
            requests_sent += 1
    if bulk:
        emails = [email_of("bulk", n) for n in range(bulk)]
        reply = client.send(
            "POST", f"{system}/badges/badge-7/instances/bulk", {"emails": emails}, 201
        )
        if len(reply["instances"]) != bulk:
            raise RuntimeError(f"the bulk award created {len(reply['instances'])} instances")
        requests_sent += 1
    return requests_sent


def measure_devstack(
    rounds: int = MIX_ROUNDS, writes: int = WRITES, idle_s: float = IDLE_S
) -> DevStackResult:
    secret = secrets.token_hex(16)
    with dev_stack(secret) as stack, receiver() as (hook_url, arrivals):
        client = Client(stack.url, secret)
        print("  seeding", file=sys.stderr, flush=True)
        assertion = seed(client)
        print("  the mix", file=sys.stderr, flush=True)
        mix = run_mix(client, assertion, rounds, stack)
        client.send(
            "POST", f"/systems/{SYSTEM}/webhooks", {"url": hook_url, "secret": "bench-secret"}, 201
        )
        time.sleep(3.0)  # the mix's webhooks and milestone checks run out
        print(f"  idle for {idle_s:.0f} s", file=sys.stderr, flush=True)
        cpu_before, idle_started = stack.cpu_ms(), time.monotonic()
        time.sleep(idle_s)
        idle_cpu, idle_seconds = stack.cpu_ms() - cpu_before, time.monotonic() - idle_started
        delivered = len(arrivals)
        awarded_at = time.monotonic()
        client.send(
            "POST",
            f"/systems/{SYSTEM}/badges/badge-3/instances",
            {"email": "idle@example.org"},
            201,
        )
        deadline = awarded_at + 30
        while len(arrivals) == delivered and time.monotonic() < deadline:
            time.sleep(0.01)
        delay = (arrivals[delivered] if len(arrivals) > delivered else deadline) - awarded_at
        print(f"  {writes} writes", file=sys.stderr, flush=True)
        rss_before = stack.status("VmRSS")
        started = time.perf_counter()
        write_requests = run_writes(client, writes)
        write_seconds = time.perf_counter() - started
        time.sleep(3.0)  # the writes' webhooks and milestone checks run out
        rss_after, rss_peak = stack.status("VmRSS"), stack.status("VmHWM")
    return DevStackResult(
        *mix,
        idle_seconds,
        idle_cpu,
        delay,
        writes,
        write_requests,
        write_seconds,
        rss_before,
        rss_after,
        rss_peak,
    )


def devstack_section(result: DevStackResult) -> str:
    """The Markdown section of `make bench`."""
    verdict = "; ".join(result.failures) or "all within the goals"
    return "\n".join(
        [
            "## Local stack (`make dev`) from outside",
            "",
            "`python -m local --port 0` in a child process with its pollers, signed requests "
            "over HTTP one after another (scripts/bench/devstack.py).",
            "",
            "| Measure | Value | Goal |",
            "|---|---|---|",
            f"| The mix ({result.mix_requests} requests, load {result.mix_load:.1f}) | "
            f"{result.mix_rps:.1f} requests/s | ≥ {MIN_MIX_RPS:.0f} |",
            f"| The stack's CPU per request of the mix (its pollers' work included) | "
            f"{result.mix_cpu_per_request:.1f} ms | |",
            f"| Idle CPU of the stack over {result.idle_seconds:.0f} s | "
            f"{result.idle_cpu_ms_per_s:.2f} ms/s | < {MAX_IDLE_CPU_MS:.0f} |",
            f"| Award → webhook at a local receiver, after the idle period | "
            f"{result.webhook_delay_s:.2f} s | ≤ {MAX_WEBHOOK_DELAY_S:.0f} |",
            f"| RSS before {result.writes} writes | {mib(result.rss_before)} | |",
            f"| RSS after them ({result.write_requests} requests, "
            f"{result.write_seconds:.0f} s) | {mib(result.rss_after)} | < 1024 MiB |",
            f"| Peak RSS (VmHWM) | {mib(result.rss_peak)} | |",
            "",
            f"Verdict: {verdict}.",
            "",
            BEFORE,
            "",
            ALTERNATING,
            "",
        ]
    )
