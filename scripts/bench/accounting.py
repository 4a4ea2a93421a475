"""Pure accounting helpers of the harness: sequential round trips of a request's calls, and the
client CPU of a request (the process's CPU minus what the emulator and the meter spent).

Kept free of the package's other modules (standard library only) so that they can be tested
without the benchmark's environment.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import wraps


def round_trips(pooled: Iterable[bool], pool_size: int) -> int:
    """Sequential round trips (the critical path) of a request's calls, in call order: a call
    of the request's thread counts one, a run of n consecutive calls made on the fan-out pool
    ceil(n / pool_size) (they run concurrently, pool_size at a time)."""
    trips, run = 0, 0
    for on_pool in pooled:
        if on_pool:
            run += 1
            continue
        trips += math.ceil(run / pool_size) + 1
        run = 0
    return trips + math.ceil(run / pool_size)


class CpuAccount:
    """Client CPU of a request: the process's CPU time over the request minus the CPU time the
    threads spent inside excluded regions (moto answering a call in process, the call meter's
    own hooks), each measured with the thread's own CPU clock on whichever thread runs it (the
    request's thread or a fan-out pool thread). Nested excluded regions count once.

    The clocks are parameters so that the arithmetic can be tested with fake clocks.
    """

    def __init__(
        self,
        process_clock: Callable[[], float] = time.process_time,
        thread_clock: Callable[[], float] = time.thread_time,
    ) -> None:
        self._process_clock = process_clock
        self._thread_clock = thread_clock
        self._lock = threading.Lock()
        self._excluded = 0.0  # seconds, all threads, since creation
        self._depth = threading.local()

    @property
    def excluded_s(self) -> float:
        with self._lock:
            return self._excluded

    @contextmanager
    def excluded(self) -> Iterator[None]:
        """The enclosed CPU time of this thread is not the client's."""
        depth = getattr(self._depth, "value", 0)
        self._depth.value = depth + 1
        started = self._thread_clock() if depth == 0 else 0.0
        try:
            yield
        finally:
            self._depth.value = depth
            if depth == 0:
                spent = self._thread_clock() - started
                with self._lock:
                    self._excluded += spent

    def excluding[**P, R](self, function: Callable[P, R]) -> Callable[P, R]:
        """`function` with its CPU time excluded (for patching a method in place)."""

        @wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with self.excluded():
                return function(*args, **kwargs)

        return wrapper

    def start(self) -> tuple[float, float]:
        """A reading to pass to `client_ms` when the measured work is done."""
        return self._process_clock(), self.excluded_s

    def client_ms(self, reading: tuple[float, float]) -> float:
        """Process CPU since `reading` minus the excluded CPU since then, in milliseconds."""
        process, excluded = reading
        return max(0.0, (self._process_clock() - process) - (self.excluded_s - excluded)) * 1000
