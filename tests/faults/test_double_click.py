"""A double-click sends one request: the row's hx-sync="this:drop" drops the second while
the first is in flight (latency injected so it is), proven in real Chromium.

Playwright runs in its own thread: the browser tests' session-wide Playwright keeps an event
loop on the main thread, and a second sync Playwright there would clash with it.
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings as django_settings
from django.test import Client

from conference_admin.access.roles import LEAD, assign_role
from conference_admin.simulator.demo import load_demo
from tests.browser.conftest import CHROMIUM_ARGS, PageProblems

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"


@pytest.fixture
def browser_settings(settings):
    settings.DASHBOARD_POLL_SECONDS = 1
    settings.ROSTER_POLL_INTERVAL_SECONDS = 1
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def in_chromium(steps) -> None:
    """Run `steps(page)` in Chromium on a thread of its own; re-raise what it raised."""
    failure: list[BaseException] = []

    def run():
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                try:
                    steps(browser)
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)  # a hung browser must not keep pytest alive
    thread.start()
    thread.join(60)
    if failure:
        raise failure[0]
    assert not thread.is_alive(), "the browser never finished"


@pytest.mark.django_db(transaction=True)
def test_double_click_on_mute_sends_one_update(live_server, simulator, browser_settings, django_user_model):
    conference = {c.friendly_name: c for c in load_demo(simulator)}[ESCALATION]
    carol = simulator.fetch_participant(simulator.account_sid, conference.sid, "agent:carol")
    user = django_user_model.objects.create_user("double-clicker")
    assign_role(user, LEAD)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    def steps(browser):
        from playwright.sync_api import expect

        context = browser.new_context(base_url=live_server.url)
        context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        problems = PageProblems(page)
        page.goto(f"/conferences/{conference.sid}/")
        row = page.locator(f"#participant-{carol.call_sid}")
        expect(row).to_be_visible(timeout=5000)
        simulator.faults.inject(kind="latency", latency_ms=700, operation="UpdateParticipant")
        simulator.reset_request_log()
        row.get_by_role("button", name="Mute agent:carol", exact=True).dblclick()
        expect(row.get_by_role("button", name="Unmute agent:carol")).to_be_visible(timeout=5000)
        page.wait_for_timeout(300)  # time for a second request to show, were there one
        problems.assert_none()
        context.close()

    try:
        in_chromium(steps)
    finally:
        simulator.faults.clear()
    updates = [r for r in simulator.request_log if r.operation == "UpdateParticipant"]
    assert len(updates) == 1, [(r.method, r.path) for r in updates]
    assert simulator.fetch_participant(simulator.account_sid, conference.sid, "agent:carol").muted is True
