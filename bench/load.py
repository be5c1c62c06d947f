"""A small threaded load generator: supervisors polling the table refresh, others acting.

Each poller is a thread with its own keep-alive `requests.Session`, polling
`GET /conferences/<CF>/participants/?version=V` (htmx) every `period` seconds from a random
start offset, carrying the version the server last sent (as the page does). Each actor
alternates mute/unmute on its own participant every `action_period` seconds. Every loop is
bounded by a deadline and an iteration count; every request has a timeout.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import common
import requests


@dataclass
class LoadResult:
    poll_latencies: list[float] = field(default_factory=list)
    action_latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    duration: float = 0.0
    late_polls: int = 0  # polls started more than one period after they were due (generator overloaded)

    @property
    def requests(self) -> int:
        return len(self.poll_latencies) + len(self.action_latencies)

    @property
    def error_count(self) -> int:
        return len(self.errors)


def run_load(
    base_url: str,
    login: common.Login,
    conferences: list[str],
    *,
    pollers: int,
    period: float,
    duration: float,
    actors: list[tuple[str, str]] = (),
    action_period: float = 1.0,
    seed: int = 0,
    warmup: float = 0.0,
) -> LoadResult:
    """Samples of the first `warmup` seconds (connections opening, workers warming) are dropped."""
    result = LoadResult()
    lock = threading.Lock()
    start_at = time.monotonic() + 0.5
    deadline = start_at + duration
    rng = random.Random(seed)
    max_iterations = int(duration / min(period, action_period)) + 5

    measure_from = start_at + warmup

    def record(kind: str, elapsed: float, status: int | None, error: str | None) -> None:
        if time.monotonic() - elapsed < measure_from:
            return
        with lock:
            (result.poll_latencies if kind == "poll" else result.action_latencies).append(elapsed)
            if status is not None:
                result.statuses[status] += 1
            if error:
                result.errors.append(error)

    def poller(conference_sid: str, offset: float) -> None:
        session = requests.Session()
        session.headers.update(login.headers())
        version = None
        due = start_at + offset
        for _ in range(max_iterations):
            if due >= deadline:
                break
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            elif -pause > period:
                with lock:
                    result.late_polls += 1
            url = f"{base_url}{common.table_path(conference_sid, version)}"
            started = time.perf_counter()
            try:
                response = session.get(url, timeout=10, allow_redirects=False)  # a 302 (logged out) is an error
                elapsed = time.perf_counter() - started
                ok = response.status_code in (200, 204, 286)
                if response.status_code in (200, 286):
                    version = int(response.headers.get("X-Roster-Version", version or 0))
                record("poll", elapsed, response.status_code, None if ok else f"poll HTTP {response.status_code}")
            except requests.RequestException as exc:
                record("poll", time.perf_counter() - started, None, f"poll {type(exc).__name__}")
            due += period
        session.close()

    def actor(conference_sid: str, call_sid: str, offset: float) -> None:
        session = requests.Session()
        session.headers.update(login.headers(post=True))
        muted = False
        due = start_at + offset
        for _ in range(max_iterations):
            if due >= deadline:
                break
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            muted = not muted
            url = f"{base_url}{common.action_path(conference_sid, call_sid)}"
            started = time.perf_counter()
            try:
                response = session.post(
                    url, common.action_data("mute" if muted else "unmute"), timeout=30, allow_redirects=False
                )
                elapsed = time.perf_counter() - started
                ok = response.status_code == 200 and "HX-Retarget" not in response.headers
                record("action", elapsed, response.status_code, None if ok else f"action HTTP {response.status_code}")
            except requests.RequestException as exc:
                record("action", time.perf_counter() - started, None, f"action {type(exc).__name__}")
            due += action_period
        session.close()

    threads = [
        threading.Thread(
            target=poller, args=(conferences[index % len(conferences)], rng.uniform(0, period)), daemon=True
        )
        for index in range(pollers)
    ]
    threads += [
        threading.Thread(target=actor, args=(cf, ca, rng.uniform(0, action_period)), daemon=True) for cf, ca in actors
    ]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + 40)
    result.duration = max(0.0, min(time.monotonic(), deadline) - max(began, measure_from))
    return result
