"""Move to… and Bring back from a row: permission, confirmation, one UpdateCall, both rooms' story."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from conference_admin.access.roles import OBSERVER, SUPERVISOR, assign_role
from conference_admin.audit.models import AuditRecord

from .conftest import BILLING, ESCALATION, SALES, upstream

HTMX = {"HTTP_HX_REQUEST": "true"}


def move(client, demo, conference: str, label: str, action: str = "move", **data: str):
    url = reverse("participant", args=[demo.sid(conference), demo.call_sid(conference, label)])
    demo.simulator.reset_request_log()
    return client.post(url, {"action": action, **data}, **HTMX)


def room_sid(demo, name: str) -> str:
    sim = demo.simulator
    return next(
        c.sid for c in sim.list_conferences(sim.account_sid) if c.friendly_name == name and c.status != "completed"
    )


def timeline(client, conference_sid: str) -> str:
    return client.get(reverse("conference-timeline", args=[conference_sid])).content.decode()


def test_a_lead_moves_a_participant_into_a_new_side_room_with_one_update_call(supervisor_client, demo, seen) -> None:
    seen(ESCALATION)
    response = move(
        supervisor_client, demo, ESCALATION, "agent:carol", move_new_room="Side room 2", move_arrive="muted"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Moved agent:carol to Side room 2." in html and "row--gone" in html
    assert [r.operation for r in upstream(demo.simulator)] == ["UpdateCall"]
    side = room_sid(demo, "Side room 2")
    moved = demo.simulator.fetch_participant(demo.simulator.account_sid, side, "agent:carol")
    assert (moved.muted, moved.hold) == (True, False)
    # The story, in both rooms: who moved where, by whom.
    assert "agent:carol moved to Side room 2" in timeline(supervisor_client, demo.sid(ESCALATION))
    page = supervisor_client.get(reverse("conference-detail", args=[side])).content.decode()
    assert "Moved here from Escalation: outage #4471 by supervisor" in page
    # "Bring back", among the controls the row names after the participant.
    assert re.search(r'<fieldset class="btns" aria-label="agent:carol">.*?value="bring-back">Bring back</button>', page)
    assert "agent:carol moved here from Escalation: outage #4471" in timeline(supervisor_client, side)


def test_bring_back_returns_them_to_the_room_they_came_from(supervisor_client, demo, seen) -> None:
    seen(ESCALATION)
    move(supervisor_client, demo, ESCALATION, "agent:carol", move_new_room="Side room 3")
    side = room_sid(demo, "Side room 3")
    supervisor_client.get(reverse("conference-detail", args=[side]))
    url = reverse("participant", args=[side, _sid(demo, side)])
    demo.simulator.reset_request_log()
    # Alone in the side room: bringing them back ends it, so the page asks first and sends nothing.
    asked = supervisor_client.post(url, {"action": "bring-back"}, **HTMX).content.decode()
    assert "the last one here" in asked and "Bring back anyway" in asked
    assert upstream(demo.simulator) == []
    done = supervisor_client.post(url, {"action": "bring-back", "confirm": "anyway"}, **HTMX)
    assert "Brought agent:carol back to Escalation: outage #4471." in done.content.decode()
    assert [r.operation for r in upstream(demo.simulator)] == ["UpdateCall"]
    assert demo.participant(ESCALATION, "agent:carol").status == "connected"
    assert "agent:carol brought back to Escalation: outage #4471" in timeline(supervisor_client, side)


def _sid(demo, side: str) -> str:
    (only,) = demo.simulator.list_participants(demo.simulator.account_sid, side)
    return only.call_sid


def test_moving_the_one_whose_exit_ends_the_room_asks_first(supervisor_client, demo, seen) -> None:
    seen(BILLING)
    asked = move(supervisor_client, demo, BILLING, "agent:alice", move_new_room="Side")
    html = asked.content.decode()
    assert "ends this conference on exit" in html and 'name="move_new_room" value="Side"' in html
    assert upstream(demo.simulator) == [] and not AuditRecord.objects.filter(action="move").exists()
    done = move(supervisor_client, demo, BILLING, "agent:alice", move_new_room="Side", confirm="anyway")
    assert "Moved agent:alice to Side." in done.content.decode()
    assert demo.simulator.fetch_conference(demo.simulator.account_sid, demo.sid(BILLING)).status == "completed"


def test_moving_the_last_customer_says_what_happens_to_the_room(supervisor_client, demo, seen) -> None:
    seen(SALES)
    html = move(supervisor_client, demo, SALES, "customer:Dana Whitfield", move_room=ESCALATION).content.decode()
    assert "the last customer here: the 1 others stay in this conference without a customer" in html
    assert upstream(demo.simulator) == []


def test_moving_to_a_live_conference_as_a_coach_of_someone_there(supervisor_client, demo, seen) -> None:
    seen(SALES)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    response = move(
        supervisor_client, demo, SALES, "agent:bob", move_room=ESCALATION, move_arrive="coach", move_coach=carol
    )
    assert "Moved agent:bob to Escalation: outage #4471." in response.content.decode()
    bob = demo.participant(ESCALATION, "agent:bob")
    assert (bob.coaching, bob.call_sid_to_coach) == (True, carol)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Pick a conference or name a new room."),
        ({"move_new_room": "x" * 128 + "y"}, "at most 128 characters"),
        ({"move_new_room": "Side", "move_arrive": "coach"}, "A coach needs someone to coach"),
    ],
)
def test_bad_input_is_shown_next_to_the_fields_without_calling_twilio(supervisor_client, demo, seen, data, error):
    seen(ESCALATION)
    html = move(supervisor_client, demo, ESCALATION, "agent:carol", **data).content.decode()
    assert error in html and upstream(demo.simulator) == []


def test_twilios_refusal_is_inline_with_its_code(supervisor_client, demo, seen) -> None:
    seen(ESCALATION)
    html = move(supervisor_client, demo, ESCALATION, "customer:Acme on-call", move_new_room="Side").content.decode()
    assert "21220" in html and "row--gone" not in html


@pytest.mark.parametrize("role", [OBSERVER, SUPERVISOR])
def test_only_leads_and_admins_may_move(client, django_user_model, demo, seen, role) -> None:
    user = django_user_model.objects.create_user(f"someone-{role}")
    assign_role(user, role)
    client.force_login(user)
    assert move(client, demo, ESCALATION, "agent:carol", move_new_room="Side").status_code == 403
    assert upstream(demo.simulator) == []
    if role == SUPERVISOR:
        picker = reverse("participant", args=[demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")])
        assert "Move agent:carol" not in client.get(picker + "?picker=more", **HTMX).content.decode()


def test_the_more_menu_offers_the_live_conferences_to_a_lead(supervisor_client, demo, seen) -> None:
    supervisor_client.get(reverse("conference-list"))  # the conferences as last listed, with their rosters
    seen(ESCALATION)
    picker = reverse("participant", args=[demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")])
    html = supervisor_client.get(picker + "?picker=more", **HTMX).content.decode()
    assert upstream(demo.simulator) == []  # opening the menu asks Twilio nothing
    assert 'aria-label="Move agent:carol"' in html
    assert f'<option value="{SALES}">' in html and f'<option value="{ESCALATION}">' not in html
    assert "agent:bob" in html  # whom one could coach there


def test_without_javascript_a_move_redirects_back_and_a_confirmation_is_a_page(supervisor_client, demo, seen) -> None:
    seen(BILLING)
    url = reverse("participant", args=[demo.sid(BILLING), demo.call_sid(BILLING, "agent:alice")])
    asked = supervisor_client.post(url, {"action": "move", "move_new_room": "Side"})
    assert asked.status_code == 200 and "<html" in asked.content.decode() and "Move anyway" in asked.content.decode()
    done = supervisor_client.post(url, {"action": "move", "move_new_room": "Side", "confirm": "anyway"})
    assert done.status_code == 302 and done["Location"] == reverse("conference-detail", args=[demo.sid(BILLING)])


def test_an_action_on_someone_moved_here_keeps_where_they_came_from(supervisor_client, demo, seen) -> None:
    """The arrival is read with the participant as the action is marked: the row the action
    answers still says where they came from."""
    seen(ESCALATION)
    move(supervisor_client, demo, ESCALATION, "agent:carol", move_new_room="Side room 4")
    side = room_sid(demo, "Side room 4")
    supervisor_client.get(reverse("conference-detail", args=[side]))  # the side room's roster is known
    carol = demo.simulator.fetch_participant(demo.simulator.account_sid, side, "agent:carol").call_sid
    response = supervisor_client.post(reverse("participant", args=[side, carol]), {"action": "unmute"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "Mute agent:carol" in html
    assert "Moved here from Escalation: outage #4471 by supervisor" in html
