"""Real-Time Transcriptions over HTTP: the resource, validation, stop by SID or name, the speech
it hears and its signed status callbacks.

Every response `api` receives is validated against Twilio's spec (strict: exactly the schema's
fields), including the real-time transcription spec, so each test is also a fidelity check.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from conference_admin.simulator import speech
from conference_admin.simulator.engine import ManualClock, Simulator

from .conftest import ACCOUNT, OTHER_ACCOUNT, OTHER_TOKEN, Api, CallbackReceiver, Received
from .test_callbacks import assert_signed

GT_SID = re.compile(r"^GT[0-9a-f]{32}$")
EVERY_EVENT = {"AccountSid", "CallSid", "TranscriptionSid", "Timestamp", "SequenceId", "TranscriptionEvent"}
CONTENT = EVERY_EVENT | {"Track", "Final", "TranscriptionData", "LanguageCode"}
ERROR = EVERY_EVENT | {"TranscriptionErrorCode", "TranscriptionError"}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def transcriptions_path(call_sid: str, sid: str | None = None) -> str:
    return f"Calls/{call_sid}/Transcriptions.json" if sid is None else f"Calls/{call_sid}/Transcriptions/{sid}.json"


def room(api: Api, clock: ManualClock, conference: str = "Room") -> tuple[dict, dict]:
    """A customer and an agent, connected, in a started conference."""
    customer = api.dial(conference, Label="customer:Dana")
    agent = api.dial(customer["conference_sid"], To="client:alice", Label="agent:alice")
    clock.advance(3)
    return customer, agent


def start(api: Api, call_sid: str, **params: object) -> dict:
    response = api.post(transcriptions_path(call_sid), params)
    assert response.status_code == 200, response.text
    return response.json()


def stop(api: Api, call_sid: str, sid: str) -> dict:
    response = api.post(transcriptions_path(call_sid, sid), {"Status": "stopped"})
    assert response.status_code == 200, response.text
    return response.json()


def callbacks(sim: Simulator, receiver: CallbackReceiver) -> list[Received]:
    assert sim.callbacks.flush(5)
    return list(receiver.requests)


def contents(requests: list[Received]) -> list[dict[str, str]]:
    return [r.form for r in requests if r.form["TranscriptionEvent"] == "transcription-content"]


def test_create_answers_the_resource_and_stop_by_sid(api: Api, clock: ManualClock) -> None:
    customer, _ = room(api, clock)
    created = start(api, customer["call_sid"])
    assert GT_SID.fullmatch(created["sid"])
    assert (created["account_sid"], created["call_sid"], created["name"], created["status"]) == (
        ACCOUNT,
        customer["call_sid"],
        None,
        "in-progress",
    )
    assert (
        created["uri"]
        == f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{customer['call_sid']}/Transcriptions/{created['sid']}.json"
    )
    clock.advance(4)
    stopped = stop(api, customer["call_sid"], created["sid"])
    assert (stopped["sid"], stopped["status"]) == (created["sid"], "stopped")
    assert stopped["date_updated"] != created["date_updated"]
    # The call stays in its conference: transcription is not a redirect.
    participant = api.get(f"Conferences/{customer['conference_sid']}/Participants/{customer['call_sid']}.json")
    assert participant.status_code == 200 and participant.json()["status"] == "connected"
    assert api.checked >= 4


def test_stop_by_name_and_again(api: Api, clock: ManualClock) -> None:
    customer, _ = room(api, clock)
    created = start(api, customer["call_sid"], Name="supervisor-view")
    assert created["name"] == "supervisor-view"
    stopped = stop(api, customer["call_sid"], "supervisor-view")
    assert (stopped["sid"], stopped["status"], stopped["name"]) == (created["sid"], "stopped", "supervisor-view")
    assert stop(api, customer["call_sid"], created["sid"])["status"] == "stopped"  # changes nothing
    again = start(api, customer["call_sid"], Name="supervisor-view")  # the name is free again
    assert again["sid"] != created["sid"]
    assert stop(api, customer["call_sid"], "supervisor-view")["sid"] == again["sid"]  # the one in progress


def test_a_name_in_use_unknown_transcriptions_and_calls(api: Api, server, clock: ManualClock) -> None:
    customer, agent = room(api, clock)
    created = start(api, customer["call_sid"], Name="mine")
    busy = api.post(transcriptions_path(customer["call_sid"]), {"Name": "mine"})
    assert (busy.status_code, busy.json()["code"]) == (400, 21200)
    for path in (
        transcriptions_path(customer["call_sid"], "GT" + "0" * 32),
        transcriptions_path(customer["call_sid"], "nobody"),
        transcriptions_path(agent["call_sid"], created["sid"]),  # another call's transcription
        transcriptions_path("CA" + "0" * 32, created["sid"]),
    ):
        answer = api.post(path, {"Status": "stopped"})
        assert (answer.status_code, answer.json()["code"]) == (404, 20404), path
    unknown_call = api.post(transcriptions_path("CA" + "0" * 32), {})
    assert (unknown_call.status_code, unknown_call.json()["code"]) == (404, 20404)
    other = Api(server, auth=(OTHER_ACCOUNT, OTHER_TOKEN))
    other.prefix = f"/2010-04-01/Accounts/{OTHER_ACCOUNT}"
    foreign = other.post(transcriptions_path(customer["call_sid"]), {})
    assert (foreign.status_code, foreign.json()["code"]) == (404, 20404)
    other.session.close()


def test_only_a_call_in_progress_can_be_transcribed(api: Api, sim: Simulator, clock: ManualClock) -> None:
    ringing = api.dial("Room", To="+14155550177")
    answer = api.post(transcriptions_path(ringing["call_sid"]), {})
    assert (answer.status_code, answer.json()["code"]) == (400, 21220)
    customer, _ = room(api, clock, "Other room")
    sim.hang_up(ACCOUNT, customer["conference_sid"], customer["call_sid"])
    ended = api.post(transcriptions_path(customer["call_sid"]), {})
    assert (ended.status_code, ended.json()["code"]) == (400, 21220)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Track": "left_track"}, 21200),
        ({"StatusCallbackUrl": "not a url"}, 21205),
        ({"StatusCallbackUrl": "ftp://example.com/x"}, 21205),
        ({"StatusCallbackMethod": "PUT"}, 21209),  # the spec's own example sends PUT; its enum says GET|POST
        ({"PartialResults": "yes"}, 21200),
        ({"LanguageCode": "english"}, 21200),
        ({"LanguageCode": "en_US"}, 21200),
        ({"TranscriptionEngine": "whisper"}, 21200),
        ({"ProfanityFilter": "1"}, 21200),
        ({"EnableAutomaticPunctuation": "maybe"}, 21200),
        ({"EnableProviderData": "no"}, 21200),
    ],
)
def test_create_validation(api: Api, sim: Simulator, clock: ManualClock, params: dict, code: int) -> None:
    customer, _ = room(api, clock)
    answer = api.post(transcriptions_path(customer["call_sid"]), params)
    assert (answer.status_code, answer.json()["code"]) == (400, code), answer.text
    assert sim.callbacks.flush(1) and not sim.callbacks.deliveries


def test_every_create_parameter_is_accepted_and_kept(api: Api, sim: Simulator, clock: ManualClock) -> None:
    customer, _ = room(api, clock)
    params = {
        "Name": "full",
        "Track": "inbound_track",
        "StatusCallbackUrl": "http://127.0.0.1:9/cb",
        "StatusCallbackMethod": "get",
        "InboundTrackLabel": "customer:Dana",
        "OutboundTrackLabel": "room",
        "PartialResults": "true",
        "LanguageCode": "en-GB",
        "TranscriptionEngine": "deepgram",
        "ProfanityFilter": "false",
        "SpeechModel": "nova-2",
        "Hints": "refund, chargeback",
        "EnableAutomaticPunctuation": "true",
        "IntelligenceService": "GA" + "a" * 32,
        "ConversationConfiguration": "conv_configuration_1",
        "ConversationId": "conv_1",
        "ConfigurationId": "real_time_transcription_1",
        "EnableProviderData": "false",
    }
    created = start(api, customer["call_sid"], **params)
    kept = sim._transcriptions.find(customer["call_sid"], created["sid"], missing="")
    assert (kept.track, kept.callback_method, kept.inbound_label, kept.outbound_label) == (
        "inbound_track",
        "GET",
        "customer:Dana",
        "room",
    )
    assert (kept.partial_results, kept.language_code) == (True, "en-GB")
    assert kept.options == {
        "TranscriptionEngine": "deepgram",
        "ProfanityFilter": False,
        "SpeechModel": "nova-2",
        "Hints": "refund, chargeback",
        "EnableAutomaticPunctuation": True,
        "IntelligenceService": "GA" + "a" * 32,
        "ConversationConfiguration": "conv_configuration_1",
        "ConversationId": "conv_1",
        "ConfigurationId": "real_time_transcription_1",
        "EnableProviderData": False,
    }


@pytest.mark.parametrize(
    ("params", "code"), [({}, 21200), ({"Status": "paused"}, 21200), ({"Status": "in-progress"}, 21200)]
)
def test_update_validation(api: Api, clock: ManualClock, params: dict, code: int) -> None:
    customer, _ = room(api, clock)
    created = start(api, customer["call_sid"])
    answer = api.post(transcriptions_path(customer["call_sid"], created["sid"]), params)
    assert (answer.status_code, answer.json()["code"]) == (400, code)


def test_methods_not_in_the_spec_answer_405(api: Api, clock: ManualClock) -> None:
    customer, _ = room(api, clock)
    created = start(api, customer["call_sid"])
    for answer in (
        api.get(transcriptions_path(customer["call_sid"])),
        api.get(transcriptions_path(customer["call_sid"], created["sid"])),
        api.delete(transcriptions_path(customer["call_sid"], created["sid"])),
    ):
        assert (answer.status_code, answer.json()["code"]) == (405, 20004)


def test_content_callbacks_partials_then_final_signed(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    customer, _ = room(api, clock)
    url = receiver.base_url + "/transcripts?conference=1"
    created = start(api, customer["call_sid"], StatusCallbackUrl=url, PartialResults="true", Track="inbound_track")
    clock.advance(3)  # the first words come within a few seconds
    api.get(f"Calls/{customer['call_sid']}.json")  # any request applies what is due
    early = contents(callbacks(sim, receiver))
    assert early, "no transcription-content within three seconds"
    clock.advance(60)
    stop(api, customer["call_sid"], created["sid"])
    requests = callbacks(sim, receiver)
    for request in requests:
        assert_signed(request)
        assert request.method == "POST" and request.url == url
        assert request.form["TranscriptionSid"] == created["sid"] and request.form["CallSid"] == customer["call_sid"]
        assert request.form["AccountSid"] == ACCOUNT and ISO.fullmatch(request.form["Timestamp"])
    events = [r.form["TranscriptionEvent"] for r in requests]
    assert events[0] == "transcription-started" and events[-1] == "transcription-stopped"
    assert set(events[1:-1]) == {"transcription-content"}
    assert [int(r.form["SequenceId"]) for r in requests] == list(range(1, len(requests) + 1))
    stamps = [datetime.fromisoformat(r.form["Timestamp"].replace("Z", "+00:00")) for r in requests]
    assert stamps == sorted(stamps)
    assert set(requests[0].form) == EVERY_EVENT == set(requests[-1].form)
    lines = contents(requests)
    assert all(set(form) == CONTENT for form in lines)
    assert {form["Track"] for form in lines} == {"inbound_track"}
    assert {form["LanguageCode"] for form in lines} == {"en-US"}
    # Partials grow word by word, then one final holds the whole line.
    utterance: list[str] = []
    finals = []
    for form in lines:
        data = json.loads(form["TranscriptionData"])
        assert set(data) == {"transcript", "confidence"} and 0 <= data["confidence"] <= 1
        if form["Final"] == "false":
            utterance.append(data["transcript"])
        else:
            assert form["Final"] == "true"
            words = data["transcript"].split()
            assert utterance == [" ".join(words[: n + 1]) for n in range(len(words) - 1)]
            finals.append(data["transcript"])
            utterance = []
    assert len(finals) >= 5
    assert all(line in speech.CUSTOMER_LINES for line in finals)  # the customer's own voice


def test_both_tracks_take_turns_and_without_partials_only_finals(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    _, agent = room(api, clock)
    start(api, agent["call_sid"], StatusCallbackUrl=receiver.base_url + "/t")
    clock.advance(40)
    api.get(f"Calls/{agent['call_sid']}.json")
    lines = contents(callbacks(sim, receiver))
    assert lines and {form["Final"] for form in lines} == {"true"}
    tracks = [form["Track"] for form in lines]
    assert tracks[:4] == ["inbound_track", "outbound_track", "inbound_track", "outbound_track"]
    said = [json.loads(form["TranscriptionData"])["transcript"] for form in lines]
    assert all(s in speech.AGENT_LINES for s, t in zip(said, tracks, strict=True) if t == "inbound_track")
    assert all(s in speech.CUSTOMER_LINES for s, t in zip(said, tracks, strict=True) if t == "outbound_track")


def test_a_big_room_is_sent_side_by_side_each_transcription_in_order(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    """Many transcriptions at once (a 50-participant room sends about 100 results a second):
    their callbacks are sent by several threads side by side, yet each transcription's arrive in
    its SequenceId order, started first and stopped last."""
    customer = api.dial("Big room", Label="customer:Dana")
    calls = [customer["call_sid"]] + [
        api.dial(customer["conference_sid"], To=f"client:agent{n}", Label=f"agent:{n}")["call_sid"] for n in range(7)
    ]
    clock.advance(3)
    receiver.delay = 0.01  # a receiver that takes a moment per callback, as the dashboard does
    created = [start(api, call, StatusCallbackUrl=receiver.base_url + "/t", PartialResults="true") for call in calls]
    clock.advance(20)
    for call, transcription in zip(calls, created, strict=True):
        stop(api, call, transcription["sid"])
    assert sim.callbacks.flush(30)
    by_transcription: dict[str, list[Received]] = {}
    for request in receiver.requests:
        by_transcription.setdefault(request.form["TranscriptionSid"], []).append(request)
    assert set(by_transcription) == {transcription["sid"] for transcription in created}
    for requests in by_transcription.values():
        assert [int(r.form["SequenceId"]) for r in requests] == list(range(1, len(requests) + 1))
        events = [r.form["TranscriptionEvent"] for r in requests]
        assert events[0] == "transcription-started" and events[-1] == "transcription-stopped"
        assert "transcription-content" in events
    assert receiver.most_in_flight > 1  # not one callback at a time


def test_watched_phrases_are_said(sim: Simulator, api: Api, clock: ManualClock, receiver: CallbackReceiver) -> None:
    customer, _ = room(api, clock)
    start(api, customer["call_sid"], StatusCallbackUrl=receiver.base_url + "/t", Track="inbound_track")
    clock.advance(120)
    api.get(f"Calls/{customer['call_sid']}.json")
    text = " ".join(json.loads(form["TranscriptionData"])["transcript"] for form in contents(callbacks(sim, receiver)))
    for phrase in ("cancel my account", "speak to a manager", "lawyer"):
        assert phrase in text


def test_stopped_when_the_call_leaves_or_the_conference_ends(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    customer, agent = room(api, clock)
    url = receiver.base_url + "/t"
    first = start(api, customer["call_sid"], StatusCallbackUrl=url, Name="c")
    second = start(api, agent["call_sid"], StatusCallbackUrl=url, Name="a")
    clock.advance(5)
    api.delete(f"Conferences/{customer['conference_sid']}/Participants/{customer['call_sid']}.json")
    requests = callbacks(sim, receiver)
    stopped = [r.form["TranscriptionSid"] for r in requests if r.form["TranscriptionEvent"] == "transcription-stopped"]
    assert stopped == [first["sid"]]
    assert stop(api, customer["call_sid"], "c")["status"] == "stopped"  # stopped with the call
    api.post(f"Conferences/{customer['conference_sid']}.json", {"Status": "completed"})
    requests = callbacks(sim, receiver)
    stopped = [r.form["TranscriptionSid"] for r in requests if r.form["TranscriptionEvent"] == "transcription-stopped"]
    assert stopped == [first["sid"], second["sid"]]
    count = len(requests)
    clock.advance(30)
    api.get(f"Calls/{agent['call_sid']}.json")
    assert len(callbacks(sim, receiver)) == count  # nothing after the stop


def test_transcription_error_then_stopped(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    customer, agent = room(api, clock)
    url = receiver.base_url + "/t"
    french = start(api, customer["call_sid"], StatusCallbackUrl=url, LanguageCode="fr-FR")
    assert french["status"] == "in-progress"  # the engine reports back afterwards
    requests = callbacks(sim, receiver)
    assert [r.form["TranscriptionEvent"] for r in requests] == [
        "transcription-started",
        "transcription-error",
        "transcription-stopped",
    ]
    assert set(requests[1].form) == ERROR and requests[1].form["TranscriptionErrorCode"] == "95106"
    running = start(api, agent["call_sid"], StatusCallbackUrl=url, Name="agent")
    sim.fail_transcription(ACCOUNT, agent["call_sid"], "agent", 95106, "engine down")
    requests = callbacks(sim, receiver)[3:]
    assert [r.form["TranscriptionEvent"] for r in requests] == [
        "transcription-started",
        "transcription-error",
        "transcription-stopped",
    ]
    assert requests[1].form["TranscriptionError"] == "engine down"
    assert stop(api, agent["call_sid"], running["sid"])["status"] == "stopped"


def test_get_callbacks_carry_the_params_in_the_signed_url(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    customer, _ = room(api, clock)
    start(api, customer["call_sid"], StatusCallbackUrl=receiver.base_url + "/t?x=1", StatusCallbackMethod="GET")
    (started,) = callbacks(sim, receiver)
    assert (
        started.method == "GET"
        and started.body == b""
        and started.form["TranscriptionEvent"] == "transcription-started"
    )
    assert_signed(started)


def test_without_a_callback_url_nothing_is_sent(api: Api, sim: Simulator, clock: ManualClock) -> None:
    customer, _ = room(api, clock)
    start(api, customer["call_sid"])
    clock.advance(30)
    api.get(f"Calls/{customer['call_sid']}.json")
    assert sim.callbacks.flush(1) and not sim.callbacks.deliveries


def test_faults_apply_to_the_transcription_operations(api: Api, sim: Simulator, clock: ManualClock) -> None:
    customer, _ = room(api, clock)
    sim.faults.inject(kind="error", operation="CreateRealtimeTranscription", count=1, status=503)
    failed = api.post(transcriptions_path(customer["call_sid"]), {})
    assert (failed.status_code, failed.json()["code"]) == (503, 20503)
    created = start(api, customer["call_sid"])
    sim.faults.inject(kind="not_found", operation="UpdateRealtimeTranscription", count=1)
    gone = api.post(transcriptions_path(customer["call_sid"], created["sid"]), {"Status": "stopped"})
    assert gone.status_code == 404
    assert sim.request_counts()["UpdateRealtimeTranscription"] == 1
