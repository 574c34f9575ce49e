"""A local stand-in for Lambda's Invoke API that runs the template's handlers in-process.

What `sam local start-lambda` serves with Docker, without Docker: `POST
/2015-03-31/functions/{FunctionName}/invocations` runs the function's handler (CodeUri +
Handler from template.yaml) with the environment the template gives it. Point boto3 here
with AWS_ENDPOINT_URL_LAMBDA. Answers follow the Invoke API reference
(https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html): 200 with the payload for
RequestResponse, `X-Amz-Function-Error: Unhandled` and an errorMessage/errorType payload when
the handler raises, 202 for Event (run afterwards), 204 for DryRun, and 404
ResourceNotFoundException for an unknown function.

Each invocation starts cold, as with `sam local start-lambda` without --warm-containers:
the apibrake runtime forgets its cached settings, clients, secrets and tokens (Python
modules stay loaded). Invocations run one at a time (each sets os.environ); the handlers'
logs go to this process's stderr. No timeout is enforced; the context reports the time left.
Run by localaws.lambda_process: `python -m localaws.lambda_invoke HOST PORT [options]`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
import threading
import traceback
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from localaws.child_server import announce
from localaws.lambda_context import LocalLambdaContext
from localaws.stack import LocalAws
from localaws.template import function_properties

_INVOKE_PATH = re.compile(r"/2015-03-31/functions/(?P<function>[^/]+)/invocations")
_LATEST = "$LATEST"
# Lambda's defaults for a function that sets neither.
_DEFAULT_TIMEOUT_SECONDS = 3
_DEFAULT_MEMORY_MB = 128


@dataclass(frozen=True)
class LocalFunction:
    """One function of the template, as the stand-in runs it."""

    name: str  # what the stack's outputs name it: {stack_name}-{LogicalId}
    logical_id: str
    module: str  # e.g. functions.usage_monitor.app
    attribute: str  # e.g. lambda_handler
    environment: Mapping[str, str]
    timeout_seconds: float
    memory_mb: int


def local_functions(aws: LocalAws) -> list[LocalFunction]:
    """The template's functions with their handlers and environments (`aws` need not run)."""
    functions = []
    for logical_id, name in aws.function_names.items():
        properties = function_properties(aws.template, logical_id)
        module, attribute = str(properties["Handler"]).rsplit(".", 1)
        package = ".".join(Path(str(properties["CodeUri"])).parts)
        functions.append(
            LocalFunction(
                name=name,
                logical_id=logical_id,
                module=f"{package}.{module}",
                attribute=attribute,
                environment=aws.function_environment(logical_id),
                timeout_seconds=float(properties.get("Timeout", _DEFAULT_TIMEOUT_SECONDS)),
                memory_mb=int(properties.get("MemorySize", _DEFAULT_MEMORY_MB)),
            )
        )
    return functions


@dataclass(frozen=True)
class Invocation:
    payload: bytes
    unhandled: bool  # the handler raised: payload is Lambda's error document
    request_id: str


class FunctionRunner:
    """Runs handlers in this process, one invocation at a time (each sets os.environ)."""

    def __init__(
        self, functions: list[LocalFunction], *, region: str, account_id: str, code_root: Path
    ) -> None:
        self._functions = functions
        self.region = region
        self.account_id = account_id
        self._code_root = str(code_root)
        self._lock = threading.Lock()

    def find(self, identifier: str, qualifier: str | None = None) -> LocalFunction | None:
        """The function a name, logical id, ARN or partial ARN (with `:qualifier`) names."""
        name = identifier.split(":function:", 1)[-1]
        name, _, suffix = name.partition(":")
        if (qualifier or suffix or _LATEST) != _LATEST:
            return None  # no versions or aliases locally
        return next((f for f in self._functions if name in {f.name, f.logical_id}), None)

    def arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def invoke(self, function: LocalFunction, event: Any) -> Invocation:
        context = LocalLambdaContext(
            function.name,
            timeout_seconds=function.timeout_seconds,
            memory_limit_in_mb=function.memory_mb,
            region=self.region,
            account_id=self.account_id,
        )
        with self._lock, self._environment(function):
            try:
                handler = self._handler(function)
                _cold_start()
                payload = json.dumps(handler(event, context)).encode()
            except Exception as exc:
                traceback.print_exc()
                return Invocation(_error_document(exc, context), True, context.aws_request_id)
        return Invocation(payload, False, context.aws_request_id)

    def _handler(self, function: LocalFunction) -> Any:
        if self._code_root not in sys.path:
            sys.path.insert(0, self._code_root)
        return getattr(importlib.import_module(function.module), function.attribute)

    @contextmanager
    def _environment(self, function: LocalFunction) -> Iterator[None]:
        saved = dict(os.environ)
        os.environ.update(function.environment)
        # Set by the Lambda runtime (and by sam local) in every function.
        os.environ.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": function.name,
                "AWS_LAMBDA_FUNCTION_VERSION": _LATEST,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
                "AWS_REGION": self.region,
                "AWS_SAM_LOCAL": "true",
            }
        )
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def _cold_start() -> None:
    """What a fresh container forgets (see apibrake.runtime.container)."""
    from apibrake.runtime import container

    container.forget()


def _error_document(exc: Exception, context: LocalLambdaContext) -> bytes:
    """The Python runtime's answer to an unhandled exception."""
    return json.dumps(
        {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "requestId": context.aws_request_id,
            "stackTrace": traceback.format_tb(exc.__traceback__),
        }
    ).encode()


class LambdaServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], runner: FunctionRunner) -> None:
        super().__init__(address, InvokeRequest)
        self.runner = runner
        # Event invocations queue here and run after the answer, as Lambda's async queue does.
        self.events = ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-invoke")

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class InvokeRequest(BaseHTTPRequestHandler):
    server: LambdaServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        match = _INVOKE_PATH.fullmatch(url.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if match is None:
            self._error(404, "ResourceNotFoundException", f"no such path: {url.path}")
            return
        runner = self.server.runner
        identifier = unquote(match["function"])
        qualifier = parse_qs(url.query).get("Qualifier", [None])[0]
        function = runner.find(identifier, qualifier)
        if function is None:
            message = f"Function not found: {runner.arn(identifier.split(':function:')[-1])}"
            self._error(404, "ResourceNotFoundException", message)
            return
        try:
            event = json.loads(body or b"{}")
        except ValueError as exc:
            message = f"Could not parse request body into json: {exc}"
            self._error(400, "InvalidRequestContentException", message)
            return
        self._invoke(function, event, self.headers.get("X-Amz-Invocation-Type", "RequestResponse"))

    def _invoke(self, function: LocalFunction, event: Any, invocation_type: str) -> None:
        runner = self.server.runner
        if invocation_type == "DryRun":
            self._answer(204, b"", {})
        elif invocation_type == "Event":
            self.server.events.submit(runner.invoke, function, event)
            self._answer(202, b"", {})
        elif invocation_type == "RequestResponse":
            invocation = runner.invoke(function, event)
            headers = {"X-Amz-Executed-Version": _LATEST, "x-amzn-RequestId": invocation.request_id}
            if invocation.unhandled:
                headers["X-Amz-Function-Error"] = "Unhandled"
            self._answer(200, invocation.payload, headers)
        else:
            message = f"invalid InvocationType {invocation_type!r}"
            self._error(400, "InvalidParameterValueException", message)

    def _error(self, status: int, error_type: str, message: str) -> None:
        body = json.dumps({"Type": "User", "Message": message}).encode()
        self._answer(status, body, {"x-amzn-ErrorType": error_type})

    def _answer(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", headers.get("x-amzn-RequestId", str(uuid.uuid4())))
        for name, value in headers.items():
            if name != "x-amzn-RequestId":
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the handlers' own logs say what happened."""


def serve(host: str, port: int, aws: LocalAws) -> None:
    runner = FunctionRunner(
        local_functions(aws),
        region=aws.region,
        account_id=aws.account_id,
        code_root=Path(aws.template_path).parent,
    )
    server = LambdaServer((host, port), runner)
    # The monitor's asynchronous brake invoke comes back here, as on AWS it stays in Lambda.
    os.environ["AWS_ENDPOINT_URL_LAMBDA"] = server.url
    announce(server.server_address[1])
    # From here on stdout is the handlers' log stream: send it where the logs go.
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localaws.lambda_invoke", description=__doc__)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--template", default=None, help="template.yaml [the repository's]")
    parser.add_argument("--stack-name", default="apibrake")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    parser.add_argument(
        "--parameter", action="append", default=[], metavar="NAME=VALUE", help="repeatable"
    )
    args = parser.parse_args(argv)
    parameters = dict(item.split("=", 1) for item in args.parameter)
    options: dict[str, Any] = {"template_path": args.template} if args.template else {}
    aws = LocalAws(stack_name=args.stack_name, region=args.region, parameters=parameters, **options)
    serve(args.host, args.port, aws)


if __name__ == "__main__":
    main()
