"""A local server (moto, the Lambda stand-in) in a child process, on a port it reports.

In-process (ThreadedMotoServer) every DynamoDB response moto serialises runs on the same
interpreter lock as the handlers under test; on two cores that was half the drill's time.
A child also keeps what it runs (handlers that set os.environ, print logs) out of the
caller's process. The child binds port 0 itself and reports the port it got as its first
line on stdout (`announce`), so two stacks never race for a port.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import IO

READY = "listening on port "  # the child's first line: the port follows

_STOP_TIMEOUT_SECONDS = 10


def announce(port: int) -> None:
    """What the child prints once it accepts connections."""
    print(f"{READY}{port}", flush=True)


class ChildServer:
    """`python -m MODULE HOST PORT *ARGS` until stop(); the module calls announce(port)."""

    def __init__(
        self,
        module: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        args: Sequence[str] = (),
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.module = module
        self.host = host
        self._requested_port = port
        self._args = list(args)
        self._environment = None if environment is None else dict(environment)
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # `-u`: the ready line must not sit in a pipe buffer.
        command = [sys.executable, "-u", "-m", self.module, self.host, str(self._requested_port)]
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [*command, *self._args],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**self._base_environment(), "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        self.port = _read_port(self._process, self.module)

    def _base_environment(self) -> dict[str, str]:
        # Unless told otherwise, the child inherits the environment as it is when it starts.
        return dict(os.environ) if self._environment is None else self._environment

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None


def _read_port(process: subprocess.Popen[str], module: str) -> int:
    stdout: IO[str] | None = process.stdout
    if stdout is None:  # pragma: no cover - Popen was given stdout=PIPE
        raise RuntimeError(f"{module} has no stdout")
    line = stdout.readline()  # blocks until the child is listening, or exits
    if not line.startswith(READY):
        process.kill()
        process.wait(timeout=_STOP_TIMEOUT_SECONDS)
        raise RuntimeError(f"{module} did not start (exit code {process.returncode})")
    return int(line.removeprefix(READY))
