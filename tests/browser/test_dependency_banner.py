"""The conference page says Twilio is down before anyone acts, and stops saying it once Twilio
answers again, on its own (the banner's own light refresh; conference_admin/ops/status.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"


@pytest.fixture(autouse=True)
def fresh_status(settings):
    from conference_admin.ops import status

    settings.DEPENDENCY_STATUS_SECONDS = 1
    status.forget()
    yield
    status.forget()


def test_twilio_failing_is_said_on_the_page_then_the_banner_goes(logged_in, simulator, demo):
    page = logged_in
    page.goto(f"/conferences/{demo[ESCALATION].sid}/")
    banner = page.locator("#dependency-banner")
    expect(page.get_by_role("button", name="Mute agent:carol")).to_be_visible()
    expect(banner).to_be_empty()
    expect(banner).to_be_hidden()

    simulator.faults.inject(kind="error", status=503, operation="*")  # every Twilio API call fails
    try:
        said = banner.locator('[data-dependency="twilio"]')
        expect(said).to_be_visible(timeout=10_000)
        expect(said).to_have_text(
            "Twilio cannot be reached: the participants shown may be out of date and actions on calls may fail."
        )
        expect(banner.get_by_role("alert")).to_be_visible()
        expect(banner.locator("[data-dependency]")).to_have_count(1)  # only Twilio is named
    finally:
        simulator.faults.clear()
    expect(banner.locator("[data-dependency]")).to_have_count(0, timeout=10_000)
    expect(banner).to_be_hidden()
    expect(page.get_by_role("button", name="Mute agent:carol")).to_be_visible()
