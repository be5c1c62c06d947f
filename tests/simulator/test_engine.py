"""Engine semantics without HTTP: dial-out progression, updates, kicks, conference lifecycle, events."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from conference_admin.simulator import errors
from conference_admin.simulator.engine import (
    BUSY_NUMBER,
    FAILED_NUMBER,
    NO_ANSWER_NUMBER,
    DialTimings,
    ManualClock,
    Simulator,
    SimulatorError,
    SimulatorEvent,
)
from conference_admin.simulator.validation import ConferenceFilters, DateFilter, ParticipantFilters

from .conftest import ACCOUNT, CALLER, OTHER_ACCOUNT


def dial(sim: Simulator, conference: str = "Room", **params: object) -> object:
    return sim.create_participant(ACCOUNT, conference, {"From": CALLER, "To": "+14155550100", **params})


def connected(sim: Simulator, clock: ManualClock, conference: str = "Room", **params: object):
    participant = dial(sim, conference, **params)
    clock.advance(sim.timings.answer_after)
    sim.tick()
    return sim.fetch_participant(ACCOUNT, participant.conference_sid, participant.call_sid)


def error_code(excinfo: pytest.ExceptionInfo[SimulatorError]) -> int:
    return excinfo.value.code


@pytest.fixture
def events(sim: Simulator) -> list[SimulatorEvent]:
    received: list[SimulatorEvent] = []
    sim.subscribe(received.append)
    return received


def names(events: list[SimulatorEvent], kind: str = "conference") -> list[str]:
    return [event.name for event in events if event.kind == kind]


# --- creation and SIDs ---------------------------------------------------------------------


def test_create_by_friendly_name_opens_an_init_conference_and_queues_the_call(sim: Simulator) -> None:
    participant = dial(sim, "Support room", Label="customer")
    conference = sim.fetch_conference(ACCOUNT, participant.conference_sid)
    assert participant.status == "queued"
    assert participant.queue_time == "500"
    assert participant.label == "customer"
    assert conference.status == "init"
    assert conference.friendly_name == "Support room"
    assert conference.region == "us1"


def test_sids_are_prefixed_hex_and_deterministic_for_a_seed(clock: ManualClock) -> None:
    def sids(seed: int) -> tuple[str, str]:
        simulator = Simulator(clock=ManualClock(), seed=seed)
        p = simulator.create_participant(simulator.account_sid, "Room", {"From": CALLER, "To": "+14155550100"})
        return p.conference_sid, p.call_sid

    conference_sid, call_sid = sids(5)
    assert sids(5) == (conference_sid, call_sid)
    assert sids(6) != (conference_sid, call_sid)
    assert (
        conference_sid.startswith("CF")
        and len(conference_sid) == 34
        and conference_sid[2:] == conference_sid[2:].lower()
    )
    assert call_sid.startswith("CA") and len(call_sid) == 34
    int(call_sid[2:], 16)


def test_second_dial_by_name_joins_the_same_live_conference(sim: Simulator) -> None:
    first = dial(sim, "Room")
    second = dial(sim, "Room")
    assert first.conference_sid == second.conference_sid


def test_dial_by_name_after_the_conference_ended_opens_a_new_one(sim: Simulator) -> None:
    first = dial(sim, "Room")
    sim.update_conference(ACCOUNT, first.conference_sid, {"Status": "completed"})
    assert dial(sim, "Room").conference_sid != first.conference_sid


def test_dial_by_conference_sid_needs_a_live_conference(sim: Simulator) -> None:
    first = dial(sim, "Room")
    assert dial(sim, first.conference_sid).conference_sid == first.conference_sid
    with pytest.raises(SimulatorError) as unknown:
        dial(sim, "CF" + "0" * 32)
    assert (unknown.value.code, unknown.value.status) == (20404, 404)
    sim.update_conference(ACCOUNT, first.conference_sid, {"Status": "completed"})
    with pytest.raises(SimulatorError) as ended:
        dial(sim, first.conference_sid)
    assert ended.value.code == 20404


def test_conferences_are_private_to_their_account(sim: Simulator) -> None:
    participant = dial(sim, "Room")
    with pytest.raises(SimulatorError) as excinfo:
        sim.fetch_conference(OTHER_ACCOUNT, participant.conference_sid)
    assert excinfo.value.code == 20404
    assert sim.list_conferences(OTHER_ACCOUNT) == []


def test_first_participant_settings_shape_the_conference(sim: Simulator) -> None:
    first = dial(
        sim,
        "Room",
        Region="ie1",
        MaxParticipants="3",
        ConferenceStatusCallback="https://example.com/cb",
        ConferenceStatusCallbackEvent=["join", "leave"],
    )
    dial(sim, "Room", Region="jp1", MaxParticipants="10")
    conference = sim.fetch_conference(ACCOUNT, first.conference_sid)
    assert conference.region == "ie1"
    assert conference.max_participants == 3
    assert conference.status_callback == "https://example.com/cb"
    assert conference.status_callback_events == ("join", "leave")


# --- dial-out progression ----------------------------------------------------------------------


def test_dial_out_moves_queued_connecting_ringing_connected_on_the_clock(sim: Simulator, clock: ManualClock) -> None:
    participant = dial(sim)

    def status() -> str:
        sim.tick()
        return sim.fetch_participant(ACCOUNT, participant.conference_sid, participant.call_sid).status

    assert status() == "queued"
    clock.advance(0.5)
    assert status() == "connecting"
    clock.advance(0.5)
    assert status() == "ringing"
    clock.advance(1.9)
    assert status() == "ringing"
    clock.advance(0.1)
    assert status() == "connected"


def test_timings_are_configurable_per_simulator() -> None:
    clock = ManualClock()
    sim = Simulator(clock=clock, timings=DialTimings(connect_after=0, ring_after=0, answer_after=10))
    participant = sim.create_participant(sim.account_sid, "Room", {"From": CALLER, "To": "+14155550100"})
    sim.tick()
    assert sim.fetch_participant(sim.account_sid, participant.conference_sid, participant.call_sid).status == "ringing"
    clock.advance(10)
    assert (
        sim.fetch_participant(sim.account_sid, participant.conference_sid, participant.call_sid).status == "connected"
    )
    with pytest.raises(ValueError):
        DialTimings(connect_after=2, ring_after=1)


def test_all_transitions_due_are_applied_by_one_tick(sim: Simulator, clock: ManualClock, events) -> None:
    dial(sim)
    dial(sim)
    clock.advance(100)
    sim.tick()
    assert names(events, "call") == ["initiated", "initiated", "ringing", "ringing", "answered", "answered"]
    assert names(events) == ["participant-join", "participant-join", "conference-start"]


# Twilio: "Conferences will not start until at least two participants join"
# (https://www.twilio.com/docs/voice/twiml/conference, startConferenceOnEnter), and a conference
# starts when the second participant joins (https://www.twilio.com/docs/voice/conference).


def test_a_lone_participant_waits_and_the_second_one_starts_the_conference(
    sim: Simulator, clock: ManualClock, events
) -> None:
    first = connected(sim, clock)
    assert first.status == "connected"  # in the conference, hearing the wait music
    assert sim.fetch_conference(ACCOUNT, first.conference_sid).status == "init"
    assert names(events) == ["participant-join"]
    clock.advance(60)
    second = connected(sim, clock)
    conference = sim.fetch_conference(ACCOUNT, first.conference_sid)
    assert conference.status == "in-progress"
    assert conference.date_updated == second.date_created + timedelta(seconds=3)
    assert names(events) == ["participant-join", "participant-join", "conference-start"]
    connected(sim, clock)
    assert names(events).count("conference-start") == 1


def test_a_participant_still_ringing_does_not_count_towards_the_start(sim: Simulator, clock: ManualClock) -> None:
    first = connected(sim, clock)
    dial(sim, first.conference_sid, To=NO_ANSWER_NUMBER)
    clock.advance(2)
    sim.tick()
    assert sim.fetch_conference(ACCOUNT, first.conference_sid).status == "init"


def test_a_lone_caller_waits_until_an_agent_dials_in(sim: Simulator, events) -> None:
    caller = dial(sim, "Lone caller")
    sim.answer(ACCOUNT, caller.conference_sid, caller.call_sid)
    assert sim.fetch_conference(ACCOUNT, caller.conference_sid).status == "init"
    sim.join(caller.conference_sid, label="agent:alice")
    assert sim.fetch_conference(ACCOUNT, caller.conference_sid).status == "in-progress"
    assert "conference-start" in [e.name for e in events if e.conference_sid == caller.conference_sid]


@pytest.mark.parametrize(
    "first,second,starts",
    [("true", "true", True), ("false", "true", True), ("true", "false", True), ("false", "false", False)],
)
def test_two_participants_start_it_when_one_of_them_has_start_conference_on_enter(
    sim: Simulator, clock: ManualClock, first: str, second: str, starts: bool
) -> None:
    a = connected(sim, clock, StartConferenceOnEnter=first)
    connected(sim, clock, StartConferenceOnEnter=second)
    assert sim.fetch_conference(ACCOUNT, a.conference_sid).status == ("in-progress" if starts else "init")


def test_participants_without_start_conference_on_enter_wait_in_init(sim: Simulator, clock: ManualClock) -> None:
    waiting = connected(sim, clock, StartConferenceOnEnter="false")
    assert waiting.status == "connected"
    assert sim.fetch_conference(ACCOUNT, waiting.conference_sid).status == "init"
    connected(sim, clock, StartConferenceOnEnter="true")
    assert sim.fetch_conference(ACCOUNT, waiting.conference_sid).status == "in-progress"


def test_no_answer_number_rings_until_timeout_then_leaves(sim: Simulator, clock: ManualClock, events) -> None:
    agent = connected(sim, clock)
    ringing = dial(sim, agent.conference_sid, To=NO_ANSWER_NUMBER, Timeout="5")
    clock.advance(1)
    sim.tick()
    assert sim.fetch_participant(ACCOUNT, agent.conference_sid, ringing.call_sid).status == "ringing"
    clock.advance(4.9)
    sim.tick()
    assert sim.fetch_participant(ACCOUNT, agent.conference_sid, ringing.call_sid).status == "ringing"
    clock.advance(0.1)
    sim.tick()
    assert [p.call_sid for p in sim.list_participants(ACCOUNT, agent.conference_sid)] == [agent.call_sid]
    leave = [e for e in events if e.name == "participant-leave"][-1]
    assert leave.details == {
        "participant_call_status": "no-answer",
        "reason_participant_left": "participant_add_failed",
    }
    assert [e.details["call_status"] for e in events if e.kind == "call" and e.name == "completed"] == ["no-answer"]


def test_normal_number_that_would_answer_after_timeout_counts_as_no_answer(clock: ManualClock) -> None:
    sim = Simulator(clock=clock, timings=DialTimings(0, 0, 30))
    participant = sim.create_participant(
        sim.account_sid, "Room", {"From": CALLER, "To": "+14155550100", "Timeout": "5"}
    )
    clock.advance(5)
    sim.tick()
    assert sim.fetch_conference(sim.account_sid, participant.conference_sid).status == "completed"


def test_busy_number_leaves_after_connecting(sim: Simulator, clock: ManualClock, events) -> None:
    agent = connected(sim, clock)
    busy = dial(sim, agent.conference_sid, To=BUSY_NUMBER)
    clock.advance(0.5)
    sim.tick()
    assert sim.fetch_participant(ACCOUNT, agent.conference_sid, busy.call_sid).status == "connecting"
    clock.advance(0.5)
    sim.tick()
    assert len(sim.list_participants(ACCOUNT, agent.conference_sid)) == 1
    assert events[-1].kind == "call" and events[-1].details["call_status"] == "busy"


def test_failing_number_never_connects_and_a_lone_failure_ends_the_conference(
    sim: Simulator, clock: ManualClock
) -> None:
    failed = dial(sim, To=FAILED_NUMBER)
    clock.advance(0.5)
    sim.tick()
    conference = sim.fetch_conference(ACCOUNT, failed.conference_sid)
    assert conference.status == "completed"
    assert conference.reason_conference_ended == "last-participant-left"
    assert sim.list_participants(ACCOUNT, failed.conference_sid) == []


def test_special_numbers_match_without_plus(sim: Simulator, clock: ManualClock) -> None:
    failed = dial(sim, To=FAILED_NUMBER.lstrip("+"))
    clock.advance(0.5)
    sim.tick()
    assert sim.fetch_conference(ACCOUNT, failed.conference_sid).status == "completed"


def test_answer_and_ring_shortcuts(sim: Simulator) -> None:
    participant = dial(sim, To=NO_ANSWER_NUMBER)
    assert sim.ring(ACCOUNT, participant.conference_sid, participant.call_sid).status == "ringing"
    assert sim.answer(ACCOUNT, participant.conference_sid, participant.call_sid).status == "connected"


# --- updates -------------------------------------------------------------------------------


def test_mute_unmute_emits_events_only_on_change(sim: Simulator, clock: ManualClock, events) -> None:
    p = connected(sim, clock)
    clock.advance(1)
    muted = sim.update_participant(ACCOUNT, p.conference_sid, p.call_sid, {"Muted": "true"})
    assert muted.muted is True
    assert muted.date_updated == clock.now()
    sim.update_participant(ACCOUNT, p.conference_sid, p.call_sid, {"Muted": "TRUE"})
    unmuted = sim.update_participant(ACCOUNT, p.conference_sid, p.call_sid, {"Muted": "maybe"})
    assert unmuted.muted is False  # spec: anything but true/false means false
    assert names(events)[-2:] == ["participant-mute", "participant-unmute"]
    assert names(events).count("participant-mute") == 1


def test_hold_with_music_and_unhold(sim: Simulator, clock: ManualClock, events) -> None:
    p = connected(sim, clock)
    held = sim.update_participant(
        ACCOUNT, p.conference_sid, p.call_sid, {"Hold": "true", "HoldUrl": "https://example.com/music.mp3"}
    )
    assert held.hold is True
    assert held.hold_url == "https://example.com/music.mp3"
    assert held.hold_method == "GET"
    assert sim.update_participant(ACCOUNT, p.conference_sid, p.call_sid, {"Hold": "false"}).hold is False
    assert names(events)[-2:] == ["participant-hold", "participant-unhold"]
    with pytest.raises(SimulatorError) as excinfo:
        sim.update_participant(ACCOUNT, p.conference_sid, p.call_sid, {"Hold": "perhaps"})
    assert excinfo.value.code == errors.INVALID_PARAMETER


def test_update_by_label(sim: Simulator, clock: ManualClock) -> None:
    p = connected(sim, clock, Label="agent alice")
    assert sim.update_participant(ACCOUNT, p.conference_sid, "agent alice", {"Muted": "true"}).call_sid == p.call_sid


def test_announcement_is_recorded_without_changing_state(sim: Simulator, clock: ManualClock, events) -> None:
    p = connected(sim, clock)
    updated = sim.update_participant(
        ACCOUNT, p.conference_sid, p.call_sid, {"AnnounceUrl": "https://example.com/a.xml"}
    )
    assert (updated.muted, updated.hold, updated.status) == (False, False, "connected")
    assert [(a.url, a.method) for a in updated.announcements] == [("https://example.com/a.xml", "POST")]
    assert events[-1].name == "announcement-end"
    assert events[-1].details == {"announce_url": "https://example.com/a.xml", "announce_method": "POST"}


def test_modify_settings_emit_participant_modify(sim: Simulator, clock: ManualClock, events) -> None:
    p = connected(sim, clock)
    updated = sim.update_participant(
        ACCOUNT,
        p.conference_sid,
        p.call_sid,
        {
            "BeepOnExit": "false",
            "EndConferenceOnExit": "true",
            "WaitUrl": "https://example.com/wait",
            "WaitMethod": "GET",
        },
    )
    assert (updated.beep_on_exit, updated.end_conference_on_exit, updated.wait_url, updated.wait_method) == (
        False,
        True,
        "https://example.com/wait",
        "GET",
    )
    assert names(events)[-1] == "participant-modify"
    before = len(events)
    sim.update_participant(ACCOUNT, p.conference_sid, p.call_sid, {"EndConferenceOnExit": "true"})
    assert len(events) == before  # nothing changed, nothing reported


def test_coaching_needs_a_connected_target_in_the_same_conference(sim: Simulator, clock: ManualClock) -> None:
    agent = connected(sim, clock, Label="agent")
    supervisor = connected(sim, clock, Label="supervisor")
    elsewhere = connected(sim, clock, "Other room")

    coach = sim.update_participant(
        ACCOUNT, agent.conference_sid, "supervisor", {"Coaching": "true", "CallSidToCoach": agent.call_sid}
    )
    assert (coach.coaching, coach.call_sid_to_coach) == (True, agent.call_sid)
    cleared = sim.update_participant(ACCOUNT, agent.conference_sid, "supervisor", {"Coaching": "false"})
    assert (cleared.coaching, cleared.call_sid_to_coach) == (False, None)
    implied = sim.update_participant(ACCOUNT, agent.conference_sid, "supervisor", {"CallSidToCoach": agent.call_sid})
    assert implied.coaching is True

    for params, code in [
        ({"Coaching": "true", "CallSidToCoach": elsewhere.call_sid}, errors.COACHED_PARTICIPANT_ABSENT),
        ({"Coaching": "true", "CallSidToCoach": supervisor.call_sid}, errors.INVALID_PARAMETER),
        ({"CallSidToCoach": "CA123"}, errors.INVALID_PARAMETER),
    ]:
        with pytest.raises(SimulatorError) as excinfo:
            sim.update_participant(ACCOUNT, agent.conference_sid, "supervisor", params)
        assert (excinfo.value.code, excinfo.value.status) == (code, 400)


def test_coaching_true_without_any_target_is_rejected(sim: Simulator, clock: ManualClock) -> None:
    p = connected(sim, clock)
    with pytest.raises(SimulatorError) as excinfo:
        sim.update_participant(ACCOUNT, p.conference_sid, p.call_sid, {"Coaching": "true"})
    assert excinfo.value.status == 400


def test_cannot_coach_a_participant_on_hold(sim: Simulator, clock: ManualClock) -> None:
    agent = connected(sim, clock)
    sim.update_participant(ACCOUNT, agent.conference_sid, agent.call_sid, {"Hold": "true"})
    with pytest.raises(SimulatorError) as excinfo:
        dial(sim, agent.conference_sid, Coaching="true", CallSidToCoach=agent.call_sid)
    assert excinfo.value.code == errors.COACHED_PARTICIPANT_ON_HOLD


def test_create_as_coach(sim: Simulator, clock: ManualClock) -> None:
    agent = connected(sim, clock)
    coach = dial(sim, agent.conference_sid, CallSidToCoach=agent.call_sid)
    assert (coach.coaching, coach.call_sid_to_coach) == (True, agent.call_sid)
    with pytest.raises(SimulatorError) as excinfo:
        dial(sim, agent.conference_sid, Coaching="true")
    assert excinfo.value.status == 400
    with pytest.raises(SimulatorError) as absent:
        dial(sim, "Fresh room", Coaching="true", CallSidToCoach=agent.call_sid)
    assert absent.value.code == errors.COACHED_PARTICIPANT_ABSENT
    assert sim.list_conferences(ACCOUNT, ConferenceFilters(friendly_name="Fresh room")) == []


# --- labels and capacity -------------------------------------------------------------------


def test_label_must_be_unique_among_active_participants(sim: Simulator, clock: ManualClock) -> None:
    first = connected(sim, clock, Label="agent")
    with pytest.raises(SimulatorError) as excinfo:
        dial(sim, first.conference_sid, Label="agent")
    assert (excinfo.value.code, excinfo.value.status) == (errors.LABEL_IN_USE, 400)
    assert dial(sim, "Another room", Label="agent").label == "agent"
    sim.delete_participant(ACCOUNT, first.conference_sid, "agent")
    dial(sim, "Room", Label="agent")


@pytest.mark.parametrize("label", ["x" * 129, "CA" + "a" * 32, "a/b", "a%2Fb", "a%2fb"])
def test_invalid_labels(sim: Simulator, label: str) -> None:
    with pytest.raises(SimulatorError) as excinfo:
        dial(sim, Label=label)
    assert (excinfo.value.code, excinfo.value.status) == (errors.LABEL_INVALID, 400)


def test_labels_that_are_fine(sim: Simulator) -> None:
    for label in ["x" * 128, "CA" + "A" * 32, "agent:alice", "ü ñ #%"]:
        assert dial(sim, "Room " + str(len(label)) + label[:3], Label=label).label == label


def test_max_participants_is_enforced(sim: Simulator) -> None:
    first = dial(sim, MaxParticipants="2")
    dial(sim, first.conference_sid)
    with pytest.raises(SimulatorError) as excinfo:
        dial(sim, first.conference_sid)
    assert (excinfo.value.code, excinfo.value.status) == (errors.CONFERENCE_FULL, 400)


# --- leaving -------------------------------------------------------------------------------


def test_kick_removes_the_participant(sim: Simulator, clock: ManualClock, events) -> None:
    agent = connected(sim, clock)
    customer = connected(sim, clock, Label="customer")
    sim.delete_participant(ACCOUNT, agent.conference_sid, "customer")
    assert [p.call_sid for p in sim.list_participants(ACCOUNT, agent.conference_sid)] == [agent.call_sid]
    with pytest.raises(SimulatorError):
        sim.fetch_participant(ACCOUNT, agent.conference_sid, customer.call_sid)
    leave = [e for e in events if e.name == "participant-leave"][-1]
    assert leave.participant.call_sid == customer.call_sid
    assert leave.details["reason_participant_left"] == "participant_updated_via_api"
    assert sim.fetch_conference(ACCOUNT, agent.conference_sid).status == "in-progress"


def test_kicking_the_last_participant_ends_the_conference(sim: Simulator, clock: ManualClock, events) -> None:
    p = connected(sim, clock)
    sim.delete_participant(ACCOUNT, p.conference_sid, p.call_sid)
    conference = sim.fetch_conference(ACCOUNT, p.conference_sid)
    assert conference.status == "completed"
    assert conference.reason_conference_ended == "last-participant-kicked"
    assert conference.call_sid_ending_conference == p.call_sid
    assert events[-1].name == "conference-end"
    assert events[-1].details["reason_conference_ended"] == "last-participant-kicked"


def test_kicking_an_end_conference_on_exit_participant_ends_it_for_everyone(
    sim: Simulator, clock: ManualClock, events
) -> None:
    moderator = connected(sim, clock, EndConferenceOnExit="true", Label="moderator")
    other = connected(sim, clock)
    sim.delete_participant(ACCOUNT, moderator.conference_sid, "moderator")
    conference = sim.fetch_conference(ACCOUNT, moderator.conference_sid)
    assert conference.reason_conference_ended == "participant-with-end-conference-on-exit-kicked"
    assert conference.call_sid_ending_conference == moderator.call_sid
    assert sim.list_participants(ACCOUNT, moderator.conference_sid) == []
    other_leave = [e for e in events if e.name == "participant-leave" and e.participant.call_sid == other.call_sid]
    assert other_leave[0].details["reason_participant_left"] == "moderator_ended_conference"
    assert events[-1].details["participant_label_ending_conference"] == "moderator"


def test_hang_up_gives_the_left_variants(sim: Simulator, clock: ManualClock) -> None:
    moderator = connected(sim, clock, EndConferenceOnExit="true")
    connected(sim, clock)
    sim.hang_up(ACCOUNT, moderator.conference_sid, moderator.call_sid)
    assert sim.fetch_conference(ACCOUNT, moderator.conference_sid).reason_conference_ended == (
        "participant-with-end-conference-on-exit-left"
    )

    lone = connected(sim, clock, "Lone room")
    sim.hang_up(ACCOUNT, lone.conference_sid, lone.call_sid)
    assert sim.fetch_conference(ACCOUNT, lone.conference_sid).reason_conference_ended == "last-participant-left"


def test_end_conference_on_exit_only_counts_once_connected(sim: Simulator, clock: ManualClock) -> None:
    agent = connected(sim, clock)
    connected(sim, clock)  # two in: the conference has started
    ringing = dial(sim, agent.conference_sid, EndConferenceOnExit="true")
    sim.delete_participant(ACCOUNT, agent.conference_sid, ringing.call_sid)
    assert sim.fetch_conference(ACCOUNT, agent.conference_sid).status == "in-progress"


# --- conference updates and lists ------------------------------------------------------------


def test_end_conference_via_api(sim: Simulator, clock: ManualClock, events) -> None:
    p = connected(sim, clock)
    ringing = dial(sim, p.conference_sid)
    ended = sim.update_conference(ACCOUNT, p.conference_sid, {"Status": "completed"})
    assert ended.status == "completed"
    assert ended.reason_conference_ended == "conference-ended-via-api"
    assert ended.call_sid_ending_conference is None
    assert sim.list_participants(ACCOUNT, p.conference_sid) == []
    leave_statuses = {
        e.participant.call_sid: e.details["participant_call_status"] for e in events if e.name == "participant-leave"
    }
    assert leave_statuses == {p.call_sid: "completed", ringing.call_sid: "canceled"}
    with pytest.raises(SimulatorError) as excinfo:
        sim.update_participant(ACCOUNT, p.conference_sid, p.call_sid, {"Muted": "true"})
    assert excinfo.value.code == 20404
    assert sim.update_conference(ACCOUNT, p.conference_sid, {"Status": "completed"}).status == "completed"


def test_announce_to_the_whole_conference(sim: Simulator, clock: ManualClock, events) -> None:
    p = connected(sim, clock)
    connected(sim, clock)  # two in: the conference has started
    conference = sim.update_conference(
        ACCOUNT, p.conference_sid, {"AnnounceUrl": "https://example.com/all.mp3", "AnnounceMethod": "GET"}
    )
    assert conference.status == "in-progress"
    assert [(a.url, a.method) for a in conference.announcements] == [("https://example.com/all.mp3", "GET")]
    assert events[-1].name == "announcement-end" and events[-1].participant is None
    sim.update_conference(ACCOUNT, p.conference_sid, {"Status": "completed"})
    with pytest.raises(SimulatorError) as excinfo:
        sim.update_conference(ACCOUNT, p.conference_sid, {"AnnounceUrl": "https://example.com/all.mp3"})
    assert excinfo.value.code == errors.CALL_STATE_INVALID


def test_conference_update_validates(sim: Simulator) -> None:
    p = dial(sim)
    for params, code in [
        ({"Status": "in-progress"}, errors.INVALID_PARAMETER),
        ({"AnnounceUrl": "ftp://x"}, errors.URL_INVALID),
        ({"AnnounceUrl": "https://x.com/a", "AnnounceMethod": "PUT"}, errors.METHOD_INVALID),
    ]:
        with pytest.raises(SimulatorError) as excinfo:
            sim.update_conference(ACCOUNT, p.conference_sid, params)
        assert excinfo.value.code == code


def test_participant_filters(sim: Simulator, clock: ManualClock) -> None:
    a = connected(sim, clock, Muted="true")
    b = connected(sim, clock)
    sim.update_participant(ACCOUNT, a.conference_sid, b.call_sid, {"Hold": "true"})

    def listed(**filters: bool) -> list[str]:
        return [p.call_sid for p in sim.list_participants(ACCOUNT, a.conference_sid, ParticipantFilters(**filters))]

    assert listed() == [a.call_sid, b.call_sid]
    assert listed(muted=True) == [a.call_sid]
    assert listed(hold=True) == [b.call_sid]
    assert listed(coaching=True) == []


def test_conference_filters_and_newest_first(sim: Simulator, clock: ManualClock) -> None:
    old = dial(sim, "Old")
    clock.advance(2 * 86400)
    new = dial(sim, "New")
    sim.update_conference(ACCOUNT, old.conference_sid, {"Status": "completed"})
    day_old = old.date_created.date()
    day_new = new.date_created.date()

    def listed(filters: ConferenceFilters) -> list[str]:
        return [c.friendly_name for c in sim.list_conferences(ACCOUNT, filters)]

    assert listed(ConferenceFilters()) == ["New", "Old"]
    assert listed(ConferenceFilters(status="completed")) == ["Old"]
    assert listed(ConferenceFilters(status="init")) == ["New"]
    assert listed(ConferenceFilters(friendly_name="New")) == ["New"]
    assert listed(ConferenceFilters(dates=(DateFilter("date_created", "=", day_old),))) == ["Old"]
    assert listed(ConferenceFilters(dates=(DateFilter("date_created", "<=", day_old),))) == ["Old"]
    assert listed(ConferenceFilters(dates=(DateFilter("date_created", ">=", day_new),))) == ["New"]
    assert listed(ConferenceFilters(dates=(DateFilter("date_updated", "=", day_new),))) == ["New", "Old"]


# --- events, log, threads ------------------------------------------------------------------


def test_events_carry_sequence_numbers_snapshots_and_timestamps(sim: Simulator, clock: ManualClock, events) -> None:
    p = connected(sim, clock, Label="agent")
    sim.join(p.conference_sid, label="customer")  # a dial-in: conference events only
    sim.update_participant(ACCOUNT, p.conference_sid, "agent", {"Muted": "true"})
    conference_events = [e for e in events if e.kind == "conference"]
    assert [e.name for e in conference_events] == [
        "participant-join",
        "participant-join",
        "conference-start",
        "participant-mute",
    ]
    assert [e.sequence_number for e in conference_events] == [1, 2, 3, 4]
    assert [e.sequence_number for e in events if e.kind == "call"] == [1, 2, 3]
    join = conference_events[0]
    assert join.name == "participant-join"
    assert (join.conference_sid, join.friendly_name, join.account_sid) == (p.conference_sid, "Room", ACCOUNT)
    assert join.participant.label == "agent" and join.participant.status == "connected"
    assert join.timestamp == p.date_created + timedelta(seconds=3)
    mute = conference_events[3]
    assert mute.participant.muted is True and mute.timestamp == clock.now()
    other = dial(sim, "Other")
    sim.answer(ACCOUNT, other.conference_sid, other.call_sid)
    sim.join(other.conference_sid)
    assert [
        e.sequence_number for e in events if e.conference_sid == other.conference_sid and e.kind == "conference"
    ] == [1, 2, 3]


def test_unsubscribe_and_failing_subscriber(sim: Simulator) -> None:
    received: list[SimulatorEvent] = []

    def broken(event: SimulatorEvent) -> None:
        raise RuntimeError("boom")

    sim.subscribe(broken)
    unsubscribe = sim.subscribe(received.append)
    p = dial(sim)
    sim.answer(ACCOUNT, p.conference_sid, p.call_sid)
    assert received
    unsubscribe()
    count = len(received)
    sim.update_participant(ACCOUNT, p.conference_sid, p.call_sid, {"Muted": "true"})
    assert len(received) == count


def test_subscriber_may_call_back_into_the_simulator(sim: Simulator) -> None:
    seen: list[str] = []
    sim.subscribe(lambda event: seen.append(sim.fetch_conference(event.account_sid, event.conference_sid).status))
    p = dial(sim)
    sim.answer(ACCOUNT, p.conference_sid, p.call_sid)
    sim.join(p.conference_sid)
    assert seen and seen[-1] == "in-progress"


def test_snapshots_are_copies(sim: Simulator) -> None:
    p = dial(sim)
    p.muted = True
    assert sim.fetch_participant(ACCOUNT, p.conference_sid, p.call_sid).muted is False


def test_request_log_counts_and_resets(sim: Simulator) -> None:
    sim.record_request("GET", "/x", {}, 200, "ListParticipant")
    sim.record_request("GET", "/x", {}, 200, "ListParticipant")
    sim.record_request("POST", "/y", {"Muted": ["true"]}, 200, "UpdateParticipant")
    assert sim.request_counts() == {"ListParticipant": 2, "UpdateParticipant": 1}
    assert sim.request_log[2].params == {"Muted": ["true"]}
    sim.reset_request_log()
    assert sim.request_log == []


def test_reset_forgets_everything(sim: Simulator) -> None:
    dial(sim)
    sim.reset()
    assert sim.list_conferences(ACCOUNT) == []


def test_concurrent_creates_are_safe(sim: Simulator) -> None:
    def worker(n: int) -> None:
        for i in range(25):
            dial(sim, f"Room {n}", Label=f"p{i}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    conferences = sim.list_conferences(ACCOUNT)
    assert len(conferences) == 8
    assert all(len(sim.list_participants(ACCOUNT, c.sid)) == 25 for c in conferences)


def test_authenticate(sim: Simulator) -> None:
    from .conftest import API_KEY, API_SECRET, TOKEN

    assert sim.authenticate(ACCOUNT, TOKEN) == ACCOUNT
    assert sim.authenticate(API_KEY, API_SECRET) == ACCOUNT
    assert sim.authenticate(ACCOUNT, "wrong") is None
    assert sim.authenticate("SKnope", API_SECRET) is None


def test_from_settings_accepts_exactly_the_configured_credentials(settings) -> None:
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = "tok"
    settings.TWILIO_API_KEY_SID = "SK" + "1" * 32
    settings.TWILIO_API_KEY_SECRET = "sec"
    sim = Simulator.from_settings(clock=ManualClock())
    assert sim.account_sid == ACCOUNT
    assert sim.authenticate(ACCOUNT, "tok") == ACCOUNT
    assert sim.authenticate("SK" + "1" * 32, "sec") == ACCOUNT
    assert sim.authenticate(ACCOUNT, "sec") is None
