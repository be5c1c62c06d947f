"""What a shared roster is: the participants a supervisor sees, versioned for cheap refreshes.

Plain data, no storage and no clock reads beyond what a transition passes in. A version
number changes only when something a supervisor can see changed; each entry remembers the
version at which it last changed, and removed participants leave a tombstone, so a refresh
can send only the rows that changed since the version the browser has.

Actions in flight ("mute by sam, in flight") are `Marks`, stored beside the roster (not in
it), on the same version line: a page's version is `max(roster.version, marks.version)`.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from conference_admin.twilio import Call, Conference, Participant

# --- what a row carries besides the participant (owned by recordings.py, transcripts.py,
# phrases.py, which write it; defined here so the roster imports none of them) ---------

# Recording statuses in which a recording is going on.
ACTIVE = ("in-progress", "paused")


@dataclass(frozen=True)
class RecordingState:
    """One recording as the dashboard last knew it. `since`: when it entered this status (for a
    pause, when it was paused); `exact` when the dashboard itself made the change, otherwise
    Twilio's `date_updated` (or the callback's arrival) is the best estimate."""

    sid: str
    status: str
    since: datetime | None = None
    exact: bool = False
    pause_behavior: str | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def paused(self) -> bool:
        return self.status == "paused"

    @property
    def kind(self) -> str:
        """recording | paused | stopped: what a supervisor is told."""
        if self.status == "in-progress":
            return "recording"
        if self.status == "paused":
            return "paused"
        return "stopped"


@dataclass(frozen=True)
class TranscriptionState:
    """A transcription of one participant's call, as the dashboard last knew it. `sid` is empty
    until Twilio answered (a create whose outcome is unknown is stopped by name)."""

    sid: str
    since: datetime
    speaker: str = ""
    error: str = ""


@dataclass(frozen=True)
class PhraseHit:
    """The newest watched phrase a participant said: which rule, what matched, the whole line."""

    rule: str
    severity: str
    phrase: str
    line: str
    at: datetime
    line_id: int


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
TOMBSTONE_LIMIT = 500
# An upstream call lasts at most TWILIO_TOTAL_TIMEOUT (20 s); an older mark is a crashed request's.
MARK_STALE_SECONDS = 60


@dataclass(frozen=True)
class CallIdentity:
    """Who is on a participant's call (Twilio's Call resource); it never changes during the call."""

    from_: str | None = None
    to: str | None = None
    from_formatted: str | None = None
    to_formatted: str | None = None
    direction: str | None = None  # inbound, outbound-api, outbound-dial, trunking-*
    caller_name: str | None = None
    forwarded_from: str | None = None

    @classmethod
    def of(cls, call: Call) -> CallIdentity:
        return cls(
            call.from_, call.to, call.from_formatted, call.to_formatted, call.direction, call.caller_name,
            call.forwarded_from,
        )  # fmt: skip

    @property
    def inbound(self) -> bool:
        return self.direction == "inbound"

    @property
    def number(self) -> str:
        """The far end as a supervisor knows it: the caller of an inbound call, else whom it dialled
        (a number, or a client:/sip: identity)."""
        return (self.from_ if self.inbound else self.to) or ""


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
    # Twilio's date_updated on the dashboard's own last action here: a callback stamped
    # earlier describes the participant before that action and must not undo it.
    acted_at: datetime | None = None
    # This participant's call recording (conference_admin.live.recordings), None: none known.
    recording: RecordingState | None = None
    # Who is on the call, fetched once per call off the hot path (live/identity.py); None until known.
    identity: CallIdentity | None = None
    # This participant's real-time transcription (conference_admin.live.transcripts); None: none.
    transcription: TranscriptionState | None = None
    # The newest watched phrase this participant said (conference_admin.live.phrases); None: none.
    phrase_alert: PhraseHit | None = None

    @property
    def display_name(self) -> str:
        """Label, else the call's number once known, else the call SID."""
        return self.participant.label or (self.identity.number if self.identity else "") or self.participant.call_sid


# An entry as stored inside its roster: (changed_version, created_version, the pickled entry).
Stored = tuple[int, int, bytes]


class Entries(MutableMapping[str, RosterEntry]):
    """A stored roster's participants by call SID, each unpickled only when it is read.

    A roster is stored as one value (`store.py`), with every entry pickled on its own
    (`Roster.__getstate__`): an action or a callback on one participant of fifty unpickles
    that one entry, and writes the other forty-nine back as the bytes they were read as. Each
    entry's versions are kept beside its bytes, so a refresh's `changes_since` finds the
    changed rows without unpickling the rest. An entry read is pickled again only if it was
    changed: its fields are compared with those it was read with (every field's value is
    immutable, so a change in place is a new value; a Participant compares without its
    request_id, which no reader of a roster uses)."""

    __slots__ = ("_items", "_read")

    def __init__(self, items: Mapping[str, RosterEntry | Stored] | None = None) -> None:
        self._items: dict[str, RosterEntry | Stored] = dict(items or {})
        self._read: dict[str, tuple[Stored, dict[str, Any]]] = {}  # as stored, and the fields read

    def __getitem__(self, call_sid: str) -> RosterEntry:
        value = self._items[call_sid]
        if isinstance(value, tuple):
            entry: RosterEntry = pickle.loads(value[2])
            self._items[call_sid] = entry
            self._read[call_sid] = (value, entry.__dict__.copy())
            return entry
        return value

    def __setitem__(self, call_sid: str, entry: RosterEntry) -> None:
        self._items[call_sid] = entry
        self._read.pop(call_sid, None)

    def __delitem__(self, call_sid: str) -> None:
        del self._items[call_sid]
        self._read.pop(call_sid, None)

    def __contains__(self, call_sid: object) -> bool:
        return call_sid in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Entries({len(self._items)})"

    def versions(self) -> Iterator[tuple[str, int, int]]:
        """(call SID, changed_version, created_version) of every entry, none unpickled."""
        for call_sid, value in self._items.items():
            if isinstance(value, tuple):
                yield call_sid, value[0], value[1]
            else:
                yield call_sid, value.changed_version, value.created_version

    def stored(self) -> dict[str, Stored]:
        """Every entry as stored: unchanged ones as they were read, the others pickled anew."""
        stored: dict[str, Stored] = {}
        for call_sid, value in self._items.items():
            if isinstance(value, tuple):
                stored[call_sid] = value
                continue
            read = self._read.get(call_sid)
            stored[call_sid] = read[0] if read is not None and read[1] == value.__dict__ else _stored(value)
        return stored


def _stored(entry: RosterEntry) -> Stored:
    return entry.changed_version, entry.created_version, pickle.dumps(entry, pickle.HIGHEST_PROTOCOL)


def entry_versions(entries: Mapping[str, RosterEntry]) -> Iterator[tuple[str, int, int]]:
    """(call SID, changed_version, created_version) of each entry, unpickling none it need not."""
    if isinstance(entries, Entries):
        return entries.versions()
    return ((sid, entry.changed_version, entry.created_version) for sid, entry in entries.items())


@dataclass(frozen=True)
class InFlight:
    """One supervisor's action on one participant, while its upstream call runs."""

    token: str
    actor: str
    action: str
    started: float


@dataclass
class Marks:
    """Actions in flight in one conference, by call SID, and when each call SID's marks last
    changed (on the roster's version line), so a refresh resends those rows."""

    version: int = 0
    by_call: dict[str, tuple[InFlight, ...]] = field(default_factory=dict)
    touched: dict[str, int] = field(default_factory=dict)

    def live(self, now: float) -> dict[str, list[InFlight]]:
        fresh = {sid: [m for m in items if now - m.started < MARK_STALE_SECONDS] for sid, items in self.by_call.items()}
        return {sid: items for sid, items in fresh.items() if items}

    def set(self, call_sid: str, items: tuple[InFlight, ...], version: int) -> None:
        if items:
            self.by_call[call_sid] = items
        else:
            self.by_call.pop(call_sid, None)
        self.touched[call_sid] = version
        self.version = version


@dataclass
class Roster:
    conference_sid: str
    version: int = 0
    # A plain dict as built; `Entries` (unpickled entry by entry, when read) as loaded.
    entries: MutableMapping[str, RosterEntry] = field(default_factory=dict)
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
    # The conference's recording (conference_admin.live.recordings); `recording_read`: the
    # recording list was read at least once, so None means "not recording", not "unknown".
    recording: RecordingState | None = None
    recording_read: bool = False
    recording_version: int = 0  # the version at which `recording` last changed

    def __getstate__(self) -> dict[str, Any]:
        """Stored with each entry pickled on its own (see `Entries`)."""
        state = self.__dict__.copy()
        entries = state.pop("entries")
        stored = entries.stored() if isinstance(entries, Entries) else {s: _stored(e) for s, e in entries.items()}
        state["stored_entries"] = stored
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        stored = state.pop("stored_entries", None)
        if stored is not None:  # else a roster stored before entries were pickled one by one
            state["entries"] = Entries(stored)
        self.__dict__.update(state)

    @property
    def ended(self) -> bool:
        return self.conference_status == "completed"

    @property
    def mode(self) -> str:
        return "callbacks" if self.callbacks_seen else "polling"

    def names(self) -> dict[str, str]:
        """How supervisors know each participant (label, else number, else call SID), by call SID."""
        return {call_sid: entry.display_name for call_sid, entry in self.entries.items()}

    def name_of(self, call_sid: str, default: str | None = None) -> str:
        """How supervisors know this participant; `default` (else the call SID) when not here."""
        entry = self.entries.get(call_sid)
        if entry is not None:
            return entry.display_name
        return call_sid if default is None else default

    def changes_since(
        self, version: int, marks: Marks | None = None, behind: frozenset[str] = frozenset()
    ) -> tuple[list[RosterEntry], list[str]] | None:
        """Entries changed (or whose in-flight marks changed) and call SIDs removed after
        `version`; None when too old to tell. `behind`: rows the page kept at an older state
        (it skipped their update while busy): they count as changed, or removed, whatever
        their version."""
        touched = marks.touched if marks is not None else {}
        if version > max(self.version, marks.version if marks is not None else 0) or version < 0:
            return None
        # Tombstones are trimmed; a browser older than the oldest kept one needs the full table.
        if len(self.removed) >= TOMBSTONE_LIMIT and version < min(self.removed.values()):
            return None
        changed = [
            self.entries[sid]
            for sid, changed_version, _ in entry_versions(self.entries)
            if changed_version > version or touched.get(sid, 0) > version or sid in behind
        ]
        gone = [call_sid for call_sid, removed_at in self.removed.items() if removed_at > version or call_sid in behind]
        return changed, gone

    def appeared_after(self, call_sid: str, version: int) -> bool:
        """Whether this participant (present or departed) first appeared after `version`."""
        entry = self.entries.get(call_sid)
        created = entry.created_version if entry is not None else self.removed_created.get(call_sid, 0)
        return created > version

    def delta_since(
        self, version: int, marks: Marks | None = None, behind: frozenset[str] = frozenset()
    ) -> RosterDelta | None:
        """What a page showing `version` (except the rows `behind`) must change to show the
        roster now; None: resend all."""
        changes = self.changes_since(version, marks, behind)
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


@dataclass(frozen=True)
class RosterMeta:
    """The few facts a refresh needs, kept apart from the roster so reading them is cheap.
    `version` is the page version: the roster's or its marks', whichever is newer."""

    version: int
    interval: int
    ended: bool


@dataclass(frozen=True)
class Snapshot:
    """A roster and its in-flight marks, read together."""

    roster: Roster
    marks: Marks
    # The SHA-1 of the roster as it was read from Redis ("": not known), so the action's result
    # write can have it again only if it changed (store.offer_read).
    digest: str = ""

    @property
    def version(self) -> int:
        return max(self.roster.version, self.marks.version)


def with_fields(participant: Participant, **values) -> Participant:
    return replace(participant, **values)
