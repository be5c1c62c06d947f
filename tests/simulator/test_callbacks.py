"""Status callbacks over HTTP: exact parameters, Twilio signatures, filtering, order, failures."""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime

import pytest
from twilio.request_validator import RequestValidator

from conference_admin.simulator.callbacks import dashboard_callback_urls
from conference_admin.simulator.engine import BUSY_NUMBER, ManualClock, Simulator
from conference_admin.simulator.validation import CONFERENCE_EVENTS

from .conftest import ACCOUNT, CALLER, TOKEN, Api, CallbackReceiver, Received

BASE = {"ConferenceSid", "FriendlyName", "AccountSid", "SequenceNumber", "Timestamp", "StatusCallbackEvent"}
PARTICIPANT = BASE | {
    "CallSid",
    "Muted",
    "Hold",
    "Coaching",
    "EndConferenceOnExit",
    "StartConferenceOnEnter",
    "ParticipantLabel",
}
CALL = {
    "CallSid",
    "CallStatus",
    "AccountSid",
    "From",
    "To",
    "Direction",
    "ApiVersion",
    "CallbackSource",
    "SequenceNumber",
    "Timestamp",
}


def assert_signed(request: Received, token: str = TOKEN) -> None:
    validator = RequestValidator(token)
    params = request.form if request.method == "POST" else {}
    assert validator.validate(request.url, params, request.headers["X-Twilio-Signature"]), request.url
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["User-Agent"] == "TwilioProxy/1.1"
    assert request.headers["I-Twilio-Idempotency-Token"]


def wait_for(sim: Simulator, receiver: CallbackReceiver, count: int) -> list[Received]:
    assert sim.callbacks.flush(5)
    assert len(receiver.requests) == count, receiver.events()
    return receiver.requests


def dial_all_events(api: Api, receiver: CallbackReceiver, conference: str = "Room", **params: object) -> dict:
    return api.dial(
        conference,
        Label="agent:alice",
        ConferenceStatusCallback=receiver.base_url + "/conference?room=1",
        ConferenceStatusCallbackEvent=" ".join(CONFERENCE_EVENTS),
        **params,
    )


def by_event(requests: list[Received]) -> dict[str, Received]:
    first: dict[str, Received] = {}
    for request in requests:
        first.setdefault(request.form["StatusCallbackEvent"], request)
    return first


def test_every_conference_event_has_exactly_twilios_parameters_and_a_valid_signature(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    alice = dial_all_events(api, receiver, EndConferenceOnExit="true")
    conference = alice["conference_sid"]
    bob = api.dial(conference)  # unlabelled
    clock.advance(3)
    path = f"Conferences/{conference}/Participants/{alice['call_sid']}.json"
    api.post(path, {"Muted": "true"})
    api.post(path, {"Muted": "false"})
    api.post(path, {"Hold": "true"})
    api.post(path, {"Hold": "false"})
    api.post(path, {"BeepOnExit": "false"})
    sim.start_speaking(conference, alice["call_sid"])
    sim.stop_speaking(conference, "agent:alice")
    api.post(path, {"AnnounceUrl": "https://example.com/hello.xml"})
    api.post(f"Conferences/{conference}.json", {"AnnounceUrl": "https://broken.invalid/x.mp3"})
    api.delete(f"Conferences/{conference}/Participants/{bob['call_sid']}.json")
    api.delete(path)  # EndConferenceOnExit: ends the conference

    requests = wait_for(sim, receiver, 15)
    for request in requests:
        assert_signed(request)
        assert request.method == "POST"
        assert request.url == receiver.base_url + "/conference?room=1"
    assert [int(r.form["SequenceNumber"]) for r in requests] == list(range(1, 16))
    events = by_event(requests)
    assert list(events) == [
        "participant-join",
        "conference-start",
        "participant-mute",
        "participant-unmute",
        "participant-hold",
        "participant-unhold",
        "participant-modify",
        "participant-speech-start",
        "participant-speech-stop",
        "announcement-end",
        "announcement-fail",
        "participant-leave",
        "conference-end",
    ]
    join = events["participant-join"].form
    assert set(join) == PARTICIPANT
    assert join["ConferenceSid"] == conference and join["AccountSid"] == ACCOUNT and join["FriendlyName"] == "Room"
    assert join["CallSid"] == alice["call_sid"] and join["ParticipantLabel"] == "agent:alice"
    assert (join["Muted"], join["Hold"], join["Coaching"]) == ("false", "false", "false")
    assert (join["EndConferenceOnExit"], join["StartConferenceOnEnter"]) == ("true", "true")
    assert parsedate_to_datetime(join["Timestamp"]) == clock.now().replace(microsecond=0)
    assert join["Timestamp"].endswith("+0000")
    assert set(events["conference-start"].form) == BASE
    assert events["participant-mute"].form["Muted"] == "true"
    assert events["participant-hold"].form["Hold"] == "true"
    assert set(events["participant-speech-start"].form) == PARTICIPANT
    # Bob has no label: Twilio leaves ParticipantLabel out rather than sending it empty.
    bob_joins = [r.form for r in requests if r.form.get("CallSid") == bob["call_sid"]]
    assert all("ParticipantLabel" not in form for form in bob_joins)

    announced = events["announcement-end"].form
    assert set(announced) == PARTICIPANT | {"AnnounceUrl"}
    assert announced["AnnounceUrl"] == "https://example.com/hello.xml"
    failed = events["announcement-fail"].form
    assert set(failed) == BASE | {"AnnounceUrl", "ReasonAnnouncementFailed"}  # conference-wide: no participant
    assert failed["ReasonAnnouncementFailed"]

    leaves = [r.form for r in requests if r.form["StatusCallbackEvent"] == "participant-leave"]
    assert set(leaves[0]) == (PARTICIPANT - {"ParticipantLabel"}) | {"ParticipantCallStatus", "ReasonParticipantLeft"}
    assert (leaves[0]["ParticipantCallStatus"], leaves[0]["ReasonParticipantLeft"]) == (
        "completed",
        "participant_updated_via_api",
    )

    end = events["conference-end"].form
    assert set(end) == BASE | {
        "CallSidEndingConference",
        "ParticipantLabelEndingConference",
        "ReasonConferenceEnded",
        "Reason",
    }
    assert end["CallSidEndingConference"] == alice["call_sid"]
    assert end["ParticipantLabelEndingConference"] == "agent:alice"
    assert end["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-kicked"
    assert alice["call_sid"] in end["Reason"]


def test_conference_ended_via_api_reports_every_leave_then_the_end(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    alice = dial_all_events(api, receiver)
    api.dial(alice["conference_sid"], Label="customer:bea")
    clock.advance(3)
    api.post(f"Conferences/{alice['conference_sid']}.json", {"Status": "completed"})
    requests = wait_for(sim, receiver, 6)
    tail = [r.form for r in requests[3:]]
    assert [f["StatusCallbackEvent"] for f in tail] == ["participant-leave", "participant-leave", "conference-end"]
    assert {f["ReasonParticipantLeft"] for f in tail[:2]} == {"conference_ended_via_api"}
    end = tail[2]
    assert set(end) == BASE | {"ReasonConferenceEnded", "Reason"}  # nobody's call ended it
    assert (end["ReasonConferenceEnded"], end["Reason"]) == ("conference-ended-via-api", "Conference ended via API")


def test_call_progress_callbacks_carry_twilios_call_status_parameters(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    created = api.dial(
        "Room",
        To="+14155550123",
        StatusCallback=receiver.base_url + "/call",
        StatusCallbackEvent=["initiated", "ringing", "answered", "completed"],
    )
    clock.advance(3)
    api.delete(f"Conferences/{created['conference_sid']}/Participants/{created['call_sid']}.json")
    requests = wait_for(sim, receiver, 4)
    for request in requests:
        assert_signed(request)
        assert set(request.form) == CALL
    forms = [r.form for r in requests]
    assert [f["CallStatus"] for f in forms] == ["initiated", "ringing", "in-progress", "completed"]
    assert [f["SequenceNumber"] for f in forms] == ["0", "1", "2", "3"]  # Twilio counts call progress from 0
    first = forms[0]
    assert first["CallSid"] == created["call_sid"] and first["AccountSid"] == ACCOUNT
    assert (first["From"], first["To"]) == (CALLER, "+14155550123")
    assert (first["Direction"], first["ApiVersion"], first["CallbackSource"]) == (
        "outbound-api",
        "2010-04-01",
        "call-progress-events",
    )


def test_call_callbacks_default_to_completed_only_and_report_busy(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    api.dial("Room", To=BUSY_NUMBER, StatusCallback=receiver.base_url + "/call")
    clock.advance(3)
    api.get("Conferences.json")  # any request applies due transitions
    (request,) = wait_for(sim, receiver, 1)
    assert request.form["CallStatus"] == "busy"
    assert request.form["SequenceNumber"] == "0"


def test_conference_events_are_filtered_by_the_subscribed_groups(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    alice = api.dial("Default groups", ConferenceStatusCallback=receiver.base_url + "/c")  # start end
    other = api.dial(
        "Mute only", ConferenceStatusCallback=receiver.base_url + "/m", ConferenceStatusCallbackEvent="mute"
    )
    seconds = [api.dial("Default groups"), api.dial("Mute only")]  # a conference starts with two in it
    clock.advance(3)
    for created, second in zip((alice, other), seconds, strict=True):
        path = f"Conferences/{created['conference_sid']}/Participants/{created['call_sid']}.json"
        api.post(path, {"Muted": "true", "Hold": "true"})
        api.delete(path)
        api.delete(f"Conferences/{second['conference_sid']}/Participants/{second['call_sid']}.json")
    requests = wait_for(sim, receiver, 3)
    seen = [(r.url.rsplit("/", 1)[1], r.form["StatusCallbackEvent"], r.form["SequenceNumber"]) for r in requests]
    assert seen == [("c", "conference-start", "1"), ("c", "conference-end", "2"), ("m", "participant-mute", "1")]


def test_get_method_sends_signed_params_in_the_query(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    api.dial(
        "Room",
        ConferenceStatusCallback=receiver.base_url + "/c?tenant=a%20b",
        ConferenceStatusCallbackMethod="GET",
        StatusCallback=receiver.base_url + "/call",
        StatusCallbackMethod="GET",
    )
    api.dial("Room")  # a conference starts with two in it
    clock.advance(3)
    api.get("Conferences.json")
    (start,) = wait_for(sim, receiver, 1)
    assert start.method == "GET" and start.body == b""
    assert start.url.startswith(receiver.base_url + "/c?tenant=a%20b&ConferenceSid=")
    assert start.form["StatusCallbackEvent"] == "conference-start"
    assert_signed(start)


def test_callbacks_of_one_conference_arrive_in_order_even_from_a_slow_receiver(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    receiver.delay = 0.15
    alice = dial_all_events(api, receiver)
    api.dial(alice["conference_sid"])  # a conference starts with two in it
    clock.advance(3)
    path = f"Conferences/{alice['conference_sid']}/Participants/{alice['call_sid']}.json"
    started = time.monotonic()
    for _ in range(5):
        api.post(path, {"Muted": "true"})
        api.post(path, {"Muted": "false"})
    # The API never waits for a delivery: the ten updates answer before the 13 deliveries could
    # have been made one after the other (a bound in the receiver's delays, not in CPU speed).
    assert time.monotonic() - started < 13 * receiver.delay
    assert len(receiver.requests) < 13
    requests = wait_for(sim, receiver, 13)
    assert [int(r.form["SequenceNumber"]) for r in requests] == list(range(1, 14))
    assert [r.form["StatusCallbackEvent"] for r in requests[3:]] == ["participant-mute", "participant-unmute"] * 5


def test_default_urls_get_every_event_of_conferences_without_their_own(
    clock: ManualClock, receiver: CallbackReceiver
) -> None:
    conference_url, call_url = dashboard_callback_urls(receiver.base_url + "/")
    sim = Simulator(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        clock=clock,
        seed=1,
        default_conference_callback_url=conference_url,
        default_call_callback_url=call_url,
    )
    created = sim.create_participant(ACCOUNT, "Demo", {"From": CALLER, "To": "+14155550100", "Label": "agent:zoe"})
    own = sim.create_participant(
        ACCOUNT,
        "Own URL",
        {"From": CALLER, "To": "+14155550100", "ConferenceStatusCallback": receiver.base_url + "/own"},
    )
    clock.advance(3)
    sim.tick()
    # A second participant (a dial-in: no call progress of its own) starts each conference.
    sim.join(created.conference_sid)
    sim.join(own.conference_sid)
    sim.start_speaking(created.conference_sid, created.call_sid)
    assert sim.callbacks.flush(5)
    demo = [
        r
        for r in receiver.requests
        if created.conference_sid in r.url or r.form.get("ConferenceSid") == created.conference_sid
    ]
    assert [
        (r.url.split("?")[0].removeprefix(receiver.base_url), r.form.get("StatusCallbackEvent") or r.form["CallStatus"])
        for r in demo
    ] == [
        ("/webhooks/twilio/call-status", "initiated"),
        ("/webhooks/twilio/call-status", "ringing"),
        ("/webhooks/twilio/call-status", "in-progress"),
        ("/webhooks/twilio/conference-status", "participant-join"),
        ("/webhooks/twilio/conference-status", "participant-join"),
        ("/webhooks/twilio/conference-status", "conference-start"),
        ("/webhooks/twilio/conference-status", "participant-speech-start"),
    ]
    assert demo[0].url.endswith(f"/webhooks/twilio/call-status?conference={created.conference_sid}")
    for request in demo:
        assert_signed(request)
    # A conference with its own URL keeps its own (default start/end) subscription; its call
    # has none of its own, so the default call URL still gets its progress.
    own_conference = [r.form["StatusCallbackEvent"] for r in receiver.requests if r.url.endswith("/own")]
    assert own_conference == ["conference-start"]
    assert sum(1 for r in receiver.requests if r.form.get("CallSid") == own.call_sid and "CallStatus" in r.form) == 3
    sim.callbacks.close()


def test_from_settings_sends_to_the_dashboard_at_the_callback_base_url(settings) -> None:
    settings.SIMULATOR_CALLBACK_BASE_URL = "http://127.0.0.1:8000"
    settings.TWILIO_AUTH_TOKEN = "t"
    sim = Simulator.from_settings(clock=ManualClock())
    assert sim.callbacks.default_conference_url == "http://127.0.0.1:8000/webhooks/twilio/conference-status"
    assert (
        sim.callbacks.default_call_url
        == "http://127.0.0.1:8000/webhooks/twilio/call-status?conference={conference_sid}"
    )
    settings.SIMULATOR_CALLBACK_BASE_URL = ""
    assert Simulator.from_settings(clock=ManualClock()).callbacks.default_conference_url is None


def test_failed_deliveries_are_counted_and_logged_and_never_break_the_api(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    receiver.status = 500
    api.dial("Refused", ConferenceStatusCallback=f"http://127.0.0.1:{closed_port}/c")
    api.dial("Erroring", ConferenceStatusCallback=receiver.base_url + "/c")
    api.dial("Refused")  # a conference starts with two in it
    api.dial("Erroring")
    with caplog.at_level(logging.WARNING, logger="conference_admin.simulator.callbacks"):
        clock.advance(3)
        assert api.get("Conferences.json").status_code == 200
        assert sim.callbacks.flush(5)
    assert (sim.callbacks.delivered, sim.callbacks.failed) == (0, 2)
    statuses = sorted((d.status or 0, bool(d.error)) for d in sim.callbacks.deliveries)
    assert statuses == [(0, True), (500, False)]
    assert "answered HTTP 500" in caplog.text and "failed" in caplog.text
    assert TOKEN not in caplog.text
    receiver.status = 204
    api.dial("Fine", ConferenceStatusCallback=receiver.base_url + "/c")
    api.dial("Fine")
    clock.advance(3)
    api.get("Conferences.json")
    assert sim.callbacks.flush(5)
    assert sim.callbacks.delivered == 1
    assert sim.callbacks.deliveries[-1].ok


def test_reset_drops_the_log_and_restarts_sequence_numbers(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    api.dial("Room", ConferenceStatusCallback=receiver.base_url + "/c")
    api.dial("Room")  # a conference starts with two in it
    clock.advance(3)
    api.get("Conferences.json")
    assert sim.callbacks.flush(5) and len(sim.callbacks.deliveries) == 1
    sim.reset()
    assert sim.callbacks.deliveries == []
    api.dial("Room", ConferenceStatusCallback=receiver.base_url + "/c")
    api.dial("Room")  # a conference starts with two in it
    clock.advance(3)
    api.get("Conferences.json")
    assert sim.callbacks.flush(5)
    assert [d.params["SequenceNumber"] for d in sim.callbacks.deliveries] == ["1"]


def test_nothing_is_queued_without_a_callback_url(sim: Simulator, clock: ManualClock) -> None:
    sim.create_participant(ACCOUNT, "Quiet", {"From": CALLER, "To": "+14155550100"})
    clock.advance(3)
    sim.tick()
    assert sim.callbacks.flush(0.1)
    assert sim.callbacks.deliveries == []


def test_an_idle_sender_holds_no_connection_to_the_receiver(sim, api, receiver, clock):
    """Callbacks in a burst share a connection; once the queue is empty the sender closes it (a
    kept-alive socket would hold a receiving server's worker, and its database session)."""
    alice = dial_all_events(api, receiver)
    api.dial(alice["conference_sid"])
    clock.advance(3)
    path = f"Conferences/{alice['conference_sid']}/Participants/{alice['call_sid']}.json"
    api.post(path, {"Muted": "true"})
    assert sim.callbacks.flush(5) and receiver.requests
    deadline = time.monotonic() + 5
    while receiver.open_connections and time.monotonic() < deadline:
        time.sleep(0.02)
    assert receiver.open_connections == 0
