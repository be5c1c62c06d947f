"""Recording status callbacks: signed like the others, stored once, applied to the roster in a way
late or repeated deliveries cannot undo."""

from __future__ import annotations

import pytest
from django.test import Client

from conference_admin.live import roster
from conference_admin.live.models import ConferenceEvent

from .callback_helpers import ALICE, CONFERENCE, PUBLIC, TOKEN, conference_event, post_signed

CONF_PATH = "/webhooks/twilio/conference-status"
PATH = "/webhooks/twilio/recording-status"
RECORDING = "RE" + "c3" * 16
NEWER = "RE" + "d4" * 16

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ROOT_URLCONF = "conference_admin.live.urls"
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.TWILIO_AUTH_TOKEN = TOKEN


@pytest.fixture
def anonymous():
    client = Client()
    post_signed(client, CONF_PATH, conference_event("participant-join", 1, call_sid=ALICE, label="agent:alice"))
    return client


def recording_event(status, *, sid=RECORDING, call_sid=None, source="Conference"):
    params = {
        "AccountSid": "AC" + "0" * 32,
        "RecordingSid": sid,
        "RecordingStatus": status,
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/{sid}",
        "RecordingDuration": "3",
        "RecordingChannels": "1",
        "RecordingSource": source,
    }
    if call_sid:
        params["CallSid"] = call_sid
    else:
        params["ConferenceSid"] = CONFERENCE
    return params


def call_path():
    return f"{PATH}?conference={CONFERENCE}"


def test_a_conference_recording_callback_sets_the_state_and_moves_the_version(anonymous):
    before = roster.current_version(CONFERENCE)
    assert post_signed(anonymous, PATH, recording_event("in-progress")).status_code == 204
    current = roster.load(CONFERENCE)
    assert (current.recording.sid, current.recording.status) == (RECORDING, "in-progress")
    assert current.recording_read and roster.current_version(CONFERENCE) > before
    assert ConferenceEvent.objects.filter(event="recording-in-progress").count() == 1


def test_a_call_recording_callback_changes_that_row(anonymous):
    before = roster.load(CONFERENCE).entries[ALICE].changed_version
    params = recording_event("in-progress", call_sid=ALICE, source="StartCallRecordingAPI")
    assert post_signed(anonymous, call_path(), params).status_code == 204
    entry = roster.load(CONFERENCE).entries[ALICE]
    assert entry.recording.status == "in-progress" and entry.changed_version > before
    assert roster.load(CONFERENCE).recording is None  # not the conference's


def test_late_and_repeated_deliveries_change_nothing(anonymous):
    post_signed(anonymous, PATH, recording_event("in-progress"))
    post_signed(anonymous, PATH, recording_event("completed"))
    version = roster.current_version(CONFERENCE)
    assert post_signed(anonymous, PATH, recording_event("completed")).status_code == 204  # a redelivery
    post_signed(anonymous, PATH, {**recording_event("in-progress"), "RecordingDuration": "0"})  # late
    assert roster.load(CONFERENCE).recording.status == "completed"
    assert roster.current_version(CONFERENCE) == version
    # A newer recording in progress is not hidden by the older one's end arriving late.
    post_signed(anonymous, PATH, recording_event("in-progress", sid=NEWER))
    post_signed(anonymous, PATH, {**recording_event("absent"), "ErrorCode": "16101"})
    assert (roster.load(CONFERENCE).recording.sid, roster.load(CONFERENCE).recording.status) == (
        NEWER,
        "in-progress",
    )


def test_unsigned_or_malformed_callbacks_are_refused(anonymous):
    assert post_signed(anonymous, PATH, recording_event("in-progress"), signature="bad").status_code == 403
    assert post_signed(anonymous, PATH, {**recording_event("in-progress"), "RecordingSid": "nope"}).status_code == 400
    no_conference = recording_event("in-progress", call_sid=ALICE, source="StartCallRecordingAPI")
    assert post_signed(anonymous, PATH, no_conference).status_code == 400  # a call recording needs ?conference=
    assert roster.load(CONFERENCE).recording is None
