"""The import's progress bar on stderr (no dependency): one line per table, redrawn in place on
a terminal at most ten times a second; elsewhere (a log, CI) one line when a table is done."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30  # characters of the bar itself
REDRAW_SECONDS = 0.1


class ProgressBar:
    """`bar(table, done, total)`: the writer's progress callback (`migrate.writer.Progress`)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.clock = clock
        self.table: str | None = None
        self.done = 0
        self.total = 0
        self.started = clock()
        self.drawn = 0.0

    def __call__(self, table: str, done: int, total: int) -> None:
        if table != self.table:
            self.finish()
            self.table, self.started, self.drawn = table, self.clock(), 0.0
        self.done, self.total = done, total
        now = self.clock()
        if self.live and (now - self.drawn >= REDRAW_SECONDS or (total and done >= total)):
            self.stream.write("\r" + self.line(now))
            self.stream.flush()
            self.drawn = now

    def line(self, now: float | None = None) -> str:
        """`badges           [##########..........]     120/240  50%  1.2 s`"""
        elapsed = (self.clock() if now is None else now) - self.started
        total = max(self.total, self.done)
        share = self.done / total if total else 1.0
        filled = round(WIDTH * share)
        bar = "#" * filled + "." * (WIDTH - filled)
        return (
            f"{self.table or '':<16} [{bar}] {self.done:>9}/{total:<9} {share:>4.0%} "
            f"{elapsed:6.1f} s"
        )

    def finish(self) -> None:
        """End the current table's line (called when the next table starts, and at the end)."""
        if self.table is None:
            return
        self.stream.write(("\r" if self.live else "") + self.line() + "\n")
        self.stream.flush()
        self.table = None
