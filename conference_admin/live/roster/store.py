"""Where a roster lives: Django's cache (Redis in production), shared by every process.

Keys per conference: `roster:<CF>` (the pickled Roster), `roster:<CF>:meta` (RosterMeta,
what a poll reads), `roster:<CF>:marks` (actions in flight), `roster:<CF>:lock` (the lock
around every read-modify-write, see below) and `roster:<CF>:lease` (the single-flight
reconcile lease, see refresh.py).

One writer at a time: every read-modify-write holds `roster:<CF>:lock` (redis-py's token-owned
lock in production, `conference_admin.cache.exclusive`), and its write is conditional on still
holding it. A writer paused past `LOCK_TTL` loses the lock to the next one; its write is then
refused whole and it starts again from a fresh read (at most `WRITE_ATTEMPTS` times), so no
update is ever written over. A writer that cannot have the lock within `LOCK_WAIT` writes
nothing and raises `RosterBusy` (a 503 that says so; the reconcile lease is released, so the
next refresh lists the truth from Twilio). While Redis is down, the lock and the roster are
both this process's own (conference_admin/cache.py): the same guarantee, per process.

Every write takes the next number on one version line shared by the roster and its marks,
and rewrites meta with it, so a poll learns of either kind of change from meta alone; once
written, the new version is announced (`live.signals.roster_written`, which the push app
hands to the event streams); on Redis the write publishes that announcement itself, in its own
round trip (`live.signals.in_write_announcement`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any, NamedTuple, TypeVar

from django.conf import settings
from django.core.cache import cache, caches

from conference_admin.cache import UNCHANGED, Bucket, LockLost, LockUnavailable, exclusive
from conference_admin.live.signals import in_write_announcement, roster_written
from conference_admin.outage import TemporarilyUnavailable

from .model import TOMBSTONE_LIMIT, InFlight, Marks, Roster, RosterMeta, Snapshot

log = logging.getLogger(__name__)

# A holder's lock expires after LOCK_TTL (a crashed or paused holder cannot block for ever);
# a writer waits for it at most LOCK_WAIT, longer than LOCK_TTL, so a paused holder's expiry
# lets the waiters in rather than failing them.
LOCK_TTL = 5
LOCK_WAIT = 6
WRITE_ATTEMPTS = 3

T = TypeVar("T")


class RosterBusy(TemporarilyUnavailable):
    """The roster could not be written (its lock was held too long): nothing was written."""

    message = "This conference's live state is busy: the page shows what Twilio did at its next refresh."


def key(conference_sid: str, part: str = "") -> str:
    return f"roster:{conference_sid}{':' + part if part else ''}"


def refresh_interval(roster: Roster | None) -> int:
    """Seconds between reconciling list calls: long once Twilio's callbacks are arriving."""
    if roster is not None and roster.callbacks_seen:
        return settings.ROSTER_CALLBACK_INTERVAL_SECONDS
    return settings.ROSTER_POLL_INTERVAL_SECONDS


def meta_of(roster: Roster, marks: Marks | None = None) -> RosterMeta:
    version = max(roster.version, marks.version if marks is not None else 0)
    return RosterMeta(version=version, interval=refresh_interval(roster), ended=roster.ended)


def read_meta(conference_sid: str) -> RosterMeta | None:
    return cache.get(key(conference_sid, "meta"))


def current_version(conference_sid: str) -> int | None:
    """The page version (roster and marks), one small cache read; None when never loaded."""
    meta = read_meta(conference_sid)
    return meta.version if meta else None


def load(conference_sid: str) -> Roster | None:
    return cache.get(key(conference_sid))


def load_marks(conference_sid: str) -> Marks:
    return cache.get(key(conference_sid, "marks")) or Marks()


def snapshot(conference_sid: str) -> Snapshot:
    """The roster and its marks in one cache round trip."""
    found = cache.get_many([key(conference_sid), key(conference_sid, "marks")])
    return Snapshot(
        found.get(key(conference_sid)) or Roster(conference_sid=conference_sid),
        found.get(key(conference_sid, "marks")) or Marks(),
    )


def _locked_write(
    conference_sid: str,
    write: Callable[[Any], T],
    *,
    reads: Sequence[str] = (),
    bucket: Bucket | None = None,
    digest: Sequence[str] = (),
    known: dict[str, str] | None = None,
) -> T:
    """Run `write(held)` holding the conference's lock; again from the start if the lock was
    lost before its write (nothing of that attempt was written). `reads`: the keys read as
    the lock is taken (`held.found`, the same round trip); `write` ends with
    `held.set_many(..., release=True)` (the write releases the lock in its round trip).
    `bucket`: a token is taken from it in that first round trip, once (`held.tokens`).
    `digest`, `known`: see `conference_admin.cache.RedisHeld`; `known` holds for the first
    attempt only (a later one reads everything: the first may have changed what it held)."""
    tokens = None
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            lock = key(conference_sid, "lock")
            with exclusive(
                caches["default"],
                lock,
                ttl=LOCK_TTL,
                wait=LOCK_WAIT,
                reads=reads,
                bucket=bucket,
                digest=digest,
                known=known if attempt == 1 else None,
            ) as held:
                if bucket is not None:
                    tokens, bucket = held.tokens, None  # taken once, whatever this attempt comes to
                held.tokens = tokens
                return write(held)
        except LockLost:
            log.warning("roster %s: lock lost before the write (attempt %d), nothing written", conference_sid, attempt)
        except LockUnavailable:
            break
    release_reconcile(conference_sid)
    log.warning("roster %s: no write after waiting for the lock; the next refresh re-lists", conference_sid)
    raise RosterBusy(conference_sid)


def _trim(roster: Roster) -> None:
    if len(roster.removed) <= TOMBSTONE_LIMIT:
        return
    newest = sorted(roster.removed.items(), key=lambda item: item[1])[-TOMBSTONE_LIMIT:]
    roster.removed = dict(newest)
    roster.left_at_sequence = {sid: seq for sid, seq in roster.left_at_sequence.items() if sid in roster.removed}
    roster.removed_created = {sid: v for sid, v in roster.removed_created.items() if sid in roster.removed}
    roster.removed_at = {sid: t for sid, t in roster.removed_at.items() if sid in roster.removed}


def mutate(conference_sid: str, change: Callable[[Roster, int], bool], *, settles: str | None = None) -> Roster:
    """Apply `change(roster, next_version)`; the version moves only if it returns True.

    One read (roster and marks together) and one write (roster, meta, and the marks when
    they changed). `settles`: the call SID whose result this write records: marks on it are
    cleared in the same write (the row now shows the result, not the action in flight).
    """

    offered = _take_offer(conference_sid, settles)

    def write(held) -> tuple[Roster, int, bool, bool]:
        found = held.found
        roster = found.get(key(conference_sid))
        if roster is UNCHANGED:  # as the action's begin read it: that copy, not a second unpickling
            assert offered is not None
            roster = offered.roster
        roster = roster or Roster(conference_sid=conference_sid)
        marks = found.get(key(conference_sid, "marks")) or Marks()
        next_version = max(roster.version, marks.version) + 1
        if change(roster, next_version):
            roster.version = next_version
            _trim(roster)
        writes: dict[str, object] = {key(conference_sid): roster}
        if settles is not None and settles in marks.by_call:
            marks.set(settles, (), next_version)
            writes[key(conference_sid, "marks")] = marks
        meta = meta_of(roster, marks)
        writes[key(conference_sid, "meta")] = meta
        moved = meta.version == next_version
        announcement = in_write_announcement(conference_sid, next_version) if moved else None
        published = held.set_many(writes, timeout=settings.ROSTER_CACHE_SECONDS, release=True, publish=announcement)
        return roster, next_version, moved, published

    roster, next_version, moved, published = _locked_write(
        conference_sid,
        write,
        reads=[key(conference_sid), key(conference_sid, "marks")],
        known={key(conference_sid): offered.digest} if offered is not None else None,
    )
    if moved:
        roster_written.send(None, conference_sid=conference_sid, version=next_version, published=published)
    return roster


class MarksStep(NamedTuple):
    """What one marks step read and did."""

    snapshot: Snapshot  # the roster and its marks as read
    version: int | None  # the version it wrote; None: nothing was written
    found: dict[str, Any]  # what was found of the caller's `also` keys
    tokens: float | None  # how many tokens the bucket had (below 1: none taken); None: no bucket


def marks_step(
    conference_sid: str,
    change: Callable[[Snapshot], dict[str, tuple[InFlight, ...]] | None],
    *,
    read_roster: bool = True,
    also: Sequence[str] = (),
    bucket: Bucket | None = None,
) -> MarksStep:
    """ONE locked step on the in-flight marks: read the roster and its marks as the lock is
    taken, then `change(snapshot)` names the participants whose marks become what (None or
    {}: nothing is written). A change takes the next version and rewrites meta, so every
    page's next refresh resends those rows; the roster itself is not written.

    `read_roster=False`: the marks alone matter (the snapshot's roster is then empty);
    `also`: other keys the caller needs, read in the same round trip; `bucket`: a token bucket
    to take from in that round trip too (a user's Twilio budget): when it is empty, `change`
    is not asked and nothing is written."""
    keys = [key(conference_sid), key(conference_sid, "marks"), key(conference_sid, "meta")]
    reads = [*(keys if read_roster else keys[1:]), *also]

    def write(held) -> tuple[Snapshot, int | None, bool]:
        found: dict[str, Any] = held.found
        roster = found.get(keys[0]) or Roster(conference_sid=conference_sid)
        marks = found.get(keys[1]) or Marks()
        meta: RosterMeta | None = found.get(keys[2])
        marks_read = Marks(marks.version, dict(marks.by_call), dict(marks.touched))
        read = Snapshot(roster, marks_read, held.digests.get(keys[0], ""))
        changes = change(read) if held.tokens is None or held.tokens >= 1 else None
        if not changes:
            held.release()
            return read, None, False
        version = max(meta.version if meta else 0, roster.version, marks.version) + 1
        for call_sid, items in changes.items():
            marks.set(call_sid, items, version)
        writes: dict[str, object] = {keys[1]: marks}
        if meta is not None:  # nobody has loaded the roster yet: its first load writes meta
            writes[keys[2]] = RosterMeta(version, meta.interval, meta.ended)
        published = held.set_many(
            writes,
            timeout=settings.ROSTER_CACHE_SECONDS,
            release=True,
            publish=in_write_announcement(conference_sid, version),
        )
        return read, version, published

    found: dict[str, Any] = {}

    def step(held) -> tuple[Snapshot, int | None, bool]:
        found.clear()
        found.update((k, v) for k, v in held.found.items() if k in also)
        taken[:] = [held.tokens]
        return write(held)

    taken: list[float | None] = [None]
    digest = keys[:1] if read_roster else ()
    read, version, published = _locked_write(conference_sid, step, reads=reads, bucket=bucket, digest=digest)
    if version is not None:
        roster_written.send(None, conference_sid=conference_sid, version=version, published=published)
    return MarksStep(read, version, found, taken[0])


class _Offer(NamedTuple):
    conference_sid: str
    call_sid: str
    roster: Roster
    digest: str


# The roster an action's begin read (actions.begin), offered to that action's result write
# (`mutate(..., settles=call_sid)`, in the same request): Redis sends the roster again only if
# it changed since, else the write starts from this copy (one unpickling per action, not two).
# Per thread (a request's context); used once; withdrawn when the action settles.
_offer: ContextVar[_Offer | None] = ContextVar("roster_offer", default=None)


def offer_read(conference_sid: str, call_sid: str, snapshot: Snapshot) -> None:
    """Offer what `snapshot` read to the result write of the action on `call_sid` (its begin's)."""
    _offer.set(_Offer(conference_sid, call_sid, snapshot.roster, snapshot.digest) if snapshot.digest else None)


def withdraw_read() -> None:
    _offer.set(None)


def _take_offer(conference_sid: str, settles: str | None) -> _Offer | None:
    offered = _offer.get()
    if offered is None or settles is None:
        return None
    _offer.set(None)  # once: the write may change the copy it starts from
    return offered if (offered.conference_sid, offered.call_sid) == (conference_sid, settles) else None


def release_reconcile(conference_sid: str) -> None:
    """Let the next refresh list the participants from Twilio now."""
    cache.delete(key(conference_sid, "lease"))
