"""14. The core's speed goals, before and after side by side in one run.

Two gunicorns (gunicorn.conf.py, gthread, production profile: PostgreSQL, Redis), one serving this
checkout and one serving `--before PATH` (a `git worktree` of an earlier commit), both pointed at
one simulator and one database, each with a Redis database of its own (BENCH_REDIS_URL's and the
next one). Rounds alternate between the two servers, so both see
the same machine. Per server:

- **mute**: a row action (Mute / Unmute alternately, htmx) on a 50-participant conference of its
  own; gunicorn's CPU per action (its master and workers, /proc), and the overhead over the same
  update made directly with the Twilio client (pairs, order within a pair random);
- **unchanged poll**: the participant table asked with the current version (204): gunicorn CPU
  per poll;
- **250-participant room**: in Chromium (Debian's, headless, 1440x900), a click on the room's link
  in the conferences list to every one of its 250 rows on screen (the page's own clock, from the
  navigation's start to the frame after the last row is in the table), and the server's answer to
  the page (the navigation's request start to response end).

    .venv/bin/python bench/ab_core_goals.py --before /path/to/checkout [--quick] [--no-append]

Run it on a quiet machine: nothing else running.
"""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)

COMMAND = ".venv/bin/python bench/ab_core_goals.py --before <checkout>"
ROOM = 250
SMALL = 50
PYTHON_PARSER = {"GUNICORN_CMD_ARGS": "--http-parser python"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

ON_SCREEN = f"""
() => new Promise((resolve) => {{
  const done = () => document.querySelectorAll("#participant-rows tr[id^=participant-]").length >= {ROOM};
  const finish = () => requestAnimationFrame(() => {{
    document.body.offsetHeight;
    const nav = performance.getEntriesByType("navigation")[0];
    resolve({{
      onScreen: performance.now(),
      server: nav.responseEnd - nav.requestStart,
      domContentLoaded: nav.domContentLoadedEventEnd,
    }});
  }});
  if (done()) return finish();
  const observer = new MutationObserver(() => {{ if (done()) {{ observer.disconnect(); finish(); }} }});
  observer.observe(document.documentElement, {{ childList: true, subtree: true }});
}})
"""


class Side:
    """One server's conference, participant, and samples."""

    def __init__(self, name: str, server, sim: common.Sim, login: common.Login) -> None:
        import requests

        self.name, self.server = name, server
        self.cf, calls = sim.conference(f"Bench goals {name}", SMALL)
        self.target, self.direct_target = calls[1], calls[2]
        self.http = requests.Session()
        self.http.headers.update(login.headers(post=True))
        self.muted = False
        self.samples: dict[str, list[float]] = {
            "mute cpu": [],
            "action": [],
            "direct": [],
            "overhead": [],
            "poll cpu": [],
            "room on screen": [],
            "room server": [],
            "room dom": [],
        }
        page = self.http.get(f"{server.base_url}/conferences/{self.cf}/", headers={"HX-Request": ""}, timeout=30)
        assert page.status_code == 200, page.status_code

    def pids(self) -> list[int]:
        return [self.server.process.pid, *common.children(self.server.process.pid)]

    def mutes(self, count: int, direct, rng: random.Random, record: bool) -> None:
        pids = self.pids()
        cpu = common.cpu_seconds(pids)
        for _ in range(count):
            self.muted = not self.muted
            action = "mute" if self.muted else "unmute"
            url = self.server.base_url + common.action_path(self.cf, self.target)

            def via_dashboard(url: str = url, action: str = action) -> float:
                start = time.perf_counter()
                response = self.http.post(url, common.action_data(action), timeout=30, allow_redirects=False)
                elapsed = time.perf_counter() - start
                if response.status_code != 200 or "HX-Retarget" in response.headers:
                    raise RuntimeError(f"{self.name} {action}: {response.status_code} {response.text[:300]}")
                return elapsed

            def directly(muted: bool = self.muted) -> float:
                start = time.perf_counter()
                direct.update_participant(self.cf, self.direct_target, muted=muted)
                return time.perf_counter() - start

            if rng.random() < 0.5:
                a, d = via_dashboard(), directly()
            else:
                d, a = directly(), via_dashboard()
            if record:
                self.samples["action"].append(a)
                self.samples["direct"].append(d)
                self.samples["overhead"].append(a - d)
        if record:
            self.samples["mute cpu"].append((common.cpu_seconds(pids) - cpu) / count)

    def polls(self, count: int, record: bool) -> None:
        url = self.server.base_url + common.table_path(self.cf)
        version = self.http.get(url, timeout=30).headers["X-Roster-Version"]
        poll = self.server.base_url + common.table_path(self.cf, int(version))
        for _ in range(3):  # the first unchanged poll writes the session's grant
            self.http.get(poll, timeout=30)
        pids = self.pids()
        cpu = common.cpu_seconds(pids)
        for _ in range(count):
            response = self.http.get(poll, timeout=30)
            if response.status_code != 204:
                raise RuntimeError(f"{self.name} unchanged poll: {response.status_code}")
        if record:
            self.samples["poll cpu"].append((common.cpu_seconds(pids) - cpu) / count)

    def open_room(self, browser, login: common.Login, room: str, record: bool) -> None:
        context = common.signed_in_context(browser, self.server, login)
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto("/")
            page.locator(f"a[href='/conferences/{room}/']").first.click()
            page.wait_for_url(f"**/conferences/{room}/")
            measured = page.evaluate(ON_SCREEN)
            if errors:
                raise RuntimeError(f"{self.name}: JavaScript errors on the page: {errors}")
            if record:
                self.samples["room on screen"].append(measured["onScreen"] / 1000)
                self.samples["room server"].append(measured["server"] / 1000)
                self.samples["room dom"].append(measured["domContentLoaded"] / 1000)
        finally:
            context.close()


def big_room(sim: common.Sim) -> str:
    cf, calls = sim.conference("Bench goals big room", ROOM)
    account = sim.simulator.account_sid
    for call_sid in calls[10:ROOM:25]:
        sim.simulator.update_participant(account, cf, call_sid, {"Hold": "true"})
    for call_sid in calls[3:ROOM:7]:
        sim.simulator.update_participant(account, cf, call_sid, {"Muted": "true"})
    return cf


def run(before: Path, quick: bool, append: bool) -> common.Report:
    common.setup_django()
    from django.core.management import call_command
    from playwright.sync_api import sync_playwright

    rounds, mutes, polls, opens = (3, 20, 100, 2) if quick else (10, 40, 300, 3)
    report = common.Report(14, "The core's speed goals, before and after side by side", COMMAND)
    # The earlier checkout serves its own static files (whitenoise reads its STATIC_ROOT).
    call_command("collectstatic", interactive=False, verbosity=0)
    common.collectstatic_in(before)
    sim = common.start_sim()
    rng = random.Random(14)
    try:
        common.clear_cache()
        login = common.login()
        direct = common.twilio_client(sim)
        room = big_room(sim)
        with contextlib.ExitStack() as stack:
            # Each checkout keeps its cache in a Redis database of its own (what one writes, the
            # other may not read); sessions are read through to PostgreSQL, which both share.
            before_redis = common.REDIS.rsplit("/", 1)[0] + "/" + str(int(common.REDIS.rsplit("/", 1)[1]) + 1)
            common.flush_redis(before_redis)
            # One virtualenv serves both: a checkout whose gunicorn.conf.py does not choose the C
            # HTTP parser gets gunicorn's Python parser, as it had when it was written.
            parser = {} if "http_parser" in (before / "gunicorn.conf.py").read_text() else PYTHON_PARSER
            servers = {
                "before": stack.enter_context(common.dashboard(sim, root=before, REDIS_URL=before_redis, **parser)),
                "after": stack.enter_context(common.dashboard(sim)),
            }
            sides = [Side(name, server, sim, login) for name, server in servers.items()]
            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            stack.callback(browser.close)
            for side in sides:  # warm up: code paths, connections, the room's roster
                side.mutes(10, direct, rng, record=False)
                side.polls(20, record=False)
                side.open_room(browser, login, room, record=False)
            loads = []
            for _ in range(rounds):
                order = sides[:] if rng.random() < 0.5 else sides[::-1]
                for side in order:
                    side.mutes(mutes, direct, rng, record=True)
                    side.polls(polls, record=True)
                    for _ in range(opens):
                        side.open_room(browser, login, room, record=True)
                loads.append(os.getloadavg()[0])
            report.notes.append(
                f"Servers: {servers['after'].description}, one per checkout; Chromium {browser.version}; "
                f"{rounds} rounds, each server in random order per round: {mutes} mutes (pairs with a direct "
                f"update), {polls} unchanged polls, {opens} openings of the {ROOM}-participant room. "
                f"Before: {before}. Load average (1 min) after each round: "
                + ", ".join(f"{load:.1f}" for load in loads)
            )
        med = {side.name: {k: statistics.median(v) for k, v in side.samples.items()} for side in sides}
        rows = []
        for label, key, goal in (
            ("gunicorn CPU per mute", "mute cpu", 0.010),
            ("overhead per mute over a direct update (median)", "overhead", 0.010),
            ("mute, whole round trip (median)", "action", None),
            ("direct update (median)", "direct", None),
            ("gunicorn CPU per unchanged poll", "poll cpu", 0.001),
            (f"{ROOM}-participant room: click to all rows on screen (median)", "room on screen", 1.0),
            (f"{ROOM}-participant room: server's answer to the page (median)", "room server", 0.150),
            (f"{ROOM}-participant room: DOMContentLoaded (median)", "room dom", None),
        ):
            b, a = med["before"][key], med["after"][key]
            ratio = f"{a / b:.2f}" if b else "-"
            rows.append([label, common.ms(b), common.ms(a), ratio, f"<= {common.ms(goal)}" if goal else ""])
            if goal is not None:
                figure = f"after {common.ms(a)} ms (before {common.ms(b)})"
                report.goal(f"14 {label}", f"<= {common.ms(goal)} ms", figure, a <= goal)
        report.table(["figure (ms)", "before", "after", "after/before", "goal"], rows)
    finally:
        sim.stop()
    report.publish(append)
    return report


if __name__ == "__main__":
    parser = common.standard_args(__doc__)
    parser.add_argument("--before", type=Path, required=True, help="the earlier checkout (a git worktree)")
    args = parser.parse_args()
    run(args.before.resolve(), args.quick, not args.no_append)
