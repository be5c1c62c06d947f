"""Building and posting signed Twilio status callbacks in tests."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from conference_admin.twilio.signature import compute_signature

PUBLIC = "https://dash.example.com"
TOKEN = "callback-test-token"
CONFERENCE = "CF" + "ab" * 16
ALICE = "CA" + "a1" * 16
BOB = "CA" + "b2" * 16
EPOCH = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def conference_event(
    event, sequence, *, call_sid=None, label=None, muted=False, hold=False, coaching=False, seconds=None, **extra
):
    params = {
        "AccountSid": "AC" + "0" * 32,
        "ConferenceSid": CONFERENCE,
        "FriendlyName": "Support room",
        "SequenceNumber": str(sequence),
        "Timestamp": format_datetime(
            EPOCH + timedelta(seconds=seconds if seconds is not None else sequence), usegmt=False
        ),
        "StatusCallbackEvent": event,
    }
    if call_sid:
        params.update(
            CallSid=call_sid,
            Muted=str(muted).lower(),
            Hold=str(hold).lower(),
            Coaching=str(coaching).lower(),
            EndConferenceOnExit="false",
            StartConferenceOnEnter="true",
        )
        if label:
            params["ParticipantLabel"] = label
    params.update(extra)
    return params


def post_signed(client, path, params, *, token=TOKEN, public=PUBLIC, signature=None, **headers):
    url = public + path
    sig = signature if signature is not None else compute_signature(token, url, params)
    return client.post(path, params, headers={"X-Twilio-Signature": sig, **headers})
