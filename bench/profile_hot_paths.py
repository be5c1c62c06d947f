"""Profile the hot paths with pyinstrument: the row action (mute/unmute) and the table refresh
(changed: one row; unchanged: 204), in-process through Django's full stack on the production
settings, against the simulator (0 ms latency). Writes text profiles to bench/profiles/.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)

OUT = Path(__file__).resolve().parent / "profiles"


def run(quick: bool = False, participants: int = 50) -> dict[str, str]:
    common.setup_django(ROSTER_POLL_INTERVAL_SECONDS="3600")
    from django.conf import settings
    from pyinstrument import Profiler

    settings.ROSTER_POLL_INTERVAL_SECONDS = 3600
    iterations = 30 if quick else 300
    sim = common.start_sim()
    outputs = {}
    try:
        common.clear_cache()
        client = common.test_client()
        cf, calls = sim.conference(f"Bench profile {participants}", participants)
        assert client.get(common.table_path(cf)).status_code == 200  # loads the roster
        assert client.post(common.action_path(cf, calls[1]), common.action_data("mute")).status_code == 200
        version = int(client.get(common.table_path(cf)).headers["X-Roster-Version"])
        state = {"muted": True}

        def action():
            state["muted"] = not state["muted"]
            client.post(common.action_path(cf, calls[2]), common.action_data("mute" if state["muted"] else "unmute"))

        paths = {
            "action": action,
            "refresh_changed": lambda: client.get(common.table_path(cf, version - 1)),
            "refresh_unchanged": lambda: client.get(common.table_path(cf, version)),
        }
        OUT.mkdir(exist_ok=True)
        for name, call in paths.items():
            if name == "refresh_unchanged":
                version = int(client.get(common.table_path(cf)).headers["X-Roster-Version"])
            for _ in range(10):
                call()
            profiler = Profiler(interval=0.0005)
            profiler.start()
            for _ in range(iterations):
                call()
            profiler.stop()
            text = profiler.output_text(unicode=False, color=False, show_all=False)
            (OUT / f"{name}.txt").write_text(text)
            outputs[name] = text
            print(f"\n===== {name} ({iterations} requests, {participants} participants) =====\n{text}")
    finally:
        sim.stop()
    return outputs


if __name__ == "__main__":
    args = common.standard_args(__doc__).parse_args()
    run(args.quick)
