"""Live transcript controls: start or stop a transcript for one participant (its row's "More…"
menu) or for everyone in the conference. Thin: check the permission, one service call
(dashboard/transcripts.py), render one partial.

START_TRANSCRIPTS starts and stops (Lead, Admin); VIEW_TRANSCRIPTS reads (Supervisor too). A
Twilio error shows inline with its code; an unknown outcome says so (the row shows
"Transcribing?" until Twilio's callback tells, and Stop works either way).
"""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from conference_admin.access.roles import START_TRANSCRIPTS, VIEW, VIEW_TRANSCRIPTS, rights
from conference_admin.http import HtmxHttpRequest, vary_on_htmx
from conference_admin.live import transcripts as lines
from conference_admin.requestvalues import whole_number_or
from conference_admin.twilio import TwilioError

from . import services, transcripts, views
from .errors import describe_error
from .noted import back, noted, row_noted
from .rows import Note

CONTROLS = "conferences/_transcript.html#transcript-controls"
BATCH = "conferences/_transcript.html#transcript-batch"
BATCH_LINES = 200
DONE = {"start": "Transcript started.", "stop": "Transcript stopped."}


def transcript_batch(request: HtmxHttpRequest, conference_sid: str, cursor: int) -> HttpResponse:
    """The lines written after `cursor` (at most BATCH_LINES, oldest change first) and the cursor
    they bring the page to (`X-Transcript-Cursor`); 204 when there are none. The panel's poll
    answers with it, and the event stream sends it as a `transcript` event.

    The committed cursor is read before the lines: every line up to it is in the batch (or past
    it, when the batch stops short), so the page never moves past a line it has not been sent."""
    committed = lines.current_cursor(conference_sid)
    found = lines.lines_since(conference_sid, cursor, limit=BATCH_LINES)
    if not found:
        response = HttpResponse(status=204)
        response["X-Transcript-Cursor"] = str(max(cursor, committed))
        return response
    top = found[-1].version
    if len(found) < BATCH_LINES:
        top = max(top, committed)
    response = render(request, BATCH, {"transcript_lines": found, "transcript_cursor": top})
    response["X-Transcript-Cursor"] = str(top)
    return response


@require_GET
@permission_required(VIEW, raise_exception=True)
@vary_on_htmx
def conference_transcript(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
    """The transcript panel's poll (`?cursor=C&rights=R`), used while the page's stream is not
    live. A page drawn under other rights (a role change) is told to reload, as the roster's
    poll tells it, before the permission decides: the poll of a page whose user has just lost
    the transcripts meets no 403."""
    if request.htmx and request.GET.get("rights", rights(request.user)) != rights(request.user):
        return HttpResponseClientRefresh()
    if not request.user.has_perm(VIEW_TRANSCRIPTS):
        raise PermissionDenied
    if not request.htmx:
        return back(conference_sid)
    cursor = whole_number_or(request.GET.get("cursor"), 0, name="cursor")  # unreadable: from the start
    return transcript_batch(request, conference_sid, cursor)


@require_POST
@permission_required(VIEW, raise_exception=True)
@permission_required(START_TRANSCRIPTS, raise_exception=True)
@views.within_twilio_budget
def participant_transcript_action(
    request: HtmxHttpRequest, conference_sid: str, call_sid: str, *, verb: str
) -> HttpResponse:
    """Start or stop transcribing one participant; answers with the row."""
    entry = services.roster_snapshot(conference_sid=conference_sid).entries.get(call_sid)
    name = entry.display_name if entry else call_sid
    change = transcripts.transcript_start if verb == "start" else transcripts.transcript_stop
    try:
        roster = change(actor=request.user, conference_sid=conference_sid, call_sid=call_sid, label=name)
    except TwilioError as error:
        note = Note(f"{name}: {describe_error(error)}", "error")
        roster = services.roster_snapshot(conference_sid=conference_sid)
    else:
        note = Note(f"{name}: {DONE[verb]}", "info")
    return row_noted(request, conference_sid, call_sid, roster=roster, name=name, note=note)


@require_POST
@permission_required(VIEW, raise_exception=True)
@permission_required(START_TRANSCRIPTS, raise_exception=True)
@views.within_twilio_budget
def conference_transcript_action(request: HtmxHttpRequest, conference_sid: str, *, verb: str) -> HttpResponse:
    """Start (or stop) transcribing everyone connected; answers with the transcript controls
    (the rows follow through the page's live stream)."""
    roster = services.roster_snapshot(conference_sid=conference_sid)
    many = transcripts.conference_transcripts(
        actor=request.user, conference_sid=conference_sid, roster=roster, start=verb == "start"
    )
    verb_done = "started" if verb == "start" else "stopped"
    text = f"Transcript {verb_done} for {many.done} participant{'' if many.done == 1 else 's'}."
    if many.failures:
        text += " Failed: " + "; ".join(many.failures)
    note = Note(text, "error" if many.failures else "info")

    def controls() -> HttpResponse:
        context = {"conference_sid": conference_sid, "live": True, "transcript_note": note}
        return render(request, CONTROLS, {**context, **views.page_options(request)})

    return noted(request, conference_sid, note, controls)
