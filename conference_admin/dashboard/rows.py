"""What one participant row shows, assembled from Twilio's resource and the local record.

Templates only read these fields: no Twilio field logic and no decisions in `{% if %}`s
beyond showing what is here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.urls import get_script_prefix, reverse
from django.utils import timezone

from conference_admin.live.alerts import Alert, by_row, live_phrase, row_alerts
from conference_admin.live.participants import PENDING_STATUSES, participant_role
from conference_admin.live.roster import CallIdentity, InFlight, Marks, Roster, RosterEntry
from conference_admin.twilio import Participant

from .moves import Arrival, arrivals

STATUS_TEXT = {
    "queued": "Queued",
    "connecting": "Connecting",
    "ringing": "Ringing",
    "connected": "Connected",
    "complete": "Complete",
    "failed": "Failed",
}
RECORDING_TEXT = {"recording": "Rec", "paused": "Rec paused", "stopped": "Rec stopped"}
TRANSCRIPT_TEXT = {"transcribing": "Transcribing", "starting": "Transcribing?", "failed": "Transcript failed"}


# Twilio's call directions, as a row says them.
DIRECTION_TEXT = {
    "inbound": "inbound",
    "outbound-api": "outbound",
    "outbound-dial": "outbound",
    "trunking-originating": "trunk, inbound",
    "trunking-terminating": "trunk, outbound",
}


def identity_text(identity: CallIdentity | None, name: str) -> str:
    """Number (or client/SIP identity) · direction · caller name; the number is left out when it
    is already the row's name. Empty until the identity is known."""
    if identity is None:
        return ""
    direction = DIRECTION_TEXT.get(identity.direction or "", identity.direction or "")
    number = "" if identity.number == name else identity.number
    return " · ".join(part for part in (number, direction, identity.caller_name or "") if part)


# Rows ranked below this need a supervisor's attention (ParticipantRow.rank).
ATTENTION_RANKS = 5


@dataclass(frozen=True)
class Note:
    text: str
    kind: str = "info"  # info | error | warning


@dataclass(frozen=True)
class ParticipantRow:
    conference_sid: str
    call_sid: str
    name: str
    label: str
    status: str
    status_text: str
    pending: bool
    muted: bool
    hold: bool
    coaching: bool
    coaching_name: str
    end_conference_on_exit: bool | None
    beep_on_exit: bool | None
    in_call: timedelta | None
    on_hold: timedelta | None
    hold_start_exact: bool
    # Moments the page's clock script counts from, so timers move between refreshes.
    joined_at: datetime | None = None
    hold_since: datetime | None = None
    speaking: bool = False
    # This row's alerts (conference_admin.live.alerts), e.g. "on hold 2:00".
    warnings: tuple[str, ...] = ()
    # customer | agent | supervisor (conference_admin.live.participants.participant_role)
    role: str = "customer"
    # Actions other supervisors have in flight on this participant (each with .actor, .action).
    in_flight: tuple[InFlight, ...] = ()
    # time.time() when this row's state was last recorded (callback or the dashboard's action).
    recorded_at: float = 0.0
    # Roster version of this row's state: the page never replaces a row with an older one.
    version: int = 0
    note: Note | None = None
    gone: bool = False
    # This participant's call recording: recording | paused | stopped, "" when none is known.
    recording: str = ""
    # Who is on the call ("+14155550101 · inbound · WHITFIELD DANA"), once known; "" until then.
    identity: str = ""
    # This participant's live transcript: transcribing | starting (outcome unknown) | failed, "" when none.
    transcript: str = ""
    # A watched phrase this participant said lately: its severity (info | warning | critical), "" when none.
    phrase: str = ""
    # Moved into this conference from another one (moves.Arrival): where from and by whom.
    moved_from: str = ""
    moved_by: str = ""

    @property
    def dom_id(self) -> str:
        return f"participant-{self.call_sid}"

    @property
    def url(self) -> str:
        """The participant's URL (the row's form posts its actions there)."""
        return _participant_url(get_script_prefix()).format(cf=self.conference_sid, ca=self.call_sid)

    # The timers' moments, as the page's clock script reads them (Unix seconds).
    @property
    def joined_epoch(self) -> int | None:
        return int(self.joined_at.timestamp()) if self.joined_at is not None else None

    @property
    def hold_epoch(self) -> int | None:
        return int(self.hold_since.timestamp()) if self.hold_since is not None else None

    @property
    def warning(self) -> str:
        return " · ".join(self.warnings)

    @property
    def recording_text(self) -> str:
        return RECORDING_TEXT.get(self.recording, "")

    @property
    def recording_active(self) -> bool:
        return self.recording in ("recording", "paused")

    @property
    def transcript_text(self) -> str:
        return TRANSCRIPT_TEXT.get(self.transcript, "")

    # --- what the page sorts and groups on (static/bigroom.js): data-rank and data-role on the
    # row; the filter reads the row's text, the timers their data-since moments.

    @property
    def rank(self) -> int:
        """How urgently a supervisor should look at this row, 0 first: an alert, ringing, on
        hold, another supervisor's action in flight, speaking (these need attention), then
        everyone else (ATTENTION_RANKS)."""
        needs = (bool(self.warnings), self.pending, self.hold, bool(self.in_flight), self.speaking)
        return next((rank for rank, present in enumerate(needs) if present), ATTENTION_RANKS)

    @property
    def pinned(self) -> bool:
        """Needs a supervisor now: the page can keep this row above the rest."""
        return self.rank < ATTENTION_RANKS


@functools.lru_cache(maxsize=8)
def _participant_url(script_prefix: str) -> str:
    """The participant URL with {cf} and {ca} to fill in: reversed once per script prefix, not
    once per row (a 250-participant table reversed it 250 times)."""
    cf, ca = "CF" + "0" * 32, "CA" + "0" * 32
    return reverse("participant", args=[cf, ca]).replace(cf, "{cf}").replace(ca, "{ca}")


def _since(moment: datetime | None, now: datetime) -> timedelta | None:
    if moment is None:
        return None
    return max(timedelta(0), now - moment)


def build_row(
    entry: RosterEntry,
    names: dict[str, str],
    *,
    conference_sid: str,
    note: Note | None = None,
    now: datetime | None = None,
    warnings: tuple[str, ...] = (),
    in_flight: tuple[InFlight, ...] = (),
    touched: int = 0,
    arrival: Arrival | None = None,
) -> ParticipantRow:
    now = now or timezone.now()
    participant: Participant = entry.participant
    status = participant.status or "unknown"
    target = participant.call_sid_to_coach or ""
    hold = bool(participant.hold)
    hold_since = entry.hold_since if hold else None
    name = entry.display_name
    return ParticipantRow(
        conference_sid=conference_sid,
        call_sid=participant.call_sid,
        name=name,
        label=participant.label or "",
        status=status,
        status_text=STATUS_TEXT.get(status, status.capitalize()),
        pending=status in PENDING_STATUSES,
        muted=bool(participant.muted),
        hold=hold,
        coaching=bool(participant.coaching),
        coaching_name=names.get(target, target) if participant.coaching else "",
        end_conference_on_exit=participant.end_conference_on_exit,
        beep_on_exit=entry.beep_on_exit,
        in_call=_since(participant.date_created, now),
        on_hold=_since(hold_since, now) if hold else None,
        hold_start_exact=entry.hold_start_exact,
        joined_at=participant.date_created,
        hold_since=hold_since,
        speaking=entry.speaking,
        warnings=warnings,
        role=participant_role(participant.label),
        in_flight=in_flight,
        recorded_at=entry.fresh_at,
        version=max(entry.changed_version, touched),
        note=note,
        recording=entry.recording.kind if entry.recording is not None else "",
        identity=identity_text(entry.identity, name),
        transcript=_transcript(entry),
        phrase=hit.severity if (hit := live_phrase(entry, now)) is not None else "",
        moved_from=arrival.from_room if arrival else "",
        moved_by=arrival.by if arrival else "",
    )


def _transcript(entry: RosterEntry) -> str:
    state = entry.transcription
    if state is None:
        return ""
    if state.error:
        return "failed"
    return "transcribing" if state.sid else "starting"


def build_rows(
    roster: Roster,
    *,
    conference_sid: str,
    entries: Iterable[RosterEntry] | None = None,
    now: datetime | None = None,
    alerts: Iterable[Alert] | None = None,
    marks: Marks | None = None,
    viewer: str = "",
    found: Mapping[str, object] | None = None,
) -> list[ParticipantRow]:
    """Rows for `entries` (default: everyone) with their alerts and the actions other
    supervisors have in flight, sharing one clock reading and one name map.

    `alerts`: the conference's alerts when the caller has them already; `marks`: the
    roster's in-flight marks (read with it); `viewer`: whose page it is (their own marks
    are not shown to them); `found`: cache values read already (the rows' arrivals), so
    none is read again."""
    now = now or timezone.now()
    chosen = list(roster.entries.values() if entries is None else entries)
    # Only what these rows show: their own alerts and the names of whom they coach (one row
    # answered after an action reads one participant, not the whole room).
    warnings = by_row(row_alerts(roster=roster, entries=chosen, now=now) if alerts is None else alerts)
    coached = {e.participant.call_sid_to_coach for e in chosen if e.participant.coaching}
    names = {sid: roster.name_of(sid) for sid in coached if sid}
    live = marks.live(now.timestamp()) if marks is not None else {}
    touched = marks.touched if marks is not None else {}
    # Who was moved here from another room (one cache round trip for all the rows).
    here = roster.conference.friendly_name if roster.conference is not None else None
    arrived = {
        sid: arrival
        for sid, arrival in arrivals((e.participant.call_sid for e in chosen), found=found).items()
        if arrival.from_sid != conference_sid and (here is None or arrival.to_room == here)
    }
    rows = []
    for entry in chosen:
        call_sid = entry.participant.call_sid
        # A mark older than the row's last recorded result belongs to an action already answered.
        others = tuple(m for m in live.get(call_sid, ()) if m.actor != viewer and m.started > entry.fresh_at)
        rows.append(
            build_row(
                entry,
                names,
                conference_sid=conference_sid,
                now=now,
                warnings=warnings.get(call_sid, ()),
                in_flight=others,
                touched=touched.get(call_sid, 0),
                arrival=arrived.get(call_sid),
            )
        )
    return rows


def gone_row(*, conference_sid: str, call_sid: str, name: str, note: Note) -> ParticipantRow:
    """A row for a participant that left: shown once with a note, dropped by the next refresh."""
    return ParticipantRow(
        conference_sid=conference_sid,
        call_sid=call_sid,
        name=name,
        label="",
        status="complete",
        status_text="Left",
        pending=False,
        muted=False,
        hold=False,
        coaching=False,
        coaching_name="",
        end_conference_on_exit=None,
        beep_on_exit=None,
        in_call=None,
        on_hold=None,
        hold_start_exact=False,
        note=note,
        gone=True,
    )


def row_after_write(
    roster: Roster, call_sid: str, *, name: str, note: Note | None = None, found: Mapping[str, object] | None = None
) -> ParticipantRow:
    """One row, with its alerts, from the roster a write just produced; a participant no
    longer in it gets the row that says so. `found`: the row's arrival, read already (else
    one cache read for it)."""
    entry = roster.entries.get(call_sid)
    if entry is None:
        return gone_row(
            conference_sid=roster.conference_sid,
            call_sid=call_sid,
            name=name,
            note=note or Note("No longer in the conference.", "warning"),
        )
    (row,) = build_rows(roster, conference_sid=roster.conference_sid, entries=[entry], found=found)
    return replace(row, note=note) if note else row
