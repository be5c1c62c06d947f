"""Recording controls: what a supervisor does to a conference's recording and to one participant's
call recording, and what the page shows of them.

Writes make exactly ONE Twilio call, are audited once whatever happens, and put what Twilio
answered into the shared roster (conference_admin.live.recordings): every page's next poll shows
it, and polls never ask Twilio. Reads come from the roster; the conference's recording list is
read at most once per interval per conference (`conference_recording_refresh`).

What Twilio's API cannot do, and what the dashboard offers instead (docs/RECORDINGS.md):
- no endpoint starts a conference recording mid-call: it exists only when `ConferenceRecord` was
  set on a participant create (or TwiML `<Conference record>`). The dashboard offers a call
  recording of a participant instead (`POST .../Calls/{CA}/Recordings.json`), and says so;
- a stopped recording cannot be resumed or restarted: stop ends it for good;
- Twilio's conference recording callbacks do not report pauses and resumes, so a pause made
  outside the dashboard shows once the recording list is read again (within the interval).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Unpack

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from conference_admin.audit.recorder import AttemptFields, audit_resolution
from conference_admin.live import recordings as live
from conference_admin.live.recordings import RecordingState
from conference_admin.live.roster import Roster
from conference_admin.twilio import CURRENT_RECORDING, Recording, TwilioError
from conference_admin.twilio.params import CreateCallRecordingParams

from .client import audited, get_twilio_client
from .errors import describe_read_error

PAUSE_BEHAVIORS = ("silence", "skip")
# What a status callback can report for each kind (Twilio's spec: CreateCallRecording's
# RecordingStatusCallbackEvent; CreateParticipant's ConferenceRecordingStatusCallbackEvent).
CALL_RECORDING_EVENTS = ["in-progress", "completed", "absent"]
CONFERENCE_RECORDING_EVENTS = ["in-progress", "completed", "absent", "failed"]
# The Status a recording update sends, by the supervisor's verb.
STATUS = {"pause": "paused", "resume": "in-progress", "stop": "stopped"}


def pause_behaviors() -> list[str]:
    """skip and silence, the configured default first."""
    default = settings.RECORDING_PAUSE_BEHAVIOR
    return [default, *(b for b in PAUSE_BEHAVIORS if b != default)]


# --- what the page shows ------------------------------------------------------------------


@dataclass(frozen=True)
class RecordingView:
    """The header's recording state: kind is recording | paused | stopped | none | unknown."""

    kind: str
    text: str
    since: datetime | None = None  # when a pause began (the page's clock counts from it)
    paused_for: timedelta | None = None
    sid: str = ""
    pause_behavior: str | None = None

    @property
    def active(self) -> bool:
        return self.kind in ("recording", "paused")


TEXT = {"recording": "Recording", "paused": "Paused", "stopped": "Stopped", "none": "Not recording"}


def recording_view(state: RecordingState | None, *, read: bool = True, now: datetime | None = None) -> RecordingView:
    """How a recording state reads on the page; `read` False: never looked up yet."""
    if state is None:
        return RecordingView("none", TEXT["none"]) if read else RecordingView("unknown", "Checking…")
    kind = state.kind
    since = state.since if kind == "paused" else None
    return RecordingView(
        kind,
        TEXT[kind],
        since=since,
        paused_for=max(timedelta(0), (now or timezone.now()) - since) if since else None,
        sid=state.sid,
        pause_behavior=state.pause_behavior,
    )


def conference_recording(*, roster: Roster, now: datetime | None = None) -> RecordingView:
    """The conference's recording as the roster has it (no upstream call)."""
    return recording_view(roster.recording, read=roster.recording_read, now=now)


def call_recording(*, roster: Roster, call_sid: str) -> RecordingView:
    entry = roster.entries.get(call_sid)
    return recording_view(entry.recording if entry else None)


def conference_recording_refresh(
    *, conference_sid: str, force: bool = False, only_if_read: bool = False
) -> Roster | None:
    """Read the conference's recording list if due (at most once per interval per conference,
    single-flight; `force`: now; `only_if_read`: only once a page has asked for it). A failed
    read changes nothing: the last state stays shown. Returns the roster a read wrote, or None."""
    return live.refresh(
        conference_sid,
        lambda: get_twilio_client().list_conference_recordings(conference_sid, limit=20),
        on_error=lambda error: None,
        force=force,
        only_if_read=only_if_read,
    )


# --- status callbacks on what the dashboard creates ---------------------------------------


def recording_callback_url(conference_sid: str) -> str:
    """Where Twilio reports a recording's status, or "" when it cannot reach the dashboard."""
    public = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{public}{reverse('webhook-recording-status')}?conference={conference_sid}" if public else ""


def with_recording_callbacks(conference_sid: str, params: dict[str, Any]) -> dict[str, Any]:
    """A participant create that starts a recording (`record`, `conference_record`) asks for its
    status callbacks, unless the supervisor gave a URL of their own."""
    url = recording_callback_url(conference_sid)
    if not url:
        return params
    if params.get("record") and not params.get("recording_status_callback"):
        params["recording_status_callback"] = url
        params["recording_status_callback_event"] = CALL_RECORDING_EVENTS
    if params.get("conference_record") in ("true", "record-from-start") and not params.get(
        "conference_recording_status_callback"
    ):
        params["conference_recording_status_callback"] = url
        params["conference_recording_status_callback_event"] = CONFERENCE_RECORDING_EVENTS
    return params


# --- writes ---------------------------------------------------------------------------------


def _target(state: RecordingState | None) -> str:
    """The recording to change: the one the dashboard knows is active, else Twilio.CURRENT."""
    return state.sid if state is not None and state.active else CURRENT_RECORDING


def _params(verb: str, pause_behavior: str | None) -> dict[str, str]:
    params = {"status": STATUS[verb]}
    if verb == "pause":
        params["pause_behavior"] = pause_behavior or settings.RECORDING_PAUSE_BEHAVIOR
    return params


def _with_behavior(state: RecordingState, verb: str, params: dict[str, str]) -> RecordingState:
    if verb != "pause":
        return state
    return RecordingState(state.sid, state.status, state.since, state.exact, params.get("pause_behavior"))


# An update as it reaches Twilio: (recording SID, its parameters: Status, PauseBehavior) -> Twilio's answer.
Update = Callable[[str, dict[str, str]], Recording]


def _recording_update(
    update: Update,
    *,
    verb: str,
    known: RecordingState | None,
    pause_behavior: str | None,
    **attempt: Unpack[AttemptFields],
) -> RecordingState:
    """ONE audited update (`verb`) of the recording the dashboard knows is active, else of Twilio's
    current one: the state Twilio answered, with the pause behaviour it was asked for."""
    params = _params(verb, pause_behavior)
    target = _target(known)
    attempt["parameters"] = {"recording": target, **params}
    recording = audited(lambda: update(target, params), **attempt)
    return _with_behavior(live.state_of(recording, exact=True), verb, params)


def conference_recording_update(
    *, actor, conference_sid: str, verb: str, known: RecordingState | None, pause_behavior: str | None = None
) -> Roster:
    """Pause (skip or silence), resume or stop the conference's recording: one audited call."""
    state = _recording_update(
        lambda recording, params: get_twilio_client().update_conference_recording(conference_sid, recording, **params),
        verb=verb,
        known=known,
        pause_behavior=pause_behavior,
        actor=actor,
        action=f"recording-{verb}",
        conference_sid=conference_sid,
    )
    return live.record_conference_recording(conference_sid, state, read=True)


def call_recording_update(
    *,
    actor,
    conference_sid: str,
    call_sid: str,
    verb: str,
    label: str,
    known: RecordingState | None,
    pause_behavior: str | None = None,
) -> Roster:
    """Pause, resume or stop one participant's call recording: one audited call."""
    state = _recording_update(
        lambda recording, params: get_twilio_client().update_call_recording(call_sid, recording, **params),
        verb=verb,
        known=known,
        pause_behavior=pause_behavior,
        actor=actor,
        action=f"call-recording-{verb}",
        conference_sid=conference_sid,
        participant_sid=call_sid,
        participant_label=label,
    )
    return live.record_call_recording(conference_sid, call_sid, state)


def call_recording_start(*, actor, conference_sid: str, call_sid: str, label: str) -> Roster:
    """Start recording one participant's call (what Twilio allows mid-call): one audited call."""
    params: CreateCallRecordingParams = {}
    url = recording_callback_url(conference_sid)
    if url:
        params["recording_status_callback"] = url
        params["recording_status_callback_event"] = CALL_RECORDING_EVENTS
    recording = audited(
        lambda: get_twilio_client().create_call_recording(call_sid, **params),
        actor=actor,
        action="call-recording-start",
        conference_sid=conference_sid,
        participant_sid=call_sid,
        participant_label=label,
        parameters=dict(params),
    )
    return live.record_call_recording(conference_sid, call_sid, live.state_of(recording, exact=True))


# --- after a failure: read the truth ------------------------------------------------------

EXPECTED = {"pause": ("paused",), "resume": ("in-progress",), "stop": live.ENDED, "start": live.ACTIVE}


@dataclass(frozen=True)
class Reread:
    """What a re-read found (`roster` as its write left it), or why it failed (`error`)."""

    roster: Roster | None
    error: str = ""


def recording_reread(*, conference_sid: str, call_sid: str = "", verb: str, error: TwilioError) -> Reread:
    """After a failed or unanswered recording change, read the recording (one list call) and show
    it; an `unknown` audit record is settled by what the read found."""
    client = get_twilio_client()
    try:
        if call_sid:
            found = live.current(client.list_call_recordings(call_sid, limit=20))
            state = live.state_of(found) if found is not None else None
            roster = live.record_call_recording(conference_sid, call_sid, state)
        else:
            found = live.current(client.list_conference_recordings(conference_sid, limit=20))
            state = live.state_of(found) if found is not None else None
            roster = live.record_conference_recording(conference_sid, state, read=True)
    except TwilioError as reread_error:
        return Reread(None, describe_read_error(reread_error))
    record = getattr(error, "audit_record", None)
    if record is not None and error.outcome_unknown:
        applied = state is not None and state.status in EXPECTED[verb]
        audit_resolution(
            record,
            outcome="ok" if applied else "failed",
            message=f"Re-read: {'applied' if applied else 'not applied'}.",
        )
    return Reread(roster)
