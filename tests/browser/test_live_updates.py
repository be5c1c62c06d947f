"""What happens in the conference shows on an open page without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import row

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"


@pytest.fixture
def callbacks_to_dashboard(simulator, live_server, settings):
    """Twilio (the simulator) can reach this dashboard: its signed callbacks arrive."""
    settings.PUBLIC_BASE_URL = live_server.url
    simulator.callbacks.use_dashboard(live_server.url)
    yield
    simulator.callbacks.use_dashboard("")  # the session simulator serves other tests next


def test_a_caller_joining_appears_without_a_reload(logged_in, simulator, demo):
    page = logged_in
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    expect(page.locator("#participant-rows tr[id^='participant-']")).to_have_count(4)
    page.evaluate("window.__sameDocument = true")

    walk_in = simulator.join(conference.sid, label="customer:walk-in", from_="+14155550180")
    expect(row(page, simulator, conference.sid, "customer:walk-in")).to_contain_text("Connected", timeout=8000)
    expect(page.locator("#participant-count")).to_have_text("5")
    assert page.evaluate("window.__sameDocument") is True  # no reload happened

    simulator.hang_up(simulator.account_sid, conference.sid, walk_in.call_sid)
    expect(page.locator(f"#participant-{walk_in.call_sid}")).to_have_count(0, timeout=8000)


def test_speaking_shows_from_twilio_callbacks(logged_in, simulator, demo, callbacks_to_dashboard):
    page = logged_in
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    expect(carol).to_be_visible()
    expect(carol.locator(".speaking")).to_have_count(0)

    simulator.start_speaking(conference.sid, "agent:carol")
    expect(carol.locator(".speaking")).to_have_text("Speaking", timeout=8000)
    expect(page.locator("#live-mode")).to_contain_text("Twilio callbacks")
    simulator.stop_speaking(conference.sid, "agent:carol")
    expect(carol.locator(".speaking")).to_have_count(0, timeout=8000)
