"""Moving a call to another conference with UpdateCall (CONTRACT.md section 14), over HTTP.

Twilio's behaviour cited per test: [CALL] https://www.twilio.com/docs/voice/api/call-resource (Twiml,
Url, Status; "Call is not in-progress. Cannot redirect." is 21220, [ERR]/21220; a Twiml over 4,000
characters is 32018, [ERR]/32018); [TWIML] https://www.twilio.com/docs/voice/twiml/conference (the
`<Conference>` noun's attributes, participant-leave's ReasonParticipantLeft, the room ending with
endConferenceOnExit or its last participant). Every response is checked against the spec by `api`.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator

from conference_admin.simulator.engine import ManualClock, Simulator

from .conftest import TOKEN, Api, CallbackReceiver
from .test_callbacks import assert_signed

EVENTS = "start end join leave mute hold modify"


def call_path(call_sid: str) -> str:
    return f"Calls/{call_sid}.json"


def conference_twiml(name: str, **attributes: str) -> str:
    rendered = "".join(f' {key}="{value}"' for key, value in attributes.items())
    return f"<Response><Dial><Conference{rendered}>{name}</Conference></Dial></Response>"


def participants(api: Api, conference_sid: str) -> dict[str, dict]:
    listed = api.get(f"Conferences/{conference_sid}/Participants.json").json()["participants"]
    return {p["call_sid"]: p for p in listed}


def conference_named(api: Api, name: str) -> dict:
    found = api.get("Conferences.json", params={"FriendlyName": name}).json()["conferences"]
    return next(conference for conference in found if conference["status"] != "completed")


def error_of(response) -> tuple[int, int]:
    return response.status_code, response.json()["code"]


@pytest.fixture
def room(api: Api, clock: ManualClock, receiver: CallbackReceiver) -> dict[str, dict]:
    """Room A: a customer (muted, held), an agent, and a supervisor coaching the customer."""
    customer = api.dial(
        "Room A",
        Label="customer",
        ConferenceStatusCallback=receiver.base_url + "/room-a",
        ConferenceStatusCallbackEvent=EVENTS,
    )
    conference = customer["conference_sid"]
    agent = api.dial(conference, Label="agent", To="+14155550123")
    clock.advance(3)
    supervisor = api.dial(conference, Label="supervisor", To="+14155550124")
    clock.advance(3)
    coached = api.post(
        f"Conferences/{conference}/Participants/{supervisor['call_sid']}.json",
        {"Coaching": "true", "CallSidToCoach": customer["call_sid"]},
    )
    assert coached.json()["coaching"] is True
    muted_held = {"Muted": "true", "Hold": "true"}
    assert api.post(f"Conferences/{conference}/Participants/{customer['call_sid']}.json", muted_held).status_code == 200
    return {"customer": customer, "agent": agent, "supervisor": supervisor}


def test_a_move_leaves_with_participant_updated_via_api_and_joins_the_room_opened_by_name(
    api: Api, sim: Simulator, room: dict[str, dict], receiver: CallbackReceiver
) -> None:
    customer, supervisor = room["customer"], room["supervisor"]
    source = customer["conference_sid"]
    receiver.requests.clear()
    assert sim.callbacks.flush(5)
    receiver.requests.clear()
    twiml = conference_twiml(
        "Side room 1",
        participantLabel="customer",
        statusCallback=receiver.base_url + "/side",
        statusCallbackEvent="start end join leave",
    )
    response = api.post(call_path(customer["call_sid"]), {"Twiml": twiml})
    assert response.status_code == 200, response.text
    call = response.json()
    # The call itself goes on: same SID, still in progress ([CALL]: the update redirects the live call).
    assert (call["sid"], call["status"], call["end_time"]) == (customer["call_sid"], "in-progress", None)

    # Room A no longer lists it; its coach is no longer coaching anyone (CONTRACT.md section 14).
    left_behind = participants(api, source)
    assert customer["call_sid"] not in left_behind
    assert left_behind[supervisor["call_sid"]]["coaching"] is False
    assert left_behind[supervisor["call_sid"]]["call_sid_to_coach"] is None

    # Side room 1 was created by friendly name on first join, with the call in it, state reset.
    side = conference_named(api, "Side room 1")
    assert side["sid"] != source
    moved = participants(api, side["sid"])[customer["call_sid"]]
    assert (moved["label"], moved["muted"], moved["hold"], moved["coaching"]) == ("customer", False, False, False)
    assert moved["status"] == "connected"

    assert sim.callbacks.flush(5)
    by_url: dict[str, list[dict[str, str]]] = {}
    for request in receiver.requests:
        assert_signed(request)
        by_url.setdefault(request.url.rsplit("/", 1)[1], []).append(request.form)
    leave = next(form for form in by_url["room-a"] if form["StatusCallbackEvent"] == "participant-leave")
    assert (leave["CallSid"], leave["ReasonParticipantLeft"], leave["ParticipantCallStatus"]) == (
        customer["call_sid"],
        "participant_updated_via_api",
        "in-progress",
    )
    modify = next(form for form in by_url["room-a"] if form["StatusCallbackEvent"] == "participant-modify")
    assert (modify["CallSid"], modify["Coaching"]) == (supervisor["call_sid"], "false")
    assert "conference-end" not in [form["StatusCallbackEvent"] for form in by_url["room-a"]]
    # A room of one has not started (Twilio waits for two), so the side room reports the join only.
    side_events = [(form["StatusCallbackEvent"], form.get("CallSid")) for form in by_url["side"]]
    assert side_events == [("participant-join", customer["call_sid"])]
    assert by_url["side"][0]["ConferenceSid"] == side["sid"]
    assert by_url["side"][0]["Muted"] == "false" and by_url["side"][0]["Hold"] == "false"


def test_the_call_fetch_follows_it_and_no_call_progress_callback_is_sent(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    """A moved call was answered once: no second `answered`, no `completed` while it is still up."""
    first = api.dial("Room A", StatusCallback=receiver.base_url + "/call", StatusCallbackEvent="answered completed")
    api.dial(first["conference_sid"], To="+14155550123")
    clock.advance(3)
    assert api.post(call_path(first["call_sid"]), {"Twiml": conference_twiml("Room B")}).status_code == 200
    assert sim.callbacks.flush(5)
    assert [r.form["CallStatus"] for r in receiver.requests] == ["in-progress"]
    assert api.get(call_path(first["call_sid"])).json()["status"] == "in-progress"


def test_moving_the_participant_with_end_conference_on_exit_ends_the_room_it_leaves(
    api: Api, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    agent = api.dial(
        "Room A",
        Label="agent",
        EndConferenceOnExit="true",
        ConferenceStatusCallback=receiver.base_url + "/room-a",
        ConferenceStatusCallbackEvent=EVENTS,
    )
    customer = api.dial(agent["conference_sid"], Label="customer", To="+14155550123")
    clock.advance(3)
    assert api.post(call_path(agent["call_sid"]), {"Twiml": conference_twiml("Room B")}).status_code == 200
    ended = api.get(f"Conferences/{agent['conference_sid']}.json").json()
    assert (ended["status"], ended["reason_conference_ended"], ended["call_sid_ending_conference"]) == (
        "completed",
        "participant-with-end-conference-on-exit-left",
        agent["call_sid"],
    )
    # The customer left with the room; the agent's call went on into Room B.
    assert api.get(call_path(customer["call_sid"])).json()["status"] == "completed"
    assert api.get(call_path(agent["call_sid"])).json()["status"] == "in-progress"
    assert list(participants(api, conference_named(api, "Room B")["sid"])) == [agent["call_sid"]]
    assert sim.callbacks.flush(5)
    events = [(r.form["StatusCallbackEvent"], r.form.get("CallSid")) for r in receiver.requests]
    assert events[-3:] == [
        ("participant-leave", agent["call_sid"]),
        ("participant-leave", customer["call_sid"]),
        ("conference-end", None),
    ]


def test_moving_the_last_participant_ends_the_room(api: Api, clock: ManualClock) -> None:
    only = api.dial("Room A")
    clock.advance(3)
    assert api.post(call_path(only["call_sid"]), {"Twiml": conference_twiml("Room B")}).status_code == 200
    ended = api.get(f"Conferences/{only['conference_sid']}.json").json()
    assert (ended["status"], ended["reason_conference_ended"]) == ("completed", "last-participant-left")


def test_the_conference_nouns_attributes_apply_in_the_new_room(api: Api, clock: ManualClock) -> None:
    """muted, startConferenceOnEnter, endConferenceOnExit and coach come from the noun ([TWIML])."""
    specialist = api.dial("Side room", Label="specialist")
    clock.advance(3)
    customer = api.dial("Room A", Label="customer")
    api.dial(customer["conference_sid"], To="+14155550123")
    clock.advance(3)
    twiml = conference_twiml(
        "Side room",
        muted="true",
        endConferenceOnExit="true",
        startConferenceOnEnter="false",
        coach=specialist["call_sid"],
        participantLabel="customer",
        beep="false",
    )
    assert api.post(call_path(customer["call_sid"]), {"Twiml": twiml}).status_code == 200
    side = participants(api, specialist["conference_sid"])
    moved = side[customer["call_sid"]]
    assert (moved["muted"], moved["end_conference_on_exit"], moved["start_conference_on_enter"]) == (True, True, False)
    assert (moved["coaching"], moved["call_sid_to_coach"]) == (True, specialist["call_sid"])
    # Two in, one of them (the specialist) with startConferenceOnEnter: the side room started.
    assert api.get(f"Conferences/{specialist['conference_sid']}.json").json()["status"] == "in-progress"


def test_a_coach_of_someone_not_in_the_target_room_is_refused_and_nothing_moves(api: Api, clock: ManualClock) -> None:
    customer = api.dial("Room A")
    other = api.dial(customer["conference_sid"], To="+14155550123")
    clock.advance(3)
    response = api.post(
        call_path(customer["call_sid"]), {"Twiml": conference_twiml("New room", coach=other["call_sid"])}
    )
    assert error_of(response) == (400, 16028)
    assert customer["call_sid"] in participants(api, customer["conference_sid"])


@pytest.mark.parametrize(
    ("twiml", "code"),
    [
        ("<Response><Dial><Conference>Room B</Conference></Dial>", 12100),  # not well-formed
        ("<Dial><Conference>Room B</Conference></Dial>", 12100),  # the root is not <Response>
        ('<!DOCTYPE r [<!ENTITY a "aaaa">]><Response><Say>&a;</Say></Response>', 12100),  # no DTDs
        ("<Response><Shout>hi</Shout></Response>", 12200),  # not a verb
        (conference_twiml("Room B", muted="yes"), 12200),
        (conference_twiml("Room B", statusCallbackEvent="start finish"), 12200),
        (conference_twiml(""), 12200),
    ],
)
def test_invalid_twiml_is_refused_and_the_call_stays(api: Api, clock: ManualClock, twiml: str, code: int) -> None:
    customer = api.dial("Room A")
    api.dial(customer["conference_sid"], To="+14155550123")
    clock.advance(3)
    assert error_of(api.post(call_path(customer["call_sid"]), {"Twiml": twiml})) == (400, code)
    assert customer["call_sid"] in participants(api, customer["conference_sid"])


def test_twiml_over_4000_characters_is_32018(api: Api, clock: ManualClock) -> None:
    """[ERR]/32018: the Twiml parameter holds at most 4,000 characters; exactly 4,000 is accepted."""
    customer = api.dial("Room A")
    api.dial(customer["conference_sid"], To="+14155550123")
    clock.advance(3)
    shell = conference_twiml("Room B").replace("Room B", "")
    too_long = conference_twiml("B" * 10).replace("</Response>", " " * (4001 - len(shell) - 10) + "</Response>")
    assert len(too_long) == 4001
    assert error_of(api.post(call_path(customer["call_sid"]), {"Twiml": too_long})) == (400, 32018)
    assert customer["call_sid"] in participants(api, customer["conference_sid"])
    at_limit = too_long.replace(" </Response>", "</Response>")
    assert len(at_limit) == 4000
    assert api.post(call_path(customer["call_sid"]), {"Twiml": at_limit}).status_code == 200


def test_a_call_not_in_progress_cannot_be_redirected_21220(api: Api, clock: ManualClock) -> None:
    ringing = api.dial("Room A")
    clock.advance(1)  # ringing, not answered
    response = api.post(call_path(ringing["call_sid"]), {"Twiml": conference_twiml("Room B")})
    assert error_of(response) == (400, 21220)
    assert response.json()["message"] == "Call is not in-progress. Cannot redirect."
    clock.advance(2)  # answered now
    assert api.post(call_path(ringing["call_sid"]), {"Status": "completed"}).json()["status"] == "completed"
    assert error_of(api.post(call_path(ringing["call_sid"]), {"Twiml": conference_twiml("Room B")})) == (400, 21220)


def test_status_completed_hangs_up_and_cancels_a_call_not_yet_answered(api: Api, clock: ManualClock) -> None:
    answered = api.dial("Room A")
    clock.advance(3)
    ringing = api.dial(answered["conference_sid"], To="+14155550123")
    clock.advance(1)
    # "canceled" cannot end an answered call ([CALL] Status): it stays up.
    assert api.post(call_path(answered["call_sid"]), {"Status": "canceled"}).json()["status"] == "in-progress"
    assert api.post(call_path(ringing["call_sid"]), {"Status": "completed"}).json()["status"] == "canceled"
    hung_up = api.post(call_path(answered["call_sid"]), {"Status": "completed"}).json()
    assert (hung_up["status"], hung_up["end_time"] is not None) == ("completed", True)


def test_other_twiml_runs_out_and_the_call_hangs_up(api: Api, clock: ManualClock) -> None:
    customer = api.dial("Room A")
    api.dial(customer["conference_sid"], To="+14155550123")
    clock.advance(3)
    twiml = "<Response><Say>Goodbye</Say></Response>"
    assert api.post(call_path(customer["call_sid"]), {"Twiml": twiml}).json()["status"] == "completed"
    assert customer["call_sid"] not in participants(api, customer["conference_sid"])


def test_twiml_and_url_are_mutually_exclusive_and_one_instruction_is_required(api: Api, clock: ManualClock) -> None:
    customer = api.dial("Room A")
    clock.advance(3)
    both = {"Twiml": conference_twiml("Room B"), "Url": "https://example.com/twiml"}
    assert error_of(api.post(call_path(customer["call_sid"]), both)) == (400, 21200)
    assert error_of(api.post(call_path(customer["call_sid"]), {"TimeLimit": "60"})) == (400, 21200)
    assert error_of(api.post(call_path("CA" + "0" * 32), {"Status": "completed"})) == (404, 20404)


class TwimlServer:
    """Answers every request with `document` after `delay` seconds, and records what it got."""

    def __init__(self, document: str) -> None:
        self.document = document
        self.delay = 0.0
        self.status = 200
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                owner.requests.append(
                    (self.command, owner.base_url + self.path, dict(parse_qsl(body)), dict(self.headers))
                )
                time.sleep(owner.delay)
                payload = owner.document.encode()
                try:
                    self.send_response(owner.status)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the simulator gave up waiting

            do_GET = do_POST = _handle

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def twiml_server() -> Iterator[TwimlServer]:
    running = TwimlServer(conference_twiml("Room from Url", participantLabel="customer"))
    try:
        yield running
    finally:
        running.stop()


def test_url_is_fetched_signed_with_the_calls_parameters_and_followed(
    api: Api, clock: ManualClock, twiml_server: TwimlServer
) -> None:
    customer = api.dial("Room A")
    api.dial(customer["conference_sid"], To="+14155550123")
    clock.advance(3)
    url = twiml_server.base_url + "/twiml?step=1"
    assert api.post(call_path(customer["call_sid"]), {"Url": url}).json()["status"] == "in-progress"
    method, requested, form, headers = twiml_server.requests[0]
    assert (method, requested, form["CallSid"], form["CallStatus"]) == (
        "POST",
        url,
        customer["call_sid"],
        "in-progress",
    )
    assert RequestValidator(TOKEN).validate(requested, form, headers["X-Twilio-Signature"])
    assert customer["call_sid"] in participants(api, conference_named(api, "Room from Url")["sid"])


def test_url_by_get_carries_the_parameters_in_its_query(
    api: Api, clock: ManualClock, twiml_server: TwimlServer
) -> None:
    customer = api.dial("Room A")
    api.dial(customer["conference_sid"], To="+14155550123")
    clock.advance(3)
    api.post(call_path(customer["call_sid"]), {"Url": twiml_server.base_url + "/twiml", "Method": "GET"})
    method, requested, _, headers = twiml_server.requests[0]
    assert method == "GET" and f"CallSid={customer['call_sid']}" in requested
    assert RequestValidator(TOKEN).validate(requested, {}, headers["X-Twilio-Signature"])


def test_a_url_that_fails_or_times_out_falls_back_then_hangs_up(
    api: Api, sim: Simulator, clock: ManualClock, twiml_server: TwimlServer
) -> None:
    """Twilio runs FallbackUrl when Url fails; with nothing to run, the call ends ([CALL] FallbackUrl)."""
    sim.twiml_fetch_timeout = 0.3
    customer = api.dial("Room A")
    other = api.dial(customer["conference_sid"], To="+14155550123")
    clock.advance(3)
    twiml_server.status = 500
    fallback = {"Url": twiml_server.base_url + "/broken", "FallbackUrl": twiml_server.base_url + "/also-broken"}
    assert api.post(call_path(customer["call_sid"]), fallback).json()["status"] == "completed"
    assert [path.rsplit("/", 1)[1] for _, path, _, _ in twiml_server.requests] == ["broken", "also-broken"]
    twiml_server.status, twiml_server.delay = 200, 1.0
    started = time.monotonic()
    assert api.post(call_path(other["call_sid"]), {"Url": twiml_server.base_url + "/slow"}).json()["status"] == (
        "completed"
    )
    assert time.monotonic() - started < 0.9  # the simulator gave up after its timeout
