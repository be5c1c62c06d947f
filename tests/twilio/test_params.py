"""Every parameter in Twilio's spec has a typed snake_case keyword in the client."""

import json
import typing
from pathlib import Path

import pytest

from conference_admin.twilio.params import (
    REQUIRED_CREATE_WIRE_NAMES,
    CreateParticipantParams,
    ListConferencesParams,
    ListParticipantsParams,
    UpdateConferenceParams,
    UpdateParticipantParams,
    encode,
    wire_name,
)

SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "twilio" / "api_v2010_conference.json"
PATH_PARAMETERS = {"AccountSid", "ConferenceSid", "Sid", "CallSid"}

OPERATION_PARAMS = {
    "CreateParticipant": CreateParticipantParams,
    "UpdateParticipant": UpdateParticipantParams,
    "ListParticipant": ListParticipantsParams,
    "UpdateConference": UpdateConferenceParams,
    "ListConference": ListConferencesParams,
}


def spec_operations():
    if not SPEC_PATH.exists():
        pytest.skip(f"Twilio spec not found at {SPEC_PATH}")
    spec = json.loads(SPEC_PATH.read_text())
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
    if operation_id == "CreateParticipant":
        mapped |= set(REQUIRED_CREATE_WIRE_NAMES.values())
    expected = spec_parameter_names(operation)
    assert expected - mapped == set(), f"unmapped {operation_id} parameters"
    assert mapped - expected == set(), f"{operation_id} keywords that Twilio does not know"


def test_operations_without_parameters_have_none():
    for operation in spec_operations():
        if operation["operationId"] not in OPERATION_PARAMS:
            assert spec_parameter_names(operation) == set(), operation["operationId"]


@pytest.mark.parametrize("operation_id", sorted(OPERATION_PARAMS))
def test_python_types_follow_the_spec(operation_id):
    """bool/int/list in the spec become bool/int/list keywords, so encoding is typed."""
    operation = next(op for op in spec_operations() if op["operationId"] == operation_id)
    schemas = {p["name"]: p.get("schema", {}) for p in operation.get("parameters", [])}
    body = operation.get("requestBody")
    if body:
        schemas.update(body["content"]["application/x-www-form-urlencoded"]["schema"]["properties"])
    for keyword, python_type in typing.get_type_hints(OPERATION_PARAMS[operation_id]).items():
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
