"""The benchmark suite still runs: benchmark 1 in its quickest form produces its figures.

No timing is asserted: only that the benchmark ran and reported numbers. It needs the
production-profile services (PostgreSQL and Redis on loopback), as the benchmarks do.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
sys.path.insert(0, "bench")
import bench_upstream_calls
report = bench_upstream_calls.run(quick=True, append=False)
print("RESULT " + json.dumps([[g.name, g.figure] for g in report.goals] + [[len(t[1])] for t in report.tables]))
"""


def _services_up() -> bool:
    try:
        import psycopg
        import redis

        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
        psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
        return True
    except Exception:
        return False


@pytest.mark.timeout(300)
def test_upstream_calls_benchmark_produces_numbers():
    if not _services_up():
        pytest.skip("the benchmarks need PostgreSQL and Redis on 127.0.0.1")
    # A separate interpreter: the benchmark configures Django on the production profile itself.
    env = {
        key: value
        for key, value in __import__("os").environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "TWILIO_"))
    }
    # Its own Redis db and database: a test run must never flush a benchmark running beside it.
    env.update(BENCH_REDIS_URL="redis://127.0.0.1:6379/12", BENCH_DB="conference_admin_bench_smoke")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=280
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    goals, tables = result[:-1], result[-1:]
    assert [name for name, _ in goals] == ["1a row actions and add", "1b open page", "1c unchanged refresh"]
    assert all(any(ch.isdigit() for ch in figure) for _, figure in goals)
    assert tables[0][0] == 17  # one row per measured request
