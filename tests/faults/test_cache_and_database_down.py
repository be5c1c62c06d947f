"""No silent sign-out, no 500: Redis down or restarted, the database down for a read.

Sessions are kept by the database and cached in Redis (`cached_db`); while Redis cannot be
reached each process uses its own memory (conference_admin/cache.py). The cache is pointed at
a closed port, or at a private redis-server the test stops and starts.
"""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.test import Client
from django.urls import reverse

from conference_admin import cache as resilient
from conference_admin.access.roles import SUPERVISOR, assign_role
from conference_admin.audit.models import AuditRecord
from conference_admin.outage import DATABASE_UNAVAILABLE

from .conftest import ESCALATION, HTMX, announced, upstream
from .infrastructure import PrivateRedis, closed_port, database_down, resilient_cache_at

PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
def redis_down(settings):
    settings.CACHES = resilient_cache_at(closed_port())
    yield
    cache.clear()


@pytest.fixture
def sam(django_user_model, db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = django_user_model.objects.create_user("sam", password=PASSWORD)
    assign_role(user, SUPERVISOR)
    return user


# --- Redis down ----------------------------------------------------------------------------


def test_sign_in_works_while_redis_is_down(redis_down, sam, simulator):
    client = Client()
    response = client.post(reverse("login"), {"username": "sam", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("conference-list")
    assert cache.degraded
    page = client.get(reverse("conference-list"))
    assert page.status_code == 200 and page.context["user"].username == "sam"


def test_pages_polls_and_actions_work_while_redis_is_down(supervisor_client, demo, settings):
    settings.CACHES = resilient_cache_at(closed_port())
    sid = demo.sid(ESCALATION)
    try:
        assert supervisor_client.get(reverse("conference-detail", args=[sid])).status_code == 200
        table = supervisor_client.get(reverse("participant-table", args=[sid]), {"version": "1"}, **HTMX)
        assert table.status_code in (200, 204)
        carol = demo.call_sid(ESCALATION, "agent:carol")
        demo.simulator.reset_request_log()
        response = supervisor_client.post(reverse("participant", args=[sid, carol]), {"action": "mute"}, **HTMX)
        assert response.status_code == 200, response.content
        assert "muted" in announced(response).lower()
        assert [r.operation for r in upstream(demo.simulator)] == ["UpdateParticipant"]
        assert demo.participant(ESCALATION, "agent:carol").muted is True
        assert AuditRecord.objects.get(action="mute").outcome == "ok"
    finally:
        cache.clear()


def test_an_emptied_cache_signs_nobody_out(supervisor_client, demo):
    """What a Redis restart does to the cache: the session comes back from the database."""
    assert supervisor_client.get(reverse("conference-list")).status_code == 200
    cache.clear()
    page = supervisor_client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)]))
    assert page.status_code == 200 and page.context["user"].username == "supervisor"


def test_while_redis_is_down_the_threads_of_a_process_share_one_memory(redis_down):
    """Django gives each thread its own cache object; the fallback (and the lock and lease it
    holds for rosters) must still be one per process."""
    cache.set("roster:lock-like", "held")
    seen = []
    reader = threading.Thread(target=lambda: seen.append(caches["default"].get("roster:lock-like")))
    reader.start()
    reader.join(timeout=5)
    assert seen == ["held"]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_redis_stopped_then_started_the_cache_falls_back_then_recovers_alone(settings, monkeypatch):
    monkeypatch.setattr(resilient, "RETRY_SECONDS", 0.2)
    redis = PrivateRedis(closed_port())
    settings.CACHES = resilient_cache_at(redis.port)
    try:
        redis.start()
        cache.set("shared", "from redis")
        assert cache.get("shared") == "from redis" and not cache.degraded
        redis.stop()
        assert cache.get("shared", "missing") == "missing"  # no exception: the local memory answers
        assert cache.degraded
        cache.set("during", "local")
        assert cache.get("during") == "local"
        redis.start()
        deadline = time.monotonic() + 5
        while cache.get("during") == "local" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not cache.degraded
        assert cache.get("during") is None  # the outage's local values are gone, Redis answers again
        cache.set("after", 1)
        assert cache.get("after") == 1
    finally:
        redis.stop()


# --- the database down for a read -------------------------------------------------------------


def test_the_conferences_list_answers_while_the_database_is_down(supervisor_client, demo, seen):
    seen(ESCALATION)
    assert supervisor_client.get(reverse("conference-list")).status_code == 200
    with database_down() as down:
        response = supervisor_client.get(reverse("conference-list"))
    assert down.refused  # the agent-dropped alerts' query
    assert response.status_code == 200
    assert ESCALATION.split(":")[0] in response.content.decode()


def test_a_page_that_needs_the_database_says_so_with_503_not_500(supervisor_client, db):
    supervisor_client.raise_request_exception = False
    with database_down():
        response = supervisor_client.get(reverse("audit-list"))
    assert response.status_code == 503
    assert response.content.decode() == DATABASE_UNAVAILABLE
    assert response["Retry-After"]


def test_the_database_url_settings_check_connections_before_use():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"


def test_the_time_on_the_fallback_is_kept_per_process():
    """What /metrics reports as time on the in-memory fallback: this outage so far, and after
    it, the sum of every outage."""
    backend = resilient.ResilientRedisCache(f"redis://127.0.0.1:{closed_port()}/0", {})
    assert backend.fallback_seconds == 0.0
    backend.get("anything")  # Redis unreachable: from now on the process's own memory
    time.sleep(0.3)
    first = backend.fallback_seconds
    assert backend.degraded and 0.3 <= first < 2
    backend._recovered()  # as the first success after the outage does
    time.sleep(0.2)
    assert not backend.degraded and first <= backend.fallback_seconds < first + 0.1
