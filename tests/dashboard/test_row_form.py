"""One form per participant row: buttons name the action, pickers load when opened, and the page
keeps working without JavaScript (plain POSTs redirect back; the call SID links to a page of forms)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from .conftest import BILLING, ESCALATION, SALES, upstream

HTMX = {"HTTP_HX_REQUEST": "true"}
ROW_BUDGET = 1536  # bytes of one rendered row, everything included


def row_html(html: str, call_sid: str) -> str:
    start = html.index(f'<tr id="participant-{call_sid}"')
    return html[start : html.index("</tr>", start) + len("</tr>")]


@pytest.mark.parametrize("conference", [ESCALATION, SALES, BILLING])
def test_every_row_is_one_form_within_the_byte_budget(supervisor_client, demo, seen, conference):
    html = seen(conference).content.decode()
    participants = demo.simulator.list_participants(demo.simulator.account_sid, demo.sid(conference))
    sizes = []
    for participant in participants:
        row = row_html(html, participant.call_sid)
        assert row.count("<form") == 1, participant.label
        assert row.count("csrfmiddlewaretoken") <= 1, participant.label
        # Every row, the one whose exit ends the conference included (its safe-hold choice is a
        # picker loaded when opened): tests/dashboard/test_row_sizes.py measures every kind.
        sizes.append(len(row.encode()))
        assert sizes[-1] <= ROW_BUDGET, (participant.label, sizes[-1])
    assert sizes
    assert html.count('hx-headers=\'{"x-csrftoken": "') == 1  # CSRF for htmx once, on <body>


def test_a_plain_row_is_under_one_and_a_half_kib(supervisor_client, demo, seen):
    html = seen(ESCALATION).content.decode()
    row = row_html(html, demo.call_sid(ESCALATION, "agent:carol"))
    assert row.count("<form") == 1 and len(row.encode()) <= ROW_BUDGET, len(row.encode())


def test_the_row_buttons_name_their_action(supervisor_client, demo, seen):
    html = seen(ESCALATION).content.decode()
    carol = demo.call_sid(ESCALATION, "agent:carol")
    row = row_html(html, carol)
    url = reverse("participant", args=[demo.sid(ESCALATION), carol])
    assert f'action="{url}" hx-post>' in row  # htmx posts to the action (static/dashboard.js)
    assert '<button name="action" value="mute" aria-label="Mute agent:carol">Mute</button>' in row
    assert '<button name="action" value="hold" aria-label="Hold agent:carol">Hold</button>' in row


def post_row_form(client, demo, conference, label, data, **extra):
    demo.simulator.reset_request_log()
    url = reverse("participant", args=[demo.sid(conference), demo.call_sid(conference, label)])
    return client.post(url, data, **extra)


def test_the_row_form_performs_the_named_action_and_answers_the_row(supervisor_client, demo, seen):
    seen(ESCALATION)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    response = post_row_form(supervisor_client, demo, ESCALATION, "agent:carol", {"action": "mute"}, **HTMX)
    assert response.status_code == 200
    assert [r.operation for r in upstream(demo.simulator)] == ["UpdateParticipant"]
    assert demo.participant(ESCALATION, "agent:carol").muted is True
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="participant-{carol}"') and 'value="unmute"' in html
    assert "csrfmiddlewaretoken" not in html  # a row htmx brings posts with the header set on <body>
    assert json.loads(response["HX-Trigger"])["dashboard:announce"]["message"] == "Muted agent:carol."


def test_without_javascript_the_row_form_redirects_back(supervisor_client, demo, seen):
    seen(ESCALATION)
    response = post_row_form(supervisor_client, demo, ESCALATION, "agent:carol", {"action": "hold"})
    assert response.status_code == 302
    assert response["Location"] == reverse("conference-detail", args=[demo.sid(ESCALATION)])
    assert demo.participant(ESCALATION, "agent:carol").hold is True


def test_an_unknown_action_is_refused_and_sends_nothing(supervisor_client, demo, seen):
    seen(ESCALATION)
    response = post_row_form(supervisor_client, demo, ESCALATION, "agent:carol", {"action": "explode"}, **HTMX)
    assert response.status_code == 404
    assert upstream(demo.simulator) == []


def test_the_hold_guard_applies_to_the_row_form(supervisor_client, demo, seen):
    seen(BILLING)
    alice = demo.call_sid(BILLING, "agent:alice")
    response = post_row_form(supervisor_client, demo, BILLING, "agent:alice", {"action": "hold"}, **HTMX)
    assert response["HX-Retarget"] == f"#note-{alice}" and "Hold anyway" in response.content.decode()
    assert upstream(demo.simulator) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("coach", 'value="coach"'),
        ("announce", 'aria-label="Play announcement to agent:carol"'),
        ("more", "Beep on exit: <strong>not set</strong>"),
        ("kick", 'aria-label="Confirm kick agent:carol"'),
    ],
)
def test_each_picker_loads_its_fields_without_a_form_of_its_own(supervisor_client, demo, seen, name, expected):
    seen(ESCALATION)
    demo.simulator.reset_request_log()
    url = reverse("participant", args=[demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")])
    html = supervisor_client.get(url, {"picker": name}, **HTMX).content.decode()
    assert expected in html
    assert "<form" not in html and "<html" not in html  # its fields join the row's one form
    assert upstream(demo.simulator) == []  # from the shared roster


def test_without_javascript_the_participant_page_has_every_picker_as_a_form(supervisor_client, demo, seen):
    seen(ESCALATION)
    url = reverse("participant", args=[demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")])
    html = supervisor_client.get(url).content.decode()
    assert "<html" in html and html.count(f'action="{url}"') == 4  # coach, announce, settings, remove
    assert html.count('name="csrfmiddlewaretoken"') >= 4
    assert "agent:carol coaches" in html and "Beep on exit" in html and "Confirm kick agent:carol" in html


def test_an_unknown_picker_is_not_found(supervisor_client, demo, seen):
    seen(ESCALATION)
    url = reverse("participant", args=[demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")])
    assert supervisor_client.get(url, {"picker": "nope"}, **HTMX).status_code == 404


def test_without_javascript_the_conference_page_links_to_the_participant_pages(supervisor_client, demo, seen):
    html = seen(ESCALATION).content.decode()
    pages = reverse("participant-pages", args=[demo.sid(ESCALATION)])
    assert f'<noscript><p class="hint"><a href="{pages}">' in html
    index = supervisor_client.get(pages).content.decode()
    carol = reverse("participant", args=[demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")])
    assert f'<a href="{carol}">agent:carol</a>' in index
