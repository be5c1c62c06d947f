"""A clean console: every picker, menu and dialog opened and closed, and rows that carry a `style`
attribute swapped, without one console error or Content-Security-Policy violation.

The `page` fixture collects both from the first document on and fails the test on any.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import row

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"
BILLING = "Support: billing dispute"


def open_and_close_every_picker(page) -> int:
    """Open each visible <details> on the page, wait for its content, close it (summary click or
    Escape, alternately). Returns how many were opened."""
    summaries = page.locator("details > summary")
    opened = 0
    for index in range(summaries.count()):
        summary = summaries.nth(index)
        if not summary.is_visible():
            continue
        details = summary.locator("xpath=..")
        summary.click()
        expect(details).to_have_attribute("open", "")
        # Its content is there (loaded when opened, for the pickers that load on open).
        expect(
            details.locator(":scope > :not(summary)").locator("button, select, input:not([type=hidden])").first
        ).to_be_visible()
        page.wait_for_timeout(150)  # any request the opening made has answered
        if opened % 2:
            page.keyboard.press("Escape")
            if details.get_attribute("open") is not None:  # Escape closes pickers; the add form's Advanced stays
                summary.click()
        else:
            summary.click()
        expect(details).not_to_have_attribute("open", "")
        page.wait_for_timeout(150)
        opened += 1
    return opened


def test_every_picker_menu_and_dialog_opens_and_closes_without_a_console_error(logged_in, simulator, demo):
    page = logged_in
    for name in (ESCALATION, BILLING):
        page.goto(f"/conferences/{demo[name].sid}/")
        expect(page.locator("#your-line-mode")).to_be_visible()  # the supervision panel has loaded
        first = page.locator("#participant-rows tr[id^='participant-']").first
        expect(first).to_be_visible()
        # Coach, announce, more and kick of every row, the safe hold, the header's announce and end,
        # the bulk actions, the add form's advanced section.
        assert open_and_close_every_picker(page) >= 12
        page.keyboard.press("?")
        dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
        expect(dialog).to_be_visible()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
    # The safe-hold picker of a participant whose exit ends the conference was among them.
    alice = row(page, simulator, demo[BILLING].sid, "agent:alice")
    expect(alice.get_by_text("Hold…")).to_be_visible()


def test_rows_carrying_a_style_attribute_are_swapped_without_a_policy_violation(logged_in, simulator, demo):
    page = logged_in
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    dave = row(page, simulator, conference.sid, "agent:dave")
    expect(carol).to_be_visible()
    # What a screenshot tool or an extension does (CSSOM, allowed by the policy): now the row and
    # its note slot carry a `style` attribute.
    styled = (
        "row => { row.style.outline = '2px solid orange'; row.querySelector('.note-slot').style.minHeight = '1px'; }"
    )
    carol.evaluate(styled)
    dave.evaluate(styled)
    assert "outline" in carol.get_attribute("style")

    # The row's own action answer swaps it...
    carol.get_by_role("button", name="Mute agent:carol", exact=True).click()
    expect(carol.get_by_role("button", name="Unmute agent:carol")).to_be_visible()
    # ...and so does a refresh (another supervisor unmuted dave).
    simulator.update_participant(simulator.account_sid, conference.sid, "agent:dave", {"Muted": "false"})
    expect(dave.get_by_role("button", name="Mute agent:dave", exact=True)).to_be_visible()
