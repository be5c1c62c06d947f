"""Live push in Chromium: changes reach an open page over its event stream, without a poll.

The dashboard runs under uvicorn (tests/browser/asgi_server.py), as `make run` and production
serve the event streams; the simulator's signed status callbacks go to it.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from .asgi_server import CuttableProxy, free_port, uvicorn_server
from .conftest import PageProblems, row

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"
POLL = "**/participants/?version=*"


def environment(url: str) -> dict[str, str]:
    """The pushing server's settings: reconciles and the streams' own checks minutes apart, so a
    change that reaches the page within seconds came by push; the status banner's refresh out of
    the way (its request would otherwise take a signed-out page to the login page first)."""
    return {
        "TWILIO_API_BASE_URL": settings.TWILIO_API_BASE_URL,
        "TWILIO_ACCOUNT_SID": settings.TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN,
        "PUBLIC_BASE_URL": url,
        "DASHBOARD_POLL_SECONDS": "1",
        "ROSTER_CALLBACK_INTERVAL_SECONDS": "300",
        "PUSH_CHECK_SECONDS": "300",
        "PUSH_HEARTBEAT_SECONDS": "1",
        "PUSH_RETRY_MILLISECONDS": "300",
        "DEPENDENCY_STATUS_SECONDS": "300",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
    }


@pytest.fixture
def dashboard(simulator, supervisor, demo):
    """uvicorn on the test database, the simulator's callbacks sent to it, a cuttable proxy in
    front (the browser's way in). Reconciles and the streams' own checks are minutes apart
    here, so what reaches a page within seconds came from a status callback. The demo is
    loaded first: its own callbacks do not queue ahead of the test's."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = environment(url)
    with uvicorn_server(env, port):
        proxy = CuttableProxy(port)
        simulator.callbacks.use_dashboard(url)
        try:
            yield proxy
        finally:
            simulator.callbacks.flush(5)
            simulator.callbacks.use_dashboard("")
            proxy.close()


@pytest.fixture
def push_page(browser, dashboard, supervisor):
    """A supervisor's browser on the dashboard behind the proxy; problems fail the test."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=dashboard.url)
    client = Client()
    client.force_login(supervisor)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": dashboard.url}])
    page = context.new_page()
    problems = PageProblems(page)
    page.problems = problems  # type: ignore[attr-defined]  # for the test that breaks streams on purpose
    try:
        yield page
        problems.assert_none()
    finally:
        context.close()


def forgive_broken_streams(page) -> None:
    """The streams this test broke on purpose: the browser reports each failed attempt."""
    page.problems.found[:] = [
        problem for problem in page.problems.found if not ("net::ERR_" in problem and "/events/" in problem)
    ]


def polls(page) -> list[str]:
    """Polling turned off: every poll is answered "nothing changed" without reaching the server;
    the returned list records them."""
    seen: list[str] = []

    def nothing_changed(route) -> None:
        seen.append(route.request.url)
        route.fulfill(status=204)

    page.route(POLL, nothing_changed)
    return seen


def open_conference(page, conference) -> None:
    page.goto(f"/conferences/{conference.sid}/")
    expect(page.locator("#push-state")).to_have_text("live")


def test_a_status_callback_reaches_an_open_page_by_push_alone(push_page, dashboard, simulator, demo) -> None:
    page, conference = push_page, demo[ESCALATION]
    suppressed = polls(page)
    open_conference(page, conference)
    carol = row(page, simulator, conference.sid, "agent:carol")
    expect(carol.locator(".speaking")).to_have_count(0)
    version = int(page.locator("#roster-poller").get_attribute("data-version"))

    simulator.start_speaking(conference.sid, "agent:carol")
    expect(carol.locator(".speaking")).to_have_text("Speaking", timeout=10_000)
    assert int(page.locator("#roster-poller").get_attribute("data-version")) > version  # the page moved on
    simulator.stop_speaking(conference.sid, "agent:carol")
    expect(carol.locator(".speaking")).to_have_count(0, timeout=10_000)
    assert dashboard.open_streams() == 1
    page.wait_for_timeout(1500)  # more than a poll interval: the poll stays suspended while pushed
    assert suppressed == []


def test_a_cut_stream_falls_back_to_polling_and_returns_to_push(push_page, dashboard, simulator, demo) -> None:
    page, conference = push_page, demo[ESCALATION]
    open_conference(page, conference)
    carol = row(page, simulator, conference.sid, "agent:carol")

    dashboard.block(True)
    dashboard.cut()
    expect(page.locator("#push-state")).to_have_text("live (polling)")
    simulator.start_speaking(conference.sid, "agent:carol")  # reaches the page by its poll
    expect(carol.locator(".speaking")).to_have_text("Speaking", timeout=10_000)
    assert dashboard.open_streams() == 0

    dashboard.block(False)
    expect(page.locator("#push-state")).to_have_text("live", timeout=10_000)  # the browser reconnected
    polls(page)  # from here on only the stream can bring the change
    simulator.stop_speaking(conference.sid, "agent:carol")
    expect(carol.locator(".speaking")).to_have_count(0, timeout=10_000)
    forgive_broken_streams(page)


def test_logging_out_closes_the_pages_stream(push_page, dashboard, simulator, demo) -> None:
    page, conference = push_page, demo[ESCALATION]
    open_conference(page, conference)
    assert dashboard.open_streams() == 1

    other = page.context.new_page()  # the same session in another tab
    other.goto("/")
    other.get_by_role("button", name="Log out").click()
    other.wait_for_url("**/login/**")

    # The stream marks the page signed out, unless another of the page's own requests (the
    # supervision panel's refresh, every 10 s) was answered first and took it to the login page:
    # both are the session ending in that tab too.
    page.wait_for_function(
        "() => location.pathname.startsWith('/login/')"
        " || document.getElementById('push-state')?.textContent.trim() === 'not live (signed out)'",
        timeout=10_000,
    )
    deadline = time.monotonic() + 5
    while dashboard.open_streams() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert dashboard.open_streams() == 0
