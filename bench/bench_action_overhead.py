"""2. Action overhead: a dashboard row action over HTTP minus the same update made directly.

gunicorn (gunicorn.conf.py: gthread, 2 workers, production profile: PostgreSQL audit trail,
Redis roster and sessions) serves POST .../participants/<CA>/ with action=mute and action=unmute
(alternating, htmx). In the
same loop, in random order within each pair, `TwilioClient.update_participant(muted=...)`
makes the same update on another participant. Overhead = action time - direct time, per pair.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)

COMMAND = ".venv/bin/python bench/bench_action_overhead.py"


def run(quick: bool = False, append: bool = True, latencies: list[int] | None = None) -> common.Report:
    common.setup_django()
    import requests

    latencies = latencies if latencies is not None else [0, 100]
    runs, warmup = (40, 5) if quick else (300, 30)
    report = common.Report(
        2, "Action overhead (HTTP row action minus direct client update)", COMMAND + (" --quick" if quick else "")
    )
    sim = common.start_sim()
    rng = random.Random(2)
    try:
        common.clear_cache()
        cf, calls = sim.conference("Bench overhead", 10)
        via_dashboard, direct_target = calls[1], calls[2]
        login = common.login()
        direct = common.twilio_client(sim)
        with common.dashboard(sim) as server:
            report.notes.append(f"Server: {server.description}; client: one keep-alive `requests.Session`.")
            report.notes.append(
                f"{runs} pairs per latency after {warmup} warm-up pairs; order within a pair random; p99 nearest-rank."
            )
            http = requests.Session()
            http.headers.update(login.headers(post=True))
            # The page first, as a supervisor opens it before acting (loads the roster).
            assert (
                http.get(f"{server.base_url}/conferences/{cf}/", headers={"HX-Request": ""}, timeout=10).status_code
                == 200
            )
            rows = []
            lost = {"count": 0}
            for latency in latencies:
                sim.set_latency(latency)
                action_times, direct_times, overheads = [], [], []
                # gunicorn's own CPU per action: unlike wall time, hardly inflated by other load on the machine.
                workers = [server.process.pid, *common.children(server.process.pid)]
                cpu_before = common.cpu_seconds(workers)
                muted = False
                for index in common.bounded(seconds=600, count=warmup + runs):
                    muted = not muted
                    action = "mute" if muted else "unmute"
                    url = server.base_url + common.action_path(cf, via_dashboard)

                    def do_action(url: str, action: str) -> float:
                        start = time.perf_counter()
                        response = http.post(url, common.action_data(action), timeout=30, allow_redirects=False)
                        elapsed = time.perf_counter() - start
                        if response.status_code == 302 and lost["count"] < 3:
                            # The session vanished from Redis (something flushed db 13): log in again, retry.
                            lost["count"] += 1
                            http.headers.update(common.login().headers(post=True))
                            return do_action(url, action)
                        if response.status_code != 200 or "HX-Retarget" in response.headers:
                            raise RuntimeError(f"{action} failed: {response.status_code} {response.text[:300]}")
                        return elapsed

                    def do_direct(muted: bool) -> float:
                        start = time.perf_counter()
                        direct.update_participant(cf, direct_target, muted=muted)
                        return time.perf_counter() - start

                    if rng.random() < 0.5:
                        a, d = do_action(url, action), do_direct(muted)
                    else:
                        d, a = do_direct(muted), do_action(url, action)
                    if index >= warmup:
                        action_times.append(a)
                        direct_times.append(d)
                        overheads.append(a - d)
                ratio = common.median(action_times) / common.median(direct_times)
                cpu_per_action = (common.cpu_seconds(workers) - cpu_before) / (warmup + runs)
                rows.append(
                    [
                        latency,
                        len(overheads),
                        common.ms(common.median(action_times)),
                        common.ms(common.p99(action_times)),
                        common.ms(common.median(direct_times)),
                        common.ms(common.p99(direct_times)),
                        common.ms(common.median(overheads)),
                        common.ms(common.p99(overheads)),
                        f"{ratio:.2f}",
                        common.ms(cpu_per_action),
                        f"{os.getloadavg()[0]:.1f}",
                    ]
                )
                median_overhead, p99_overhead = common.median(overheads), common.p99(overheads)
                report.goal(
                    f"2 overhead @{latency} ms",
                    "median <= 5 ms, p99 <= 20 ms",
                    f"median {common.ms(median_overhead)} ms, p99 {common.ms(p99_overhead)} ms, ratio {ratio:.2f}",
                    median_overhead <= 0.005 and p99_overhead <= 0.020,
                )
            sim.set_latency(0)
        if lost["count"]:
            report.notes.append(
                f"Sessions lost mid-run and logged in again: {lost['count']} (those pairs were retried)."
            )
        report.table(
            [
                "upstream latency ms",
                "pairs",
                "action median ms",
                "action p99 ms",
                "direct median ms",
                "direct p99 ms",
                "overhead median ms",
                "overhead p99 ms",
                "ratio action/direct",
                "gunicorn CPU ms/action",
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
