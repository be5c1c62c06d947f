"""End to end: the simulator's signed status callbacks reach the dashboard's webhooks.

The dashboard runs under pytest-django's `live_server`; a dedicated simulator sends every event
of its conferences there (its callback base URL), signing with the account's Auth Token for the
exact URL it requests. The webhooks check that signature against PUBLIC_BASE_URL, store the event
and update the shared roster, exactly as they would for Twilio.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator

import pytest

from conference_admin.live import roster
from conference_admin.live.models import ConferenceEvent
from conference_admin.simulator.engine import ManualClock, Simulator
from conference_admin.simulator.server import SimulatorServer, start_simulator
from conference_admin.twilio import TwilioClient

ACCOUNT = "AC" + "e2" * 16
TOKEN = secrets.token_hex(16)


@pytest.fixture
def dashboard(live_server, settings):  # type: ignore[no-untyped-def]
    settings.PUBLIC_BASE_URL = live_server.url
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = TOKEN
    return live_server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def simulator_for_dashboard(dashboard, clock: ManualClock) -> Iterator[SimulatorServer]:  # type: ignore[no-untyped-def]
    simulator = Simulator(account_sid=ACCOUNT, auth_token=TOKEN, clock=clock, seed=21)
    simulator.callbacks.use_dashboard(dashboard.url)
    server = start_simulator(simulator)
    try:
        yield server
    finally:
        server.stop()
        simulator.callbacks.close()


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the dashboard never saw it"
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_mute_join_and_speech_reach_the_roster_and_timeline(
    simulator_for_dashboard: SimulatorServer, clock: ManualClock
) -> None:
    simulator = simulator_for_dashboard.simulator
    client = TwilioClient(
        account_sid=ACCOUNT, auth_token=TOKEN, base_url=simulator_for_dashboard.base_url, read_timeout=5
    )
    try:
        agent = client.create_participant("Support: e2e", from_="+15005550006", to="client:alice", label="agent:alice")
        conference = agent.conference_sid
        clock.advance(3)
        client.update_participant(conference, "agent:alice", muted=True)
        caller = simulator.join(conference, label="customer:Priya Raman", from_="+14155550142")
        simulator.start_speaking(conference, caller.call_sid)
    finally:
        client.close()
    assert simulator.callbacks.flush(10)

    deliveries = simulator.callbacks.deliveries
    assert deliveries and all(d.status == 204 for d in deliveries), [(d.event, d.status) for d in deliveries]
    assert {d.url for d in deliveries} == {
        f"{simulator_for_dashboard_url(simulator)}/webhooks/twilio/conference-status",
        f"{simulator_for_dashboard_url(simulator)}/webhooks/twilio/call-status?conference={conference}",
    }

    events = list(
        ConferenceEvent.objects.filter(conference_sid=conference)
        .order_by("sequence_number", "id")
        .values_list("event", "label")
    )
    conference_events = [event for event in events if not event[0].startswith("call-")]
    # The agent waits alone (init) until the caller joins: the second participant starts it.
    assert conference_events == [
        ("participant-join", "agent:alice"),
        ("participant-mute", "agent:alice"),
        ("participant-join", "customer:Priya Raman"),
        ("conference-start", ""),
        ("participant-speech-start", "customer:Priya Raman"),
    ]
    assert {"call-initiated", "call-ringing", "call-in-progress"} <= {event for event, _ in events}

    current = roster.load(conference)
    assert current is not None and current.mode == "callbacks"
    assert current.conference_status == "in-progress"
    entries = current.entries
    assert entries[agent.call_sid].participant.muted is True
    assert entries[agent.call_sid].participant.status == "connected"
    assert entries[caller.call_sid].participant.label == "customer:Priya Raman"
    assert entries[caller.call_sid].speaking is True


@pytest.mark.django_db(transaction=True)
def test_a_callback_signed_for_another_url_is_refused(simulator_for_dashboard: SimulatorServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PUBLIC_BASE_URL = "https://dash.example.com"  # not the URL the simulator requested
    simulator = simulator_for_dashboard.simulator
    agent = simulator.create_participant(ACCOUNT, "Refused", {"From": "+15005550006", "To": "client:bob"})
    simulator.answer(ACCOUNT, agent.conference_sid, agent.call_sid)
    assert simulator.callbacks.flush(10)
    assert {d.status for d in simulator.callbacks.deliveries} == {403}
    assert simulator.callbacks.failed == len(simulator.callbacks.deliveries)
    assert not ConferenceEvent.objects.filter(conference_sid=agent.conference_sid).exists()


def simulator_for_dashboard_url(simulator: Simulator) -> str:
    url = simulator.callbacks.default_conference_url or ""
    return url.removesuffix("/webhooks/twilio/conference-status")


@pytest.mark.django_db(transaction=True)
def test_a_moves_leave_and_join_reach_both_rooms_rosters_and_timelines(
    simulator_for_dashboard: SimulatorServer, clock: ManualClock
) -> None:
    """UpdateCall with `<Dial><Conference>` (CONTRACT.md section 14): the leave, with its reason in words,
    reaches the room left, the join reaches the room joined, each signed and applied to its roster."""
    from conference_admin.live.timeline import conference_timeline
    from conference_admin.twilio.twiml import conference_twiml

    simulator = simulator_for_dashboard.simulator
    client = TwilioClient(
        account_sid=ACCOUNT, auth_token=TOKEN, base_url=simulator_for_dashboard.base_url, read_timeout=5
    )
    try:
        agent = client.create_participant("Support: move", from_="+15005550006", to="client:alice", label="agent:alice")
        caller = simulator.join(agent.conference_sid, label="customer:Priya Raman", from_="+14155550142")
        clock.advance(3)
        client.update_call(
            caller.call_sid, twiml=conference_twiml("Side room e2e", participant_label="customer:Priya Raman")
        )
        side = client.list_conferences(friendly_name="Side room e2e")[0].sid
    finally:
        client.close()
    assert simulator.callbacks.flush(10)
    assert all(d.status == 204 for d in simulator.callbacks.deliveries)

    left = roster.load(agent.conference_sid)
    joined = roster.load(side)
    assert left is not None and caller.call_sid not in left.entries and agent.call_sid in left.entries
    assert joined is not None and joined.entries[caller.call_sid].participant.label == "customer:Priya Raman"
    leave = next(i for i in conference_timeline(agent.conference_sid) if i.text == "customer:Priya Raman left")
    assert leave.detail == "moved or removed through the API"
    assert "customer:Priya Raman joined" in [i.text for i in conference_timeline(side)]
