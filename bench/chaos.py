"""A chaos run: the dashboard's own infrastructure fails once while supervisors work.

    .venv/bin/python bench/chaos.py --fault postgres --supervisors 8 --seconds 40

Starts everything it needs itself, on free loopback ports, and stops it all at the end:
a private PostgreSQL (initdb + pg_ctl from /usr/lib/postgresql/*/bin, in a temporary
directory), a private Redis (redis-server, no persistence: a restart empties it), the
simulator, and the dashboard under gunicorn on the production profile. Never the machine's
shared PostgreSQL or Redis.

N supervisors (Leads, each with its own session) poll their conference's table every 2 s as
the page does (`?version=V`, `HX-Request: true`) and act on a row every 3-5 s (mute, unmute,
hold, resume), for `--seconds`. One fault per run, `--fault-at` seconds in, for `--fault-for`
seconds:

- `postgres`: PostgreSQL stopped (fast: every connection cut), then started again;
- `redis`: Redis stopped, then started again (empty);
- `redis-restart`: Redis stopped and started again at once (empty);
- `twilio`: Twilio (the simulator, behind a relay the script controls) stops answering: its
  port refuses connections and every open one is cut; then it is back on the same port.

Measures, with the goals every run must meet:
- actions applied at Twilio without an audit record: the simulator's applied participant
  updates (2xx) against the audit records for that participant and action (goal 0);
- responses with status 500 (goal 0);
- sign-outs: answers that send a supervisor to the login page (goal 0);
- recovery: from the service being back until the last failed answer (a 5xx, no answer, or an
  action that could not be done) of a request started after it (goal <= 5 s).

Bounded in supervisors (<= 20), time (<= 120 s) and requests; exit status 1 if a goal is missed.
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

FAULTS = ("postgres", "redis", "redis-restart", "twilio")
ACTIONS = {
    "mute": {"Muted": "true"},
    "unmute": {"Muted": "false"},
    "hold": {"Hold": "true"},
    "resume": {"Hold": "false"},
}
ROW_RE = re.compile(r'id="participant-(CA[0-9a-f]{32})"')
CALL_SID_RE = re.compile(r"/Participants/(CA[0-9a-f]{32})\.json$")
POLL_SECONDS = 2.0
ACTION_SECONDS = (3.0, 5.0)
REQUEST_TIMEOUT = 15.0
RECOVERY_GOAL = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


# --- private services ----------------------------------------------------------------------


def postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise SystemExit(f"{name} not found under /usr/lib/postgresql/*/bin")
    return found[-1]


class PrivatePostgres:
    """A throw-away cluster in a temporary directory, on a free port, trust auth on loopback."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="chaos-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        # initdb and postgres refuse to run as root: run them as the postgres account then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        self.running = False

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> None:
        self._run(postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(
            postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-o", options, "start"
        )
        self.running = True

    def stop(self) -> None:
        # Fast: every open connection is cut, as a crash or a failover does to the dashboard's pool.
        self._run(postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.running = False

    def destroy(self) -> None:
        if self.running:
            try:
                self.stop()
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


class TwilioDoor:
    """A TCP relay between the dashboard and the simulator, so "Twilio stops" means what it
    does on the network: the port refuses connections and every open one is cut (the
    simulator's own server would keep serving the keep-alive connections it already has)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        with self.lock:
            for sock in self.open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: stopped
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open.update((client, upstream))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self.lock:
                self.open.discard(source)
            source.close()


# --- the load --------------------------------------------------------------------------------


@dataclass
class Answer:
    kind: str  # poll | action
    started: float  # seconds since the run began
    ended: float
    status: int  # 0: no answer
    failed: bool
    signed_out: bool
    note: str = ""


@dataclass
class Run:
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)


def signed_out(response) -> bool:
    location = response.headers.get("HX-Redirect", "") or (
        response.headers.get("Location", "") if response.status_code in (301, 302) else ""
    )
    return "/login/" in location


def supervisor_loop(
    base_url: str, login, conference_sid: str, run: Run, began: float, deadline: float, seed: int
) -> None:
    import common
    import requests

    rng = random.Random(seed)
    session = requests.Session()
    version: int | None = None
    rows: list[str] = []
    held: set[str] = set()
    next_poll = time.monotonic() + rng.uniform(0, POLL_SECONDS)
    next_action = time.monotonic() + rng.uniform(*ACTION_SECONDS)
    for _ in range(int((deadline - began) / 0.5) + 10):  # bounded, whatever happens
        now = time.monotonic()
        if now >= deadline:
            break
        due = min(next_poll, next_action)
        if due > now:
            time.sleep(min(due, deadline) - now)
            continue
        started = time.monotonic()
        if next_poll <= next_action:
            kind = "poll"
            next_poll += POLL_SECONDS
            method, url, headers = "GET", f"{base_url}{common.table_path(conference_sid, version)}", login.headers()
        else:
            kind = "action"
            next_action += rng.uniform(*ACTION_SECONDS)
            if not rows:
                continue
            call_sid = rng.choice(rows)
            action = rng.choice(["resume" if call_sid in held else "hold", "mute", "unmute"])
            method, url = "POST", f"{base_url}{common.action_path(conference_sid, call_sid)}"
            headers = login.headers(post=True)
        try:
            response = session.request(
                method,
                url,
                data=common.action_data(action) if kind == "action" else None,
                headers=headers,
                timeout=REQUEST_TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            ended = time.monotonic()
            run.add(Answer(kind, started - began, ended - began, 0, True, False, type(error).__name__))
            continue
        ended = time.monotonic()
        out = signed_out(response)
        failed = out or response.status_code >= 500
        note = ""
        if kind == "poll" and response.status_code in (200, 286):
            version = int(response.headers.get("X-Roster-Version", version or 0))
            found = ROW_RE.findall(response.text)
            if found and response.text.count("participant-rows") > 0:
                rows = sorted(set(found))  # the whole table
            elif found:
                rows = sorted(set(rows) | set(found))
        if kind == "action" and response.status_code == 200 and "HX-Retarget" in response.headers:
            failed, note = True, re.sub(r"<[^>]+>", "", response.text).strip()[:120]  # an inline error note
        if kind == "action" and response.status_code == 200 and not failed:
            if action == "hold":
                held.add(call_sid)
            elif action == "resume":
                held.discard(call_sid)
        run.add(Answer(kind, started - began, ended - began, response.status_code, failed, out, note))
    session.close()


# --- the run -----------------------------------------------------------------------------------


def applied_updates(simulator) -> Counter:
    """(call SID, action) of every participant update the simulator applied (answered 2xx)."""
    applied: Counter = Counter()
    for record in simulator.request_log:
        if record.operation != "UpdateParticipant" or not 200 <= record.status < 300:
            continue
        match = CALL_SID_RE.search(record.path)
        params = {key: values[-1] for key, values in record.params.items()}
        for action, sent in ACTIONS.items():
            if match and all(params.get(key) == value for key, value in sent.items()):
                applied[(match.group(1), action)] += 1
    return applied


def audited_attempts() -> Counter:
    from conference_admin.audit.models import AuditRecord

    records = AuditRecord.objects.filter(action__in=list(ACTIONS), resolves__isnull=True)
    return Counter((sid, action) for sid, action in records.values_list("participant_sid", "action"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fault", choices=FAULTS, required=True)
    parser.add_argument("--supervisors", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--fault-at", type=float, default=12)
    parser.add_argument("--fault-for", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    if not 1 <= args.supervisors <= 20 or not 10 <= args.seconds <= 120:
        parser.error("--supervisors 1..20, --seconds 10..120")
    if args.fault_at + args.fault_for >= args.seconds - 5:
        parser.error("the fault must end at least 5 s before the run does")

    postgres, redis = PrivatePostgres(), PrivateRedis()
    sim = None
    door: TwilioDoor | None = None
    try:
        postgres.init()
        postgres.start()
        redis.start()
        os.environ["BENCH_PG"] = postgres.url
        os.environ["BENCH_REDIS_URL"] = redis.url
        os.environ["BENCH_DB"] = "conference_admin_chaos"
        import common

        common.setup_django()
        from django.db import connection

        sim = common.start_sim()
        conferences = [sim.conference(f"Chaos room {n}", 6)[0] for n in range(max(1, args.supervisors // 2))]
        logins = [common.login(common.supervisor(f"chaos-{n}")) for n in range(args.supervisors)]
        connection.close()  # the bench process holds no connection across the fault
        door = TwilioDoor(sim.server.port)
        door.start()
        # The dashboard reaches Twilio through the relay (common.dashboard reads only `base_url`).
        behind_door = SimpleNamespace(base_url=door.base_url)
        with common.dashboard(behind_door, workers=args.workers, threads=args.threads) as dashboard:
            run = Run()
            began = time.monotonic()
            deadline = began + args.seconds
            threads = [
                threading.Thread(
                    target=supervisor_loop,
                    args=(
                        dashboard.base_url,
                        login,
                        conferences[n % len(conferences)],
                        run,
                        began,
                        deadline,
                        args.seed + n,
                    ),
                    daemon=True,
                )
                for n, login in enumerate(logins)
            ]
            for thread in threads:
                thread.start()
            time.sleep(max(0.0, began + args.fault_at - time.monotonic()))
            fault_started = time.monotonic() - began
            if args.fault == "postgres":
                postgres.stop()
            elif args.fault in ("redis", "redis-restart"):
                redis.stop()
            else:
                door.stop()
            if args.fault != "redis-restart":
                time.sleep(args.fault_for)
            if args.fault == "postgres":
                postgres.start()
            elif args.fault in ("redis", "redis-restart"):
                redis.start()
            else:
                door.start()
            restored = time.monotonic() - began
            for thread in threads:
                thread.join(timeout=max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT + 5)

        applied = applied_updates(sim.simulator)
        audited = audited_attempts()
        unaudited = sum(max(0, count - audited[key]) for key, count in applied.items())
        answers = run.answers
        server_errors = sum(1 for a in answers if a.status == 500)
        sign_outs = sum(1 for a in answers if a.signed_out)
        late_failures = [a for a in answers if a.failed and a.started >= restored]
        recovery = max((a.ended - restored for a in late_failures), default=0.0)
        during = [a for a in answers if fault_started <= a.started < restored]
        statuses = Counter(a.status for a in answers)
        notes = Counter(a.note for a in answers if a.note)

        print(f"fault: {args.fault} at {fault_started:.1f} s, service back at {restored:.1f} s")
        print(f"supervisors {args.supervisors}, {args.seconds:.0f} s, gunicorn {args.workers}x{args.threads}")
        print(
            f"answers: {len(answers)} (polls {sum(a.kind == 'poll' for a in answers)}, "
            f"actions {sum(a.kind == 'action' for a in answers)}); by status {dict(sorted(statuses.items()))}"
        )
        print(f"during the fault: {len(during)} answers, {sum(a.failed for a in during)} failed honestly")
        for note, count in notes.most_common(4):
            print(f"  {count} x {note}")
        failures = [a for a in answers if a.failed]
        if failures:
            print(
                f"failed answers: {len(failures)}, started {min(a.started for a in failures):.1f}-"
                f"{max(a.started for a in failures):.1f} s"
            )
        print(f"updates applied at Twilio: {sum(applied.values())}; audit records: {sum(audited.values())}")
        import redis as redis_client

        keys = redis_client.Redis.from_url(redis.url).dbsize()
        print(f"keys in Redis at the end: {keys} (the dashboard is using it again after any Redis fault)")
        goals = [
            ("actions applied at Twilio without an audit record", unaudited, unaudited == 0, "0"),
            ("responses with status 500", server_errors, server_errors == 0, "0"),
            ("sign-outs", sign_outs, sign_outs == 0, "0"),
            ("recovery (s)", f"{recovery:.1f}", recovery <= RECOVERY_GOAL, f"<= {RECOVERY_GOAL:g}"),
        ]
        for name, figure, met, goal in goals:
            print(f"{'ok  ' if met else 'MISS'} {name}: {figure} (goal {goal})")
        print(
            f"| {args.fault} | {unaudited} | {server_errors} | {sign_outs} | {recovery:.1f} s | "
            f"{len(answers)} | {sum(a.failed for a in during)} |"
        )
        return 0 if all(met for _, _, met, _ in goals) else 1
    finally:
        if door is not None:
            door.stop()
        if sim is not None:
            sim.stop()
        redis.stop()
        postgres.destroy()


if __name__ == "__main__":
    sys.exit(main())
