"""The product's client against the running simulator: calls and recordings, every parameter."""

import typing
from datetime import date

import pytest

from conference_admin.twilio import CURRENT_RECORDING, Call, Recording, TwilioApiError
from conference_admin.twilio.params import CreateCallRecordingParams, ListRecordingsParams, UpdateRecordingParams

CALLER = "+15005550006"

EVERY_CREATE_RECORDING_PARAMETER = {
    "recording_status_callback_event": ["in-progress", "completed", "absent"],
    "recording_status_callback": "https://dash.example.com/recording",
    "recording_status_callback_method": "GET",
    "trim": "trim-silence",
    "recording_channels": "dual",
    "recording_track": "inbound",
}


@pytest.fixture
def live(simulator, twilio_client):
    """A connected customer in a conference recorded from its start, made through the client."""
    customer = twilio_client.create_participant(
        "Recorded room", from_=CALLER, to="+14155550100", label="customer", conference_record="record-from-start"
    )
    simulator.answer(simulator.account_sid, customer.conference_sid, customer.call_sid)
    # A conference starts with its second participant.
    agent = twilio_client.create_participant(customer.conference_sid, from_=CALLER, to="+14155550123", label="agent")
    simulator.answer(simulator.account_sid, customer.conference_sid, agent.call_sid)
    return customer


def test_the_tables_cover_every_keyword():
    assert set(EVERY_CREATE_RECORDING_PARAMETER) == set(typing.get_type_hints(CreateCallRecordingParams))
    assert set(typing.get_type_hints(UpdateRecordingParams)) == {"pause_behavior"}
    assert set(typing.get_type_hints(ListRecordingsParams)) == {
        "date_created",
        "date_created_before",
        "date_created_after",
        "page_size",
        "page",
        "page_token",
    }


def test_fetch_call(simulator, twilio_client, live):
    call = twilio_client.fetch_call(live.call_sid)
    assert isinstance(call, Call)
    assert (call.sid, call.from_, call.to, call.direction, call.status) == (
        live.call_sid,
        CALLER,
        "+14155550100",
        "outbound-api",
        "in-progress",
    )
    assert call.far_end == "+14155550100" and call.to_formatted == "(415) 555-0100"
    assert call.start_time is not None and call.start_time.tzinfo is not None and call.end_time is None
    caller = simulator.join(live.conference_sid, from_="+13125550148", caller_name="WHITFIELD DANA")
    inbound = twilio_client.fetch_call(caller.call_sid)
    assert (inbound.direction, inbound.far_end, inbound.caller_name) == ("inbound", "+13125550148", "WHITFIELD DANA")
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.fetch_call("CA" + "0" * 32)
    assert (caught.value.status, caught.value.code) == (404, 20404)


def test_create_a_call_recording_with_every_parameter(simulator, twilio_client, live):
    simulator.reset_request_log()
    recording = twilio_client.create_call_recording(live.call_sid, **EVERY_CREATE_RECORDING_PARAMETER)
    assert isinstance(recording, Recording) and recording.sid.startswith("RE")
    assert (recording.status, recording.channels, recording.track, recording.source) == (
        "in-progress",
        2,
        "inbound",
        "StartCallRecordingAPI",
    )
    assert recording.is_active and recording.duration_seconds == 0 and recording.request_id
    assert simulator.request_log[-1].params == {
        "RecordingStatusCallbackEvent": ["in-progress", "completed", "absent"],
        "RecordingStatusCallback": ["https://dash.example.com/recording"],
        "RecordingStatusCallbackMethod": ["GET"],
        "Trim": ["trim-silence"],
        "RecordingChannels": ["dual"],
        "RecordingTrack": ["inbound"],
    }


def test_update_call_recording_by_sid_and_twilio_current(simulator, twilio_client, live):
    recording = twilio_client.create_call_recording(live.call_sid)
    simulator.clock.advance(6)
    simulator.reset_request_log()
    paused = twilio_client.update_call_recording(
        live.call_sid, CURRENT_RECORDING, status="paused", pause_behavior="skip"
    )
    assert (paused.sid, paused.status, paused.duration_seconds) == (recording.sid, "paused", 6)
    assert simulator.request_log[-1].params == {"Status": ["paused"], "PauseBehavior": ["skip"]}
    assert simulator.request_log[-1].path.endswith(f"/Calls/{live.call_sid}/Recordings/Twilio.CURRENT.json")
    simulator.clock.advance(30)
    assert twilio_client.fetch_call_recording(live.call_sid, recording.sid).duration_seconds == 6
    resumed = twilio_client.update_call_recording(live.call_sid, recording.sid, status="in-progress")
    assert resumed.status == "in-progress"
    stopped = twilio_client.update_call_recording(live.call_sid, CURRENT_RECORDING, status="stopped")
    assert stopped.status == "stopped" and not stopped.is_active
    assert twilio_client.fetch_call_recording(live.call_sid, recording.sid).status == "completed"
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.update_call_recording(live.call_sid, recording.sid, status="in-progress")
    assert caught.value.code == 21220
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.update_call_recording(live.call_sid, CURRENT_RECORDING, status="paused")
    assert caught.value.code == 20404
    with pytest.raises(TypeError):
        twilio_client.update_call_recording(live.call_sid, recording.sid, status="")


def test_list_call_recordings_every_filter_and_paging(simulator, twilio_client, live):
    sids = [twilio_client.create_call_recording(live.call_sid).sid for _ in range(3)]
    simulator.reset_request_log()
    listed = twilio_client.list_call_recordings(live.call_sid, page_size=2)
    assert [r.sid for r in listed] == sids[::-1]
    assert [r.operation for r in simulator.request_log] == ["ListCallRecording"] * 2
    today = simulator.clock.now().date()
    assert len(twilio_client.list_call_recordings(live.call_sid, date_created=today)) == 3
    assert len(twilio_client.list_call_recordings(live.call_sid, date_created_after=date(2000, 1, 1))) == 3
    assert twilio_client.list_call_recordings(live.call_sid, date_created_before="2000-01-01") == []
    assert len(twilio_client.list_call_recordings(live.call_sid, limit=1, page_size=1)) == 1
    first = twilio_client.page_call_recordings(live.call_sid, page_size=1, page=0)
    assert first.next_page_uri and first.records[0].sid == sids[-1]
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.page_call_recordings(live.call_sid, page_token="PAnotarealtoken")
    assert caught.value.code == 21481


def test_conference_recordings(simulator, twilio_client, live):
    (recording,) = twilio_client.list_conference_recordings(live.conference_sid)
    assert (recording.status, recording.source, recording.track, recording.call_sid) == (
        "in-progress",
        "Conference",
        None,
        None,
    )
    assert twilio_client.fetch_conference_recording(live.conference_sid, recording.sid).sid == recording.sid
    simulator.clock.advance(4)
    paused = twilio_client.update_conference_recording(
        live.conference_sid, CURRENT_RECORDING, status="paused", pause_behavior="silence"
    )
    assert (paused.status, paused.duration_seconds) == ("paused", 4)
    assert paused.date_updated == simulator.clock.now().replace(microsecond=0)  # "paused since"
    twilio_client.update_conference_recording(live.conference_sid, recording.sid, status="in-progress")
    today = simulator.clock.now().date()
    assert len(twilio_client.list_conference_recordings(live.conference_sid, date_created_after=today)) == 1
    assert twilio_client.list_conference_recordings(live.conference_sid, date_created_before="2000-01-01") == []
    page = twilio_client.page_conference_recordings(live.conference_sid, page_size=5, page=0, date_created=today)
    assert [r.sid for r in page.records] == [recording.sid] and page.next_page_uri is None
    stopped = twilio_client.update_conference_recording(live.conference_sid, CURRENT_RECORDING, status="stopped")
    assert stopped.status == "stopped"
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.update_conference_recording(live.conference_sid, CURRENT_RECORDING, status="in-progress")
    assert caught.value.code == 20404


def test_update_call_moves_the_call_with_inline_twiml(simulator, twilio_client, live):
    """UpdateCall with `twiml` (CONTRACT.md section 14): one POST, the Call back; Twilio's codes kept."""
    simulator.reset_request_log()
    twiml = '<Response><Dial><Conference participantLabel="customer">Side &amp; room</Conference></Dial></Response>'
    call = twilio_client.update_call(live.call_sid, twiml=twiml)
    assert isinstance(call, Call) and (call.sid, call.status) == (live.call_sid, "in-progress")
    assert [(r.operation, r.params["Twiml"]) for r in simulator.request_log] == [("UpdateCall", [twiml])]
    side = twilio_client.list_conferences(friendly_name="Side & room")[0]
    assert [p.label for p in twilio_client.list_participants(side.sid)] == ["customer"]
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.update_call(live.call_sid, twiml="<Response>" + " " * 4000 + "</Response>")
    assert (caught.value.status, caught.value.code) == (400, 32018)
    assert twilio_client.update_call(live.call_sid, status="completed").status == "completed"
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.update_call(live.call_sid, twiml=twiml)
    assert caught.value.code == 21220
    with pytest.raises(TypeError):
        twilio_client.update_call(live.call_sid, twiml=twiml, url="https://example.com/twiml")
