"""The official `twilio` SDK (9.13) against the simulator's Calls and Recordings operations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from conference_admin.simulator.engine import Simulator

from .conftest import CALLER
from .test_sdk import sdk_client

CURRENT = "Twilio.CURRENT"


@pytest.fixture
def client(server) -> Iterator[Client]:
    yield sdk_client(server)


@pytest.fixture
def live(client: Client, clock):
    """A connected dial-out in a conference recorded from its start."""
    participant = client.conferences("SDK recorded").participants.create(
        from_=CALLER, to="+14155550100", label="customer", conference_record="record-from-start"
    )
    # A conference starts with its second participant.
    client.conferences(participant.conference_sid).participants.create(from_=CALLER, to="+14155550123", label="agent")
    clock.advance(3)
    return participant


def test_fetch_call(client: Client, live, sim: Simulator) -> None:
    call = client.calls(live.call_sid).fetch()
    assert (call.sid, call._from, call.to, call.direction, call.status) == (
        live.call_sid,
        CALLER,
        "+14155550100",
        "outbound-api",
        "in-progress",
    )
    assert call.to_formatted == "(415) 555-0100" and call.start_time.tzinfo is not None
    assert call.parent_call_sid is None and call.caller_name is None
    caller = sim.join(live.conference_sid, from_="+13125550148", caller_name="WHITFIELD DANA")
    inbound = client.calls(caller.call_sid).fetch()
    assert (inbound.direction, inbound._from, inbound.caller_name) == ("inbound", "+13125550148", "WHITFIELD DANA")
    with pytest.raises(TwilioRestException) as excinfo:
        client.calls("CA" + "0" * 32).fetch()
    assert (excinfo.value.status, excinfo.value.code) == (404, 20404)


def test_call_recordings_create_list_fetch_update(client: Client, live, clock) -> None:
    recordings = client.calls(live.call_sid).recordings
    created = recordings.create(
        recording_channels="dual",
        recording_track="both",
        trim="do-not-trim",
        recording_status_callback="https://example.com/recording",
        recording_status_callback_method="POST",
        recording_status_callback_event=["in-progress", "completed"],
    )
    assert (created.status, created.channels, created.source, created.track) == (
        "in-progress",
        2,
        "StartCallRecordingAPI",
        "both",
    )
    clock.advance(9)
    assert [r.sid for r in recordings.list()] == [created.sid]
    assert recordings(created.sid).fetch().duration == "9"
    paused = recordings(CURRENT).update(status="paused", pause_behavior="skip")
    assert (paused.sid, paused.status) == (created.sid, "paused")
    assert recordings(created.sid).update(status="in-progress").status == "in-progress"
    clock.advance(1)
    assert recordings(CURRENT).update(status="stopped").status == "stopped"
    assert recordings(created.sid).fetch().status == "completed"
    with pytest.raises(TwilioRestException) as excinfo:
        recordings(CURRENT).update(status="paused")
    assert (excinfo.value.status, excinfo.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException) as excinfo:
        recordings(created.sid).update(status="in-progress")
    assert (excinfo.value.status, excinfo.value.code) == (400, 21220)


def test_call_recordings_page_through(client: Client, live) -> None:
    recordings = client.calls(live.call_sid).recordings
    sids = [recordings.create().sid for _ in range(5)]
    assert [r.sid for r in recordings.list(page_size=2)] == sids[::-1]
    assert len(recordings.list(limit=3, page_size=2)) == 3


def test_conference_recordings_list_fetch_update_with_twilio_current(client: Client, live, clock) -> None:
    recordings = client.conferences(live.conference_sid).recordings
    (recording,) = recordings.list()
    assert (recording.status, recording.source, recording.conference_sid) == (
        "in-progress",
        "Conference",
        live.conference_sid,
    )
    clock.advance(5)
    paused = recordings(CURRENT).update(status="paused", pause_behavior="silence")
    assert (paused.sid, paused.status, paused.duration) == (recording.sid, "paused", "5")
    clock.advance(5)
    assert recordings(recording.sid).fetch().duration == "10"  # silence counts
    assert recordings(CURRENT).update(status="in-progress").status == "in-progress"
    assert recordings(recording.sid).update(status="stopped").status == "stopped"
    assert recordings(recording.sid).fetch().status == "completed"
    today = clock.now().date()
    assert [r.sid for r in recordings.list(date_created_after=today)] == [recording.sid]
    with pytest.raises(TwilioRestException) as excinfo:
        recordings(CURRENT).update(status="paused")
    assert (excinfo.value.status, excinfo.value.code) == (404, 20404)


def test_update_call_with_twiml_moves_the_call(client: Client, live) -> None:
    """`client.calls(sid).update(twiml=...)`, as the SDK sends it, moves the call (CONTRACT.md section 14)."""
    noun = '<Conference participantLabel="customer" muted="true">SDK side room</Conference>'
    twiml = f"<Response><Dial>{noun}</Dial></Response>"
    call = client.calls(live.call_sid).update(twiml=twiml)
    assert (call.sid, call.status) == (live.call_sid, "in-progress")
    assert live.call_sid not in [p.call_sid for p in client.conferences(live.conference_sid).participants.list()]
    side = client.conferences.list(friendly_name="SDK side room")[0]
    moved = client.conferences(side.sid).participants(live.call_sid).fetch()
    assert (moved.label, moved.muted, moved.hold) == ("customer", True, False)
    with pytest.raises(TwilioRestException) as excinfo:
        client.calls(live.call_sid).update(twiml="<Response>" + " " * 4000 + "</Response>")
    assert (excinfo.value.status, excinfo.value.code) == (400, 32018)
    assert client.calls(live.call_sid).update(status="completed").status == "completed"
    with pytest.raises(TwilioRestException) as excinfo:
        client.calls(live.call_sid).update(twiml=twiml)
    assert (excinfo.value.status, excinfo.value.code) == (400, 21220)
