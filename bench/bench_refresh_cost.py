"""3. Refresh cost: unchanged refresh vs changed refresh vs full table vs full page.

For 10, 50 and 250 participants (joined in the simulator engine directly):
- bytes: the whole HTTP response (status line, headers, body) as gunicorn sends it to a
  browser (which accepts gzip), read off a raw socket;
- server time: the request run in-process through Django's full stack (middleware, session,
  permissions, roster, template) with the test client, median and p99 after warm-up, kinds
  interleaved; plus the HTTP round trip to gunicorn for comparison;
- DB queries per request (`CaptureQueriesContext`): constant in the number of rows = no N+1.
The roster interval is set to an hour for the measurement so no sample includes a reconcile
(bench 4 measures reconciles); "changed" means one row changed since the page's version.
"""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)

COMMAND = ".venv/bin/python bench/bench_refresh_cost.py"
SIZES = (10, 50, 250)


def raw_get(base_url: str, path: str, headers: dict[str, str]) -> tuple[int, int, float]:
    """(status, bytes on the wire, seconds) for one GET with Connection: close."""
    host, port = base_url.removeprefix("http://").split(":")
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Connection: close",
        "Accept-Encoding: gzip, deflate, br",  # as every browser sends it
        *(f"{k}: {v}" for k, v in headers.items() if v),
    ]
    start = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    elapsed = time.perf_counter() - start
    data = b"".join(chunks)
    return int(data.split(b" ", 2)[1]), len(data), elapsed


def run(quick: bool = False, append: bool = True) -> common.Report:
    common.setup_django(ROSTER_POLL_INTERVAL_SECONDS="3600")
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.ROSTER_POLL_INTERVAL_SECONDS = 3600
    # Fewer runs where one full render takes about a second (250 rows), to bound the time.
    plan = {10: (20, 5), 50: (10, 3), 250: (5, 2)} if quick else {10: (200, 20), 50: (100, 10), 250: (25, 3)}
    sizes = SIZES
    report = common.Report(
        3, "Refresh cost (unchanged / changed / full table / full page)", COMMAND + (" --quick" if quick else "")
    )
    sim = common.start_sim()
    try:
        common.clear_cache()
        client = common.test_client()
        login = common.login()
        results: dict[tuple[int, str], dict] = {}
        lost = {"count": 0}
        with common.dashboard(sim, ROSTER_POLL_INTERVAL_SECONDS="3600") as server:
            report.notes.append(
                "Server time: in-process Django test client (full middleware stack), runs per kind after warm-up "
                f"(participants: runs+warm-up) {', '.join(f'{k}: {r}+{w}' for k, (r, w) in plan.items())}, "
                "kinds interleaved; "
                "p99 is the sample max below 100 runs."
            )
            report.notes.append(
                f"Bytes and HTTP time: {server.description}, raw socket, `Connection: close`, "
                "whole response incl. headers, gzip accepted as by a browser."
            )
            for size in sizes:
                runs, warmup = plan[size]
                cf, calls = sim.conference(f"Bench refresh {size}", size)
                assert client.get(f"/conferences/{cf}/", HTTP_HX_REQUEST="").status_code == 200
                # One visible change: the dashboard mutes one participant (version V; the page had V-1).
                muted = client.post(common.action_path(cf, calls[size // 2]), common.action_data("mute"))
                assert muted.status_code == 200
                version = int(client.get(common.table_path(cf)).headers["X-Roster-Version"])
                kinds = {
                    "unchanged refresh": (common.table_path(cf, version), True),
                    "changed refresh (1 row)": (common.table_path(cf, version - 1), True),
                    "full table": (common.table_path(cf), True),
                    "full page": (f"/conferences/{cf}/", False),
                }
                times: dict[str, list[float]] = {kind: [] for kind in kinds}
                for index in range(warmup + runs):
                    for kind, (path, htmx) in kinds.items():
                        start = time.perf_counter()
                        response = client.get(path, HTTP_HX_REQUEST="true" if htmx else "")
                        elapsed = time.perf_counter() - start
                        if response.status_code == 302 and lost["count"] < 3:
                            lost["count"] += 1  # the session vanished from Redis: log in again, drop the sample
                            client = common.test_client()
                            continue
                        if response.status_code not in (200, 204):
                            raise RuntimeError(f"{kind}: HTTP {response.status_code}")
                        if index >= warmup:
                            times[kind].append(elapsed)
                for kind, (path, htmx) in kinds.items():
                    with CaptureQueriesContext(connection) as queries:
                        status = client.get(path, HTTP_HX_REQUEST="true" if htmx else "").status_code
                    headers = login.headers(htmx=htmx)
                    http_times, wire = [], 0
                    for _ in range(max(5, runs // 10)):
                        wire_status, wire, elapsed = raw_get(server.base_url, path, headers)
                        if wire_status == 302 and lost["count"] < 3:
                            lost["count"] += 1
                            login = common.login()
                            headers = login.headers(htmx=htmx)
                            wire_status, wire, elapsed = raw_get(server.base_url, path, headers)
                        http_times.append(elapsed)
                    results[(size, kind)] = {
                        "status": status,
                        "wire_status": wire_status,
                        "bytes": wire,
                        "queries": len(queries),
                        "median": common.median(times[kind]),
                        "p99": common.p99(times[kind]),
                        "http": common.median(http_times),
                    }
        if lost["count"]:
            report.notes.append(f"Sessions lost mid-run and logged in again: {lost['count']} (those samples dropped).")
        rows = []
        for size in sizes:
            for kind in ("unchanged refresh", "changed refresh (1 row)", "full table", "full page"):
                r = results[(size, kind)]
                rows.append(
                    [
                        size,
                        kind,
                        r["wire_status"],
                        r["bytes"],
                        common.ms(r["median"]),
                        common.ms(r["p99"]),
                        common.ms(r["http"]),
                        r["queries"],
                    ]
                )
        report.table(
            [
                "participants",
                "request",
                "HTTP",
                "bytes on wire",
                "server median ms",
                "server p99 ms",
                "HTTP median ms",
                "DB queries",
            ],
            rows,
        )

        worst_unchanged = max(results[(s, "unchanged refresh")]["bytes"] for s in sizes)
        report.goal(
            "3a unchanged refresh size",
            "<= 300 bytes incl. headers",
            f"{worst_unchanged} bytes",
            worst_unchanged <= 300,
        )
        cheaper = min(results[(s, "full table")]["median"] / results[(s, "unchanged refresh")]["median"] for s in sizes)
        report.goal(
            "3b unchanged vs table",
            ">= 10x cheaper than rendering the table (server time)",
            f"{cheaper:.1f}x (smallest, at {sizes[0]} rows)",
            cheaper >= 10,
        )
        page = {s: results[(s, "full page")] for s in sizes}
        per_row_low = (page[sizes[1]]["median"] - page[sizes[0]]["median"]) / (sizes[1] - sizes[0])
        per_row_high = (page[sizes[2]]["median"] - page[sizes[1]]["median"]) / (sizes[2] - sizes[1])
        bytes_low = (page[sizes[1]]["bytes"] - page[sizes[0]]["bytes"]) / (sizes[1] - sizes[0])
        bytes_high = (page[sizes[2]]["bytes"] - page[sizes[1]]["bytes"]) / (sizes[2] - sizes[1])
        # Linear: the marginal cost of a row does not grow with the number of rows (1.5x slack for noise).
        linear = per_row_high <= 1.5 * per_row_low and bytes_high <= 1.5 * bytes_low
        report.goal(
            "3c full page growth",
            "linear in participants (marginal time and bytes per row constant)",
            f"{per_row_low * 1e3:.2f} -> {per_row_high * 1e3:.2f} ms/row and "
            f"{bytes_low / 1024:.1f} -> {bytes_high / 1024:.1f} KiB/row "
            f"(10->50 -> 50->250); {page[250]['bytes'] // 1024} KiB, {common.ms(page[250]['median'])} ms at 250",
            linear,
        )
        query_counts = {
            kind: {results[(s, kind)]["queries"] for s in sizes}
            for kind in ("unchanged refresh", "changed refresh (1 row)", "full table", "full page")
        }
        flat = all(len(counts) == 1 for counts in query_counts.values())
        report.goal(
            "3d DB queries",
            "constant in participants (no N+1)",
            ", ".join(f"{k.split(' (')[0]} {sorted(v)}" for k, v in query_counts.items()),
            flat,
        )
    finally:
        sim.stop()
    report.publish(append)
    return report


if __name__ == "__main__":
    args = common.standard_args(__doc__).parse_args()
    run(args.quick, not args.no_append)
