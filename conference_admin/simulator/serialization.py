"""Turn engine objects into Twilio's JSON: exactly the spec's fields, RFC 2822 dates."""

from __future__ import annotations

from datetime import datetime

from .calls import Call, formatted
from .clock import rfc2822
from .engine import Conference, Participant
from .recordings import Recording

API_VERSION = "2010-04-01"
API_PREFIX = f"/{API_VERSION}/Accounts"


def conference_uri(account_sid: str, conference_sid: str) -> str:
    return f"{API_PREFIX}/{account_sid}/Conferences/{conference_sid}.json"


def participants_uri(account_sid: str, conference_sid: str) -> str:
    return f"{API_PREFIX}/{account_sid}/Conferences/{conference_sid}/Participants.json"


def participant_uri(account_sid: str, conference_sid: str, call_sid: str) -> str:
    return f"{API_PREFIX}/{account_sid}/Conferences/{conference_sid}/Participants/{call_sid}.json"


def conferences_uri(account_sid: str) -> str:
    return f"{API_PREFIX}/{account_sid}/Conferences.json"


def participant_json(participant: Participant) -> dict[str, object]:
    return {
        "account_sid": participant.account_sid,
        "call_sid": participant.call_sid,
        "label": participant.label,
        "call_sid_to_coach": participant.call_sid_to_coach,
        "coaching": participant.coaching,
        "conference_sid": participant.conference_sid,
        "date_created": rfc2822(participant.date_created),
        "date_updated": rfc2822(participant.date_updated),
        "end_conference_on_exit": participant.end_conference_on_exit,
        "muted": participant.muted,
        "hold": participant.hold,
        "start_conference_on_enter": participant.start_conference_on_enter,
        "status": participant.status,
        "queue_time": participant.queue_time,
        "uri": participant_uri(participant.account_sid, participant.conference_sid, participant.call_sid),
    }


def conference_json(conference: Conference) -> dict[str, object]:
    return {
        "account_sid": conference.account_sid,
        "date_created": rfc2822(conference.date_created),
        "date_updated": rfc2822(conference.date_updated),
        "api_version": API_VERSION,
        "friendly_name": conference.friendly_name,
        "region": conference.region,
        "sid": conference.sid,
        "status": conference.status,
        "uri": conference_uri(conference.account_sid, conference.sid),
        "subresource_uris": {
            "participants": participants_uri(conference.account_sid, conference.sid),
            "recordings": conference_recordings_uri(conference.account_sid, conference.sid),
        },
        "reason_conference_ended": conference.reason_conference_ended,
        "call_sid_ending_conference": conference.call_sid_ending_conference,
    }


# --- calls and recordings (api_v2010_calls_recordings.json) ---------------------------------------

PRICE_UNIT = "USD"


def call_uri(account_sid: str, call_sid: str) -> str:
    return f"{API_PREFIX}/{account_sid}/Calls/{call_sid}.json"


def call_recordings_uri(account_sid: str, call_sid: str) -> str:
    return f"{API_PREFIX}/{account_sid}/Calls/{call_sid}/Recordings.json"


def conference_recordings_uri(account_sid: str, conference_sid: str) -> str:
    return f"{API_PREFIX}/{account_sid}/Conferences/{conference_sid}/Recordings.json"


def recording_uri(recording: Recording) -> str:
    if recording.conference_sid is not None:
        owner = f"Conferences/{recording.conference_sid}"
    else:
        owner = f"Calls/{recording.call_sid}"
    return f"{API_PREFIX}/{recording.account_sid}/{owner}/Recordings/{recording.sid}.json"


def _optional_date(moment: datetime | None) -> str | None:
    return rfc2822(moment) if moment is not None else None


def call_json(call: Call) -> dict[str, object]:
    """The spec's Call: identity (from/to, formatted forms, direction, caller_name) and progress."""
    return {
        "sid": call.sid,
        "date_created": rfc2822(call.date_created),
        "date_updated": rfc2822(call.date_updated),
        "parent_call_sid": None,  # every participant's call is a parent call (API dial-out or dial-in)
        "account_sid": call.account_sid,
        "to": call.to,
        "to_formatted": formatted(call.to),
        "from": call.from_,
        "from_formatted": formatted(call.from_),
        "phone_number_sid": None,
        "status": call.status,
        "start_time": _optional_date(call.start_time),
        "end_time": _optional_date(call.end_time),
        "duration": call.duration,
        "price": None,
        "price_unit": PRICE_UNIT,
        "direction": call.direction,
        "answered_by": None,
        "api_version": API_VERSION,
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": call.caller_name,
        "queue_time": "0",
        "trunk_sid": None,
        "uri": call_uri(call.account_sid, call.sid),
        "subresource_uris": {"recordings": call_recordings_uri(call.account_sid, call.sid)},
    }


def recording_json(recording: Recording) -> dict[str, object]:
    """A call recording (api.v2010.account.call.call_recording) or a conference recording
    (api.v2010.account.conference.conference_recording): only call recordings have `track`."""
    body: dict[str, object] = {
        "account_sid": recording.account_sid,
        "api_version": API_VERSION,
        "call_sid": recording.call_sid,
        "conference_sid": recording.conference_sid,
        "date_created": rfc2822(recording.date_created),
        "date_updated": rfc2822(recording.date_updated),
        "start_time": rfc2822(recording.start_time),
        "duration": str(int(recording.recorded)),
        "sid": recording.sid,
        "price": None,
        "price_unit": PRICE_UNIT,
        "status": recording.status,
        "channels": recording.channels,
        "source": recording.source,
        "error_code": recording.error_code,
        "encryption_details": None,
        "uri": recording_uri(recording),
    }
    if not recording.is_conference_recording:
        body["track"] = recording.track
    return body
