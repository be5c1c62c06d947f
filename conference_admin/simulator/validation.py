"""Parse and validate Twilio form parameters (PascalCase, as on the wire) into Python values.

One table per operation lists every parameter Twilio's spec defines for it, with the rule it
must satisfy; nothing here knows about conference state (label uniqueness, coaching targets and
capacity are checked by the engine). Unknown parameters are ignored, as Twilio ignores them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from . import errors
from .errors import SimulatorError, invalid

# Raw request params: each key maps to one value or to every value of a repeated key.
Params = Mapping[str, "str | Sequence[str]"]
Values = dict[str, list[str]]
# What the parse_* functions return: each value already of its field's type (a str URL, an int
# timeout, a tuple of event names), so the engine reads them without casts.
Validated = dict[str, Any]

E164_ISH = re.compile(r"^\+?[1-9]\d{1,14}$")
CLIENT_ENDPOINT = re.compile(r"^client:[^\s:]+$")
SIP_ENDPOINT = re.compile(r"^sips?:[^\s@]+@[^\s@]+$")
APP_ENDPOINT = re.compile(r"^app:AP[0-9a-fA-F]{32}$")
SIP_USERNAME = re.compile(r"^[A-Za-z0-9_.!~*'()&=+$,;?/%-]+$")
CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
LABEL_LOOKS_LIKE_CALL_SID = re.compile(r"^CA[0-9a-f]{32}$")
BYOC_SID = re.compile(r"^BY[0-9a-fA-F]{32}$")
LABEL_MAX_LENGTH = 128
FRIENDLY_NAME_MAX_LENGTH = 128

CALL_EVENTS = ("initiated", "ringing", "answered", "completed")
CONFERENCE_EVENTS = ("start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement")
RECORDING_EVENTS = ("started", "in-progress", "paused", "resumed", "stopped", "completed", "failed", "absent")
CONFERENCE_RECORDING_EVENTS = ("in-progress", "completed", "failed", "absent")
CREATE_REGIONS = ("us1", "ie1", "de1", "sg1", "br1", "au1", "jp1")
CONFERENCE_STATUSES = ("init", "in-progress", "completed")


def normalize(params: Params) -> Values:
    """Give every key a list of values, whichever way the caller supplied them."""
    values: Values = {}
    for key, value in params.items():
        if isinstance(value, str):
            values[key] = [value]
        else:
            values[key] = [str(item) for item in value]
    return values


# --- single-value rules ------------------------------------------------------------------

Rule = Callable[[str, list[str]], object]


def _single(values: list[str]) -> str:
    return values[0]


def boolean(name: str, values: list[str]) -> bool:
    raw = _single(values).strip().lower()
    if raw in ("true", "false"):
        return raw == "true"
    raise invalid(f"{name} must be true or false, got {_single(values)!r}")


def lenient_boolean(name: str, values: list[str]) -> bool:
    """Update's Muted: the spec says anything other than true/false means false."""
    return _single(values).strip().lower() == "true"


def integer(low: int | None, high: int | None, code: int = errors.INVALID_PARAMETER) -> Rule:
    def rule(name: str, values: list[str]) -> int:
        raw = _single(values).strip()
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise invalid(f"{name} must be an integer, got {raw!r}", code)
        number = int(raw)
        if (low is not None and number < low) or (high is not None and number > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise invalid(f"{name} must be {bounds}, got {number}", code)
        return number

    return rule


def choice(*allowed: str, code: int = errors.INVALID_PARAMETER) -> Rule:
    """An enum, matched case-insensitively (Twilio's own examples send `enable` for `Enable`)."""
    canonical = {option.lower(): option for option in allowed}

    def rule(name: str, values: list[str]) -> str:
        raw = _single(values).strip()
        if raw.lower() in canonical:
            return canonical[raw.lower()]
        raise invalid(f"{name} must be one of {', '.join(allowed)}; got {raw!r}", code)

    return rule


http_method = choice("GET", "POST", code=errors.METHOD_INVALID)


def url(name: str, values: list[str]) -> str:
    raw = _single(values).strip()
    if is_http_url(raw):
        return raw
    raise invalid(f"{name} is not a valid URL: {raw!r}", errors.URL_INVALID)


def url_or_empty(name: str, values: list[str]) -> str:
    """WaitUrl may be '' to mean "play nothing while waiting" (spec, UpdateParticipant)."""
    if _single(values).strip() == "":
        return ""
    return url(name, values)


def pattern(regex: re.Pattern[str], what: str) -> Rule:
    def rule(name: str, values: list[str]) -> str:
        raw = _single(values).strip()
        if regex.fullmatch(raw):
            return raw
        raise invalid(f"{name} must be {what}, got {raw!r}")

    return rule


def text(name: str, values: list[str]) -> str:
    return _single(values)


def events(*allowed: str) -> Rule:
    """Array params arrive as repeated keys or space-separated in one key; accept both."""

    def rule(name: str, values: list[str]) -> tuple[str, ...]:
        found: list[str] = []
        for value in values:
            for item in value.replace(",", " ").split():
                if item not in allowed:
                    raise invalid(
                        f"{name} contains {item!r}; allowed: {' '.join(allowed)}",
                        errors.STATUS_CALLBACK_EVENT_INVALID,
                    )
                if item not in found:
                    found.append(item)
        return tuple(found)

    return rule


def is_http_url(raw: str) -> bool:
    try:
        parts = urlsplit(raw)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in raw)


# --- endpoints (From / To / CallerId) ---------------------------------------------------------


def is_phone_number(raw: str) -> bool:
    # The spec's createWithNonE164Number example sends digits without '+': Twilio accepts them.
    return bool(E164_ISH.fullmatch(raw))


def is_endpoint(raw: str) -> bool:
    return bool(
        is_phone_number(raw)
        or CLIENT_ENDPOINT.fullmatch(raw)
        or SIP_ENDPOINT.fullmatch(raw)
        or APP_ENDPOINT.fullmatch(raw)
    )


def check_to(raw: str) -> str:
    if not is_endpoint(raw):
        raise invalid(f"The 'To' number {raw} is not a valid phone number.", errors.TO_INVALID)
    return raw


def check_caller(name: str, raw: str, to: str) -> str:
    """From/CallerId: a phone number when To is one; a bare SIP username is fine for a SIP To."""
    if SIP_ENDPOINT.fullmatch(to) and SIP_USERNAME.fullmatch(raw):
        return raw
    if is_phone_number(to) and not is_phone_number(raw):
        raise invalid(f"The '{name}' {raw} must be a phone number when 'To' is one.", errors.FROM_INVALID)
    if not is_endpoint(raw):
        raise invalid(f"The '{name}' number {raw} is not a valid phone number.", errors.FROM_INVALID)
    return raw


def check_label(label: str) -> str:
    if (
        len(label) > LABEL_MAX_LENGTH
        or LABEL_LOOKS_LIKE_CALL_SID.fullmatch(label)
        or "/" in label
        or "%2f" in label.lower()
    ):
        raise invalid(
            "Invalid participant label, must not exceed 128 characters, must not be a CallSid, must not contain '/'",
            errors.LABEL_INVALID,
        )
    return label


def check_friendly_name(name: str) -> str:
    if not name or len(name) > FRIENDLY_NAME_MAX_LENGTH:
        raise invalid("Conference FriendlyName must be 1 to 128 characters long", errors.FRIENDLY_NAME_INVALID)
    return name


# --- operation tables ------------------------------------------------------------------------

CREATE_PARTICIPANT_RULES: dict[str, Rule] = {
    "StatusCallback": url,
    "StatusCallbackMethod": http_method,
    "StatusCallbackEvent": events(*CALL_EVENTS),
    "Label": text,
    "Timeout": integer(5, 600, errors.TIMEOUT_INVALID),
    "Record": boolean,
    "Muted": boolean,
    "Beep": choice("true", "false", "onEnter", "onExit"),
    "StartConferenceOnEnter": boolean,
    "EndConferenceOnExit": boolean,
    "WaitUrl": url_or_empty,
    "WaitMethod": http_method,
    "EarlyMedia": boolean,
    "MaxParticipants": integer(2, 250),
    "ConferenceRecord": choice("true", "false", "record-from-start", "do-not-record"),
    "ConferenceTrim": choice("trim-silence", "do-not-trim"),
    "ConferenceStatusCallback": url,
    "ConferenceStatusCallbackMethod": http_method,
    "ConferenceStatusCallbackEvent": events(*CONFERENCE_EVENTS),
    "RecordingChannels": choice("mono", "dual"),
    "RecordingStatusCallback": url,
    "RecordingStatusCallbackMethod": http_method,
    "SipAuthUsername": text,
    "SipAuthPassword": text,
    "Region": choice(*CREATE_REGIONS),
    "ConferenceRecordingStatusCallback": url,
    "ConferenceRecordingStatusCallbackMethod": http_method,
    "RecordingStatusCallbackEvent": events(*RECORDING_EVENTS),
    "ConferenceRecordingStatusCallbackEvent": events(*CONFERENCE_RECORDING_EVENTS),
    "Coaching": boolean,
    "CallSidToCoach": pattern(CALL_SID, "a Call SID (CA + 32 hex)"),
    "JitterBufferSize": choice("off", "small", "medium", "large"),
    "Byoc": pattern(BYOC_SID, "a BYOC trunk SID (BY + 32 hex)"),
    "CallerId": text,
    "CallReason": text,
    "RecordingTrack": choice("inbound", "outbound", "both"),
    "TimeLimit": integer(1, None),
    "MachineDetection": choice("Enable", "DetectMessageEnd"),
    "MachineDetectionTimeout": integer(3, 59),
    "MachineDetectionSpeechThreshold": integer(1000, 6000),
    "MachineDetectionSpeechEndThreshold": integer(500, 5000),
    "MachineDetectionSilenceTimeout": integer(2000, 10000),
    "AmdStatusCallback": url,
    "AmdStatusCallbackMethod": http_method,
    "Trim": choice("trim-silence", "do-not-trim"),
    "CallToken": text,
    "ClientNotificationUrl": url,
    "CallerDisplayName": text,
}

UPDATE_PARTICIPANT_RULES: dict[str, Rule] = {
    "Muted": lenient_boolean,
    "Hold": boolean,
    "HoldUrl": url,
    "HoldMethod": http_method,
    "AnnounceUrl": url,
    "AnnounceMethod": http_method,
    "WaitUrl": url_or_empty,
    "WaitMethod": http_method,
    "BeepOnExit": boolean,
    "EndConferenceOnExit": boolean,
    "Coaching": boolean,
    "CallSidToCoach": pattern(CALL_SID, "a Call SID (CA + 32 hex)"),
}

UPDATE_CONFERENCE_RULES: dict[str, Rule] = {
    "Status": choice("completed"),
    "AnnounceUrl": url,
    "AnnounceMethod": http_method,
}


def apply_rules(values: Values, rules: Mapping[str, Rule]) -> Validated:
    """Validated values of the params present, keyed by their PascalCase name."""
    return {name: rule(name, values[name]) for name, rule in rules.items() if name in values and values[name]}


def parse_create_participant(params: Params) -> Validated:
    values = normalize(params)
    to = _required(values, "To", errors.TO_MISSING, "A 'To' phone number is required.")
    from_ = _required(values, "From", errors.FROM_MISSING, "A 'From' phone number is required.")
    parsed = apply_rules(values, CREATE_PARTICIPANT_RULES)
    parsed["To"] = check_to(to)
    parsed["From"] = check_caller("From", from_, to)
    if "CallerId" in parsed:
        parsed["CallerId"] = check_caller("CallerId", str(parsed["CallerId"]), to)
    if parsed.get("Label") == "":
        del parsed["Label"]  # an empty label is no label
    if "Label" in parsed:
        check_label(str(parsed["Label"]))
    return parsed


def parse_update_participant(params: Params) -> Validated:
    return apply_rules(normalize(params), UPDATE_PARTICIPANT_RULES)


def parse_update_conference(params: Params) -> Validated:
    return apply_rules(normalize(params), UPDATE_CONFERENCE_RULES)


def _required(values: Values, name: str, code: int, message: str) -> str:
    raw = (values.get(name) or [""])[0].strip()
    if not raw:
        raise invalid(message, code)
    return raw


# --- list filters ------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantFilters:
    muted: bool | None = None
    hold: bool | None = None
    coaching: bool | None = None


@dataclass(frozen=True)
class DateFilter:
    field: str  # "date_created" | "date_updated"
    op: str  # "=", "<=", ">="
    day: date


@dataclass(frozen=True)
class ConferenceFilters:
    status: str | None = None
    friendly_name: str | None = None
    dates: tuple[DateFilter, ...] = ()


def parse_participant_filters(params: Params) -> ParticipantFilters:
    values = normalize(params)
    found = {key.lower(): boolean(key, values[key]) for key in ("Muted", "Hold", "Coaching") if values.get(key)}
    return ParticipantFilters(**found)


DATE_FILTER_KEYS = {
    "DateCreated": ("date_created", "="),
    "DateCreated<": ("date_created", "<="),
    "DateCreated>": ("date_created", ">="),
    "DateUpdated": ("date_updated", "="),
    "DateUpdated<": ("date_updated", "<="),
    "DateUpdated>": ("date_updated", ">="),
}


def parse_conference_filters(params: Params) -> ConferenceFilters:
    values = normalize(params)
    status = choice(*CONFERENCE_STATUSES)("Status", values["Status"]) if values.get("Status") else None
    friendly_name = values["FriendlyName"][0] if values.get("FriendlyName") else None
    dates = tuple(
        DateFilter(field, op, parse_day(key, values[key][0]))
        for key, (field, op) in DATE_FILTER_KEYS.items()
        if values.get(key)
    )
    return ConferenceFilters(status=str(status) if status else None, friendly_name=friendly_name, dates=dates)


def parse_day(name: str, raw: str) -> date:
    # Accept a stray leading '=' from `DateCreated<==...`-style hand-built queries.
    cleaned = raw.strip().lstrip("=")
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
            raise ValueError(cleaned)
        return date.fromisoformat(cleaned)
    except ValueError:
        raise invalid(f"{name} must be a date as YYYY-MM-DD, got {raw!r}") from None


# --- calls and recordings (api_v2010_calls_recordings.json) ------------------------------------

CALL_RECORDING_EVENTS = ("in-progress", "completed", "absent")  # spec: CreateCallRecording

CREATE_CALL_RECORDING_RULES: dict[str, Rule] = {
    "RecordingStatusCallbackEvent": events(*CALL_RECORDING_EVENTS),
    "RecordingStatusCallback": url,
    "RecordingStatusCallbackMethod": http_method,
    "Trim": choice("trim-silence", "do-not-trim"),
    "RecordingChannels": choice("mono", "dual"),
    "RecordingTrack": choice("inbound", "outbound", "both"),
}

# The spec's enum lists every status a recording can have; an update may only ask for these
# three ("Changes the status of the recording to paused, stopped, or in-progress").
UPDATE_RECORDING_RULES: dict[str, Rule] = {
    "Status": choice("in-progress", "paused", "stopped"),
    "PauseBehavior": choice("skip", "silence"),
}


# UpdateCall (CONTRACT.md section 14): redirect the call to new TwiML (inline or fetched) or end it.
TWIML_MAX_LENGTH = 4000
UPDATE_CALL_RULES: dict[str, Rule] = {
    "Url": url,
    "Method": http_method,
    "Status": choice("canceled", "completed"),
    "FallbackUrl": url,
    "FallbackMethod": http_method,
    "StatusCallback": url,
    "StatusCallbackMethod": http_method,
    "Twiml": text,
    "TimeLimit": integer(1, None),
}


def parse_update_call(params: Params) -> Validated:
    """32018 for a Twiml over 4,000 characters ([ERR]/32018); Twiml and Url are mutually exclusive (spec)."""
    parsed = apply_rules(normalize(params), UPDATE_CALL_RULES)
    twiml = parsed.get("Twiml")
    if twiml is not None and len(twiml) > TWIML_MAX_LENGTH:
        raise invalid(f"Twiml is {len(twiml)} characters long; the limit is {TWIML_MAX_LENGTH}", errors.TWIML_TOO_LONG)
    if twiml is not None and "Url" in parsed:
        raise invalid("Twiml and Url are mutually exclusive")
    if not any(name in parsed for name in ("Twiml", "Url", "Status")):
        raise invalid("One of Twiml, Url or Status is required")
    return parsed


def parse_create_call_recording(params: Params) -> Validated:
    return apply_rules(normalize(params), CREATE_CALL_RECORDING_RULES)


def parse_update_recording(params: Params) -> Validated:
    values = normalize(params)
    _required(values, "Status", errors.INVALID_PARAMETER, "Status is required: paused, in-progress or stopped")
    return apply_rules(values, UPDATE_RECORDING_RULES)


def parse_recording_dates(params: Params) -> tuple[DateFilter, ...]:
    """ListCallRecording / ListConferenceRecording filter on DateCreated (=, <=, >=) only."""
    values = normalize(params)
    return tuple(
        DateFilter(field, op, parse_day(key, values[key][0]))
        for key, (field, op) in DATE_FILTER_KEYS.items()
        if field == "date_created" and values.get(key)
    )


__all__ = [
    "ConferenceFilters",
    "DateFilter",
    "ParticipantFilters",
    "Params",
    "SimulatorError",
    "check_friendly_name",
    "parse_conference_filters",
    "parse_create_call_recording",
    "parse_create_participant",
    "parse_participant_filters",
    "parse_recording_dates",
    "parse_update_conference",
    "parse_update_call",
    "parse_update_participant",
    "parse_update_recording",
]
