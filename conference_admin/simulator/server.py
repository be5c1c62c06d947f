"""Serve a `Simulator` over real HTTP in a background thread (tests, benchmarks, runsimulator)."""

from __future__ import annotations

import threading
from typing import Any

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

from .engine import Simulator
from .handler import SimulatorWSGIHandler


class QuietRequestHandler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive handler without access logs, exposing the raw request target."""

    # Headers and body go out in separate writes; without TCP_NODELAY each keep-alive
    # request can stall ~40 ms on delayed ACKs, which would dominate benchmarks.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def get_environ(self) -> dict[str, str]:
        environ = super().get_environ()
        environ["RAW_URI"] = self.path  # still percent-encoded: labels may contain %2F
        return environ


class SimulatorHTTPServer(ThreadedWSGIServer):
    request_queue_size = 128


class SimulatorServer:
    """A running simulator: `.base_url`, `.simulator`, `.stop()`; also a context manager."""

    def __init__(self, simulator: Simulator, host: str, port: int, tick_interval: float | None = None) -> None:
        self.simulator = simulator
        self._httpd = SimulatorHTTPServer((host, port), QuietRequestHandler)
        self._httpd.set_app(SimulatorWSGIHandler(simulator))
        self.host, self.port = self._httpd.server_address[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name=f"simulator-{self.port}")
        self._ticker = None
        if tick_interval:
            self._ticker = threading.Thread(target=self._tick_forever, args=(tick_interval,), daemon=True, name=f"simulator-tick-{self.port}")

    def start(self) -> SimulatorServer:
        self._thread.start()
        if self._ticker:
            self._ticker.start()
        return self

    def _tick_forever(self, interval: float) -> None:
        # Applies dial-out transitions even when nobody calls the API (for future callbacks).
        while not self._stopping.wait(interval):
            self.simulator.tick()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (used by runsimulator)."""
        if self._ticker:
            self._ticker.start()
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._stopping.set()
            self._httpd.server_close()

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_simulator(
    simulator: Simulator | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    tick_interval: float | None = None,
) -> SimulatorServer:
    """Serve `simulator` (default: one accepting the settings' credentials) on host:port (0 = any free port)."""
    return SimulatorServer(simulator or Simulator.from_settings(), host, port, tick_interval).start()


def build_server(simulator: Simulator, host: str, port: int, tick_interval: float | None = None) -> SimulatorServer:
    """A server not yet started, for foreground serving."""
    return SimulatorServer(simulator, host, port, tick_interval)
