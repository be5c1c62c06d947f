"""Faults of the dashboard's own infrastructure, injected at the boundary.

`database_down(...)`: a `connection.execute_wrapper` that raises `OperationalError` for the
statements it matches (every statement, or only writes to one table), as a PostgreSQL gone
away does. `cache_down()`: the default cache pointed at a closed port.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

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
