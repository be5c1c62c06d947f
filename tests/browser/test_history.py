"""History in real Chromium: a demo conference ends, its report shows everyone and the timeline,
and a search finds it; no CSP violation or console error on any of these pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from .conftest import row

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"
EVERYONE = ["agent:carol", "agent:dave", "customer:+14155550103", "customer:Acme on-call"]
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def watched(logged_in):
    """The logged-in page, every CSP violation and console error collected (asserted empty at the end)."""
    violations: list[str] = []
    console: list[str] = []
    logged_in.expose_function("__cspViolation", lambda text: violations.append(text))
    logged_in.add_init_script(WATCH_CSP)
    logged_in.on(
        "console",
        lambda message: console.append(f"{message.type}: {message.text}") if message.type == "error" else None,
    )
    yield logged_in
    assert violations == [], f"CSP violations: {violations}"
    assert console == [], f"Console errors: {console}"


def test_an_ended_demo_conference_is_in_history_with_everyone_and_can_be_found(watched, simulator, demo, artifacts):
    page = watched
    conference = demo[ESCALATION]

    # Watching the conference is what feeds history (polling only here: no callbacks).
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    carol.get_by_role("button", name="Mute agent:carol", exact=True).click()
    expect(carol.get_by_text("Muted", exact=True)).to_be_visible()
    # The simulator's clock only moves when told: bring it to now, plus a little, so that
    # Twilio's end time (the conference's date_updated) comes after the mute.
    simulator.clock.advance(max(0.0, (datetime.now(UTC) - simulator.clock.now()).total_seconds()) + 5)
    page.get_by_text("End conference…").click()
    page.get_by_role("button", name="End conference now").click()
    expect(page.locator("#conference-header .chip")).to_have_text("Ended")

    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name=re.compile("Ended conferences"))).to_be_visible()
    page.get_by_role("link", name=ESCALATION).click()

    expect(page.get_by_role("heading", name=ESCALATION)).to_be_visible()
    participants = page.locator("#report-participants tbody tr")
    expect(participants).to_have_count(len(EVERYONE))
    for label in EVERYONE:
        expect(participants.filter(has_text=label)).to_have_count(1)
    # Muted from the dashboard's mute to the end: at least the 5 seconds the clock moved on.
    expect(participants.filter(has_text="agent:carol").locator("td").nth(7)).not_to_have_text("0:00")
    timeline = page.locator("#report-timeline")
    expect(timeline).to_contain_text("mute agent:carol")
    expect(timeline).to_contain_text("by supervisor")
    expect(timeline).to_contain_text("end-conference")
    expect(timeline).to_contain_text("agent:dave joined")
    page.screenshot(path=str(artifacts / "history-report.png"), full_page=True)

    page.get_by_role("link", name="Search").click()
    page.get_by_label("Participant label or number").fill("(415) 555-0103")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#search-count")).to_have_text("1 conference found")
    expect(page.get_by_role("cell", name="customer:+14155550103")).to_be_visible()
    page.get_by_role("link", name=ESCALATION).click()
    expect(page.locator("#report-participants")).to_contain_text("customer:Acme on-call")
