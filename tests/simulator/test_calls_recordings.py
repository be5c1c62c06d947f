"""Calls and recordings over HTTP: Call identity, recording state machines, Twilio.CURRENT, errors.

Every response `api` receives is validated against Twilio's spec (strict: exactly the schema's
fields), including the calls-and-recordings spec, so each test is also a fidelity check.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from conference_admin.simulator.demo import load_demo
from conference_admin.simulator.engine import BUSY_NUMBER, DIAL_IN_NUMBER, ManualClock, Simulator

from .conftest import ACCOUNT, CALLER, OTHER_ACCOUNT, OTHER_TOKEN, Api

CURRENT = "Twilio.CURRENT"


def call_path(call_sid: str, tail: str = ".json") -> str:
    return f"Calls/{call_sid}{tail}"


def connected_call(api: Api, clock: ManualClock, conference: str = "Room", **params: object) -> dict:
    created = api.dial(conference, **params)
    clock.advance(3)
    return created


def recorded_conference(api: Api, clock: ManualClock, conference: str = "Room", **params: object) -> dict:
    """A first participant with the recording options, and a second one so the conference starts."""
    created = api.dial(conference, **params)
    api.dial(created["conference_sid"], To="+14155550123")
    clock.advance(3)
    return created


def start_recording(api: Api, call_sid: str, **params: object) -> dict:
    response = api.post(call_path(call_sid, "/Recordings.json"), params)
    assert response.status_code == 201, response.text
    return response.json()


def update(api: Api, path: str, **params: object) -> dict:
    response = api.post(path, params)
    assert response.status_code == 200, response.text
    return response.json()


def error_of(response) -> tuple[int, int]:
    return response.status_code, response.json()["code"]


# --- Calls ------------------------------------------------------------------------------------


def test_a_dial_outs_call_follows_the_participant_and_outlives_it(api: Api, clock: ManualClock) -> None:
    created = api.dial("Room", To="+14155550123", Label="customer")
    call = api.get(call_path(created["call_sid"])).json()
    assert (call["from"], call["to"], call["direction"], call["status"]) == (
        CALLER,
        "+14155550123",
        "outbound-api",
        "queued",
    )
    assert (call["from_formatted"], call["to_formatted"]) == ("(500) 555-0006", "(415) 555-0123")
    assert call["start_time"] is None and call["caller_name"] is None and call["parent_call_sid"] is None
    clock.advance(1)
    ringing = api.get(call_path(created["call_sid"])).json()
    assert ringing["status"] == "ringing" and ringing["start_time"] is not None
    clock.advance(2)
    assert api.get(call_path(created["call_sid"])).json()["status"] == "in-progress"
    clock.advance(42)
    api.delete(f"Conferences/{created['conference_sid']}/Participants/customer.json")
    ended = api.get(call_path(created["call_sid"])).json()
    assert ended["status"] == "completed" and ended["end_time"] is not None
    assert ended["duration"] == "42"  # from answer to hang-up
    assert ended["from"] == CALLER and ended["direction"] == "outbound-api"  # identity never changes


def test_a_dial_ins_call_is_inbound_from_the_callers_number(api: Api, sim: Simulator, clock: ManualClock) -> None:
    conference_sid = connected_call(api, clock)["conference_sid"]
    caller = sim.join(conference_sid, label="customer:Dana", from_="+13125550148", caller_name="WHITFIELD DANA")
    call = api.get(call_path(caller.call_sid)).json()
    assert (call["direction"], call["from"], call["to"], call["status"]) == (
        "inbound",
        "+13125550148",
        DIAL_IN_NUMBER,
        "in-progress",
    )
    assert call["caller_name"] == "WHITFIELD DANA" and call["from_formatted"] == "(312) 555-0148"
    international = sim.join(conference_sid, from_="+442079460321")
    call = api.get(call_path(international.call_sid)).json()
    assert call["from_formatted"] == "+442079460321" and call["caller_name"] is None


def test_client_and_sip_identities_are_shown_as_they_are(api: Api, clock: ManualClock) -> None:
    agent = connected_call(api, clock, To="client:alice")
    call = api.get(call_path(agent["call_sid"])).json()
    assert call["to"] == call["to_formatted"] == "client:alice"


def test_a_call_that_never_connected_has_no_duration(api: Api, clock: ManualClock) -> None:
    connected_call(api, clock)
    busy = api.dial("Room", To=BUSY_NUMBER)
    clock.advance(3)
    call = api.get(call_path(busy["call_sid"])).json()
    assert call["status"] == "busy" and call["duration"] is None


def test_unknown_and_other_accounts_calls_are_20404(api: Api, server, clock: ManualClock) -> None:
    assert error_of(api.get(call_path("CA" + "0" * 32))) == (404, 20404)
    mine = connected_call(api, clock)["call_sid"]
    other = Api(server, auth=(OTHER_ACCOUNT, OTHER_TOKEN))
    other.prefix = f"/2010-04-01/Accounts/{OTHER_ACCOUNT}"
    assert error_of(other.get(call_path(mine))) == (404, 20404)


def test_methods_left_out_answer_405(api: Api, clock: ManualClock) -> None:
    call_sid = connected_call(api, clock)["call_sid"]
    assert error_of(api.delete(call_path(call_sid))) == (405, 20004)  # DeleteCall
    recording = start_recording(api, call_sid)
    assert error_of(api.delete(call_path(call_sid, f"/Recordings/{recording['sid']}.json"))) == (405, 20004)


# --- call recordings: the state machine ---------------------------------------------------------


def test_pause_skip_resume_pause_silence_stop(api: Api, clock: ManualClock) -> None:
    call_sid = connected_call(api, clock)["call_sid"]
    created = start_recording(api, call_sid, RecordingChannels="dual", RecordingTrack="inbound", Trim="trim-silence")
    assert (created["status"], created["source"], created["channels"], created["track"]) == (
        "in-progress",
        "StartCallRecordingAPI",
        2,
        "inbound",
    )
    assert created["call_sid"] == call_sid and created["conference_sid"] is None and created["duration"] == "0"
    current = call_path(call_sid, f"/Recordings/{CURRENT}.json")
    by_sid = call_path(call_sid, f"/Recordings/{created['sid']}.json")

    clock.advance(10)
    assert api.get(by_sid).json()["duration"] == "10"
    paused = update(api, current, Status="paused", PauseBehavior="skip")
    assert paused["status"] == "paused" and paused["sid"] == created["sid"]
    clock.advance(5)
    assert api.get(by_sid).json()["duration"] == "10"  # skip records nothing while paused
    assert update(api, current, Status="in-progress")["status"] == "in-progress"
    clock.advance(5)
    assert update(api, by_sid, Status="paused")["duration"] == "15"  # PauseBehavior defaults to silence
    clock.advance(5)
    assert api.get(by_sid).json()["duration"] == "20"  # silence is recorded: it counts
    stopped = update(api, current, Status="stopped")
    assert (stopped["status"], stopped["duration"]) == ("stopped", "20")
    clock.advance(5)
    final = api.get(by_sid).json()
    assert (final["status"], final["duration"], final["error_code"]) == ("completed", "20", None)


def test_a_stopped_recording_is_final(api: Api, clock: ManualClock) -> None:
    call_sid = connected_call(api, clock)["call_sid"]
    recording = start_recording(api, call_sid)
    clock.advance(3)
    update(api, call_path(call_sid, f"/Recordings/{recording['sid']}.json"), Status="stopped")
    for status in ("in-progress", "paused", "stopped"):
        refused = api.post(call_path(call_sid, f"/Recordings/{recording['sid']}.json"), {"Status": status})
        assert error_of(refused) == (400, 21220)
    # Nothing is current any more: Twilio.CURRENT names no recording.
    assert error_of(api.post(call_path(call_sid, f"/Recordings/{CURRENT}.json"), {"Status": "paused"})) == (404, 20404)


def test_pausing_a_paused_and_resuming_a_running_recording_change_nothing(api: Api, clock: ManualClock) -> None:
    call_sid = connected_call(api, clock)["call_sid"]
    start_recording(api, call_sid)
    current = call_path(call_sid, f"/Recordings/{CURRENT}.json")
    assert update(api, current, Status="in-progress")["status"] == "in-progress"
    first = update(api, current, Status="paused", PauseBehavior="skip")
    clock.advance(4)
    again = update(api, current, Status="paused", PauseBehavior="silence")
    assert again["status"] == "paused" and again["date_updated"] == first["date_updated"]
    clock.advance(4)
    assert api.get(call_path(call_sid, f"/Recordings/{first['sid']}.json")).json()["duration"] == "0"  # still skip


def test_no_recording_in_progress(api: Api, clock: ManualClock) -> None:
    call_sid = connected_call(api, clock)["call_sid"]
    current = call_path(call_sid, f"/Recordings/{CURRENT}.json")
    assert error_of(api.post(current, {"Status": "paused"})) == (404, 20404)
    assert error_of(api.get(call_path(call_sid, "/Recordings/RE" + "0" * 32 + ".json"))) == (404, 20404)
    # Fetch names recordings by SID only (the spec's pattern is RE...): Twilio.CURRENT is not one.
    start_recording(api, call_sid)
    assert error_of(api.get(current)) == (404, 20404)


def test_only_a_call_in_progress_can_be_recorded(api: Api, clock: ManualClock) -> None:
    connected_call(api, clock)
    ringing = api.dial("Room")
    assert error_of(api.post(call_path(ringing["call_sid"], "/Recordings.json"))) == (400, 21220)
    clock.advance(3)
    start_recording(api, ringing["call_sid"])
    api.delete(f"Conferences/{ringing['conference_sid']}/Participants/{ringing['call_sid']}.json")
    assert error_of(api.post(call_path(ringing["call_sid"], "/Recordings.json"))) == (400, 21220)
    assert error_of(api.post(call_path("CA" + "1" * 32, "/Recordings.json"))) == (404, 20404)


def test_two_active_recordings_make_twilio_current_ambiguous(api: Api, clock: ManualClock) -> None:
    call_sid = connected_call(api, clock)["call_sid"]
    first = start_recording(api, call_sid)
    second = start_recording(api, call_sid)
    refused = api.post(call_path(call_sid, f"/Recordings/{CURRENT}.json"), {"Status": "paused"})
    assert error_of(refused) == (400, 16108)
    clock.advance(2)
    update(api, call_path(call_sid, f"/Recordings/{first['sid']}.json"), Status="stopped")
    assert update(api, call_path(call_sid, f"/Recordings/{CURRENT}.json"), Status="paused")["sid"] == second["sid"]


def test_a_recording_stopped_at_once_is_absent(api: Api, clock: ManualClock) -> None:
    call_sid = connected_call(api, clock)["call_sid"]
    recording = start_recording(api, call_sid)
    update(api, call_path(call_sid, f"/Recordings/{CURRENT}.json"), Status="stopped")
    absent = api.get(call_path(call_sid, f"/Recordings/{recording['sid']}.json")).json()
    assert (absent["status"], absent["error_code"], absent["duration"]) == ("absent", 16101, "0")


def test_a_recording_completes_when_its_call_ends(api: Api, sim: Simulator, clock: ManualClock) -> None:
    created = connected_call(api, clock)
    api.dial(created["conference_sid"])  # keeps the conference going
    recording = start_recording(api, created["call_sid"])
    clock.advance(7)
    sim.hang_up(ACCOUNT, created["conference_sid"], created["call_sid"])
    done = api.get(call_path(created["call_sid"], f"/Recordings/{recording['sid']}.json")).json()
    assert (done["status"], done["duration"]) == ("completed", "7")


def test_list_call_recordings_newest_first_paged_and_by_date(api: Api, clock: ManualClock) -> None:
    call_sid = connected_call(api, clock)["call_sid"]
    sids = [start_recording(api, call_sid)["sid"] for _ in range(3)]
    path = call_path(call_sid, "/Recordings.json")
    first = api.get(path, params={"PageSize": 2}).json()
    assert [r["sid"] for r in first["recordings"]] == sids[::-1][:2]
    second = api.get(first["next_page_uri"]).json()
    assert [r["sid"] for r in second["recordings"]] == sids[:1] and second["next_page_uri"] is None
    assert parse_qs(urlsplit(first["next_page_uri"]).query)["PageToken"][0].startswith("PARE")
    today = clock.now().date().isoformat()
    assert len(api.get(path, params={"DateCreated>": today}).json()["recordings"]) == 3
    assert api.get(path, params={"DateCreated<": "2000-01-01"}).json()["recordings"] == []
    assert api.get(path, params={"DateCreated": today}).json()["end"] == 2
    assert error_of(api.get(path, params={"DateCreated": "yesterday"})) == (400, 21200)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, 21200),  # Status is required
        ({"Status": "completed"}, 21200),  # an update may only ask for paused, in-progress or stopped
        ({"Status": "paused", "PauseBehavior": "mute"}, 21200),
    ],
)
def test_update_validation(api: Api, clock: ManualClock, params: dict, code: int) -> None:
    call_sid = connected_call(api, clock)["call_sid"]
    start_recording(api, call_sid)
    assert error_of(api.post(call_path(call_sid, f"/Recordings/{CURRENT}.json"), params)) == (400, code)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"RecordingChannels": "stereo"}, 21200),
        ({"RecordingTrack": "sideways"}, 21200),
        ({"Trim": "yes"}, 21200),
        ({"RecordingStatusCallback": "not a url"}, 21205),
        ({"RecordingStatusCallbackMethod": "PUT"}, 21209),
        ({"RecordingStatusCallbackEvent": "in-progress paused"}, 21626),  # paused is not a call-recording event
    ],
)
def test_create_validation(api: Api, clock: ManualClock, params: dict, code: int) -> None:
    call_sid = connected_call(api, clock)["call_sid"]
    assert error_of(api.post(call_path(call_sid, "/Recordings.json"), params)) == (400, code)


# --- conference recordings --------------------------------------------------------------------


def conference_recordings(conference_sid: str, tail: str = ".json") -> str:
    return f"Conferences/{conference_sid}/Recordings{tail}"


def test_a_conference_recorded_from_start(api: Api, clock: ManualClock) -> None:
    created = api.dial("Recorded", ConferenceRecord="record-from-start")
    conference_sid = created["conference_sid"]
    assert api.get(conference_recordings(conference_sid)).json()["recordings"] == []  # not started yet
    api.dial(conference_sid, To="+14155550123")  # a conference starts with its second participant
    clock.advance(3)
    (recording,) = api.get(conference_recordings(conference_sid)).json()["recordings"]
    assert (recording["status"], recording["source"], recording["conference_sid"], recording["call_sid"]) == (
        "in-progress",
        "Conference",
        conference_sid,
        None,
    )
    assert "track" not in recording  # conference recordings have no track in the spec
    current = conference_recordings(conference_sid, f"/{CURRENT}.json")
    clock.advance(20)
    paused = update(api, current, Status="paused", PauseBehavior="skip")
    assert (paused["status"], paused["duration"]) == ("paused", "20")
    clock.advance(42)
    fetched = api.get(conference_recordings(conference_sid, f"/{recording['sid']}.json")).json()
    assert (fetched["status"], fetched["duration"]) == ("paused", "20")
    assert update(api, current, Status="in-progress")["status"] == "in-progress"
    clock.advance(10)
    api.post(f"Conferences/{conference_sid}.json", {"Status": "completed"})
    ended = api.get(conference_recordings(conference_sid, f"/{recording['sid']}.json")).json()
    assert (ended["status"], ended["duration"]) == ("completed", "30")
    assert error_of(api.post(current, {"Status": "in-progress"})) == (404, 20404)
    refused = api.post(conference_recordings(conference_sid, f"/{recording['sid']}.json"), {"Status": "in-progress"})
    assert error_of(refused) == (400, 21220)


def test_a_stopped_conference_recording_cannot_be_restarted(api: Api, clock: ManualClock) -> None:
    conference_sid = recorded_conference(api, clock, "Recorded", ConferenceRecord="true")["conference_sid"]
    clock.advance(5)
    assert update(api, conference_recordings(conference_sid, f"/{CURRENT}.json"), Status="stopped")["status"] == (
        "stopped"
    )
    api.dial(conference_sid)
    clock.advance(3)
    (only,) = api.get(conference_recordings(conference_sid)).json()["recordings"]
    assert only["status"] == "completed"


def test_conferences_without_recording(api: Api, clock: ManualClock) -> None:
    conference_sid = connected_call(api, clock, ConferenceRecord="do-not-record")["conference_sid"]
    assert api.get(conference_recordings(conference_sid)).json()["recordings"] == []
    refused = api.post(conference_recordings(conference_sid, f"/{CURRENT}.json"), {"Status": "paused"})
    assert error_of(refused) == (404, 20404)
    assert error_of(api.get(conference_recordings("CF" + "0" * 32))) == (404, 20404)
    assert error_of(api.get(conference_recordings(conference_sid, "/RE" + "0" * 32 + ".json"))) == (404, 20404)


def test_a_call_recordings_sid_is_not_the_conferences(api: Api, clock: ManualClock) -> None:
    created = connected_call(api, clock, ConferenceRecord="record-from-start")
    recording = start_recording(api, created["call_sid"])
    wrong = api.get(conference_recordings(created["conference_sid"], f"/{recording['sid']}.json"))
    assert error_of(wrong) == (404, 20404)


# --- demo, faults ------------------------------------------------------------------------------


def test_demo_callers_dial_in_and_two_demo_conferences_are_recorded(sim: Simulator) -> None:
    conferences = load_demo(sim)
    calls = {
        p.label: sim.fetch_call(ACCOUNT, p.call_sid) for c in conferences for p in sim.list_participants(ACCOUNT, c.sid)
    }
    customers = [call for label, call in calls.items() if not label or label.startswith("customer:")]
    inbound = [call for call in customers if call.direction == "inbound"]
    assert len(inbound) == len(customers) - 1  # "customer:Acme on-call" is being dialled out to
    assert all(call.from_.startswith("+") and call.from_ != DIAL_IN_NUMBER for call in inbound)
    assert len({call.from_ for call in inbound}) == len(inbound)
    assert calls["customer:Dana Whitfield"].caller_name == "WHITFIELD DANA"
    assert any(call.caller_name is None for call in inbound)
    assert calls["agent:alice"].direction == "outbound-api" and calls["agent:alice"].to == "client:alice"
    recorded = {c.friendly_name for c in conferences if sim.list_conference_recordings(ACCOUNT, c.sid)}
    assert recorded == {"Support: billing dispute", "Sales: renewal"}
    assert all(r.status == "in-progress" for c in conferences for r in sim.list_conference_recordings(ACCOUNT, c.sid))


@pytest.mark.parametrize(
    ("operation", "method", "path"),
    [
        ("FetchCall", "GET", "{call}"),
        ("ListCallRecording", "GET", "{call_recordings}"),
        ("CreateCallRecording", "POST", "{call_recordings}"),
        ("ListConferenceRecording", "GET", "{conference_recordings}"),
        ("UpdateConferenceRecording", "POST", "{conference_current}"),
    ],
)
def test_faults_apply_to_the_new_operations(
    api: Api, sim: Simulator, clock: ManualClock, operation: str, method: str, path: str
) -> None:
    created = recorded_conference(api, clock, ConferenceRecord="record-from-start")
    paths = {
        "call": call_path(created["call_sid"]),
        "call_recordings": call_path(created["call_sid"], "/Recordings.json"),
        "conference_recordings": conference_recordings(created["conference_sid"]),
        "conference_current": conference_recordings(created["conference_sid"], f"/{CURRENT}.json"),
    }
    sim.faults.inject(kind="error", status=503, operation=operation, count=1)
    url = path.format(**paths)
    data = {"Status": "paused"} if method == "POST" else None
    failed = api.session.request(method, api.url(url), data=data)
    assert error_of(failed) == (503, 20503)
    assert sim.request_log[-1].operation == operation and sim.request_log[-1].fault == "error"
    assert api.session.request(method, api.url(url), data=data).status_code in (200, 201)
