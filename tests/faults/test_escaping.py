"""Whatever Twilio says is text: a label or a conference name full of HTML renders escaped
on every page and partial (created in the simulator's engine, as a caller could)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conference_admin.access.roles import ADMIN, assign_role

from .conftest import ESCALATION, HTMX, due

EVIL = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def evil(demo, supervisor_client):
    """A caller labelled EVIL in the outage call, and a conference named EVIL."""
    sim = demo.simulator
    caller = sim.join(demo.sid(ESCALATION), label=EVIL)
    room = sim.create_participant(
        sim.account_sid, EVIL, {"From": "+15005550006", "To": "+14155550150", "Label": "customer:" + EVIL}
    )
    sim.answer(sim.account_sid, room.conference_sid, room.call_sid)
    return caller, room


def assert_escaped(response):
    body = response.content.decode()
    assert response.status_code < 500
    assert EVIL not in body, body[body.find("<img") :][:200]
    return body


def test_every_page_and_partial_escapes_twilio_text(supervisor_client, demo, evil, django_user_model):
    caller, room = evil
    conference = demo.sid(ESCALATION)
    assert ESCAPED in assert_escaped(supervisor_client.get(reverse("conference-list")))
    assert_escaped(supervisor_client.get(reverse("conference-list"), {"q": EVIL}, **HTMX))
    assert ESCAPED in assert_escaped(
        supervisor_client.get(reverse("conference-list"), {"q": "onerror"})
    )  # the filter's echo
    assert ESCAPED in assert_escaped(supervisor_client.get(reverse("conference-detail", args=[conference])))
    assert ESCAPED in assert_escaped(supervisor_client.get(reverse("conference-detail", args=[room.conference_sid])))
    due(conference)
    assert ESCAPED in assert_escaped(supervisor_client.get(reverse("participant-table", args=[conference]), **HTMX))
    # Row partials from actions, their live-region message, and the kick's "gone" row.
    for action in ("mute", "hold", "kick"):
        response = supervisor_client.post(
            reverse("participant", args=[conference, caller.call_sid]), {"action": action}, **HTMX
        )
        assert ESCAPED in assert_escaped(response)
        # The live-region message is JSON in a header; the page's script sets it as text.
        assert "dashboard:announce" in response["HX-Trigger"]
    # An invalid coach pick echoes nothing raw.
    assert_escaped(
        supervisor_client.post(
            reverse("participant", args=[conference, demo.call_sid(ESCALATION, "agent:carol")]),
            {"action": "coach", "call_sid_to_coach": EVIL},
            **HTMX,
        )
    )
    # The add form's errors echo what was typed, escaped.
    assert_escaped(
        supervisor_client.post(
            reverse("participant-add", args=[conference]), {"to": EVIL, "from_": EVIL, "label": EVIL}, **HTMX
        )
    )
    # The audit trail shows the label the actions were recorded with.
    admin = django_user_model.objects.create_user("admin-viewer")
    assign_role(admin, ADMIN)
    supervisor_client.force_login(admin)
    assert ESCAPED in assert_escaped(supervisor_client.get(reverse("audit-list")))


def test_the_page_script_writes_messages_as_text_only():
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "static" / "dashboard.js").read_text()
    assert "region.textContent = message" in script
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script
