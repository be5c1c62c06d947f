"""The soak run (bench/soak.py), shortened: 4 supervisors for 15 s, 10% of upstream requests
failing in mixed ways.

It runs as its own process, exactly as documented in docs/SOAK.md: a real threaded server on
loopback with its own SQLite file (the test database lives in memory with shared-cache table
locks, which concurrent writers from a real server would trip over: not what is under test).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def figure(report: str, name: str) -> int:
    return int(re.search(rf"{re.escape(name)}: (\d+)", report).group(1))


def test_short_soak():
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "soak.py"),
            "--supervisors",
            "4",
            "--minutes",
            "0.25",
            "--fault-rate",
            "0.1",
            "--refresh-interval",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = run.stdout
    print(report)
    assert run.returncode == 0, report + run.stderr[-3000:]
    assert "RESULT: PASS" in report
    assert figure(report, "responses with status 500") == 0
    assert figure(report, "audit mismatches") == 0
    assert figure(report, "roster mismatches") == 0
    assert figure(report, "actions attempted") > 20
    assert "(total 0)" not in report  # faults were injected
