"""Writers for the roster contention test: many quick read-modify-writes of one conference's
roster (joins, mutes, in-flight marks, leaves), from threads of this process or of others.

Run as a process: `python -m tests.live.roster_writers CF TAG THREADS ROUNDS TTL WAIT`
prints one JSON line: every write that reported success, by kind and call SID.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from functools import partial


def call_sid(tag: str, thread: int, n: int) -> str:
    return f"CA{int(tag):08x}{thread:08x}{n:016x}"


def _with_mark(call_sid: str, mark, snapshot) -> dict:
    return {call_sid: (*snapshot.marks.by_call.get(call_sid, ()), mark)}


def write_many(conference_sid: str, tag: str, thread: int, rounds: int) -> dict:
    """Join, mute and mark `rounds` participants, and let every third leave. Each write that
    raises `RosterBusy` (it wrote nothing, and said so) is tried again, and counted."""
    from conference_admin.live import roster
    from conference_admin.live.roster.model import InFlight
    from conference_admin.live.roster.store import RosterBusy

    done: dict = {"moved": 0, "busy": 0, "present": [], "left": [], "marked": {}}

    def until_written(write):
        while True:
            try:
                return write()
            except RosterBusy:
                done["busy"] += 1

    for n in range(rounds):
        sid = call_sid(tag, thread, n)
        token = f"{tag}-{thread}-{n}"
        mark = InFlight(token, f"writer{tag}", "mute", time.time())
        until_written(partial(roster.participant_joined, conference_sid, call_sid=sid, sequence=None, fields={}))
        muted = {"muted": True}
        until_written(partial(roster.participant_updated, conference_sid, call_sid=sid, sequence=None, fields=muted))
        until_written(partial(roster.marks_step, conference_sid, partial(_with_mark, sid, mark)))
        done["marked"][sid] = token
        done["moved"] += 3
        if n % 3 == 2:
            until_written(partial(roster.participant_left, conference_sid, call_sid=sid, sequence=None))
            done["moved"] += 1
            done["left"].append(sid)
        else:
            done["present"].append(sid)
    return done


def run_threads(conference_sid: str, tag: str, threads: int, rounds: int) -> list[dict]:
    results: list[dict] = [{} for _ in range(threads)]

    def work(index: int) -> None:
        results[index] = write_many(conference_sid, tag, index, rounds)

    workers = [threading.Thread(target=work, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def use_lock_times(ttl: float, wait: float) -> None:
    from conference_admin.live.roster import store

    store.LOCK_TTL, store.LOCK_WAIT = ttl, wait


def main(argv: list[str]) -> None:
    conference_sid, tag, threads, rounds, ttl, wait = argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference_admin.settings")
    import django

    django.setup()
    from conference_admin.live import identity

    use_lock_times(float(ttl), float(wait))
    with identity.deferred():  # who the callers are is not this test's concern: no FetchCall
        results = run_threads(conference_sid, tag, int(threads), int(rounds))
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
