"""Typed snake_case keywords for every Twilio parameter, and their wire encoding.

Each TypedDict lists one operation's parameters with their Python types. The wire
name is the PascalCase form of the keyword (`call_sid_to_coach` -> `CallSidToCoach`)
unless `WIRE_NAME_EXCEPTIONS` says otherwise. Encoding rules follow twilio-python:
booleans as `true`/`false`, lists as repeated keys, unset (None) values omitted.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from datetime import date
from typing import Any, TypedDict


class CreateParticipantParams(TypedDict, total=False):
    status_callback: str
    status_callback_method: str
    status_callback_event: list[str]
    label: str
    timeout: int
    record: bool
    muted: bool
    beep: str
    start_conference_on_enter: bool
    end_conference_on_exit: bool
    wait_url: str
    wait_method: str
    early_media: bool
    max_participants: int
    conference_record: str
    conference_trim: str
    conference_status_callback: str
    conference_status_callback_method: str
    conference_status_callback_event: list[str]
    recording_channels: str
    recording_status_callback: str
    recording_status_callback_method: str
    sip_auth_username: str
    sip_auth_password: str
    region: str
    conference_recording_status_callback: str
    conference_recording_status_callback_method: str
    recording_status_callback_event: list[str]
    conference_recording_status_callback_event: list[str]
    coaching: bool
    call_sid_to_coach: str
    jitter_buffer_size: str
    byoc: str
    caller_id: str
    call_reason: str
    recording_track: str
    time_limit: int
    machine_detection: str
    machine_detection_timeout: int
    machine_detection_speech_threshold: int
    machine_detection_speech_end_threshold: int
    machine_detection_silence_timeout: int
    amd_status_callback: str
    amd_status_callback_method: str
    trim: str
    call_token: str
    client_notification_url: str
    caller_display_name: str


class UpdateParticipantParams(TypedDict, total=False):
    muted: bool
    hold: bool
    hold_url: str
    hold_method: str
    announce_url: str
    announce_method: str
    wait_url: str
    wait_method: str
    beep_on_exit: bool
    end_conference_on_exit: bool
    coaching: bool
    call_sid_to_coach: str


class ListParticipantsParams(TypedDict, total=False):
    muted: bool
    hold: bool
    coaching: bool
    page_size: int
    page: int
    page_token: str


class UpdateConferenceParams(TypedDict, total=False):
    status: str
    announce_url: str
    announce_method: str


class ListConferencesParams(TypedDict, total=False):
    date_created: date | str
    date_created_before: date | str
    date_created_after: date | str
    date_updated: date | str
    date_updated_before: date | str
    date_updated_after: date | str
    friendly_name: str
    status: str
    page_size: int
    page: int
    page_token: str


class UpdateCallParams(TypedDict, total=False):
    """UpdateCall (CONTRACT.md section 14): `twiml` and `url` are mutually exclusive."""

    twiml: str
    url: str
    method: str
    status: str
    fallback_url: str
    fallback_method: str
    status_callback: str
    status_callback_method: str
    time_limit: int


class CreateCallRecordingParams(TypedDict, total=False):
    recording_status_callback_event: list[str]
    recording_status_callback: str
    recording_status_callback_method: str
    trim: str
    recording_channels: str
    recording_track: str


class ListRecordingsParams(TypedDict, total=False):
    """ListCallRecording and ListConferenceRecording take the same filters."""

    date_created: date | str
    date_created_before: date | str
    date_created_after: date | str
    page_size: int
    page: int
    page_token: str


class UpdateRecordingParams(TypedDict, total=False):
    """UpdateCallRecording and UpdateConferenceRecording: `Status` is the required `status` argument."""

    pause_behavior: str


class CreateTranscriptionParams(TypedDict, total=False):
    """CreateRealtimeTranscription: every parameter is optional (api_v2010_realtime_transcriptions.json)."""

    name: str
    track: str  # inbound_track | outbound_track | both_tracks
    status_callback_url: str
    status_callback_method: str
    inbound_track_label: str
    outbound_track_label: str
    partial_results: bool
    language_code: str
    transcription_engine: str
    profanity_filter: bool
    speech_model: str
    hints: str
    enable_automatic_punctuation: bool
    intelligence_service: str
    conversation_configuration: str
    conversation_id: str
    configuration_id: str
    enable_provider_data: bool


# Required create parameters are explicit arguments; `from` is a Python keyword.
REQUIRED_CREATE_WIRE_NAMES = {"from_": "From", "to": "To"}
# A recording update's required Status is an explicit argument too.
REQUIRED_UPDATE_RECORDING_WIRE_NAMES = {"status": "Status"}

WIRE_NAME_EXCEPTIONS = {
    "from_": "From",
    "date_created_before": "DateCreated<",
    "date_created_after": "DateCreated>",
    "date_updated_before": "DateUpdated<",
    "date_updated_after": "DateUpdated>",
}


def wire_name(keyword: str) -> str:
    if keyword in WIRE_NAME_EXCEPTIONS:
        return WIRE_NAME_EXCEPTIONS[keyword]
    return "".join(part.capitalize() for part in keyword.split("_"))


def _python_types(params_type: type) -> dict[str, Any]:
    return typing.get_type_hints(params_type)


PARAMETER_TYPES: dict[type, dict[str, Any]] = {
    params_type: _python_types(params_type)
    for params_type in (
        CreateParticipantParams,
        UpdateParticipantParams,
        ListParticipantsParams,
        UpdateConferenceParams,
        ListConferencesParams,
        UpdateCallParams,
        CreateCallRecordingParams,
        ListRecordingsParams,
        UpdateRecordingParams,
        CreateTranscriptionParams,
    )
}


def _encode_value(keyword: str, expected: Any, value: Any) -> list[str]:
    origin = typing.get_origin(expected)
    if expected is bool:
        if not isinstance(value, bool):
            raise TypeError(f"{keyword} must be a bool, not {type(value).__name__}")
        return ["true" if value else "false"]
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{keyword} must be an int, not {type(value).__name__}")
        return [str(value)]
    if origin is list:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise TypeError(f"{keyword} must be a list of strings")
        if not all(isinstance(item, str) for item in value):
            raise TypeError(f"{keyword} must be a list of strings")
        return list(value)
    if expected is str:
        if not isinstance(value, str):
            raise TypeError(f"{keyword} must be a str, not {type(value).__name__}")
        return [value]
    # date | str: dates go as YYYY-MM-DD, Twilio's format for these filters.
    if isinstance(value, date):
        return [value.isoformat()]
    if isinstance(value, str):
        return [value]
    raise TypeError(f"{keyword} must be a date or a YYYY-MM-DD string")


def encode(params_type: type, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Encode keyword arguments as ordered (WireName, value) pairs; repeated keys for lists."""
    types = PARAMETER_TYPES[params_type]
    unknown = sorted(set(params) - set(types))
    if unknown:
        raise TypeError(f"unknown parameter(s) for {params_type.__name__}: {', '.join(unknown)}")
    pairs: list[tuple[str, str]] = []
    for keyword, value in params.items():
        if value is None:
            continue
        name = wire_name(keyword)
        pairs.extend((name, encoded) for encoded in _encode_value(keyword, types[keyword], value))
    return pairs
