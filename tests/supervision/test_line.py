"""Your line: listen in → whisper → barge → back to listening → leave, each ONE upstream call."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conference_admin.audit.models import AuditRecord
from conference_admin.supervision.models import SupervisorProfile

from .conftest import BILLING, ESCALATION
from .helpers import HTMX, announced, flat, post, reconcile

LABEL = "supervisor:supervisor"


@pytest.fixture
def on_profile(supervisor_client, django_user_model):
    user = django_user_model.objects.get(username="supervisor")
    SupervisorProfile.objects.create(user=user, phone="client:supervisor")
    return user


def the_one_request(simulator):
    log = simulator.request_log
    assert len(log) == 1, [(r.method, r.path) for r in log]
    return log[0]


def panel(client, conference_sid):
    response = client.get(reverse("supervision-panel", args=[conference_sid]), **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_listen_in_whisper_barge_listen_leave(supervisor_client, demo, seen, on_profile):
    sim, sid = demo.simulator, demo.sid(BILLING)
    seen(BILLING)
    assert "Listen in" in panel(supervisor_client, sid)

    # Listen in: one CreateParticipant, muted, silent, labelled, never ending the conference.
    sim.reset_request_log()
    response = post(supervisor_client, "supervision-line-dial", sid)
    assert response.status_code == 200 and "Dialling you" in announced(response)
    request = the_one_request(sim)
    assert request.operation == "CreateParticipant"
    sent = flat(request.params)
    assert sent["To"] == "client:supervisor" and sent["From"] == "+15005550006"
    assert sent["Muted"] == "true" and sent["Beep"] == "false" and sent["Label"] == LABEL
    assert sent["EndConferenceOnExit"] == "false"
    record = AuditRecord.objects.get(action="line:listen-in")
    assert record.outcome == "ok" and record.participant_label == LABEL and record.participant_sid.startswith("CA")
    assert "Dialling you" in response.content.decode()

    # The leg rings, then answers on the simulator's clock; the poller reconciles the roster.
    sim.clock.advance(3)
    reconcile(sid)
    leg = demo.participant(BILLING, LABEL)
    assert leg.status == "connected" and leg.muted is True
    assert "Listening (muted: nobody hears you)" in panel(supervisor_client, sid)

    # Whisper to alice: one update on the supervisor's own leg.
    alice = demo.call_sid(BILLING, "agent:alice")
    sim.reset_request_log()
    response = post(supervisor_client, "supervision-line-whisper", sid, {"call_sid_to_coach": alice})
    request = the_one_request(sim)
    assert request.operation == "UpdateParticipant" and request.path.endswith(f"/Participants/{leg.call_sid}.json")
    assert flat(request.params) == {"Muted": "false", "Coaching": "true", "CallSidToCoach": alice}
    state = demo.participant(BILLING, LABEL)
    assert state.coaching is True and state.call_sid_to_coach == alice and state.muted is False
    assert "Whispering to agent:alice (only they hear you)" in response.content.decode()

    # Whisper to someone else: still one update (Twilio allows one coached participant).
    customer = demo.call_sid(BILLING, "customer:+14155550101")
    sim.reset_request_log()
    post(supervisor_client, "supervision-line-whisper", sid, {"call_sid_to_coach": customer})
    assert flat(the_one_request(sim).params)["CallSidToCoach"] == customer
    assert demo.participant(BILLING, LABEL).call_sid_to_coach == customer

    # Barge: everyone hears them.
    sim.reset_request_log()
    response = post(supervisor_client, "supervision-line-barge", sid)
    assert flat(the_one_request(sim).params) == {"Muted": "false", "Coaching": "false"}
    state = demo.participant(BILLING, LABEL)
    assert state.muted is False and state.coaching is False
    assert "Barged in (everyone hears you)" in response.content.decode()

    # Back to listening.
    sim.reset_request_log()
    response = post(supervisor_client, "supervision-line-listen", sid)
    assert flat(the_one_request(sim).params) == {"Muted": "true", "Coaching": "false"}
    assert demo.participant(BILLING, LABEL).muted is True
    assert "Listening (muted" in response.content.decode()

    # Leave: DELETE of their own leg.
    sim.reset_request_log()
    response = post(supervisor_client, "supervision-line-leave", sid)
    request = the_one_request(sim)
    assert request.method == "DELETE" and request.path.endswith(f"/Participants/{leg.call_sid}.json")
    assert LABEL not in [p.label for p in sim.list_participants(sim.account_sid, sid)]
    assert "Not on the line" in response.content.decode()

    actions = list(
        AuditRecord.objects.filter(action__startswith="line:").order_by("id").values_list("action", "outcome")
    )
    assert actions == [
        ("line:listen-in", "ok"),
        ("line:whisper", "ok"),
        ("line:whisper", "ok"),
        ("line:barge", "ok"),
        ("line:listen", "ok"),
        ("line:leave", "ok"),
    ]


def test_listen_in_needs_a_profile_number(supervisor_client, demo, seen):
    seen(BILLING)
    response = post(supervisor_client, "supervision-line-dial", demo.sid(BILLING))
    assert response.status_code == 200
    assert "Set your phone number or client identity" in response.content.decode()
    assert demo.simulator.request_log == []


def test_other_supervisors_see_who_listens_and_coaches_whom(supervisor_client, demo, seen, plain_supervisor_client):
    seen(BILLING)
    body = panel(plain_supervisor_client, demo.sid(BILLING))
    # The demo's supervisor:sam coaches alice; "sam" is this client's own user, so the Lead sees it.
    assert "No other supervisor is on the line" in body  # sam's own leg is "Your line" for sam
    assert "Whispering to agent:alice" in body
    lead_body = panel(supervisor_client, demo.sid(BILLING))
    assert "<strong>sam</strong>: coaching agent:alice" in lead_body


def test_whisper_picker_offers_one_target_and_says_why(supervisor_client, demo, seen, plain_supervisor_client):
    seen(BILLING)
    body = panel(plain_supervisor_client, demo.sid(BILLING))
    assert body.count('name="call_sid_to_coach"') == 1
    assert "one participant at a time" in body
    assert f'value="{demo.call_sid(BILLING, "agent:alice")}" selected' in body


def test_whisper_needs_a_target(supervisor_client, demo, seen, on_profile):
    seen(ESCALATION)
    response = post(
        supervisor_client, "supervision-line-whisper", demo.sid(ESCALATION), {"call_sid_to_coach": "nobody"}
    )
    assert "Pick a participant" in response.content.decode()
    assert demo.simulator.request_log == []


def test_switching_a_line_that_is_not_there_says_so(supervisor_client, demo, seen, on_profile):
    seen(ESCALATION)
    response = post(supervisor_client, "supervision-line-barge", demo.sid(ESCALATION))
    body = response.content.decode()
    assert response.status_code == 200 and "Your line is not in the conference" in body and "20404" in body
    assert AuditRecord.objects.get(action="line:barge").outcome == "failed"


def test_an_observer_cannot_listen_in(client, django_user_model, demo, seen):
    from conference_admin.access.roles import OBSERVER, assign_role

    user = django_user_model.objects.create_user("olive")
    assign_role(user, OBSERVER)
    client.force_login(user)
    SupervisorProfile.objects.create(user=user, phone="+14155550199")
    demo.simulator.reset_request_log()
    for name in (
        "supervision-line-dial",
        "supervision-line-listen",
        "supervision-line-whisper",
        "supervision-line-barge",
        "supervision-line-leave",
    ):
        assert post(client, name, demo.sid(BILLING)).status_code == 403
    assert demo.simulator.request_log == []
    assert "Listen in" not in panel(client, demo.sid(BILLING))


def test_non_htmx_line_change_redirects_with_a_message(supervisor_client, demo, seen, on_profile):
    seen(ESCALATION)
    response = supervisor_client.post(reverse("supervision-line-dial", args=[demo.sid(ESCALATION)]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "conference-detail", args=[demo.sid(ESCALATION)]
    )
