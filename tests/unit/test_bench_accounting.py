"""The benchmark's accounting helpers (scripts/bench/accounting.py): sequential round trips of a
request's calls and the client CPU arithmetic, with fake clocks.

The module is loaded from its file: importing the `scripts.bench` package would set up the
benchmark's environment (its table, its master secret) in the test process.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

import pytest

PATH = Path(__file__).resolve().parents[2] / "scripts" / "bench" / "accounting.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_accounting", PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


accounting = _load()


@pytest.mark.parametrize(
    ("pooled", "trips"),
    [
        ([], 0),
        ([False], 1),
        ([False, False, False], 3),
        # a run of pool calls is one round trip per 8 (the pool's size), sequential calls one each
        ([False, True, True, False], 3),
        ([False] + [True] * 8, 2),
        ([False] + [True] * 9, 3),
        ([True] * 17, 3),
        ([True, True, False, True], 3),
    ],
)
def test_round_trips_count_each_pool_run_once_per_batch(pooled: list[bool], trips: int) -> None:
    assert accounting.round_trips(pooled, 8) == trips


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_client_cpu_is_process_cpu_minus_the_excluded_regions() -> None:
    process, thread = FakeClock(), FakeClock()
    account = accounting.CpuAccount(process_clock=process, thread_clock=thread)
    process.now = 10.0
    reading = account.start()
    process.now += 0.004  # the client's own work
    with account.excluded():
        thread.now += 0.003  # moto answering a call
        process.now += 0.003
    process.now += 0.002
    assert account.client_ms(reading) == pytest.approx(6.0)
    assert account.excluded_s == pytest.approx(0.003)


def test_nested_excluded_regions_count_once() -> None:
    process, thread = FakeClock(), FakeClock()
    account = accounting.CpuAccount(process_clock=process, thread_clock=thread)
    reading = account.start()

    @account.excluding
    def answer() -> str:
        thread.now += 0.001
        with account.excluded():
            thread.now += 0.002
        return "answered"

    assert answer() == "answered"
    process.now += 0.005
    assert account.excluded_s == pytest.approx(0.003)
    assert account.client_ms(reading) == pytest.approx(2.0)


def test_excluded_time_of_every_thread_is_summed() -> None:
    """Each thread measures its own excluded regions with its own CPU clock (the fan-out pool's
    threads answer calls concurrently); the account sums them."""
    clocks = threading.local()

    def thread_clock() -> float:
        return float(getattr(clocks, "now", 0.0))

    account = accounting.CpuAccount(process_clock=FakeClock(), thread_clock=thread_clock)
    both_inside = threading.Barrier(2)

    def work(spent: float) -> None:
        clocks.now = 100.0  # a thread's clock starts anywhere
        with account.excluded():
            both_inside.wait()  # the two regions overlap in time
            clocks.now += spent

    threads = [threading.Thread(target=work, args=(spent,)) for spent in (0.002, 0.005)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert account.excluded_s == pytest.approx(0.007)
