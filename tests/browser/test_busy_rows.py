"""A busy row (request in flight, picker open, focus inside) is never overwritten by a refresh, yet
the page's version moves on; the row catches up once idle. Focus comes back to the acted-on control
even when a refresh swapped other rows meanwhile."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import row

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"


def test_a_busy_row_is_kept_while_the_version_moves_on_and_catches_up_when_idle(logged_in, simulator, demo):
    page = logged_in
    conference = demo[ESCALATION]
    polls: list[int] = []
    page.on("response", lambda r: polls.append(r.status) if "/participants/?version=" in r.url else None)
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    poller = page.locator("#roster-poller")
    carol.get_by_text("Announce…").click()
    field = carol.get_by_label("or announcement URL")
    field.fill("https://example.com/typed.mp3")
    version = poller.get_attribute("data-version")

    simulator.update_participant(simulator.account_sid, conference.sid, "agent:carol", {"Muted": "true"})
    expect(poller).not_to_have_attribute("data-version", version)  # the page took the new version...
    page.wait_for_timeout(2_500)
    assert polls[-2:] == [204, 204], polls  # ...so later polls are unchanged ones, not the same row again
    expect(field).to_have_value("https://example.com/typed.mp3")  # ...and the busy row was left alone
    expect(carol.locator(".chip--muted")).to_have_count(0)

    page.keyboard.press("Escape")  # the picker closes; focus is back on its summary, still in the row
    expect(carol.locator(".chip--muted")).to_have_count(0)
    page.locator("#participants-heading").focus()  # the supervisor moves on: the row catches up
    expect(carol.locator(".chip--muted")).to_be_visible()
    expect(carol.get_by_role("button", name="Unmute agent:carol")).to_be_visible()


def test_focus_returns_to_the_acted_on_control_after_a_refresh_swapped_rows(logged_in, simulator, demo):
    page = logged_in
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    dave = row(page, simulator, conference.sid, "agent:dave")
    expect(carol).to_be_visible()
    simulator.faults.inject(kind="latency", latency_ms=3_000, operation="UpdateParticipant")
    try:
        carol.get_by_role("button", name="Hold agent:carol", exact=True).focus()
        page.keyboard.press("Enter")
        # While carol's hold is in flight, dave changes behind the dashboard's back (not through
        # the dashboard, so without the latency) and a refresh swaps his row.
        simulator.update_participant(simulator.account_sid, conference.sid, "agent:dave", {"Muted": "false"})
        expect(dave.get_by_role("button", name="Mute agent:dave", exact=True)).to_be_visible()
        expect(carol.locator(".chip--held")).to_have_count(0)  # carol's answer has not come yet
        expect(carol.get_by_role("button", name="Resume agent:carol")).to_be_focused(timeout=8_000)
    finally:
        simulator.faults.clear()
