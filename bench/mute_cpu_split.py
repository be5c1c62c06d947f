"""17. Where one mute's CPU goes, part by part (the profile behind goal 14's CPU per mute).

In-process, through Django's whole stack on the production settings (PostgreSQL, Redis), against
the simulator (in this process, on threads of its own), on a 50-participant conference: the
request thread's CPU (`time.thread_time`) per mute, and the share of each part of the path,
measured by wrapping the function that does it. What no part names is the middleware stack,
the view's form and budget, and the response.

    .venv/bin/python bench/mute_cpu_split.py [--quick]

Run it on a quiet machine: nothing else running.
"""

from __future__ import annotations

import functools
import importlib
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)

PARTICIPANTS = 50
# (what a supervisor's mute spends it on, the module, the function: where the path calls it)
PARTS = (
    ("roster: begin (budget, lock, read, mark)", "conference_admin.live.roster.actions", "marks_step"),
    ("roster: result write (lock, read, write)", "conference_admin.live.roster.transitions", "mutate"),
    ("Twilio call (requests)", "conference_admin.twilio.client", "TwilioClient.update_participant"),
    ("audit: pending record (INSERT)", "conference_admin.audit.recorder", "audit_begin_many"),
    ("audit: settling (UPDATE)", "conference_admin.audit.recorder", "_settle"),
    ("row answer (alerts, render)", "conference_admin.dashboard.views", "_row_answer"),
    ("user and permissions (cache)", "conference_admin.access.backends", "CachedModelBackend.get_user"),
    ("session (cache)", "django.contrib.sessions.backends.cached_db", "SessionStore.load"),
)


def _measure(spent: Counter, label: str, owner, name: str) -> None:
    function = getattr(owner, name)

    @functools.wraps(function)
    def measured(*args, **kwargs):
        started = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.thread_time() - started

    setattr(owner, name, measured)


def run(quick: bool = False, append: bool = True) -> common.Report:
    common.setup_django(ROSTER_POLL_INTERVAL_SECONDS="3600", USER_TWILIO_REQUESTS_PER_MINUTE="1000000")
    from django.conf import settings

    settings.ROSTER_POLL_INTERVAL_SECONDS = 3600  # no reconcile inside the measured mutes
    settings.USER_TWILIO_REQUESTS_PER_MINUTE = 1_000_000  # the budget would refuse a tight loop
    spent: Counter = Counter()
    for label, module, path in PARTS:
        owner = importlib.import_module(module)
        *classes, name = path.split(".")
        for cls in classes:
            owner = getattr(owner, cls)
        _measure(spent, label, owner, name)
    rounds, mutes = (2, 100) if quick else (5, 300)
    report = common.Report(17, "Where one mute's CPU goes", ".venv/bin/python bench/mute_cpu_split.py")
    sim = common.start_sim()
    try:
        common.clear_cache()
        client = common.test_client()
        cf, calls = sim.conference(f"Bench mute split {PARTICIPANTS}", PARTICIPANTS)
        assert client.get(common.table_path(cf)).status_code == 200  # loads the roster
        muted = False

        def mute() -> None:
            nonlocal muted
            muted = not muted
            response = client.post(common.action_path(cf, calls[1]), common.action_data("mute" if muted else "unmute"))
            if response.status_code != 200 or "HX-Retarget" in response.headers:
                raise RuntimeError(f"mute: {response.status_code} {response.content[:300]!r}")

        for _ in range(50):  # warm: connections open, scripts loaded, user cached
            mute()
        totals: list[float] = []
        shares: list[Counter] = []
        for _ in range(rounds):
            spent.clear()
            started = time.thread_time()
            for _ in range(mutes):
                mute()
            totals.append((time.thread_time() - started) / mutes)
            shares.append(Counter({label: seconds / mutes for label, seconds in spent.items()}))
        best = min(range(rounds), key=lambda i: totals[i])  # the round the machine disturbed least
        total, share = totals[best], shares[best]
        rows = [[label, common.ms(share[label]), f"{share[label] / total:.0%}"] for label, _, _ in PARTS]
        rest = total - sum(share.values())
        rows.append(["the rest (middleware, view, form, budget, response)", common.ms(rest), f"{rest / total:.0%}"])
        rows.append(["one mute, the request thread's CPU", common.ms(total), "100%"])
        report.table(["part", "CPU ms", "share"], rows)
        report.notes.append(
            f"{rounds} rounds of {mutes} mutes on {PARTICIPANTS} participants; the round with the least CPU "
            f"({', '.join(common.ms(t) for t in totals)} ms per mute) is shown."
        )
    finally:
        sim.stop()
    report.publish(append)
    return report


if __name__ == "__main__":
    args = common.standard_args(__doc__).parse_args()
    run(args.quick, not args.no_append)
