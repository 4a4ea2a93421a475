"""The background loop shared by the local event source mappings (`streams`, `queues`).

Why: a stream poller and a queue poller differ only in what one poll does; starting, stopping
and surviving a failed poll are the same.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

LOG = logging.getLogger("local.polling")


class Poller:
    """Calls `poll_once` in a daemon thread every `interval` seconds until stopped; a poll that
    raises is logged and tried again. With `drain`, a poll that found work is followed at once
    by the next one (no pause while there is a backlog)."""

    kind = "poller"  # names the thread and the log lines
    drain = False

    def __init__(self, source: Any, interval: float) -> None:
        self.source = source
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return f"{self.source.function}.{self.source.name}"

    def poll_once(self) -> int:
        raise NotImplementedError

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

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the loop to end; whether it did."""
        if self._thread is not None:
            self._thread.join(timeout=max(timeout, 0.0))
            if self._thread.is_alive():
                return False
            self._thread = None
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.poll_once() > 0 and self.drain
            except Exception:
                if self._stop.is_set():
                    break
                LOG.exception("%s poller %s failed; retrying", self.kind, self.name)
                busy = False
            if not busy:
                self._stop.wait(self.interval)
