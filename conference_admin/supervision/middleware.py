"""Around the dashboard's own row actions (`participant-action`), without changing them:

- every action is marked in flight for other supervisors while its upstream call runs;
- a hold on a participant whose exit ends the conference needs `confirm` first: without it
  the answer is the safe-hold choice ("Clear end-on-exit and hold" / "Hold anyway").

It acts in `process_view` (after CSRF and login have passed, with the URL resolved) and
clears the marker once the view has answered. Other requests pay one attribute check.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django_htmx.http import reswap, retarget, trigger_client_event

from conference_admin.access.roles import MODERATE
from conference_admin.dashboard import services as dashboard

from . import services
from .inflight import Flight

ACTION_URL = "participant-action"
# The row's one form posts to the participant's URL and names the action in the body.
ROW_FORM_URL = "participant"
HOLD_FIELDS = ("hold_url", "hold_method")


class ParticipantActionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            flight = getattr(request, "_supervision_flight", None)
            if flight is not None:
                flight.finish()

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method != "POST" or match is None or match.url_name not in (ACTION_URL, ROW_FORM_URL):
            return None
        if not request.user.has_perm(MODERATE):
            return None  # the view answers 403
        conference_sid, call_sid = view_kwargs["conference_sid"], view_kwargs["call_sid"]
        action = view_kwargs.get("action") or request.POST.get("action", "")
        if (
            action == "hold"
            and not request.POST.get("confirm")
            and services.hold_needs_confirmation(conference_sid=conference_sid, call_sid=call_sid)
        ):
            return _confirm_hold(request, conference_sid, call_sid)
        flight = Flight(conference_sid, call_sid, actor=request.user.get_username(), action=action)
        flight.start()
        request._supervision_flight = flight
        return None


def _confirm_hold(request, conference_sid: str, call_sid: str):
    name = dashboard.participant_name(conference_sid=conference_sid, call_sid=call_sid)
    context = {
        "conference_sid": conference_sid,
        "call_sid": call_sid,
        "name": name,
        "hold": {key: request.POST.get(key, "") for key in HOLD_FIELDS},
    }
    text = f"{name} ends the conference on exit: confirm how to hold them."
    if not request.htmx:
        messages.warning(request, text)
        return render(request, "supervision/hold_confirm.html", context)
    response = render(request, "supervision/_hold_confirm.html", context)
    response = reswap(retarget(response, f"#note-{call_sid}"), "innerHTML")
    return trigger_client_event(response, "dashboard:announce", {"message": text})
