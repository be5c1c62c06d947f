"""Reconciling a roster with Twilio's participant list, at most once per interval per
conference across all processes (single-flight through an atomic `cache.add` lease)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

from conference_admin.twilio import Conference, Participant

from .model import RosterMeta
from .store import key, meta_of, read_meta, release_reconcile
from .transitions import reconcile, record_reconcile_failure

Fetch = Callable[[], "tuple[list[Participant], Conference | None]"]
COLD_START_WAIT = 10.0


def refresh(
    conference_sid: str, fetch: Fetch, *, on_error: Callable[[Exception], str] | None = None
) -> RosterMeta | None:
    """Reconcile with Twilio if this conference's interval has passed, for one caller only.

    `fetch` makes the upstream call(s): the participant list, plus the conference itself
    when the list is empty (to tell "ended" from "empty"). It runs only for the caller
    that wins the lease; the others read what is there. Cheap when nothing is due: one
    small cache read (meta and lease together).
    """
    found = cache.get_many([key(conference_sid, "meta"), key(conference_sid, "lease")])
    meta = found.get(key(conference_sid, "meta"))
    if meta is not None and meta.ended:
        return meta
    interval = meta.interval if meta is not None else settings.ROSTER_POLL_INTERVAL_SECONDS
    if key(conference_sid, "lease") in found or not cache.add(key(conference_sid, "lease"), 1, timeout=interval):
        return meta or _wait_for_first_load(conference_sid)
    started_at = time.time()
    try:
        participants, conference = fetch()
    except Exception as exc:
        if on_error is None:
            release_reconcile(conference_sid)
            raise
        failed = record_reconcile_failure(conference_sid, on_error(exc))
        return read_meta(conference_sid) or meta_of(failed)
    reconcile(conference_sid, participants, started_at=started_at, conference=conference)
    return read_meta(conference_sid)


def _wait_for_first_load(conference_sid: str) -> RosterMeta | None:
    """Another viewer is making the very first list call: wait for it rather than show nothing."""
    deadline = time.monotonic() + COLD_START_WAIT
    while time.monotonic() < deadline:
        meta = read_meta(conference_sid)
        if meta is not None:
            return meta
        if cache.get(key(conference_sid, "lease")) is None:
            return None
        time.sleep(0.01)
    return None
