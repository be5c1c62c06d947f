"""Live transcripts: start and stop Twilio's Real-Time Transcription for one participant or a
whole conference, and what the page shows of them.

Each start or stop is ONE audited Twilio call (the audit record is written before it is sent) and
its answer goes into the shared roster (the row shows "Transcribing"). Every transcription the
dashboard starts transcribes the participant's own voice (`inbound_track`), labelled with their
name, so transcribing everyone in a room hears each voice once; partial results are asked for, so
the words appear as they are said. Every one is created with the same `Name`: a stop addresses it
by name, which works even when the create's answer was lost (Twilio has no fetch of a
transcription to re-read).

The lines come back through Twilio's signed callbacks (live/webhooks.transcription_status ->
live/transcripts). Twilio says Real-Time Transcription is not PCI compliant (CONTRACT.md section
13): the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from conference_admin.audit.recorder import audit_attempt
from conference_admin.live import transcripts as live
from conference_admin.live.roster import Roster
from conference_admin.twilio import TwilioApiError, TwilioError
from conference_admin.twilio.params import CreateTranscriptionParams

from .client import audited, get_twilio_client
from .errors import describe_error

# The Name of every transcription the dashboard starts (stop by name: see the module docstring).
NAME = "conference-admin"
TRACK = "inbound_track"
NOT_PCI_COMPLIANT = (
    "Twilio's Real-Time Transcription is not PCI compliant: do not transcribe a call while card details are read out."
)


def transcript_callback_url(conference_sid: str, speaker: str) -> str:
    """Where Twilio reports this transcription (conference and speaker in the signed URL), or ""
    when Twilio cannot reach the dashboard."""
    public = settings.PUBLIC_BASE_URL.rstrip("/")
    if not public:
        return ""
    query = urlencode({"conference": conference_sid, "speaker": speaker})
    return f"{public}{reverse('webhook-transcription')}?{query}"


def _params(conference_sid: str, speaker: str) -> CreateTranscriptionParams:
    params: CreateTranscriptionParams = {
        "name": NAME,
        "track": TRACK,
        "inbound_track_label": speaker,
        "partial_results": True,
        "language_code": settings.TRANSCRIPT_LANGUAGE_CODE,
    }
    url = transcript_callback_url(conference_sid, speaker)
    if url:
        params["status_callback_url"] = url
        params["status_callback_method"] = "POST"
    return params


def transcript_start(*, actor, conference_sid: str, call_sid: str, label: str) -> Roster:
    """Start transcribing one participant's voice: one audited call. When the outcome is unknown
    (a timeout) the row says "transcribing?" until Twilio's callback tells, and Stop still works."""
    params = _params(conference_sid, label)
    try:
        transcription = audited(
            lambda: get_twilio_client().create_transcription(call_sid, **params),
            actor=actor,
            action="transcript-start",
            conference_sid=conference_sid,
            participant_sid=call_sid,
            participant_label=label,
            parameters=dict(params),
        )
    except TwilioError as error:
        if error.outcome_unknown:
            live.record_transcription(
                conference_sid, call_sid, live.TranscriptionState(sid="", since=_now(), speaker=label)
            )
        raise
    state = live.TranscriptionState(sid=transcription.sid, since=_now(), speaker=label)
    return live.record_transcription(conference_sid, call_sid, state)


def transcript_stop(*, actor, conference_sid: str, call_sid: str, label: str) -> Roster:
    """Stop transcribing one participant: one audited call, by name. Twilio answering that there
    is no such transcription means it had already stopped (the call left, or it failed)."""
    with audit_attempt(
        actor=actor,
        action="transcript-stop",
        conference_sid=conference_sid,
        participant_sid=call_sid,
        participant_label=label,
        parameters={"transcription": NAME, "status": "stopped"},
    ) as attempt:
        try:
            request_id = get_twilio_client().stop_transcription(call_sid, NAME).request_id
        except TwilioApiError as error:
            if not error.is_not_found:
                raise
            request_id = error.request_id
        attempt.succeeded(request_id=request_id)
    return live.record_transcription(conference_sid, call_sid, None)


@dataclass(frozen=True)
class Many:
    """What a whole-conference start or stop did: how many it changed, and each failure."""

    done: int
    failures: tuple[str, ...]
    roster: Roster | None


def conference_transcripts(*, actor, conference_sid: str, roster: Roster, start: bool) -> Many:
    """Start (or stop) transcribing everyone connected who is not (or is) transcribed: one audited
    call each. A failure on one does not stop the others."""
    done, failures, latest = 0, [], None
    for entry in roster.entries.values():
        if entry.participant.status != "connected" or (entry.transcription is not None) == start:
            continue
        name = entry.display_name
        change = transcript_start if start else transcript_stop
        try:
            latest = change(actor=actor, conference_sid=conference_sid, call_sid=entry.participant.call_sid, label=name)
        except TwilioError as error:
            failures.append(f"{name}: {describe_error(error)}")
        else:
            done += 1
    return Many(done, tuple(failures), latest)


# --- what the page shows -------------------------------------------------------------------

PANEL_LINES = 200


def transcript_panel(*, conference_sid: str) -> dict[str, object]:
    """The conference page's transcript panel when it loads: the last lines and the cursor (read
    first: a line written meanwhile comes with the page's first batch, never skipped)."""
    cursor = live.current_cursor(conference_sid)
    return {"transcript_lines": live.recent_lines(conference_sid, limit=PANEL_LINES), "transcript_cursor": cursor}


def _now() -> datetime:
    return datetime.now(UTC)
