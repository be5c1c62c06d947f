"""The product's client against the running simulator: real-time transcriptions, every parameter."""

import typing

import pytest

from conference_admin.twilio import Transcription, TwilioApiError
from conference_admin.twilio.params import CreateTranscriptionParams

CALLER = "+15005550006"

EVERY_CREATE_PARAMETER = {
    "name": "dashboard",
    "track": "inbound_track",
    "status_callback_url": "https://dash.example.com/webhooks/twilio/transcription?conference=CF1",
    "status_callback_method": "POST",
    "inbound_track_label": "customer:Dana",
    "outbound_track_label": "room",
    "partial_results": True,
    "language_code": "en-US",
    "transcription_engine": "google",
    "profanity_filter": False,
    "speech_model": "telephony",
    "hints": "refund",
    "enable_automatic_punctuation": True,
    "intelligence_service": "GA" + "a" * 32,
    "conversation_configuration": "conv_configuration_1",
    "conversation_id": "conv_1",
    "configuration_id": "real_time_transcription_1",
    "enable_provider_data": False,
}


@pytest.fixture
def live(simulator, twilio_client):
    customer = twilio_client.create_participant("Transcribed room", from_=CALLER, to="+14155550100", label="customer")
    simulator.answer(simulator.account_sid, customer.conference_sid, customer.call_sid)
    return customer


def test_the_table_covers_every_keyword():
    assert set(EVERY_CREATE_PARAMETER) == set(typing.get_type_hints(CreateTranscriptionParams))


def test_create_with_every_parameter_and_stop_by_name(simulator, twilio_client, live):
    simulator.reset_request_log()
    created = twilio_client.create_transcription(live.call_sid, **EVERY_CREATE_PARAMETER)
    assert isinstance(created, Transcription) and created.sid.startswith("GT")
    assert (created.call_sid, created.name, created.status, created.is_active) == (
        live.call_sid,
        "dashboard",
        "in-progress",
        True,
    )
    assert created.date_updated is not None and created.request_id
    sent = simulator.request_log[-1].params
    assert sent["Track"] == ["inbound_track"] and sent["PartialResults"] == ["true"]
    assert sent["ProfanityFilter"] == ["false"] and sent["InboundTrackLabel"] == ["customer:Dana"]
    assert len(sent) == len(EVERY_CREATE_PARAMETER)
    stopped = twilio_client.stop_transcription(live.call_sid, "dashboard")
    assert (stopped.sid, stopped.status, stopped.is_active) == (created.sid, "stopped", False)
    assert simulator.request_log[-1].params == {"Status": ["stopped"]}
    assert simulator.request_log[-1].path.endswith(f"/Calls/{live.call_sid}/Transcriptions/dashboard.json")


def test_stop_by_sid_and_errors(simulator, twilio_client, live):
    created = twilio_client.create_transcription(live.call_sid)
    assert twilio_client.stop_transcription(live.call_sid, created.sid).status == "stopped"
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.stop_transcription(live.call_sid, "no such name/at all")
    assert (caught.value.status, caught.value.code) == (404, 20404)
    simulator.hang_up(simulator.account_sid, live.conference_sid, live.call_sid)
    with pytest.raises(TwilioApiError) as caught:
        twilio_client.create_transcription(live.call_sid)
    assert (caught.value.status, caught.value.code) == (400, 21220)
