"""Turning Twilio's status callbacks into roster changes and timeline events.

Conference callbacks carry a per-conference SequenceNumber, which orders them. Call
status callbacks (from the StatusCallback of a participant the dashboard dialled) only
move a dial-out forward (queued → ringing → connected) or remove it when the call ends.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction

from conference_admin.requestvalues import Refused, whole_number
from conference_admin.sids import CALL_SID, CONFERENCE_SID, RECORDING_SID
from conference_admin.twilio.resources import parse_rfc2822
from conference_admin.twilio.signature import signed_content

from . import recordings, roster
from .models import ConferenceEvent
from .signals import callback_stored

log = logging.getLogger(__name__)

# What Twilio reports of a recording (RecordingStatusCallbackEvent): others are stored only.
RECORDING_STATUSES = {"in-progress", "paused", "stopped", "completed", "absent", "failed"}
MAX_SEQUENCE_NUMBER = 2**31 - 1

# The conference events that carry a participant's state (a join, a change); with the others, every
# event the dashboard applies (any other is stored only).
PARTICIPANT_STATE_EVENTS = {
    "participant-join",
    "participant-mute",
    "participant-unmute",
    "participant-hold",
    "participant-unhold",
    "participant-modify",
    "participant-speech-start",
    "participant-speech-stop",
}
CONFERENCE_EVENTS = PARTICIPANT_STATE_EVENTS | {
    "conference-start",
    "conference-end",
    "participant-leave",
    "announcement-end",
    "announcement-fail",
}
# Call progress, in the order a dial-out moves through it.
CALL_PROGRESS = {"queued": ("queued", 0), "initiated": ("connecting", 1), "ringing": ("ringing", 2)}
CALL_ANSWERED = {"in-progress", "answered"}
CALL_ENDED = {"completed", "busy", "failed", "no-answer", "canceled"}
SPEECH_EVENTS = {"participant-speech-start": True, "participant-speech-stop": False}


class InvalidCallback(ValueError):
    """The callback lacks what is needed to apply it (answered 400, nothing stored)."""


@dataclass(frozen=True)
class Outcome:
    stored: bool
    duplicate: bool = False


def _flag(params, name: str) -> bool | None:
    value = params.get(name)
    if value is None:
        return None
    return value.strip().lower() == "true"


def _sequence(params) -> int | None:
    # Twilio's are small counts; anything else (too long for the column, signed, non-ASCII) is absent.
    try:
        return whole_number(params.get("SequenceNumber"), name="SequenceNumber", maximum=MAX_SEQUENCE_NUMBER)
    except Refused:
        return None


def _timestamp(params) -> datetime:
    return parse_rfc2822(params.get("Timestamp")) or datetime.now(UTC)


def _delivery_key(params) -> str:
    # The signed content: repeated copies of a value make the same delivery, not a new one.
    return hashlib.sha256(repr(signed_content(params)).encode("utf-8")).hexdigest()


def _storable(text: str) -> str:
    # PostgreSQL cannot store NUL in text or JSON; a signed callback may still carry one.
    return text.replace("\x00", "\ufffd")


def _store(conference_sid: str, event: str, params, *, call_sid: str = "") -> bool:
    """Store the event once; False when this exact delivery was stored before."""
    detail = {}
    for key in params:
        if key == "AccountSid":
            continue
        values = [_storable(value) for value in params.getlist(key)]
        detail[_storable(key)] = values if len(values) > 1 else values[0]
    try:
        with transaction.atomic():
            stored = ConferenceEvent.objects.create(
                conference_sid=conference_sid,
                event=_storable(event)[:64],
                call_sid=call_sid,
                label=_storable(params.get("ParticipantLabel") or "")[:256],
                sequence_number=_sequence(params),
                occurred_at=_timestamp(params),
                source=ConferenceEvent.Source.TWILIO,
                detail=detail,
                delivery_key=_delivery_key(params),
            )
    except IntegrityError:
        return False
    callback_stored.send(None, event=stored)
    return True


def _participant_fields(params) -> dict:
    """The Participant fields this callback carries (only those it carries)."""
    coaching = _flag(params, "Coaching")
    values = {
        "label": params.get("ParticipantLabel") or None,
        "muted": _flag(params, "Muted"),
        "hold": _flag(params, "Hold"),
        "coaching": coaching,
        "end_conference_on_exit": _flag(params, "EndConferenceOnExit"),
        "start_conference_on_enter": _flag(params, "StartConferenceOnEnter"),
        "date_updated": _timestamp(params),
    }
    values = {key: value for key, value in values.items() if value is not None}
    if coaching is False:
        values["call_sid_to_coach"] = None  # callbacks never name the coached call
    return values


def receive_conference_callback(params) -> Outcome:
    conference_sid = params.get("ConferenceSid", "")
    event = params.get("StatusCallbackEvent", "")
    if not CONFERENCE_SID.match(conference_sid) or not event:
        raise InvalidCallback("ConferenceSid and StatusCallbackEvent are required")
    call_sid = params.get("CallSid", "")
    if call_sid and not CALL_SID.match(call_sid):
        raise InvalidCallback("CallSid is not a call SID")
    if event in PARTICIPANT_STATE_EVENTS | {"participant-leave"} and not call_sid:
        raise InvalidCallback(f"{event} needs a CallSid")
    if not _store(conference_sid, event, params, call_sid=call_sid):
        return Outcome(stored=False, duplicate=True)
    if event not in CONFERENCE_EVENTS:
        log.info("Stored unrecognised conference event %s for %s", event, conference_sid)
        return Outcome(stored=True)

    sequence = _sequence(params)
    if event == "conference-end":
        roster.conference_ended(conference_sid, sequence=sequence, reason=params.get("ReasonConferenceEnded"))
    elif event == "conference-start":
        roster.conference_started(conference_sid, sequence=sequence)
    elif event == "participant-leave":
        roster.participant_left(conference_sid, call_sid=call_sid, sequence=sequence)
    elif event == "participant-join":
        roster.participant_joined(
            conference_sid, call_sid=call_sid, sequence=sequence, fields=_participant_fields(params)
        )
    elif event in SPEECH_EVENTS:
        roster.participant_speaking(
            conference_sid,
            call_sid=call_sid,
            sequence=sequence,
            speaking=SPEECH_EVENTS[event],
            fields=_participant_fields(params),
        )
    elif event in PARTICIPANT_STATE_EVENTS:
        roster.participant_updated(
            conference_sid, call_sid=call_sid, sequence=sequence, fields=_participant_fields(params)
        )
    else:
        roster.callbacks_arriving(conference_sid)  # announcements: no row changes
    return Outcome(stored=True)


def receive_call_status_callback(params, conference_sid: str) -> Outcome:
    call_sid = params.get("CallSid", "")
    call_status = (params.get("CallStatus") or "").lower()
    if not CONFERENCE_SID.match(conference_sid or "") or not CALL_SID.match(call_sid) or not call_status:
        raise InvalidCallback("conference, CallSid and CallStatus are required")
    if not _store(conference_sid, f"call-{call_status}", params, call_sid=call_sid):
        return Outcome(stored=False, duplicate=True)

    if call_status in CALL_ENDED:
        roster.call_ended(conference_sid, call_sid=call_sid)
    elif call_status in CALL_ANSWERED:
        roster.call_progressed(conference_sid, call_sid=call_sid, status="connected")
    elif call_status in CALL_PROGRESS:
        roster.call_progressed(conference_sid, call_sid=call_sid, status=CALL_PROGRESS[call_status][0])
    return Outcome(stored=True)


def receive_recording_status_callback(params, conference_sid: str) -> Outcome:
    """A recording status callback: the conference's recording (no CallSid) or a participant's
    call recording. The conference comes from the callback (ConferenceSid) or, for a call
    recording, from the `?conference=` the dashboard put in the callback URL."""
    call_sid = params.get("CallSid", "")
    recording_sid = params.get("RecordingSid", "")
    status = (params.get("RecordingStatus") or "").lower()
    conference_sid = params.get("ConferenceSid") or conference_sid
    if not CONFERENCE_SID.match(conference_sid or "") or not RECORDING_SID.match(recording_sid) or not status:
        raise InvalidCallback("a conference, RecordingSid and RecordingStatus are required")
    if call_sid and not CALL_SID.match(call_sid):
        raise InvalidCallback("CallSid is not a call SID")
    # A conference recording's callback may name a call too; its source says which kind it is.
    of_conference = not call_sid or (params.get("RecordingSource") or "").startswith(("Conference", "StartConference"))
    if not _store(conference_sid, f"recording-{status}", params, call_sid="" if of_conference else call_sid):
        return Outcome(stored=False, duplicate=True)
    if status in RECORDING_STATUSES:
        recordings.recording_reported(
            conference_sid,
            call_sid="" if of_conference else call_sid,
            recording_sid=recording_sid,
            status=status,
        )
    return Outcome(stored=True)
