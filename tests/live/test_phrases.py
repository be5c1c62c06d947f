"""Phrase alerts: rules from the database, whole-word or phrase match, whose side, severity; a
final line that matches raises the row's alert (conference page and list alike) and history
records it with the matched line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin
from django.test import Client

from conference_admin.dashboard.services import alerts_shown
from conference_admin.history.models import ConferenceAlert
from conference_admin.history.recorder import forget_recorded_alerts
from conference_admin.live import phrases, roster
from conference_admin.live.alerts import conference_alerts
from conference_admin.live.models import PhraseRule

from .callback_helpers import ALICE, BOB, CONFERENCE, PUBLIC, conference_event, post_signed

PATH = "/webhooks/twilio/transcription?conference=" + CONFERENCE + "&speaker="
GT = "GT" + "9c" * 16

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ROOT_URLCONF = "conference_admin.live.urls"
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.TWILIO_AUTH_TOKEN = "callback-test-token"
    phrases.forget_rules()
    forget_recorded_alerts()


@pytest.fixture
def anonymous():
    client = Client()
    post_signed(
        client,
        "/webhooks/twilio/conference-status",
        conference_event("participant-join", 1, call_sid=ALICE, label="customer:Dana"),
    )
    post_signed(
        client,
        "/webhooks/twilio/conference-status",
        conference_event("participant-join", 2, call_sid=BOB, label="agent:bob"),
    )
    return client


def say(client, call_sid, speaker, sequence, text, *, final=True):
    params = {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": call_sid,
        "TranscriptionSid": GT if call_sid == ALICE else "GT" + "8d" * 16,
        "Timestamp": f"2026-11-25T12:00:{sequence:02d}.000000Z",
        "SequenceId": str(sequence),
        "TranscriptionEvent": "transcription-content",
        "Track": "inbound_track",
        "Final": "true" if final else "false",
        "TranscriptionData": json.dumps({"transcript": text, "confidence": 0.9}),
    }
    assert post_signed(client, PATH + speaker.replace(":", "%3A").replace(" ", "%20"), params).status_code == 204


def rule(name, phrases_text, **options):
    return PhraseRule.objects.create(name=name, phrases=phrases_text, **options)


def test_phrase_and_whole_word_matching():
    rule("Churn", "cancel my account\nclose   my account")
    rule("Legal", "lawyer\nsue", match="word", side="any", severity="critical")
    assert [(r.name, hit) for r, hit in phrases.matches("I want to CANCEL my  account now", "customer")] == [
        ("Churn", "CANCEL my  account")
    ]
    assert phrases.matches("My lawyers are busy", "customer") == []  # whole words only
    assert [r.name for r, _ in phrases.matches("my lawyer, and I will sue", "agent")] == ["Legal"]
    both = phrases.matches("cancel my account or I call my lawyer", "customer")
    assert [r.name for r, _ in both] == ["Legal", "Churn"]  # most severe first
    assert phrases.matches("cancel my account", "agent") == []  # a customer rule
    PhraseRule.objects.filter(name="Legal").update(enabled=False)
    phrases.forget_rules()
    assert [r.name for r, _ in phrases.matches("lawyer", "customer")] == []


def test_a_saved_rule_applies_at_once():
    assert phrases.matches("speak to a manager", "customer") == []
    rule("Escalation", "speak to a manager")  # the save drops the cached rules
    assert [r.name for r, _ in phrases.matches("Can I speak to a manager?", "customer")] == ["Escalation"]


def test_a_final_line_raises_the_rows_alert_and_history_records_the_line(anonymous):
    rule("Churn", "cancel my account", severity="critical")
    say(anonymous, ALICE, "customer:Dana", 2, "I want to cancel", final=False)  # a partial never alerts
    assert roster.load(CONFERENCE).entries[ALICE].phrase_alert is None
    say(anonymous, ALICE, "customer:Dana", 3, "I want to cancel my account today.")
    hit = roster.load(CONFERENCE).entries[ALICE].phrase_alert
    assert hit is not None and (hit.rule, hit.phrase, hit.severity) == ("Churn", "cancel my account", "critical")
    now = datetime.now(UTC)
    alerts = [a for a in conference_alerts(roster=roster.load(CONFERENCE), now=now) if a.kind == "phrase"]
    assert [(a.call_sid, a.severity) for a in alerts] == [(ALICE, "critical")]
    assert alerts[0].text == "customer:Dana said “cancel my account” (Churn)"  # pages show no transcript
    assert alerts[0].detail == "I want to cancel my account today."  # history keeps the line
    later = now + timedelta(seconds=301)
    assert not [a for a in conference_alerts(roster=roster.load(CONFERENCE), now=later) if a.kind == "phrase"]

    alerts_shown(conference_sids=[CONFERENCE], now=now)  # the page hands them to history
    say(anonymous, ALICE, "customer:Dana", 4, "Seriously, cancel my account.")
    alerts_shown(conference_sids=[CONFERENCE], now=now)
    recorded = list(ConferenceAlert.objects.filter(kind="phrase").values_list("line", flat=True))
    assert recorded == ["I want to cancel my account today.", "Seriously, cancel my account."]


def test_whose_side_counts(anonymous):
    rule("Customers only", "refund")
    say(anonymous, BOB, "agent:bob", 2, "I will issue a refund.")
    assert roster.load(CONFERENCE).entries[BOB].phrase_alert is None
    rule("Agents", "not my problem", side="agent")
    say(anonymous, BOB, "agent:bob", 3, "That is not my problem.")
    assert roster.load(CONFERENCE).entries[BOB].phrase_alert.rule == "Agents"


def test_rules_are_kept_in_django_admin():
    assert admin.site.is_registered(PhraseRule)


def test_the_demo_rules_fire_on_the_simulators_scripted_customers():
    from conference_admin.simulator import speech

    assert phrases.ensure_demo_rules() == ["Churn risk", "Escalation", "Legal"]
    assert phrases.ensure_demo_rules() == []  # never twice, never over an edited rule
    fired = {rule.name for line in speech.CUSTOMER_LINES for rule, _ in phrases.matches(line, "customer")}
    assert fired == {"Churn risk", "Escalation", "Legal"}
