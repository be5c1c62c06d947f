"""The dashboard served by gunicorn in a child process, as in production (gunicorn.conf.py),
always stopped by the test that started it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from tests.faults.infrastructure import closed_port
from tests.processes import REPO, stop

GUNICORN = str(REPO / ".venv" / "bin" / "gunicorn")


class Dashboard:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.output = ""  # everything it printed, once stopped

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.base_url + path, timeout=10, **kwargs)


def _wait_for(port: int, process: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {process.communicate()[0]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not listen in time")


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 1) -> Iterator[Dashboard]:
    """gunicorn with `env` as its whole environment (plus its bind and worker count)."""
    port = closed_port()
    process = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "conference_admin.wsgi"],
        cwd=REPO,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    dashboard = Dashboard(process, port)
    try:
        _wait_for(port, process)
        yield dashboard
    finally:
        dashboard.output = stop(process, (signal.SIGTERM,), timeout=30)


def production() -> bool:
    return os.environ.get("DJANGO_PROFILE") == "production"
