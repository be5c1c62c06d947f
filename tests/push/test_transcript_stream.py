"""Transcript lines on the page's event stream: a `transcript` event as each line is written,
for users who may read transcripts only; the roster's Last-Event-ID is left alone."""

from __future__ import annotations

import json

import pytest

from conference_admin.access.roles import OBSERVER, SUPERVISOR, assign_role
from conference_admin.live import transcripts

from ..dashboard.conftest import ESCALATION
from .test_stream import events_url, page_version, read_stream

pytestmark = pytest.mark.django_db(transaction=True)

GT = "GT" + "7a" * 16


def heard(demo, sequence: int, text: str, *, final: bool) -> None:
    params = {
        "AccountSid": demo.simulator.account_sid,
        "CallSid": demo.call_sid(ESCALATION, "agent:carol"),
        "TranscriptionSid": GT,
        "Timestamp": f"2026-12-07T12:00:{sequence:02d}.000000Z",
        "SequenceId": str(sequence),
        "TranscriptionEvent": "transcription-content",
        "Track": "inbound_track",
        "Final": "true" if final else "false",
        "TranscriptionData": json.dumps({"transcript": text, "confidence": 0.9}),
        "LanguageCode": "en-US",
    }
    transcripts.receive_transcription_callback(params, demo.sid(ESCALATION), "agent:carol")


def transcript_events(stream):
    return [event for event in stream.events if event.name == "transcript"]


def login(client, django_user_model, role: str):
    user = django_user_model.objects.create_user(role.lower())
    assign_role(user, role)
    client.force_login(user)
    return user


def test_a_line_is_pushed_as_it_is_written_and_its_final_replaces_it(client, demo, django_user_model) -> None:
    login(client, django_user_model, SUPERVISOR)
    version = page_version(client, demo)
    cursor = transcripts.current_cursor(demo.sid(ESCALATION))

    def speak() -> None:
        heard(demo, 2, "I want to", final=False)
        heard(demo, 3, "I want to cancel my account.", final=True)

    stream = read_stream(
        client,
        f"{events_url(demo)}?version={version}&transcript={cursor}",
        then=speak,
        until=lambda s: any("cancel my account." in e.data for e in transcript_events(s)),
    )
    events = transcript_events(stream)
    assert events and all(event.id is None for event in events)  # Last-Event-ID stays the roster's
    last = events[-1].data
    line_id = 'id="line-'
    assert last.count(line_id) == 1 and "tline--partial" not in last  # the same line, now final
    assert f'data-transcript-cursor="{transcripts.current_cursor(demo.sid(ESCALATION))}"' in last
    assert "agent:carol" in last


def test_an_observer_gets_no_transcript_on_the_stream(client, demo, django_user_model, settings) -> None:
    settings.PUSH_HEARTBEAT_SECONDS = 0.1
    login(client, django_user_model, OBSERVER)
    version = page_version(client, demo)
    stream = read_stream(
        client,
        f"{events_url(demo)}?version={version}&transcript=0",
        then=lambda: heard(demo, 2, "secret words", final=True),
        until=lambda s: s.heartbeats >= 3,
    )
    assert transcript_events(stream) == []
    assert all("secret words" not in event.data for event in stream.events)
