"""Transcript privacy: nothing said while a recording is paused is kept (configurable); lines
older than the retention are pruned, and the pruning is audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from conference_admin.audit.models import AuditRecord
from conference_admin.live import transcripts
from conference_admin.live.models import TranscriptLine
from conference_admin.live.recordings import RecordingState, record_call_recording, record_conference_recording

from .callback_helpers import ALICE, CONFERENCE, PUBLIC, conference_event, post_signed

PATH = f"/webhooks/twilio/transcription?conference={CONFERENCE}&speaker=customer%3ADana"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ROOT_URLCONF = "conference_admin.live.urls"
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.TWILIO_AUTH_TOKEN = "callback-test-token"


@pytest.fixture
def anonymous():
    client = Client()
    post_signed(
        client,
        "/webhooks/twilio/conference-status",
        conference_event("participant-join", 1, call_sid=ALICE, label="customer:Dana"),
    )
    return client


def say(client, sequence, text):
    params = {
        "CallSid": ALICE,
        "TranscriptionSid": "GT" + "1f" * 16,
        "Timestamp": f"2026-11-25T12:00:{sequence:02d}.000000Z",
        "SequenceId": str(sequence),
        "TranscriptionEvent": "transcription-content",
        "Track": "inbound_track",
        "Final": "true",
        "TranscriptionData": json.dumps({"transcript": text, "confidence": 0.9}),
    }
    assert post_signed(client, PATH, params).status_code == 204


def texts():
    return list(TranscriptLine.objects.order_by("id").values_list("text", flat=True))


def paused(sid="RE" + "2a" * 16):
    return RecordingState(sid=sid, status="paused", since=datetime.now(UTC))


def running(sid="RE" + "2a" * 16):
    return RecordingState(sid=sid, status="in-progress", since=datetime.now(UTC))


def test_nothing_said_while_the_conference_recording_is_paused_is_kept(anonymous):
    record_conference_recording(CONFERENCE, running(), read=True)
    say(anonymous, 2, "My name is Dana.")
    record_conference_recording(CONFERENCE, paused(), read=True)
    say(anonymous, 3, "My card number is 4111 1111 1111 1111.")
    record_conference_recording(CONFERENCE, running(), read=True)
    say(anonymous, 4, "Thanks.")
    assert texts() == ["My name is Dana.", "Thanks."]


def test_a_paused_call_recording_pauses_that_participants_transcript(anonymous):
    record_call_recording(CONFERENCE, ALICE, paused("RE" + "3b" * 16))
    say(anonymous, 2, "The expiry is 04/29.")
    assert texts() == []


def test_the_setting_turns_it_off(anonymous, settings):
    settings.TRANSCRIPT_PAUSE_WITH_RECORDING = False
    record_conference_recording(CONFERENCE, paused(), read=True)
    say(anonymous, 2, "Kept anyway.")
    assert texts() == ["Kept anyway."]


def test_prune_deletes_old_lines_and_is_audited(anonymous):
    say(anonymous, 2, "old line")
    say(anonymous, 3, "new line")
    TranscriptLine.objects.filter(text="old line").update(created_at=datetime.now(UTC) - timedelta(days=40))
    call_command("prune_transcripts", "--days", "30")
    assert texts() == ["new line"]
    record = AuditRecord.objects.get(action=transcripts.PRUNE_ACTION)
    assert record.outcome == "ok" and record.parameters["lines"] == 1 and record.parameters["retention_days"] == 30
    with pytest.raises(Exception, match="at least one day"):
        call_command("prune_transcripts", "--days", "0")
