"""A real webhook receiver for tests: an HTTP server in a thread on 127.0.0.1.

It records every request (headers lower-cased, raw body, arrival time) and answers with
the next status of ``statuses`` (the last one repeats).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> Receiver:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                k = len(outer.requests)
                outer.requests.append(Received(
                    {k.lower(): v for k, v in self.headers.items()}, body, time.time()))
                status = outer.statuses[min(k, len(outer.statuses) - 1)]
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def wait(self, n: int, timeout: float = 15.0) -> list[Received]:
        """Block until ``n`` requests arrived (or fail the test)."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < n:
            assert time.monotonic() < deadline, f"{len(self.requests)} of {n} webhook calls"
            time.sleep(0.02)
        return self.requests[:n]


def verify(secret: str, request: Received) -> bool:
    """Check a Standard Webhooks signature from first principles (not the service's code)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = (f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}."
              .encode() + request.body)
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest("v1," + expected, sig)
               for sig in request.headers["webhook-signature"].split())
