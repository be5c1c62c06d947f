"""The browser tells the truth: a failing server shows a banner, the next success removes it.

The fault is injected between the page and the server (Playwright answers the page's table
refresh with the 503 the dashboard sends when its database is down, then lets it through).
The only console lines the page may print are the failures injected here.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conference_admin.outage import DATABASE_UNAVAILABLE

from .conftest import PageProblems

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"
# Chromium's line for each failed request, and htmx's own log of the error events a failed
# request fires (responseError; sendError and the afterRequest it fires with it).
INJECTED = re.compile(
    r"status of 503|Response Status Error Code 503|net::ERR_FAILED|htmx:sendError|htmx:afterRequest|htmx:responseError"
)


@pytest.fixture
def watched(browser, live_server, simulator, supervisor):
    from django.conf import settings
    from django.test import Client

    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    problems = PageProblems(page)
    client = Client()
    client.force_login(supervisor)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])
    try:
        yield page, problems
    finally:
        context.close()


def test_a_failing_server_shows_the_banner_until_the_next_success(watched, demo):
    page, problems = watched
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    expect(page.locator("#participant-rows tr[id^='participant-']")).to_have_count(4)
    banner = page.locator("#connection-banner")
    expect(banner).to_have_count(0)

    table = re.compile(rf"/conferences/{conference.sid}/participants/\?")

    def database_down(route):
        route.fulfill(status=503, body=DATABASE_UNAVAILABLE, content_type="text/plain; charset=utf-8")

    page.route(table, database_down)
    expect(banner).to_be_visible(timeout=8000)
    expect(banner).to_contain_text("Updating this page failed")
    expect(banner).to_contain_text(DATABASE_UNAVAILABLE)
    expect(banner).to_contain_text("Retrying")
    assert banner.get_attribute("role") == "alert"

    page.unroute(table, database_down)
    expect(banner).to_have_count(0, timeout=8000)

    page.route(table, lambda route: route.abort())  # the network itself fails
    expect(banner).to_contain_text("could not be reached", timeout=8000)
    page.unroute(table)
    expect(banner).to_have_count(0, timeout=8000)

    page.wait_for_timeout(100)
    unexpected = [line for line in problems.found if not INJECTED.search(line)]
    assert unexpected == [], unexpected
    assert any(INJECTED.search(line) for line in problems.found)  # the faults really happened
