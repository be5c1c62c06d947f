"""Who is on each call: Twilio's Call resource, fetched once per call, off the hot path.

Twilio's Participant resource carries no phone number; the Call resource does, and it never
changes during the call. So each call's identity is fetched at most once, by one process,
when its participant first appears in a roster (a join callback or a reconcile that finds
them); the dashboard's own dial-outs already know whom they dialled and fetch nothing. A poll
or a row action never fetches.

Shared by every viewer and every process through the cache, per call SID:

- `identity:<CA>`         the CallIdentity, once known (kept ROSTER_CACHE_SECONDS);
- `identity:<CA>:claim`   single-flight: only the process whose `cache.add` wins fetches;
- `identity:<CA>:failed`  (attempts, not before): a failed fetch is retried, with backoff, by a
                          later reconcile of the roster, at most MAX_ATTEMPTS times in all.

The fetch never blocks a row: `learn` only hands the call SIDs to a small pool of background
threads (WORKERS at most per process) and returns; until the identity arrives, the row shows
the call SID. Its arrival is one roster write (`record`), so every page's
next poll gets the row with the number.

Tests replace the pool with `deferred()`, whose tasks run only when the test says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial

from django.conf import settings
from django.core.cache import cache

from conference_admin.offthread import closing_connections
from conference_admin.twilio import Call, TwilioApiError

from .roster.model import CallIdentity, Roster
from .roster.store import mutate
from .signals import identities_known

log = logging.getLogger(__name__)

WORKERS = 2
MAX_ATTEMPTS = 5
RETRY_SECONDS = 10  # after the first failure; doubles with each further one
RETRY_MAX_SECONDS = 300

FetchCall = Callable[[str], Call]
_fetch_call: FetchCall | None = None


def use_fetch(fetch_call: FetchCall) -> None:
    """Say how to fetch a call (the dashboard's Twilio client); until then nothing is fetched."""
    global _fetch_call
    _fetch_call = fetch_call


def key(call_sid: str, part: str = "") -> str:
    return f"identity:{call_sid}{':' + part if part else ''}"


# --- where the work runs ------------------------------------------------------------------


class _Pool:
    """WORKERS threads per process, started on first use (so after a server forks its workers).
    A fetch still running at shutdown delays the process's exit by TWILIO_TOTAL_TIMEOUT at most."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pending: set[Future] = set()

    def submit(self, task: Callable[[], None]) -> None:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="call-identity")
            future = self._executor.submit(self._run, task)
            self._pending.add(future)
        future.add_done_callback(self._done)

    @staticmethod
    @closing_connections  # history's write, if any: a worker thread keeps no connection
    def _run(task: Callable[[], None]) -> None:
        task()

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every task submitted so far has finished (benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            for future in pending:
                future.result(timeout=max(0.0, deadline - time.monotonic()))


class Deferred:
    """Tasks kept until `run()`: a test decides when the background work happens."""

    def __init__(self) -> None:
        self.tasks: list[Callable[[], None]] = []

    def submit(self, task: Callable[[], None]) -> None:
        self.tasks.append(task)

    def run(self) -> int:
        """Run every task queued so far (and any they queue); how many ran."""
        ran = 0
        while self.tasks:
            task = self.tasks.pop(0)
            task()
            ran += 1
        return ran

    def drain(self, timeout: float = 30.0) -> None:
        self.run()


_pool: _Pool | Deferred = _Pool()


@contextmanager
def deferred() -> Iterator[Deferred]:
    """Inside the block, background tasks wait for `Deferred.run()` instead of running on threads."""
    global _pool
    previous, _pool = _pool, Deferred()
    try:
        yield _pool
    finally:
        _pool = previous


def drain(timeout: float = 30.0) -> None:
    _pool.drain(timeout)


# --- the public calls ---------------------------------------------------------------------


def learn(conference_sid: str, call_sids: Iterable[str]) -> None:
    """These participants have no identity in this conference's roster yet: find it, in the
    background. Returns at once; nothing here reads or writes the cache."""
    for call_sid in call_sids:
        _pool.submit(partial(_learn_one, conference_sid, call_sid))


def remember(call_sid: str, identity: CallIdentity) -> None:
    """The dashboard knows this call's identity itself (its own dial-out): nobody fetches it."""
    cache.set(key(call_sid), identity, timeout=settings.ROSTER_CACHE_SECONDS)


# --- the background task ------------------------------------------------------------------


def _now() -> float:
    return time.time()


def _due(failed: tuple[int, float] | None) -> bool:
    if failed is None:
        return True
    attempts, not_before = failed
    return attempts < MAX_ATTEMPTS and _now() >= not_before


def _known(call_sid: str) -> tuple[CallIdentity | None, tuple[int, float] | None]:
    found = cache.get_many([key(call_sid), key(call_sid, "failed")])
    return found.get(key(call_sid)), found.get(key(call_sid, "failed"))


def _learn_one(conference_sid: str, call_sid: str) -> None:
    try:
        identity, failed = _known(call_sid)
        if identity is None:
            if _fetch_call is None or not _due(failed):
                return
            if not cache.add(key(call_sid, "claim"), 1, timeout=int(settings.TWILIO_TOTAL_TIMEOUT) + 10):
                return  # another process (or thread) is fetching it
            try:
                # It may have been fetched, or failed, between the read above and the claim.
                identity, failed = _known(call_sid)
                if identity is None:
                    if not _due(failed):
                        return
                    identity = _fetch(call_sid, failed)
            finally:
                cache.delete(key(call_sid, "claim"))
        if identity is not None:
            record(conference_sid, {call_sid: identity})
    except Exception:  # a background thread has nobody to tell: log, a later reconcile retries
        log.exception("Finding the identity of call %s failed", call_sid)


# --- into the roster (the roster's transitions call `learn`, `remember` and `announce`) -----------


def record(conference_sid: str, identities: Mapping[str, CallIdentity]) -> Roster:
    """Who is on these calls (live/identity.py found out): each row shows it from now on."""

    applied: dict[str, CallIdentity] = {}

    def change(roster: Roster, version: int) -> bool:
        for call_sid, identity in identities.items():
            entry = roster.entries.get(call_sid)
            if entry is not None and entry.identity != identity:
                entry.identity = identity
                entry.changed_version = version
                applied[call_sid] = identity
        return bool(applied)

    recorded = mutate(conference_sid, change)
    announce(conference_sid, applied)
    return recorded


def announce(conference_sid: str, identities: Mapping[str, CallIdentity]) -> None:
    """Tell whoever listens (history) who is on these calls, once they are in the roster."""
    if identities:
        known = {sid: (identity.number, identity.direction or "") for sid, identity in identities.items()}
        identities_known.send(None, conference_sid=conference_sid, identities=known)


def _fetch(call_sid: str, failed: tuple[int, float] | None) -> CallIdentity | None:
    """One FetchCall; the identity, or None after recording the failure (and when to retry)."""
    assert _fetch_call is not None
    try:
        identity = CallIdentity.of(_fetch_call(call_sid))
    except Exception as error:
        attempts = (failed[0] if failed else 0) + 1
        if isinstance(error, TwilioApiError) and error.is_not_found:
            attempts = MAX_ATTEMPTS  # Twilio has no such call: asking again will not help
        delay = min(RETRY_MAX_SECONDS, RETRY_SECONDS * 2 ** (attempts - 1))
        cache.set(key(call_sid, "failed"), (attempts, _now() + delay), timeout=settings.ROSTER_CACHE_SECONDS)
        log.warning("FetchCall %s failed (attempt %d of %d): %s", call_sid, attempts, MAX_ATTEMPTS, error)
        return None
    cache.set(key(call_sid), identity, timeout=settings.ROSTER_CACHE_SECONDS)
    return identity
