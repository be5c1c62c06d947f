"""Turn engine objects into Twilio's JSON: exactly the spec's fields, RFC 2822 dates."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from .engine import Conference, Participant

API_VERSION = "2010-04-01"
API_PREFIX = f"/{API_VERSION}/Accounts"


def rfc2822(moment: datetime) -> str:
    """`Fri, 18 Feb 2011 21:07:19 +0000`, the format the SDK parses."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


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
            "recordings": f"{API_PREFIX}/{conference.account_sid}/Conferences/{conference.sid}/Recordings.json",
        },
        "reason_conference_ended": conference.reason_conference_ended,
        "call_sid_ending_conference": conference.call_sid_ending_conference,
    }
