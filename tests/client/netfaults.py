"""Loopback network faults the emulator cannot play: refused ports, black holes, a broken IdP.

The emulator never faults its auth endpoints (docs/emulator.md, "Fault injection"), so the token
and discovery endpoints' transport failures are played here by a tiny stdlib HTTP server.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def refused_port() -> int:
    """A loopback port nobody listens on: bind, read the port, close."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextmanager
def black_hole() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # never accept(): connections complete and then hear nothing
        yield sock.getsockname()[1]
    # Closing the listener resets the queued connections, so blocked SDK threads end.


@dataclass
class IdpReply:
    """How the stub answers one path: a status, a body and its content type."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"


class StubIdp:
    """Host metadata 404, a discovery document, and a token endpoint answering ``token``."""

    def __init__(self, token: IdpReply, discovery: IdpReply | None = None) -> None:
        self.token = token
        self.discovery = discovery
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _reply(self, reply: IdpReply) -> None:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def do_GET(self) -> None:
                stub.requests.append(f"GET {self.path}")
                if "oauth-authorization-server" in self.path:
                    self._reply(stub.discovery or stub.discovery_document())
                else:
                    self._reply(IdpReply(404, b"{}"))

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                stub.requests.append(f"POST {self.path}")
                self._reply(stub.token)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def discovery_document(self) -> IdpReply:
        issuer = self.base_url
        doc = {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
        }
        return IdpReply(200, json.dumps(doc).encode())

    def __enter__(self) -> StubIdp:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
