"""A fault-injecting HTTP proxy in front of moto server, on 127.0.0.1.

The functions' boto3 clients talk to it (AWS_ENDPOINT_URL) over real HTTP; it forwards
each request to moto, or, at a seeded rate, answers in the service's own error format
instead, the way AWS answers under load:
- DynamoDB (JSON 1.0): 400 ThrottlingException / ProvisionedThroughputExceededException,
  500 InternalServerError, and for TransactWriteItems 400 TransactionCanceledException
  with a TransactionConflict reason (what a concurrent transaction on the item causes);
- SNS (query, XML): 400 Throttling, 500 InternalError;
- Secrets Manager (JSON 1.1): 500 InternalServiceError.
botocore's standard retry mode (the layer's config) retries throttling codes and 5xx; a
transaction conflict and a fault that outlasts the retries reach the layer.
It also counts every request per service, and the conditional failures moto itself
answered (a lost race between two writers), so the soak can report them.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_DYNAMODB_JSON = "application/x-amz-json-1.0"
_SECRETS_JSON = "application/x-amz-json-1.1"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


def _dynamodb_error(kind: str) -> tuple[int, str, bytes]:
    prefix = "com.amazonaws.dynamodb.v20120810#"
    if kind == "dynamodb_transaction_conflict":
        body = {
            "__type": f"{prefix}TransactionCanceledException",
            "message": "Transaction cancelled, please refer cancellation reasons for specific "
            "reasons [TransactionConflict]",
            "CancellationReasons": [
                {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
            ],
        }
        return 400, _DYNAMODB_JSON, json.dumps(body).encode()
    if kind == "dynamodb_internal_error":
        body = {"__type": f"{prefix}InternalServerError", "message": "Internal server error"}
        return 500, _DYNAMODB_JSON, json.dumps(body).encode()
    code = (
        "ProvisionedThroughputExceededException"
        if kind == "dynamodb_throughput"
        else "ThrottlingException"
    )
    body = {
        "__type": f"{prefix}{code}",
        "message": "Rate of requests exceeds the allowed throughput.",
    }
    return 400, _DYNAMODB_JSON, json.dumps(body).encode()


def _sns_error(kind: str) -> tuple[int, str, bytes]:
    status, kind_type, code, message = (
        (400, "Sender", "Throttling", "Rate exceeded")
        if kind == "sns_throttling"
        else (500, "Receiver", "InternalError", "Internal error")
    )
    body = (
        '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
        f"<Error><Type>{kind_type}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>soak</RequestId></ErrorResponse>"
    )
    return status, "text/xml", body.encode()


def _secrets_error() -> tuple[int, str, bytes]:
    body = {"__type": "InternalServiceError", "Message": "An error occurred on the server side."}
    return 500, _SECRETS_JSON, json.dumps(body).encode()


def service_of(headers: Any, body: bytes) -> tuple[str, str]:
    """(service, operation) of an AWS request, from its target header or query action."""
    target = headers.get("X-Amz-Target", "")
    if target.startswith("DynamoDB_"):
        return "dynamodb", target.split(".", 1)[1]
    if target.startswith("secretsmanager."):
        return "secretsmanager", target.split(".", 1)[1]
    if target:
        return target.split(".", 1)[0].lower(), target.split(".", 1)[-1]
    action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
    return ("sns", action) if action else ("other", "")


class FaultPlan:
    """Which requests fail: per service a rate, drawn from one seeded generator."""

    def __init__(self, seed: int, rate: float) -> None:
        self.random = random.Random(seed)
        self.rate = rate
        self.enabled = True
        self._lock = threading.Lock()

    def fault_for(self, service: str, operation: str) -> str | None:
        with self._lock:
            if not self.enabled or self.random.random() >= self.rate:
                return None
            if service == "dynamodb":
                kinds = ["dynamodb_throttling", "dynamodb_throughput", "dynamodb_internal_error"]
                if operation == "TransactWriteItems":
                    kinds.append("dynamodb_transaction_conflict")
                return self.random.choice(kinds)
            if service == "sns":
                return self.random.choice(["sns_throttling", "sns_internal_error"])
            if service == "secretsmanager":
                return "secretsmanager_internal_error"
            return None


class AwsFaultProxy:
    """Serves on 127.0.0.1; forwards to `upstream` (moto) unless the plan says fail."""

    def __init__(self, upstream: str, plan: FaultPlan) -> None:
        self.upstream = urlsplit(upstream)
        self.plan = plan
        self.requests: Counter[str] = Counter()  # service -> requests seen
        self.injected: Counter[str] = Counter()  # fault kind -> answers made up
        self.conditional_failures = 0  # moto's own ConditionalCheckFailed / TransactionCanceled
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> AwsFaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _count(self, service: str, fault: str | None, answer: bytes | None) -> None:
        with self._lock:
            self.requests[service] += 1
            if fault:
                self.injected[fault] += 1
            if answer and (
                b"ConditionalCheckFailedException" in answer
                or b"TransactionCanceledException" in answer
            ):
                self.conditional_failures += 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self
        local = threading.local()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without TCP_NODELAY each answer waits
            # for the client's delayed ACK (~40 ms).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the soak prints its own table

            def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
                connection = getattr(local, "connection", None)
                if connection is None:
                    connection = http.client.HTTPConnection(
                        proxy.upstream.hostname or "127.0.0.1", proxy.upstream.port, timeout=30
                    )
                    local.connection = connection
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    answer = connection.getresponse()
                except (OSError, http.client.HTTPException):
                    connection.close()  # a stale keep-alive connection: once more, fresh
                    connection.request(self.command, self.path, body=body, headers=headers)
                    answer = connection.getresponse()
                return answer.status, answer.getheaders(), answer.read()

            def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                service, operation = service_of(self.headers, body)
                fault = proxy.plan.fault_for(service, operation)
                if fault is None:
                    status, headers, answer = self._forward(body)
                    proxy._count(service, None, answer if status == 400 else None)
                    self._answer(status, headers, answer)
                    return
                proxy._count(service, fault, None)
                if service == "dynamodb":
                    status, content_type, answer = _dynamodb_error(fault)
                elif service == "sns":
                    status, content_type, answer = _sns_error(fault)
                else:
                    status, content_type, answer = _secrets_error()
                self._answer(status, [("Content-Type", content_type)], answer)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        return Handler
