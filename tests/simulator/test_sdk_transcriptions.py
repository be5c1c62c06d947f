"""The official `twilio` SDK (9.13) against the simulator's Real-Time Transcription operations,
and its callbacks checked with the SDK's own RequestValidator."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from conference_admin.simulator.engine import ManualClock, Simulator

from .conftest import CALLER, TOKEN, CallbackReceiver
from .test_sdk import sdk_client


@pytest.fixture
def client(server) -> Iterator[Client]:
    yield sdk_client(server)


@pytest.fixture
def live(client: Client, clock: ManualClock):
    customer = client.conferences("SDK transcribed").participants.create(
        from_=CALLER, to="+14155550100", label="customer:Dana"
    )
    client.conferences(customer.conference_sid).participants.create(
        from_=CALLER, to="client:alice", label="agent:alice"
    )
    clock.advance(3)
    return customer


def test_create_and_stop_with_the_sdk(
    client: Client, live, sim: Simulator, clock: ManualClock, receiver: CallbackReceiver
) -> None:
    transcriptions = client.calls(live.call_sid).transcriptions
    created = transcriptions.create(
        name="dashboard",
        track="inbound_track",
        status_callback_url=receiver.base_url + "/transcription",
        status_callback_method="POST",
        inbound_track_label="customer:Dana",
        outbound_track_label="room",
        partial_results=True,
        language_code="en-US",
        transcription_engine="google",
        profanity_filter=False,
        speech_model="telephony",
        hints="refund",
        enable_automatic_punctuation=True,
    )
    assert created.sid.startswith("GT") and created.status == "in-progress" and created.name == "dashboard"
    assert created.call_sid == live.call_sid and created.date_updated.tzinfo is not None
    clock.advance(10)
    stopped = client.calls(live.call_sid).transcriptions(created.sid).update(status="stopped")
    assert (stopped.sid, stopped.status) == (created.sid, "stopped")
    again = transcriptions.create(name="by-name")
    assert client.calls(live.call_sid).transcriptions("by-name").update(status="stopped").sid == again.sid

    assert sim.callbacks.flush(5)
    validator = RequestValidator(TOKEN)
    assert receiver.requests
    for request in receiver.requests:
        assert validator.validate(request.url, request.form, request.headers["X-Twilio-Signature"])
        assert not validator.validate(
            request.url, {**request.form, "Final": "x"}, request.headers["X-Twilio-Signature"]
        )
    content = [r.form for r in receiver.requests if r.form["TranscriptionEvent"] == "transcription-content"]
    assert content and all(json.loads(form["TranscriptionData"])["transcript"] for form in content)


def test_sdk_errors(client: Client, live) -> None:
    with pytest.raises(TwilioRestException) as excinfo:
        client.calls(live.call_sid).transcriptions("GT" + "0" * 32).update(status="stopped")
    assert (excinfo.value.status, excinfo.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException) as excinfo:
        client.calls(live.call_sid).transcriptions.create(track="sideways")
    assert (excinfo.value.status, excinfo.value.code) == (400, 21200)
