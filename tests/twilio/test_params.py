"""Every parameter in Twilio's spec has a typed snake_case keyword in the client."""

import json
import typing
from pathlib import Path

import pytest

from conference_admin.twilio import TwilioClient
from conference_admin.twilio.params import (
    REQUIRED_CREATE_WIRE_NAMES,
    REQUIRED_UPDATE_RECORDING_WIRE_NAMES,
    CreateCallRecordingParams,
    CreateParticipantParams,
    CreateTranscriptionParams,
    ListConferencesParams,
    ListParticipantsParams,
    ListRecordingsParams,
    UpdateCallParams,
    UpdateConferenceParams,
    UpdateParticipantParams,
    UpdateRecordingParams,
    encode,
    wire_name,
)

SHARED_TWILIO = Path(__file__).resolve().parents[2].parent / "shared" / "twilio"
SPEC_PATH = SHARED_TWILIO / "api_v2010_conference.json"
CALLS_RECORDINGS_SPEC_PATH = SHARED_TWILIO / "api_v2010_calls_recordings.json"
TRANSCRIPTIONS_SPEC_PATH = SHARED_TWILIO / "api_v2010_realtime_transcriptions.json"
PATH_PARAMETERS = {"AccountSid", "ConferenceSid", "Sid", "CallSid"}

OPERATION_PARAMS = {
    "CreateParticipant": CreateParticipantParams,
    "UpdateParticipant": UpdateParticipantParams,
    "ListParticipant": ListParticipantsParams,
    "UpdateConference": UpdateConferenceParams,
    "ListConference": ListConferencesParams,
    "UpdateCall": UpdateCallParams,
    "CreateCallRecording": CreateCallRecordingParams,
    "ListCallRecording": ListRecordingsParams,
    "UpdateCallRecording": UpdateRecordingParams,
    "ListConferenceRecording": ListRecordingsParams,
    "UpdateConferenceRecording": UpdateRecordingParams,
    "CreateRealtimeTranscription": CreateTranscriptionParams,
}
# Parameters the client takes as explicit required arguments instead of keywords.
REQUIRED_WIRE_NAMES = {
    "CreateParticipant": set(REQUIRED_CREATE_WIRE_NAMES.values()),
    "UpdateCallRecording": set(REQUIRED_UPDATE_RECORDING_WIRE_NAMES.values()),
    "UpdateConferenceRecording": set(REQUIRED_UPDATE_RECORDING_WIRE_NAMES.values()),
    "UpdateRealtimeTranscription": {"Status"},  # always `stopped`: stop_transcription sends it
}
# Every operation in the two specs: the client method that performs it, or None when the
# dashboard never needs it (deleting calls or recordings).
CLIENT_METHODS = {
    "ListConference": "list_conferences",
    "FetchConference": "fetch_conference",
    "UpdateConference": "update_conference",
    "CreateParticipant": "create_participant",
    "ListParticipant": "list_participants",
    "FetchParticipant": "fetch_participant",
    "UpdateParticipant": "update_participant",
    "DeleteParticipant": "delete_participant",
    "FetchCall": "fetch_call",
    "UpdateCall": "update_call",
    "DeleteCall": None,
    "CreateCallRecording": "create_call_recording",
    "ListCallRecording": "list_call_recordings",
    "FetchCallRecording": "fetch_call_recording",
    "UpdateCallRecording": "update_call_recording",
    "DeleteCallRecording": None,
    "ListConferenceRecording": "list_conference_recordings",
    "FetchConferenceRecording": "fetch_conference_recording",
    "UpdateConferenceRecording": "update_conference_recording",
    "DeleteConferenceRecording": None,
    "CreateRealtimeTranscription": "create_transcription",
    "UpdateRealtimeTranscription": "stop_transcription",
}


def spec_operations():
    for path in (SPEC_PATH, CALLS_RECORDINGS_SPEC_PATH, TRANSCRIPTIONS_SPEC_PATH):
        if not path.exists():
            pytest.skip(f"Twilio spec not found at {path}")
        spec = json.loads(path.read_text())
        for item in spec["paths"].values():
            for method, operation in item.items():
                if method in ("get", "post", "delete"):
                    yield operation


def spec_parameter_names(operation):
    names = {p["name"] for p in operation.get("parameters", []) if p["name"] not in PATH_PARAMETERS}
    body = operation.get("requestBody")
    if body:
        names |= set(body["content"]["application/x-www-form-urlencoded"]["schema"]["properties"])
    return names


@pytest.mark.parametrize("operation_id", sorted(OPERATION_PARAMS))
def test_every_spec_parameter_is_mapped(operation_id):
    operation = next(op for op in spec_operations() if op["operationId"] == operation_id)
    params_type = OPERATION_PARAMS[operation_id]
    mapped = {wire_name(keyword) for keyword in typing.get_type_hints(params_type)}
    mapped |= REQUIRED_WIRE_NAMES.get(operation_id, set())
    expected = spec_parameter_names(operation)
    assert expected - mapped == set(), f"unmapped {operation_id} parameters"
    assert mapped - expected == set(), f"{operation_id} keywords that Twilio does not know"


def test_operations_without_parameters_have_none():
    for operation in spec_operations():
        operation_id = operation["operationId"]
        if operation_id not in OPERATION_PARAMS and CLIENT_METHODS[operation_id]:
            assert spec_parameter_names(operation) - REQUIRED_WIRE_NAMES.get(operation_id, set()) == set(), operation_id


def test_every_spec_operation_is_a_client_method_or_deliberately_left_out():
    operation_ids = {operation["operationId"] for operation in spec_operations()}
    assert operation_ids == set(CLIENT_METHODS)
    for operation_id, method in CLIENT_METHODS.items():
        assert method is None or callable(getattr(TwilioClient, method)), operation_id


@pytest.mark.parametrize("operation_id", ["UpdateCallRecording", "UpdateConferenceRecording"])
def test_recording_updates_accept_twilio_current_as_the_sid(operation_id):
    """The spec's own description: pass `Twilio.CURRENT` instead of a recording SID."""
    operation = next(op for op in spec_operations() if op["operationId"] == operation_id)
    sid = next(p for p in operation["parameters"] if p["name"] == "Sid")
    assert "pattern" not in sid["schema"]  # fetch and delete demand RE..., update does not
    assert "Twilio.CURRENT" in operation["description"] + sid.get("description", "")


@pytest.mark.parametrize("operation_id", sorted(OPERATION_PARAMS))
def test_python_types_follow_the_spec(operation_id):
    """bool/int/list in the spec become bool/int/list keywords, so encoding is typed."""
    operation = next(op for op in spec_operations() if op["operationId"] == operation_id)
    schemas = {p["name"]: p.get("schema", {}) for p in operation.get("parameters", [])}
    body = operation.get("requestBody")
    if body:
        schemas.update(body["content"]["application/x-www-form-urlencoded"]["schema"]["properties"])
    for keyword, python_type in typing.get_type_hints(OPERATION_PARAMS[operation_id]).items():
        assert wire_name(keyword) in schemas, keyword  # a keyword of another operation's type
        spec_type = schemas[wire_name(keyword)].get("type", "string")
        expected = {"boolean": bool, "integer": int, "array": list[str]}.get(spec_type)
        if expected is not None:
            assert python_type == expected, keyword


def test_encoding_rules():
    pairs = encode(
        CreateParticipantParams,
        {
            "status_callback_event": ["initiated", "answered"],
            "muted": True,
            "early_media": False,
            "timeout": 30,
            "label": "agent alice",
            "region": None,
        },
    )
    assert pairs == [
        ("StatusCallbackEvent", "initiated"),
        ("StatusCallbackEvent", "answered"),
        ("Muted", "true"),
        ("EarlyMedia", "false"),
        ("Timeout", "30"),
        ("Label", "agent alice"),
    ]


def test_list_conference_date_filters_use_twilio_operator_names():
    import datetime

    pairs = encode(
        ListConferencesParams, {"date_created_after": datetime.date(2026, 1, 2), "date_updated_before": "2026-02-03"}
    )
    assert pairs == [("DateCreated>", "2026-01-02"), ("DateUpdated<", "2026-02-03")]


@pytest.mark.parametrize(
    "params",
    [
        {"muted": "true"},
        {"timeout": True},
        {"timeout": "30"},
        {"status_callback_event": "initiated"},
        {"label": 5},
        {"no_such_parameter": "x"},
    ],
)
def test_wrong_types_and_unknown_keywords_are_refused(params):
    with pytest.raises(TypeError):
        encode(CreateParticipantParams, params)
