"""The dashboard's Prometheus metrics (prometheus-client), correct across processes.

With `PROMETHEUS_MULTIPROC_DIR` set (production: every gunicorn worker and the uvicorn process
share one directory, docs/OPERATIONS.md) each process writes its samples to files there and a
scrape of any one process reads them all (`MultiProcessCollector`); gunicorn marks a worker
dead when it exits (gunicorn.conf.py `child_exit`), uvicorn its own process at exit
(conference_admin/asgi.py). Without it (`make run`, tests) the process's own registry is read.

What is counted where: requests by view (`RequestMetrics`, the outermost middleware), Twilio
calls (the client's observer, `twilio_call`), supervisors' actions (the audit trail's
`attempt_settled`), webhook signature refusals, reconcile lag and open streams (signals of
live/ and push/), time on the cache's in-memory fallback (`CacheFallbackSampler`), and at
scrape time the audit records still pending (`PendingAuditCollector`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from conference_admin.twilio import Exchange

PREFIX = "conference_admin"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)

http_requests = Counter(
    f"{PREFIX}_http_requests", "HTTP requests answered, by view, method and status", ["view", "method", "status"]
)
http_latency = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to answer an HTTP request, by view",
    ["view"],
    buckets=LATENCY_BUCKETS,
)
twilio_requests = Counter(
    f"{PREFIX}_twilio_requests",
    "Calls to Twilio's REST API (retries included in one call), by operation, outcome and Twilio's error code",
    ["operation", "outcome", "code"],
)
twilio_latency = Histogram(
    f"{PREFIX}_twilio_request_duration_seconds",
    "Time a call to Twilio took, retries included, by operation",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)
supervisor_actions = Counter(
    f"{PREFIX}_supervisor_actions", "Supervisors' audited actions by kind and outcome", ["action", "outcome"]
)
audit_settled_late = Counter(
    f"{PREFIX}_audit_records_settled_late",
    "Pending audit records settled from Twilio's state after their outcome was lost",
    ["outcome"],
)
webhook_signature_failures = Counter(
    f"{PREFIX}_webhook_signature_failures", "Status callbacks refused for their signature", ["reason"]
)
reconcile_lag = Histogram(
    f"{PREFIX}_reconcile_lag_seconds",
    "Seconds between two reconciles of a conference's roster with Twilio",
    buckets=(1, 2, 5, 10, 15, 30, 60, 120, 300, 900),
)
live_streams = Gauge(
    f"{PREFIX}_live_streams_open", "Event streams open to conference pages", multiprocess_mode="livesum"
)
cache_fallback_seconds = Counter(
    f"{PREFIX}_cache_fallback_seconds", "Seconds processes answered from their own memory because Redis failed"
)
cache_fallback_active = Gauge(
    f"{PREFIX}_cache_fallback_active",
    "1 while a process answers from its own memory (Redis failed)",
    multiprocess_mode="livemax",
)


# --- what the other apps tell ----------------------------------------------------------------


def twilio_call(exchange: Exchange) -> None:
    code = exchange.code if exchange.code is not None else exchange.status
    twilio_requests.labels(exchange.operation, exchange.outcome, "" if code is None else str(code)).inc()
    twilio_latency.labels(exchange.operation).observe(exchange.seconds)


def attempt_settled(sender: Any, *, action: str, outcome: str, **kwargs: Any) -> None:
    supervisor_actions.labels(action, outcome).inc()


def webhook_refused(sender: Any, *, reason: str, **kwargs: Any) -> None:
    webhook_signature_failures.labels(reason).inc()


def roster_reconciled(sender: Any, *, lag_seconds: float | None, **kwargs: Any) -> None:
    if lag_seconds is not None:
        reconcile_lag.observe(lag_seconds)


def streams_changed(sender: Any, *, open_streams: int, **kwargs: Any) -> None:
    live_streams.set(open_streams)


# --- sampled and computed ----------------------------------------------------------------------


class CacheFallbackSampler:
    """Once a second, whether this process's cache answers from its own memory, and for how
    long it has (`ResilientRedisCache.degraded` and `.fallback_seconds`, read-only); the
    counter moves by exactly the time spent on the fallback since the last look. One daemon
    thread per process, started with the first request."""

    INTERVAL = 1.0
    _started = False
    _lock = threading.Lock()

    @classmethod
    def start(cls) -> None:
        with cls._lock:
            if cls._started:
                return
            cls._started = True
        threading.Thread(target=cls._run, name="cache-fallback-sampler", daemon=True).start()

    @classmethod
    def _run(cls) -> None:
        counted = 0.0
        while True:
            time.sleep(cls.INTERVAL)
            # This thread's own cache object (the health it reads is shared by the process's
            # threads); a cache without a fallback (local memory) is never degraded.
            backend = caches["default"]
            cache_fallback_active.set(1 if getattr(backend, "degraded", False) else 0)
            total = getattr(backend, "fallback_seconds", 0.0)
            if total < counted:  # another cache (settings changed): count it from its start
                counted = 0.0
            if total > counted:
                cache_fallback_seconds.inc(total - counted)
                counted = total


class PendingAuditCollector(Collector):
    """Audit records still `pending` (the attempt is on the trail, its outcome not yet), read at
    scrape time: one indexed count."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from conference_admin.audit.models import AuditRecord

        count = GaugeMetricFamily(f"{PREFIX}_audit_records_pending", "Audit records whose outcome is not settled")
        oldest = GaugeMetricFamily(
            f"{PREFIX}_audit_records_pending_oldest_seconds", "Age of the oldest pending audit record (0: none)"
        )
        try:
            found = AuditRecord.objects.filter(outcome=AuditRecord.Outcome.PENDING).aggregate(
                n=Count("id"), oldest=Min("created_at")
            )
        except DatabaseError:
            return  # the database is down: /readyz says so; no figure rather than a wrong one
        count.add_metric([], found["n"])
        age = (timezone.now() - found["oldest"]).total_seconds() if found["oldest"] else 0.0
        oldest.add_metric([], age)
        yield count
        yield oldest


def exposition() -> bytes:
    """Every process's samples (multiprocess mode) or this process's, plus the scrape-time ones."""
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry = REGISTRY
    scrape = CollectorRegistry()
    scrape.register(PendingAuditCollector())
    return generate_latest(registry) + generate_latest(scrape)
