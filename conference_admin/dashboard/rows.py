"""What one participant row shows, assembled from Twilio's resource and the local record.

Templates only read these fields: no Twilio field logic and no decisions in `{% if %}`s
beyond showing what is here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from conference_admin.twilio import Participant

from .models import ParticipantRecord

STATUS_TEXT = {
    "queued": "Queued",
    "connecting": "Connecting",
    "ringing": "Ringing",
    "connected": "Connected",
    "complete": "Complete",
    "failed": "Failed",
}
PENDING = ("queued", "connecting", "ringing")


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
    coach_choices: list[tuple[str, str]] = field(default_factory=list)
    note: Note | None = None
    gone: bool = False

    @property
    def dom_id(self) -> str:
        return f"participant-{self.call_sid}"


def _since(moment: datetime | None, now: datetime) -> timedelta | None:
    if moment is None:
        return None
    return max(timedelta(0), now - moment)


def build_row(
    participant: Participant,
    records: dict[str, ParticipantRecord],
    *,
    conference_sid: str,
    note: Note | None = None,
    now: datetime | None = None,
) -> ParticipantRow:
    now = now or timezone.now()
    record = records.get(participant.call_sid)
    names = {sid: (r.label or sid) for sid, r in records.items()}
    names[participant.call_sid] = participant.identifier
    status = participant.status or "unknown"
    target = participant.call_sid_to_coach or ""
    hold = bool(participant.hold)
    hold_started = record.hold_started_at if (record and hold) else None
    if hold and hold_started is None:
        hold_started = participant.date_updated
    return ParticipantRow(
        conference_sid=conference_sid,
        call_sid=participant.call_sid,
        name=participant.identifier,
        label=participant.label or "",
        status=status,
        status_text=STATUS_TEXT.get(status, status.capitalize()),
        pending=status in PENDING,
        muted=bool(participant.muted),
        hold=hold,
        coaching=bool(participant.coaching),
        coaching_name=names.get(target, target) if participant.coaching else "",
        end_conference_on_exit=participant.end_conference_on_exit,
        beep_on_exit=record.beep_on_exit if record else None,
        in_call=_since(participant.date_created, now),
        on_hold=_since(hold_started, now) if hold else None,
        hold_start_exact=bool(record and record.hold_start_exact),
        coach_choices=[(sid, name) for sid, name in names.items() if sid != participant.call_sid],
        note=note,
    )


def build_rows(participants: list[Participant], records: dict[str, ParticipantRecord], *, conference_sid: str) -> list[ParticipantRow]:
    now = timezone.now()
    return [build_row(p, records, conference_sid=conference_sid, now=now) for p in participants]


def gone_row(*, conference_sid: str, call_sid: str, name: str, note: Note) -> ParticipantRow:
    """A row for a participant that left: shown once with a note, dropped by the next refresh."""
    return ParticipantRow(
        conference_sid=conference_sid, call_sid=call_sid, name=name, label="", status="complete",
        status_text="Left", pending=False, muted=False, hold=False, coaching=False, coaching_name="",
        end_conference_on_exit=None, beep_on_exit=None, in_call=None, on_hold=None,
        hold_start_exact=False, note=note, gone=True,
    )
