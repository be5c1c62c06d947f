"""Thin views: validate (a form) → one service call → render one partial.

Every Twilio failure becomes an inline message (row, form or banner) with Twilio's text
and code, answered with status 200 and an explicit htmx target so htmx shows it. A POST
without htmx redirects back to the conference page with a Django message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from conference_admin.twilio import Conference, TwilioApiError, TwilioError, TwilioUnreachable

from conference_admin.access.roles import ADD, END, MODERATE, VIEW

from . import forms, services
from .client import TwilioNotConfigured
from .rows import Note, build_row, build_rows, gone_row

ROW = "conferences/detail.html#participant-row"
NOTE = "conferences/detail.html#note"
FIELD_ERRORS = "conferences/detail.html#field-errors"
ADD_FORM = "conferences/detail.html#add-participant"
HEADER = "conferences/detail.html#conference-header"
TABLE = "conferences/detail.html#participant-table"
LIST_TABLE = "conferences/list.html#conference-table"

ANNOUNCE_EVENT = "dashboard:announce"


# --- messages -----------------------------------------------------------------------------


def describe_error(error: TwilioError) -> str:
    """What a supervisor reads when Twilio says no, or cannot be reached."""
    if isinstance(error, TwilioApiError):
        code = error.code if error.code is not None else error.status
        return f"{error.message} ({code})"
    if isinstance(error, TwilioUnreachable):
        return "Twilio is unreachable; nothing was changed. Check the connection and try again."
    if error.outcome_unknown:
        return "Twilio did not answer in time: the outcome is unknown."
    if isinstance(error, TwilioNotConfigured):
        return error.message
    return f"Twilio request failed: {error.message}"


def _abilities(request: HttpRequest) -> dict[str, bool]:
    """What this user may do, decided here so templates only show what is allowed."""
    user = request.user
    return {"can_moderate": user.has_perm(MODERATE), "can_add": user.has_perm(ADD), "can_end": user.has_perm(END)}


def _options(request: HttpRequest) -> dict[str, Any]:
    return {
        "hold_music": settings.DASHBOARD_HOLD_MUSIC,
        "wait_music": settings.DASHBOARD_WAIT_MUSIC,
        "announcements": settings.DASHBOARD_ANNOUNCEMENTS,
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
        **_abilities(request),
    }


def _announce(response: HttpResponse, message: str) -> HttpResponse:
    """Say `message` in the page's polite live region (static/dashboard.js listens)."""
    return trigger_client_event(response, ANNOUNCE_EVENT, {"message": message})


def _back(conference_sid: str) -> HttpResponse:
    return redirect("conference-detail", conference_sid=conference_sid)


def _error_page(request: HttpRequest, error: TwilioError, *, status: int) -> HttpResponse:
    return render(request, "conferences/error.html", {"message": describe_error(error)}, status=status)


def _error_status(error: TwilioError) -> int:
    return 503 if isinstance(error, TwilioUnreachable) else 502


# --- pages --------------------------------------------------------------------------------


@require_GET
@permission_required(VIEW, raise_exception=True)
def conference_list(request: HttpRequest) -> HttpResponse:
    form = forms.ConferenceFilterForm(request.GET)
    name = form.cleaned_data["q"] if form.is_valid() else ""
    context: dict[str, Any] = {"form": form, "query": name, "now": timezone.now(), **_options(request)}
    try:
        context["summaries"] = services.conference_list_live(name_contains=name)
    except TwilioError as error:
        if request.htmx:
            # Keep the last list on screen; say why it is stale.
            response = render(request, NOTE, {"note": Note(f"Refresh failed: {describe_error(error)}", "error")})
            return reswap(retarget(response, "#list-status"), "innerHTML")
        context["summaries"], context["error"] = [], describe_error(error)
        return render(request, "conferences/list.html", context, status=_error_status(error))
    template = LIST_TABLE if request.htmx else "conferences/list.html"
    return render(request, template, context)


@require_GET
@permission_required(VIEW, raise_exception=True)
def conference_detail(request: HttpRequest, conference_sid: str) -> HttpResponse:
    try:
        conference = services.conference_get(conference_sid=conference_sid)
        participants = services.conference_roster(conference_sid=conference_sid) if _is_live(conference) else []
    except TwilioApiError as error:
        if error.is_not_found:
            raise Http404("No such conference") from error
        return _error_page(request, error, status=502)
    except TwilioError as error:
        return _error_page(request, error, status=_error_status(error))
    records = services.participant_records(conference_sid=conference_sid)
    rows = build_rows(participants, records, conference_sid=conference_sid)
    context = {
        "conference": conference,
        "conference_sid": conference.sid,
        "live": _is_live(conference),
        "ended": not _is_live(conference),
        "rows": rows,
        "refreshed_at": timezone.now(),
        "add_form": forms.AddParticipantForm(coach_choices=_coach_choices(records)),
        "announce_form": forms.AnnounceForm(),
        **_options(request),
    }
    return render(request, "conferences/detail.html", context)


def _is_live(conference: Conference) -> bool:
    return conference.status in services.LIVE_CONFERENCE_STATUSES


def _coach_choices(records) -> list[tuple[str, str]]:
    return [(sid, record.label or sid) for sid, record in records.items()]


@require_GET
@permission_required(VIEW, raise_exception=True)
def participant_table(request: HttpRequest, conference_sid: str) -> HttpResponse:
    """The participant table alone, polled by the conference page.

    Answers 286 once the conference is over, which tells htmx to stop polling.
    """
    try:
        participants = services.conference_roster(conference_sid=conference_sid)
    except TwilioError as error:
        if isinstance(error, TwilioApiError) and error.is_not_found:
            return render(request, TABLE, {"ended": True, "rows": []}, status=286)
        response = render(request, NOTE, {"note": Note(f"Refresh failed: {describe_error(error)}", "error")})
        return reswap(retarget(response, "#roster-status"), "innerHTML")
    ended = False
    if not participants:
        # An empty roster may mean the conference ended: one fetch tells.
        try:
            ended = not _is_live(services.conference_get(conference_sid=conference_sid))
        except TwilioApiError as error:
            ended = error.is_not_found
        except TwilioError:
            ended = False
    records = services.participant_records(conference_sid=conference_sid)
    context = {
        "rows": build_rows(participants, records, conference_sid=conference_sid),
        "ended": ended,
        "live": not ended,
        "refreshed_at": timezone.now(),
        **_options(request),
    }
    return render(request, TABLE, context, status=286 if ended else 200)


# --- participant actions ------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    form: type[forms.ActionForm]
    service: Callable[..., Any]
    done: str  # what the live region says; {name} and form fields are filled in
    field_errors: bool = False  # the form has fields with an error slot in the row


ACTIONS: dict[str, Action] = {
    "mute": Action(forms.NoInputForm, services.participant_mute, "Muted {name}."),
    "unmute": Action(forms.NoInputForm, services.participant_unmute, "Unmuted {name}."),
    "hold": Action(forms.HoldForm, services.participant_hold, "{name} is on hold.", field_errors=True),
    "resume": Action(forms.NoInputForm, services.participant_resume, "{name} is back from hold."),
    "coach": Action(forms.CoachForm, services.participant_coach, "{name} now coaches {target}.", field_errors=True),
    "stop-coaching": Action(forms.NoInputForm, services.participant_stop_coaching, "{name} stopped coaching."),
    "announce": Action(forms.AnnounceForm, services.participant_announce, "Playing an announcement to {name}.", field_errors=True),
    "end-on-exit": Action(forms.EndConferenceOnExitForm, services.participant_set_end_conference_on_exit, "Updated end-conference-on-exit for {name}."),
    "beep-on-exit": Action(forms.BeepOnExitForm, services.participant_set_beep_on_exit, "Updated beep-on-exit for {name}."),
    "wait-music": Action(forms.WaitMusicForm, services.participant_set_wait_music, "Wait music set for {name}.", field_errors=True),
    "kick": Action(forms.NoInputForm, services.participant_kick, "Removed {name} from the conference."),
}


@require_POST
@permission_required(MODERATE, raise_exception=True)
def participant_action(request: HttpRequest, conference_sid: str, call_sid: str, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    records = services.participant_records(conference_sid=conference_sid)
    record = records.get(call_sid)
    name = (record.label if record else "") or call_sid

    form = spec.form(request.POST, call_sid=call_sid)
    if not form.is_valid():
        return _invalid_action(request, form, conference_sid=conference_sid, call_sid=call_sid, action=action, spec=spec)

    try:
        result = spec.service(conference_sid=conference_sid, call_sid=call_sid, **form.service_kwargs())
    except TwilioError as error:
        return _action_failed(request, error, conference_sid=conference_sid, call_sid=call_sid, name=name)

    target = records.get(form.cleaned_data.get("call_sid_to_coach", ""))
    message = spec.done.format(name=name, target=(target.label if target else "") or form.cleaned_data.get("call_sid_to_coach", ""))
    if not request.htmx:
        messages.success(request, message)
        return _back(conference_sid)
    if result is None:  # kick: the row goes away
        return _announce(reswap(HttpResponse(""), "delete"), message)
    records = services.participant_records(conference_sid=conference_sid)
    row = build_row(result, records, conference_sid=conference_sid)
    return _announce(render(request, ROW, {"row": row, **_options(request)}), message)


def _invalid_action(request, form, *, conference_sid, call_sid, action, spec) -> HttpResponse:
    errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    if not request.htmx:
        for error in errors:
            messages.error(request, error)
        return _back(conference_sid)
    if spec.field_errors:
        response = render(request, FIELD_ERRORS, {"errors": errors})
        response = reswap(retarget(response, f"#{action}-error-{call_sid}"), "innerHTML")
    else:
        response = render(request, NOTE, {"note": Note(" ".join(errors), "error")})
        response = reswap(retarget(response, f"#note-{call_sid}"), "innerHTML")
    return _announce(response, " ".join(errors))


def _action_failed(request, error: TwilioError, *, conference_sid: str, call_sid: str, name: str) -> HttpResponse:
    """Show why an action failed, in the row; re-read the row once when the outcome is unknown."""
    if isinstance(error, TwilioApiError) and error.is_not_found:
        services.participant_forget(conference_sid=conference_sid, call_sid=call_sid)
        text = f"{name} is no longer in the conference. {describe_error(error)}"
        if not request.htmx:
            messages.warning(request, text)
            return _back(conference_sid)
        row = gone_row(conference_sid=conference_sid, call_sid=call_sid, name=name, note=Note(text, "warning"))
        return _announce(render(request, ROW, {"row": row}), text)

    if error.outcome_unknown:
        return _reread_row(request, error, conference_sid=conference_sid, call_sid=call_sid, name=name)

    text = describe_error(error)
    if not request.htmx:
        messages.error(request, f"{name}: {text}")
        return _back(conference_sid)
    response = render(request, NOTE, {"note": Note(text, "error")})
    return _announce(reswap(retarget(response, f"#note-{call_sid}"), "innerHTML"), f"{name}: {text}")


def _reread_row(request, error: TwilioError, *, conference_sid: str, call_sid: str, name: str) -> HttpResponse:
    text = f"{describe_error(error)} The row was re-read from Twilio."
    try:
        participant = services.participant_get(conference_sid=conference_sid, call_sid=call_sid)
    except TwilioApiError as reread_error:
        if reread_error.is_not_found:
            services.participant_forget(conference_sid=conference_sid, call_sid=call_sid)
            text = f"{describe_error(error)} {name} is no longer in the conference."
            if not request.htmx:
                messages.warning(request, text)
                return _back(conference_sid)
            row = gone_row(conference_sid=conference_sid, call_sid=call_sid, name=name, note=Note(text, "warning"))
            return _announce(render(request, ROW, {"row": row}), text)
        return _row_note_only(request, conference_sid, call_sid, name, f"{describe_error(error)} Re-reading failed: {describe_error(reread_error)}")
    except TwilioError as reread_error:
        return _row_note_only(request, conference_sid, call_sid, name, f"{describe_error(error)} Re-reading failed: {describe_error(reread_error)}")
    if not request.htmx:
        messages.warning(request, f"{name}: {text}")
        return _back(conference_sid)
    records = services.participant_records(conference_sid=conference_sid)
    row = build_row(participant, records, conference_sid=conference_sid, note=Note(text, "warning"))
    return _announce(render(request, ROW, {"row": row, **_options(request)}), f"{name}: {text}")


def _row_note_only(request, conference_sid: str, call_sid: str, name: str, text: str) -> HttpResponse:
    if not request.htmx:
        messages.error(request, f"{name}: {text}")
        return _back(conference_sid)
    response = render(request, NOTE, {"note": Note(text, "error")})
    return _announce(reswap(retarget(response, f"#note-{call_sid}"), "innerHTML"), f"{name}: {text}")


# --- add participant ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(ADD, raise_exception=True)
def participant_add(request: HttpRequest, conference_sid: str) -> HttpResponse:
    """GET: a fresh form (after a successful add). POST: dial out, answer with the new row."""
    records = services.participant_records(conference_sid=conference_sid)
    choices = _coach_choices(records)
    if request.method == "GET":
        if not request.htmx:
            return _back(conference_sid)
        return render(request, ADD_FORM, {"add_form": forms.AddParticipantForm(coach_choices=choices), "conference_sid": conference_sid})

    form = forms.AddParticipantForm(request.POST, coach_choices=choices)
    if form.is_valid():
        kwargs = form.service_kwargs()
        try:
            participant = services.participant_add(conference_sid=conference_sid, **kwargs)
        except TwilioError as error:
            text = describe_error(error)
            if error.outcome_unknown:
                text += " The call may have been placed: check the table before trying again."
            elif isinstance(error, TwilioApiError) and error.is_not_found:
                text = f"The conference is not there any more. {text}"
            form.add_error(None, text)
        else:
            message = f"Dialling {participant.identifier}."
            if not request.htmx:
                messages.success(request, message)
                return _back(conference_sid)
            row = build_row(participant, services.participant_records(conference_sid=conference_sid), conference_sid=conference_sid)
            response = render(request, ROW, {"row": row, **_options(request)})
            trigger_client_event(response, "participant-added", {})
            return _announce(response, message)
    if not request.htmx:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return _back(conference_sid)
    response = render(request, ADD_FORM, {"add_form": form, "conference_sid": conference_sid})
    return reswap(retarget(response, "#add-participant"), "outerHTML")


# --- conference actions -------------------------------------------------------------------


@require_POST
@permission_required(END, raise_exception=True)
def conference_announce(request: HttpRequest, conference_sid: str) -> HttpResponse:
    form = forms.AnnounceForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        if not request.htmx:
            for error in errors:
                messages.error(request, error)
            return _back(conference_sid)
        response = render(request, FIELD_ERRORS, {"errors": errors})
        return reswap(retarget(response, "#conference-announce-error"), "innerHTML")
    try:
        services.conference_announce(conference_sid=conference_sid, **form.service_kwargs())
    except TwilioError as error:
        note = Note(describe_error(error), "error")
    else:
        note = Note("Announcement sent to everyone.", "info")
    if not request.htmx:
        (messages.error if note.kind == "error" else messages.success)(request, note.text)
        return _back(conference_sid)
    response = render(request, NOTE, {"note": note})
    return _announce(reswap(retarget(response, "#conference-note"), "innerHTML"), note.text)


@require_POST
@permission_required(END, raise_exception=True)
def conference_end(request: HttpRequest, conference_sid: str) -> HttpResponse:
    try:
        conference = services.conference_end(conference_sid=conference_sid)
    except TwilioError as error:
        text = describe_error(error)
        if error.outcome_unknown:
            text += " The conference may have ended: the table will tell."
        if not request.htmx:
            messages.error(request, text)
            return _back(conference_sid)
        response = render(request, NOTE, {"note": Note(text, "error")})
        return _announce(reswap(retarget(response, "#conference-note"), "innerHTML"), text)
    message = f"Ended {conference.friendly_name or conference.sid}."
    if not request.htmx:
        messages.success(request, message)
        return _back(conference_sid)
    context = {"conference": conference, "live": _is_live(conference), "announce_form": forms.AnnounceForm(), **_options(request)}
    response = render(request, HEADER, context)
    trigger_client_event(response, "conference-ended", {})
    return _announce(response, message)

