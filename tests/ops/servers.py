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


def shared_database_url() -> str:
    """DATABASE_URL of the test process's own (test) database, for a server started beside it."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def signed_in(dashboard: Dashboard, user, page_path: str) -> tuple[requests.Session, str]:
    """A requests session signed in as `user` on `dashboard` and the page's CSRF token."""
    import re

    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    browser = requests.Session()
    browser.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    page = browser.get(dashboard.base_url + page_path, timeout=10)
    assert page.status_code == 200, page.status_code
    # Production marks its cookies Secure; this plain-HTTP client sends them back regardless.
    browser.cookies.set(settings.CSRF_COOKIE_NAME, page.cookies[settings.CSRF_COOKIE_NAME])
    match = re.search(r'"x-csrftoken": "([^"]+)"', page.text)
    assert match is not None
    return browser, match.group(1)
