"""Shared plumbing for the benchmarks: production-profile settings, the simulator, a gunicorn
dashboard, a logged-in supervisor, statistics and the append-only results file.

Every benchmark runs the bench process itself on the production profile (PostgreSQL database
`conference_admin_bench`, Redis db 13), so the process that drives the load, the in-process
Django test client and the gunicorn workers share one roster and one session store.
Everything is loopback; every loop is bounded in count and in time.
"""

from __future__ import annotations

import contextlib
import os
import platform
import secrets
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
PERFORMANCE_MD = ROOT / "docs" / "PERFORMANCE.md"
VENV_BIN = ROOT / ".venv" / "bin"

ACCOUNT_SID = "AC" + "be4c" * 8
# A per-run token: the simulator accepts exactly it, and the dashboard sends it.
AUTH_TOKEN = os.environ.get("BENCH_TWILIO_AUTH_TOKEN") or secrets.token_hex(16)
BENCH_DB = os.environ.get("BENCH_DB", "conference_admin_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")

HTMX = {"HX-Request": "true"}
CALLER_ID = "+15005550006"


def production_env(**overrides: str) -> dict[str, str]:
    """The variables scripts/test-production-profile sets, pointed at the bench database."""
    env = {
        "DJANGO_PROFILE": "production",
        "DJANGO_SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or "bench-" + secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
        "DATABASE_URL": f"{PG}/{BENCH_DB}",
        "REDIS_URL": REDIS,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        # Plain HTTP on loopback (TLS ends at the proxy in production).
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    env.update(overrides)
    return env


_django_ready = False


def setup_django(**overrides: str) -> None:
    """Configure this process on the production profile (once), create and migrate the bench DB."""
    global _django_ready
    if _django_ready:
        return
    env = production_env(**overrides)
    os.environ.update(env)
    # Keep the secret for the gunicorn we start later (sessions are signed with it).
    os.environ["BENCH_SECRET_KEY"] = env["DJANGO_SECRET_KEY"]
    os.environ["BENCH_TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference_admin.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API in bench 7
    _create_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    _django_ready = True


def _create_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def clear_cache() -> None:
    """Empty the bench's Redis db (rosters, sessions, leases): a cold start. The smoke test uses
    another db (BENCH_REDIS_URL), so a test run never logs a running benchmark out."""
    from django.core.cache import cache

    cache.clear()


def flush_redis(url: str) -> None:
    """Empty another Redis database (a second server's cache in a before/after run)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


# --- the simulator ---------------------------------------------------------------------------


@dataclass
class Sim:
    server: object
    simulator: object

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def set_latency(self, latency_ms: int) -> None:
        """Every upstream API request answers `latency_ms` later (the simulator's latency fault)."""
        self.simulator.faults.clear()
        if latency_ms:
            self.simulator.faults.inject(kind="latency", operation="*", fraction=1.0, latency_ms=latency_ms)

    def counts(self) -> dict[str, int]:
        return dict(self.simulator.request_counts())

    def reset_log(self) -> None:
        self.simulator.reset_request_log()

    def conference(self, name: str, participants: int) -> tuple[str, list[str]]:
        """A live conference with `participants` connected callers: (CF sid, [CA sids])."""
        sim = self.simulator
        first = sim.create_participant(
            ACCOUNT_SID, name, {"From": CALLER_ID, "To": "client:agent0", "Label": "agent:0"}
        )
        sim.answer(ACCOUNT_SID, first.conference_sid, first.call_sid)
        sids = [first.call_sid]
        for number in range(1, participants):
            label = f"agent:{number}" if number % 5 == 0 else f"customer:{number:04d}"
            sids.append(sim.join(first.conference_sid, label=label, from_=f"+1415555{number:04d}").call_sid)
        return first.conference_sid, sids

    def stop(self) -> None:
        self.server.stop()


def start_sim(*, tick_interval: float | None = None, speech=None) -> Sim:
    """`tick_interval`: the simulator's clock also advances in the background (transcribed calls
    speak on it); `speech`: a `SpeechTimings` (how fast transcribed calls talk)."""
    from django.conf import settings

    from conference_admin.simulator.engine import Simulator
    from conference_admin.simulator.server import start_simulator

    simulator = Simulator(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, seed=11, speech=speech)
    server = start_simulator(simulator, tick_interval=tick_interval)
    # get_twilio_client() rebuilds its client when a Twilio setting changes.
    settings.TWILIO_API_BASE_URL = server.base_url
    return Sim(server, simulator)


def twilio_client(sim: Sim):
    from conference_admin.twilio import TwilioClient

    return TwilioClient(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, base_url=sim.base_url)


# --- the dashboard under gunicorn --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Dashboard:
    process: subprocess.Popen
    base_url: str
    log_path: Path
    description: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@contextlib.contextmanager
def dashboard(sim: Sim, *, workers: int = 2, threads: int | None = None, root: Path = ROOT, **env_overrides: str):
    """gunicorn with gunicorn.conf.py (gthread), production profile, pointed at the simulator.
    `root`: the checkout to serve (another one, e.g. a `git worktree` of an earlier commit, for a
    before/after run)."""
    port = free_port()
    env = {**os.environ, **production_env(**env_overrides)}
    env["DJANGO_SECRET_KEY"] = os.environ["BENCH_SECRET_KEY"]
    env.update(
        TWILIO_API_BASE_URL=sim.base_url,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(workers),
        PYTHONUNBUFFERED="1",
    )
    if threads:
        env["GUNICORN_THREADS"] = str(threads)
    log = Path(tempfile.gettempdir()) / f"bench-gunicorn-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "conference_admin.wsgi:application"],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    server = Dashboard(
        process,
        base_url,
        log,
        f"gunicorn gthread, {workers} workers x {env.get('GUNICORN_THREADS', '8')} threads, production profile",
    )
    try:
        _wait_until_up(server)
        yield server
    finally:
        server.stop()


def collectstatic_in(root: Path) -> None:
    """Another checkout's static files, collected where its whitenoise serves them from."""
    env = {**os.environ, **production_env()}
    env["DJANGO_SECRET_KEY"] = os.environ.get("BENCH_SECRET_KEY") or env["DJANGO_SECRET_KEY"]
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=root, env=env, check=True
    )


def signed_in_context(browser, server: Dashboard, login: Login, *, width: int = 1440, height: int = 900):
    """A Chromium context signed in as `login` on `server` (localhost: a secure context, so
    Secure cookies work on plain http)."""
    from django.conf import settings

    base_url = server.base_url.replace("127.0.0.1", "localhost")
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=base_url)
    context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": login.session, "url": base_url},
            {"name": settings.CSRF_COOKIE_NAME, "value": login.csrf, "url": base_url},
        ]
    )
    return context


def _wait_until_up(server: Dashboard, timeout: float = 30.0) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: see {server.log_path}\n{server.log_path.read_text()[-2000:]}")
        try:
            if requests.get(server.base_url + "/login/", timeout=2).status_code == 200:
                # Both workers import the app lazily: touch it a few more times.
                for _ in range(4):
                    requests.get(server.base_url + "/login/", timeout=5)
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in {timeout} s: see {server.log_path}")


# --- a logged-in supervisor --------------------------------------------------------------------


@dataclass
class Login:
    session: str
    csrf: str

    def headers(self, *, htmx: bool = True, post: bool = False) -> dict[str, str]:
        from django.conf import settings

        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={self.session}; {settings.CSRF_COOKIE_NAME}={self.csrf}"}
        if htmx:
            headers.update(HTMX)
        if post:
            headers["X-CSRFToken"] = self.csrf
        return headers


def supervisor(username: str = "bench-supervisor"):
    """A Lead (every action), as the view tests use."""
    from django.contrib.auth import get_user_model

    from conference_admin.access.roles import LEAD, assign_role

    user, _ = get_user_model().objects.get_or_create(username=username)
    assign_role(user, LEAD)
    return user


def login(user=None) -> Login:
    """A session in the shared session store (Redis), usable by gunicorn and the test client."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user or supervisor())
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    return Login(client.cookies[settings.SESSION_COOKIE_NAME].value, csrf)


def test_client(user=None):
    """Django's in-process client, logged in: for server time and query counts."""
    from django.test import Client

    client = Client(HTTP_HX_REQUEST="true")
    client.force_login(user or supervisor())
    return client


def action_path(conference_sid: str, call_sid: str) -> str:
    """A participant action's one URL, the participant's: POST `action_data(action)` to it. An
    older checkout (`ab_core_goals.py --before`) answers there the same way: its row form posts
    `action=<name>` to this URL too."""
    return f"/conferences/{conference_sid}/participants/{call_sid}/"


def action_data(action: str, fields: dict[str, str] | None = None) -> dict[str, str]:
    """The body of a participant action's POST: the action's name and its form's fields."""
    return {"action": action, **(fields or {})}


def table_path(conference_sid: str, version: int | None = None) -> str:
    return f"/conferences/{conference_sid}/participants/" + ("" if version is None else f"?version={version}")


# --- statistics and output ---------------------------------------------------------------------


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def p99(values) -> float:
    """Nearest-rank 99th percentile (the maximum when there are fewer than 100 samples)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-99 * len(ordered) // 100))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def machine() -> str:
    import django

    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, Django {django.get_version()}, "
        f"{platform.system()} {platform.release()}, load avg {load:.2f} at start"
    )


@dataclass
class Goal:
    number: int
    name: str
    goal: str
    figure: str
    met: bool | None  # None: reported, no pass/fail
    command: str


@dataclass
class Report:
    number: int
    title: str
    command: str
    notes: list[str] = field(default_factory=list)
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)

    def table(self, header: list[str], rows: list[list]) -> None:
        self.tables.append((header, [[str(cell) for cell in row] for row in rows]))

    def goal(self, name: str, goal: str, figure: str, met: bool | None) -> None:
        self.goals.append(Goal(self.number, name, goal, figure, met, self.command))

    def markdown(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = [f"### {self.number}. {self.title} ({stamp})", "", f"`{self.command}`  ", f"Machine: {machine()}", ""]
        lines += [f"- {note}" for note in self.notes]
        if self.notes:
            lines.append("")
        for header, rows in self.tables:
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(row) + " |" for row in rows]
            lines.append("")
        for goal in self.goals:
            lines.append(f"- Goal {goal.name}: {goal.goal} → **{goal.figure}** ({_met(goal.met)})")
        lines.append("")
        return "\n".join(lines)

    def print(self) -> None:
        print(f"\n== {self.number}. {self.title}")
        for note in self.notes:
            print(f"  {note}")
        for header, rows in self.tables:
            widths = [
                max(len(header[i]), *(len(row[i]) for row in rows)) if rows else len(header[i])
                for i in range(len(header))
            ]
            print("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
            for row in rows:
                print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        for goal in self.goals:
            print(f"  goal {goal.name}: {goal.goal} -> {goal.figure} ({_met(goal.met)})")

    def publish(self, append: bool = True) -> None:
        self.print()
        if append:
            append_run(self.markdown())


def _met(met: bool | None) -> str:
    return "reported" if met is None else ("met" if met else "NOT met")


RAW_HEADING = "## Raw runs (appended by the benchmarks)"


def append_run(text: str) -> None:
    PERFORMANCE_MD.parent.mkdir(exist_ok=True)
    if not PERFORMANCE_MD.exists():
        PERFORMANCE_MD.write_text(f"# Performance\n\n{RAW_HEADING}\n\n")
    with open(PERFORMANCE_MD, "a") as out:
        out.write(text + "\n")


def bounded(seconds: float, count: int):
    """Yield 0, 1, ... until `count` iterations or `seconds` have passed, whichever first."""
    deadline = time.monotonic() + seconds
    for index in range(count):
        if time.monotonic() > deadline:
            return
        yield index


def standard_args(description: str):
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="fewer runs, shorter windows (for development and the smoke test)"
    )
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to docs/PERFORMANCE.md")
    parser.add_argument(
        "--latency", type=int, nargs="*", default=None, help="simulated upstream latencies in ms (default 0 100)"
    )
    return parser


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (Linux /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found
