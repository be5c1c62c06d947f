"""Simulated people: speech, dial-ins, hang-ups, and the seeded activity step."""

from __future__ import annotations

import threading

import pytest

from conference_admin.simulator.demo import load_demo
from conference_admin.simulator.engine import ManualClock, Simulator, SimulatorError, SimulatorEvent
from conference_admin.simulator.server import start_simulator

from .conftest import ACCOUNT, CALLER, TOKEN


def record(sim: Simulator) -> list[SimulatorEvent]:
    events: list[SimulatorEvent] = []
    sim.subscribe(events.append)
    return events


def connected_room(sim: Simulator, clock: ManualClock) -> tuple[str, str]:
    created = sim.create_participant(ACCOUNT, "Room", {"From": CALLER, "To": "+14155550100", "Label": "agent:alice"})
    clock.advance(3)
    sim.tick()
    return created.conference_sid, created.call_sid


def test_speech_events_report_changes_only(sim: Simulator, clock: ManualClock) -> None:
    conference, alice = connected_room(sim, clock)
    events = record(sim)
    assert sim.start_speaking(conference, "agent:alice").speaking
    sim.start_speaking(conference, alice)
    sim.stop_speaking(conference, alice)
    sim.stop_speaking(conference, alice)
    assert [e.name for e in events] == ["participant-speech-start", "participant-speech-stop"]
    assert events[0].participant.call_sid == alice and events[0].kind == "conference"  # type: ignore[union-attr]


def test_muting_or_holding_a_talker_stops_the_speech_first(sim: Simulator, clock: ManualClock) -> None:
    conference, alice = connected_room(sim, clock)
    sim.start_speaking(conference, alice)
    events = record(sim)
    sim.update_participant(ACCOUNT, conference, alice, {"Muted": "true"})
    assert [e.name for e in events] == ["participant-speech-stop", "participant-mute"]
    sim.update_participant(ACCOUNT, conference, alice, {"Hold": "true"})
    with pytest.raises(SimulatorError):
        sim.start_speaking(conference, alice)  # on hold: nobody hears them


def test_only_connected_participants_speak(sim: Simulator) -> None:
    ringing = sim.create_participant(ACCOUNT, "Room", {"From": CALLER, "To": "+14155550100"})
    with pytest.raises(SimulatorError) as caught:
        sim.start_speaking(ringing.conference_sid, ringing.call_sid)
    assert caught.value.status == 400
    with pytest.raises(SimulatorError) as missing:
        sim.start_speaking("CF" + "0" * 32, ringing.call_sid)
    assert missing.value.code == 20404


def test_join_is_a_connected_dial_in_without_call_progress(sim: Simulator, clock: ManualClock) -> None:
    waiting = sim.create_participant(
        ACCOUNT, "Huddle", {"From": CALLER, "To": "client:frank", "StartConferenceOnEnter": "false"}
    )
    clock.advance(3)
    sim.tick()
    assert sim.fetch_conference(ACCOUNT, waiting.conference_sid).status == "init"
    events = record(sim)
    joined = sim.join(waiting.conference_sid, label="customer:Priya Raman", from_="+14155550142")
    assert (joined.status, joined.label, joined.from_, joined.direction) == (
        "connected",
        "customer:Priya Raman",
        "+14155550142",
        "inbound",
    )
    assert [e.name for e in events] == ["participant-join", "conference-start"]  # no "call" events for a dial-in
    assert sim.fetch_participant(ACCOUNT, waiting.conference_sid, "customer:Priya Raman").call_sid == joined.call_sid
    with pytest.raises(SimulatorError) as taken:
        sim.join(waiting.conference_sid, label="customer:Priya Raman")
    assert taken.value.code == 16026
    sim.hang_up(ACCOUNT, waiting.conference_sid, joined.call_sid)
    assert [e.name for e in events][-1] == "participant-leave"


def test_activity_is_seeded_and_never_ends_a_demo_conference() -> None:
    def run(seed: int) -> tuple[list[str], Simulator]:
        sim = Simulator(account_sid=ACCOUNT, auth_token=TOKEN, clock=ManualClock(), seed=seed)
        conferences = load_demo(sim)
        done = [action for _ in range(300) for action in sim.simulate_activity()]
        for conference in conferences:
            assert sim.fetch_conference(ACCOUNT, conference.sid).status == conference.status
        return done, sim

    first, sim = run(11)
    assert first == run(11)[0]
    kinds = {action.split()[0] for action in first}
    assert kinds == {"speech-start", "speech-stop", "join", "hang-up"}
    for conference in sim.list_conferences(ACCOUNT):
        members = sim.list_participants(ACCOUNT, conference.sid)
        assert len(members) <= 6
        if conference.status == "in-progress":
            assert sum(p.status == "connected" for p in members) >= 2
    joined = [
        p
        for c in sim.list_conferences(ACCOUNT)
        for p in sim.list_participants(ACCOUNT, c.sid)
        if p.direction == "inbound"
    ]
    assert all(p.label and p.label.startswith("customer:") for p in joined)


def test_activity_leaves_waiting_rooms_alone(sim: Simulator, clock: ManualClock) -> None:
    sim.create_participant(ACCOUNT, "Huddle", {"From": CALLER, "To": "client:frank", "StartConferenceOnEnter": "false"})
    clock.advance(3)
    assert [action for _ in range(50) for action in sim.simulate_activity()] == []


def test_the_server_ticker_runs_activity_when_asked(clock: ManualClock) -> None:
    sim = Simulator(account_sid=ACCOUNT, auth_token=TOKEN, clock=clock, seed=5)
    load_demo(sim)
    spoke = threading.Event()
    sim.subscribe(lambda event: spoke.set() if event.name == "participant-speech-start" else None)
    with start_simulator(sim, activity_interval=0.02):
        assert spoke.wait(3)


def test_activity_is_off_by_default(sim: Simulator, clock: ManualClock) -> None:
    load_demo(sim)
    events = record(sim)
    with start_simulator(sim, tick_interval=0.01):
        threading.Event().wait(0.1)
    assert not [e for e in events if e.name.startswith("participant-speech")]
