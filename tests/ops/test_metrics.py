"""`/metrics`: the counters move when a supervisor acts through the dashboard, the guard refuses
a scraper without the token (or outside the allowed networks), and gunicorn's workers are
summed in multiprocess mode."""

from __future__ import annotations

import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from conference_admin.audit.models import AuditRecord
from conference_admin.audit.recorder import audit_begin
from tests.processes import default_profile_environment

from .conftest import ESCALATION
from .servers import gunicorn, production

TOKEN = "scraper-token-for-tests-0123456789"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def scraper_token(settings):
    settings.METRICS_BEARER_TOKEN = TOKEN


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def scrape(**headers) -> dict[tuple[str, frozenset], float]:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return parse(response.content.decode())


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_a_mute_through_the_dashboard_moves_the_counters(supervisor_client, demo, seen):
    sid = demo.sid(ESCALATION)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    seen(ESCALATION)
    before = scrape()

    response = supervisor_client.post(reverse("participant", args=[sid, carol]), {"action": "mute"}, **HTMX)
    assert response.status_code == 200

    after = scrape()

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("conference_admin_supervisor_actions_total", action="mute", outcome="ok") == 1
    assert moved("conference_admin_twilio_requests_total", operation="UpdateParticipant", outcome="ok", code="") == 1
    assert moved("conference_admin_twilio_request_duration_seconds_count", operation="UpdateParticipant") == 1
    assert moved("conference_admin_twilio_request_duration_seconds_sum", operation="UpdateParticipant") > 0
    assert moved("conference_admin_http_requests_total", view="participant", method="POST", status="200") == 1
    assert moved("conference_admin_http_request_duration_seconds_count", view="participant") == 1
    # The first scrape itself was counted by the time of the second.
    assert moved("conference_admin_http_requests_total", view="metrics", method="GET", status="200") == 1


def test_twilio_errors_are_counted_with_their_code(supervisor_client, demo, seen):
    sid = demo.sid(ESCALATION)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    seen(ESCALATION)
    earlier = scrape()  # counters are the process's: other tests may have counted the same labels
    demo.simulator.faults.inject(kind="error", status=503, operation="UpdateParticipant", count=1)
    try:
        supervisor_client.post(reverse("participant", args=[sid, carol]), {"action": "mute"}, **HTMX)
    finally:
        demo.simulator.faults.clear()
    record = AuditRecord.objects.get(action="mute", resolves=None)
    assert record.outcome == "unknown" and record.error_code  # a 5xx to a POST: maybe applied
    samples = scrape()
    code = str(record.error_code)
    labels = {"operation": "UpdateParticipant", "outcome": "error", "code": code}
    counted = value(samples, "conference_admin_twilio_requests_total", **labels)
    assert counted - value(earlier, "conference_admin_twilio_requests_total", **labels) == 1
    unknown = {"action": "mute", "outcome": "unknown"}
    counted = value(samples, "conference_admin_supervisor_actions_total", **unknown)
    assert counted - value(earlier, "conference_admin_supervisor_actions_total", **unknown) == 1


def test_pending_audit_records_are_counted_at_scrape_time(db):
    assert value(scrape(), "conference_admin_audit_records_pending") == 0
    audit_begin(actor=None, action="mute", conference_sid="CF" + "0" * 32)
    samples = scrape()
    assert value(samples, "conference_admin_audit_records_pending") == 1
    assert value(samples, "conference_admin_audit_records_pending_oldest_seconds") >= 0


def test_webhook_signature_failures_are_counted(db, settings):
    settings.PUBLIC_BASE_URL = "https://dash.example.com"
    settings.TWILIO_AUTH_TOKEN = "a-token-the-signature-is-checked-with"
    before = value(scrape(), "conference_admin_webhook_signature_failures_total", reason="missing")
    assert Client().post(reverse("webhook-conference-status"), {}).status_code == 403
    after = value(scrape(), "conference_admin_webhook_signature_failures_total", reason="missing")
    assert after - before == 1


def test_the_guard_refuses_a_scraper_without_the_token(db, settings):
    settings.METRICS_ALLOWED_NETWORKS = []
    refused = Client().get("/metrics")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert b"conference_admin_" not in refused.content
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_the_allow_list_lets_its_networks_in_without_a_token(db, settings):
    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.168.1.5").get("/metrics").status_code == 401
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 401


def test_gunicorn_workers_are_summed_in_multiprocess_mode(simulator_server, tmp_path):
    env = dict(os.environ) if production() else default_profile_environment()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env.update(
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        METRICS_BEARER_TOKEN=TOKEN,
        TWILIO_API_BASE_URL=simulator_server.base_url,
        GUNICORN_THREADS="1",
    )
    if not production():
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with gunicorn(env, workers=2) as dashboard:
        # Requests four at a time until both workers have answered some (each writes its own file).
        sent = 0
        with ThreadPoolExecutor(max_workers=4) as pool:
            while sent < 40 or (len(list(metrics_dir.glob("counter_*.db"))) < 2 and sent < 2000):
                statuses = list(pool.map(lambda _: dashboard.get("/healthz").status_code, range(20)))
                assert statuses == [200] * 20
                sent += 20
        pids = {path.name for path in metrics_dir.glob("counter_*.db")}
        text = dashboard.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
        samples = parse(text)
        answered = value(samples, "conference_admin_http_requests_total", view="healthz", method="GET", status="200")
        assert answered == sent
    # Both workers answered some of them, and the scrape of one summed them.
    assert len(pids) == 2, pids
    assert re.search(r"^conference_admin_live_streams_open", text, re.MULTILINE)


def test_the_grafana_dashboard_reads_only_metrics_the_dashboard_exports(db):
    from pathlib import Path

    dashboard = json.loads((Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json").read_text())
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    exported = {_base(name) for name in re.findall(r"^# TYPE (\S+)", response.content.decode(), re.MULTILINE)}
    used = {
        _base(name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"conference_admin_[a-z_]+", target["expr"])
    }
    assert len(dashboard["panels"]) >= 8
    assert used and used <= exported, used - exported


def _base(name: str) -> str:
    return re.sub(r"_(total|bucket|count|sum|created)$", "", name)


def test_time_on_the_caches_in_memory_fallback_is_counted(db, settings):
    from django.core.cache import cache

    from tests.faults.infrastructure import closed_port, resilient_cache_at

    Client().get("/healthz")  # the process's sampler runs from the first request on
    before = value(scrape(), "conference_admin_cache_fallback_seconds_total")
    settings.CACHES = resilient_cache_at(closed_port())  # Redis unreachable
    try:
        cache.get("anything")
        assert cache.degraded
        time.sleep(2.5)
        samples = scrape()
    finally:
        cache.clear()
    assert value(samples, "conference_admin_cache_fallback_seconds_total") - before >= 1
    assert value(samples, "conference_admin_cache_fallback_active") == 1
