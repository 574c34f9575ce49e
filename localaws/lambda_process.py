"""The Lambda Invoke stand-in (localaws.lambda_invoke) in a child process, beside LocalAws.

Its handlers reach the running LocalAws (AWS_ENDPOINT_URL) and their own Lambda calls come
back to the stand-in. Point a boto3 client at it with AWS_ENDPOINT_URL_LAMBDA=endpoint_url,
as one points it at `sam local start-lambda`.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import Self

from localaws.child_server import ChildServer
from localaws.stack import LocalAws


class LocalLambda:
    """Serves the functions of `aws`'s template (started) until stop()."""

    def __init__(self, aws: LocalAws, port: int = 0) -> None:
        self._aws = aws
        self._port = port
        self._server: ChildServer | None = None
        self.endpoint_url = ""

    def start(self) -> Self:
        aws = self._aws
        args = ["--template", str(aws.template_path), "--stack-name", aws.stack_name]
        args += ["--region", aws.region]
        for name, value in aws.parameter_overrides.items():
            args += ["--parameter", f"{name}={value}"]
        # The stack's endpoint for every service; a per-service one would beat it.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL_")}
        environment = {**inherited, **aws.sdk_environment()}
        self._server = ChildServer(
            "localaws.lambda_invoke", port=self._port, args=args, environment=environment
        )
        self._server.start()
        self.endpoint_url = self._server.url
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
