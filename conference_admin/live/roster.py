"""One shared roster per watched conference, kept in Django's cache.

Every process (and every host, with Redis) sees the same roster. It is fed by three
sources: Twilio's status callbacks, the results of the dashboard's own actions, and a
reconciliation `list_participants` call made at most once per interval per conference
across all processes (single-flight through an atomic `cache.add` lease).

A version number changes only when something a supervisor can see changed, so an
unchanged browser refresh costs one small cache read. Each entry remembers the version
at which it last changed, and removed participants leave a tombstone, so a refresh can
send only the rows that changed since the version the browser has.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache

from conference_admin.history.recorder import (
    history_conference_ended,
    history_conference_seen,
    history_roster_changed,
)
from conference_admin.twilio import Conference, Participant

# Participant fields whose change a supervisor sees; others (uri, account) never matter.
VISIBLE_FIELDS = (
    "label",
    "status",
    "muted",
    "hold",
    "coaching",
    "call_sid_to_coach",
    "end_conference_on_exit",
    "start_conference_on_enter",
)
LOCK_TIMEOUT = 5
TOMBSTONE_LIMIT = 500


@dataclass
class RosterEntry:
    participant: Participant
    changed_version: int
    speaking: bool = False
    hold_since: datetime | None = None
    # True when the dashboard itself put the participant on hold, so hold_since is exact;
    # otherwise it is Twilio's date_updated when the hold was first seen.
    hold_start_exact: bool = False
    # Twilio's participant JSON has no beep_on_exit: what the dashboard last set, or None.
    beep_on_exit: bool | None = None
    created_version: int = 0
    # Highest callback SequenceNumber applied, so a late delivery never overwrites newer state.
    last_sequence: int = -1
    # time.time() when a callback or the dashboard's own action last set this entry: a list
    # call that started before then is older news and must not overwrite it.
    fresh_at: float = 0.0


@dataclass
class Roster:
    conference_sid: str
    version: int = 0
    entries: dict[str, RosterEntry] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    # SequenceNumber of the leave callback per departed call, so a late event cannot revive it.
    left_at_sequence: dict[str, int] = field(default_factory=dict)
    # Version at which each departed participant had first appeared: a browser that never
    # saw the row needs no instruction to delete it.
    removed_created: dict[str, int] = field(default_factory=dict)
    # time.time() of each removal, so a list call that started earlier cannot bring them back.
    removed_at: dict[str, float] = field(default_factory=dict)
    conference: Conference | None = None
    conference_status: str | None = None
    reason_ended: str | None = None
    callbacks_seen: bool = False
    reconciled_at: float | None = None
    last_error: str | None = None

    @property
    def ended(self) -> bool:
        return self.conference_status == "completed"

    @property
    def mode(self) -> str:
        return "callbacks" if self.callbacks_seen else "polling"

    def participants(self) -> list[Participant]:
        return [entry.participant for entry in self.entries.values()]

    def changes_since(self, version: int) -> tuple[list[RosterEntry], list[str]] | None:
        """Entries changed and call SIDs removed after `version`; None when too old to tell."""
        if version > self.version or version < 0:
            return None
        # Tombstones are trimmed; a browser older than the oldest kept one needs the full table.
        if len(self.removed) >= TOMBSTONE_LIMIT and version < min(self.removed.values()):
            return None
        changed = [entry for entry in self.entries.values() if entry.changed_version > version]
        gone = [call_sid for call_sid, removed_at in self.removed.items() if removed_at > version]
        return changed, gone

    def appeared_after(self, call_sid: str, version: int) -> bool:
        """Whether this participant (present or departed) first appeared after `version`."""
        entry = self.entries.get(call_sid)
        created = entry.created_version if entry is not None else self.removed_created.get(call_sid, 0)
        return created > version

    def delta_since(self, version: int) -> RosterDelta | None:
        """What a page showing `version` must change to show the roster now; None: resend all."""
        changes = self.changes_since(version)
        if changes is None:
            return None
        changed, gone = changes

        def new(call_sid: str) -> bool:
            return self.appeared_after(call_sid, version)

        return RosterDelta(
            changed=[entry for entry in changed if not new(entry.participant.call_sid)],
            arrived=[entry for entry in changed if new(entry.participant.call_sid)],
            gone=[call_sid for call_sid in gone if not new(call_sid)],
            gone_unseen=[call_sid for call_sid in gone if new(call_sid)],
        )


@dataclass(frozen=True)
class RosterDelta:
    """Rows to replace, rows that may be new to the page, rows to delete, and rows that
    came and went since the page's version (it may never have shown them)."""

    changed: list[RosterEntry]
    arrived: list[RosterEntry]
    gone: list[str]
    gone_unseen: list[str]


def _key(conference_sid: str, part: str = "") -> str:
    return f"roster:{conference_sid}{':' + part if part else ''}"


@dataclass(frozen=True)
class RosterMeta:
    """The few facts a refresh needs, kept apart from the roster so reading them is cheap."""

    version: int
    interval: int
    ended: bool


def read_meta(conference_sid: str) -> RosterMeta | None:
    return cache.get(_key(conference_sid, "meta"))


def current_version(conference_sid: str) -> int | None:
    """The roster's version, one small cache read; None when nobody has loaded it yet."""
    meta = read_meta(conference_sid)
    return meta.version if meta else None


def load(conference_sid: str) -> Roster | None:
    return cache.get(_key(conference_sid))


class _Locked:
    """A short cross-process lock around a read-modify-write of one roster."""

    def __init__(self, conference_sid: str) -> None:
        self.key = _key(conference_sid, "lock")

    def __enter__(self):
        deadline = time.monotonic() + LOCK_TIMEOUT
        while not cache.add(self.key, 1, timeout=LOCK_TIMEOUT):
            if time.monotonic() > deadline:
                break  # a crashed holder: its lock expires with LOCK_TIMEOUT anyway
            time.sleep(0.002)
        return self

    def __exit__(self, *exc):
        cache.delete(self.key)


def _store(roster: Roster) -> None:
    ttl = settings.ROSTER_CACHE_SECONDS
    meta = RosterMeta(version=roster.version, interval=refresh_interval(roster), ended=roster.ended)
    cache.set_many({_key(roster.conference_sid): roster, _key(roster.conference_sid, "meta"): meta}, timeout=ttl)


def mutate(conference_sid: str, change: Callable[[Roster, int], bool]) -> Roster:
    """Apply `change(roster, next_version)`; the version moves only if it returns True."""
    with _Locked(conference_sid):
        roster = load(conference_sid) or Roster(conference_sid=conference_sid)
        next_version = roster.version + 1
        if change(roster, next_version):
            roster.version = next_version
            if len(roster.removed) > TOMBSTONE_LIMIT:
                newest = sorted(roster.removed.items(), key=lambda item: item[1])[-TOMBSTONE_LIMIT:]
                roster.removed = dict(newest)
                roster.left_at_sequence = {
                    sid: seq for sid, seq in roster.left_at_sequence.items() if sid in roster.removed
                }
                roster.removed_created = {sid: v for sid, v in roster.removed_created.items() if sid in roster.removed}
                roster.removed_at = {sid: t for sid, t in roster.removed_at.items() if sid in roster.removed}
        _store(roster)
        return roster


def _visible(participant: Participant) -> tuple:
    return tuple(getattr(participant, name) for name in VISIBLE_FIELDS)


def _now() -> datetime:
    return datetime.now(UTC)


def _put(
    roster: Roster,
    participant: Participant,
    version: int,
    *,
    speaking: bool | None = None,
    held_now: bool = False,
    beep_on_exit: bool | None = None,
) -> bool:
    """Insert or update one entry; True when something visible changed.

    `held_now`: the dashboard has just put this participant on hold, so the hold starts now.
    """
    entry = roster.entries.get(participant.call_sid)
    roster.removed.pop(participant.call_sid, None)
    if entry is None:
        entry = RosterEntry(participant, version, speaking=bool(speaking), created_version=version)
        roster.entries[participant.call_sid] = entry
        if participant.hold:
            entry.hold_since = _now() if held_now else (participant.date_updated or _now())
            entry.hold_start_exact = held_now
        entry.beep_on_exit = beep_on_exit
        return True
    changed = _visible(entry.participant) != _visible(participant)
    if participant.hold and (held_now or not entry.participant.hold or entry.hold_since is None):
        if held_now or entry.hold_since is None or not entry.participant.hold:
            entry.hold_since = _now() if held_now else (participant.date_updated or _now())
            entry.hold_start_exact = held_now
    elif not participant.hold:
        entry.hold_since = None
        entry.hold_start_exact = False
    if beep_on_exit is not None and beep_on_exit != entry.beep_on_exit:
        entry.beep_on_exit = beep_on_exit
        changed = True
    entry.participant = participant
    if speaking is not None and speaking != entry.speaking:
        entry.speaking = speaking
        changed = True
    if changed:
        entry.changed_version = version
    return changed


def _remove(roster: Roster, call_sid: str, version: int) -> bool:
    entry = roster.entries.pop(call_sid, None)
    if entry is None:
        return False
    roster.removed[call_sid] = version
    roster.removed_created[call_sid] = entry.created_version
    roster.removed_at[call_sid] = time.time()
    return True


def record_participant(
    conference_sid: str, participant: Participant, *, held_now: bool = False, beep_on_exit: bool | None = None
) -> Roster:
    """What the dashboard's own action got back from Twilio: the freshest truth there is."""

    def change(roster: Roster, version: int) -> bool:
        if roster.ended:
            return False
        new.append(participant.call_sid not in roster.entries)
        changed = _put(roster, participant, version, held_now=held_now, beep_on_exit=beep_on_exit)
        roster.entries[participant.call_sid].fresh_at = time.time()
        return changed

    new: list[bool] = []
    recorded = mutate(conference_sid, change)
    if any(new):
        history_roster_changed(conference_sid, joined=[participant])
    return recorded


def record_conference(conference: Conference) -> Roster:
    """Remember a conference resource Twilio returned (header facts, and whether it ended)."""

    def change(roster: Roster, version: int) -> bool:
        changed = roster.conference_status != conference.status
        roster.conference = conference
        roster.conference_status = conference.status
        if conference.status == "completed":
            roster.reason_ended = conference.reason_conference_ended
            for call_sid in list(roster.entries):
                changed |= _remove(roster, call_sid, version)
        seen.append(changed)
        return changed

    seen: list[bool] = []
    recorded = mutate(conference.sid, change)
    if any(seen):
        history_conference_seen(conference)
    return recorded


def record_removed(conference_sid: str, call_sid: str) -> Roster:
    return mutate(conference_sid, lambda roster, version: _remove(roster, call_sid, version))


def record_conference_ended(conference_sid: str, reason: str | None = None) -> Roster:
    def change(roster: Roster, version: int) -> bool:
        already = roster.ended and not roster.entries
        for call_sid in list(roster.entries):
            _remove(roster, call_sid, version)
        roster.conference_status = "completed"
        roster.reason_ended = reason or roster.reason_ended
        return not already

    recorded = mutate(conference_sid, change)
    history_conference_ended(conference_sid, reason=recorded.reason_ended or "")
    return recorded


def reconcile(
    conference_sid: str, participants: Iterable[Participant], *, started_at: float, conference: Conference | None = None
) -> Roster:
    """Make the roster equal to a list Twilio returned, keeping callbacks newer than the list."""
    listed = {participant.call_sid: participant for participant in participants}

    def change(roster: Roster, version: int) -> bool:
        before, previous = set(roster.entries), roster.reconciled_at
        diff["within"] = round(time.time() - previous) + 1 if previous else refresh_interval(roster)
        changed = False
        if conference is not None:
            roster.conference = conference
            if conference.status != roster.conference_status:
                roster.conference_status = conference.status
                roster.reason_ended = conference.reason_conference_ended
                changed = True
                diff["conference"] = conference
        for call_sid, entry in list(roster.entries.items()):
            if call_sid not in listed and entry.fresh_at < started_at:
                changed |= _remove(roster, call_sid, version)
        for call_sid, participant in listed.items():
            entry = roster.entries.get(call_sid)
            if entry is not None and entry.fresh_at >= started_at:
                continue
            if entry is None and roster.removed_at.get(call_sid, 0.0) >= started_at:
                continue  # removed while this list was in flight
            changed |= _put(roster, participant, version)
        roster.reconciled_at = time.time()
        roster.last_error = None
        diff["joined"] = [e.participant for sid, e in roster.entries.items() if sid not in before]
        diff["left"] = [sid for sid in before if sid not in roster.entries]
        diff["changed"] = [
            e.participant for sid, e in roster.entries.items() if sid in before and e.changed_version == version
        ]
        return changed

    diff: dict = {}
    reconciled = mutate(conference_sid, change)
    history_roster_changed(conference_sid, **diff, approximate=True)  # a diff dates a change only to the interval
    return reconciled


def record_reconcile_failure(conference_sid: str, message: str) -> Roster:
    def change(roster: Roster, version: int) -> bool:
        changed = roster.last_error != message
        roster.last_error = message
        return changed

    return mutate(conference_sid, change)


def refresh_interval(roster: Roster | None) -> int:
    if roster is not None and roster.callbacks_seen:
        return settings.ROSTER_CALLBACK_INTERVAL_SECONDS
    return settings.ROSTER_POLL_INTERVAL_SECONDS


def release_reconcile(conference_sid: str) -> None:
    cache.delete(_key(conference_sid, "lease"))


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
    # One round trip for the common case (someone holds the lease): meta and lease together.
    found = cache.get_many([_key(conference_sid, "meta"), _key(conference_sid, "lease")])
    meta = found.get(_key(conference_sid, "meta"))
    if meta is not None and meta.ended:
        return meta
    interval = meta.interval if meta is not None else settings.ROSTER_POLL_INTERVAL_SECONDS
    if _key(conference_sid, "lease") in found or not cache.add(_key(conference_sid, "lease"), 1, timeout=interval):
        return meta or _wait_for_first_load(conference_sid)
    started_at = time.time()
    try:
        participants, conference = fetch()
    except Exception as exc:
        if on_error is None:
            release_reconcile(conference_sid)
            raise
        return read_meta_of(record_reconcile_failure(conference_sid, on_error(exc)))
    return read_meta_of(reconcile(conference_sid, participants, started_at=started_at, conference=conference))


def read_meta_of(roster: Roster) -> RosterMeta:
    return RosterMeta(version=roster.version, interval=refresh_interval(roster), ended=roster.ended)


def _wait_for_first_load(conference_sid: str) -> RosterMeta | None:
    """Another viewer is making the very first list call: wait for it rather than show nothing."""
    deadline = time.monotonic() + COLD_START_WAIT
    while time.monotonic() < deadline:
        meta = read_meta(conference_sid)
        if meta is not None:
            return meta
        if cache.get(_key(conference_sid, "lease")) is None:
            return None
        time.sleep(0.01)
    return None


def ensure_fresh(conference_sid: str, fetch: Fetch, *, on_error: Callable[[Exception], str] | None = None) -> Roster:
    """The roster, reconciled with Twilio first if its interval has passed (single-flight)."""
    refresh(conference_sid, fetch, on_error=on_error)
    return load(conference_sid) or Roster(conference_sid=conference_sid)


def apply_callback(
    conference_sid: str,
    *,
    sequence: int | None,
    participant_change: Callable[[Participant | None], Participant | None] | None = None,
    call_sid: str | None = None,
    speaking: bool | None = None,
    leave: bool = False,
    end: bool = False,
    reason_ended: str | None = None,
    conference_started: bool = False,
) -> Roster:
    """Apply one status callback in order; a delivery older than what was applied is ignored."""

    def change(roster: Roster, version: int) -> bool:
        roster.callbacks_seen = True
        if end:
            changed = bool(roster.entries) or not roster.ended
            for sid in list(roster.entries):
                _remove(roster, sid, version)
            roster.conference_status = "completed"
            roster.reason_ended = reason_ended
            return changed
        if roster.ended:
            return False
        changed = False
        if conference_started and roster.conference_status != "in-progress":
            roster.conference_status = "in-progress"
            changed = True
        if call_sid is None:
            return changed
        entry = roster.entries.get(call_sid)
        if entry is not None and sequence is not None and sequence <= entry.last_sequence:
            return changed
        if sequence is not None and sequence <= roster.left_at_sequence.get(call_sid, -1):
            return changed
        if leave:
            if sequence is not None:
                roster.left_at_sequence[call_sid] = sequence
            changed |= _remove(roster, call_sid, version)
            return changed
        current = entry.participant if entry else None
        updated = participant_change(current) if participant_change else current
        if updated is None:
            return changed
        changed |= _put(roster, updated, version, speaking=speaking)
        fresh = roster.entries[call_sid]
        if sequence is not None:
            fresh.last_sequence = sequence
        fresh.fresh_at = time.time()
        return changed

    return mutate(conference_sid, change)


def with_fields(participant: Participant, **values) -> Participant:
    return replace(participant, **values)
