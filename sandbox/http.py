"""A small HTTP layer on the standard library: requests, responses, routing and serving.

Standard library only, so the sandbox starts fast and adds nothing to install.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from sandbox.faults import Fault, FaultInjector, FaultKind


class BadRequest(Exception):
    """Raised by handlers for a body they cannot parse; apps turn it into their error shape."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise BadRequest(f"body is not JSON: {exc}") from None

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[-1] for key, values in parsed.items()}

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def bearer_token(self) -> str | None:
        value = self.headers.get("Authorization", "")
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # A body sent with Transfer-Encoding: chunked, produced as it is sent (a big file).
    stream: Iterator[bytes] | None = None

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        merged = {"Content-Type": "application/json;charset=UTF-8", **(headers or {})}
        return cls(status, json.dumps(payload).encode(), merged)

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status)


Handler = Callable[[Request], Response]


class Router:
    """Routes like `/services/data/v{version}/limits/` to handlers; `{name}` matches one segment."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(
            r"\{(\w+)\}",
            r"(?P<\1>[^/]+)",
            re.escape(pattern).replace(r"\{", "{").replace(r"\}", "}"),
        )
        self._routes.append((method.upper(), re.compile(f"^{regex}$"), handler))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for route_method, regex, handler in self._routes:
            found = regex.match(path)
            if found and route_method == method.upper():
                return handler, found.groupdict()
        return None


class PlatformApp(Protocol):
    """What a simulated platform provides to the server."""

    name: str
    lock: threading.RLock

    def handle(self, request: Request) -> Response: ...

    def fault_response(self, fault: Fault, request: Request) -> Response | None:
        """The platform's own answer for a platform-specific fault, or None if it has none."""
        ...


def _html_error(status: int) -> Response:
    page = f"<html><head><title>{status} Error</title></head><body><h1>{status}</h1></body></html>"
    return Response(status, page.encode(), {"Content-Type": "text/html"})


class PlatformServer:
    """Serves one PlatformApp over HTTP/1.1 on a background thread."""

    def __init__(self, app: PlatformApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.faults = FaultInjector()
        self.requests_served = 0
        self.responses_by_status: Counter[int] = Counter()  # e.g. [403]: calls refused
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> PlatformServer:
        # stop() waits out one poll, twice per sandbox and so per test: at 50 ms a poll that
        # was 50-100 ms idle per test; a wake-up every 10 ms costs next to no CPU.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def respond(self, request: Request) -> Response | Fault:
        """The response to send, or the transport-level fault to act out instead."""
        fault = self.faults.take(request.method, request.path)
        delay = self.faults.latency_ms + (
            fault.delay_ms if fault and fault.kind is FaultKind.LATENCY else 0
        )
        if delay:
            time.sleep(delay / 1000)
        if fault and fault.kind is FaultKind.APPLIED_LOST:
            with self.app.lock:
                self.app.handle(request)  # the change lands; its answer never leaves
            return fault
        if fault and fault.kind in (FaultKind.RESET, FaultKind.TIMEOUT, FaultKind.TRUNCATED_BODY):
            return fault
        if fault and fault.kind is FaultKind.HTML_ERROR:
            return _html_error(fault.status)
        if fault and fault.kind is FaultKind.MALFORMED_JSON:
            return Response(200, b'{"results": [ {"name": ', {"Content-Type": "application/json"})
        with self.app.lock:
            if fault and fault.kind is not FaultKind.LATENCY:
                special = self.app.fault_response(fault, request)
                if special is not None:
                    return special
            return self.app.handle(request)


def _make_handler(server: PlatformServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm
        # and the client's delayed ACK add about 40 ms to every keep-alive response.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests and the drill print what matters

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=split.path,
                query=parse_qs(split.query, keep_blank_values=True),
                headers=self.headers,
                body=body,
            )
            server.requests_served += 1
            outcome = server.respond(request)
            if isinstance(outcome, Fault):
                self._act_out(outcome, request)
                return
            server.responses_by_status[outcome.status] += 1
            self.send_response(outcome.status)
            for name, value in outcome.headers.items():
                self.send_header(name, value)
            if outcome.stream is not None:
                self._send_chunked(outcome.stream)
                return
            self.send_header("Content-Length", str(len(outcome.body)))
            self.end_headers()
            self.wfile.write(outcome.body)

        def _send_chunked(self, chunks: Iterator[bytes]) -> None:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in chunks:
                if chunk:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")

        def _act_out(self, fault: Fault, request: Request) -> None:
            if fault.kind in (FaultKind.TIMEOUT, FaultKind.APPLIED_LOST):
                time.sleep(fault.delay_ms / 1000)
            elif fault.kind is FaultKind.TRUNCATED_BODY:
                with server.app.lock:
                    real = server.app.handle(request)
                self.send_response(real.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(real.body) + 64))
                self.end_headers()
                self.wfile.write(real.body[: max(len(real.body) // 2, 1)])
                self.wfile.flush()
            # RESET (and the end of the others): abort the connection with a TCP RST.
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    return _Handler
