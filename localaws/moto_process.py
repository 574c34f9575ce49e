"""moto's server in a child process, so its request handling never competes for our GIL.

In-process (ThreadedMotoServer) every DynamoDB response moto serialises runs on the same
interpreter lock as the handlers under test; on two cores that was half the drill's time.
The child binds port 0 itself and reports the port it got on stdout, so two stacks never
race for a port. The child is `python -m localaws.moto_child`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import IO

READY = "moto listening on port "  # the child's first line: the port follows

_START_TIMEOUT_SECONDS = 60


class MotoProcess:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._requested_port = port
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        # `-u`: the ready line must not sit in a pipe buffer.
        command = [sys.executable, "-u", "-m", "localaws.moto_child"]
        command += [self.host, str(self._requested_port)]
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        self.port = _read_port(self._process)

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None


def _read_port(process: subprocess.Popen[str]) -> int:
    stdout: IO[str] | None = process.stdout
    if stdout is None:  # pragma: no cover - Popen was given stdout=PIPE
        raise RuntimeError("moto child has no stdout")
    line = stdout.readline()  # blocks until the child is listening, or exits
    if not line.startswith(READY):
        process.kill()
        process.wait(timeout=_START_TIMEOUT_SECONDS)
        raise RuntimeError(f"moto server did not start (exit code {process.returncode})")
    return int(line.removeprefix(READY))
