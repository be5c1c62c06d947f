"""1. Upstream calls per action, counted at the simulator (its request log).

Every row action and the add form must cost exactly one Twilio request; opening a conference
page costs 0 (roster fresh) or 1 (reconcile due), plus one FetchConference on a cold open with
nothing cached; an unchanged refresh costs 0. Driven in-process with Django's test client on
the production settings (Redis roster, PostgreSQL audit): the count does not depend on the
HTTP server.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)

COMMAND = ".venv/bin/python bench/bench_upstream_calls.py"


def _expire_lease(conference_sid: str) -> None:
    """As if the roster interval had passed: the next reader reconciles."""
    from django.core.cache import cache

    cache.delete(f"roster:{conference_sid}:lease")


def run(quick: bool = False, append: bool = True) -> common.Report:
    common.setup_django()
    from django.conf import settings

    from conference_admin.live import identity

    report = common.Report(1, "Upstream calls per action", COMMAND)
    sim = common.start_sim()
    try:
        common.clear_cache()
        client = common.test_client()
        cf, calls = sim.conference("Bench calls", 6)
        agent, coach, target, other = calls[1], calls[2], calls[3], calls[4]
        detail = f"/conferences/{cf}/"
        rows = []

        def measure(label: str, request, expected: str, ok) -> None:
            sim.reset_log()
            response = request()
            # Participants new to the roster have their caller identity fetched in the background,
            # once each: wait for it and count it apart from the request's own calls.
            identity.drain()
            counts = sim.counts()
            background = counts.pop("FetchCall", 0)
            total = sum(counts.values())
            ops = ", ".join(f"{op} {n}" for op, n in sorted(counts.items())) or "none"
            # A failed action answers 200 too, retargeted at the row's note: that is not a success.
            good = ok(total) and "HX-Retarget" not in response.headers
            rows.append([label, response.status_code, total, ops, background, expected, "yes" if good else "NO"])

        page = lambda: client.get(detail, HTTP_HX_REQUEST="")  # noqa: E731 (a plain page load)
        measure("open page, cold (nothing cached)", page, "1-2", lambda n: n in (1, 2))
        measure("open page, roster fresh", page, "0", lambda n: n == 0)
        _expire_lease(cf)
        measure("open page, reconcile due", page, "1", lambda n: n == 1)
        version = client.get(common.table_path(cf)).headers.get("X-Roster-Version")
        measure("refresh, unchanged", lambda: client.get(common.table_path(cf, int(version))), "0", lambda n: n == 0)
        _expire_lease(cf)
        measure(
            "refresh, reconcile due", lambda: client.get(common.table_path(cf, int(version))), "1", lambda n: n == 1
        )

        announce = settings.DASHBOARD_ANNOUNCEMENTS[0]["url"]
        wait = settings.DASHBOARD_WAIT_MUSIC[0]["url"]
        actions = [
            ("mute", agent, {}),
            ("unmute", agent, {}),
            ("hold", agent, {}),
            ("resume", agent, {}),
            ("coach", coach, {"call_sid_to_coach": agent}),
            ("stop-coaching", coach, {}),
            ("announce", agent, {"choice": announce}),
            ("end-on-exit", agent, {"end_conference_on_exit": "true"}),
            ("beep-on-exit", agent, {"beep_on_exit": "false"}),
            ("wait-music", other, {"choice": wait}),
            ("kick", target, {}),
        ]
        for action, call_sid, data in actions:
            path, body = common.action_path(cf, call_sid), common.action_data(action, data)
            measure(f"action {action}", lambda path=path, body=body: client.post(path, body), "1", lambda n: n == 1)
        add = {
            "to": "+14155550199",
            "from_": common.CALLER_ID,
            "label": "agent:added",
            "early_media": "on",
            "start_conference_on_enter": "on",
        }
        measure(
            "action add (dial out)",
            lambda: client.post(f"/conferences/{cf}/participants/add/", add),
            "1",
            lambda n: n == 1,
        )
        failed = [row for row in rows if row[-1] != "yes" or row[1] not in (200, 204)]
        report.notes.append(
            "In-process (Django test client, production settings); "
            "counted with `Simulator.request_counts()` around each request."
        )
        report.notes.append(
            "Each action follows an open page (the roster is fresh), as a supervisor acts from the page."
        )
        report.notes.append(
            "Background FetchCall: the caller identity of each participant new to the roster, fetched once "
            "per call off the request path (the dial-out's own identity is known: none for it)."
        )
        report.table(
            ["request", "HTTP", "upstream calls", "by operation", "background FetchCall", "expected", "ok"], rows
        )
        actions_ok = all(row[-1] == "yes" and row[1] == 200 for row in rows if row[0].startswith("action"))
        report.goal(
            "1a row actions and add",
            "exactly 1 upstream call each (12 actions)",
            f"{sum(1 for r in rows if r[0].startswith('action') and r[2] == 1)}/12 at 1 call",
            actions_ok,
        )
        cold = rows[0][2]
        report.goal(
            "1b open page",
            "0 (fresh) or 1 (reconcile due)",
            f"fresh {rows[1][2]}, due {rows[2][2]}, cold {cold} ({rows[0][3]})",
            rows[1][2] == 0 and rows[2][2] == 1,
        )
        report.goal("1c unchanged refresh", "0", f"{rows[3][2]}", rows[3][2] == 0)
        if failed:
            report.notes.append(f"Unexpected: {failed}")
    finally:
        sim.stop()
    report.publish(append)
    return report


if __name__ == "__main__":
    args = common.standard_args(__doc__).parse_args()
    run(args.quick, not args.no_append)
