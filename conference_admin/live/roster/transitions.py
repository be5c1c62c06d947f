"""How a roster changes: one function per source of news, each one locked read-modify-write.

Three sources feed a roster: the dashboard's own actions (what Twilio answered), Twilio's
status callbacks (one function per event, applied in SequenceNumber order), and the
reconciling participant list (refresh.py). Each function returns the roster it wrote.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from conference_admin.live import identity as call_identity
from conference_admin.live.signals import conference_seen, participants_changed, roster_reconciled
from conference_admin.twilio import Conference, Participant

from .model import VISIBLE_FIELDS, CallIdentity, Roster, RosterEntry, with_fields
from .store import mutate, refresh_interval, release_reconcile

# Call progress of a dial-out, in order: a callback only ever moves it forward.
STATUS_RANK = {"queued": 0, "connecting": 1, "ringing": 2, "connected": 3}


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


def _end(roster: Roster, version: int, reason: str | None) -> bool:
    already = roster.ended and not roster.entries
    for call_sid in list(roster.entries):
        _remove(roster, call_sid, version)
    roster.conference_status = "completed"
    roster.reason_ended = reason or roster.reason_ended
    return not already


# --- the dashboard's own actions (what Twilio answered: the freshest truth there is) --------


def record_participant(
    conference_sid: str,
    participant: Participant,
    *,
    held_now: bool = False,
    beep_on_exit: bool | None = None,
    identity: CallIdentity | None = None,
) -> Roster:
    """`identity`: who the call is with, when the dashboard knows it (its own dial-out)."""
    arrived = False

    def change(roster: Roster, version: int) -> bool:
        nonlocal arrived
        if roster.ended:
            return False
        arrived = participant.call_sid not in roster.entries
        changed = _put(roster, participant, version, held_now=held_now, beep_on_exit=beep_on_exit)
        entry = roster.entries[participant.call_sid]
        entry.fresh_at = time.time()
        entry.acted_at = participant.date_updated
        if identity is not None and entry.identity is None:
            entry.identity = identity
            entry.changed_version = version
            changed = True
        return changed

    if identity is not None:
        call_identity.remember(participant.call_sid, identity)
    recorded = mutate(conference_sid, change, settles=participant.call_sid)
    if arrived:  # a dial-out the roster did not have: history learns of it now
        participants_changed.send(None, conference_sid=conference_sid, joined=[participant])
        if identity is not None:
            call_identity.announce(conference_sid, {participant.call_sid: identity})
        _learn_identities(recorded, [participant.call_sid])
    return recorded


def _learn_identities(roster: Roster, call_sids: Iterable[str]) -> None:
    """Participants new to the roster, or still without an identity: find out who they are
    (in the background, once per call, shared by every process)."""
    missing = [sid for sid in call_sids if sid in roster.entries and roster.entries[sid].identity is None]
    if missing:
        call_identity.learn(roster.conference_sid, missing)


def record_removed(conference_sid: str, call_sid: str) -> Roster:
    return mutate(conference_sid, lambda roster, version: _remove(roster, call_sid, version), settles=call_sid)


def record_conference(conference: Conference) -> Roster:
    """Remember a conference resource Twilio returned (header facts, and whether it ended)."""

    status_changed = False

    def change(roster: Roster, version: int) -> bool:
        nonlocal status_changed
        changed = status_changed = roster.conference_status != conference.status
        roster.conference = conference
        roster.conference_status = conference.status
        if conference.status == "completed":
            roster.reason_ended = conference.reason_conference_ended
            for call_sid in list(roster.entries):
                changed |= _remove(roster, call_sid, version)
        return changed

    recorded = mutate(conference.sid, change)
    if status_changed:
        conference_seen.send(None, conference=conference)
    return recorded


# --- the reconciling list ------------------------------------------------------------------


def reconcile(
    conference_sid: str, participants: Iterable[Participant], *, started_at: float, conference: Conference | None = None
) -> Roster:
    """Make the roster equal to a list Twilio returned, keeping callbacks newer than the list."""
    listed = {participant.call_sid: participant for participant in participants}
    # What history needs of this list: who appeared, who is gone, whose state changed, and
    # how far apart the two lists were (a departure is known only to within that).
    diff: dict[str, Any] = {}
    lag: dict[str, float | None] = {}  # since the previous reconcile (told to `roster_reconciled`)

    def change(roster: Roster, version: int) -> bool:
        before, previous = set(roster.entries), roster.reconciled_at
        lag["seconds"] = time.time() - previous if previous else None
        diff["within"] = round(time.time() - previous) + 1 if previous else refresh_interval(roster)
        changed = False
        if conference is not None:
            roster.conference = conference
            if conference.status != roster.conference_status:
                roster.conference_status = conference.status
                roster.reason_ended = conference.reason_conference_ended
                diff["conference"] = conference
                changed = True
        for call_sid, entry in list(roster.entries.items()):
            if call_sid not in listed and entry.fresh_at < started_at:
                changed |= _remove(roster, call_sid, version)
        for call_sid, participant in listed.items():
            known = roster.entries.get(call_sid)
            if known is not None and known.fresh_at >= started_at:
                continue
            if known is None and roster.removed_at.get(call_sid, 0.0) >= started_at:
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

    reconciled = mutate(conference_sid, change)
    roster_reconciled.send(None, conference_sid=conference_sid, lag_seconds=lag.get("seconds"))
    participants_changed.send(None, conference_sid=conference_sid, **diff, approximate=True)
    # New participants, and any whose identity an earlier attempt failed to find (retried here,
    # once per interval at most, with the backoff and limit of live/identity.py).
    _learn_identities(reconciled, list(reconciled.entries))
    return reconciled


def record_reconcile_failure(conference_sid: str, message: str) -> Roster:
    def change(roster: Roster, version: int) -> bool:
        changed = roster.last_error != message
        roster.last_error = message
        return changed

    return mutate(conference_sid, change)


# --- Twilio's conference status callbacks, one function per event -------------------------
# `fields`: the Participant fields the callback carried (only those it carried).


def conference_started(conference_sid: str, *, sequence: int | None) -> Roster:
    def change(roster: Roster, version: int) -> bool:
        roster.callbacks_seen = True
        if roster.ended or roster.conference_status == "in-progress":
            return False
        roster.conference_status = "in-progress"
        return True

    return mutate(conference_sid, change)


def conference_ended(conference_sid: str, *, sequence: int | None, reason: str | None) -> Roster:
    def change(roster: Roster, version: int) -> bool:
        roster.callbacks_seen = True
        changed = bool(roster.entries) or not roster.ended
        _end(roster, version, reason)
        roster.reason_ended = reason
        return changed

    return mutate(conference_sid, change)


def callbacks_arriving(conference_sid: str) -> Roster:
    """An event that changes no row (an announcement ended): callbacks reach the dashboard."""

    def change(roster: Roster, version: int) -> bool:
        roster.callbacks_seen = True
        return False

    return mutate(conference_sid, change)


def _in_order(roster: Roster, call_sid: str, sequence: int | None) -> bool:
    """Whether an event at `sequence` is newer than what this participant has had applied."""
    if sequence is None:
        return True
    entry = roster.entries.get(call_sid)
    if entry is not None and sequence <= entry.last_sequence:
        return False
    return sequence > roster.left_at_sequence.get(call_sid, -1)


def _predates_action(entry: RosterEntry, participant: Participant, speaking: bool | None) -> bool | None:
    """Whether an event may describe the participant before the dashboard's own last action.

    True: stamped earlier than that action's result (a late delivery, e.g. the join of a
    participant muted since): it must not undo the action. None: stamped in the same second
    (Twilio's timestamps have one-second resolution) and it would change what the row shows:
    the order cannot be told, so Twilio's list decides. False: newer, apply it.
    """
    acted_at, stamped = entry.acted_at, participant.date_updated
    if acted_at is None or stamped is None or stamped > acted_at:
        return False
    if stamped < acted_at:
        return True
    unchanged = _visible(entry.participant) == _visible(participant) and speaking in (None, entry.speaking)
    return False if unchanged else None


def _participant_event(
    conference_sid: str,
    call_sid: str,
    sequence: int | None,
    fields: Mapping[str, Any],
    *,
    joined: bool = False,
    speaking: bool | None = None,
) -> Roster:
    undecided = False

    def change(roster: Roster, version: int) -> bool:
        nonlocal undecided
        roster.callbacks_seen = True
        if roster.ended or not _in_order(roster, call_sid, sequence):
            return False
        entry = roster.entries.get(call_sid)
        values = dict(fields)
        if joined or entry is None:
            values["status"] = "connected"
        if entry is None:
            values.setdefault("date_created", values.get("date_updated"))
            participant = Participant(call_sid=call_sid, conference_sid=conference_sid, **values)
        else:
            participant = with_fields(entry.participant, **values)
            predates = _predates_action(entry, participant, speaking)
            if predates is not False:
                undecided = predates is None
                if sequence is not None:
                    entry.last_sequence = sequence
                return False
        changed = _put(roster, participant, version, speaking=speaking)
        fresh = roster.entries[call_sid]
        if sequence is not None:
            fresh.last_sequence = sequence
        fresh.fresh_at = time.time()
        return changed

    recorded = mutate(conference_sid, change)
    if undecided:
        release_reconcile(conference_sid)
    return recorded


def participant_joined(
    conference_sid: str, *, call_sid: str, sequence: int | None, fields: Mapping[str, Any]
) -> Roster:
    joined = _participant_event(conference_sid, call_sid, sequence, fields, joined=True)
    _learn_identities(joined, [call_sid])
    return joined


def participant_updated(
    conference_sid: str, *, call_sid: str, sequence: int | None, fields: Mapping[str, Any]
) -> Roster:
    """Muted, unmuted, held, unheld or modified (coaching, end-on-exit...)."""
    return _participant_event(conference_sid, call_sid, sequence, fields)


def participant_speaking(
    conference_sid: str, *, call_sid: str, sequence: int | None, speaking: bool, fields: Mapping[str, Any]
) -> Roster:
    return _participant_event(conference_sid, call_sid, sequence, fields, speaking=speaking)


def participant_left(conference_sid: str, *, call_sid: str, sequence: int | None) -> Roster:
    def change(roster: Roster, version: int) -> bool:
        roster.callbacks_seen = True
        if roster.ended or not _in_order(roster, call_sid, sequence):
            return False
        if sequence is not None:
            roster.left_at_sequence[call_sid] = sequence
        return _remove(roster, call_sid, version)

    return mutate(conference_sid, change)


# --- call status callbacks of the dashboard's own dial-outs --------------------------------


def call_progressed(conference_sid: str, *, call_sid: str, status: str) -> Roster:
    """queued → connecting → ringing → connected; a known dial-out only ever moves forward."""

    def change(roster: Roster, version: int) -> bool:
        roster.callbacks_seen = True
        entry = roster.entries.get(call_sid)
        if roster.ended or entry is None:
            return False
        if STATUS_RANK.get(entry.participant.status or "", 3) >= STATUS_RANK[status]:
            return False
        changed = _put(roster, with_fields(entry.participant, status=status), version)
        entry.fresh_at = time.time()
        return changed

    return mutate(conference_sid, change)


def call_ended(conference_sid: str, *, call_sid: str) -> Roster:
    def change(roster: Roster, version: int) -> bool:
        roster.callbacks_seen = True
        return not roster.ended and _remove(roster, call_sid, version)

    return mutate(conference_sid, change)
