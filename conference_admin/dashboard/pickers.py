"""A participant's own URL: GET shows its pickers, POST performs the action the row's one form names.

The conference page renders each participant row as one `<form>` posting here; its buttons carry
`name="action" value="mute"` (and so on), and this view hands the request to the participant
action view (`views.participant_action`), which reads the action from the POST: this URL is the
only one a participant action has (a button that carries one more field says it after the
action's name, `beep-on-exit?beep_on_exit=true`: see `views.pressed`). A picker (coach,
announce, more, kick; and hold, the safe-hold choice of someone whose exit ends the conference)
loads its fields when opened: `GET ?picker=<name>` with htmx answers just that picker's fields,
which join the row's form. Without JavaScript, GET answers a small page with every picker as a
form of its own (reached from the conference's "Participant pages", shown only without
JavaScript), and every POST redirects back to the conference page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from conference_admin.access.roles import MODERATE
from conference_admin.http import HtmxHttpRequest, vary_on_htmx

from . import services, views
from .models import pick_lists
from .rows import Note, build_rows

PAGE = "conferences/participant.html"
INDEX = "conferences/participants.html"
PICKERS = ("coach", "announce", "more", "hold", "kick")


@require_http_methods(["GET", "POST"])
@permission_required(MODERATE, raise_exception=True)
@vary_on_htmx
def participant(request: HtmxHttpRequest, conference_sid: str, call_sid: str) -> HttpResponse:
    if request.method == "POST":  # the action the pressed button names (403 if not the user's, 404 if unknown)
        return views.participant_action(request, conference_sid, call_sid)
    picker = request.GET.get("picker", "")
    if request.htmx and picker not in PICKERS:
        raise Http404("No such picker")
    roster = services.roster_snapshot(conference_sid=conference_sid)
    entry = roster.entries.get(call_sid)
    if entry is None:
        note = Note("No longer in the conference.", "warning")
        if request.htmx:
            return render(request, views.NOTE, {"note": note})
        messages.warning(request, note.text)
        return redirect("conference-detail", conference_sid=conference_sid)
    names = roster.names()
    lists = pick_lists()
    (row,) = build_rows(roster, conference_sid=conference_sid, entries=[entry])
    context = {
        **views.page_options(request),  # what the user may do (recording controls by role)
        "row": row,
        "choices": [(sid, name) for sid, name in names.items() if sid != call_sid],
        "announcements": lists["announcements"],
        "hold_music": lists["hold_music"],
        "wait_music": lists["wait_music"],
    }
    if picker in ("more", "") and context["can_move"]:
        context["destinations"] = services.move_destinations(conference_sid=conference_sid)
    template = f"{PAGE}#picker-{picker}" if request.htmx else PAGE
    return render(request, template, context)


@require_GET
@permission_required(MODERATE, raise_exception=True)
def participant_pages(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
    """Without JavaScript: a link to each participant's page (where its pickers are forms)."""
    names = services.roster_snapshot(conference_sid=conference_sid).names()
    return render(
        request, INDEX, {"conference_sid": conference_sid, "names": sorted(names.items(), key=lambda n: n[1])}
    )
