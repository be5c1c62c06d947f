"""What supervision adds to the dashboard's participant action: safe hold.

A hold (not yet confirmed) on a participant whose exit ends the conference needs `confirm`
first; without it the answer is the safe-hold choice ("Clear end-on-exit and hold" / "Hold
anyway"). Registered with the dashboard in `SupervisionConfig.ready`
(`dashboard.views.ask_first`): the rule runs inside the roster's `begin` step, on the
participant it read, so a hold that must be confirmed marks nothing and sends nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django_htmx.http import reswap, retarget, trigger_client_event

from conference_admin.http import HtmxHttpRequest
from conference_admin.live.roster import RosterEntry

HOLD_FIELDS = ("hold_url", "hold_method")


def hold_needs_confirmation(entry: RosterEntry | None, *, action: str, confirmed: bool) -> bool:
    """A hold (not yet confirmed) on someone whose exit would end the conference, not held yet."""
    if action != "hold" or confirmed or entry is None:
        return False
    return bool(entry.participant.end_conference_on_exit and not entry.participant.hold)


def confirm_hold(request: HtmxHttpRequest, *, conference_sid: str, call_sid: str, name: str) -> HttpResponse:
    """The safe-hold choice, in the row's note slot (or a page without htmx)."""
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
