"""5. Throughput: N supervisors (50 to 500) polling every 2 s while a few others act, on the production setup.

gunicorn with gunicorn.conf.py (gthread, 2 workers x 8 threads), DJANGO_PROFILE=production,
PostgreSQL, Redis, DJANGO_SECURE_SSL_REDIRECT=false on loopback; the default roster interval
(5 s). 10 live conferences of 10 participants; supervisors spread over them round-robin, each
refreshing its table every 2 s; 5 more supervisors each mute/unmute a participant every second.
The load generator (bench/load.py: threads, keep-alive sessions) and the simulator share the
bench process; the first 5 s of every level are warm-up and not counted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)
from load import run_load  # noqa: E402  (bench/ is put on sys.path above)

COMMAND = ".venv/bin/python bench/bench_throughput.py"
POLL_PERIOD = 2.0
ACTORS = 5


def run(quick: bool = False, append: bool = True, latencies: list[int] | None = None) -> common.Report:
    common.setup_django()
    levels = (50, 100, 200, 500)
    window, warmup = (15.0, 3.0) if quick else (60.0, 5.0)
    latencies = latencies if latencies is not None else [0]
    report = common.Report(
        5, "Throughput (supervisors polling every 2 s, 5 acting)", COMMAND + (" --quick" if quick else "")
    )
    sim = common.start_sim()
    try:
        common.clear_cache()
        login = common.login()
        conferences = [sim.conference(f"Bench load {index}", 10) for index in range(10)]
        sids = [cf for cf, _ in conferences]
        actors = [(conferences[index][0], conferences[index][1][3]) for index in range(ACTORS)]
        rows = []
        with common.dashboard(sim) as server:
            report.notes.append(
                f"{server.description}; {len(sids)} conferences x 10 participants; "
                f"{ACTORS} actors (mute/unmute every 1 s); "
                f"{window:g} s per level, first {warmup:g} s not counted."
            )
            for latency in latencies:
                sim.set_latency(latency)
                for supervisors in levels:
                    sim.reset_log()
                    workers = [server.process.pid, *common.children(server.process.pid)]
                    server_cpu, own_cpu = common.cpu_seconds(workers), common.cpu_seconds([os.getpid()])
                    result = run_load(
                        server.base_url,
                        login,
                        sids,
                        pollers=supervisors,
                        period=POLL_PERIOD,
                        duration=window,
                        actors=actors,
                        action_period=1.0,
                        seed=supervisors,
                        warmup=warmup,
                    )
                    upstream = sum(sim.counts().values())
                    server_cpu = common.cpu_seconds(workers) - server_cpu
                    own_cpu = common.cpu_seconds([os.getpid()]) - own_cpu
                    span = window + 0.5
                    polls, acts = result.poll_latencies, result.action_latencies
                    rate = result.requests / result.duration if result.duration else float("nan")
                    every = polls + acts
                    rows.append(
                        [
                            latency,
                            supervisors,
                            result.requests,
                            f"{rate:.1f}",
                            common.ms(common.median(polls)),
                            common.ms(common.p99(polls)),
                            common.ms(common.median(acts)),
                            common.ms(common.p99(acts)),
                            common.ms(common.p99(every)),
                            result.error_count,
                            result.late_polls,
                            upstream,
                            (f"{server_cpu / span * 100:.0f}%" if server_cpu >= 0 else "n/a (worker recycled)"),
                            f"{own_cpu / span * 100:.0f}%",
                            f"{os.getloadavg()[0]:.1f}",
                        ]
                    )
                    if supervisors == 200 and latency == latencies[0]:
                        p99_polls = common.p99(polls)
                        report.goal(
                            "5 200 supervisors",
                            "p99 <= 100 ms and 0 errors (polls every 2 s)",
                            f"poll p99 {common.ms(p99_polls)} ms, all-request p99 {common.ms(common.p99(every))} ms, "
                            f"{rate:.0f} req/s, {result.error_count} errors",
                            p99_polls <= 0.100 and result.error_count == 0,
                        )
                    if supervisors == 500 and latency == latencies[0]:
                        p99_polls = common.p99(polls)
                        report.goal(
                            "5b 500 supervisors",
                            "0 errors, p99 <= 250 ms (polls every 2 s)",
                            f"poll p99 {common.ms(p99_polls)} ms, all-request p99 {common.ms(common.p99(every))} ms, "
                            f"{rate:.0f} req/s, {result.error_count} errors",
                            p99_polls <= 0.250 and result.error_count == 0,
                        )
            sim.set_latency(0)
        report.table(
            [
                "upstream latency ms",
                "supervisors",
                "requests",
                "req/s",
                "poll median ms",
                "poll p99 ms",
                "action median ms",
                "action p99 ms",
                "all p99 ms",
                "errors",
                "late polls",
                "upstream calls",
                "gunicorn CPU",
                "generator+simulator CPU",
                "load avg 1 min",
            ],
            rows,
        )
    finally:
        sim.stop()
    report.publish(append)
    return report


if __name__ == "__main__":
    args = common.standard_args(__doc__).parse_args()
    run(args.quick, not args.no_append, args.latency)
