"""The request mix over HTTP (scripts/bench/against.py): reading a process's CPU from /proc, and
telling a server's background threads from its request path.

The module is loaded from its file: importing the `scripts.bench` package would set up the
benchmark's environment (its table, its master secret) in the test process.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

PATH = Path(__file__).resolve().parents[2] / "scripts" / "bench" / "against.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_against", PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


against = _load()
TICKS = os.sysconf("SC_CLK_TCK")


def test_stat_fields_are_counted_after_the_command_name() -> None:
    # A command name with a space and parentheses: fields 14 and 15 are utime and stime.
    fields = ["S", "1", "2", "3", "0", "-1", "4194560", "10", "0", "0", "0"]
    line = f"4242 (node (x) y) {' '.join(fields)} {3 * TICKS} {2 * TICKS} 0 0 20 0 7\n"
    assert against.stat_cpu_seconds(line) == 5.0


def test_own_process_cpu_is_read() -> None:
    before = against.cpu_seconds(os.getpid())
    sum(n * n for n in range(300_000))
    assert against.cpu_seconds(os.getpid()) >= before > 0
    threads = against.thread_cpu_ns([os.getpid()])
    assert (os.getpid(), os.getpid()) in threads


def test_threads_busy_while_idle_are_background() -> None:
    # 10 s idle: 0.5% of a CPU is 50 ms; a poller at 6% is background, an accept loop at
    # 0.05% and a thread that used nothing are not; exactly the share is not either.
    idle = Counter({(1, 1): 5_000_000, (1, 2): 600_000_000, (1, 3): 0, (1, 4): 50_000_000})
    assert against.background_of(idle, 10.0) == {(1, 2)}


def test_result_leaves_the_background_out() -> None:
    result = against.AgainstResult(
        requests=100,
        wall_s=10.0,
        busy_cpu_s=0.8,
        idle_cpu_s=0.3,
        background_cpu_s=0.2,
        background_threads=3,
        aside_cpu_s={},
        by_request_ms=(1.0,) * 5,
    )
    assert round(result.per_request_ms, 9) == 6.0
    assert round(result.idle_subtracted_ms, 9) == 5.0
    assert round(result.gross_per_request_ms, 9) == 8.0
