"""A conference's timeline: what Twilio reported, merged with what supervisors did.

Twilio's callbacks say what happened (joins, leaves, mutes, holds, announcements); the
audit trail says which supervisor did it when the dashboard did. Speech events are
left out: they are the speaking indicator's business, not history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from heapq import merge
from itertools import islice

from conference_admin.audit.models import AuditRecord

from .models import ConferenceEvent
from .words import MOVE, action_text, reason_text

EVENT_TEXT = {
    "conference-start": "Conference started",
    "conference-end": "Conference ended",
    "participant-join": "{who} joined",
    "participant-leave": "{who} left",
    "participant-mute": "{who} was muted",
    "participant-unmute": "{who} was unmuted",
    "participant-hold": "{who} was put on hold",
    "participant-unhold": "{who} was taken off hold",
    "participant-modify": "{who}: settings changed",
    "announcement-end": "Announcement played",
    "announcement-fail": "Announcement failed",
    "call-initiated": "Calling {who}",
    "call-ringing": "{who} is ringing",
    "call-in-progress": "{who} answered",
    "call-answered": "{who} answered",
    "call-completed": "Call to {who} ended",
    "call-busy": "{who} was busy",
    "call-no-answer": "{who} did not answer",
    "call-failed": "Call to {who} failed",
    "call-canceled": "Call to {who} was cancelled",
    # Recording status callbacks: {who} is the participant of a call recording, else "someone".
    "recording-in-progress": "Recording in progress",
    "recording-completed": "Recording completed",
    "recording-absent": "Recording absent (nothing recorded)",
    "recording-failed": "Recording failed",
}
HIDDEN_EVENTS = ("participant-speech-start", "participant-speech-stop")
# A move's audit record is written before Twilio opens the room it names.
ROOM_OPENS_WITHIN = timedelta(seconds=60)


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    text: str
    source: str  # "twilio" | "dashboard"
    actor: str = ""
    outcome: str = ""
    detail: str = ""


def _event_item(event: ConferenceEvent, names: dict[str, str]) -> TimelineItem:
    who = event.label or names.get(event.call_sid) or event.call_sid or "someone"
    text = EVENT_TEXT.get(event.event, event.event).format(who=who)
    detail = event.detail or {}
    reason = (
        detail.get("ReasonConferenceEnded")
        or detail.get("ReasonParticipantLeft")
        or detail.get("ReasonAnnouncementFailed")
        or ""
    )
    if event.event == "participant-modify" and detail.get("Coaching") == "true":
        text = f"{who} is coaching"
    return TimelineItem(at=event.occurred_at, text=text, source="twilio", detail=reason_text(str(reason)))


def moves_into(friendly_name: str, *, since: datetime | None = None, until: datetime | None = None):
    """The moves that took a participant into the room of this name (the audit records of the room they
    left, ok ones only), within the room's lifetime when known: Twilio creates the room by name, so the
    move's record names the room, not its SID."""
    records = AuditRecord.objects.filter(
        action=MOVE, outcome=AuditRecord.Outcome.OK, resolves=None, parameters__to_room=friendly_name
    )
    if since is not None:
        records = records.filter(created_at__gte=since - ROOM_OPENS_WITHIN)
    if until is not None:
        records = records.filter(created_at__lte=until)
    return records


def audit_detail(record: AuditRecord) -> str:
    """What a supervisor action's line adds to its text: why it failed, or which unknown outcome it
    settles (the conference timeline and the history report alike)."""
    if record.outcome == AuditRecord.Outcome.FAILED:
        return f"{record.error_message} ({record.error_code})" if record.error_code else record.error_message
    if record.resolves_id:
        return f"settles an unknown outcome: {record.error_message}"
    return ""


def _audit_item(record: AuditRecord, here: str = "") -> TimelineItem:
    who = record.participant_label or record.participant_sid
    text = action_text(record.action, who, record.parameters, here=record.conference_sid == here or not here)
    return TimelineItem(
        at=record.created_at,
        text=text,
        source="dashboard",
        actor=record.actor_username,
        outcome=record.outcome,
        detail=audit_detail(record),
    )


def conference_timeline(
    conference_sid: str,
    *,
    names: dict[str, str] | None = None,
    limit: int = 60,
    friendly_name: str = "",
    since: datetime | None = None,
) -> list[TimelineItem]:
    """Newest first, at most `limit` items; two indexed queries (three with `friendly_name`: the moves
    into this room since `since`, recorded by the rooms they came from)."""
    names = names or {}
    events = (
        _event_item(event, names)
        for event in ConferenceEvent.objects.filter(conference_sid=conference_sid)
        .exclude(event__in=HIDDEN_EVENTS)
        .order_by("-occurred_at", "-id")[:limit]
    )
    records = AuditRecord.objects.filter(conference_sid=conference_sid)
    if friendly_name:
        arrivals = moves_into(friendly_name, since=since).exclude(conference_sid=conference_sid)
        records = records | arrivals
    actions = (_audit_item(record, here=conference_sid) for record in records.order_by("-created_at", "-id")[:limit])
    return list(islice(merge(events, actions, key=lambda item: item.at, reverse=True), limit))
