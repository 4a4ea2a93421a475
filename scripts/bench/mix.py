"""The issue's request mix with DynamoDB in a separate process: list a system's 50 badges, get a
badge, get a program, award, fetch a public assertion, round after round, measuring the client
CPU each request costs this process (the app tier alone: moto's work is in the other process).

The app runs in this process through the same in-process gateway as every other section (no
local stack, so no stream or queue pollers and no HTTP server in front of it); its DynamoDB
(and S3) calls go over HTTP to the local stack's embedded moto server started in a child
process on 127.0.0.1 (`local.dynamodb.EmbeddedDynamoDB`), through `DYNAMODB_ENDPOINT` and
`S3_ENDPOINT` as in the local stack.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from botocore.config import Config

from badgekit.store import db, images
from local.inprocess import IMAGES_BUCKET, ROOT, create_table
from scripts.bench.harness import (
    METER,
    TABLE_NAME,
    Result,
    Scenario,
    Usage,
    check,
    expect,
    fixed,
    master_client,
    phase,
    run_once,
    verify_meter,
)
from scripts.bench.scenarios import badge_body, email_of, named

MIX_BADGES = 50
MIX_ROUNDS = 40  # timed rounds of the five requests
MIX_WARMUP = 3  # untimed first rounds
MIX_SYSTEM, MIX_ISSUER, MIX_PROGRAM = "mix", "issuer-1", "program-1"
MIX_HOLDER = "holder@example.org"  # holds badge-1: the public assertion fetched
# The original (Node 20 + MariaDB) on the same mix, quoted from the issue (not measured here).
ORIGINAL_CPU_MS = (6, 7)
# This stack before the performance work, request path without the local stack's pollers,
# quoted from the issue too.
BEFORE_CPU_MS = (9, 11)

# A child interpreter running the local stack's embedded moto server until its stdin closes.
SERVER = """\
import logging, sys
logging.basicConfig(level=logging.ERROR)
from local.dynamodb import EmbeddedDynamoDB
server = EmbeddedDynamoDB(host="127.0.0.1")
server.keep_stream_records = False
print(server.start(), flush=True)
sys.stdin.read()
server.stop()
"""


@contextmanager
def moto_process() -> Iterator[str]:
    """moto's server in a child process; yields its endpoint, stops it on the way out."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        endpoint = child.stdout.readline().strip()
        if not endpoint.startswith("http://"):
            raise RuntimeError(f"moto's server did not start: {endpoint!r}")
        yield endpoint
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@contextmanager
def served_table(endpoint: str) -> Iterator[None]:
    """The template's table (no stream) and images bucket on `endpoint`, the data layer and the
    images module pointed at it, and the call meter on every client (as `fresh_table`)."""
    saved = {name: os.environ.get(name) for name in ("DYNAMODB_ENDPOINT", "S3_ENDPOINT")}
    os.environ["DYNAMODB_ENDPOINT"] = os.environ["S3_ENDPOINT"] = endpoint
    session = boto3.Session()
    boto3.DEFAULT_SESSION = session
    METER.attach(session.events)
    create_table(session.client("dynamodb", endpoint_url=endpoint), TABLE_NAME, stream=False)
    s3 = session.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket=IMAGES_BUCKET)
    db.reset_clients()
    images.reset_clients()
    try:
        verify_meter()
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        boto3.DEFAULT_SESSION = None
        db.reset_clients()
        images.reset_clients()


def seed_mix() -> str:
    """System `mix` with one issuer and program and MIX_BADGES badges spread over the three
    levels in turn (badge-1 at system level, badge-2 at issuer level, badge-3 in the program,
    ...), each with 2 criteria, 1 alignment, 2 categories and 2 tags; returns the slug of the
    public assertion (of badge-1)."""
    master = master_client()
    system = f"/systems/{MIX_SYSTEM}"
    issuer = f"{system}/issuers/{MIX_ISSUER}"
    program = f"{issuer}/programs/{MIX_PROGRAM}"
    expect(master.post("/systems", named(MIX_SYSTEM)), 201)
    expect(master.post(f"{system}/issuers", named(MIX_ISSUER)), 201)
    expect(master.post(f"{issuer}/programs", named(MIX_PROGRAM)), 201)
    for n in range(1, MIX_BADGES + 1):
        level = (system, issuer, program)[(n - 1) % 3]
        expect(master.post(f"{level}/badges", badge_body(f"badge-{n}")), 201)
    held = expect(master.post(f"{system}/badges/badge-1/instances", {"email": MIX_HOLDER}), 201)
    return str(held.json["instance"]["slug"])


def mix_scenarios(assertion: str) -> list[Scenario]:
    master = master_client()
    system = f"/systems/{MIX_SYSTEM}"
    program = f"{system}/issuers/{MIX_ISSUER}/programs/{MIX_PROGRAM}"
    return [
        Scenario(
            "GET",
            "/systems/{s}/badges",
            fixed(f"{system}/badges"),
            master,
            "master",
            listed=MIX_BADGES,
            note=f"{MIX_BADGES} badges",
        ),
        Scenario(
            "GET", "/systems/{s}/badges/{b}", fixed(f"{system}/badges/badge-1"), master, "master"
        ),
        Scenario("GET", "/systems/{s}/issuers/{i}/programs/{p}", fixed(program), master, "master"),
        Scenario(
            "POST",
            "/systems/{s}/badges/{b}/instances",
            fixed(f"{system}/badges/badge-1/instances"),
            master,
            "master",
            body=lambda i: {"email": email_of("mix", i)},
            status=201,
            note="award",
        ),
        Scenario(
            "GET",
            "/public/assertions/{slug}",
            fixed(f"/public/assertions/{assertion}"),
            master,
            "none",
        ),
    ]


_REFERENCE_DOCUMENT = {
    "badge": {
        "slug": "reference",
        "name": "A reference badge",
        "criteria": [{"id": n, "description": "x" * 40, "required": True} for n in range(4)],
        "tags": [{"id": n, "value": f"tag-{n}"} for n in range(4)],
    }
}


def reference_ms(repeats: int = 5) -> float:
    """CPU time of a fixed pure-Python workload (JSON both ways, HMAC-SHA256, dict and string
    work, like a request's own), median of `repeats`: how fast this machine runs Python right
    now. The machine's speed drifts (a shared host): the mix's CPU divided by this is
    comparable across runs, the raw milliseconds less so."""
    timings = []
    key = b"reference-key"
    for _ in range(repeats):
        started = time.process_time()
        for n in range(2000):
            text = json.dumps(_REFERENCE_DOCUMENT, separators=(",", ":"))
            decoded = json.loads(text)
            hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
            {f"{k}#{n}": v for k, v in decoded["badge"].items()}
        timings.append((time.process_time() - started) * 1000)
    return statistics.median(timings)


@dataclass(frozen=True)
class MixResult:
    rows: Sequence[Result]
    rounds: int
    warmup: int
    load: float  # 1-minute load average when the timed rounds began
    reference: float  # `reference_ms()` just before the timed rounds

    @property
    def relative(self) -> float:
        """The mix's client CPU per request in units of the reference workload."""
        return self.mean_cpu_ms / self.reference

    @property
    def requests(self) -> int:
        return sum(len(row.cpu_ms) for row in self.rows)

    @property
    def mean_cpu_ms(self) -> float:
        """Client CPU of all timed requests over their number."""
        return sum(sum(row.cpu_ms) for row in self.rows) / self.requests

    @property
    def mean_calls(self) -> float:
        return statistics.mean(row.usages[0].calls for row in self.rows)

    @property
    def mean_round_trips(self) -> float:
        return statistics.mean(row.usages[0].round_trips for row in self.rows)


def measure_mix(rounds: int = MIX_ROUNDS, warmup: int = MIX_WARMUP) -> MixResult:
    """Seed (untimed), then `warmup` + `rounds` rounds of the five requests in turn, each
    checked; only the timed rounds are kept."""
    with (
        phase("the issue's request mix, DynamoDB in a separate process"),
        moto_process() as endpoint,
        served_table(endpoint),
    ):
        scenarios = mix_scenarios(seed_mix())
        timings: list[list[float]] = [[] for _ in scenarios]
        cpu: list[list[float]] = [[] for _ in scenarios]
        usages: list[list[Usage]] = [[] for _ in scenarios]
        load, reference = 0.0, 0.0
        for index in range(warmup + rounds):
            if index == warmup:
                load = os.getloadavg()[0]
                reference = reference_ms()
            for n, scenario in enumerate(scenarios):
                run = run_once(scenario, index, METER)
                check(scenario, index, run.usage, run.reply)
                if index < warmup:
                    continue
                timings[n].append(run.elapsed_ms)
                cpu[n].append(run.cpu_ms)
                if run.usage not in usages[n]:
                    usages[n].append(run.usage)
        rows = [
            Result(scenario, tuple(timings[n]), tuple(usages[n]), None, tuple(cpu[n]))
            for n, scenario in enumerate(scenarios)
        ]
    result = MixResult(rows, rounds, warmup, load, reference)
    print(f"  reference workload: {reference:.1f} ms CPU", file=sys.stderr)
    for row in rows:
        print(
            f"  {row.scenario.method} {row.scenario.target(0)}: {row.calls_text}, "
            f"{row.text(lambda u: u.round_trips)} round trips, "
            f"client CPU {statistics.mean(row.cpu_ms):.2f} ms",
            file=sys.stderr,
        )
    print(f"  mix: {result.mean_cpu_ms:.2f} ms client CPU per request", file=sys.stderr)
    return result
