"""A watched phrase on the pages: the row's alert (with one click to listen in on your line), the
conference page's status line and the conferences list, all from the one alerts module."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from conference_admin.live import phrases, transcripts
from conference_admin.live.models import PhraseRule
from conference_admin.supervision.models import SupervisorProfile

from .conftest import ESCALATION

pytestmark = pytest.mark.django_db


def said(demo, label: str, text: str, sequence: int = 2) -> str:
    call_sid = demo.call_sid(ESCALATION, label)
    params = {
        "CallSid": call_sid,
        "TranscriptionSid": "GT" + "3e" * 16,
        "Timestamp": f"2026-12-07T12:00:{sequence:02d}.000000Z",
        "SequenceId": str(sequence),
        "TranscriptionEvent": "transcription-content",
        "Track": "inbound_track",
        "Final": "true",
        "TranscriptionData": json.dumps({"transcript": text, "confidence": 0.9}),
    }
    transcripts.receive_transcription_callback(params, demo.sid(ESCALATION), label)
    return call_sid


@pytest.fixture
def watched(db):
    phrases.forget_rules()
    PhraseRule.objects.create(name="Churn", phrases="cancel my account", severity="critical")


def customer_label(demo) -> str:
    participants = demo.simulator.list_participants(demo.simulator.account_sid, demo.sid(ESCALATION))
    return next(
        p.label for p in participants if p.label and p.label.startswith("customer:") and p.status == "connected"
    )


def test_the_alert_shows_on_the_row_the_page_and_the_list(supervisor_client, demo, seen, watched):
    seen(ESCALATION)
    label = customer_label(demo)
    call_sid = said(demo, label, "I want to cancel my account right now.")
    page = supervisor_client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)])).content.decode()
    row = re.search(rf'<tr id="participant-{call_sid}".*?</tr>', page, re.S).group(0)
    assert "said “cancel my account” (Churn)" in row and "right now" not in row  # no transcript in alerts
    assert "note--error row-warning" in row  # critical
    listen = reverse("supervision-line-dial", args=[demo.sid(ESCALATION)])
    # One click to listen in, beside the alert in the status line (the row stays within its budget).
    status = re.search(r'<div id="roster-status-line".*?</div>', page, re.S).group(0)
    assert "conference-alert--phrase" in status and f'hx-post="{listen}"' in status and "Listen in" in status
    assert "Listen in" not in row
    listing = supervisor_client.get(reverse("conference-list")).content.decode()
    alert = re.search(r'<li class="note note--error conf-alert conf-alert--phrase">.*?</li>', listing, re.S).group(0)
    assert "said “cancel my account”" in alert and f'action="{listen}"' in alert


def test_listen_in_from_the_list_dials_your_line(supervisor_client, demo, seen, watched, django_user_model):
    seen(ESCALATION)
    said(demo, customer_label(demo), "cancel my account")
    user = django_user_model.objects.get(username="supervisor")
    SupervisorProfile.objects.create(user=user, phone="client:supervisor-sam")
    demo.simulator.reset_request_log()
    response = supervisor_client.post(reverse("supervision-line-dial", args=[demo.sid(ESCALATION)]))
    assert response.status_code == 302 and response["Location"].endswith(f"/conferences/{demo.sid(ESCALATION)}/")
    sent = [r for r in demo.simulator.request_log if r.operation == "CreateParticipant"]
    assert len(sent) == 1 and sent[0].params["To"] == ["client:supervisor-sam"] and sent[0].params["Muted"] == ["true"]


def test_no_alert_without_a_matching_rule(supervisor_client, demo, seen, watched):
    seen(ESCALATION)
    said(demo, customer_label(demo), "Thanks, that is all.")
    page = supervisor_client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)])).content.decode()
    assert "conference-alert--phrase" not in page and "Listen in" not in page
