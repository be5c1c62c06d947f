"""The live-stream server restarted under an open page (SIGTERM, as `systemctl restart
conference-admin-events` sends): it exits cleanly within its graceful timeout, and the page
reconnects its event stream on its own once a new server listens, without a reload."""

from __future__ import annotations

import signal
import time

import pytest
from django.conf import settings
from playwright.sync_api import expect

from . import test_push
from .asgi_server import CuttableProxy, free_port, uvicorn_process
from .conftest import row
from .test_push import ESCALATION, forgive_broken_streams, open_conference, polls

push_page = test_push.push_page  # the fixture, on this module's `dashboard`

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


class Restartable:
    """uvicorn on a fixed port behind the proxy the browser uses; `restart()` sends SIGTERM,
    waits for the exit and starts a new process on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.env = test_push.environment(f"http://127.0.0.1:{port}")
        self.proxy = CuttableProxy(port)
        self.url = self.proxy.url
        self._servers: list = []
        self.exits: list[tuple[int, float]] = []  # (exit status, seconds from SIGTERM to exit)

    def start(self) -> None:
        server = uvicorn_process(self.env, self.port)
        self.process = server.__enter__()
        self._servers.append(server)

    def terminate(self) -> None:
        sent = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=20)
        self.exits.append((status, time.monotonic() - sent))
        self.output = self.process.stdout.read() if self.process.stdout else ""

    def open_streams(self) -> int:
        return self.proxy.open_streams()

    def close(self) -> None:
        for server in reversed(self._servers):
            server.__exit__(None, None, None)
        self.proxy.close()


@pytest.fixture
def dashboard(simulator, supervisor, demo):
    restartable = Restartable(free_port())
    simulator.callbacks.use_dashboard(f"http://127.0.0.1:{restartable.port}")
    try:
        restartable.start()
        yield restartable
    finally:
        simulator.callbacks.flush(5)
        simulator.callbacks.use_dashboard("")
        restartable.close()


NETWORK_FAILURE = ("net::ERR_", "htmx:sendError", "htmx:afterRequest")


def forgive_requests_while_down(page, since: int) -> None:
    """Here one uvicorn serves the page's other requests too (in production gunicorn does): one
    the page made while no server listened (the timeline after a pushed change, the supervision
    panel's refresh) failed as a network error, which the browser reports. Only those, and only
    from that window, are forgiven."""
    window = page.problems.found[since:]
    assert all(any(mark in problem for mark in NETWORK_FAILURE) for problem in window), window
    del page.problems.found[since:]


def test_a_page_reconnects_its_stream_after_the_stream_server_is_restarted(push_page, dashboard, simulator, demo):
    page, conference = push_page, demo[ESCALATION]
    open_conference(page, conference)
    carol = row(page, simulator, conference.sid, "agent:carol")
    expect(page.locator("#timeline")).not_to_contain_text("Loading…")  # nothing else in flight
    suppressed = polls(page)  # from here on only the stream can bring a change
    assert dashboard.open_streams() == 1

    problems_before = len(page.problems.found)
    dashboard.terminate()  # SIGTERM with the page's stream open
    (status, seconds) = dashboard.exits[-1]
    # uvicorn shuts down gracefully (its --timeout-graceful-shutdown is 1 s here), then re-raises
    # the signal it caught, as a process killed by it would: that is its clean exit.
    assert status == -signal.SIGTERM and seconds < 5, dashboard.exits
    assert "Traceback" not in dashboard.output, dashboard.output
    expect(page.locator("#push-state")).to_have_text("live (polling)", timeout=10_000)
    page.wait_for_timeout(1_000)  # the browser retries against nothing for a while

    dashboard.start()  # the new server on the same port; nobody touches the page
    expect(page.locator("#push-state")).to_have_text("live", timeout=30_000)
    assert dashboard.open_streams() == 1
    forgive_requests_while_down(page, problems_before)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded
    assert suppressed  # the page did fall back to its poll meanwhile (answered "nothing changed" here)
    if settings.REDIS_URL:
        # The roster outlived the process in Redis: the next change reaches the page by push alone.
        # (On the embedded default the roster was in the old process's memory: see OPERATIONS.md.)
        simulator.start_speaking(conference.sid, "agent:carol")
        expect(carol.locator(".speaking")).to_have_text("Speaking", timeout=10_000)
    forgive_broken_streams(page)
