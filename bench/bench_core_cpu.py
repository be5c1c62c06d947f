"""CPU of the core paths per request, in-process on the production settings (Redis, PostgreSQL),
counted on the request's own thread only (`time.thread_time`), so the in-process simulator and
a loaded machine's other processes do not count: a row action, the same update made directly
with the Twilio client, an unchanged poll (204), a changed poll (1 row) and a 10-row table.

    .venv/bin/python bench/bench_core_cpu.py [--quick] [--before PATH]

`--before PATH`: also run this same script in another checkout (e.g. a `git worktree` of the
starting commit), alternating rounds, and print both side by side.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
import common  # noqa: E402  (bench/ is put on sys.path above)

KINDS = ("row action", "direct client update", "unchanged poll (204)", "changed poll (1 row)", "10-row table")


def _sample(run, repeat: int) -> tuple[float, float]:
    cpu, wall = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.thread_time()
        run()
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return statistics.median(cpu) * 1000, statistics.median(wall) * 1000


def measure(repeat: int) -> dict[str, tuple[float, float]]:
    common.setup_django(ROSTER_POLL_INTERVAL_SECONDS="3600")
    from django.conf import settings

    settings.ROSTER_POLL_INTERVAL_SECONDS = 3600  # no reconcile inside the measurement
    sim = common.start_sim()
    try:
        common.clear_cache()
        client = common.test_client()
        direct = common.twilio_client(sim)
        cf, calls = sim.conference("Bench core CPU", 10)
        assert client.get(common.table_path(cf)).status_code == 200
        state = {"muted": False}

        def action():
            state["muted"] = not state["muted"]
            name = "mute" if state["muted"] else "unmute"
            response = client.post(common.action_path(cf, calls[2]), common.action_data(name))
            assert response.status_code == 200, response.status_code

        def direct_update():
            state["muted"] = not state["muted"]
            direct.update_participant(cf, calls[2], muted=state["muted"])

        def version() -> int:
            return int(client.get(common.table_path(cf)).headers["X-Roster-Version"])

        for _ in range(5):
            action()
            direct_update()
        results = {"row action": _sample(action, repeat), "direct client update": _sample(direct_update, repeat)}
        action()
        current = version()
        unchanged = common.table_path(cf, current)
        for _ in range(5):
            assert client.get(unchanged).status_code == 204
        results["unchanged poll (204)"] = _sample(lambda: client.get(unchanged), repeat * 2)
        changed = common.table_path(cf, current - 1)
        results["changed poll (1 row)"] = _sample(lambda: client.get(changed), repeat)
        results["10-row table"] = _sample(lambda: client.get(common.table_path(cf)), repeat)
        return results
    finally:
        sim.stop()


def _other(path: Path, quick: bool) -> dict:
    target = path / "bench" / HERE.name
    shutil.copyfile(HERE, target)
    command = [str(path / ".venv" / "bin" / "python"), str(target), "--json", *(["--quick"] if quick else [])]
    out = subprocess.run(command, cwd=path, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _own(quick: bool) -> dict:
    command = [sys.executable, str(HERE), "--json", *(["--quick"] if quick else [])]
    out = subprocess.run(command, cwd=HERE.parent.parent, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = common.standard_args(__doc__)
    parser.add_argument("--json", action="store_true", help="measure once and print JSON (used by --before)")
    parser.add_argument("--before", type=Path, help="another checkout to measure alternately")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    repeat = 40 if args.quick else 200
    if args.json:
        print(json.dumps(measure(repeat)))
        return
    trees = {"before": (lambda: _other(args.before, args.quick))} if args.before else {}
    trees["after"] = lambda: _own(args.quick)
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, run in trees.items():
            runs[name].append(run())
    print(
        f"Core CPU per request (thread CPU ms / wall ms, median of {repeat} per round, best round); {common.machine()}"
    )
    header = f"{'request':28}" + "".join(f"{name + ' CPU':>12}{name + ' wall':>13}" for name in trees)
    print(header)
    for kind in KINDS:
        cells = ""
        for name in trees:
            cpu = min(r[kind][0] for r in runs[name])
            wall = min(r[kind][1] for r in runs[name])
            cells += f"{cpu:>12.2f}{wall:>13.2f}"
        print(f"{kind:28}{cells}")


if __name__ == "__main__":
    main()
