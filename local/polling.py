"""The background loop shared by the local event source mappings (`streams`, `queues`).

Why: a stream poller and a queue poller differ only in what one poll does; starting, stopping,
surviving a failed poll and pausing between polls are the same.

Pauses back off while nothing happens: after a poll that found nothing, the pause doubles from
`interval` up to `max_interval` (~1 s), so an idle stack costs next to no CPU; a poll that found
work brings it back to `interval`. `wake()` (called by the embedded server when it answers a
write the poller could see, see `EmbeddedDynamoDB.on_write`) ends a long pause early: the next
poll comes `interval` after the last one at the latest, so work arriving after a long idle
period is still picked up at once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

LOG = logging.getLogger("local.polling")

MAX_INTERVAL = 1.0  # seconds: the longest pause of an idle poller


class Poller:
    """Calls `poll_once` in a daemon thread until stopped, pausing `interval` seconds after a
    poll that found work and up to `max_interval` (doubling) after polls that found nothing; a
    poll that raises is logged and tried again. With `drain`, a poll that found work is
    followed at once by the next one (no pause while there is a backlog)."""

    kind = "poller"  # names the thread and the log lines
    drain = False

    def __init__(self, source: Any, interval: float, max_interval: float = MAX_INTERVAL) -> None:
        self.source = source
        self.interval = interval
        self.max_interval = max(interval, max_interval)
        # The pause after the last poll; before the first one, half the interval, so that the
        # first idle pause is `interval`.
        self.pause = interval / 2
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return f"{self.source.function}.{self.source.name}"

    def poll_once(self) -> int:
        raise NotImplementedError

    def wake(self) -> None:
        """Something this poller may find was written: end the current pause early."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"{self.kind}-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.request_stop()
        self.join(timeout)

    def request_stop(self) -> None:
        """Ask the loop to end after the poll it is in (a stack stops every poller at once)."""
        self._stop.set()
        self._wake.set()

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the loop to end; whether it did."""
        if self._thread is not None:
            self._thread.join(timeout=max(timeout, 0.0))
            if self._thread.is_alive():
                return False
            self._thread = None
        return True

    def pending(self) -> bool:
        """Whether work is known to be on its way (e.g. a delayed message): the pause stays
        short, as after work. Pollers that can tell override this."""
        return False

    def next_pause(self, found: int) -> float:
        """The pause after a poll that found `found` items: `interval` after work (or while
        work is `pending`), else the last pause doubled, at most `max_interval`."""
        if found > 0 or self.pending():
            self.pause = self.interval
        else:
            self.pause = min(self.pause * 2, self.max_interval)
        return self.pause

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # a write from now on ends the pause after this poll
            try:
                found = self.poll_once()
            except Exception:
                if self._stop.is_set():
                    break
                LOG.exception("%s poller %s failed; retrying", self.kind, self.name)
                found = 0
            if found > 0 and self.drain:
                self.pause = self.interval / 2  # the first idle pause after work is `interval`
                continue
            self._wait(self.next_pause(found))

    def _wait(self, pause: float) -> None:
        polled_at = time.monotonic()
        if self._wake.wait(pause) and not self._stop.is_set():
            # woken by a write: poll now, but not sooner than `interval` after the last poll
            # (writes in quick succession are read together, as before)
            rest = self.interval - (time.monotonic() - polled_at)
            if rest > 0:
                self._stop.wait(rest)
