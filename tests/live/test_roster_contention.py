"""One conference's roster, written at once by several processes and threads while one holder
is paused past the lock's expiry: no update is lost (issue: a roster lock that holds).

Counter invariant: every write below moves the roster's version by exactly one, so the final
version equals the number of writes that reported success; and every one of them is still
visible (joined and muted, marked, or gone). A writer that could not have the lock raises
`RosterBusy` and is counted apart: it wrote nothing.

The lock's times are scaled down (TTL 1 s, wait 1.5 s, a 2.5 s pause) so the test is quick;
production's are 5 s, 6 s. On the production profile the writers are three other processes
(Redis's lock, shared by all) and threads of this one; on the embedded default, where every
process has its own memory, threads of this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings

from conference_admin.live import roster
from conference_admin.live.roster import store

from . import roster_writers

CONFERENCE = "CF" + "c0" * 16
TTL, WAIT, PAUSE = 1.0, 1.5, 2.5
PROCESSES, THREADS, ROUNDS = 3, 2, 5  # 30 participants from other processes, 4 writes or 3 each
SLOW_MARK = "written by the paused holder"
ROOT = Path(__file__).resolve().parents[2]


def _production() -> bool:
    return "Redis" in settings.CACHES["default"]["BACKEND"]


def _slow_holder(entered: threading.Event, result: dict) -> None:
    """One write that pauses past the lock's expiry on its first attempt (a stalled worker)."""
    attempts = []

    def change(current, version):
        attempts.append(version)
        if len(attempts) == 1:
            entered.set()
            time.sleep(PAUSE)
        current.last_error = SLOW_MARK
        return True

    try:
        store.mutate(CONFERENCE, change)
        result["moved"] = 1
    except store.RosterBusy:
        result["moved"] = 0
    result["attempts"] = len(attempts)


def _start_processes() -> list[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.live.roster_writers", CONFERENCE]
    return [
        subprocess.Popen(
            [*command, str(tag), str(THREADS), str(ROUNDS), str(TTL), str(WAIT)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in range(1, PROCESSES + 1)
    ]


def test_no_update_is_lost_while_a_holder_is_paused_past_the_lock_timeout(monkeypatch):
    monkeypatch.setattr(store, "LOCK_TTL", TTL)
    monkeypatch.setattr(store, "LOCK_WAIT", WAIT)
    entered, slow = threading.Event(), {}
    holder = threading.Thread(target=_slow_holder, args=(entered, slow))
    holder.start()
    processes: list[subprocess.Popen] = []
    try:
        assert entered.wait(10), "the paused holder never took the lock"
        if _production():
            processes = _start_processes()
        results = roster_writers.run_threads(CONFERENCE, "0", THREADS, ROUNDS)
        for process in processes:
            out, err = process.communicate(timeout=90)
            assert process.returncode == 0, err[-2000:]
            results += json.loads(out.strip().splitlines()[-1])
        holder.join(30)
        assert not holder.is_alive()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        holder.join(30)

    writes = sum(result["moved"] for result in results) + slow["moved"]
    expected = THREADS * ROUNDS * (1 + len(processes)) * 3 + THREADS * (1 + len(processes)) * (ROUNDS // 3)
    assert writes - slow["moved"] == expected  # every write was made (retried while busy)
    final, marks = roster.load(CONFERENCE), roster.load_marks(CONFERENCE)
    # The counter invariant: one version step per write that reported success.
    assert roster.current_version(CONFERENCE) == writes, (roster.current_version(CONFERENCE), writes)
    # ...and each of them is still visible.
    if _production():  # its lock expired while it slept: its first write was refused whole
        assert slow == {"moved": 1, "attempts": 2}
    else:  # a process's own lock does not expire: the waiters were refused (and said so) instead
        assert slow == {"moved": 1, "attempts": 1}
        assert sum(result["busy"] for result in results) >= 1
    assert final.last_error == SLOW_MARK
    for result in results:
        for sid in result["present"]:
            assert sid in final.entries and final.entries[sid].participant.muted, sid
        for sid in result["left"]:
            assert sid not in final.entries and sid in final.removed, sid
        for sid, token in result["marked"].items():
            assert token in {mark.token for mark in marks.by_call.get(sid, ())}, sid
