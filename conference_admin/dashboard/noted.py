"""How a write's view answers once it knows its note: a plain form post shows the note as a
message on the conference page it is sent back to; an htmx request gets its partial, the note
said in the page's polite live region (static/dashboard.js listens)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import trigger_client_event

from conference_admin.http import HtmxHttpRequest
from conference_admin.live.roster import Roster

from . import views
from .rows import Note, row_after_write


def back(conference_sid: str) -> HttpResponse:
    return redirect("conference-detail", conference_sid=conference_sid)


def announce(response: HttpResponse, message: str) -> HttpResponse:
    return trigger_client_event(response, views.ANNOUNCE_EVENT, {"message": message})


def noted(
    request: HtmxHttpRequest, conference_sid: str, note: Note, partial: Callable[[], HttpResponse]
) -> HttpResponse:
    """The message and the conference page, or `partial()` with the note announced."""
    if not request.htmx:
        (messages.error if note.kind == "error" else messages.success)(request, note.text)
        return back(conference_sid)
    return announce(partial(), note.text)


def row_noted(
    request: HtmxHttpRequest, conference_sid: str, call_sid: str, *, roster: Roster, name: str, note: Note
) -> HttpResponse:
    """A participant's write: its row (as the write's roster has it) carries the note."""

    def row() -> HttpResponse:
        found = row_after_write(roster, call_sid, name=name, note=note)
        return render(request, views.ROW, {"row": found, **views.page_options(request)})

    return noted(request, conference_sid, note, row)
