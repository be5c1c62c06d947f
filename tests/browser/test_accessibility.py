"""axe-core finds no serious or critical violation on the supervisor's pages, in their busy states."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .conftest import row

pytestmark = pytest.mark.browser

SALES = "Sales: renewal"


@pytest.fixture(scope="module")
def axe():
    return Axe()


def serious(axe, page) -> list[str]:
    results = axe.run(page)
    assert results.response["passes"], "axe did not run"
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_login_page(page, axe, db):
    page.goto("/login/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert serious(axe, page) == []
    page.get_by_role("button", name="Sign in").click()  # empty form: the error state
    expect(page.get_by_role("alert")).to_be_visible()
    assert serious(axe, page) == []


def test_conference_list(logged_in, axe, demo):
    logged_in.goto("/")
    expect(logged_in.get_by_role("link", name=SALES)).to_be_visible()
    assert serious(axe, logged_in) == []


def test_conference_page_with_picker_and_error_open(logged_in, axe, simulator, demo, artifacts):
    page = logged_in
    conference = demo[SALES]
    page.goto(f"/conferences/{conference.sid}/")
    bob = row(page, simulator, conference.sid, "agent:bob")
    assert serious(axe, page) == []

    bob.get_by_text("Coach…").click()
    bob.get_by_label("agent:bob coaches").select_option(label="customer:Dana Whitfield")
    bob.get_by_role("button", name="Start coaching: agent:bob").click()  # Twilio refuses: 16027
    expect(bob.locator(".note--error")).to_be_visible()
    bob.get_by_label("agent:bob coaches").select_option(value="")
    bob.get_by_role("button", name="Start coaching: agent:bob").click()
    expect(bob.locator("[id^=coach-error-]")).to_have_text("Choose whom to coach.")
    assert serious(axe, page) == []

    # The add form with field errors and the Advanced section open.
    form = page.locator("#add-participant")
    form.get_by_label("To", exact=True).fill("nope")
    form.get_by_role("button", name="Dial").click()
    expect(page.locator("#id_to_error")).to_be_visible()
    page.locator("#add-participant details.advanced").evaluate("d => d.open = true")
    assert serious(axe, page) == []
    page.screenshot(path=str(artifacts / "conference-add-errors.png"), full_page=True)
