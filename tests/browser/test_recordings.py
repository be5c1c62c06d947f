"""Recording controls in real Chromium: pause a recorded demo conference (the header says "Paused"
with a running timer, and the simulator's recording is paused), resume, stop after confirming; a
participant's call recording from the row's menu."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import row

pytestmark = pytest.mark.browser

BILLING = "Support: billing dispute"
ESCALATION = "Escalation: outage #4471"


def test_pause_shows_a_timer_and_pauses_the_simulators_recording_then_resume_and_stop(
    logged_in, simulator, demo, twilio_client, artifacts
):
    page = logged_in
    conference = demo[BILLING]
    page.goto(f"/conferences/{conference.sid}/")
    state = page.locator("#recording-status")
    expect(state).to_have_text("Recording")  # read once the page has loaded
    expect(page.get_by_text("Twilio cannot start a conference recording during a call")).to_be_visible()

    page.get_by_role("button", name="Pause recording (silence)").click()
    expect(state).to_contain_text(re.compile(r"Paused for 0:0\d"))
    [recording] = twilio_client.list_conference_recordings(conference.sid)  # the simulator's REST API
    assert recording.status == "paused"
    # The timer runs (the page's clock corrects for its own render time, so allow for a slow load).
    expect(state).to_contain_text(re.compile(r"Paused for 0:(0[1-9]|[1-5]\d)"), timeout=10_000)
    page.screenshot(path=str(artifacts / "recording-paused.png"))

    page.get_by_role("button", name="Resume recording").click()
    expect(state).to_have_text("Recording")
    assert twilio_client.list_conference_recordings(conference.sid)[0].status == "in-progress"

    stop_now = page.get_by_role("button", name="Stop recording now")
    expect(stop_now).to_be_hidden()  # the confirmation opens only when asked for
    page.get_by_text("Stop recording…").click()
    expect(stop_now).to_be_visible()
    stop_now.click()
    expect(state).to_have_text("Stopped")
    assert twilio_client.list_conference_recordings(conference.sid)[0].status in ("stopped", "completed", "absent")


def test_a_pause_made_elsewhere_shows_on_the_open_page(logged_in, simulator, demo):
    page = logged_in
    conference = demo[BILLING]
    page.goto(f"/conferences/{conference.sid}/")
    state = page.locator("#recording-status")
    expect(state).to_have_text("Recording")
    simulator.update_conference_recording(simulator.account_sid, conference.sid, "Twilio.CURRENT", {"Status": "paused"})
    expect(state).to_contain_text("Paused for", timeout=8_000)  # the poll's next read of the recordings


def test_a_participants_call_recording_from_the_row_menu(logged_in, simulator, demo):
    page = logged_in
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    expect(page.locator("#recording-status")).to_have_text("Not recording")
    carol = row(page, simulator, conference.sid, "agent:carol")
    carol.get_by_text("More…").click()
    carol.get_by_role("button", name="Start call recording of agent:carol").click()
    expect(carol.locator(".rec-flag")).to_have_text("Rec")
    call_sid = simulator.fetch_participant(simulator.account_sid, conference.sid, "agent:carol").call_sid
    assert simulator.list_call_recordings(simulator.account_sid, call_sid)[0].status == "in-progress"
