"""`python -m tests.support.paused_streams [options]`: `python -m local` whose stream pollers
never read the table's stream.

Why: the restart tests need outbox events committed and not yet processed when the stack
stops; with the pollers reading every 200 ms, stopping "right after" an award would race with
the delivery. Here every committed record stays unprocessed until the stop saves it.
"""

from __future__ import annotations

from local import __main__ as entry
from local.streams import StreamPoller


def _read_nothing(self: StreamPoller) -> int:
    return 0


StreamPoller.poll_once = _read_nothing  # type: ignore[method-assign]

if __name__ == "__main__":
    entry.exit_now(entry.main())
