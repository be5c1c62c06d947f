"""A bounded soak run: N supervisors moderate live conferences while Twilio misbehaves.

    .venv/bin/python bench/soak.py --supervisors 20 --minutes 3 --fault-rate 0.1

Starts the simulator in-process (demo conferences, simulated activity) and the dashboard as a
real threaded WSGI server on loopback, with the real settings (default profile, a throw-away
SQLite database, the local-memory cache). N supervisors log in through the login form (CSRF and
all) and, each in its own thread, poll their conference's table as the page's script does
(`?version=`, `HX-Request: true`) and act on rows (mute, unmute, hold, resume, announce, kick,
add) while `--fault-rate` of upstream requests fail in mixed ways (5xx, 5xx after applying,
429, HTML pages, malformed JSON, stalls past the read timeout, TCP resets, latency).

Afterwards it prints, and checks:
- requests made, upstream requests, faults injected by kind;
- responses with status 500 (must be 0);
- audit records vs actions attempted: every attempt exactly one record, with the outcome the
  supervisor was shown (ok / failed / unknown); unknown ones resolved or left unknown;
- roster mismatches: after faults stop and one refresh interval passes, each open page's rows
  (present, muted, held) equal the simulator's state.

Loopback only; bounded in supervisors, time and requests; stops by itself. Exit status 1 if a
check fails. `run_soak()` is also used by tests/faults/test_soak.py against pytest's live server.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FAULT_KINDS = (
    {"kind": "error", "status": 503},
    {"kind": "error", "status": 500, "apply": True},
    {"kind": "rate_limit", "retry_after": 1},
    {"kind": "html", "status": 502},
    {"kind": "malformed_json"},
    {"kind": "stall", "apply": True},  # seconds: past the dashboard's read timeout
    {"kind": "reset"},
    {"kind": "latency", "latency_ms": 300},
)
ACTION_WEIGHTS = {"mute": 5, "unmute": 4, "hold": 3, "resume": 3, "announce": 2, "kick": 1, "add": 1}
ROW_RE = re.compile(r'<tr id="participant-(CA[0-9a-f]{32})"([^>]*)>(.*?)</tr>', re.S)
CONFERENCE_LINK_RE = re.compile(r'id="open-(CF[0-9a-f]{32})"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_RE = re.compile(r'id="roster-poller"[^>]*data-version="(\d+)"|data-version="(\d+)"[^>]*id="roster-poller"')
MAX_REQUESTS_PER_SUPERVISOR = 20_000


@dataclass
class Row:
    muted: bool
    hold: bool
    ends_conference: bool
    label: str


@dataclass
class Attempt:
    action: str
    call_sid: str
    outcome: str  # what the supervisor was shown: ok | failed | unknown
    status: int
    text: str


@dataclass
class Supervisor:
    """One logged-in browser tab: a session, the conference it watches, and its table's rows."""

    name: str
    base_url: str
    session: requests.Session = field(default_factory=requests.Session)
    conference: str = ""
    version: str = ""
    rows: dict[str, Row] = field(default_factory=dict)
    csrf: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    requests: int = 0
    errors: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        self.requests += 1
        kwargs.setdefault("timeout", 30)
        response = self.session.request(method, self.base_url + path, allow_redirects=False, **kwargs)
        self.statuses[response.status_code] += 1
        if response.status_code == 500:
            self.errors.append(f"500 on {method} {path}")
        return response

    def login(self, password: str) -> None:
        page = self.request("GET", "/login/")
        token = CSRF_RE.search(page.text).group(1)
        answer = self.request(
            "POST", "/login/", data={"username": self.name, "password": password, "csrfmiddlewaretoken": token}
        )
        if answer.status_code != 302:
            raise RuntimeError(f"{self.name} could not log in ({answer.status_code})")

    # --- the page --------------------------------------------------------------------------

    def open(self, conference: str) -> bool:
        page = self.request("GET", f"/conferences/{conference}/")
        if page.status_code != 200 or "roster-poller" not in page.text:
            return False
        self.conference = conference
        self.csrf = CSRF_RE.search(page.text).group(1)
        match = VERSION_RE.search(page.text)
        self.version = next(g for g in match.groups() if g) if match else ""
        self.rows = {}
        self.apply_rows(page.text)
        return True

    def apply_rows(self, html: str) -> None:
        """What htmx does with the rows in `html`: replace, add, or (gone/delete) remove."""
        for call_sid, attributes, inner in ROW_RE.findall(html):
            if "row--gone" in attributes or 'hx-swap-oob="delete"' in attributes or "data-gone" in attributes:
                self.rows.pop(call_sid, None)
                continue
            label = re.search(r'<span class="name">(.*?)</span>', inner)
            self.rows[call_sid] = Row(
                muted="chip--muted" in inner,
                hold="row--held" in attributes,
                ends_conference="Ends conference on exit" in inner,
                label=label.group(1) if label else "",
            )

    def poll(self) -> bool:
        """One refresh as the page's script makes it; False once the conference is over."""
        response = self.request(
            "GET",
            f"/conferences/{self.conference}/participants/",
            params={"version": self.version},
            headers={"HX-Request": "true"},
        )
        if response.status_code == 204:
            return True
        if 'id="participant-rows" hx-swap-oob="true"' in response.text:
            self.rows = {}
        self.apply_rows(response.text)
        self.version = response.headers.get("X-Roster-Version", self.version)
        return response.status_code == 200

    # --- acting ------------------------------------------------------------------------------

    def act(self, rng: random.Random, announce_url: str) -> None:
        action = rng.choices(list(ACTION_WEIGHTS), weights=list(ACTION_WEIGHTS.values()))[0]
        headers = {"HX-Request": "true", "X-CSRFToken": self.csrf}
        if action == "add":
            data = {
                "to": f"+1415555{rng.randrange(10000):04d}",
                "from_": "+15005550006",
                "csrfmiddlewaretoken": self.csrf,
            }
            if rng.random() < 0.5:
                data["label"] = f"customer:soak {self.name} {rng.randrange(10**6)}"
            response = self.request(
                "POST", f"/conferences/{self.conference}/participants/add/", data=data, headers=headers
            )
            self.attempts.append(Attempt("add", "", _add_outcome(response), response.status_code, _message(response)))
            if response.status_code == 200 and response.headers.get("HX-Retarget") != "#add-participant":
                self.apply_rows(response.text)
            return
        # Never kick whoever ends the conference for everyone: the soak would run out of calls.
        candidates = [
            sid
            for sid, row in self.rows.items()
            if not (action == "kick" and (row.ends_conference or not row.label.startswith("customer")))
        ]
        if not candidates:
            return
        call_sid = rng.choice(candidates)
        data = {"csrfmiddlewaretoken": self.csrf, "action": action}
        if action == "announce":
            data["choice"] = announce_url
        response = self.request(
            "POST", f"/conferences/{self.conference}/participants/{call_sid}/", data=data, headers=headers
        )
        if "confirm how to hold them" in response.headers.get("HX-Trigger", ""):
            return  # the page asked first (hold on someone who ends the conference): nothing was sent
        self.attempts.append(
            Attempt(action, call_sid, _action_outcome(response), response.status_code, _message(response))
        )
        if response.status_code == 200 and "HX-Retarget" not in response.headers:
            self.apply_rows(response.text)


def _message(response: requests.Response) -> str:
    return re.sub(r"<[^>]+>", " ", response.text)[:300] if response.status_code != 204 else ""


def _action_outcome(response: requests.Response) -> str:
    text = response.text
    if response.status_code != 200:
        return f"http-{response.status_code}"
    if "the outcome is unknown" in text:
        return "unknown"
    if "note--error" in text or "no longer in the conference" in text:
        return "failed"
    return "ok"


def _add_outcome(response: requests.Response) -> str:
    if response.status_code != 200:
        return f"http-{response.status_code}"
    if "the outcome is unknown" in response.text:
        return "unknown"
    if response.headers.get("HX-Retarget") == "#add-participant":
        return "failed"
    return "ok"


# --- the run ------------------------------------------------------------------------------------


@dataclass
class SoakResult:
    seconds: float
    supervisors: int
    requests: int
    upstream_requests: int
    faults: Counter
    statuses: Counter
    server_errors: list[str]
    attempts: int
    attempts_by_outcome: Counter
    audit_records: int
    audit_by_outcome: Counter
    unknown_resolved: int
    unknown_left: int
    audit_mismatches: list[str]
    roster_mismatches: list[str]

    @property
    def ok(self) -> bool:
        return not self.server_errors and not self.audit_mismatches and not self.roster_mismatches and self.attempts > 0

    def report(self) -> str:
        lines = [
            f"soak: {self.supervisors} supervisors for {self.seconds:.0f} s",
            f"  requests to the dashboard: {self.requests} (by status: {dict(sorted(self.statuses.items()))})",
            f"  upstream requests: {self.upstream_requests}",
            f"  faults injected by kind: {dict(sorted(self.faults.items()))} (total {sum(self.faults.values())})",
            f"  responses with status 500: {len(self.server_errors)}",
            f"  actions attempted: {self.attempts} {dict(sorted(self.attempts_by_outcome.items()))}",
            f"  audit records (attempts, not resolutions): {self.audit_records} "
            f"{dict(sorted(self.audit_by_outcome.items()))}",
            f"  unknown outcomes: {self.unknown_resolved} resolved by a re-read, {self.unknown_left} left unknown",
            f"  audit mismatches: {len(self.audit_mismatches)}",
            f"  roster mismatches: {len(self.roster_mismatches)}",
        ]
        lines += [f"    {m}" for m in (self.server_errors + self.audit_mismatches + self.roster_mismatches)[:20]]
        lines.append("  RESULT: " + ("PASS" if self.ok else "FAIL"))
        return "\n".join(lines)


def inject_faults(simulator, rate: float, *, stall_seconds: float) -> None:
    """Mixed faults on every operation, together firing for about `rate` of requests."""
    if rate <= 0:
        return
    each = 1 - (1 - rate) ** (1 / len(FAULT_KINDS))
    for spec in FAULT_KINDS:
        spec = dict(spec)
        if spec["kind"] == "stall":
            spec["seconds"] = stall_seconds
        simulator.faults.inject(fraction=each, **spec)


def create_supervisors(count: int, password: str) -> list[str]:
    from django.contrib.auth import get_user_model

    from conference_admin.access.roles import LEAD, assign_role

    names = []
    User = get_user_model()
    for index in range(count):
        name = f"soak-{index:02d}"
        user, _ = User.objects.get_or_create(username=name)
        user.set_password(password)
        user.save()
        assign_role(user, LEAD)
        names.append(name)
    return names


def run_soak(
    *,
    base_url: str,
    simulator,
    supervisors: int,
    seconds: float,
    fault_rate: float,
    refresh_interval: float,
    stall_seconds: float,
    seed: int = 1,
    password: str = "soak-password-not-secret-42",
    activity: bool = True,
) -> SoakResult:
    """Drive the dashboard at `base_url` (already pointed at `simulator`) and check the outcome."""
    from django.conf import settings

    from conference_admin.audit.models import AuditRecord

    names = create_supervisors(supervisors, password)
    started_at = time.monotonic()
    tabs = [Supervisor(name, base_url) for name in names]
    for tab in tabs:
        tab.login(password)
    listing = tabs[0].request("GET", "/")
    conferences = list(dict.fromkeys(CONFERENCE_LINK_RE.findall(listing.text)))
    if not conferences:
        raise RuntimeError(f"no live conference listed ({listing.status_code})")
    for index, tab in enumerate(tabs):
        if not tab.open(conferences[index % len(conferences)]):
            raise RuntimeError(f"{tab.name} could not open {tab.conference}")
    audit_before = AuditRecord.objects.values_list("id", flat=True).order_by("-id").first() or 0
    announce_url = settings.DASHBOARD_ANNOUNCEMENTS[0]["url"]

    simulator.reset_request_log()
    simulator.faults.clear()
    inject_faults(simulator, fault_rate, stall_seconds=stall_seconds)
    stop = threading.Event()
    deadline = time.monotonic() + seconds

    def activity_loop():
        rng = random.Random(seed)
        while not stop.wait(1.0 + rng.random()):
            simulator.simulate_activity()

    def supervise(tab: Supervisor, rng: random.Random):
        while time.monotonic() < deadline and tab.requests < MAX_REQUESTS_PER_SUPERVISOR:
            try:
                if rng.random() < 0.6:
                    if not tab.poll():
                        reopen(tab, rng)
                else:
                    tab.act(rng, announce_url)
            except requests.RequestException as exc:
                tab.errors.append(f"transport error: {exc}")
            time.sleep(rng.uniform(0.05, 0.3))

    def reopen(tab: Supervisor, rng: random.Random):
        listed = CONFERENCE_LINK_RE.findall(tab.request("GET", "/").text)
        for conference in rng.sample(listed, len(listed)):
            if tab.open(conference):
                return

    threads = [
        threading.Thread(target=supervise, args=(tab, random.Random(seed + i)), daemon=True)
        for i, tab in enumerate(tabs)
    ]
    ticker = threading.Thread(target=activity_loop, daemon=True)
    if activity:
        ticker.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    stop.set()
    if activity:
        ticker.join(5)
    faults = simulator.faults.counts()
    simulator.faults.clear()
    upstream_requests = len(simulator.request_log)

    # Every attempt exactly one audit record, with the outcome the supervisor was shown.
    audit_mismatches: list[str] = []
    audit_by_outcome: Counter = Counter()
    attempts_by_outcome: Counter = Counter()
    audit_records = unknown_resolved = unknown_left = 0
    for tab in tabs:
        records = list(
            AuditRecord.objects.filter(actor_username=tab.name, resolves__isnull=True, id__gt=audit_before).order_by(
                "id"
            )
        )
        audit_records += len(records)
        attempts_by_outcome.update(a.outcome for a in tab.attempts)
        if len(records) != len(tab.attempts):
            audit_mismatches.append(
                f"{tab.name}: {len(tab.attempts)} attempts, {len(records)} audit records; attempts "
                f"{[(a.action, a.outcome, a.call_sid[-4:]) for a in tab.attempts]}; records "
                f"{[(r.action, r.outcome, r.participant_sid[-4:], r.error_message[:40]) for r in records]}"
            )
        for attempt, record in zip(tab.attempts, records, strict=False):
            audit_by_outcome[record.outcome] += 1
            if (
                record.action != ("add" if attempt.action == "add" else attempt.action)
                or record.outcome != attempt.outcome
            ):
                audit_mismatches.append(
                    f"{tab.name}: {attempt.action} shown {attempt.outcome}, "
                    f"audited {record.action} {record.outcome}: {attempt.text[:160]!r}"
                )
            if record.outcome == "unknown":
                if record.resolutions.exists():
                    unknown_resolved += 1
                else:
                    unknown_left += 1

    # After one refresh interval without faults or activity, every open page shows the truth.
    time.sleep(refresh_interval + 0.5)
    roster_mismatches: list[str] = []
    for tab in tabs:
        if not tab.poll():
            continue  # the conference ended: the page says so and stops polling
        truth = {
            p.call_sid: (p.muted, p.hold)
            for p in simulator.list_participants(simulator.account_sid, tab.conference, {})
        }
        shown = {sid: (row.muted, row.hold) for sid, row in tab.rows.items()}
        if shown != truth:
            missing = set(truth) - set(shown)
            extra = set(shown) - set(truth)
            differ = {sid for sid in set(truth) & set(shown) if truth[sid] != shown[sid]}
            roster_mismatches.append(
                f"{tab.name} on {tab.conference}: missing {sorted(missing)}, extra {sorted(extra)}, "
                f"differ {sorted(differ)}"
            )

    statuses: Counter = Counter()
    for tab in tabs:
        statuses.update(tab.statuses)
    return SoakResult(
        seconds=time.monotonic() - started_at,
        supervisors=supervisors,
        requests=sum(tab.requests for tab in tabs),
        upstream_requests=upstream_requests,
        faults=Counter(faults),
        statuses=statuses,
        server_errors=[e for tab in tabs for e in tab.errors if e.startswith("500")],
        attempts=sum(len(tab.attempts) for tab in tabs),
        attempts_by_outcome=attempts_by_outcome,
        audit_records=audit_records,
        audit_by_outcome=audit_by_outcome,
        unknown_resolved=unknown_resolved,
        unknown_left=unknown_left,
        audit_mismatches=audit_mismatches,
        roster_mismatches=roster_mismatches,
    )


# --- standalone ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--supervisors", type=int, default=20, help="logged-in supervisors (1..100)")
    parser.add_argument("--minutes", type=float, default=3.0, help="how long they act (at most 30)")
    parser.add_argument("--fault-rate", type=float, default=0.1, help="share of upstream requests that fail (0..0.5)")
    parser.add_argument("--refresh-interval", type=int, default=2, help="ROSTER_POLL_INTERVAL_SECONDS for the run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not (1 <= args.supervisors <= 100 and 0 < args.minutes <= 30 and 0 <= args.fault_rate <= 0.5):
        parser.error("bounds: 1..100 supervisors, up to 30 minutes, fault rate 0..0.5")

    workdir = tempfile.mkdtemp(prefix="soak-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "conference_admin.settings"
    os.environ["DJANGO_PROFILE"] = "default"
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/soak.sqlite3"
    os.environ.pop("REDIS_URL", None)
    import secrets

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    from conference_admin.simulator.demo import load_demo
    from conference_admin.simulator.engine import Simulator
    from conference_admin.simulator.server import start_simulator

    token = secrets.token_hex(16)
    account = settings.TWILIO_ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = token
    settings.TWILIO_API_KEY_SID = settings.TWILIO_API_KEY_SECRET = ""
    settings.TWILIO_READ_TIMEOUT = 1.0
    settings.TWILIO_TOTAL_TIMEOUT = 4.0
    settings.ROSTER_POLL_INTERVAL_SECONDS = args.refresh_interval
    settings.PUBLIC_BASE_URL = ""
    settings.DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
    # Pages link hashed static names only after collectstatic; the soak fetches no static.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", interactive=False, verbosity=0)

    simulator = Simulator(account_sid=account, auth_token=token, seed=args.seed)
    load_demo(simulator)
    sim_server = start_simulator(simulator, tick_interval=0.5)
    settings.TWILIO_API_BASE_URL = sim_server.base_url

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    httpd = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=True)
    httpd.daemon_threads = True
    httpd.set_app(get_wsgi_application())
    serving = threading.Thread(target=httpd.serve_forever, daemon=True)
    serving.start()
    base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    print(f"simulator {sim_server.base_url}, dashboard {base_url}, database {workdir}/soak.sqlite3", flush=True)
    try:
        result = run_soak(
            base_url=base_url,
            simulator=simulator,
            supervisors=args.supervisors,
            seconds=args.minutes * 60,
            fault_rate=args.fault_rate,
            refresh_interval=args.refresh_interval,
            stall_seconds=settings.TWILIO_READ_TIMEOUT + 0.5,
            seed=args.seed,
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
        sim_server.stop()
    print(result.report(), flush=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
