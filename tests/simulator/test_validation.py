"""Create-participant parameter rules: every spec parameter is checked with Twilio's error code."""

from __future__ import annotations

import pytest

from conference_admin.simulator import errors
from conference_admin.simulator.engine import Simulator, SimulatorError
from conference_admin.simulator.validation import parse_conference_filters, parse_participant_filters

from .conftest import ACCOUNT, CALLER

VALID = {"From": CALLER, "To": "+14155550100"}


def create(sim: Simulator, **params: object):
    return sim.create_participant(ACCOUNT, "Room", {**VALID, **params})


def rejected(sim: Simulator, params: dict) -> SimulatorError:
    with pytest.raises(SimulatorError) as excinfo:
        sim.create_participant(ACCOUNT, "Room", params)
    assert excinfo.value.status == 400
    return excinfo.value


def test_to_and_from_are_required(sim: Simulator) -> None:
    assert rejected(sim, {"From": CALLER}).code == errors.TO_MISSING
    assert rejected(sim, {"To": "+14155550100"}).code == errors.FROM_MISSING
    assert rejected(sim, {"From": CALLER, "To": "  "}).code == errors.TO_MISSING


@pytest.mark.parametrize(
    "to", ["+14155550100", "14155550100", "client:bob", "sip:bob@example.com", "app:AP" + "a" * 32]
)
def test_valid_destinations(sim: Simulator, to: str) -> None:
    from_ = "alice" if to.startswith("sip:") else ("client:alice" if not to.lstrip("+").isdigit() else CALLER)
    assert create(sim, To=to, From=from_).to == to


@pytest.mark.parametrize(
    "to", ["hello", "+0123", "+1234567890123456", "client:", "sip:nobody", "app:AP123", "tel:+1415"]
)
def test_invalid_to(sim: Simulator, to: str) -> None:
    assert rejected(sim, {**VALID, "To": to}).code == errors.TO_INVALID


@pytest.mark.parametrize("from_", ["hello", "client:alice", "+0"])
def test_invalid_from_for_a_phone_destination(sim: Simulator, from_: str) -> None:
    assert rejected(sim, {**VALID, "From": from_}).code == errors.FROM_INVALID


def test_caller_id_follows_the_from_rules(sim: Simulator) -> None:
    assert create(sim, CallerId="+17736772737").options["CallerId"] == "+17736772737"
    assert rejected(sim, {**VALID, "CallerId": "nobody"}).code == errors.FROM_INVALID


@pytest.mark.parametrize(
    ("name", "bad", "code"),
    [
        ("Timeout", "4", errors.TIMEOUT_INVALID),
        ("Timeout", "601", errors.TIMEOUT_INVALID),
        ("Timeout", "ten", errors.TIMEOUT_INVALID),
        ("MaxParticipants", "1", errors.INVALID_PARAMETER),
        ("MaxParticipants", "251", errors.INVALID_PARAMETER),
        ("Muted", "yes", errors.INVALID_PARAMETER),
        ("Record", "1", errors.INVALID_PARAMETER),
        ("StartConferenceOnEnter", "no", errors.INVALID_PARAMETER),
        ("EndConferenceOnExit", "on", errors.INVALID_PARAMETER),
        ("EarlyMedia", "x", errors.INVALID_PARAMETER),
        ("Coaching", "sure", errors.INVALID_PARAMETER),
        ("Beep", "loud", errors.INVALID_PARAMETER),
        ("JitterBufferSize", "huge", errors.INVALID_PARAMETER),
        ("ConferenceRecord", "always", errors.INVALID_PARAMETER),
        ("ConferenceTrim", "trim", errors.INVALID_PARAMETER),
        ("Trim", "cut", errors.INVALID_PARAMETER),
        ("RecordingTrack", "left", errors.INVALID_PARAMETER),
        ("RecordingChannels", "stereo", errors.INVALID_PARAMETER),
        ("Region", "us2", errors.INVALID_PARAMETER),
        ("MachineDetection", "maybe", errors.INVALID_PARAMETER),
        ("MachineDetectionTimeout", "60", errors.INVALID_PARAMETER),
        ("MachineDetectionSpeechThreshold", "999", errors.INVALID_PARAMETER),
        ("MachineDetectionSpeechEndThreshold", "5001", errors.INVALID_PARAMETER),
        ("MachineDetectionSilenceTimeout", "1999", errors.INVALID_PARAMETER),
        ("TimeLimit", "0", errors.INVALID_PARAMETER),
        ("Byoc", "BY123", errors.INVALID_PARAMETER),
        ("CallSidToCoach", "CF" + "a" * 32, errors.INVALID_PARAMETER),
        ("StatusCallback", "not a url", errors.URL_INVALID),
        ("StatusCallback", "ftp://example.com/x", errors.URL_INVALID),
        ("WaitUrl", "example.com/wait", errors.URL_INVALID),
        ("ConferenceStatusCallback", "https://", errors.URL_INVALID),
        ("RecordingStatusCallback", "x", errors.URL_INVALID),
        ("ConferenceRecordingStatusCallback", "x", errors.URL_INVALID),
        ("AmdStatusCallback", "x", errors.URL_INVALID),
        ("ClientNotificationUrl", "x", errors.URL_INVALID),
        ("StatusCallbackMethod", "PUT", errors.METHOD_INVALID),
        ("WaitMethod", "DELETE", errors.METHOD_INVALID),
        ("ConferenceStatusCallbackMethod", "PATCH", errors.METHOD_INVALID),
        ("RecordingStatusCallbackMethod", "HEAD", errors.METHOD_INVALID),
        ("ConferenceRecordingStatusCallbackMethod", "X", errors.METHOD_INVALID),
        ("AmdStatusCallbackMethod", "X", errors.METHOD_INVALID),
        ("StatusCallbackEvent", "answered hungup", errors.STATUS_CALLBACK_EVENT_INVALID),
        ("ConferenceStatusCallbackEvent", "start finish", errors.STATUS_CALLBACK_EVENT_INVALID),
        ("RecordingStatusCallbackEvent", "begun", errors.STATUS_CALLBACK_EVENT_INVALID),
        ("ConferenceRecordingStatusCallbackEvent", "started", errors.STATUS_CALLBACK_EVENT_INVALID),
    ],
)
def test_invalid_values(sim: Simulator, name: str, bad: str, code: int) -> None:
    assert rejected(sim, {**VALID, name: bad}).code == code


def test_valid_values_are_accepted_and_kept(sim: Simulator) -> None:
    participant = create(
        sim,
        Timeout="5",
        MaxParticipants="250",
        Muted="TRUE",
        Record="false",
        Beep="onExit",
        JitterBufferSize="small",
        ConferenceRecord="record-from-start",
        ConferenceTrim="do-not-trim",
        Trim="trim-silence",
        RecordingTrack="inbound",
        RecordingChannels="dual",
        Region="au1",
        MachineDetection="enable",
        MachineDetectionTimeout="30",
        Byoc="BY" + "b" * 32,
        StatusCallback="https://example.com/cb",
        StatusCallbackMethod="get",
        WaitUrl="",
        TimeLimit="3600",
        CallReason="Reason",
        CallToken="token",
        CallerDisplayName="John Doe",
        SipAuthUsername="u",
        SipAuthPassword="p",
    )
    assert participant.muted is True
    assert participant.timeout == 5
    assert participant.beep_on_exit is True
    assert participant.status_callback_method == "GET"
    assert participant.wait_url == ""
    assert participant.options["MachineDetection"] == "Enable"
    assert participant.options["Record"] is False


def test_unknown_params_are_ignored(sim: Simulator) -> None:
    assert create(sim, MachineDetectionEngine="Lumenvox", Whatever="1").status == "queued"


def test_array_params_accept_repeated_keys_and_spaces(sim: Simulator) -> None:
    repeated = create(sim, StatusCallbackEvent=["initiated", "answered"])
    spaced = create(sim, StatusCallbackEvent="initiated ringing  completed")
    mixed = create(sim, StatusCallbackEvent=["initiated ringing", "answered", "ringing"])
    assert repeated.status_callback_events == ("initiated", "answered")
    assert spaced.status_callback_events == ("initiated", "ringing", "completed")
    assert mixed.status_callback_events == ("initiated", "ringing", "answered")
    assert create(sim).status_callback_events == ("completed",)


def test_empty_label_means_no_label(sim: Simulator) -> None:
    assert create(sim, Label="").label is None


def test_friendly_name_length(sim: Simulator) -> None:
    with pytest.raises(SimulatorError) as excinfo:
        sim.create_participant(ACCOUNT, "x" * 129, VALID)
    assert excinfo.value.code == errors.FRIENDLY_NAME_INVALID


def test_update_validation(sim: Simulator) -> None:
    p = create(sim)
    for params, code in [
        ({"HoldUrl": "nope"}, errors.URL_INVALID),
        ({"HoldMethod": "PUT"}, errors.METHOD_INVALID),
        ({"AnnounceUrl": "nope"}, errors.URL_INVALID),
        ({"AnnounceMethod": "PUT"}, errors.METHOD_INVALID),
        ({"WaitUrl": "nope"}, errors.URL_INVALID),
        ({"WaitMethod": "PUT"}, errors.METHOD_INVALID),
        ({"BeepOnExit": "loud"}, errors.INVALID_PARAMETER),
        ({"EndConferenceOnExit": "1"}, errors.INVALID_PARAMETER),
        ({"Coaching": "1"}, errors.INVALID_PARAMETER),
    ]:
        with pytest.raises(SimulatorError) as excinfo:
            sim.update_participant(ACCOUNT, p.conference_sid, p.call_sid, params)
        assert excinfo.value.code == code, params


def test_list_filters_parse() -> None:
    assert parse_participant_filters({"Muted": "true", "Hold": "False"}).hold is False
    with pytest.raises(SimulatorError):
        parse_participant_filters({"Coaching": "yes"})
    filters = parse_conference_filters(
        {"Status": "in-progress", "DateCreated>": "2024-01-01", "DateUpdated<": "2024-02-01"}
    )
    assert filters.status == "in-progress"
    assert [(f.field, f.op, f.day.isoformat()) for f in filters.dates] == [
        ("date_created", ">=", "2024-01-01"),
        ("date_updated", "<=", "2024-02-01"),
    ]
    for bad in [{"Status": "running"}, {"DateCreated": "2024/01/01"}, {"DateUpdated": "20240101"}]:
        with pytest.raises(SimulatorError):
            parse_conference_filters(bad)
