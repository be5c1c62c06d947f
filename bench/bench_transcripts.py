"""Live transcripts at scale: callback → line on screen, lines lost, CPU per callback (production profile).

The same two processes as bench_push.py share one Redis: gunicorn (process A) receives the
simulator's signed transcription callbacks and the supervisor's start/stop, uvicorn (process B)
serves the conference page and its event stream to Chromium. One room of ROOM participants;
the bench starts transcripts the way a supervisor does (POST to A: first one participant, then
"Transcribe everyone"), with partial results on as the dashboard asks. The simulator's calls
talk at WORD_SECONDS per word (SpeechTimings.word_seconds: one partial result per word, so about
2 callbacks per second per transcribed participant, about 100 per second at 50) and its clock
ticks every TICK seconds in the background.

1. Callback → line on screen, p50 / p95, at 1 and at ROOM transcribed participants: each
   transcription callback is timestamped (wall clock) when the simulator's sender starts its
   HTTP request; a MutationObserver in the page records `performance.timeOrigin +
   performance.now()` when a line's text arrives in the panel. A callback counts as shown when
   its line shows its text or a later result of the same utterance (the stream may send only the
   newest state of a line that changed twice in between). Also: the utterance's `Timestamp` (when
   the simulator's clock said it) → screen, and the sender's lag (said → sent).
2. Lines lost (goal 0): every final result the simulator sent must be a stored final
   `TranscriptLine` (same transcription, SequenceId and text) and a final line in the panel at
   the end (after the sender's queue is empty and the page has caught up with the cursor).
3. CPU per callback: process A's (gunicorn master + workers) and process B's CPU time over the
   window, divided by the transcription callbacks sent to A in it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_push  # noqa: E402  (bench/ is put on sys.path above)
import common  # noqa: E402

COMMAND = ".venv/bin/python bench/bench_transcripts.py"
NUMBER = 16
ROOM = "Transcripts bench room"
WORD_SECONDS = 0.5  # one partial result per word: 2 callbacks a second per transcribed call
PAUSE_SECONDS = WORD_SECONDS  # between two utterances: the calls keep talking at 2 results a second
TICK = 0.05  # the simulator's background clock
# A started call says its first word 1 s (SpeechTimings.first_after) plus up to 2 s (the engine's
# stagger) after the start: rate and CPU are measured from then on, when every call talks.
WARMUP = 3.0
# After the stop, the simulator's sender (one request at a time) may still hold a backlog.
FLUSH_SECONDS = 150.0
GOAL_P95 = 0.300

OBSERVE = """() => {
  window.__seen = [];
  const list = document.getElementById("transcript-lines");
  new MutationObserver((mutations) => {
    const at = performance.timeOrigin + performance.now();
    for (const mutation of mutations) {
      for (const node of mutation.addedNodes) {
        if (node.nodeType === 1 && node.matches("li.tline")) {
          const text = node.querySelector(".tline-text");
          window.__seen.push([node.id, text ? text.textContent : "", !node.classList.contains("tline--partial"), at]);
        }
      }
    }
  }).observe(list, {childList: true, subtree: true});
  window.__modes = [];
  const state = document.getElementById("push-state");
  const mode = () => window.__modes.push([state.getAttribute("data-mode"), performance.timeOrigin + performance.now()]);
  new MutationObserver(mode).observe(state, {attributes: true, attributeFilter: ["data-mode"], childList: true});
}"""
MODES = "() => (window.__modes || []).splice(0)"
TAKE_SEEN = "() => window.__seen ? window.__seen.splice(0) : null"
PANEL = """() => Array.from(document.querySelectorAll("#transcript-lines li.tline")).map((li) => [
  li.id, (li.querySelector(".tline-text") || {}).textContent || "", !li.classList.contains("tline--partial")])"""
PAGE_CURSOR = "() => parseInt(document.getElementById('transcript-panel').getAttribute('data-cursor') || '0', 10)"


# --- what the simulator sent ------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """One transcription callback as the simulator's sender sent it (wall clock, seconds)."""

    sent_at: float
    answered_at: float
    status: int | None
    params: dict[str, str]

    @property
    def event(self) -> str:
        return self.params.get("TranscriptionEvent", "")

    @property
    def sid(self) -> str:
        return self.params.get("TranscriptionSid", "")

    @property
    def sequence(self) -> int:
        return int(self.params.get("SequenceId", "0"))

    @property
    def final(self) -> bool:
        return self.params.get("Final") == "true"

    @property
    def text(self) -> str:
        return json.loads(self.params.get("TranscriptionData") or "{}").get("transcript", "")

    @property
    def said_at(self) -> float:
        return datetime.fromisoformat(self.params["Timestamp"].replace("Z", "+00:00")).timestamp()


def record_sends(sender) -> list[Sent]:
    """Timestamp every transcription callback the simulator's sender sends (its one thread)."""
    sent: list[Sent] = []
    lock = threading.Lock()
    send = sender._send  # the sender's one HTTP request per callback

    def timed(session, item):
        began = time.time()
        delivery = send(session, item)
        if item.kind == "transcription":
            with lock:
                sent.append(Sent(began, time.time(), delivery.status, dict(item.params)))
        return delivery

    sender._send = timed
    return sent


def take_seen(page, notes: list[str]) -> list[list]:
    """The lines the page's observer saw since the last call; a page that reloaded lost its
    observer (and what it saw): say so and observe again."""
    seen = page.evaluate(TAKE_SEEN)
    if seen is None:
        notes.append("the page reloaded: lines shown before that were not observed")
        page.evaluate(OBSERVE)
        return []
    return seen


# --- one phase: start, measure a window, stop, settle -----------------------------------------


@dataclass
class Phase:
    transcribed: int
    sent: list[Sent]
    seen: list[list]  # [li id, text, final, ms since the epoch]
    panel: list[list]  # [li id, text, final] at the end
    window: float
    callbacks_in_window: int
    cpu_a: float
    cpu_b: float
    settled: bool
    notes: list[str] = field(default_factory=list)

    @property
    def started(self) -> int:
        """Transcriptions the simulator reported started in this phase (the room's size, if all went well)."""
        return len({item.sid for item in self.sent if item.event == "transcription-started"})


def run_phase(
    *, sim, sent, page, a_url, login, conference_sid, start_path, stop_path, window, pids_a, pid_b, transcribed
):
    """Start transcripts (POST to A), measure `window` seconds, stop them, wait for the page to catch up."""
    import requests

    from conference_admin.live import transcripts as lines

    mark = len(sent)
    notes: list[str] = []
    take_seen(page, notes)
    answer = requests.post(a_url + start_path, headers=login.headers(post=True), timeout=120)
    answer.raise_for_status()
    seen: list[list] = []
    for _ in common.bounded(WARMUP + 1, int(WARMUP)):
        time.sleep(1)
        seen += take_seen(page, notes)  # latencies count from the start; rate and CPU from when all talk
    began = time.time()
    cpu_a, cpu_b = common.cpu_seconds(pids_a()), common.cpu_seconds([pid_b])
    for _ in common.bounded(window + 5, int(window) + 1):
        remaining = began + window - time.time()
        if remaining <= 0:
            break
        time.sleep(min(1.0, remaining))
        seen += take_seen(page, notes)  # keep the page's buffer small
    ended = time.time()
    cpu_a, cpu_b = common.cpu_seconds(pids_a()) - cpu_a, common.cpu_seconds([pid_b]) - cpu_b
    in_window = sum(1 for item in list(sent[mark:]) if began <= item.sent_at <= ended)
    answer = requests.post(a_url + stop_path, headers=login.headers(post=True), timeout=120)
    answer.raise_for_status()
    flushed = sim.simulator.callbacks.flush(timeout=FLUSH_SECONDS)
    settled = False
    for _ in common.bounded(20, 200):  # the page catches up with the conference's cursor
        if page.evaluate(PAGE_CURSOR) >= lines.current_cursor(conference_sid):
            settled = True
            break
        time.sleep(0.1)
    time.sleep(0.5)
    seen += take_seen(page, notes)
    modes = page.evaluate(MODES)
    if modes:
        notes.append(
            "the page's stream left push: "
            + ", ".join(f"{mode} at +{at / 1000 - began:.1f} s" for mode, at in modes[:6])
            + (" …" if len(modes) > 6 else "")
        )
    phase = Phase(
        transcribed=transcribed,
        sent=list(sent[mark:]),
        seen=seen,
        panel=page.evaluate(PANEL),
        window=ended - began,
        callbacks_in_window=in_window,
        cpu_a=cpu_a,
        cpu_b=cpu_b,
        settled=settled and flushed,
        notes=notes,
    )
    if not flushed:
        phase.notes.append(f"the simulator's sender still had callbacks queued after {FLUSH_SECONDS:g} s")
    if not settled:
        phase.notes.append("the page's transcript cursor never reached the conference's")
    return phase


# --- analysis ---------------------------------------------------------------------------------


@dataclass
class Figures:
    latencies: list[float]  # sent → screen, one per content callback shown
    said: list[float]  # said (simulator clock) → screen
    lag: list[float]  # said → sent (the simulator's ticker and sender queue)
    answer: list[float]  # A's answer time per callback
    content: int
    not_shown: int
    failed: int  # callbacks A did not answer 2xx
    finals: int
    stored: int
    shown: int
    stale: int  # stored finals whose line the panel still shows as it was before (a partial)
    rate: float  # callbacks per second sent to A in the window
    cpu_a_ms: float
    cpu_b_ms: float


def analyse(phase: Phase, conference_sid: str) -> Figures:
    from conference_admin.live.models import TranscriptLine

    content = sorted((s for s in phase.sent if s.event == "transcription-content"), key=lambda s: (s.sid, s.sequence))
    # Utterances: a transcription's results up to and including each final one.
    where: dict[tuple[str, int], tuple[int, int]] = {}  # (GT, SequenceId) → (utterance, position)
    utterances: list[list[Sent]] = []
    current: dict[str, int] = {}
    for item in content:
        if item.sid not in current:
            current[item.sid] = len(utterances)
            utterances.append([])
        index = current[item.sid]
        where[(item.sid, item.sequence)] = (index, len(utterances[index]))
        utterances[index].append(item)
        if item.final:
            del current[item.sid]
    rows = {
        row.pk: row
        for row in TranscriptLine.objects.filter(
            conference_sid=conference_sid, transcription_sid__in={item.sid for item in content}
        )
    }
    utterance_of_row = {
        pk: where[(row.transcription_sid, row.sequence)][0]
        for pk, row in rows.items()
        if (row.transcription_sid, row.sequence) in where
    }
    shown_at: dict[int, list[tuple[float, int]]] = defaultdict(list)  # utterance → [(seen at, position)]
    for element_id, text, _final, at in phase.seen:
        pk = int(element_id.removeprefix("line-")) if element_id.startswith("line-") else None
        if pk not in utterance_of_row:
            continue
        index = utterance_of_row[pk]
        position = next((i for i, item in enumerate(utterances[index]) if item.text == text), None)
        if position is not None:
            shown_at[index].append((at / 1000, position))
    latencies, said, not_shown = [], [], 0
    for index, results in enumerate(utterances):
        seen = sorted(shown_at[index])
        for position, item in enumerate(results):
            first = next((at for at, shown in seen if shown >= position), None)
            if first is None:
                not_shown += 1
                continue
            latencies.append(first - item.sent_at)
            said.append(first - item.said_at)
    finals = [item for item in content if item.final]
    stored_finals = {(row.transcription_sid, row.sequence): row for row in rows.values() if row.final}
    stored = [
        item for item in finals if (row := stored_finals.get((item.sid, item.sequence))) and row.text == item.text
    ]
    panel = {element_id: (text, final) for element_id, text, final in phase.panel}
    shown = [
        item for item in stored if panel.get(f"line-{stored_finals[(item.sid, item.sequence)].pk}") == (item.text, True)
    ]
    shown_keys = {(item.sid, item.sequence) for item in shown}
    stale = sum(
        1
        for item in stored
        if (item.sid, item.sequence) not in shown_keys
        and f"line-{stored_finals[(item.sid, item.sequence)].pk}" in panel
    )
    calls = max(phase.callbacks_in_window, 1)
    return Figures(
        latencies=latencies,
        said=said,
        lag=[item.sent_at - item.said_at for item in content],
        answer=[item.answered_at - item.sent_at for item in phase.sent],
        content=len(content),
        not_shown=not_shown,
        failed=sum(1 for item in phase.sent if item.status is None or not 200 <= item.status < 300),
        finals=len(finals),
        stored=len(stored),
        shown=len(shown),
        stale=stale,
        rate=phase.callbacks_in_window / phase.window if phase.window else 0.0,
        cpu_a_ms=phase.cpu_a / calls * 1000,
        cpu_b_ms=phase.cpu_b / calls * 1000,
    )


# --- the run ----------------------------------------------------------------------------------


def open_page(browser, b_url: str, login, conference_sid: str):
    from django.conf import settings

    context = browser.new_context(base_url=b_url, bypass_csp=True)  # the probes evaluate
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": login.session, "url": b_url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"/conferences/{conference_sid}/")
    page.on("framenavigated", lambda frame: frame == page.main_frame and errors.append(f"navigated to {frame.url}"))
    page.wait_for_function("document.getElementById('push-state')?.textContent === 'live'", timeout=20_000)
    page.evaluate(OBSERVE)
    return context, page, errors


def run(
    quick: bool = False, append: bool = False, room: int | None = None, window: float | None = None
) -> common.Report:
    """`room` and `window` (seconds, both phases) override the sizes, for development."""
    common.setup_django()
    from django.urls import reverse
    from playwright.sync_api import sync_playwright

    from conference_admin.live.models import TranscriptLine
    from conference_admin.simulator.transcriptions import SpeechTimings

    room = room or (10 if quick else 50)
    windows = (window, window) if window else (8.0, 8.0) if quick else (30.0, 60.0)
    report = common.Report(NUMBER, "Live transcripts at scale", COMMAND + (" --quick" if quick else ""))
    sim = common.start_sim(tick_interval=TICK, speech=SpeechTimings(word_seconds=WORD_SECONDS, pause=PAUSE_SECONDS))
    sent = record_sends(sim.simulator.callbacks)
    try:
        common.clear_cache()
        login = common.login(common.supervisor())
        with bench_push.servers(sim) as (a_server, b_server):
            sim.simulator.callbacks.use_dashboard(a_server.base_url)
            conference_sid, call_sids = sim.conference(ROOM, room)
            # The simulator's SIDs repeat from run to run (seeded): forget an earlier run's lines,
            # or its rows would answer this run's callbacks as already delivered.
            TranscriptLine.objects.filter(conference_sid=conference_sid).delete()
            sim.simulator.callbacks.flush(timeout=30)

            def pids_a() -> list[int]:
                return [a_server.process.pid, *common.children(a_server.process.pid)]

            report.notes.append(
                f"A: {a_server.description}, the transcription callbacks and start/stop; B: {b_server.description}, "
                f"the page and its event stream (one Chromium page); Redis pub/sub between them. One room of {room}; "
                f"partial results on, one word every {WORD_SECONDS} s and {PAUSE_SECONDS} s between lines "
                f"(SpeechTimings), simulator clock ticks every "
                f"{TICK * 1000:.0f} ms; windows {windows[0]:g} s (1 transcribed) and {windows[1]:g} s ({room})."
            )
            report.notes.append(
                f"Load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; the simulator, "
                "Chromium, PostgreSQL and Redis share them with A and B."
            )
            phases: list[Phase] = []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
                )
                try:
                    context, page, console = open_page(browser, b_server.base_url, login, conference_sid)
                    one = call_sids[1]  # a customer
                    common_args = dict(
                        sim=sim,
                        sent=sent,
                        page=page,
                        a_url=a_server.base_url,
                        login=login,
                        conference_sid=conference_sid,
                        pids_a=pids_a,
                        pid_b=b_server.process.pid,
                    )
                    phases.append(
                        run_phase(
                            **common_args,
                            start_path=reverse("participant-transcript-start", args=[conference_sid, one]),
                            stop_path=reverse("participant-transcript-stop", args=[conference_sid, one]),
                            window=windows[0],
                            transcribed=1,
                        )
                    )
                    phases.append(
                        run_phase(
                            **common_args,
                            start_path=reverse("conference-transcript-start", args=[conference_sid]),
                            stop_path=reverse("conference-transcript-stop", args=[conference_sid]),
                            window=windows[1],
                            transcribed=room,
                        )
                    )
                    if console:
                        report.notes.append(f"Console errors on the page: {console[:3]}")
                    context.close()
                finally:
                    browser.close()
            publish(report, phases, conference_sid)
    finally:
        sim.simulator.callbacks.use_dashboard("")
        sim.stop()
    report.publish(append)
    return report


def p95(values: list[float]) -> float:
    return bench_push.p95(values)


def publish(report: common.Report, phases: list[Phase], conference_sid: str) -> None:
    rows, lost_rows, all_figures = [], [], []
    for phase in phases:
        figures = analyse(phase, conference_sid)
        all_figures.append((phase, figures))
        if phase.started != phase.transcribed:
            phase.notes.append(f"{phase.started} transcriptions started, not {phase.transcribed}")
        report.notes += [f"{phase.transcribed} transcribed: {note}" for note in phase.notes]
        rows.append(
            [
                phase.transcribed,
                f"{figures.rate:.1f}",
                figures.content,
                common.ms(common.median(figures.latencies)),
                common.ms(p95(figures.latencies)),
                common.ms(p95(figures.said)),
                common.ms(p95(figures.lag)),
                f"{common.ms(common.median(figures.answer))} / {common.ms(p95(figures.answer))}",
                f"{figures.cpu_a_ms:.2f}",
                f"{figures.cpu_b_ms:.2f}",
            ]
        )
        lost_rows.append(
            [
                phase.transcribed,
                figures.finals,
                figures.stored,
                figures.shown,
                figures.finals - figures.shown,
                figures.stale,
                figures.not_shown,
                figures.failed,
            ]
        )
    report.table(
        [
            "transcribed",
            "callbacks/s to A",
            "content callbacks",
            "sent→screen p50 ms",
            "sent→screen p95 ms",
            "said→screen p95 ms",
            "said→sent p95 ms",
            "A answers p50 / p95 ms",
            "A CPU ms/callback",
            "B CPU ms/callback",
        ],
        rows,
    )
    report.table(
        [
            "transcribed",
            "finals sent",
            "stored",
            "on the page",
            "lost",
            "of which shown stale",
            "callbacks never shown",
            "callbacks not 2xx",
        ],
        lost_rows,
    )
    for phase, figures in all_figures:
        report.goal(
            f"callback → line on screen at {phase.transcribed} transcribed, p95",
            "<= 300 ms",
            f"{common.ms(p95(figures.latencies))} ms (p50 {common.ms(common.median(figures.latencies))})",
            bool(figures.latencies) and p95(figures.latencies) <= GOAL_P95,
        )
    phase, figures = all_figures[-1]
    wanted = phase.transcribed / WORD_SECONDS  # one result per word while they talk
    report.goal(
        f"callbacks delivered to A at {phase.transcribed} transcribed",
        f"about {wanted:.0f}/s",
        f"{figures.rate:.1f}/s (said → sent p95 {common.ms(p95(figures.lag))} ms)",
        figures.rate >= 0.9 * wanted,
    )
    finals = sum(figures.finals for _, figures in all_figures)
    lost = sum(figures.finals - figures.shown for _, figures in all_figures)
    unstored = sum(figures.finals - figures.stored for _, figures in all_figures)
    report.goal(
        "final lines lost (stored and on the page)",
        "0",
        f"{lost} of {finals} ({unstored} not stored)",
        finals > 0 and lost == 0,
    )
    for phase, figures in all_figures:
        report.goal(
            f"CPU per callback at {phase.transcribed} transcribed (A / B)",
            "reported",
            f"{figures.cpu_a_ms:.2f} / {figures.cpu_b_ms:.2f} ms",
            None,
        )


if __name__ == "__main__":
    parser = common.standard_args(__doc__.splitlines()[0])
    parser.add_argument(
        "--append", action="store_true", help="append the run to docs/PERFORMANCE.md (default: print only)"
    )
    parser.add_argument("--room", type=int, help="participants in the room (default 50, 10 with --quick)")
    parser.add_argument(
        "--window", type=float, help="seconds measured in each phase (default 30 and 60, 8 with --quick)"
    )
    args = parser.parse_args()
    run(quick=args.quick, append=args.append and not args.no_append, room=args.room, window=args.window)
