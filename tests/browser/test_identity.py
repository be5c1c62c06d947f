"""Who is on each call, in real Chromium: a demo conference shows every participant's number once
the background fetches (real worker threads here) have found them; the list filter finds a number."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import row

pytestmark = pytest.mark.browser

ONBOARDING = "Onboarding: Northwind"
BILLING = "Support: billing dispute"


@pytest.fixture
def identity_threads(call_identity):
    """The production set-up: FetchCall runs on the dashboard's background threads."""
    from conference_admin.live import identity

    pool = identity._Pool()
    previous, identity._pool = identity._pool, pool
    try:
        yield pool
    finally:
        pool.drain()
        identity._pool = previous


def test_a_demo_conference_shows_every_participants_number(logged_in, simulator, demo, identity_threads, artifacts):
    page = logged_in
    conference = demo[ONBOARDING]
    page.goto(f"/conferences/{conference.sid}/")
    stranger = next(
        p.call_sid for p in simulator.list_participants(simulator.account_sid, conference.sid) if not p.label
    )
    # Without a label, the caller's number becomes the row's name once it is known.
    expect(page.locator(f"#participant-{stranger} .name")).to_have_text("+442079460321")
    expect(page.locator(f"#participant-{stranger} .ident")).to_have_text("inbound")
    northwind = row(page, simulator, conference.sid, "customer:Northwind IT")
    expect(northwind.locator(".name")).to_have_text("customer:Northwind IT")
    expect(northwind.locator(".ident")).to_have_text("+12065550187 · inbound · NORTHWIND TRADERS")
    expect(row(page, simulator, conference.sid, "agent:erin").locator(".ident")).to_have_text("client:erin · outbound")
    page.screenshot(path=str(artifacts / "caller-identity.png"), full_page=True)
    identity_threads.drain()
    assert simulator.request_counts()["FetchCall"] == 3  # one per participant, however often the page polled


def test_the_conference_list_finds_a_participant_by_number(logged_in, simulator, demo, identity_threads):
    page = logged_in
    page.goto("/")
    table = page.get_by_role("table", name="Live conferences")
    expect(table.get_by_role("link")).to_have_count(len(demo))
    identity_threads.drain()  # the list read every roster; their identities are in by now
    page.get_by_label("Filter by name or number").fill("(415) 555-0101")
    expect(table.get_by_role("link")).to_have_count(1)
    expect(table.get_by_role("link", name=BILLING)).to_be_visible()
