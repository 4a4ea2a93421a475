"""The issue's request mix driven over HTTP against any running deployment of the API (this
stack's local server, or another implementation of the same contract), measuring the CPU the
server's process(es) spend per request from /proc.

    python -m scripts.bench --mix-against http://127.0.0.1:8080 --server-pid 1234 \\
        [--aside-pid 5678] [--secret S] [--mix-rounds 300]

Same data set and requests as the in-process mix (`scripts.bench.mix`): system `mix` with one
issuer, one program and 50 badges over the three levels, then rounds of list the system's
badges, get a badge, get the program, award that badge to a new email, fetch a public
assertion; every protected request signed with a fresh JWT for that one request (auth.md).
The data set is created over the API when the system does not exist yet, so a second run
against the same server reuses it (awards go to emails unique to the run).

CPU is utime + stime of each `--server-pid` (all its threads, ended ones included) from
/proc/<pid>/stat, read before and after the timed rounds. Background work of the server (the
local stack's stream and queue pollers) is left out by thread: after the timed rounds the
server is left idle for as much wall time, and the threads that use more than 0.5% of a CPU
meanwhile are its background threads; their CPU over the timed rounds (from
/proc/<pid>/task/<tid>/schedstat) is subtracted. The other way, subtracting the whole server's
idle CPU over that window, is printed too. The CPU of each of the five requests comes from the
same per-thread figures, read around each request. `--aside-pid` processes (a database) are
measured over the timed rounds and reported apart, never added.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from badgekit import signing

BADGES = 50
SYSTEM, ISSUER, PROGRAM = "mix", "issuer-1", "program-1"
HOLDER = "holder@example.org"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of `pid` (ended ones included), in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat_cpu_seconds(stat.read())


def stat_cpu_seconds(text: str) -> float:
    """utime + stime (fields 14 and 15) of a /proc/<pid>/stat line, in seconds; the command
    name (field 2, in parentheses) may hold spaces and parentheses, so fields are counted from
    its last closing parenthesis."""
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def thread_cpu_ns(pids: Sequence[int]) -> dict[tuple[int, int], int]:
    """CPU time of each thread alive now in `pids`, in ns (/proc/<pid>/task/<tid>/schedstat,
    field 1), keyed by (pid, tid)."""
    used = {}
    for pid in pids:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                    used[pid, int(task)] = int(stat.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass  # the thread ended meanwhile
    return used


def delta(after: dict[tuple[int, int], int], before: dict[tuple[int, int], int]) -> Counter[Any]:
    return Counter({t: used - before.get(t, 0) for t, used in after.items()})


@dataclass
class HttpApi:
    """One keep-alive HTTP/1.1 connection to `base`; signs every request but the public ones
    with `key` and `secret`."""

    base: str
    key: str
    secret: str
    connection: http.client.HTTPConnection = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base)
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if not path.startswith("/public/"):
            claims = signing.request_claims(
                method, path, data, key=self.key, exp=int(time.time()) + 300
            )
            headers["Authorization"] = signing.authorization_header(
                signing.sign(claims, self.secret)
            )
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=data, headers=headers)
                reply = self.connection.getresponse()
                text = reply.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # the server closed an idle keep-alive connection
                if attempt == 2:
                    raise
        return reply.status, json.loads(text) if text else None

    def expect(self, status: int, method: str, path: str, body: Any = None) -> Any:
        got, reply = self.request(method, path, body)
        if got != status:
            raise RuntimeError(f"{method} {path}: {got} (expected {status}): {reply}")
        return reply


def seed(api: HttpApi) -> str:
    """The mix's data set, unless the system exists already; returns the public assertion's slug
    (of the holder's instance of badge-1)."""
    # Imported here: the rest of this module loads without the package (and its set-up).
    from scripts.bench.scenarios import badge_body, named

    system = f"/systems/{SYSTEM}"
    issuer = f"{system}/issuers/{ISSUER}"
    program = f"{issuer}/programs/{PROGRAM}"
    status, _ = api.request("GET", system)
    if status == 404:
        api.expect(201, "POST", "/systems", named(SYSTEM))
        api.expect(201, "POST", f"{system}/issuers", named(ISSUER))
        api.expect(201, "POST", f"{issuer}/programs", named(PROGRAM))
        for n in range(1, BADGES + 1):
            level = (system, issuer, program)[(n - 1) % 3]
            # `type`: the original requires it (NOT NULL), this stack defaults it to "".
            body = {**badge_body(f"badge-{n}"), "type": "Skill"}
            api.expect(201, "POST", f"{level}/badges", body)
        api.expect(201, "POST", f"{system}/badges/badge-1/instances", {"email": HOLDER})
    reply = api.expect(200, "GET", f"{system}/badges/badge-1/instances/{HOLDER}")
    return str(reply["instance"]["slug"])


NAMES = (
    "GET /systems/{s}/badges (50 badges)",
    "GET /systems/{s}/badges/{b}",
    "GET /systems/{s}/issuers/{i}/programs/{p}",
    "POST /systems/{s}/badges/{b}/instances (award)",
    "GET /public/assertions/{slug}",
)


def mix_requests(assertion: str, run: str) -> list[Callable[[HttpApi, int], None]]:
    system = f"/systems/{SYSTEM}"
    program = f"{system}/issuers/{ISSUER}/programs/{PROGRAM}"

    def listing(api: HttpApi, _: int) -> None:
        badges = api.expect(200, "GET", f"{system}/badges")["badges"]
        if len(badges) != BADGES:
            raise RuntimeError(f"listed {len(badges)} badges, expected {BADGES}")

    def award(api: HttpApi, index: int) -> None:
        body = {"email": f"{run}-{index}@example.org"}
        api.expect(201, "POST", f"{system}/badges/badge-1/instances", body)

    return [
        listing,
        lambda api, _: api.expect(200, "GET", f"{system}/badges/badge-1"),
        lambda api, _: api.expect(200, "GET", program),
        award,
        lambda api, _: api.expect(200, "GET", f"/public/assertions/{assertion}"),
    ]


@dataclass(frozen=True)
class AgainstResult:
    requests: int
    wall_s: float
    busy_cpu_s: float  # the server pids over the timed rounds (/proc/<pid>/stat)
    idle_cpu_s: float  # the server pids over as much wall time with no requests
    background_cpu_s: float  # the background threads' share of busy_cpu_s
    background_threads: int
    aside_cpu_s: dict[int, float]
    by_request_ms: tuple[float, ...]  # per request of each of NAMES, background excluded

    @property
    def per_request_ms(self) -> float:
        """The request path: the server's CPU over the timed rounds without its background
        threads' CPU over the same rounds."""
        return (self.busy_cpu_s - self.background_cpu_s) * 1000 / self.requests

    @property
    def idle_subtracted_ms(self) -> float:
        """The other way to leave the background out: the server's CPU over the timed rounds
        minus its CPU over as much idle wall time."""
        return (self.busy_cpu_s - self.idle_cpu_s) * 1000 / self.requests

    @property
    def gross_per_request_ms(self) -> float:
        return self.busy_cpu_s * 1000 / self.requests


# A thread using more than this share of a CPU while no request arrives is background work
# (a poller), not the request path: 0.5%, where an idle event loop or HTTP accept loop uses
# well under 0.1% and a poller every 0.1-0.2 s several percent.
BACKGROUND_SHARE = 0.005


def background_of(idle: Counter[Any], wall_s: float) -> set[Any]:
    """The threads whose CPU over `wall_s` seconds with no requests (`idle`, ns per thread)
    is more than BACKGROUND_SHARE of a CPU."""
    return {thread for thread, used in idle.items() if used / 1e9 > BACKGROUND_SHARE * wall_s}


def measure_against(
    base: str,
    server_pids: Sequence[int],
    aside_pids: Sequence[int] = (),
    *,
    key: str = "master",
    secret: str,
    rounds: int = 300,
    warmup: int = 20,
) -> AgainstResult:
    """Seed if needed, `warmup` untimed rounds, `rounds` timed ones, then as much wall time
    again with no requests, in which the server's background threads show themselves."""
    api = HttpApi(base, key, secret)
    requests = mix_requests(seed(api), f"run{time.time_ns()}")
    for index in range(warmup):
        for send in requests:
            send(api, index)

    def total() -> float:
        return sum(cpu_seconds(pid) for pid in server_pids)

    aside = {pid: cpu_seconds(pid) for pid in aside_pids}
    by_request: list[Counter[Any]] = [Counter() for _ in requests]
    started, before, threads_before = time.perf_counter(), total(), thread_cpu_ns(server_pids)
    for index in range(warmup, warmup + rounds):
        for n, send in enumerate(requests):
            around = thread_cpu_ns(server_pids)
            send(api, index)
            by_request[n].update(delta(thread_cpu_ns(server_pids), around))
    busy, threads_after = total() - before, thread_cpu_ns(server_pids)
    wall = time.perf_counter() - started
    aside = {pid: cpu_seconds(pid) - used for pid, used in aside.items()}
    idle_before = total()
    time.sleep(wall)
    idle_cpu = total() - idle_before
    idle = delta(thread_cpu_ns(server_pids), threads_after)
    api.connection.close()
    background = background_of(idle, wall)
    during = delta(threads_after, threads_before)
    background_cpu = sum(used for t, used in during.items() if t in background) / 1e9
    per_request = tuple(
        sum(used for t, used in counts.items() if t not in background) / rounds / 1e6
        for counts in by_request
    )
    return AgainstResult(
        rounds * len(requests),
        wall,
        busy,
        idle_cpu,
        background_cpu,
        len(background),
        aside,
        per_request,
    )


def report_against(result: AgainstResult) -> str:
    lines = [
        f"{result.requests} requests in {result.wall_s:.1f} s",
        f"server CPU over the timed rounds: {result.busy_cpu_s * 1000:.0f} ms, of which "
        f"{result.background_cpu_s * 1000:.0f} ms in {result.background_threads} background "
        f"thread(s); {result.idle_cpu_s * 1000:.0f} ms over as much idle wall time",
        f"server CPU per request: {result.per_request_ms:.2f} ms without the background "
        f"threads ({result.idle_subtracted_ms:.2f} ms with the idle CPU subtracted instead, "
        f"{result.gross_per_request_ms:.2f} ms with both)",
    ]
    for name, used in zip(NAMES, result.by_request_ms, strict=True):
        lines.append(f"  {name}: {used:.2f} ms")
    for pid, used in result.aside_cpu_s.items():
        lines.append(
            f"aside pid {pid}: {used * 1000 / result.requests:.2f} ms per request (not added)"
        )
    return "\n".join(lines)


def main_against(args: Any) -> int:
    secret = args.secret or os.environ.get("MASTER_SECRET")
    if not secret:
        print("no secret: pass --secret or set MASTER_SECRET", file=sys.stderr)
        return 2
    runs = [
        measure_against(
            args.mix_against,
            args.server_pid,
            args.aside_pid,
            key=args.key,
            secret=secret,
            rounds=args.mix_rounds,
        )
        for _ in range(args.repeat)
    ]
    for run in runs:
        print(report_against(run), flush=True)
    if len(runs) > 1:
        figures = [run.per_request_ms for run in runs]
        print(
            f"per request over {len(runs)} runs: min {min(figures):.2f} ms, "
            f"median {statistics.median(figures):.2f} ms"
        )
    return 0
