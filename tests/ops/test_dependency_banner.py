"""The conference pages' banner naming the dependency that is down (ops/status.py), server side:
drawn with the page from what the process knows, refreshed by its own light request, gone once
the dependency is back, and never more than the dependency's name and a sentence."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from conference_admin.ops import readiness, status
from tests.faults.infrastructure import closed_port, resilient_cache_at

from .conftest import ESCALATION

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def fresh_status(settings):
    settings.DEPENDENCY_STATUS_SECONDS = 0  # every refresh runs the checks (the default reuses them 5 s)
    status.forget()
    yield
    status.forget()


def named(html: str) -> list[str]:
    return re.findall(r'data-dependency="([a-z]+)"', html)


def banner(client: Client) -> str:
    response = client.get(reverse("dependency-status"), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('id="dependency-banner"') == 1 and 'hx-trigger="every ' in html
    return html


def test_nothing_down_draws_an_empty_banner_that_refreshes_itself(supervisor_client, demo):
    assert named(banner(supervisor_client)) == []
    for page in (reverse("conference-list"), reverse("conference-detail", args=[demo.sid(ESCALATION)])):
        html = supervisor_client.get(page).content.decode()
        assert re.search(r'<div id="dependency-banner" class="dependency-banner" hx-get="[^"]+" [^>]*></div>', html)


def test_the_banner_needs_a_sign_in(db):
    response = Client().get(reverse("dependency-status"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_twilio_unreachable_is_named_then_gone_once_it_answers(supervisor_client, demo, settings):
    reachable = settings.TWILIO_API_BASE_URL
    port = closed_port()
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{port}"
    html = banner(supervisor_client)
    assert named(html) == ["twilio"]
    assert "Twilio cannot be reached" in html
    assert str(port) not in html and "Error" not in html  # no address, no error text
    # The next page drawn by this process says it at once, without a check of its own.
    page = supervisor_client.get(reverse("conference-list")).content.decode()
    assert named(page) == ["twilio"]
    settings.TWILIO_API_BASE_URL = reachable
    # Its host answers again, but the last API call failed: named until a call is answered.
    assert named(banner(supervisor_client)) == ["twilio"]
    assert supervisor_client.get(reverse("conference-list")).status_code == 200  # the list's own refresh
    assert named(banner(supervisor_client)) == []


def test_twilio_failing_its_api_calls_is_named_though_its_host_answers(supervisor_client, demo):
    """The readiness check's HEAD is answered; the calls the page makes fail with 503."""
    sid = demo.sid(ESCALATION)
    demo.simulator.faults.inject(kind="error", status=503, operation="*")
    try:
        supervisor_client.get(reverse("participant-table", args=[sid]), **HTMX)  # its reconcile fails
        assert readiness.readiness()["twilio"] is True
        assert named(banner(supervisor_client)) == ["twilio"]
    finally:
        demo.simulator.faults.clear()
    assert supervisor_client.get(reverse("conference-list")).status_code == 200  # a call answered again
    assert named(banner(supervisor_client)) == []


def test_redis_down_is_named_then_gone(supervisor_client, demo, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"  # the readiness check's Redis
    html = banner(supervisor_client)
    assert named(html) == ["redis"] and "shared cache (Redis) is unavailable" in html
    settings.REDIS_URL = ""
    assert named(banner(supervisor_client)) == []


def test_the_caches_fallback_is_named_as_redis(supervisor_client, demo, settings):
    """The cache answering from this process's memory (Redis failed) says so without a check."""
    settings.REDIS_URL = ""
    settings.CACHES = resilient_cache_at(closed_port())
    try:
        cache.get("anything")
        assert cache.degraded
        assert named(banner(supervisor_client)) == ["redis"]
    finally:
        cache.clear()


def test_database_down_is_named_then_gone(supervisor_client, demo, monkeypatch):
    """The check itself is tried against a stopped PostgreSQL in test_readiness.py; here it
    fails the way a refused connection does."""
    checked = []

    def refused() -> None:
        checked.append(True)
        raise OperationalError('connection to server at "10.1.2.3", port 5432 failed: Connection refused')

    monkeypatch.setattr(readiness, "check_database", refused)
    html = banner(supervisor_client)
    assert checked and named(html) == ["database"]
    assert "database is unavailable" in html and "10.1.2.3" not in html and "5432" not in html
    monkeypatch.undo()
    assert named(banner(supervisor_client)) == []


def test_the_checks_run_at_most_once_per_interval(supervisor_client, demo, settings, monkeypatch):
    settings.DEPENDENCY_STATUS_SECONDS = 60
    runs = []
    real = readiness.readiness
    monkeypatch.setattr(readiness, "readiness", lambda: runs.append(1) or real())
    for _ in range(5):
        banner(supervisor_client)
    assert len(runs) == 1


def test_the_banner_is_answered_while_every_query_fails(supervisor_client, demo, monkeypatch):
    """During a database outage the banner's own request needs no query: the session and the
    user come from the cache (cached_db sessions, the cached auth backend)."""
    from tests.faults.infrastructure import database_down

    def refused() -> None:
        raise OperationalError("connection refused")

    assert named(banner(supervisor_client)) == []  # the session and user are cached from here on
    monkeypatch.setattr(readiness, "check_database", refused)
    with database_down() as refusals:
        html = banner(supervisor_client)
    assert named(html) == ["database"]
    assert refusals.refused == []  # nothing was even tried
