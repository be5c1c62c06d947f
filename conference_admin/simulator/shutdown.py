"""Stopping a long-running command on SIGTERM and SIGINT, whatever its parent did to them.

A process started in the background by a shell (`cmd &`, `nohup`, CI runners) inherits SIGINT
as ignored, and Python then never raises KeyboardInterrupt; service managers stop a process
with SIGTERM, whose default action kills it without any cleanup. `stop_on_signals()` installs
one handler for both (installing a handler also restores delivery of an inherited-as-ignored
SIGINT). It raises KeyboardInterrupt in the main thread once, so the command's own
`except KeyboardInterrupt` and `finally` blocks stop its servers and it exits 0; further signals
while it shuts down, and until it exits, are ignored.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise KeyboardInterrupt (once).

    Afterwards the previous handlers are back, unless a signal arrived: the process is then
    on its way out and both stay ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may install handlers (a command run in a test's thread)
        return
    received: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        if received:
            return  # already shutting down
        received.append(signum)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {number: signal.signal(number, stop) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            # Once stopping, a late second signal must not kill the exit that is under way.
            signal.signal(number, signal.SIG_IGN if received else handler)
