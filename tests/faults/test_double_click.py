"""A double-click sends one request: the row's hx-sync="this:drop" drops the second while
the first is in flight (latency injected so it is), proven in real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conference_admin.simulator.demo import load_demo
from tests.browser.conftest import browser, fast_browser_settings, logged_in, page, supervisor, unhashed_static  # noqa: F401

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"


@pytest.mark.parametrize("button", ["Mute"])
def test_double_click_sends_one_update(logged_in, simulator, button):
    conference = {c.friendly_name: c for c in load_demo(simulator)}[ESCALATION]
    carol = simulator.fetch_participant(simulator.account_sid, conference.sid, "agent:carol")
    page = logged_in
    page.goto(f"/conferences/{conference.sid}/")
    row = page.locator(f"#participant-{carol.call_sid}")
    expect(row).to_be_visible()
    simulator.faults.inject(kind="latency", latency_ms=700, operation="UpdateParticipant")
    simulator.reset_request_log()
    try:
        row.get_by_role("button", name=f"{button} agent:carol", exact=True).dblclick()
        done = "Unmute agent:carol" if button == "Mute" else "Resume agent:carol"
        expect(row.get_by_role("button", name=done)).to_be_visible()
        page.wait_for_timeout(300)  # time for a second request to show, were there one
    finally:
        simulator.faults.clear()
    updates = [r for r in simulator.request_log if r.operation == "UpdateParticipant"]
    assert len(updates) == 1, [(r.method, r.path) for r in updates]
