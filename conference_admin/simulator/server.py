"""Serve a `Simulator` over real HTTP in a background thread (tests, benchmarks, runsimulator)."""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from typing import Any

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

from .engine import Simulator
from .handler import SimulatorWSGIHandler

logger = logging.getLogger(__name__)


class QuietRequestHandler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive handler without access logs, exposing the raw request target."""

    # Headers and body go out in separate writes; without TCP_NODELAY each keep-alive
    # request can stall ~40 ms on delayed ACKs, which would dominate benchmarks.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def get_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environ()
        environ["RAW_URI"] = self.path  # still percent-encoded: labels may contain %2F
        environ["simulator.reset_connection"] = self.reset_connection
        return environ

    def reset_connection(self) -> None:
        """Drop the connection with a TCP RST and no answer (the `reset`/`stall` faults)."""
        self.close_connection = True
        # SO_LINGER 0 makes close() send RST instead of FIN. Closing rfile first releases the
        # socket's last file reference, so the close is real now and no FIN goes out before it.
        # django-stubs declare `connection` a WSGIRequest; it is the client's socket.
        self.connection.setsockopt(  # type: ignore[attr-defined]
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        self.rfile.close()
        self.connection.close()


class SimulatorHTTPServer(ThreadedWSGIServer):
    request_queue_size = 128


class SimulatorServer:
    """A running simulator: `.base_url`, `.simulator`, `.stop()`; also a context manager."""

    def __init__(
        self,
        simulator: Simulator,
        host: str,
        port: int,
        tick_interval: float | None = None,
        activity_interval: float | None = None,
    ) -> None:
        self.simulator = simulator
        self._httpd = SimulatorHTTPServer((host, port), QuietRequestHandler)
        self._httpd.set_app(SimulatorWSGIHandler(simulator))
        bound_host, self.port = self._httpd.server_address[:2]
        # The bound address (getsockname) holds the host as a str; typeshed also allows the bytes one may bind with.
        self.host = bound_host.decode() if isinstance(bound_host, (bytes, bytearray)) else bound_host
        self.base_url = f"http://{self.host}:{self.port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name=f"simulator-{self.port}"
        )
        self._ticker = None
        if tick_interval or activity_interval:
            self._ticker = threading.Thread(
                target=self._tick_forever,
                args=(tick_interval, activity_interval),
                daemon=True,
                name=f"simulator-tick-{self.port}",
            )

    def start(self) -> SimulatorServer:
        self._thread.start()
        if self._ticker:
            self._ticker.start()
        return self

    def _tick_forever(self, tick_interval: float | None, activity_interval: float | None) -> None:
        # Applies dial-out transitions even when nobody calls the API (so their callbacks go
        # out on time), and steps the simulated activity when asked to.
        wait = min(interval for interval in (tick_interval, activity_interval) if interval)
        next_activity = time.monotonic() + (activity_interval or 0)
        while not self._stopping.wait(wait):
            try:
                self.simulator.tick()
                if activity_interval and time.monotonic() >= next_activity:
                    next_activity = time.monotonic() + activity_interval
                    self.simulator.simulate_activity()
            except Exception:  # the ticker must survive a bad step
                logger.exception("simulator tick failed")

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
        """Stop serving and ticking and close the socket; safe to call twice or before serving."""
        self._stopping.set()
        if self._thread.is_alive():
            self._httpd.shutdown()  # waits for serve_forever to return, so only when it runs
            self._thread.join(timeout=5)
        self._httpd.server_close()
        if self._ticker is not None and self._ticker.is_alive():
            self._ticker.join(timeout=5)

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
    activity_interval: float | None = None,
) -> SimulatorServer:
    """Serve `simulator` (default: one accepting the settings' credentials) on host:port (0 = any free port).

    `tick_interval` applies due transitions in the background; `activity_interval` (seconds,
    off by default) runs `simulator.simulate_activity()` that often.
    """
    return SimulatorServer(simulator or Simulator.from_settings(), host, port, tick_interval, activity_interval).start()


def build_server(
    simulator: Simulator,
    host: str,
    port: int,
    tick_interval: float | None = None,
    activity_interval: float | None = None,
) -> SimulatorServer:
    """A server not yet started, for foreground serving."""
    return SimulatorServer(simulator, host, port, tick_interval, activity_interval)
