"""4. Viewers don't cost upstream calls: 1, 10, 50, 200 concurrent pollers on one conference.

gunicorn (2 workers, production profile, shared Redis roster) with a roster interval of 2 s
(ROSTER_POLL_INTERVAL_SECONDS=2, shorter than the 5 s default for finer resolution); each
poller refreshes the table every 2 s for a fixed window. The simulator counts ListParticipant
(and FetchConference) calls; single-flight means about one per interval whatever the number
of viewers: window / 2 s, +1 for a reconcile that straddles the window's start.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)
from load import run_load  # noqa: E402  (bench/ is put on sys.path above)

COMMAND = ".venv/bin/python bench/bench_viewers.py"
INTERVAL = 2
POLL_PERIOD = 2.0


def run(quick: bool = False, append: bool = True) -> common.Report:
    common.setup_django()
    levels = (1, 10, 50, 200)
    window = 10.0 if quick else 30.0
    report = common.Report(4, "Viewers don't cost upstream calls", COMMAND + (" --quick" if quick else ""))
    sim = common.start_sim()
    try:
        common.clear_cache()
        login = common.login()
        cf, _ = sim.conference("Bench viewers", 10)
        rows, rates = [], []
        with common.dashboard(sim, ROSTER_POLL_INTERVAL_SECONDS=str(INTERVAL)) as server:
            report.notes.append(
                f"{server.description}; roster interval {INTERVAL} s; "
                f"each poller every {POLL_PERIOD:g} s for {window:g} s."
            )
            for pollers in levels:
                # Warm: one poll loads the roster, so every level starts from the same state.
                run_load(server.base_url, login, [cf], pollers=1, period=POLL_PERIOD, duration=1.0)
                sim.reset_log()
                began = time.monotonic()
                result = run_load(
                    server.base_url, login, [cf], pollers=pollers, period=POLL_PERIOD, duration=window, seed=pollers
                )
                counts = sim.counts()
                elapsed = time.monotonic() - began
                lists = counts.get("ListParticipant", 0)
                per_minute = lists / elapsed * 60
                rates.append(per_minute)
                rows.append(
                    [
                        pollers,
                        len(result.poll_latencies),
                        f"{elapsed:.1f}",
                        lists,
                        counts.get("FetchConference", 0),
                        f"{per_minute:.1f}",
                        common.ms(common.median(result.poll_latencies)),
                        common.ms(common.p99(result.poll_latencies)),
                        result.error_count,
                        result.late_polls,
                    ]
                )
        report.table(
            [
                "pollers",
                "polls",
                "window s",
                "ListParticipant",
                "FetchConference",
                "ListParticipant/min",
                "poll median ms",
                "poll p99 ms",
                "errors",
                "late polls",
            ],
            rows,
        )
        expected = 60 / INTERVAL
        one_call = 60 / window
        # Viewers cost nothing if no level goes above one reconcile per interval (+1 call straddling the
        # window). A single poller whose period equals the interval can land just before the lease
        # expires and reconcile every other poll: fewer calls, never more.
        bounded = max(rates) <= expected + one_call
        report.goal(
            "4 upstream per viewer count",
            f"ListParticipant/min not above one per interval (~{expected:.0f}/min at {INTERVAL} s) for 1..200 pollers",
            " / ".join(f"{rate:.1f}" for rate in rates)
            + f" per min for {', '.join(map(str, levels))} pollers (one call = {one_call:.1f}/min)",
            bounded,
        )
        report.notes.append(
            "One poller every 2 s against a 2 s lease aliases (it often arrives just before expiry), "
            "so it reconciles less often; more pollers cover every expiry."
        )
    finally:
        sim.stop()
    report.publish(append)
    return report


if __name__ == "__main__":
    args = common.standard_args(__doc__).parse_args()
    run(args.quick, not args.no_append)
