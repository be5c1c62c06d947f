"""What is being recorded in a conference, kept in its shared roster.

Twilio has two kinds of recording a supervisor can act on: the conference's own recording
(exists once `ConferenceRecord` started it at a participant create, or TwiML did) and one
participant's call recording. The conference's state lives on the roster (`Roster.recording`),
a participant's on its entry (`RosterEntry.recording`), so the same one read and one write that
serve the table serve the recording state too, and a change moves the roster's version line:
every open page's next poll shows it.

Three sources feed it, like the roster: what Twilio answered to the dashboard's own pause,
resume, stop or start (`record_*`), Twilio's recording status callbacks (`recording_reported`),
and the conference's recording list, read at most once per interval per conference however many
pages poll (`refresh`, single-flight through its own lease).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache

from conference_admin.twilio import Recording

from .roster import Roster, load, mutate
from .roster.model import ACTIVE, RecordingState
from .roster.store import key
from .signals import recording_changed

# Statuses a recording ends in; none of them ever changes again.
ENDED = ("stopped", "processing", "completed", "absent", "failed")


def _now() -> datetime:
    return datetime.now(UTC)


def state_of(recording: Recording, *, exact: bool = False, previous: RecordingState | None = None) -> RecordingState:
    """What Twilio returned, as a state; a pause already known keeps the moment it began."""
    status = recording.status or "in-progress"
    if previous is not None and previous.sid == recording.sid and previous.status == status and not exact:
        return previous
    since = _now() if exact else (recording.date_updated or _now())
    return RecordingState(sid=recording.sid, status=status, since=since, exact=exact)


def current(recordings: Iterable[Recording]) -> Recording | None:
    """The one a supervisor cares about: the active one, else the newest (lists are newest first)."""
    found = list(recordings)
    return next((r for r in found if r.status in ACTIVE), found[0] if found else None)


# --- transitions: each one locked read-modify-write of the roster (moves its version) -----


def _same(a: RecordingState | None, b: RecordingState | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.sid, a.status, a.pause_behavior) == (b.sid, b.status, b.pause_behavior)


def record_conference_recording(conference_sid: str, state: RecordingState | None, *, read: bool = False) -> Roster:
    """The conference's recording is now `state` (None: Twilio lists none). `read`: this came
    from the recording list, so the page knows the state was looked up (not just unknown)."""

    changed = False

    def change(roster: Roster, version: int) -> bool:
        nonlocal changed
        if read:
            roster.recording_read = True
        if _same(roster.recording, state):
            return False
        roster.recording, roster.recording_version = state, version
        changed = True
        return True

    recorded = mutate(conference_sid, change)
    if changed and state is not None:
        recording_changed.send(None, conference_sid=conference_sid, status=state.status)
    return recorded


def record_call_recording(conference_sid: str, call_sid: str, state: RecordingState | None) -> Roster:
    """One participant's call recording is now `state`; the row changes with it."""

    def change(roster: Roster, version: int) -> bool:
        entry = roster.entries.get(call_sid)
        if entry is None or _same(entry.recording, state):
            return False
        entry.recording = state
        entry.changed_version = version
        return True

    return mutate(conference_sid, change, settles=call_sid)


def _reported(known: RecordingState | None, sid: str, status: str, at: datetime) -> RecordingState | None:
    """What a status callback makes of the known state; None when it changes nothing.

    Callbacks may arrive late or twice: an ended recording never becomes active again, and the
    end of an older recording does not hide a newer one in progress."""
    if known is not None and known.sid == sid:
        if known.status == status or known.status in ENDED:
            return None
        if status == "in-progress" and known.status == "paused":
            return None  # a late "in-progress" must not undo a pause the dashboard knows of
        return RecordingState(sid=sid, status=status, since=at)
    if known is not None and known.active and status in ENDED:
        return None  # an older recording's end
    return RecordingState(sid=sid, status=status, since=at)


def recording_reported(conference_sid: str, *, call_sid: str, recording_sid: str, status: str) -> Roster:
    """A recording status callback (in-progress, completed, absent, ...) for the conference's
    recording (`call_sid` empty) or a participant's call recording."""
    at = _now()
    conference_changed = False

    def change(roster: Roster, version: int) -> bool:
        nonlocal conference_changed
        if not call_sid:
            new = _reported(roster.recording, recording_sid, status, at)
            if new is None:
                return False
            roster.recording, roster.recording_read, roster.recording_version = new, True, version
            conference_changed = True
            return True
        entry = roster.entries.get(call_sid)
        if entry is None:
            return False
        new = _reported(entry.recording, recording_sid, status, at)
        if new is None:
            return False
        entry.recording = new
        entry.changed_version = version
        return True

    recorded = mutate(conference_sid, change)
    if conference_changed:
        recording_changed.send(None, conference_sid=conference_sid, status=status)
    return recorded


# --- the conference's recording list, at most once per interval ---------------------------


def refresh(
    conference_sid: str,
    fetch: Callable[[], list[Recording]],
    *,
    on_error: Callable[[Exception], None] | None = None,
    force: bool = False,
    only_if_read: bool = False,
) -> Roster | None:
    """List the conference's recordings if ROSTER_POLL_INTERVAL_SECONDS have passed since the
    last list, for one caller only (the others read what is there): one cache `add` when not due.
    `force`: now, whatever the interval; `only_if_read`: only for a conference whose recording a
    page has asked for once (so a poll alone never costs a recording list).

    Returns the roster the read wrote, or None when it was not due (or failed: `on_error`)."""
    lease = key(conference_sid, "recording-lease")
    interval = settings.ROSTER_POLL_INTERVAL_SECONDS
    if force:
        cache.set(lease, 1, timeout=interval)
    elif not cache.add(lease, 1, timeout=interval):
        return None
    roster = load(conference_sid)
    if only_if_read and (roster is None or not roster.recording_read or roster.ended):
        return None
    try:
        recordings = fetch()
    except Exception as exc:
        if on_error is None:
            raise
        on_error(exc)
        return None
    found = current(recordings)
    known = roster.recording if roster is not None else None
    state = state_of(found, previous=known) if found is not None else None
    return record_conference_recording(conference_sid, state, read=True)


def forget_read(conference_sid: str) -> None:
    """Let the next refresh read the recording list now."""
    cache.delete(key(conference_sid, "recording-lease"))
