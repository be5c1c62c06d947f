"""13. Caller identity costs one FetchCall per participant, whatever the number of viewers.

gunicorn (2 worker processes, production profile, one shared Redis roster), one conference
whose participants arrive while 200 viewers poll its table every 2 s. Half the participants
are there when the run starts; the other half join one by one during it, so identities are
found both by the first reconcile and by later ones. Time is compressed: the roster interval
is 1 s instead of the default 5 s, so each reconcile (each one a chance to fetch again) stands
for 5 s of a real conference: the table says how many minutes the reconciles made amount to.
Viewers poll every 3 s (the pages' default). The simulator counts every FetchCall it receives.

A second run makes the first FetchCalls fail (the simulator's error fault, count N): each
failure is retried by a later reconcile after its backoff, so the count is 50 + N and every
row still gets its number.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)
from load import run_load  # noqa: E402  (bench/ is put on sys.path above)

COMMAND = ".venv/bin/python bench/bench_fetchcall_budget.py"
PARTICIPANTS = 50
VIEWERS = 200
INTERVAL = 1
POLL_PERIOD = 3.0  # DASHBOARD_POLL_SECONDS' default
FAILURES = 10


def _identified(conference_sid: str) -> int:
    from conference_admin.live import roster

    known = roster.load(conference_sid)
    return sum(1 for entry in known.entries.values() if entry.identity is not None) if known else 0


def _scenario(sim, server, login, name: str, window: float, failures: int) -> list:
    present = PARTICIPANTS // 2
    cf, _ = sim.conference(name, present)
    sim.reset_log()
    if failures:
        sim.simulator.faults.inject(kind="error", operation="FetchCall", count=failures)
    late = PARTICIPANTS - present
    spacing = window * 0.6 / late  # every late joiner is in by 60 % of the window

    def joiners() -> None:
        for number in range(late):
            time.sleep(spacing)
            sim.simulator.join(
                cf, label=None if number % 3 else f"customer:late-{number}", from_=f"+1312555{number:04d}"
            )

    # One viewer opens it first (as bench 4 does): the roster is loaded before the crowd arrives.
    run_load(server.base_url, login, [cf], pollers=1, period=POLL_PERIOD, duration=0.5)
    thread = threading.Thread(target=joiners, daemon=True)
    began = time.monotonic()
    thread.start()
    result = run_load(server.base_url, login, [cf], pollers=VIEWERS, period=POLL_PERIOD, duration=window, seed=13)
    thread.join()
    # Let the last reconcile's background fetches finish (they are not polls, so nothing else waits).
    deadline = time.monotonic() + 30
    while _identified(cf) < PARTICIPANTS and time.monotonic() < deadline:
        run_load(server.base_url, login, [cf], pollers=1, period=POLL_PERIOD, duration=1.0)
    elapsed = time.monotonic() - began
    sim.simulator.faults.clear()
    counts = sim.counts()
    return [
        name,
        PARTICIPANTS,
        VIEWERS,
        f"{elapsed:.0f}",
        len(result.poll_latencies),
        counts.get("ListParticipant", 0),
        f"{counts.get('ListParticipant', 0) * 5 / 60:.1f}",
        failures,
        counts.get("FetchCall", 0),
        _identified(cf),
        result.error_count,
        ", ".join(f"{kind} x{n}" for kind, n in Counter(result.errors).most_common(3)) or "-",
    ]


def run(quick: bool = False, append: bool = True) -> common.Report:
    common.setup_django()
    window = 30.0 if quick else 120.0
    report = common.Report(13, "FetchCall budget: one per participant", COMMAND + (" --quick" if quick else ""))
    sim = common.start_sim()
    try:
        common.clear_cache()
        login = common.login()
        with common.dashboard(sim, ROSTER_POLL_INTERVAL_SECONDS=str(INTERVAL)) as server:
            report.notes.append(
                f"{server.description}; roster interval {INTERVAL} s (default 5 s); {VIEWERS} viewers "
                f"polling every {POLL_PERIOD:g} s for {window:g} s; half the participants join during the run."
            )
            rows = [
                _scenario(sim, server, login, "all fetches answer", window, 0),
                _scenario(sim, server, login, f"first {FAILURES} fetches fail", window, FAILURES),
            ]
        report.table(
            [
                "run",
                "participants",
                "viewers",
                "wall s",
                "polls",
                "ListParticipant (reconciles)",
                "as many as minutes at the 5 s default",
                "failed FetchCall injected",
                "FetchCall",
                "rows with identity",
                "poll errors",
                "kinds",
            ],
            rows,
        )
        plain, failing = rows
        report.goal(
            "13 FetchCall per participant",
            f"FetchCall = {PARTICIPANTS} for {PARTICIPANTS} participants and {VIEWERS} viewers; "
            f"{PARTICIPANTS} + failures when some fail; every row identified",
            f"{plain[8]} and {failing[8]} (with {FAILURES} failures); rows identified {plain[9]} and {failing[9]}",
            plain[8] == PARTICIPANTS
            and failing[8] == PARTICIPANTS + FAILURES
            and plain[9] == failing[9] == PARTICIPANTS,
        )
    finally:
        sim.stop()
    report.publish(append)
    return report


if __name__ == "__main__":
    args = common.standard_args(__doc__).parse_args()
    run(args.quick, not args.no_append)
