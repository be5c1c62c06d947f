"""Fixtures for simulator tests: a manual clock, a seeded simulator, and a real HTTP server.

`api` is a requests session whose every response is checked against Twilio's spec, so each
HTTP test also proves response fidelity.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

import pytest
import requests

from conference_admin.simulator.engine import Credentials, ManualClock, Simulator
from conference_admin.simulator.server import SimulatorServer, start_simulator

from .spec import validate_response

ACCOUNT = "AC" + "5" * 32
TOKEN = "simulator-test-token"
API_KEY = "SK" + "6" * 32
API_SECRET = "simulator-test-key-secret"
OTHER_ACCOUNT = "AC" + "7" * 32
OTHER_TOKEN = "other-account-token"
CALLER = "+15005550006"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> Simulator:
    return Simulator(
        credentials=[Credentials(ACCOUNT, TOKEN, API_KEY, API_SECRET), Credentials(OTHER_ACCOUNT, OTHER_TOKEN)],
        clock=clock,
        seed=42,
    )


@pytest.fixture
def server(sim: Simulator) -> Iterator[SimulatorServer]:
    running = start_simulator(sim)
    try:
        yield running
    finally:
        running.stop()


class Api:
    """Thin helper over a requests session rooted at the account's API prefix."""

    def __init__(self, server: SimulatorServer, auth: tuple[str, str] = (ACCOUNT, TOKEN)) -> None:
        self.base_url = server.base_url
        self.prefix = f"/2010-04-01/Accounts/{ACCOUNT}"
        self.session = requests.Session()
        self.session.auth = auth
        self.session.hooks["response"].append(self._check_against_spec)
        self.checked = 0

    def _check_against_spec(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        path = unquote(urlsplit(response.url).path)
        if response.status_code >= 400 or path.startswith("/2010-04-01/"):
            validate_response(response.request.method or "", path, response.status_code, response.content)
            self.checked += 1

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else f"{self.prefix}/{path}")

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.session.get(self.url(path), **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, data: object = None, **kwargs: object) -> requests.Response:
        return self.session.post(self.url(path), data=data, **kwargs)  # type: ignore[arg-type]

    def delete(self, path: str, **kwargs: object) -> requests.Response:
        return self.session.delete(self.url(path), **kwargs)  # type: ignore[arg-type]

    def dial(self, conference: str, **params: object) -> dict:
        body = {"From": CALLER, "To": "+14155550100", **params}
        response = self.post(f"Conferences/{conference}/Participants.json", body)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def api(server: SimulatorServer) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.session.close()


class Received:
    """One HTTP request the callback receiver got."""

    def __init__(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.url = url  # as requested: base URL + path + query
        self.headers = headers
        self.body = body

    @property
    def form(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        source = self.body.decode() if self.method == "POST" else urlsplit(self.url).query
        return dict(parse_qsl(source, keep_blank_values=True))


class CallbackReceiver:
    """A tiny HTTP server standing in for the dashboard: records every request, answers `status`."""

    def __init__(self) -> None:
        import http.server
        import threading

        receiver = self
        self.requests: list[Received] = []
        self.status = 204
        self.delay = 0.0
        self.open_connections = 0  # kept-alive sockets the sender still holds open
        self.in_flight = 0  # requests being answered now
        self.most_in_flight = 0  # the most answered at once (the sender's threads send side by side)
        counting = threading.Lock()  # the server answers each connection on its own thread

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with counting:
                    receiver.open_connections += 1

            def finish(self) -> None:
                with counting:
                    receiver.open_connections -= 1
                super().finish()

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                import time

                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with counting:
                    receiver.in_flight += 1
                    receiver.most_in_flight = max(receiver.most_in_flight, receiver.in_flight)
                if receiver.delay:
                    time.sleep(receiver.delay)
                with counting:
                    receiver.in_flight -= 1
                    receiver.requests.append(
                        Received(self.command, receiver.base_url + self.path, dict(self.headers), body)
                    )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _handle

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def events(self) -> list[str]:
        return [r.form.get("StatusCallbackEvent") or r.form.get("CallStatus", "") for r in self.requests]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    running = CallbackReceiver()
    try:
        yield running
    finally:
        running.stop()
