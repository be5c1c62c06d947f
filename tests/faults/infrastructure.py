"""Faults of the dashboard's own infrastructure, injected at the boundary.

`database_down(...)`: a `connection.execute_wrapper` that raises `OperationalError` for the
statements it matches (every statement, or only writes to one table), as a PostgreSQL gone
away does. `cache_down()`: the default cache pointed at a closed port. `PrivateRedis` and
`PrivatePostgres`: servers of the test's own on a free port, which it may stop and start.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import OperationalError, connection

AUDIT_WRITES = re.compile(r'^\s*(INSERT INTO|UPDATE)\s+"audit_auditrecord"', re.IGNORECASE)
AUDIT_SETTLING = re.compile(r'^\s*UPDATE\s+"audit_auditrecord"', re.IGNORECASE)
EVERYTHING = re.compile(r"")


class Refusals:
    def __init__(self) -> None:
        self.refused: list[str] = []


@contextmanager
def database_down(matching: re.Pattern[str] = EVERYTHING) -> Iterator[Refusals]:
    refusals = Refusals()

    def refuse(execute, sql, params, many, context):
        if matching.search(sql):
            refusals.refused.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield refusals


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def resilient_cache_at(port: int) -> dict:
    """CACHES for the production backend (Redis, local memory while it is down) at `port`."""
    return {
        "default": {
            "BACKEND": "conference_admin.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }


class PrivateRedis:
    """A redis-server of the test's own on a free port, no persistence (a restart empties it)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError(f"{name} not found under /usr/lib/postgresql/*/bin")
    return found[-1]


class PrivatePostgres:
    """A throw-away PostgreSQL cluster of the test's own (temporary directory, free port, trust
    auth on loopback), so a test can stop it without touching the machine's shared server."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="test-pg-"))
        self.data = self.dir / "data"
        self.port = closed_port()
        # initdb and postgres refuse to run as root: run them as the postgres account then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        self.running = False

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> None:
        self._run(_postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-o", options, "start"
        )
        self.running = True

    def stop(self) -> None:
        # Fast: every open connection is cut, as a crash or a failover does.
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.running = False

    def destroy(self) -> None:
        if self.running:
            try:
                self.stop()
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
