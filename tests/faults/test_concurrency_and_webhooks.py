"""Two supervisors at once, and the simulator's real callback deliveries replayed, reordered
or tampered with on their way to the dashboard's webhooks."""

from __future__ import annotations

import secrets
import threading

import pytest
import requests
from django.test import Client
from django.urls import reverse

from conference_admin.access.roles import LEAD, assign_role
from conference_admin.audit.models import AuditRecord
from conference_admin.live import roster
from conference_admin.live.models import ConferenceEvent
from conference_admin.simulator.demo import load_demo
from conference_admin.simulator.engine import ManualClock, Simulator
from conference_admin.simulator.server import start_simulator
from conference_admin.twilio import TwilioClient

from .conftest import ESCALATION, HTMX, due


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("actions", [("mute", "mute"), ("mute", "hold"), ("hold", "kick")])
def test_two_supervisors_act_on_the_same_participant_at_once(simulator, django_user_model, actions):
    conferences = {c.friendly_name: c for c in load_demo(simulator)}
    conference = conferences[ESCALATION].sid
    carol = simulator.fetch_participant(simulator.account_sid, conference, "agent:carol").call_sid
    clients = []
    for name in ("ann", "ben"):
        user = django_user_model.objects.create_user(name)
        assign_role(user, LEAD)
        client = Client()
        client.force_login(user)
        assert client.get(reverse("conference-detail", args=[conference])).status_code == 200
        clients.append(client)
    simulator.faults.inject(kind="latency", latency_ms=150, operation="UpdateParticipant")
    simulator.faults.inject(kind="latency", latency_ms=150, operation="DeleteParticipant")
    start = threading.Barrier(2)
    responses = [None, None]

    def act(index):
        start.wait()
        url = reverse("participant", args=[conference, carol])
        responses[index] = clients[index].post(url, {"action": actions[index]}, **HTMX)

    threads = [threading.Thread(target=act, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    simulator.faults.clear()
    assert all(r is not None and r.status_code == 200 for r in responses)

    # Both actions audited, each by its own supervisor.
    assert sorted(AuditRecord.objects.filter(resolves__isnull=True).values_list("actor_username", flat=True)) == [
        "ann",
        "ben",
    ]
    # After one refresh, both pages show the truth.
    truth = {p.call_sid: (p.muted, p.hold) for p in simulator.list_participants(simulator.account_sid, conference, {})}
    due(conference)
    for client in clients:
        due(conference)
        table = client.get(reverse("participant-table", args=[conference]), **HTMX).content.decode()
        shown = roster.load(conference)
        assert {sid: (e.participant.muted, e.participant.hold) for sid, e in shown.entries.items()} == truth
        if carol in truth:
            muted, held = truth[carol]
            row = table[table.find(f'id="participant-{carol}"') :]
            row = row[: row.find("</tr>")]
            assert ("chip--muted" in row) == muted and ("row--held" in row) == held
        else:
            assert f'id="participant-{carol}" class="row row--connected' not in table


# --- real deliveries from the simulator --------------------------------------------------------

ACCOUNT = "AC" + "fa" * 16
TOKEN = secrets.token_hex(16)


@pytest.fixture
def wired(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = TOKEN
    simulator = Simulator(account_sid=ACCOUNT, auth_token=TOKEN, clock=ManualClock(), seed=5)
    simulator.callbacks.use_dashboard(live_server.url)
    server = start_simulator(simulator)
    client = TwilioClient(account_sid=ACCOUNT, auth_token=TOKEN, base_url=server.base_url, read_timeout=5)
    try:
        yield simulator, client
    finally:
        client.close()
        server.stop()
        simulator.callbacks.close()


def replay(delivery, **changes):
    params = {**delivery.params, **changes}
    headers = {
        k: v
        for k, v in delivery.headers.items()
        if k.lower() in ("x-twilio-signature", "content-type", "user-agent", "i-twilio-idempotency-token")
    }
    return requests.post(delivery.url, data=params, headers=headers, timeout=5)


def mute_deliveries(simulator, client):
    conference = simulator.create_participant(
        ACCOUNT, "Webhook room", {"From": "+15005550006", "To": "+14155550160", "Label": "agent:kim"}
    )
    simulator.answer(ACCOUNT, conference.conference_sid, conference.call_sid)
    client.update_participant(conference.conference_sid, "agent:kim", muted=True)
    client.update_participant(conference.conference_sid, "agent:kim", muted=False)
    assert simulator.callbacks.flush(5)
    by_event = {
        d.params.get("StatusCallbackEvent"): d for d in simulator.callbacks.deliveries if d.kind == "conference"
    }
    return conference, by_event


@pytest.mark.django_db(transaction=True)
def test_a_real_delivery_sent_twice_is_applied_once(wired):
    simulator, client = wired
    conference, by_event = mute_deliveries(simulator, client)
    stored = ConferenceEvent.objects.count()
    version = roster.load(conference.conference_sid).version
    response = replay(by_event["participant-unmute"])
    assert response.status_code == 204
    assert ConferenceEvent.objects.count() == stored
    assert roster.load(conference.conference_sid).version == version


@pytest.mark.django_db(transaction=True)
def test_a_real_delivery_arriving_late_never_regresses_state(wired):
    simulator, client = wired
    conference, by_event = mute_deliveries(simulator, client)
    assert roster.load(conference.conference_sid).entries[conference.call_sid].participant.muted is False
    # The mute's callback again, as if it had been delayed past the unmute (a new delivery token).
    late = replay(by_event["participant-mute"], **{})
    assert late.status_code == 204
    assert roster.load(conference.conference_sid).entries[conference.call_sid].participant.muted is False


@pytest.mark.django_db(transaction=True)
def test_a_tampered_real_delivery_is_403_and_nothing_is_stored(wired):
    simulator, client = wired
    conference, by_event = mute_deliveries(simulator, client)
    stored = ConferenceEvent.objects.count()
    version = roster.load(conference.conference_sid).version
    response = replay(by_event["participant-unmute"], Muted="true", SequenceNumber="999")
    assert response.status_code == 403
    assert ConferenceEvent.objects.count() == stored
    assert roster.load(conference.conference_sid).version == version
