"""6. Our client (`conference_admin.twilio.TwilioClient`) vs the official `twilio` SDK (9.13, test-only).

Same simulator, same run, interleaved (random order within each pair): fetch a participant,
list one page of 50 participants, update a participant (mute toggle). Then, in fresh
subprocesses (median of several): import time and resident memory after import + one fetch.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is put on sys.path above)

COMMAND = ".venv/bin/python bench/bench_client_vs_sdk.py"
PYTHON = str(common.VENV_BIN / "python")

IMPORTS = {
    "nothing (python -c pass)": "pass",
    "ours": "from conference_admin.twilio import TwilioClient",
    "twilio SDK": "from twilio.rest import Client",
}

# One process: import, one fetch, then report RSS (kB) from /proc.
MEMORY_SCRIPT = """
import sys, json
which, base, account, token, cf, ca = sys.argv[1:7]
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
before = rss()
if which == 'ours':
    from conference_admin.twilio import TwilioClient
    client = TwilioClient(account_sid=account, auth_token=token, base_url=base)
    after_import = rss()
    client.fetch_participant(cf, ca)
else:
    from twilio.rest import Client
    client = Client(account, token, account_sid=account, environment={})
    client.api.base_url = base
    after_import = rss()
    client.conferences(cf).participants(ca).fetch()
print(json.dumps({"start": before, "import": after_import, "call": rss()}))
"""


def sdk_client(sim: common.Sim):
    from twilio.rest import Client

    client = Client(common.ACCOUNT_SID, common.AUTH_TOKEN, account_sid=common.ACCOUNT_SID, environment={})
    client.api.base_url = sim.base_url  # as tests/simulator/test_sdk.py does
    return client


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def run(quick: bool = False, append: bool = True, latencies: list[int] | None = None) -> common.Report:
    common.setup_django()
    runs, warmup = (40, 5) if quick else (300, 30)
    subprocess_runs = 3 if quick else 9
    latencies = latencies if latencies is not None else [0]
    report = common.Report(6, "Our client vs the official twilio SDK", COMMAND + (" --quick" if quick else ""))
    sim = common.start_sim()
    rng = random.Random(6)
    try:
        cf, calls = sim.conference("Bench SDK", 60)
        ca_ours, ca_sdk = calls[1], calls[2]
        ours, sdk = common.twilio_client(sim), sdk_client(sim)
        muted = {"ours": False, "sdk": False}

        def ours_update():
            muted["ours"] = not muted["ours"]
            ours.update_participant(cf, ca_ours, muted=muted["ours"])

        def sdk_update():
            muted["sdk"] = not muted["sdk"]
            sdk.conferences(cf).participants(ca_sdk).update(muted=muted["sdk"])

        operations = {
            "fetch participant": (
                lambda: ours.fetch_participant(cf, ca_ours),
                lambda: sdk.conferences(cf).participants(ca_ours).fetch(),
            ),
            "list 1 page of 50": (
                lambda: ours.page_participants(cf, page_size=50).records,
                lambda: list(sdk.conferences(cf).participants.page(page_size=50)),
            ),
            "update participant": (ours_update, sdk_update),
        }
        assert len(ours.page_participants(cf, page_size=50).records) == 50
        assert len(list(sdk.conferences(cf).participants.page(page_size=50))) == 50
        rows = []
        for latency in latencies:
            sim.set_latency(latency)
            for name, (mine, theirs) in operations.items():
                mine_times, their_times = [], []
                for index in range(warmup + runs):
                    if rng.random() < 0.5:
                        a, b = _timed(mine), _timed(theirs)
                    else:
                        b, a = _timed(theirs), _timed(mine)
                    if index >= warmup:
                        mine_times.append(a)
                        their_times.append(b)
                ratio = common.median(mine_times) / common.median(their_times)
                rows.append(
                    [
                        latency,
                        name,
                        runs,
                        common.ms(common.median(mine_times)),
                        common.ms(common.p99(mine_times)),
                        common.ms(common.median(their_times)),
                        common.ms(common.p99(their_times)),
                        f"{ratio:.2f}",
                    ]
                )
                report.goal(
                    f"6 {name} @{latency} ms", "ours no slower: ratio ours/SDK <= 1.0", f"{ratio:.2f}", ratio <= 1.0
                )
        sim.set_latency(0)
        report.table(
            [
                "upstream latency ms",
                "operation",
                "pairs",
                "ours median ms",
                "ours p99 ms",
                "SDK median ms",
                "SDK p99 ms",
                "ratio ours/SDK",
            ],
            rows,
        )

        import_rows, import_medians = [], {}
        samples = {name: [] for name in IMPORTS}
        for _ in range(subprocess_runs):
            for name, code in IMPORTS.items():  # interleaved
                samples[name].append(
                    _timed(lambda code=code: subprocess.run([PYTHON, "-c", code], cwd=common.ROOT, check=True))
                )
        for name in IMPORTS:
            import_medians[name] = statistics.median(samples[name])
        baseline = import_medians["nothing (python -c pass)"]
        memory = {}
        for which in ("ours", "sdk"):
            readings = []
            for _ in range(max(3, subprocess_runs // 3)):
                out = subprocess.run(
                    [
                        PYTHON,
                        "-c",
                        MEMORY_SCRIPT,
                        which,
                        sim.base_url,
                        common.ACCOUNT_SID,
                        common.AUTH_TOKEN,
                        cf,
                        ca_ours,
                    ],
                    cwd=common.ROOT,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                readings.append(json.loads(out))
            memory[which] = {key: statistics.median(r[key] for r in readings) for key in ("start", "import", "call")}
        for name, label in (("ours", "ours"), ("twilio SDK", "sdk")):
            mem = memory[label]
            import_rows.append(
                [
                    name,
                    common.ms(import_medians[name]),
                    common.ms(import_medians[name] - baseline),
                    f"{mem['import'] / 1024:.1f}",
                    f"{mem['call'] / 1024:.1f}",
                    f"{(mem['call'] - mem['start']) / 1024:.1f}",
                ]
            )
        report.table(
            [
                "library",
                "process wall ms (median)",
                "import ms over bare python",
                "RSS after import MiB",
                "RSS after 1 call MiB",
                "RSS added MiB",
            ],
            import_rows,
        )
        ratio_import = (import_medians["ours"] - baseline) / (import_medians["twilio SDK"] - baseline)
        ratio_mem = (memory["ours"]["call"] - memory["ours"]["start"]) / (
            memory["sdk"]["call"] - memory["sdk"]["start"]
        )
        report.goal("6 import time", "ours no slower (ratio <= 1.0)", f"ratio {ratio_import:.2f}", ratio_import <= 1.0)
        report.goal(
            "6 memory", "ours no bigger (ratio <= 1.0)", f"ratio {ratio_mem:.2f} of RSS added", ratio_mem <= 1.0
        )
        report.notes.append(
            f"Call timings: {runs} interleaved pairs per operation after {warmup} warm-up, "
            "one keep-alive session each; "
            f"import and memory: {subprocess_runs} fresh interpreters each, interleaved (`.venv/bin/python -c ...`)."
        )
    finally:
        sim.stop()
    report.publish(append)
    return report


if __name__ == "__main__":
    args = common.standard_args(__doc__).parse_args()
    run(args.quick, not args.no_append, args.latency)
