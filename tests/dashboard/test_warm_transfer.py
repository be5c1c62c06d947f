"""Warm transfer in one submit: the dial-out (every create parameter) into a new side room, then the
chosen people moved there. Upstream: one CreateParticipant, then one UpdateCall per person moved."""

from __future__ import annotations

import json

from django.urls import reverse

from conference_admin.access.roles import OBSERVER, assign_role
from conference_admin.audit.models import AuditRecord

from .conftest import ESCALATION, upstream

HTMX = {"HTTP_HX_REQUEST": "true"}
SPECIALIST = {"to": "client:specialist", "from_": "+15005550006", "label": "agent:specialist", "early_media": "on"}


def transfer(client, demo, **data):
    demo.simulator.reset_request_log()
    return client.post(reverse("participant-add", args=[demo.sid(ESCALATION)]), {**SPECIALIST, **data}, **HTMX)


def test_dial_a_specialist_into_a_side_room_and_move_the_customer_and_the_agent(supervisor_client, demo, seen):
    seen(ESCALATION)
    customer = demo.call_sid(ESCALATION, "customer:+14155550103")
    agent = demo.call_sid(ESCALATION, "agent:carol")
    response = transfer(
        supervisor_client, demo, transfer_room="Side room 7", transfer_move=[customer, agent], muted="on"
    )
    assert response.status_code == 200
    assert [r.operation for r in upstream(demo.simulator)] == ["CreateParticipant", "UpdateCall", "UpdateCall"]
    create = upstream(demo.simulator)[0]
    assert "Side room 7" in create.path and create.params["Muted"] == ["true"]  # the dial-out's own options
    html = response.content.decode()
    assert response["HX-Reswap"] == "none"
    assert f'id="participant-{customer}"' in html and 'hx-swap-oob="true"' in html and "Moved to Side room 7." in html
    message = json.loads(response["HX-Trigger"])["dashboard:announce"]["message"]
    assert message == "Dialling agent:specialist into Side room 7; moved customer:+14155550103, agent:carol there."
    sim = demo.simulator
    side = next(c for c in sim.list_conferences(sim.account_sid) if c.friendly_name == "Side room 7")
    assert {p.label for p in sim.list_participants(sim.account_sid, side.sid)} == {
        "agent:specialist",
        "customer:+14155550103",
        "agent:carol",
    }
    assert [r.action for r in AuditRecord.objects.order_by("id")] == ["warm-transfer", "move", "move"]


def test_a_transfer_needs_someone_to_move_and_no_coaching_and_sends_nothing_otherwise(supervisor_client, demo, seen):
    seen(ESCALATION)
    html = transfer(supervisor_client, demo, transfer_room="Side room 8").content.decode()
    assert "Choose whom to move into the side room" in html
    carol = demo.call_sid(ESCALATION, "agent:carol")
    html = transfer(
        supervisor_client,
        demo,
        transfer_room="Side room 8",
        transfer_move=[carol],
        coaching="on",
        call_sid_to_coach=carol,
    ).content.decode()
    assert "nobody yet to coach" in html
    assert upstream(demo.simulator) == []


def test_a_refused_dial_moves_nobody(supervisor_client, demo, seen):
    seen(ESCALATION)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    demo.simulator.faults.inject(kind="error", operation="CreateParticipant", status=500, count=1)
    html = transfer(supervisor_client, demo, transfer_room="Side room 9", transfer_move=[carol]).content.decode()
    assert [r.operation for r in upstream(demo.simulator)] == ["CreateParticipant"]
    assert "Dialling into Side room 9 failed, nobody was moved" in html and "20500" in html
    assert demo.participant(ESCALATION, "agent:carol").status == "connected"


def test_a_refused_move_is_reported_with_twilios_code_and_the_others_go_on(supervisor_client, demo, seen):
    seen(ESCALATION)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    dave = demo.call_sid(ESCALATION, "agent:dave")
    # The specialist takes carol's label in the side room: Twilio refuses carol there (16026), dave goes.
    response = transfer(
        supervisor_client, demo, transfer_room="Side room 10", transfer_move=[carol, dave], label="agent:carol"
    )
    message = json.loads(response["HX-Trigger"])["dashboard:announce"]["message"]
    assert "moved agent:dave there" in message and "Moving agent:carol failed" in message and "16026" in message
    assert demo.participant(ESCALATION, "agent:carol").status == "connected"


def test_an_observer_cannot_transfer(client, django_user_model, demo, seen):
    user = django_user_model.objects.create_user("watcher")
    assign_role(user, OBSERVER)
    client.force_login(user)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    assert transfer(client, demo, transfer_room="Side", transfer_move=[carol]).status_code == 403
    assert upstream(demo.simulator) == []
