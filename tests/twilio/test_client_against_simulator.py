"""The product's client against the running simulator: every method and parameter family."""

from datetime import date

import pytest

from conference_admin.twilio import Conference, Participant, TwilioApiError, TwilioClient
from conference_admin.twilio.params import CreateParticipantParams, UpdateParticipantParams

from ..conftest import TEST_ACCOUNT_SID

CALLER = "+15005550006"

# A valid value for every optional create parameter (the spec's ranges and enums).
EVERY_CREATE_PARAMETER = {
    "status_callback": "https://dash.example.com/status",
    "status_callback_method": "POST",
    "status_callback_event": ["initiated", "ringing", "answered", "completed"],
    "label": "customer with every option",
    "timeout": 30,
    "record": True,
    "muted": True,
    "beep": "onEnter",
    "start_conference_on_enter": True,
    "end_conference_on_exit": False,
    "wait_url": "https://example.com/wait.xml",
    "wait_method": "GET",
    "early_media": True,
    "max_participants": 25,
    "conference_record": "record-from-start",
    "conference_trim": "trim-silence",
    "conference_status_callback": "https://dash.example.com/conference",
    "conference_status_callback_method": "POST",
    "conference_status_callback_event": [
        "start",
        "end",
        "join",
        "leave",
        "mute",
        "hold",
        "modify",
        "speaker",
        "announcement",
    ],
    "recording_channels": "dual",
    "recording_status_callback": "https://dash.example.com/recording",
    "recording_status_callback_method": "POST",
    "sip_auth_username": "agent",
    "sip_auth_password": "s3cret",
    "region": "ie1",
    "conference_recording_status_callback": "https://dash.example.com/conference-recording",
    "conference_recording_status_callback_method": "GET",
    "recording_status_callback_event": ["in-progress", "completed"],
    "conference_recording_status_callback_event": ["in-progress", "completed", "failed"],
    "coaching": False,
    "jitter_buffer_size": "small",
    "byoc": "BY" + "1" * 32,
    "caller_id": CALLER,
    "call_reason": "Your order",
    "recording_track": "both",
    "time_limit": 3600,
    "machine_detection": "Enable",
    "machine_detection_timeout": 30,
    "machine_detection_speech_threshold": 2400,
    "machine_detection_speech_end_threshold": 1200,
    "machine_detection_silence_timeout": 5000,
    "amd_status_callback": "https://dash.example.com/amd",
    "amd_status_callback_method": "POST",
    "trim": "do-not-trim",
    "call_token": "token-from-an-incoming-call",
    "client_notification_url": "https://dash.example.com/push",
    "caller_display_name": "Support desk",
}


def test_the_table_covers_every_create_keyword():
    import typing

    # call_sid_to_coach needs a live target: covered by test_create_a_coach below.
    assert set(EVERY_CREATE_PARAMETER) | {"call_sid_to_coach"} == set(typing.get_type_hints(CreateParticipantParams))


@pytest.fixture
def room(simulator, twilio_client):
    """A live conference with one connected agent, made through the client."""
    agent = twilio_client.create_participant("Client room", from_=CALLER, to="+14155550100", label="agent alice")
    simulator.answer(simulator.account_sid, agent.conference_sid, agent.call_sid)
    return agent.conference_sid


def test_create_with_every_parameter_sends_each_once_under_its_wire_name(simulator, twilio_client, room):
    simulator.reset_request_log()
    participant = twilio_client.create_participant(room, from_=CALLER, to="+14155550101", **EVERY_CREATE_PARAMETER)
    assert isinstance(participant, Participant)
    assert participant.status == "queued" and participant.label == "customer with every option"
    assert participant.muted is True and participant.conference_sid == room
    sent = simulator.request_log[-1].params
    assert sent["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert sent["Muted"] == ["true"] and sent["Coaching"] == ["false"] and sent["Timeout"] == ["30"]
    assert len(sent) == len(EVERY_CREATE_PARAMETER) + 2  # + From and To


def test_create_a_coach(simulator, twilio_client, room):
    agent = twilio_client.fetch_participant(room, "agent alice")
    coach = twilio_client.create_participant(
        room, from_=CALLER, to="client:sam", label="supervisor sam", coaching=True, call_sid_to_coach=agent.call_sid
    )
    assert coach.coaching is True and coach.call_sid_to_coach == agent.call_sid
    assert simulator.request_log[-1].params["CallSidToCoach"] == [agent.call_sid]


def test_create_by_friendly_name_starts_a_conference(twilio_client):
    participant = twilio_client.create_participant("Brand new room", from_=CALLER, to="client:alice")
    conference = twilio_client.fetch_conference(participant.conference_sid)
    assert conference.friendly_name == "Brand new room" and conference.status == "init"


@pytest.mark.parametrize("label", ["customer bob", "ünïcødé agent", "agent #1", "100% agent", "a?b&c=d"])
def test_fetch_update_delete_by_label(simulator, twilio_client, room, label):
    created = twilio_client.create_participant(room, from_=CALLER, to="+14155550102", label=label)
    simulator.answer(simulator.account_sid, room, created.call_sid)
    assert twilio_client.fetch_participant(room, label).call_sid == created.call_sid
    assert twilio_client.update_participant(room, label, muted=True).muted is True
    assert twilio_client.delete_participant(room, label)
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.fetch_participant(room, created.call_sid)
    assert caught.value.code == 20404


def test_a_label_with_a_slash_is_refused_with_twilios_code(twilio_client, room):
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.create_participant(room, from_=CALLER, to="+14155550103", label="agent/alice")
    assert caught.value.code == 16024 and caught.value.status == 400


def test_every_update_parameter(simulator, twilio_client, room):
    customer = twilio_client.create_participant(room, from_=CALLER, to="+14155550104", label="customer")
    simulator.answer(simulator.account_sid, room, customer.call_sid)
    updates = {
        "muted": True,
        "hold": True,
        "hold_url": "https://example.com/hold.mp3",
        "hold_method": "GET",
        "announce_url": "https://example.com/announce.xml",
        "announce_method": "POST",
        "wait_url": "https://example.com/wait.xml",
        "wait_method": "POST",
        "beep_on_exit": False,
        "end_conference_on_exit": True,
    }
    import typing

    assert set(updates) | {"coaching", "call_sid_to_coach"} == set(typing.get_type_hints(UpdateParticipantParams))
    simulator.reset_request_log()
    updated = twilio_client.update_participant(room, customer.call_sid, **updates)
    assert updated.muted and updated.hold and updated.end_conference_on_exit
    assert simulator.request_log[-1].params == {
        "Muted": ["true"],
        "Hold": ["true"],
        "HoldUrl": ["https://example.com/hold.mp3"],
        "HoldMethod": ["GET"],
        "AnnounceUrl": ["https://example.com/announce.xml"],
        "AnnounceMethod": ["POST"],
        "WaitUrl": ["https://example.com/wait.xml"],
        "WaitMethod": ["POST"],
        "BeepOnExit": ["false"],
        "EndConferenceOnExit": ["true"],
    }
    resumed = twilio_client.update_participant(room, customer.call_sid, hold=False)
    coach = twilio_client.update_participant(room, "agent alice", coaching=True, call_sid_to_coach=customer.call_sid)
    assert resumed.hold is False and coach.coaching and coach.call_sid_to_coach == customer.call_sid
    assert twilio_client.update_participant(room, "agent alice", coaching=False).call_sid_to_coach is None


def test_list_filters_and_paging(simulator, twilio_client, room):
    for n in range(5):
        p = twilio_client.create_participant(room, from_=CALLER, to=f"+1415555020{n}", label=f"p{n}", muted=n % 2 == 0)
        simulator.answer(simulator.account_sid, room, p.call_sid)
    simulator.reset_request_log()
    everyone = twilio_client.list_participants(room, page_size=2)
    assert len(everyone) == 6
    assert [r.operation for r in simulator.request_log] == ["ListParticipant"] * 3
    muted = twilio_client.list_participants(room, muted=True)
    assert {p.label for p in muted} == {"p0", "p2", "p4"}
    assert twilio_client.list_participants(room, hold=True) == []
    assert len(twilio_client.list_participants(room, page_size=2, limit=3)) == 3
    page = twilio_client.page_participants(room, page_size=4)
    assert (page.page, page.page_size, page.start, page.end) == (0, 4, 0, 3) and page.next_page_uri


def test_an_invented_page_token_is_21481(twilio_client, room):
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.page_participants(room, page_token="PAnotarealtoken")
    assert caught.value.code == 21481


def test_conferences_list_fetch_update(simulator, twilio_client, room):
    simulator.join(room, label="customer")  # a second participant starts the conference
    live = twilio_client.list_conferences(status="in-progress")
    assert [c.sid for c in live] == [room]
    assert twilio_client.list_conferences(friendly_name="Client room")[0].sid == room
    assert twilio_client.list_conferences(date_created_after=date(2000, 1, 1))[0].sid == room
    assert room in [c.sid for c in twilio_client.list_conferences(date_created=simulator.clock.now().date())]
    assert twilio_client.list_conferences(date_created_before=date(2000, 1, 1)) == []
    conference = twilio_client.fetch_conference(room)
    assert isinstance(conference, Conference) and conference.status == "in-progress" and conference.region
    assert conference.date_created.tzinfo is not None
    twilio_client.update_conference(room, announce_url="https://example.com/all.xml", announce_method="GET")
    ended = twilio_client.update_conference(room, status="completed")
    assert ended.status == "completed" and ended.reason_conference_ended == "conference-ended-via-api"
    assert twilio_client.list_participants(room) == []


def test_bad_input_and_bad_credentials_come_back_as_twilio_codes(simulator_server, twilio_client, room):
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.create_participant(room, from_=CALLER, to="not-a-number")
    assert caught.value.code == 21211
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.create_participant(room, from_=CALLER, to="+14155550105", label="agent alice")
    assert caught.value.code == 16026
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.fetch_participant(room, "CA" + "0" * 32)
    assert caught.value.code == 20404 and caught.value.more_info.endswith("/20404")
    intruder = TwilioClient(account_sid=TEST_ACCOUNT_SID, auth_token="wrong", base_url=simulator_server.base_url)
    with pytest.raises(TwilioApiError) as caught:
        intruder.list_conferences()
    assert (caught.value.status, caught.value.code) == (401, 20003)
