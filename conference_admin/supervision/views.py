"""Supervision views: validate → one service call → render one partial.

The panel (`Your line`, who else is on the line, who is watching, bulk actions) is its own
small polled partial, so the participant table's hot refresh stays untouched. Twilio
failures become an inline note with Twilio's code, answered 200 so htmx shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import User
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from conference_admin.access.roles import BULK, MODERATE, VIEW
from conference_admin.dashboard import forms as dashboard_forms
from conference_admin.dashboard import services as dashboard
from conference_admin.dashboard.errors import describe_error
from conference_admin.dashboard.noted import announce, back, noted, row_noted
from conference_admin.dashboard.rows import Note, build_rows, gone_row
from conference_admin.dashboard.views import page_options, within_twilio_budget
from conference_admin.http import HtmxHttpRequest, vary_on_htmx
from conference_admin.twilio import TwilioApiError, TwilioError

from . import presence, services
from .forms import BulkForm, ProfileForm, WhisperForm
from .models import SupervisorProfile

PANEL = "supervision/_panel.html"
BULK_RESULT = "supervision/_bulk_result.html"


def _errors(form: Form) -> str:
    """A form's errors, in one sentence for a note or the live region."""
    return " ".join(str(e) for errs in form.errors.values() for e in errs)


# --- profile ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(VIEW, raise_exception=True)
def profile(request: HtmxHttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # permission_required lets only signed-in users here
    instance = SupervisorProfile.objects.filter(user=user).first() or SupervisorProfile(user=user)
    form = ProfileForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        profile = services.profile_save(actor=request.user, phone=form.cleaned_data["phone"])
        messages.success(request, f"Saved: the dashboard calls you at {profile.phone} when you listen in.")
        return redirect("supervision-profile")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "supervision/profile.html",
        {"form": form, "label": services.supervisor_label(request.user)},
        status=status,
    )


# --- the panel ----------------------------------------------------------------------------


def _panel_context(request: HtmxHttpRequest, conference_sid: str, note: Note | None = None) -> dict[str, Any]:
    roster = dashboard.roster_snapshot(conference_sid=conference_sid)
    username = request.user.get_username()
    line = services.supervisor_line_state(roster=roster, actor=request.user)
    return {
        "conference_sid": conference_sid,
        "live": not roster.ended,
        "line": line,
        "others": services.supervisors_on_line(roster=roster, exclude_username=username),
        "watchers": presence.presence_watchers(conference_sid=conference_sid, exclude=username),
        "targets": services.whisper_targets(roster, request.user),
        "phone": services.profile_phone(request.user),
        "can_moderate": request.user.has_perm(MODERATE),
        "can_bulk": request.user.has_perm(BULK),
        "bulk_actions": [(name, spec.title, spec.destructive) for name, spec in services.BULK.items()],
        "note": note,
    }


@require_GET
@permission_required(VIEW, raise_exception=True)
@vary_on_htmx
def panel(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
    """The supervision panel; polled every few seconds, so: cache reads only, no upstream call."""
    presence.presence_touch(conference_sid=conference_sid, username=request.user.get_username())
    if not request.htmx:
        return back(conference_sid)
    return render(request, PANEL, _panel_context(request, conference_sid))


def _panel_answer(request: HtmxHttpRequest, conference_sid: str, note: Note) -> HttpResponse:
    def panel() -> HttpResponse:
        # The panel names itself as the target: a row's "Listen in" (conferences/_transcript.html#listen-in)
        # posts here from inside the participant table.
        answer = render(request, PANEL, _panel_context(request, conference_sid, note))
        return reswap(retarget(answer, "#supervision-panel"), "outerHTML")

    return noted(request, conference_sid, note, panel)


@require_POST
@permission_required(MODERATE, raise_exception=True)
@within_twilio_budget
def line_dial(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
    try:
        participant = services.supervisor_line_dial(actor=request.user, conference_sid=conference_sid)
    except services.SupervisionError as error:
        return _panel_answer(request, conference_sid, Note(error.message, "error"))
    except TwilioError as error:
        text = describe_error(error)
        if error.outcome_unknown:
            text += " You may be being dialled: the panel will tell."
        return _panel_answer(request, conference_sid, Note(text, "error"))
    return _panel_answer(
        request, conference_sid, Note(f"Dialling you as {participant.identifier}: you join muted, listening.", "info")
    )


def _line_answer(request: HtmxHttpRequest, conference_sid: str, change, done: str) -> HttpResponse:
    """Run one line change (a callable making ONE upstream call) and answer with the panel."""
    try:
        change()
    except TwilioError as error:
        if isinstance(error, TwilioApiError) and error.is_not_found:
            return _panel_answer(
                request, conference_sid, Note(f"Your line is not in the conference. {describe_error(error)}", "error")
            )
        return _panel_answer(request, conference_sid, Note(describe_error(error), "error"))
    return _panel_answer(request, conference_sid, Note(done, "info"))


def _line_view(service: Callable[..., Any], done: str) -> Callable[..., HttpResponse]:
    """The view of a line change that needs nothing but the user (listen, barge, leave): ONE
    `service` call, then the panel saying `done`."""

    @require_POST
    @permission_required(MODERATE, raise_exception=True)
    @within_twilio_budget
    def line_change(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
        change = partial(service, actor=request.user, conference_sid=conference_sid)
        return _line_answer(request, conference_sid, change, done)

    return line_change


line_listen = _line_view(services.supervisor_line_listen, "Back to listening: nobody hears you.")
line_barge = _line_view(services.supervisor_line_barge, "Barged in: everyone hears you.")
line_leave = _line_view(services.supervisor_line_leave, "You left the conference.")


@require_POST
@permission_required(MODERATE, raise_exception=True)
@within_twilio_budget
def line_whisper(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
    form = WhisperForm(request.POST)
    if not form.is_valid():
        return _panel_answer(request, conference_sid, Note(_errors(form), "error"))
    target = form.cleaned_data["call_sid_to_coach"]
    change = partial(
        services.supervisor_line_whisper, actor=request.user, conference_sid=conference_sid, call_sid_to_coach=target
    )
    name = dashboard.participant_name(conference_sid=conference_sid, call_sid=target)
    return _line_answer(request, conference_sid, change, f"Whispering to {name}: only they hear you.")


# --- bulk actions -------------------------------------------------------------------------


def _result_rows(conference_sid: str, outcome: services.BulkOutcome) -> list:
    roster = dashboard.roster_snapshot(conference_sid=conference_sid)
    shown = {row.call_sid: row for row in build_rows(roster, conference_sid=conference_sid)}
    rows = []
    for result in outcome.results:
        note = Note(f"{outcome.title}: {result.message}", "info" if result.ok else "error")
        row = shown.get(result.call_sid)
        if row is None or result.gone:
            rows.append(gone_row(conference_sid=conference_sid, call_sid=result.call_sid, name=result.name, note=note))
        else:
            rows.append(replace(row, note=note))
    return rows


@require_POST
@permission_required(BULK, raise_exception=True)
@within_twilio_budget
def bulk(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
    form = BulkForm(request.POST)
    if not form.is_valid():
        text = _errors(form)
        if not request.htmx:
            messages.error(request, text)
            return back(conference_sid)
        response = render(request, BULK_RESULT, {"error": text}, status=200)
        return announce(response, text)
    name = form.cleaned_data["action"]
    outcome = services.conference_bulk(actor=request.user, conference_sid=conference_sid, name=name)
    if not request.htmx:
        (messages.warning if outcome.failed else messages.success)(request, outcome.summary)
        for failure in outcome.failed:
            messages.error(request, f"{failure.name}: {failure.message}")
        return back(conference_sid)
    ended = name == services.BULK_END
    context = {
        "outcome": outcome,
        "rows": [] if ended else _result_rows(conference_sid, outcome),
        "oob": True,
        **page_options(request),
    }
    response = render(request, BULK_RESULT, context)
    if ended and not outcome.failed:
        trigger_client_event(response, "conference-ended", {})
    return announce(response, outcome.summary)


# --- safe hold ----------------------------------------------------------------------------


@require_POST
@permission_required(MODERATE, raise_exception=True)
@within_twilio_budget
def safe_hold(request: HtmxHttpRequest, conference_sid: str, call_sid: str) -> HttpResponse:
    """ "Clear end-on-exit and hold": two updates; the row says how far it got."""
    roster = dashboard.roster_snapshot(conference_sid=conference_sid)
    entry = roster.entries.get(call_sid)
    name = entry.participant.identifier if entry else call_sid
    form = dashboard_forms.HoldForm(request.POST, call_sid=call_sid)
    if not form.is_valid():
        note = Note(_errors(form), "error")
    else:
        try:
            recorded = services.participant_safe_hold(
                actor=request.user,
                conference_sid=conference_sid,
                call_sid=call_sid,
                label=name if entry else "",
                **form.service_kwargs(),
            )
        except TwilioError as error:
            if isinstance(error, TwilioApiError) and error.is_not_found:
                dashboard.participant_forget(conference_sid=conference_sid, call_sid=call_sid)
            note = Note(f"{name}: {describe_error(error)}", "error")
            roster = dashboard.roster_snapshot(conference_sid=conference_sid)  # the first update may have landed
        else:
            note = Note(
                f"Cleared end-on-exit and put {name} on hold: their exit no longer ends the conference.", "info"
            )
            roster = recorded.roster
    return row_noted(request, conference_sid, call_sid, roster=roster, name=name, note=note)
