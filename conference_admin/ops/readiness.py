"""Is this process ready to serve: the database, Redis (when configured) and Twilio, each
checked at once with a short bound (`READYZ_TIMEOUT_SECONDS`).

A check answers `None` when its dependency answered, else a short reason that is logged, never
shown: `/readyz` names only which dependency is not ready. A dependency that goes down is logged
once (when this process first finds it down) and once when it is back, with how long it was out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import redis
import requests
from django.conf import settings
from django.db import connections

from conference_admin.outage import DependencyOutage

log = logging.getLogger(__name__)

Check = Callable[[], None]


def check_database() -> None:
    """A new connection and `SELECT 1` (the check runs in its own thread and closes what it opened)."""
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def check_redis() -> None:
    timeout = settings.READYZ_TIMEOUT_SECONDS
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def check_twilio() -> None:
    """Twilio's API host answers HTTP (any status: no credentials are sent, nothing is asked)."""
    timeout = settings.READYZ_TIMEOUT_SECONDS
    requests.head(settings.TWILIO_API_BASE_URL, timeout=(timeout, timeout), allow_redirects=False).close()


def checks() -> dict[str, Check]:
    found: dict[str, Check] = {"database": check_database}
    if settings.REDIS_URL:
        found["redis"] = check_redis
    found["twilio"] = check_twilio
    return found


_outages: dict[str, DependencyOutage] = {}
_last: tuple[float, dict[str, bool]] | None = None


def last_result() -> tuple[float, dict[str, bool]] | None:
    """When (time.monotonic()) the checks last ran in this process, and what they found."""
    return _last


def forget() -> None:
    global _last
    _last = None


def _saw(name: str, reason: str | None) -> None:
    outage = _outages.setdefault(name, DependencyOutage(name, log))
    if reason is None:
        outage.succeeded()
    else:
        outage.failed(reason)


def _run(check: Check) -> str | None:
    try:
        check()
    except Exception as error:  # any failure of a dependency is "not ready", said in the log
        return f"{error.__class__.__name__}: {error}"
    return None


def readiness() -> dict[str, bool]:
    """Each dependency's name: whether it answered within `READYZ_TIMEOUT_SECONDS` (also kept
    as `last_result()`, which the page's dependency banner reads)."""
    global _last
    found = checks()
    pool = ThreadPoolExecutor(max_workers=len(found), thread_name_prefix="readyz")
    try:
        futures = {name: pool.submit(_run, check) for name, check in found.items()}
        deadline = time.monotonic() + settings.READYZ_TIMEOUT_SECONDS
        ready: dict[str, bool] = {}
        for name, future in futures.items():
            try:
                reason = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                reason = f"no answer within {settings.READYZ_TIMEOUT_SECONDS:g} s"
            _saw(name, reason)
            ready[name] = reason is None
        _last = (time.monotonic(), ready)
        return ready
    finally:
        # A check still waiting ends on its own bound; the answer does not wait for it.
        pool.shutdown(wait=False, cancel_futures=True)
