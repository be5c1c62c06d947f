"""The conference page's live transcript panel: what it shows on load, its poll (the fallback
while the stream is not live), and who sees it."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from conference_admin.access.roles import OBSERVER, SUPERVISOR, assign_role
from conference_admin.live import transcripts

from .conftest import ESCALATION

HTMX = {"HTTP_HX_REQUEST": "true"}
GT = "GT" + "5b" * 16

pytestmark = pytest.mark.django_db


def heard(demo, sequence: int, text: str, *, final: bool, speaker: str = "agent:carol") -> None:
    params = {
        "CallSid": demo.call_sid(ESCALATION, speaker),
        "TranscriptionSid": GT,
        "Timestamp": f"2026-12-07T12:00:{sequence:02d}.000000Z",
        "SequenceId": str(sequence),
        "TranscriptionEvent": "transcription-content",
        "Track": "inbound_track",
        "Final": "true" if final else "false",
        "TranscriptionData": json.dumps({"transcript": text, "confidence": 0.9}),
    }
    transcripts.receive_transcription_callback(params, demo.sid(ESCALATION), speaker)


def as_role(client, django_user_model, role):
    user = django_user_model.objects.create_user(role.lower())
    assign_role(user, role)
    client.force_login(user)
    return client


def test_the_page_shows_the_lines_said_so_far_and_its_cursor(client, django_user_model, demo):
    heard(demo, 2, "Thanks for calling.", final=True)
    heard(demo, 3, "Let me", final=False)
    page = as_role(client, django_user_model, SUPERVISOR).get(reverse("conference-detail", args=[demo.sid(ESCALATION)]))
    html = page.content.decode()
    assert 'id="transcript-panel"' in html and re.search(r'src="/static/transcript\.[0-9a-f]+\.js"', html)
    texts = re.findall(r'<span class="tline-text">(.*?)</span>', html)
    assert texts == ["Thanks for calling.", "Let me"]  # newest at the bottom
    assert f'data-cursor="{transcripts.current_cursor(demo.sid(ESCALATION))}"' in html
    assert "Transcribe everyone" not in html  # a supervisor reads, a lead starts


def test_the_poll_sends_what_changed_since_the_cursor(client, django_user_model, demo):
    as_role(client, django_user_model, SUPERVISOR)
    url = reverse("conference-transcript", args=[demo.sid(ESCALATION)])
    assert client.get(url + "?cursor=0", **HTMX).status_code == 204
    heard(demo, 2, "I want", final=False)
    first = client.get(url + "?cursor=0", **HTMX)
    cursor = int(first["X-Transcript-Cursor"])
    assert first.status_code == 200 and "I want" in first.content.decode()
    assert client.get(url + f"?cursor={cursor}", **HTMX).status_code == 204
    heard(demo, 3, "I want to speak to a manager.", final=True)
    second = client.get(url + f"?cursor={cursor}", **HTMX).content.decode()
    line_id = re.search(r'id="(line-\d+)"', first.content.decode()).group(1)
    assert f'id="{line_id}"' in second and "speak to a manager" in second  # the same line, replaced
    assert client.get(url + "?cursor=junk", **HTMX).status_code == 200  # read as 0, never a 500


def test_an_observer_sees_no_transcript(client, django_user_model, demo):
    heard(demo, 2, "private words", final=True)
    as_role(client, django_user_model, OBSERVER)
    page = client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)])).content.decode()
    assert "private words" not in page and 'id="transcript-panel"' not in page and "PCI" not in page
    poll = client.get(reverse("conference-transcript", args=[demo.sid(ESCALATION)]) + "?cursor=0", **HTMX)
    assert poll.status_code == 403
