"""The dashboard under the ASGI server (uvicorn) in a child process, for the push tests.

pytest-django's live server is WSGI, where event streams are not served (the page polls);
the push tests start `uvicorn conference_admin.asgi:application` on the test database (and,
on the production profile, the same Redis), always stopped in `finally`. In front of it a
small TCP proxy that can cut the event streams and refuse new ones, as a broken network or a
misconfigured proxy would, while pages and polls still pass.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from urllib.parse import quote

import requests
from django.db import connection

from ..processes import REPO, stop


def database_url() -> str:
    """The test database as the child reads it (DATABASE_URL)."""
    config = connection.settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    user = quote(config.get("USER") or "")
    password = f":{quote(config['PASSWORD'])}" if config.get("PASSWORD") else ""
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{config['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def uvicorn_server(env: dict[str, str], port: int) -> Iterator[str]:
    with uvicorn_process(env, port):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def uvicorn_process(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[str]]:
    """uvicorn serving on `port` once it answers; stopped (SIGINT) in `finally` unless the test
    already stopped it (a restart test sends SIGTERM itself)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "conference_admin.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--timeout-graceful-shutdown",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "DATABASE_URL": database_url(), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/login/", timeout=10).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still loading
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("uvicorn did not start:\n" + (process.stdout.read() if process.stdout else ""))
            time.sleep(0.2)
        yield process
    finally:
        output = stop(process, timeout=20)
        if "Traceback" in output:
            print(output)


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to the server; `cut()` drops the open event streams and
    `block(True)` refuses new ones (the connection closes without an answer)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.blocked = False
        self._lock = threading.Lock()
        self._events: dict[socket.socket, socket.socket] = {}  # client -> upstream, carrying a stream now
        self._all: set[socket.socket] = set()
        self._closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        with self._lock:
            self._all.update((client, upstream))
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        try:
            while data := client.recv(65536):
                if data.startswith(b"GET /events/"):
                    if self.blocked:
                        break
                    with self._lock:
                        self._events[client] = upstream
                elif data[:4] in (b"GET ", b"POST", b"HEAD"):
                    with self._lock:
                        self._events.pop(client, None)
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            self._close(client, upstream)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            self._close(target, source)

    def _close(self, *sockets: socket.socket) -> None:
        with self._lock:
            for sock in sockets:
                self._events.pop(sock, None)
                self._all.discard(sock)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def open_streams(self) -> int:
        with self._lock:
            return len(self._events)

    def block(self, blocked: bool) -> None:
        self.blocked = blocked

    def cut(self) -> None:
        with self._lock:
            streams = list(self._events.items())
        for client, upstream in streams:
            self._close(client, upstream)

    def close(self) -> None:
        self._closing = True
        self.listener.close()
        with self._lock:
            sockets = list(self._all)
        self._close(*sockets)
