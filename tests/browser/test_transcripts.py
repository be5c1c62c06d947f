# ruff: noqa: F811  (the push fixtures, imported from test_push, are parameters here)
"""Live transcripts in Chromium: a lead starts a transcript, lines appear live on the page's event
stream, a watched phrase raises the alert on the row and on the conferences list, stopping it
stops the lines; an observer sees the alert but no transcript and no controls.

The dashboard runs under uvicorn (as `make run` serves it) and the simulator's signed
transcription callbacks go to it; the simulator's clock is moved on by hand, so the scripted
speech arrives when the test says.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from conference_admin.access.roles import OBSERVER, assign_role
from conference_admin.live import phrases
from conference_admin.live.models import PhraseRule, TranscriptLine

from .conftest import PageProblems, row
from .test_push import ESCALATION, dashboard, open_conference, push_page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def speak(simulator, seconds: float) -> None:
    """Let `seconds` of conversation happen, a second at a time (the callbacks follow)."""
    for _ in range(int(seconds)):
        simulator.clock.advance(1)
        simulator.tick()
    assert simulator.callbacks.flush(60)  # every callback delivered (a backlog would arrive later)


def customer_label(simulator, conference_sid: str) -> str:
    participants = simulator.list_participants(simulator.account_sid, conference_sid)
    return next(
        p.label for p in participants if p.label and p.label.startswith("customer:") and p.status == "connected"
    )


@pytest.fixture
def watched(transactional_db):
    PhraseRule.objects.create(name="Churn", phrases="cancel my account\nspeak to a manager", severity="critical")
    phrases.forget_rules()


def test_a_transcript_goes_live_raises_a_phrase_alert_and_stops(
    push_page,
    dashboard,
    simulator,
    demo,
    watched,
    browser,
    django_user_model,  # noqa: F811
) -> None:
    page, conference = push_page, demo[ESCALATION]
    open_conference(page, conference)
    expect(page.locator(".pci-note")).to_contain_text("not PCI compliant")
    label = customer_label(simulator, conference.sid)
    customer = row(page, simulator, conference.sid, label)

    page.get_by_role("button", name="Transcribe everyone").click()
    expect(page.locator("#transcript-note")).to_contain_text("Transcript started for")
    expect(customer.locator(".transcript-flag")).to_have_text("Transcribing", timeout=10_000)

    speak(simulator, 8)
    lines = page.locator("#transcript-lines li")
    expect(lines.first).to_be_visible(timeout=10_000)
    assert lines.count() >= 1
    speak(simulator, 90)  # every scripted customer line comes round: the watched ones too
    expect(page.locator("#transcript-lines .tline-speaker", has_text=label).first).to_be_visible(timeout=10_000)
    expect(customer.locator(".row-warning")).to_contain_text("said “", timeout=10_000)
    # One click to listen in, beside the alert in the status line.
    expect(page.locator("#roster-status-line").get_by_role("button", name=f"Listen in: {label} said")).to_be_visible()
    # Partials were replaced in place: the page shows each utterance once.
    shown = page.locator("#transcript-lines li").count()
    assert shown == TranscriptLine.objects.filter(conference_sid=conference.sid).count()

    listing = page.context.new_page()
    listing.goto("/")
    alert = listing.locator(f"#alerts-{conference.sid} .conf-alert--phrase").first
    expect(alert).to_contain_text("said “")
    expect(alert.get_by_role("button", name="Listen in")).to_be_visible()
    listing.close()

    page.get_by_role("button", name="Stop all transcripts").click()
    expect(page.locator("#transcript-note")).to_contain_text("Transcript stopped for")
    expect(customer.locator(".transcript-flag")).to_have_count(0, timeout=10_000)
    assert simulator.callbacks.flush(60)
    assert simulator._transcriptions.active() == []  # Twilio transcribes nobody any more
    stored = TranscriptLine.objects.filter(conference_sid=conference.sid).count()
    expect(page.locator("#transcript-lines li")).to_have_count(stored, timeout=10_000)  # caught up
    speak(simulator, 20)
    page.wait_for_timeout(1500)
    assert TranscriptLine.objects.filter(conference_sid=conference.sid).count() == stored  # nothing new
    expect(page.locator("#transcript-lines li")).to_have_count(stored)

    # An observer: the row's alert (it says who said which watched phrase), nothing of the transcript.
    observer = django_user_model.objects.create_user("observer")
    assign_role(observer, OBSERVER)
    client = Client()
    client.force_login(observer)
    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=dashboard.url)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": dashboard.url}])
    watcher = context.new_page()
    problems = PageProblems(watcher)
    try:
        watcher.goto(f"/conferences/{conference.sid}/")
        expect(watcher.locator("#participant-count")).to_be_visible()
        expect(watcher.locator("#transcript-panel")).to_have_count(0)
        expect(watcher.get_by_role("button", name="Transcribe everyone")).to_have_count(0)
        expect(watcher.get_by_role("button", name="Listen in")).to_have_count(0)
        said = TranscriptLine.objects.filter(conference_sid=conference.sid).first()
        assert said is not None and said.text not in watcher.content()
        answer = watcher.request.get(
            f"/conferences/{conference.sid}/transcript/?cursor=0", headers={"HX-Request": "true"}
        )
        assert answer.status == 403
        problems.assert_none()
    finally:
        context.close()
