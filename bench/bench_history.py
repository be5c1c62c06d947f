"""History: server time of its pages on PostgreSQL with 10,000 ended conferences and 100,000
participants, and their query counts.

Creates its own database (ca_history_bench, dropped and made again each run unless --reuse),
fills it with `manage.py history_bench_data`, then times each page in-process with Django's
test client (the server's whole work for the request: middleware, queries, rendering), after
warm-up, and reports the median and p99 of --runs requests.

    .venv/bin/python bench/bench_history.py [--runs 30] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("BENCH_DB", "ca_history_bench")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)

COMMAND = ".venv/bin/python bench/bench_history.py"
GOALS_MS = {"list": 100, "search": 200, "report": 150}


def _drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{common.PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{common.BENCH_DB}" WITH (FORCE)')


def _timed(client, url: str, params: dict, runs: int, warmup: int = 5) -> tuple[list[float], list[float], int]:
    from django.db import connection

    for _ in range(warmup):
        assert client.get(url, params).status_code == 200
    queries: list[str] = []

    def count(execute, sql, *rest):
        queries.append(sql)
        return execute(sql, *rest)

    # The request resets Django's own query log, so count at the cursor instead.
    with connection.execute_wrapper(count):
        client.get(url, params)
    samples, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, params)
        samples.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert response.status_code == 200, (url, response.status_code)
    return samples, cpu, len(queries)


def _cpu_per_call(function, runs: int) -> float:
    function()
    samples = []
    for _ in range(runs):
        start = time.process_time()
        function()
        samples.append(time.process_time() - start)
    return common.median(samples) * 1000


def wiring_cost(runs: int) -> None:
    """CPU of the live paths history is wired into, with the wiring (after) and with the
    recorder replaced by a no-op (before): a row action's roster write on a known participant,
    an unchanged reconcile of 50 participants, and a reconcile in which one of them left."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from conference_admin.history import recorder
    from conference_admin.live import roster
    from conference_admin.live.roster import transitions
    from conference_admin.twilio import Participant

    sid = "CF" + "57ab" * 8
    people = [
        Participant(
            call_sid=f"CA{n:032x}",
            conference_sid=sid,
            label=f"customer {n}",
            status="connected",
            muted=False,
            hold=False,
            date_created=datetime.now(UTC),
        )
        for n in range(50)
    ]
    flip = [False]

    def row_action():
        flip[0] = not flip[0]
        roster.record_participant(sid, replace(people[1], muted=flip[0]))

    def unchanged_poll():
        roster.reconcile(sid, people, started_at=time.time())

    def one_left():
        roster.reconcile(sid, people, started_at=time.time())
        roster.reconcile(sid, people[:-1], started_at=time.time())

    # The live state calls history through these names (bound in the transitions module).
    real = (transitions.history_roster_changed, transitions.history_conference_seen)
    print(f"{'live path (CPU ms, median of ' + str(runs) + ')':52} {'before':>8} {'after':>8}")
    for name, function in [
        ("row action: roster write, known participant", row_action),
        ("poll: unchanged reconcile, 50 participants", unchanged_poll),
        ("two polls: one participant comes back, then leaves", one_left),
    ]:
        results = []
        for wired in (False, True):
            if not wired:
                transitions.history_roster_changed = transitions.history_conference_seen = lambda *args, **kwargs: None
            else:
                transitions.history_roster_changed, transitions.history_conference_seen = real
            results.append(_cpu_per_call(function, runs))
        print(f"{name:52} {results[0]:8.3f} {results[1]:8.3f}")
    transitions.history_roster_changed, transitions.history_conference_seen = real
    assert recorder.history_roster_changed is real[0]
    from conference_admin.history.models import ConferenceRecord, ParticipantObservation, ParticipantSession

    ParticipantObservation.objects.filter(conference__sid=sid).delete()
    ParticipantSession.objects.filter(conference__sid=sid).delete()
    ConferenceRecord.objects.filter(sid=sid).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="keep the generated database of an earlier run")
    parser.add_argument("--conferences", type=int, default=10_000)
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--wiring-only", action="store_true", help="only the live paths' CPU before/after")
    args = parser.parse_args()
    if not args.reuse:
        _drop_database()
    common.setup_django()
    if args.wiring_only:
        wiring_cost(max(args.runs, 200))
        return
    from django.core.management import call_command
    from django.urls import reverse

    from conference_admin.history.models import ConferenceRecord, ParticipantSession

    if not ConferenceRecord.objects.filter(friendly_name="Bench big conference").exists():
        started = time.perf_counter()
        call_command("history_bench_data", conferences=args.conferences, participants=args.participants)
        print(f"generated in {time.perf_counter() - started:.1f} s")
    big = ConferenceRecord.objects.get(friendly_name="Bench big conference")
    someone = ParticipantSession.objects.filter(conference__friendly_name__startswith="Globex").order_by("id")[5000]
    deep_page = ConferenceRecord.objects.filter(ended_at__isnull=False).count() // 50  # the last page
    client = common.test_client()
    cases: list[tuple[str, str, str, dict]] = [
        ("list", "history first page", reverse("history-list"), {}),
        ("list", f"history deep page ({deep_page})", reverse("history-list"), {"page": deep_page}),
        ("list", "history this week", reverse("history-list"), {"period": "week"}),
        ("search", "search by full number", reverse("history-search"), {"participant": someone.number}),
        ("search", "search by last 6 digits", reverse("history-search"), {"participant": someone.number[-6:]}),
        ("search", "search by label (unique)", reverse("history-search"), {"participant": someone.label or "Globex"}),
        ("search", "search by label (common: Globex)", reverse("history-search"), {"participant": "globex"}),
        ("search", "search by supervisor", reverse("history-search"), {"supervisor": "noor"}),
        ("report", "report, 250 participants", reverse("history-report", args=[big.sid]), {}),
    ]
    print(f"{ConferenceRecord.objects.count()} conferences, {ParticipantSession.objects.count()} participants")
    # median/p99: wall time of the request in this process (includes waiting for PostgreSQL and, on
    # a busy machine, for a CPU); cpu: this process's CPU time for it (the dashboard's own work).
    print(f"{'case':42} {'median ms':>10} {'p99 ms':>8} {'cpu ms':>8} {'queries':>8} {'goal ms':>8}  met")
    for kind, name, url, params in cases:
        samples, cpu, queries = _timed(client, url, params, args.runs)
        median = common.median(samples) * 1000
        goal = GOALS_MS[kind]
        print(
            f"{name:42} {median:10.1f} {common.p99(samples) * 1000:8.1f} {common.median(cpu) * 1000:8.1f} "
            f"{queries:8d} {goal:8d}  {'yes' if median <= goal else 'NO'}"
        )
    wiring_cost(max(args.runs, 200))
    print(f"command: {COMMAND} --runs {args.runs}; {common.machine()}")


if __name__ == "__main__":
    main()
