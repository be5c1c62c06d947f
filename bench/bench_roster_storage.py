"""One pickled roster per conference, or one entry per participant (a Redis hash)? Measured
before choosing: the cost of one action's roster write (`store.mutate`: lock, read, write,
unlock) against Redis at 10, 50 and 250 participants, beside what a per-participant layout
would cost at best (one entry pickled and written, plus the small meta; lock and read as now).

    .venv/bin/python bench/bench_roster_storage.py [--quick]
"""

from __future__ import annotations

import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)


def _median_us(run, repeat: int) -> tuple[float, float]:
    """Median wall and CPU microseconds of `run()` (CPU: this process only, so a loaded
    machine inflates the wall figure, not the CPU one)."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall) * 1e6, statistics.median(cpu) * 1e6


def measure(count: int, repeat: int) -> str:
    from django.core.cache import caches

    from conference_admin.cache import exclusive
    from conference_admin.live import roster as rosters
    from conference_admin.twilio.resources import Participant

    sid = f"CF{count:032x}"
    participants = [
        Participant(call_sid=f"CA{n:032x}", conference_sid=sid, label=f"customer:{n}", status="connected")
        for n in range(count)
    ]
    rosters.reconcile(sid, participants, started_at=time.time())
    target = participants[0]
    flip = [False]

    def action():
        flip[0] = not flip[0]
        rosters.record_participant(sid, rosters.with_fields(target, muted=flip[0]))

    roster = rosters.load(sid)
    blob = pickle.dumps(roster, pickle.HIGHEST_PROTOCOL)
    entry = roster.entries[target.call_sid]

    def codec():
        pickle.loads(pickle.dumps(roster, pickle.HIGHEST_PROTOCOL))

    def per_entry():  # the best a hash layout could do for the write itself
        lock = rosters.key(sid, "lock")
        with exclusive(caches["default"], lock, ttl=rosters.store.LOCK_TTL, wait=rosters.store.LOCK_WAIT) as held:
            held.get_many([rosters.key(sid, "meta"), rosters.key(sid, "marks")])
            held.set_many(
                {f"{rosters.key(sid)}:{target.call_sid}": entry, rosters.key(sid, "meta"): rosters.meta_of(roster)},
                timeout=60,
            )

    figures = [_median_us(run, repeat) for run in (action, codec, per_entry)]
    cells = " ".join(f"{wall:>8.0f} / {cpu:<6.0f}" for wall, cpu in figures)
    return f"{count:>12} {len(blob):>10} {cells}"


def main() -> None:
    args = common.standard_args(__doc__).parse_args()
    repeat = 40 if args.quick else 200
    common.setup_django()
    common.clear_cache()
    print(f"Roster storage, Redis {common.REDIS}, median of {repeat}, wall / CPU us; {common.machine()}")
    print(
        f"{'participants':>12} {'blob bytes':>10} {'mutate (action)':>17}"
        f" {'pickle+unpickle':>17} {'per-entry write':>17}"
    )
    for count in (10, 50, 250):
        print(measure(count, repeat))


if __name__ == "__main__":
    main()
