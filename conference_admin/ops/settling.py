"""Pending audit records settle themselves: every `AUDIT_SETTLE_EVERY_SECONDS`, and once at
start-up, one process at a time (across processes and hosts) runs
`dashboard.settle.settle_pending()` (docs/OPERATIONS.md).

Each server process starts one daemon thread with its first middleware load (so at start-up,
never in a management command). Single-flight: on PostgreSQL a session advisory lock (released
with the connection, so a killed runner never blocks the next); elsewhere (the embedded
default, one process) a cache lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection

from . import metrics

log = logging.getLogger(__name__)

# pg_try_advisory_lock's key for this job (any constant the project uses for nothing else).
ADVISORY_KEY = 0x5E771E
LEASE_KEY = "ops:settle-pending:lease"


@contextmanager
def single_flight() -> Iterator[bool]:
    """True when this process holds the right to run now; False when another does."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
            held = bool(cursor.fetchone()[0])
        try:
            yield held
        finally:
            if held:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
        return
    held = cache.add(LEASE_KEY, 1, timeout=max(60, int(settings.AUDIT_SETTLE_EVERY_SECONDS) * 2))
    try:
        yield held
    finally:
        if held:
            cache.delete(LEASE_KEY)


def run_once() -> None:
    """One pass, if no other process is making one."""
    from conference_admin.dashboard.settle import settle_pending

    try:
        with single_flight() as held:
            if not held:
                return
            for outcome, count in settle_pending().items():
                metrics.audit_settled_late.labels(outcome).inc(count)
    except DatabaseError as error:
        log.warning("pending audit records not settled this time: %s", error)
    finally:
        connection.close()  # this thread's own connection; the next pass opens a fresh one


class Runner:
    _started = False
    _lock = threading.Lock()

    @classmethod
    def start(cls) -> None:
        every = settings.AUDIT_SETTLE_EVERY_SECONDS
        with cls._lock:
            if cls._started or every <= 0:
                return
            cls._started = True
        threading.Thread(target=cls._run, args=(every,), name="settle-pending-audit", daemon=True).start()

    @staticmethod
    def _run(every: float) -> None:
        stop = threading.Event()
        while True:
            try:
                run_once()
            except Exception:
                log.exception("settling pending audit records failed")
            stop.wait(every)
