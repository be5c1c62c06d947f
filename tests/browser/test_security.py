"""Every page under the Content-Security-Policy in real Chromium: no violation, no console error."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conference_admin.access.roles import ADMIN, assign_role

from .conftest import PASSWORD, row

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"


@pytest.fixture
def admin_user(transactional_db, django_user_model):
    user = django_user_model.objects.create_user("admin", password=PASSWORD)
    assign_role(user, ADMIN)
    return user


@pytest.fixture
def watched(page):
    """The page; every CSP violation and console error on it fails the test (the `page` fixture)."""
    return page


def test_every_page_and_the_main_actions_run_under_the_policy(watched, admin_user, simulator, demo, live_server):
    page = watched
    conference = demo[ESCALATION]

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    assert "frame-ancestors 'none'" in page.goto("/login/").headers["content-security-policy"]
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Conference list, refreshed by htmx polling (fetches allowed by connect-src 'self').
    expect(page.get_by_role("heading", name="Live conferences")).to_be_visible()
    page.get_by_label("Filter by name").fill("outage")
    table = page.get_by_role("table", name="Live conferences")
    expect(table.get_by_role("link")).to_have_count(1)
    table.get_by_role("link", name=ESCALATION).click()

    # Conference page: row actions through htmx.
    expect(page).to_have_url(re.compile(conference.sid))
    carol = row(page, simulator, conference.sid, "agent:carol")
    live = page.locator("#live-region")
    carol.get_by_role("button", name="Mute agent:carol", exact=True).click()
    expect(live).to_have_text("Muted agent:carol.")
    carol.get_by_role("button", name="Hold agent:carol", exact=True).click()
    expect(carol.locator(".chip--held")).to_be_visible()
    carol.get_by_role("button", name="Resume agent:carol").click()
    expect(carol.locator(".chip--held")).to_have_count(0)
    carol.get_by_text("Announce…").click()
    carol.get_by_label("Announcement for agent:carol").select_option(index=1)
    carol.get_by_role("button", name="Play announcement to agent:carol").click()
    expect(live).to_have_text("Playing an announcement to agent:carol.")
    carol.get_by_text("Kick…").click()
    carol.get_by_role("button", name="Confirm kick agent:carol").click()
    expect(carol).to_have_count(0)
    # A polled refresh or two under the policy.
    page.wait_for_timeout(2_500)

    # Audit trail: the actions just taken, and the filter form.
    page.goto("/audit/")
    expect(page.get_by_role("heading", name=re.compile("Audit", re.I)).first).to_be_visible()
    expect(page.get_by_text("agent:carol").first).to_be_visible()

    # Django admin: index, pick lists, users.
    page.goto("/admin/")
    expect(page.get_by_role("link", name=re.compile("Pick lists", re.I)).first).to_be_visible()
    page.get_by_role("link", name=re.compile("Pick lists", re.I)).first.click()
    expect(page.get_by_text("Busy strings (Twilio default)").first).to_be_visible()
    page.goto("/admin/auth/user/")
    expect(page.get_by_role("link", name="admin", exact=True)).to_be_visible()

    # Log out (a POST from the top bar) lands on the login page.
    page.goto("/")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/"))
