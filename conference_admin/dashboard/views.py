"""Thin views: validate (a form) → one service call → render one partial.

Every Twilio failure becomes an inline message (row, form or banner) with Twilio's text
and code, answered with status 200 and an explicit htmx target so htmx shows it. A POST
without htmx redirects back to the conference page with a Django message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial, wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh, reswap, retarget, trigger_client_event

from conference_admin.access.roles import (
    ADD,
    CONTROL_RECORDINGS,
    END,
    MODERATE,
    MOVE,
    PAUSE_RECORDINGS,
    START_TRANSCRIPTS,
    VIEW,
    VIEW_TRANSCRIPTS,
    rights,
)
from conference_admin.http import HtmxHttpRequest, vary_on_htmx
from conference_admin.live import roster as rosters
from conference_admin.live.roster import Marks, Roster, RosterBusy, Snapshot
from conference_admin.requestvalues import Refused, whole_number
from conference_admin.sids import CALL_SID
from conference_admin.twilio import Conference, TwilioApiError, TwilioError, TwilioUnreachable
from conference_admin.twilio.twiml import TwimlRefused

from . import forms, moves, poll, recordings, services, transcripts
from .errors import describe_error, describe_read_error
from .models import pick_lists
from .rows import Note, build_rows, gone_row, row_after_write

ROW = "conferences/detail.html#participant-row"
NOTE = "conferences/detail.html#note"
FIELD_ERRORS = "conferences/detail.html#field-errors"
ADD_FORM = "conferences/detail.html#add-participant"
HEADER = "conferences/detail.html#conference-header"
ROSTER_CHANGES = "conferences/detail.html#roster-changes"
LIST_TABLE = "conferences/list.html#conference-table"

ANNOUNCE_EVENT = "dashboard:announce"
MAX_BEHIND = 250  # Twilio's largest conference


# What a template may offer, by the permission it needs.
ABILITIES = {
    "can_moderate": MODERATE,
    "can_add": ADD,
    "can_end": END,
    "can_pause_recordings": PAUSE_RECORDINGS,
    "can_control_recordings": CONTROL_RECORDINGS,
    "can_view_transcripts": VIEW_TRANSCRIPTS,
    "can_start_transcripts": START_TRANSCRIPTS,
    "can_move": MOVE,
}


def _abilities(request: HtmxHttpRequest) -> dict[str, bool]:
    """What this user may do, decided here so templates only show what is allowed."""
    user = request.user
    # The user's permissions asked of the backends once, not once per ability (each `has_perm`
    # instantiates every backend); an active superuser has them all, as `has_perm` says.
    everything = user.is_active and user.is_superuser
    granted = set() if everything else user.get_all_permissions()
    return {ability: everything or permission in granted for ability, permission in ABILITIES.items()}


def page_options(request: HtmxHttpRequest) -> dict[str, Any]:
    """What every page and row may show: the pick lists (read from the cache only if the
    template uses them) and what this user may do."""
    lists = SimpleLazyObject(pick_lists)
    return {
        "hold_music": SimpleLazyObject(lambda: lists["hold_music"]),
        "wait_music": SimpleLazyObject(lambda: lists["wait_music"]),
        "announcements": SimpleLazyObject(lambda: lists["announcements"]),
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
        "pause_behaviors": recordings.pause_behaviors(),
        "not_pci_compliant": transcripts.NOT_PCI_COMPLIANT,
        "transcript_verbs": (("start", "Transcribe everyone"), ("stop", "Stop all transcripts")),
        **_abilities(request),
    }


def _announce(response: HttpResponse, message: str) -> HttpResponse:
    """Say `message` in the page's polite live region (static/dashboard.js listens)."""
    return trigger_client_event(response, ANNOUNCE_EVENT, {"message": message})


def _back(conference_sid: str) -> HttpResponse:
    return redirect("conference-detail", conference_sid=conference_sid)


def _error_page(request: HtmxHttpRequest, error: TwilioError, *, status: int) -> HttpResponse:
    """Twilio could not be read: say why, and let the browser try again on its own."""
    retry = settings.DASHBOARD_POLL_SECONDS
    response = render(
        request,
        "conferences/error.html",
        {"message": describe_read_error(error), "retry_seconds": retry},
        status=status,
    )
    response["Refresh"] = str(retry)
    return response


def _error_status(error: TwilioError) -> int:
    return 503 if isinstance(error, TwilioUnreachable) else 502


def within_twilio_budget(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Count a request that sends to Twilio against the user's per-minute share; past it, say
    so where the answer would have gone (the row's note, else the conference's), send nothing."""

    @wraps(view)
    def guarded(request: HtmxHttpRequest, conference_sid: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            services.user_budget_spend(actor=request.user)
        except services.UserBudgetSpent as spent:
            return _budget_spent(request, conference_sid, kwargs.get("call_sid") or (args[0] if args else ""), spent)
        return view(request, conference_sid, *args, **kwargs)

    return guarded


def _budget_spent(
    request: HtmxHttpRequest, conference_sid: str, call_sid: str, spent: services.UserBudgetSpent
) -> HttpResponse:
    """The user's share of Twilio requests is spent: said where the answer would have gone (the
    row's note, else the conference's); nothing was sent."""
    text = str(spent)
    if not request.htmx:
        messages.error(request, text)
        return _back(conference_sid)
    response = render(request, NOTE, {"note": Note(text, "error")})
    response = reswap(retarget(response, f"#note-{call_sid}" if call_sid else "#conference-note"), "innerHTML")
    return _announce(response, text)


def _too_many_lookups(request: HtmxHttpRequest, spent: services.UserBudgetSpent) -> HttpResponse:
    response = render(
        request,
        "conferences/error.html",
        {"message": str(spent), "retry_seconds": spent.retry_after},
        status=429,
    )
    response["Retry-After"] = str(spent.retry_after)
    return response


# --- pages --------------------------------------------------------------------------------


@require_GET
@permission_required(VIEW, raise_exception=True)
@vary_on_htmx
def conference_list(request: HtmxHttpRequest) -> HttpResponse:
    form = forms.ConferenceFilterForm(request.GET)
    name = form.cleaned_data["q"] if form.is_valid() else ""
    context: dict[str, Any] = {"form": form, "query": name, "now": timezone.now(), **page_options(request)}
    try:
        listing = services.conference_list_live(matching=name)
    except TwilioError as error:
        if request.htmx:
            # Keep the last list on screen; say why it is stale.
            response = render(
                request, NOTE, {"note": Note(f"Refresh failed: {describe_read_error(error)} Retrying.", "error")}
            )
            return reswap(retarget(response, "#list-status"), "innerHTML")
        context["summaries"], context["error"] = [], describe_read_error(error)
        return render(request, "conferences/list.html", context, status=_error_status(error))
    context.update(
        summaries=listing.summaries,
        fetched_at=listing.fetched_at,
        refresh_error=listing.refresh_error,
        failed_at=listing.failed_at,
    )
    template = LIST_TABLE if request.htmx else "conferences/list.html"
    return render(request, template, context)


@require_GET
@permission_required(VIEW, raise_exception=True)
@vary_on_htmx
def conference_detail(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
    try:
        services.conference_lookup_allowed(actor=request.user, conference_sid=conference_sid)
        conference = services.conference_get(conference_sid=conference_sid)
        view = (
            services.conference_view(conference_sid=conference_sid)
            if _is_live(conference)
            else Snapshot(Roster(conference_sid), Marks())
        )
    except services.UserBudgetSpent as spent:
        return _too_many_lookups(request, spent)
    except services.ConferenceNotFound as missing:
        raise Http404("No such conference") from missing
    except TwilioApiError as error:
        if error.is_not_found:
            raise Http404("No such conference") from error
        return _error_page(request, error, status=502)
    except TwilioError as error:
        return _error_page(request, error, status=_error_status(error))
    roster = view.roster
    if roster.conference is not None:
        conference = roster.conference
    if roster.conference_status and roster.conference_status != conference.status:
        conference = replace(conference, status=roster.conference_status)  # a callback said it started
    live = _is_live(conference) and not roster.ended
    context = {
        "conference": conference,
        "conference_sid": conference.sid,
        "live": live,
        "ended": not live,
        **_roster_context(request, view, conference_sid),
        "rights": rights(request.user),
        **page_options(request),
    }
    if context["can_view_transcripts"]:
        context.update(transcripts.transcript_panel(conference_sid=conference_sid))
    return render(request, "conferences/detail.html", context)


def _is_live(conference: Conference) -> bool:
    return conference.status in services.LIVE_CONFERENCE_STATUSES


def _roster_context(
    request: HtmxHttpRequest, view: Snapshot, conference_sid: str, *, entries=None, arrived=()
) -> dict[str, Any]:
    """What the table and its status line show, from one snapshot (roster and marks).

    `entries`: the rows to render (default all); `arrived`: rows that may be new to the page.
    """
    now = timezone.now()
    roster = view.roster
    alerts = services.conference_alerts(roster=roster, now=now)
    rows = partial(
        build_rows,
        roster,
        conference_sid=conference_sid,
        alerts=alerts,
        now=now,
        marks=view.marks,
        viewer=request.user.get_username(),
    )
    return {
        "rows": rows(entries=entries),
        "new_rows": rows(entries=arrived) if arrived else [],
        "participant_count": len(roster.entries),
        # The conference's own alerts, and watched phrases (also on their rows: they need a supervisor now).
        "alerts": [alert for alert in alerts if not alert.call_sid or alert.kind == "phrase"],
        "recording": recordings.conference_recording(roster=roster),
        "version": view.version,
        "mode": roster.mode,
        "roster_error": roster.last_error,
        "rendered_at": now,  # the page's clock reference for its ticking timers
        # "updated": when Twilio last listed the participants (the state shown is as of then;
        # after a failed listing the table says it shows the last known state).
        "listed_at": datetime.fromtimestamp(roster.reconciled_at, UTC) if roster.reconciled_at else None,
        "poll_interval": settings.ROSTER_POLL_INTERVAL_SECONDS,
        "callback_interval": settings.ROSTER_CALLBACK_INTERVAL_SECONDS,
    }


@require_GET
@permission_required(VIEW, raise_exception=True)
@vary_on_htmx
def participant_table(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
    """What changed in the table since the version the page has (`?version=`).

    Nothing changed: 204, no body, no upstream call, nothing rendered. Something changed:
    only the changed rows and the status line, as out-of-band swaps, so focus, open
    pickers and in-flight buttons elsewhere survive. No usable version: the whole table.
    `?behind=CA...,CA...`: rows the page kept at an older state because they were busy (it
    still advances its version): they are sent again, and only they, until the page takes
    them. Answers 286 once the conference is over, which stops the polling.
    """
    try:
        known = whole_number(request.GET.get("version"), name="version")
    except Refused:
        known = None  # unreadable: the whole table
    behind = frozenset(sid for sid in request.GET.get("behind", "").split(",")[:MAX_BEHIND] if CALL_SID.match(sid))
    now = rights(request.user)
    if request.GET.get("rights", now) != now:
        # The page was rendered under other rights (a role change): it reloads, and shows only
        # what the user may do now.
        return HttpResponseClientRefresh()
    if not getattr(request, "poll_granted", False):
        poll.grant(request, getattr(request, "poll_found", None))  # later unchanged polls: poll.py
    try:
        services.conference_lookup_allowed(actor=request.user, conference_sid=conference_sid)
        meta = services.roster_refresh(conference_sid=conference_sid)
    except services.UserBudgetSpent as spent:
        return _too_many_lookups(request, spent)
    except services.ConferenceNotFound as missing:
        raise Http404("No such conference") from missing
    if meta is not None and known == meta.version and not meta.ended and not behind:
        return poll.nothing_changed()
    return roster_changes(request, conference_sid, known, loaded=meta is not None, behind=behind)


def roster_changes(
    request: HtmxHttpRequest,
    conference_sid: str,
    known: int | None,
    *,
    loaded: bool = True,
    behind: frozenset[str] = frozenset(),
) -> HttpResponse:
    """What a page at version `known` must change (the poll's answer, and each pushed event).

    Only the changed rows and the status line as out-of-band swaps (the whole table when
    `known` is None or too old); `X-Roster-Version`: the version the page moves to; status
    286 once the conference is over. `loaded`: the roster is known (else it is read
    reconciled first). The caller has checked the user may view the conference."""
    view = (
        services.roster_view(conference_sid=conference_sid)
        if loaded
        else services.conference_view(conference_sid=conference_sid)
    )
    roster = view.roster
    # An ended conference gets the whole (empty) table once, with the reason.
    delta = roster.delta_since(known, view.marks, behind) if known is not None and not roster.ended else None
    context = {
        "conference_sid": conference_sid,
        "ended": roster.ended,
        "live": not roster.ended,
        **page_options(request),
    }
    # The header's recording state is sent only when it changed (its open "Stop…" stays open).
    context["recording_changed"] = known is None or delta is None or roster.recording_version > known
    if delta is None:
        context.update(_roster_context(request, view, conference_sid), full=True)
    else:
        # Rows the page may never have shown are removed by its script if present, instead
        # of an out-of-band delete that may find no target.
        context.update(
            _roster_context(request, view, conference_sid, entries=delta.changed, arrived=delta.arrived),
            gone=delta.gone,
            gone_unseen=delta.gone_unseen,
            full=False,
        )
    response = render(request, ROSTER_CHANGES, context, status=286 if roster.ended else 200)
    response["X-Roster-Version"] = str(view.version)
    return trigger_client_event(response, "roster-changed", {})


# --- participant actions ------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    form: type[forms.ActionForm]
    service: Callable[..., Any]
    done: str  # what the live region says; {name} and form fields are filled in
    field_errors: bool = False  # the form has fields with an error slot in the row
    # Whether re-reading the participant can tell if an unknown outcome happened: an
    # announcement or wait music leaves no trace on the participant, so it is not re-read.
    rereads: bool = True
    permission: str = MODERATE  # beyond MODERATE, which every row action needs


ACTIONS: dict[str, Action] = {
    "mute": Action(forms.NoInputForm, services.participant_mute, "Muted {name}."),
    "unmute": Action(forms.NoInputForm, services.participant_unmute, "Unmuted {name}."),
    "hold": Action(forms.HoldForm, services.participant_hold, "{name} is on hold.", field_errors=True),
    "resume": Action(forms.NoInputForm, services.participant_resume, "{name} is back from hold."),
    "coach": Action(forms.CoachForm, services.participant_coach, "{name} now coaches {target}.", field_errors=True),
    "stop-coaching": Action(forms.NoInputForm, services.participant_stop_coaching, "{name} stopped coaching."),
    "announce": Action(
        forms.AnnounceForm,
        services.participant_announce,
        "Playing an announcement to {name}.",
        field_errors=True,
        rereads=False,
    ),
    "end-on-exit": Action(
        forms.EndConferenceOnExitForm,
        services.participant_set_end_conference_on_exit,
        "Updated end-conference-on-exit for {name}.",
    ),
    "beep-on-exit": Action(
        forms.BeepOnExitForm, services.participant_set_beep_on_exit, "Updated beep-on-exit for {name}."
    ),
    "wait-music": Action(
        forms.WaitMusicForm,
        services.participant_set_wait_music,
        "Wait music set for {name}.",
        field_errors=True,
        rereads=False,
    ),
    "kick": Action(forms.NoInputForm, services.participant_kick, "Removed {name} from the conference."),
    "move": Action(
        forms.MoveForm, services.participant_move, "Moved {name} to {room}.", field_errors=True, permission=MOVE
    ),
    "bring-back": Action(
        forms.NoInputForm, services.participant_bring_back, "Brought {name} back to {room}.", permission=MOVE
    ),
}


ROSTER_BUSY_BEFORE = "This conference's live state is busy: nothing was sent to Twilio. Try again in a moment."
ROSTER_BUSY_AFTER = (
    "Sent to Twilio (see the audit trail), but this conference's live state is busy: "
    "the row shows the result at the next refresh."
)
MOVES = ("move", "bring-back")

# Rules that answer a participant action before anything is marked in flight or sent, each
# with its answer: `rule(entry, *, action, confirmed) -> bool`, `answer(request, *,
# conference_sid, call_sid, name) -> HttpResponse`. Other apps register theirs in
# AppConfig.ready (supervision's safe hold); the rule runs on the participant `begin` read.
AskRule = Callable[..., bool]
AskAnswer = Callable[..., HttpResponse]
_ASK_FIRST: list[tuple[AskRule, AskAnswer]] = []


def ask_first(rule: AskRule, answer: AskAnswer) -> None:
    """Register a rule that makes the participant action ask first (and its answer)."""
    if (rule, answer) not in _ASK_FIRST:
        _ASK_FIRST.append((rule, answer))


def participant_action(request: HtmxHttpRequest, conference_sid: str, call_sid: str) -> HttpResponse:
    """A POST to the participant's URL (`pickers.participant`, which requires MODERATE): the
    action the pressed button names (`pressed`), the form, then ONE roster step that takes the
    user's Twilio budget token, reads the participant and marks the action in flight
    (`rosters.begin`), ONE audited upstream call whose roster write records the result and
    clears the mark; the answer (row, alerts, message) is built from that write."""
    action, data = pressed(request)
    spec = _action_spec(request, action)
    form = spec.form(data, call_sid=call_sid)
    if not form.is_valid():
        return _invalid_action(
            request, form, conference_sid=conference_sid, call_sid=call_sid, action=action, spec=spec
        )
    confirmed = bool(data.get("confirm"))
    check = partial(_ask_first, call_sid=call_sid, action=action, confirmed=confirmed, data=data)
    budget = services.user_budget(actor=request.user)  # as `within_twilio_budget`, in begin's round trip
    try:
        flight = rosters.begin(
            conference_sid,
            call_sid,
            actor=request.user.get_username(),
            action=action,
            check=check,
            also=[moves.arrival_key(call_sid)],  # the row's "moved here from", in the same round trip
            bucket=budget,
        )
        if flight.tokens is not None:
            services.budget_check(budget, flight.tokens)
    except services.UserBudgetSpent as spent:
        return _budget_spent(request, conference_sid, call_sid, spent)
    except RosterBusy:
        return _row_note_only(request, conference_sid, call_sid, call_sid, ROSTER_BUSY_BEFORE)
    entry = flight.entry
    name = entry.participant.identifier if entry else call_sid
    if flight.answered:
        return flight.answered(request, conference_sid=conference_sid, call_sid=call_sid, name=name)

    kwargs = form.service_kwargs()
    sent = _send(request, spec, flight, name=name, kwargs=kwargs)
    if isinstance(sent, HttpResponse):
        return sent
    if isinstance(sent, services.Moved):  # the row says where they went until the next refresh drops it
        return _gone(request, conference_sid, call_sid, name, spec.done.format(name=name, room=sent.room), "info")
    if isinstance(sent, services.Removed):  # kick: the row says so until the next refresh removes it
        message = spec.done.format(name=name, target="")
        if sent.already:
            message = f"{name} was already removed from the conference (Twilio's first answer was lost)."
        return _gone(request, conference_sid, call_sid, name, message, "info")
    roster = sent.roster
    target = form.cleaned_data.get("call_sid_to_coach", "")
    message = spec.done.format(name=roster.name_of(call_sid, name), target=roster.name_of(target) if target else "")
    row = row_after_write(sent.roster, call_sid, name=name, found=flight.found)
    return _row_answer(request, conference_sid, row, message)


def pressed(request: HtmxHttpRequest) -> tuple[str, QueryDict]:
    """The action the POST names (`action=mute`: the pressed button's name and value, or a field
    of the form or picker), and the data to act on. A button that must carry one more field
    than the action's name says it as a query string after the name,
    `beep-on-exit?beep_on_exit=true`, and that field joins the data (the row's one form cannot
    hold a field for a single button). A POST that names two actions is refused: which one
    was meant cannot be told."""
    names = request.POST.getlist("action")
    if len(names) > 1:
        raise BadRequest("More than one action")
    action, _, extra = (names[0] if names else "").partition("?")
    if not extra:
        return action, request.POST
    data = request.POST.copy()
    for key, values in QueryDict(extra).lists():
        data.setlist(key, values)
    return action, data


def _action_spec(request: HtmxHttpRequest, action: str) -> Action:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    if not request.user.has_perm(spec.permission):
        raise PermissionDenied
    return spec


def _ask_first(snapshot: Snapshot, *, call_sid: str, action: str, confirmed: bool, data: QueryDict) -> AskAnswer | None:
    """Inside `begin`, on what it read: the answer to give instead of acting, if any."""
    entry = snapshot.roster.entries.get(call_sid)
    for rule, answer in _ASK_FIRST:
        if rule(entry, action=action, confirmed=confirmed):
            return answer
    if action in MOVES and not confirmed:
        warning = moves.move_warning(snapshot.roster, call_sid)
        if warning:
            return partial(_confirm_move, action=action, text=warning, data=data)
    return None


def _send(request: HtmxHttpRequest, spec: Action, flight: rosters.Flight, *, name: str, kwargs: dict) -> Any:
    """The one upstream call (its roster write records the result and clears the mark), then
    the flight settled. Returns what the service returned, or the answer to a failure."""
    conference_sid, call_sid = flight.conference_sid, flight.call_sid
    entry = flight.entry
    recorded = False
    try:
        try:
            result = spec.service(
                actor=request.user,
                conference_sid=conference_sid,
                call_sid=call_sid,
                label=entry.participant.identifier if entry else "",
                **kwargs,
            )
            recorded = True
            return result
        except TwilioError as error:
            return _action_failed(
                request, error, conference_sid=conference_sid, call_sid=call_sid, name=name, expected=kwargs, spec=spec
            )
        except (TwimlRefused, moves.NothingToBringBack) as refused:  # nothing was sent
            return _row_note_only(request, conference_sid, call_sid, name, str(refused))
        finally:
            rosters.settle(flight, recorded=recorded)
    except RosterBusy:  # the roster's lock was held too long after sending: said plainly
        return _row_note_only(request, conference_sid, call_sid, name, ROSTER_BUSY_AFTER)


def _row_answer(
    request: HtmxHttpRequest, conference_sid: str, row: Any, message: str, *, kind: str = ""
) -> HttpResponse:
    """The answer to a row action: the row (with its note) and the message said in the live
    region; without htmx, the message and back to the conference page."""
    if not request.htmx:
        {"warning": messages.warning, "error": messages.error}.get(kind, messages.success)(request, message)
        return _back(conference_sid)
    return _announce(render(request, ROW, {"row": row, **page_options(request)}), message)


def _gone(
    request: HtmxHttpRequest, conference_sid: str, call_sid: str, name: str, text: str, kind: str
) -> HttpResponse:
    """The row of someone no longer here, shown once with `text`; the next refresh drops it."""
    row = gone_row(conference_sid=conference_sid, call_sid=call_sid, name=name, note=Note(text, kind))
    return _row_answer(request, conference_sid, row, text, kind=kind)


MOVE_FIELDS = ("move_room", "move_new_room", "move_arrive", "move_coach", "move_ends_room")


def _confirm_move(
    request, *, conference_sid: str, call_sid: str, action: str, text: str, data: QueryDict, name: str = ""
) -> HttpResponse:
    """What the move will do to this room, and a button that moves anyway (as safe hold asks first)."""
    context = {
        "conference_sid": conference_sid,
        "call_sid": call_sid,
        "action": action,
        "text": text,
        "fields": [(key, data[key]) for key in MOVE_FIELDS if data.get(key)],
    }
    if not request.htmx:
        messages.warning(request, text)
        return render(request, "conferences/move_confirm.html", context)
    response = render(request, "conferences/move_confirm.html#move-confirm", context)
    return _announce(reswap(retarget(response, f"#note-{call_sid}"), "innerHTML"), text)


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


def _action_failed(
    request, error: TwilioError, *, conference_sid: str, call_sid: str, name: str, expected: dict, spec: Action
) -> HttpResponse:
    """Show why an action failed, in the row: the answer for its kind of failure (FAILED)."""
    if isinstance(error, TwilioApiError) and error.is_not_found:
        kind = "gone"
    elif error.outcome_unknown:
        kind = "reread" if spec.rereads else "unknown"
    else:
        kind = "refused"
    answer = FAILED[kind]
    return answer(request, error, conference_sid=conference_sid, call_sid=call_sid, name=name, expected=expected)


def _participant_gone(
    request, error: TwilioError, *, conference_sid: str, call_sid: str, name: str, **_
) -> HttpResponse:
    """Twilio does not know the participant: the roster forgets them, the row says so once."""
    services.participant_forget(conference_sid=conference_sid, call_sid=call_sid)
    text = f"{name} is no longer in the conference. {describe_error(error)}"
    return _gone(request, conference_sid, call_sid, name, text, "warning")


def _refused(request, error: TwilioError, *, conference_sid: str, call_sid: str, name: str, **_) -> HttpResponse:
    return _row_note_only(request, conference_sid, call_sid, name, describe_error(error))


def _not_resent(request, error: TwilioError, *, conference_sid: str, call_sid: str, name: str, **_) -> HttpResponse:
    """The outcome is unknown and re-reading the participant cannot tell (an announcement)."""
    text = f"{describe_error(error)} It was not sent again: check before retrying."
    return _row_note_only(request, conference_sid, call_sid, name, text)


# What the re-read after a timeout tells the supervisor, by whether the action was applied.
REREAD_SAYS = {
    True: "it was applied.",
    False: "it was not applied. Nothing was sent again: try again if it is still needed.",
    None: "check the row before trying again.",
}


def _reread_row(
    request, error: TwilioError, *, conference_sid: str, call_sid: str, name: str, expected: dict
) -> HttpResponse:
    try:
        reread = services.participant_reread_after_unknown(
            conference_sid=conference_sid, call_sid=call_sid, error=error, expected=expected
        )
    except TwilioError as reread_error:
        return _row_note_only(
            request,
            conference_sid,
            call_sid,
            name,
            f"{describe_error(error)} Re-reading failed: {describe_error(reread_error)}",
        )
    recorded = reread.recorded
    text = f"{describe_error(error)} The row was re-read from Twilio: {REREAD_SAYS[reread.applied]}"
    if recorded is None:
        text = f"{describe_error(error)} {name} is no longer in the conference."
        return _gone(request, conference_sid, call_sid, name, text, "warning")
    row = row_after_write(recorded.roster, call_sid, name=name, note=Note(text, "warning"))
    return _row_answer(request, conference_sid, row, f"{name}: {text}", kind="warning")


# The answer to a failed action, by kind: Twilio does not know the participant; the outcome
# is unknown (re-read the participant once, or say it was not sent again when a re-read
# cannot tell); Twilio refused it.
FAILED: dict[str, Callable[..., HttpResponse]] = {
    "gone": _participant_gone,
    "reread": _reread_row,
    "unknown": _not_resent,
    "refused": _refused,
}


def _row_note_only(request, conference_sid: str, call_sid: str, name: str, text: str) -> HttpResponse:
    if not request.htmx:
        messages.error(request, f"{name}: {text}")
        return _back(conference_sid)
    response = render(request, NOTE, {"note": Note(text, "error")})
    return _announce(reswap(retarget(response, f"#note-{call_sid}"), "innerHTML"), f"{name}: {text}")


# --- add participant ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(ADD, raise_exception=True)
@vary_on_htmx
def participant_add(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
    """GET: a fresh form (after a successful add). POST: dial out, answer with the new row."""
    choices = list(services.roster_snapshot(conference_sid=conference_sid).names().items())
    if request.method == "GET":  # the page's form, once the page is up; without htmx, a page of its own
        return render(
            request,
            ADD_FORM if request.htmx else "conferences/add.html",
            {
                "add_form": forms.AddParticipantForm(coach_choices=choices),
                "conference_sid": conference_sid,
                **_abilities(request),
            },
        )

    form = forms.AddParticipantForm(request.POST, coach_choices=choices)
    transfer = forms.WarmTransferForm(request.POST, move_choices=choices)
    if transfer.requested:
        if not request.user.has_perm(MOVE):
            raise PermissionDenied
        return _warm_transfer(request, form, transfer, conference_sid=conference_sid)
    if form.is_valid():
        kwargs = form.service_kwargs()
        try:
            services.user_budget_spend(actor=request.user)
            added = services.participant_add(actor=request.user, conference_sid=conference_sid, **kwargs)
        except services.UserBudgetSpent as spent:
            form.add_error(None, str(spent))
        except TwilioError as error:
            text = describe_error(error)
            if error.outcome_unknown:
                return _add_outcome_unknown(request, form, error, conference_sid=conference_sid)
            if isinstance(error, TwilioApiError) and error.is_not_found:
                text = f"The conference is not there any more. {text}"
            form.add_error(None, text)
        else:
            participant = added.participant
            message = f"Dialling {participant.identifier}."
            if not request.htmx:
                messages.success(request, message)
                return _back(conference_sid)
            row = row_after_write(added.roster, participant.call_sid, name=participant.identifier)
            response = render(request, ROW, {"row": row, **page_options(request)})
            trigger_client_event(response, "participant-added", {})
            return _announce(response, message)
    if not request.htmx:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error_text in map(str, errors):
                messages.error(request, f"{label}: {error_text}" if label else error_text)
        return _back(conference_sid)
    return _add_form_again(request, form, conference_sid=conference_sid)


def _add_form_again(request, form, *, conference_sid: str) -> HttpResponse:
    response = render(request, ADD_FORM, {"add_form": form, "conference_sid": conference_sid, **_abilities(request)})
    return reswap(retarget(response, "#add-participant"), "outerHTML")


def _warm_transfer(request, form, transfer, *, conference_sid: str) -> HttpResponse:
    """The dial-out into a new side room, then the chosen people moved there, in one submit."""
    valid = form.is_valid() & transfer.is_valid()
    if valid and form.cleaned_data.get("coaching"):
        form.add_error("coaching", "In a new side room there is nobody yet to coach.")
        valid = False
    if not valid:
        for field, errors in transfer.errors.items():
            for error_text in errors:
                label = transfer.fields[field].label if field in transfer.fields else ""
                form.add_error(None, f"{label}: {error_text}" if label else error_text)
        if not request.htmx:
            for error_text in (str(e) for errors in form.errors.values() for e in errors):
                messages.error(request, error_text)
            return _back(conference_sid)
        return _add_form_again(request, form, conference_sid=conference_sid)
    room = transfer.cleaned_data["transfer_room"]
    try:
        services.user_budget_spend(actor=request.user)
        done = services.conference_warm_transfer(
            actor=request.user,
            conference_sid=conference_sid,
            room=room,
            move_call_sids=transfer.cleaned_data["transfer_move"],
            **form.service_kwargs(),
        )
    except services.UserBudgetSpent as spent:
        form.add_error(None, str(spent))
        return _add_form_again(request, form, conference_sid=conference_sid)
    except TwilioError as error:
        form.add_error(None, f"Dialling into {room} failed, nobody was moved: {describe_error(error)}")
        return _add_form_again(request, form, conference_sid=conference_sid)
    names = dict(form.participant_choices)
    moved_names = [names.get(m.call.sid, m.call.sid) for m in done.moved]
    message = f"Dialling {done.dialled.identifier} into {room}; moved {', '.join(moved_names) or 'nobody'} there."
    for name, refused in done.failed:
        message += f" Moving {name} failed: {describe_error(refused)}"
    if not request.htmx:
        (messages.warning if done.failed else messages.success)(request, message)
        return _back(conference_sid)
    rows = [
        gone_row(conference_sid=conference_sid, call_sid=m.call.sid, name=name, note=Note(f"Moved to {room}.", "info"))
        for m, name in zip(done.moved, moved_names, strict=True)
    ]
    response = render(request, "conferences/detail.html#moved-rows", {"rows": rows})
    trigger_client_event(response, "participant-added", {})
    return _announce(reswap(response, "none"), message)


def _add_outcome_unknown(request, form, error: TwilioError, *, conference_sid: str) -> HttpResponse:
    """The dial-out's answer was lost: ask Twilio for the label it carried, and show the truth."""
    label = error.participant_label or ""
    unknown = describe_error(error)
    try:
        found = services.participant_add_check(conference_sid=conference_sid, label=label, error=error)
    except TwilioError as check_error:
        text = (
            f"{unknown} Checking by label {label} failed too ({describe_read_error(check_error)}): "
            "check the table before trying again."
        )
        found, placed = None, None
    else:
        placed = found is not None
        text = f"{unknown} Checked by label {label}: " + (
            "the call was placed." if placed else "not placed. You can try again."
        )
    if not request.htmx:
        (messages.warning if placed else messages.error)(request, text)
        return _back(conference_sid)
    if found is not None:
        call_sid = found.participant.call_sid
        row = row_after_write(found.roster, call_sid, name=found.participant.identifier, note=Note(text, "warning"))
        response = render(request, ROW, {"row": row, **page_options(request)})
        trigger_client_event(response, "participant-added", {})
        return _announce(response, text)
    form.add_error(None, text)
    return _announce(_add_form_again(request, form, conference_sid=conference_sid), text)


# --- conference actions -------------------------------------------------------------------


@require_POST
@permission_required(END, raise_exception=True)
@within_twilio_budget
def conference_announce(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
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
        services.conference_announce(actor=request.user, conference_sid=conference_sid, **form.service_kwargs())
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
@within_twilio_budget
def conference_end(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse:
    try:
        conference = services.conference_end(actor=request.user, conference_sid=conference_sid)
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
    context = {
        "conference": conference,
        "conference_sid": conference_sid,
        "live": _is_live(conference),
        # The header keeps its recording state, where the page's last poll swaps it in.
        "recording": recordings.conference_recording(roster=services.roster_snapshot(conference_sid=conference_sid)),
        **page_options(request),
    }
    response = render(request, HEADER, context)
    trigger_client_event(response, "conference-ended", {})
    return _announce(response, message)
