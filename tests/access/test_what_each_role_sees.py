"""What each role is shown on a conference: exactly the controls its permissions allow.

The URL matrix (test_url_permissions.py) proves a refused request answers 403; this proves the
pages do not offer it. Every place a conference's controls are drawn is read as each role sees
it: the page (header, rows), the dial-out form it loads, the participant table a poll gets, the live stream's
event, the header's recording state, a row's menus (pickers), the supervision panel and the
timeline. Each control belongs to one permission (CONTROLS); a role must be shown the controls
of the permissions it holds and none of the others. On top of that, every link, form or htmx
URL on those surfaces must lead somewhere the role is allowed (the matrix's own EXPECTED table),
so a control added later without a permission check fails here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from conference_admin.access.roles import (
    ADD,
    BULK,
    CONTROL_RECORDINGS,
    END,
    LEAD,
    MODERATE,
    MOVE,
    PAUSE_RECORDINGS,
    ROLE_IS_STAFF,
    ROLE_PERMISSIONS,
    START_TRANSCRIPTS,
    VIEW,
    VIEW_AUDIT,
    VIEW_TRANSCRIPTS,
)

from ..dashboard.conftest import BILLING
from ..push.streams import read_stream, roster_events
from .conftest import ROLES
from .test_url_permissions import EXPECTED

pytestmark = pytest.mark.django_db(transaction=True)  # the stream's threads read the user too

HTMX = {"HTTP_HX_REQUEST": "true"}

# Where controls are drawn.
PAGE, TABLE, STREAM, RECORDING, MENU, DIAL_OUT, PANEL, TIMELINE = (
    "page",
    "table",
    "stream",
    "recording",
    "menu",
    "dial-out form",
    "panel",
    "timeline",
)
ROWS = (PAGE, TABLE, STREAM)  # every surface that draws the participant rows
RECORDING_STATE = (PAGE, TABLE, STREAM, RECORDING)  # the header's recording state, and its swaps


@dataclass(frozen=True)
class Control:
    name: str
    permission: str
    surfaces: tuple[str, ...]
    pattern: str  # a regular expression found in the surface's HTML when the control is drawn


def _url(name: str, *args: str) -> str:
    return re.escape(reverse(name, args=args))


def controls(conference_sid: str, call_sid: str) -> list[Control]:
    """Each control a conference page can offer, with the one permission that allows it."""
    return [
        # a row's one form (mute, hold, coach, announce, more, kick)
        Control("mute", MODERATE, ROWS, r'name="action" value="(?:un)?mute"'),
        Control("hold", MODERATE, ROWS, r'name="action" value="(?:hold|resume)"|data-picker="hold"'),
        Control("coach", MODERATE, ROWS, r'data-picker="coach"|value="stop-coaching"'),
        Control("announce", MODERATE, ROWS, r'data-picker="announce"'),
        Control("more", MODERATE, ROWS, r'data-picker="more"'),
        Control("kick", MODERATE, ROWS, r'data-picker="kick"'),
        Control(
            "row form", MODERATE, ROWS, r'<form method="post" action="' + _url("participant", conference_sid, call_sid)
        ),
        Control("participant pages", MODERATE, (PAGE,), _url("participant-pages", conference_sid)),
        # a row's menus, once opened
        Control("confirm kick", MODERATE, (MENU,), r'name="action" value="kick"'),
        Control("end on exit", MODERATE, (MENU,), r'name="action" value="end-on-exit"'),
        Control("move to", MOVE, (MENU,), r'name="move_room"'),
        Control("transcribe a participant", START_TRANSCRIPTS, (MENU,), r'aria-label="(?:Start|Stop) transcript of '),
        Control(
            "start call recording",
            CONTROL_RECORDINGS,
            (MENU,),
            _url("participant-recording-start", conference_sid, call_sid),
        ),
        # the conference header
        Control("announce to all", END, (PAGE,), _url("conference-announce", conference_sid)),
        Control("end conference", END, (PAGE,), _url("conference-end", conference_sid)),
        Control("add participant", ADD, (PAGE,), _url("participant-add", conference_sid)),
        Control("dial out", ADD, (DIAL_OUT,), r'name="to"'),
        Control("warm transfer", MOVE, (DIAL_OUT,), r'class="warm-transfer"'),
        Control("live transcript", VIEW_TRANSCRIPTS, (PAGE,), r'id="transcript-panel"'),
        Control("transcribe everyone", START_TRANSCRIPTS, (PAGE,), r'class="transcript-form"'),
        Control(
            "pause recording", PAUSE_RECORDINGS, RECORDING_STATE, _url("conference-recording-pause", conference_sid)
        ),
        Control(
            "stop recording", CONTROL_RECORDINGS, RECORDING_STATE, _url("conference-recording-stop", conference_sid)
        ),
        # the supervision panel and the timeline
        Control("listen in", MODERATE, (PANEL,), r'id="line-listen-in"|To listen in, set your phone'),
        Control("bulk actions", BULK, (PANEL,), _url("supervision-bulk", conference_sid)),
        Control("audit trail", VIEW_AUDIT, (TIMELINE,), _url("audit-list")),
    ]


def test_every_permission_a_page_can_show_has_controls():
    """Each permission of the conference roles beyond viewing gates some control here (none
    forgotten: a new permission fails this until its controls are listed)."""
    shown = {control.permission for control in controls("CF" + "0" * 32, "CA" + "0" * 32)}
    assert shown == set(ROLE_PERMISSIONS[LEAD]) - {VIEW}


def surfaces(client: Client, demo, conference_sid: str, call_sid: str) -> dict[str, str]:
    """Each surface's HTML as this client's user is shown it."""
    page = reverse("conference-detail", args=[conference_sid])
    assert client.get(page).status_code == 200  # the roster is loaded
    recording = client.get(reverse("conference-recording", args=[conference_sid]), **HTMX)
    assert recording.status_code == 200 and 'id="recording-state"' in recording.content.decode()
    html = {PAGE: client.get(page), RECORDING: recording}
    html[TABLE] = client.get(reverse("participant-table", args=[conference_sid]), **HTMX)  # no version: all rows
    menus = [
        client.get(reverse("participant", args=[conference_sid, call_sid]), {"picker": picker}, **HTMX)
        for picker in ("coach", "announce", "more", "kick")
    ]
    html[PANEL] = client.get(reverse("supervision-panel", args=[conference_sid]), **HTMX)
    html[TIMELINE] = client.get(reverse("conference-timeline", args=[conference_sid]), **HTMX)
    texts = {}
    for surface, response in html.items():
        assert response.status_code == 200, f"{surface}: {response.status_code}"
        texts[surface] = response.content.decode()
    # A row's menus are the MODERATE permission's own URL: the rest get 403 and nothing in it.
    statuses = {response.status_code for response in menus}
    assert statuses == {200} or statuses == {403}
    texts[MENU] = "".join(response.content.decode() for response in menus if response.status_code == 200)
    # The dial-out form, which the page loads once it is up: the ADD permission's own URL.
    dial_out = client.get(reverse("participant-add", args=[conference_sid]), **HTMX)
    assert dial_out.status_code in (200, 403)
    texts[DIAL_OUT] = dial_out.content.decode() if dial_out.status_code == 200 else ""
    stream = read_stream(
        client, reverse("conference-events", args=[conference_sid]), until=lambda s: bool(roster_events(s))
    )
    (event,) = roster_events(stream)  # no version: the whole table, as the page's first event
    texts[STREAM] = event.data
    return texts


def urls_offered(html: str) -> set[str]:
    """Every path a link, form, button or htmx attribute on the surface leads to."""
    found = re.findall(r'(?:href|action|formaction|hx-get|hx-post|data-push)="(/[^"?#]*)', html)
    return {path for path in found if not path.startswith(settings.STATIC_URL)}


def allowed(role: str, path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        raise AssertionError(f"{path} is offered but leads nowhere") from None
    if match.namespace == "admin":
        return role in ROLE_IS_STAFF
    assert match.url_name in EXPECTED, f"{path} ({match.url_name}) has no access rule in test_url_permissions"
    permission = EXPECTED[match.url_name][0]
    return permission is None or permission in ROLE_PERMISSIONS[role]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_shown_exactly_the_controls_its_permissions_allow(client_as, demo, role):
    conference_sid = demo.sid(BILLING)  # in progress and recorded: every control has its place
    call_sid = demo.call_sid(BILLING, "customer:+14155550101")
    texts = surfaces(client_as(role), demo, conference_sid, call_sid)
    held = set(ROLE_PERMISSIONS[role])

    wrong = []
    for control in controls(conference_sid, call_sid):
        should_show = control.permission in held
        for surface in control.surfaces:
            shown = re.search(control.pattern, texts[surface]) is not None
            if shown != should_show:
                wrong.append(
                    f"{control.name} ({control.permission}) {'missing from' if should_show else 'on'} {surface}"
                )
    assert wrong == [], f"{role}: {wrong}"

    # Without the permission to moderate, each row says so instead.
    for surface in ROWS:
        assert ("View only" in texts[surface]) == (MODERATE not in held), surface
    # Nothing else leads where this role may not go.
    for surface, html in texts.items():
        refused = sorted(path for path in urls_offered(html) if not allowed(role, path))
        assert refused == [], f"{role}'s {surface} offers {refused}"
