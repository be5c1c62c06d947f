"""Holding someone whose exit ends the conference, in Chromium: "Hold…" opens the safe-hold choice
(loaded when opened), then one confirm; by keyboard ("h", then Enter) or by mouse. The `page`
fixture fails the test on any console error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import row

pytestmark = pytest.mark.browser

BILLING = "Support: billing dispute"


def test_h_then_enter_clears_end_on_exit_and_holds(logged_in, simulator, demo):
    page = logged_in
    conference = demo[BILLING]
    page.goto(f"/conferences/{conference.sid}/")
    alice = row(page, simulator, conference.sid, "agent:alice")
    expect(alice).to_be_visible()
    alice.get_by_role("button", name="Mute agent:alice", exact=True).focus()  # the row is selected

    page.keyboard.press("h")  # opens the choice, focus on its first button
    clear = alice.get_by_role("button", name="Clear end-on-exit and hold agent:alice")
    expect(clear).to_be_focused()
    expect(alice).to_contain_text("agent:alice ends the conference on exit")
    page.keyboard.press("Enter")

    expect(alice.get_by_role("button", name="Resume agent:alice")).to_be_visible()
    expect(alice).to_contain_text("Cleared end-on-exit")
    state = simulator.fetch_participant(simulator.account_sid, conference.sid, "agent:alice")
    assert state.hold is True and state.end_conference_on_exit is False


def test_hold_then_hold_anyway_by_mouse(logged_in, simulator, demo):
    page = logged_in
    conference = demo[BILLING]
    page.goto(f"/conferences/{conference.sid}/")
    alice = row(page, simulator, conference.sid, "agent:alice")
    alice.get_by_text("Hold…").click()
    alice.get_by_role("button", name="Hold agent:alice anyway").click()

    expect(alice.get_by_role("button", name="Resume agent:alice")).to_be_visible()
    state = simulator.fetch_participant(simulator.account_sid, conference.sid, "agent:alice")
    assert state.hold is True and state.end_conference_on_exit is True
