"""Live push vs polling, side by side in one run (production profile: PostgreSQL + Redis).

Two dashboard processes share Redis: gunicorn (gthread; process A: status callbacks and
supervisors' actions) and uvicorn (ASGI; process B: the page and its event stream). Figures:

1. Twilio event → row updated in Chromium: the simulator starts/stops someone speaking, its
   signed status callback reaches process A; the time from that event to the row changing on
   a page served by process B, pushed vs polled (the page's poll every DASHBOARD_POLL_SECONDS).
2. A supervisor's action in process A (mute/unmute POST) → row updated on that page.
3. 200 open streams on one conference, one change: time until every stream has the change
   (raw SSE clients), vs 200 pages polling.
4. 500 idle open streams: process B's memory (RSS) and CPU over a window.
5. Upstream calls (ListParticipant) in that window with 1 and with 500 streams open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)

COMMAND = ".venv/bin/python bench/bench_push.py"
ESCALATION = "Escalation: outage #4471"
POLL_SECONDS = 3  # the product default (DASHBOARD_POLL_SECONDS)
SERVER_ENV = {
    "DASHBOARD_POLL_SECONDS": str(POLL_SECONDS),
    "PUSH_STREAMS_PER_USER": "1000",  # one bench user opens them all
}


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(1, -(-95 * len(ordered) // 100)) - 1]


def _server(command: list[str], port: int, env: dict[str, str], description: str):
    log = Path(tempfile.gettempdir()) / f"bench-push-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=common.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return common.Dashboard(process, f"http://127.0.0.1:{port}", log, description)


@contextlib.contextmanager
def servers(sim: common.Sim):
    """Process A (gunicorn, WSGI) and process B (uvicorn, ASGI), production profile, one Redis.
    A's port is chosen first: the simulator signs its callbacks for A's URL (PUBLIC_BASE_URL)."""
    port_a, port_b = common.free_port(), common.free_port()
    env = {**os.environ, **common.production_env(**SERVER_ENV)}
    env.update(
        DJANGO_SECRET_KEY=os.environ["BENCH_SECRET_KEY"],
        TWILIO_API_BASE_URL=sim.base_url,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port_a}",
        PYTHONUNBUFFERED="1",
    )
    a = _server(
        [str(common.VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "conference_admin.wsgi:application"],
        port_a,
        {**env, "GUNICORN_BIND": f"127.0.0.1:{port_a}", "GUNICORN_WORKERS": "2"},
        "gunicorn gthread, 2 workers x 8 threads",
    )
    b = _server(
        [
            str(common.VENV_BIN / "uvicorn"),
            "conference_admin.asgi:application",
            "--port",
            str(port_b),
            "--lifespan",
            "off",
            "--timeout-graceful-shutdown",
            "2",
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ],
        port_b,
        env,
        "uvicorn (ASGI), 1 process",
    )
    try:
        common._wait_until_up(a)
        common._wait_until_up(b)
        yield a, b
    finally:
        a.stop()
        b.stop()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- 1 and 2: Chromium ----------------------------------------------------------------------

WATCH = """([selector, version]) => {
  window.__seenAt = null;
  const check = () => {
    const row = document.querySelector(selector);
    if (row && parseInt(row.getAttribute("data-row-version"), 10) > version && window.__seenAt === null) {
      window.__seenAt = Date.now();
    }
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, attributes: true});
  check();
}"""


def browser_rounds(page, selector: str, rounds: int, trigger) -> list[float]:
    """`trigger(i)` changes the row; the seconds until the page shows it, per round."""
    latencies = []
    for index in range(rounds):
        version = int(page.locator(selector).get_attribute("data-row-version"))
        page.evaluate(WATCH, [selector, version])
        started = time.time()
        trigger(index)
        page.wait_for_function("window.__seenAt !== null", timeout=20_000)
        latencies.append(page.evaluate("window.__seenAt") / 1000 - started)
        page.wait_for_timeout(200)
    return latencies


def chromium_figures(sim, a_url: str, b_url: str, login, conference, rounds: int) -> dict[str, list[float]]:
    import requests
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    simulator = sim.simulator
    carol = simulator.fetch_participant(common.ACCOUNT_SID, conference.sid, "agent:carol").call_sid
    dave = simulator.fetch_participant(common.ACCOUNT_SID, conference.sid, "agent:dave").call_sid
    results: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        try:
            for mode in ("push", "poll"):
                context = browser.new_context(base_url=b_url, bypass_csp=True)  # the probes below evaluate
                context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": login.session, "url": b_url}])
                page = context.new_page()
                polls: list[float] = []
                page.on(
                    "request",
                    lambda request, polls=polls: "/participants/?version=" in request.url and polls.append(time.time()),
                )
                if mode == "poll":  # no stream: the page polls as it always did
                    page.route("**/events/**", lambda route: route.fulfill(status=204))
                page.goto(f"/conferences/{conference.sid}/")
                expected = "live" if mode == "push" else "live (polling)"
                try:
                    page.wait_for_function(
                        f"document.getElementById('push-state')?.textContent === {expected!r}", timeout=15_000
                    )
                except Exception:
                    state = page.locator("#push-state").all_text_contents()
                    raise RuntimeError(f"{mode}: the page says {state!r}, not {expected!r}; {page.url}") from None

                def speak(index: int) -> None:
                    if index % 2 == 0:
                        simulator.start_speaking(conference.sid, "agent:carol")
                    else:
                        simulator.stop_speaking(conference.sid, "agent:carol")

                results[f"callback/{mode}"] = browser_rounds(page, f"#participant-{carol}", rounds, speak)
                if simulator.fetch_participant(common.ACCOUNT_SID, conference.sid, "agent:carol").speaking:
                    simulator.stop_speaking(conference.sid, "agent:carol")

                def act(index: int) -> None:
                    action = "mute" if index % 2 == 0 else "unmute"
                    response = requests.post(
                        a_url + common.action_path(conference.sid, dave),
                        common.action_data(action),
                        headers=login.headers(post=True),
                        timeout=20,
                    )
                    response.raise_for_status()

                results[f"action/{mode}"] = browser_rounds(page, f"#participant-{dave}", rounds, act)
                results[f"said/{mode}"] = page.locator("#push-state").all_text_contents()  # type: ignore[assignment]
                span = (polls[-1] - polls[0]) if len(polls) > 1 else 0.0
                results[f"polls/{mode}"] = [len(polls), span]
                context.close()
        finally:
            browser.close()
    return results


# --- 3, 4, 5: raw SSE clients and pollers ---------------------------------------------------


async def _open_stream(port: int, path: str, cookie: str):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**22)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(status.decode(errors="replace"))
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    return reader, writer


async def _follow(reader, arrivals: list[tuple[int, float]]) -> None:
    """Note each event's version and arrival time (the change's own version is known only after
    its write returns, and a pushed event may arrive before that)."""
    while line := await reader.readline():
        if line.startswith(b"id: "):
            arrivals.append((int(line[4:]), time.time()))


def _first_at_or_after(arrivals: list[tuple[int, float]], version: int) -> float | None:
    return next((at for seen, at in arrivals if seen >= version), None)


async def streams_figure(b_port: int, cookie: str, conference_sid: str, count: int, change, rounds: int):
    from conference_admin.live import roster as rosters

    path = f"/events/conferences/{conference_sid}/?version={rosters.current_version(conference_sid)}"
    opened = await asyncio.gather(*(_open_stream(b_port, path, cookie) for _ in range(count)), return_exceptions=True)
    streams = [item for item in opened if not isinstance(item, BaseException)]
    errors = len(opened) - len(streams)
    latencies: list[float] = []
    missed = 0
    arrivals: list[list[tuple[int, float]]] = [[] for _ in streams]
    tasks = [asyncio.create_task(_follow(reader, arrivals[i])) for i, (reader, _) in enumerate(streams)]
    try:
        await asyncio.sleep(1)
        for index in range(rounds):
            started = time.time()
            version = await asyncio.to_thread(change, index)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if all(_first_at_or_after(seen, version) is not None for seen in arrivals):
                    break
                await asyncio.sleep(0.01)
            for seen in arrivals:
                at = _first_at_or_after(seen, version)
                if at is None:
                    missed += 1
                else:
                    latencies.append(at - started)
            await asyncio.sleep(0.5)
    finally:
        for task in tasks:
            task.cancel()
        for _, writer in streams:
            writer.close()
    return latencies, errors, missed


async def pollers_figure(a_port: int, headers: dict, conference_sid: str, count: int, change, rounds: int):
    """`count` pages polling process A every POLL_SECONDS (random phase), as the page does."""
    import random

    from conference_admin.live import roster as rosters

    header_lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    start_version = rosters.current_version(conference_sid)
    arrivals: list[list[tuple[int, float]]] = [[] for _ in range(count)]
    errors = 0
    stop = asyncio.Event()

    async def poller(index: int) -> None:
        nonlocal errors
        known = start_version
        await asyncio.sleep(random.uniform(0, POLL_SECONDS))
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", a_port)
                path = f"/conferences/{conference_sid}/participants/?version={known}"
                request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{header_lines}Connection: close\r\n\r\n"
                writer.write(request.encode())
                await writer.drain()
                answer = await reader.read()
                writer.close()
                for line in answer.split(b"\r\n"):
                    if line.lower().startswith(b"x-roster-version:"):
                        known = int(line.split(b":")[1])
                        arrivals[index].append((known, time.time()))
            except OSError:
                errors += 1
            await asyncio.sleep(POLL_SECONDS)

    tasks = [asyncio.create_task(poller(i)) for i in range(count)]
    latencies: list[float] = []
    missed = 0
    try:
        await asyncio.sleep(POLL_SECONDS + 1)
        for index in range(rounds):
            started = time.time()
            version = await asyncio.to_thread(change, index)
            deadline = time.monotonic() + POLL_SECONDS * 4
            while time.monotonic() < deadline:
                if all(_first_at_or_after(seen, version) is not None for seen in arrivals):
                    break
                await asyncio.sleep(0.05)
            for seen in arrivals:
                at = _first_at_or_after(seen, version)
                if at is None:
                    missed += 1
                else:
                    latencies.append(at - started)
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
    return latencies, errors, missed


async def idle_figure(b_pid: int, b_port: int, cookie: str, conference_sid: str, count: int, window: float, sim):
    path = f"/events/conferences/{conference_sid}/"
    opened = await asyncio.gather(*(_open_stream(b_port, path, cookie) for _ in range(count)), return_exceptions=True)
    streams = [item for item in opened if not isinstance(item, BaseException)]
    drains = [asyncio.create_task(_follow(reader, [])) for reader, _ in streams]
    try:
        await asyncio.sleep(3)  # the first (full-table) events are out
        sim.reset_log()
        cpu = common.cpu_seconds([b_pid])
        began = time.monotonic()
        await asyncio.sleep(window)
        elapsed = time.monotonic() - began
        used = common.cpu_seconds([b_pid]) - cpu
        return len(streams), rss_mb(b_pid), used / elapsed * 100, sim.counts().get("ListParticipant", 0), elapsed
    finally:
        for task in drains:
            task.cancel()
        for _, writer in streams:
            writer.close()


# --- the run ----------------------------------------------------------------------------------


def run(quick: bool = False, append: bool = True) -> common.Report:
    common.setup_django()
    from conference_admin.dashboard import services
    from conference_admin.live import roster as rosters
    from conference_admin.simulator.demo import load_demo

    rounds = 6 if quick else 20
    big_rounds = 3 if quick else 5
    window = 10.0 if quick else 30.0
    report = common.Report(15, "Live push vs polling", COMMAND + (" --quick" if quick else ""))
    sim = common.start_sim()
    try:
        common.clear_cache()
        user = common.supervisor()
        login = common.login(user)
        conference = {c.friendly_name: c for c in load_demo(sim.simulator)}[ESCALATION]
        cookie = login.headers(htmx=False)["Cookie"]
        with servers(sim) as (a_server, b_server):
            sim.simulator.callbacks.use_dashboard(a_server.base_url)
            report.notes.append(
                f"A: {a_server.description}, status callbacks and actions; B: {b_server.description}, the page "
                f"and its event stream; pages poll every {POLL_SECONDS} s; Redis pub/sub between them."
            )
            report.notes.append(
                f"Load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
                "(the machine is shared: figures are upper bounds)."
            )
            figures = chromium_figures(sim, a_server.base_url, b_server.base_url, login, conference, rounds)
            rows = []
            for name in ("callback", "action"):
                push, poll = figures[f"{name}/push"], figures[f"{name}/poll"]
                rows.append(
                    [
                        "Twilio event → row in Chromium" if name == "callback" else "action in A → row on page of B",
                        len(push),
                        common.ms(common.median(push)),
                        common.ms(p95(push)),
                        common.ms(common.median(poll)),
                        common.ms(p95(poll)),
                    ]
                )
            report.table(["figure", "rounds", "push p50 ms", "push p95 ms", "poll p50 ms", "poll p95 ms"], rows)
            push_polls, poll_polls = figures["polls/push"], figures["polls/poll"]
            report.notes.append(
                f"Poll requests the pages sent during their rounds: pushed {push_polls[0]:.0f}, "
                f"polled {poll_polls[0]:.0f} in {poll_polls[1]:.0f} s."
            )
            report.notes.append(
                f"After the rounds the pushed page said {figures['said/push']}, the polled one {figures['said/poll']}."
            )
            callback, action = figures["callback/push"], figures["action/push"]
            report.goal(
                "callback → row, p50/p95",
                "<= 100 / <= 300 ms",
                f"{common.ms(common.median(callback))} / {common.ms(p95(callback))} ms",
                common.median(callback) <= 0.1 and p95(callback) <= 0.3,
            )
            report.goal("action in A → page of B, p95", "<= 300 ms", f"{common.ms(p95(action))} ms", p95(action) <= 0.3)

            carol = sim.simulator.fetch_participant(common.ACCOUNT_SID, conference.sid, "agent:carol").call_sid

            def change(index: int) -> int:
                mute = services.participant_mute if index % 2 == 0 else services.participant_unmute
                mute(actor=user, conference_sid=conference.sid, call_sid=carol)
                version = rosters.current_version(conference.sid)
                assert version is not None
                return version

            b_port = int(b_server.base_url.rsplit(":", 1)[1])
            a_port = int(a_server.base_url.rsplit(":", 1)[1])
            push_lat, push_err, push_missed = asyncio.run(
                streams_figure(b_port, cookie, conference.sid, 200, change, big_rounds)
            )
            poll_lat, poll_err, poll_missed = asyncio.run(
                pollers_figure(a_port, login.headers(), conference.sid, 200, change, big_rounds)
            )
            report.table(
                ["200 pages, one change", "updates", "p50 ms", "p95 ms", "errors", "missed"],
                [
                    [
                        "pushed (streams on B)",
                        len(push_lat),
                        common.ms(common.median(push_lat)),
                        common.ms(p95(push_lat)),
                        push_err,
                        push_missed,
                    ],
                    [
                        "polled (pages on A)",
                        len(poll_lat),
                        common.ms(common.median(poll_lat)),
                        common.ms(p95(poll_lat)),
                        poll_err,
                        poll_missed,
                    ],
                ],
            )
            report.goal(
                "200 streams, one change, all updated p95",
                "<= 500 ms, 0 errors",
                f"{common.ms(p95(push_lat))} ms, {push_err} errors, {push_missed} missed",
                p95(push_lat) <= 0.5 and push_err == 0 and push_missed == 0,
            )

            idle_rows = []
            for count in (1, 500):
                opened, rss, cpu, lists, elapsed = asyncio.run(
                    idle_figure(b_server.process.pid, b_port, cookie, conference.sid, count, window, sim)
                )
                idle_rows.append([count, opened, f"{rss:.0f}", f"{cpu:.2f}", lists, f"{elapsed:.0f}"])
            report.table(
                ["idle streams", "open", "B RSS MB", "B CPU % of one core", "ListParticipant", "window s"], idle_rows
            )
            big = idle_rows[1]
            report.goal(
                "500 idle streams: memory, CPU",
                "<= 200 MB, <= 2% of one core",
                f"{big[2]} MB, {big[3]}%",
                float(big[2]) <= 200 and float(big[3]) <= 2,
            )
            report.goal(
                "upstream calls flat in viewers",
                "unchanged",
                f"{idle_rows[0][4]} → {idle_rows[1][4]} ListParticipant per {window:g} s",
                abs(idle_rows[1][4] - idle_rows[0][4]) <= 1,
            )
    finally:
        sim.simulator.callbacks.use_dashboard("")
        sim.stop()
    report.publish(append)
    return report


if __name__ == "__main__":
    args = common.standard_args(__doc__.splitlines()[0]).parse_args()
    run(quick=args.quick, append=not args.no_append)
