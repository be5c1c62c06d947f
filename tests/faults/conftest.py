"""Fixtures for fault tests: the dashboard's real views against the simulator's fault injection.

The dashboard's fixtures (`demo`, `supervisor_client`, `seen`) are shared with tests/dashboard;
`fake_clock` makes the Twilio client's backoff sleeps instant and recorded.
"""

from __future__ import annotations

import json
import time

import pytest

from conference_admin.dashboard.client import override_client
from conference_admin.live import roster as rosters
from tests.dashboard.conftest import (  # noqa: F401  (the dashboard's fixtures and names, shared)
    BILLING,
    ESCALATION,
    HUDDLE,
    ONBOARDING,
    SALES,
    Demo,
    demo,
    seen,
    supervisor_client,
    upstream,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


class FakeClock:
    """`sleep` records the wait and moves `monotonic` on by it instead of blocking.

    `monotonic` still follows real time too, so the client's timeouts stay meaningful.
    """

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds


@pytest.fixture
def fake_clock():
    clock = FakeClock()
    with override_client(sleep=clock.sleep, monotonic=clock.monotonic):
        yield clock


@pytest.fixture(autouse=True)
def no_faults_left(simulator_server):
    yield
    simulator_server.simulator.faults.clear()


def operations(simulator, *, wait_for: int = 0, timeout: float = 5.0) -> list[str]:
    """Operations in the request log, sorted (a stalled request is logged when its stall ends,
    after what came later). `wait_for`: first wait until that many are logged."""
    deadline = time.monotonic() + timeout
    while len(upstream(simulator)) < wait_for and time.monotonic() < deadline:
        time.sleep(0.02)
    return sorted(record.operation for record in upstream(simulator))


def announced(response) -> str:
    return json.loads(response["HX-Trigger"])["dashboard:announce"]["message"]


def due(conference_sid: str) -> None:
    """Let the next table request reconcile with Twilio now (its interval has 'passed')."""
    rosters.release_reconcile(conference_sid)
