"""A tiny HTTP server that answers from a script, to test the client's transport rules."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class Reply:
    status: int = 200
    body: object = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0
    raw: bytes | None = None
    # Send only this many bytes of the body (Content-Length still announces all of it), then close.
    cut_after: int | None = None


@dataclass
class Seen:
    method: str
    path: str
    form: list[tuple[str, str]]
    headers: dict[str, str]


class ScriptedServer:
    def __init__(self) -> None:
        self.script: list[Reply] = []
        # The answer once the script is spent (None: an empty 200).
        self.otherwise: Reply | None = None
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                with server._lock:
                    server.seen.append(Seen(self.command, self.path, parse_qsl(body), dict(self.headers)))
                    reply = server.script.pop(0) if server.script else (server.otherwise or Reply(status=200, body={}))
                if reply.stall:
                    time.sleep(reply.stall)
                payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                if reply.status == 204:
                    payload = b""
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if reply.cut_after is not None:
                    self.wfile.write(payload[: reply.cut_after])
                    self.close_connection = True
                    return
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
