"""Recording status callbacks: exact parameters, the events asked for, Twilio signatures."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from conference_admin.simulator.engine import ManualClock, Simulator

from .conftest import ACCOUNT, Api, CallbackReceiver
from .test_callbacks import assert_signed, wait_for

RECORDING = {
    "AccountSid",
    "CallSid",
    "RecordingSid",
    "RecordingUrl",
    "RecordingStatus",
    "RecordingDuration",
    "RecordingChannels",
    "RecordingStartTime",
    "RecordingSource",
    "RecordingTrack",
}
CONFERENCE_RECORDING = RECORDING - {"CallSid", "RecordingTrack"} | {"ConferenceSid"}


def test_call_recording_callbacks_for_the_events_asked_for(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    created = api.dial("Room")
    clock.advance(3)
    call_sid = created["call_sid"]
    recording = api.post(
        f"Calls/{call_sid}/Recordings.json",
        {
            "RecordingStatusCallback": receiver.base_url + "/recording?tenant=1",
            "RecordingStatusCallbackEvent": "in-progress completed absent",
            "RecordingChannels": "dual",
        },
    ).json()
    clock.advance(12)
    api.post(f"Calls/{call_sid}/Recordings/Twilio.CURRENT.json", {"Status": "paused"})  # no callback: not an event
    clock.advance(3)
    api.post(f"Calls/{call_sid}/Recordings/Twilio.CURRENT.json", {"Status": "stopped"})
    started, completed = wait_for(sim, receiver, 2)
    for request in (started, completed):
        assert_signed(request)
        assert request.method == "POST" and request.url == receiver.base_url + "/recording?tenant=1"
        assert set(request.form) == RECORDING
        assert request.form["RecordingSid"] == recording["sid"] and request.form["CallSid"] == call_sid
        assert request.form["RecordingUrl"].endswith(f"/Accounts/{ACCOUNT}/Recordings/{recording['sid']}")
        assert request.form["RecordingSource"] == "StartCallRecordingAPI"
        assert request.form["RecordingChannels"] == "2" and request.form["RecordingTrack"] == "both"
        assert parsedate_to_datetime(request.form["RecordingStartTime"]) == parsedate_to_datetime(
            recording["start_time"]
        )
    assert (started.form["RecordingStatus"], started.form["RecordingDuration"]) == ("in-progress", "0")
    assert (completed.form["RecordingStatus"], completed.form["RecordingDuration"]) == ("completed", "15")


def test_by_default_only_completed_or_absent_is_reported(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    created = api.dial("Room")
    clock.advance(3)
    url = receiver.base_url + "/recording"
    api.post(f"Calls/{created['call_sid']}/Recordings.json", {"RecordingStatusCallback": url})
    api.post(f"Calls/{created['call_sid']}/Recordings/Twilio.CURRENT.json", {"Status": "stopped"})
    api.post(
        f"Calls/{created['call_sid']}/Recordings.json",
        {
            "RecordingStatusCallback": url,
            "RecordingStatusCallbackEvent": ["absent"],
            "RecordingStatusCallbackMethod": "GET",
        },
    )
    api.post(f"Calls/{created['call_sid']}/Recordings/Twilio.CURRENT.json", {"Status": "stopped"})
    (absent,) = wait_for(sim, receiver, 1)  # the first asked for completed only, and was absent
    assert absent.method == "GET" and absent.body == b""
    assert absent.form["RecordingStatus"] == "absent" and absent.form["ErrorCode"] == "16101"
    assert_signed(absent)


def test_conference_recording_callbacks_follow_the_conference(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    created = api.dial(
        "Recorded",
        ConferenceRecord="record-from-start",
        ConferenceRecordingStatusCallback=receiver.base_url + "/conference-recording",
        ConferenceRecordingStatusCallbackEvent="in-progress completed",
    )
    conference_sid = created["conference_sid"]
    api.dial(conference_sid, To="+14155550123")  # a conference starts with its second participant
    clock.advance(3)
    api.get(f"Conferences/{conference_sid}.json")
    clock.advance(30)
    api.post(f"Conferences/{conference_sid}.json", {"Status": "completed"})
    started, completed = wait_for(sim, receiver, 2)
    for request in (started, completed):
        assert_signed(request)
        assert set(request.form) == CONFERENCE_RECORDING
        assert request.form["ConferenceSid"] == conference_sid and request.form["RecordingSource"] == "Conference"
    assert [started.form["RecordingStatus"], completed.form["RecordingStatus"]] == ["in-progress", "completed"]
    assert completed.form["RecordingDuration"] == "30"


def test_no_callback_url_means_no_callback(api: Api, sim: Simulator, clock: ManualClock) -> None:
    api.dial("Recorded", ConferenceRecord="record-from-start")
    clock.advance(3)
    api.get("Conferences.json")
    assert sim.callbacks.flush(5)
    assert sim.callbacks.deliveries == []


def test_a_participant_created_with_record_is_recorded_from_its_answer(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    """Record=true on a participant create; its RecordingStatusCallbackEvent may ask for paused,
    resumed and stopped too (the conference spec's CreateParticipant description)."""
    created = api.dial(
        "Room",
        Record="true",
        RecordingChannels="dual",
        RecordingStatusCallback=receiver.base_url + "/participant-recording",
        RecordingStatusCallbackEvent="in-progress paused resumed stopped completed",
    )
    call_sid = created["call_sid"]
    assert api.get(f"Calls/{call_sid}/Recordings.json").json()["recordings"] == []  # not answered yet
    clock.advance(3)
    (recording,) = api.get(f"Calls/{call_sid}/Recordings.json").json()["recordings"]
    assert (recording["source"], recording["channels"], recording["status"]) == ("OutboundAPI", 2, "in-progress")
    current = f"Calls/{call_sid}/Recordings/Twilio.CURRENT.json"
    clock.advance(5)
    api.post(current, {"Status": "paused"})
    api.post(current, {"Status": "paused"})  # already paused: nothing changes, nothing is reported
    api.post(current, {"Status": "in-progress"})
    clock.advance(5)
    api.post(current, {"Status": "stopped"})
    requests = wait_for(sim, receiver, 5)
    assert [r.form["RecordingStatus"] for r in requests] == ["in-progress", "paused", "resumed", "stopped", "completed"]
    assert {r.form["RecordingSource"] for r in requests} == {"OutboundAPI"}
    assert requests[-1].form["RecordingDuration"] == "10"
    for request in requests:
        assert_signed(request)
