"""Recording controls: the conference header's recording state and buttons, and a participant's
call recording from its row's "More…" menu. Thin: check the role, validate, one service call
(dashboard/recordings.py), render one partial.

Who may do what is a permission of the role (access/roles.py): PAUSE_RECORDINGS pauses and
resumes, CONTROL_RECORDINGS also starts and stops. A Twilio error shows inline with its code; an
outcome that is unknown (a timeout) says so and re-reads the recording.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from conference_admin.access.roles import CONTROL_RECORDINGS, PAUSE_RECORDINGS, VIEW
from conference_admin.http import HtmxHttpRequest, vary_on_htmx
from conference_admin.live.roster import Roster
from conference_admin.twilio import TwilioApiError, TwilioError

from . import recordings, services, views
from .errors import describe_error
from .noted import back, noted, row_noted
from .rows import Note

RECORDING = "conferences/_recording.html#recording-state"
# The permission each verb needs.
NEEDS = {"pause": PAUSE_RECORDINGS, "resume": PAUSE_RECORDINGS, "start": CONTROL_RECORDINGS, "stop": CONTROL_RECORDINGS}
DONE = {
    "pause": "Recording paused ({behavior}).",
    "resume": "Recording resumed.",
    "stop": "Recording stopped.",
    "start": "Recording started.",
}


class PauseForm(forms.Form):
    pause_behavior = forms.ChoiceField(choices=[(b, b) for b in recordings.PAUSE_BEHAVIORS], required=False)


def _allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """403 unless the user's role may do this verb; checked before anything is sent or counted."""

    @wraps(view)
    def checked(request: HtmxHttpRequest, conference_sid: str, *args: Any, verb: str, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(NEEDS[verb]):
            raise PermissionDenied
        return view(request, conference_sid, *args, verb=verb, **kwargs)

    return checked


def _header(request: HtmxHttpRequest, roster: Roster, note: Note | None = None) -> HttpResponse:
    context = {
        "conference_sid": roster.conference_sid,
        "live": not roster.ended,
        "recording": recordings.conference_recording(roster=roster, now=timezone.now()),
        "recording_note": note,
        **views.page_options(request),
    }
    return render(request, RECORDING, context)


class UnknownPauseBehavior(Exception):
    """The POST named a pause behaviour Twilio does not have: nothing is sent."""


def _pause_behavior(request: HtmxHttpRequest) -> str | None:
    form = PauseForm(request.POST)
    if not form.is_valid():
        choices = " or ".join(recordings.PAUSE_BEHAVIORS)
        raise UnknownPauseBehavior(f"A pause either skips or leaves silence ({choices}): nothing was changed.")
    return form.cleaned_data["pause_behavior"] or None


@require_GET
@permission_required(VIEW, raise_exception=True)
@vary_on_htmx
def conference_recording(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
    """The header's recording state: read from Twilio the first time a page asks, then at most
    once per interval per conference (the page's poll keeps it fresh)."""
    if not services.conference_is_known(conference_sid=conference_sid):
        raise Http404("Open the conference first")  # its page loads the roster this reads
    roster = services.roster_snapshot(conference_sid=conference_sid)
    recordings.conference_recording_refresh(conference_sid=conference_sid, force=not roster.recording_read)
    if not request.htmx:
        return back(conference_sid)
    return _header(request, services.roster_snapshot(conference_sid=conference_sid))


@require_POST
@permission_required(VIEW, raise_exception=True)
@_allowed
@views.within_twilio_budget
def conference_recording_action(request: HtmxHttpRequest, conference_sid: str, *, verb: str) -> HttpResponse:
    """Pause (skip or silence), resume or stop the conference's recording."""
    known = services.roster_snapshot(conference_sid=conference_sid).recording
    try:
        behavior = _pause_behavior(request) if verb == "pause" else None
        roster = recordings.conference_recording_update(
            actor=request.user, conference_sid=conference_sid, verb=verb, known=known, pause_behavior=behavior
        )
    except UnknownPauseBehavior as refused:
        note = Note(str(refused), "error")
        roster = services.roster_snapshot(conference_sid=conference_sid)
    except TwilioError as error:
        note = _failed(error, conference_sid=conference_sid, verb=verb)
        roster = services.roster_snapshot(conference_sid=conference_sid)
    else:
        state = roster.recording
        note = Note(DONE[verb].format(behavior=state.pause_behavior if state else ""), "info")
    return noted(request, conference_sid, note, lambda: _header(request, roster, note))


def _failed(error: TwilioError, *, conference_sid: str, call_sid: str = "", verb: str) -> Note:
    """What a failed change says; when the outcome is unknown, or Twilio has no such recording,
    the recording is read again so the page shows the truth."""
    text = describe_error(error)
    if error.outcome_unknown or (isinstance(error, TwilioApiError) and error.is_not_found):
        reread = recordings.recording_reread(conference_sid=conference_sid, call_sid=call_sid, verb=verb, error=error)
        text += f" Re-reading failed: {reread.error}" if reread.error else " The recording was re-read from Twilio."
    return Note(text, "error")


@require_POST
@permission_required(VIEW, raise_exception=True)
@_allowed
@views.within_twilio_budget
def participant_recording_action(
    request: HtmxHttpRequest, conference_sid: str, call_sid: str, *, verb: str
) -> HttpResponse:
    """Start, pause, resume or stop one participant's call recording; answers with the row."""
    entry = services.roster_snapshot(conference_sid=conference_sid).entries.get(call_sid)
    name = entry.participant.identifier if entry else call_sid
    known = entry.recording if entry else None
    try:
        if verb == "start":
            roster = recordings.call_recording_start(
                actor=request.user, conference_sid=conference_sid, call_sid=call_sid, label=name
            )
        else:
            roster = recordings.call_recording_update(
                actor=request.user,
                conference_sid=conference_sid,
                call_sid=call_sid,
                verb=verb,
                label=name,
                known=known,
                pause_behavior=_pause_behavior(request) if verb == "pause" else None,
            )
    except UnknownPauseBehavior as refused:
        note = Note(f"{name}: {refused}", "error")
        roster = services.roster_snapshot(conference_sid=conference_sid)
    except TwilioError as error:
        note = _failed(error, conference_sid=conference_sid, call_sid=call_sid, verb=verb)
        roster = services.roster_snapshot(conference_sid=conference_sid)
    else:
        found = roster.entries.get(call_sid)
        behavior = found.recording.pause_behavior if found is not None and found.recording else ""
        note = Note(f"{name}: {DONE[verb].format(behavior=behavior)}", "info")
    return row_noted(request, conference_sid, call_sid, roster=roster, name=name, note=note)
