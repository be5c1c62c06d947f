"""Transcription callbacks: signed like the others; partial results update one line in place until
the final one; late and repeated deliveries change nothing; the row follows started / stopped."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from conference_admin.live import roster, transcripts
from conference_admin.live.models import TranscriptLine

from .callback_helpers import ALICE, CONFERENCE, PUBLIC, conference_event, post_signed

CONF_PATH = "/webhooks/twilio/conference-status"
PATH = f"/webhooks/twilio/transcription?conference={CONFERENCE}&speaker=agent%3Aalice"
GT = "GT" + "e5" * 16
OLDER = "GT" + "f6" * 16

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ROOT_URLCONF = "conference_admin.live.urls"
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.TWILIO_AUTH_TOKEN = "callback-test-token"


@pytest.fixture
def anonymous():
    client = Client()
    post_signed(client, CONF_PATH, conference_event("participant-join", 1, call_sid=ALICE, label="agent:alice"))
    return client


def event(name, sequence, *, sid=GT, **extra):
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": ALICE,
        "TranscriptionSid": sid,
        "Timestamp": f"2026-11-25T12:00:{sequence:02d}.000000Z",
        "SequenceId": str(sequence),
        "TranscriptionEvent": name,
        **extra,
    }


def content(sequence, text, *, final=False, track="inbound_track", sid=GT):
    data = json.dumps({"transcript": text, "confidence": 0.9})
    return event(
        "transcription-content",
        sequence,
        sid=sid,
        Track=track,
        Final="true" if final else "false",
        TranscriptionData=data,
        LanguageCode="en-US",
    )


def lines():
    return list(TranscriptLine.objects.order_by("spoken_at", "id").values_list("speaker", "text", "final"))


def test_partials_update_one_line_then_the_final_closes_it(anonymous):
    assert post_signed(anonymous, PATH, event("transcription-started", 1)).status_code == 204
    for sequence, text in [(2, "I"), (3, "I want"), (4, "I want to")]:
        assert post_signed(anonymous, PATH, content(sequence, text)).status_code == 204
    assert lines() == [("agent:alice", "I want to", False)]
    post_signed(anonymous, PATH, content(5, "I want to cancel.", final=True))
    post_signed(anonymous, PATH, content(6, "Please"))
    assert lines() == [("agent:alice", "I want to cancel.", True), ("agent:alice", "Please", False)]
    first, second = TranscriptLine.objects.order_by("id")
    assert (first.sequence, first.confidence, first.track, first.call_sid) == (5, 0.9, "inbound_track", ALICE)
    assert second.version > first.version  # each write moves the conference's cursor
    assert transcripts.current_cursor(CONFERENCE) == second.version
    assert [line.text for line in transcripts.lines_since(CONFERENCE, first.version)] == ["Please"]


def test_late_and_repeated_deliveries_change_nothing(anonymous):
    post_signed(anonymous, PATH, content(3, "I want"))
    before = transcripts.current_cursor(CONFERENCE)
    post_signed(anonymous, PATH, content(2, "I"))  # an older partial: the line shows newer words
    post_signed(anonymous, PATH, content(3, "I want"))  # the same delivery again
    assert lines() == [("agent:alice", "I want", False)]
    assert transcripts.current_cursor(CONFERENCE) == before
    post_signed(anonymous, PATH, content(4, "I want it.", final=True))
    post_signed(anonymous, PATH, content(4, "I want it.", final=True))  # a final delivered twice
    assert lines() == [("agent:alice", "I want it.", True)]


def test_tracks_and_transcriptions_keep_lines_apart(anonymous):
    post_signed(anonymous, PATH, content(2, "Hello"))
    post_signed(anonymous, PATH, content(3, "Hi there", track="outbound_track"))
    post_signed(anonymous, PATH, content(2, "Other", sid=OLDER))
    assert sorted(text for _, text, _ in lines()) == ["Hello", "Hi there", "Other"]


def test_the_row_follows_started_error_and_stopped(anonymous):
    post_signed(anonymous, PATH, event("transcription-started", 1))
    state = roster.load(CONFERENCE).entries[ALICE].transcription
    assert state is not None and state.sid == GT and not state.error
    version = roster.current_version(CONFERENCE)
    post_signed(anonymous, PATH, event("transcription-stopped", 9, sid=OLDER))  # another one's stop
    assert roster.load(CONFERENCE).entries[ALICE].transcription == state
    assert roster.current_version(CONFERENCE) == version
    post_signed(
        anonymous,
        PATH,
        event("transcription-error", 10, TranscriptionErrorCode="95106", TranscriptionError="Engine down"),
    )
    assert roster.load(CONFERENCE).entries[ALICE].transcription.error == "Engine down (95106)"
    post_signed(anonymous, PATH, event("transcription-stopped", 11))
    assert roster.load(CONFERENCE).entries[ALICE].transcription is None
    assert roster.current_version(CONFERENCE) > version


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({**content(2, "x"), "TranscriptionData": "not json"}, PATH),
        ({**content(2, "x"), "TranscriptionData": json.dumps({"confidence": 1})}, PATH),
        ({**content(2, "x"), "Track": "both_tracks"}, PATH),
        ({**content(2, "x"), "Final": "maybe"}, PATH),
        ({**content(2, "x"), "SequenceId": "two"}, PATH),
        ({**content(2, "x"), "TranscriptionSid": "GT1"}, PATH),
        (event("transcription-paused", 2), PATH),
        (content(2, "x"), "/webhooks/twilio/transcription?conference=nope"),
    ],
)
def test_malformed_callbacks_are_refused_with_the_reason(anonymous, params, path):
    response = post_signed(anonymous, path, params)
    assert response.status_code == 400 and response.content
    assert not TranscriptLine.objects.exists()


def test_unsigned_or_badly_signed_callbacks_are_refused(anonymous):
    assert post_signed(anonymous, PATH, content(2, "x"), signature="").status_code == 403
    assert post_signed(anonymous, PATH, content(2, "x"), token="wrong").status_code == 403
    # The speaker is part of the signed URL: changing it breaks the signature.
    params = content(2, "x")
    from conference_admin.twilio.signature import compute_signature

    signature = compute_signature("callback-test-token", PUBLIC + PATH, params)
    forged = PATH.replace("agent%3Aalice", "agent%3Amallory")
    assert anonymous.post(forged, params, headers={"X-Twilio-Signature": signature}).status_code == 403
    assert not TranscriptLine.objects.exists()


def test_the_cursor_survives_a_cache_loss(anonymous):
    post_signed(anonymous, PATH, content(2, "one", final=True))
    post_signed(anonymous, PATH, content(3, "two", final=True))
    top = transcripts.current_cursor(CONFERENCE)
    from django.core.cache import cache

    cache.clear()
    assert transcripts.current_cursor(CONFERENCE) == top  # kept in the database, not the cache
    post_signed(anonymous, PATH, content(4, "three", final=True))
    assert TranscriptLine.objects.get(text="three").version == top + 1
