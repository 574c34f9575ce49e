"""moto's server as a child process (localaws.child_server): on a port it reports.

Kept apart from the package's other modules so `python -m` runs it without importing
itself twice.
"""

from __future__ import annotations

import logging
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from localaws.child_server import announce

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serialised(app: WsgiApp) -> WsgiApp:
    """One request at a time inside moto: its backends are not thread-safe (concurrent
    TransactWriteItems fail with "dictionary changed size during iteration"). Connections
    are still accepted concurrently; only moto's own work is serialised."""
    lock = threading.Lock()

    def handle(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            return list(app(environ, start_response))

    return handle


def serve(host: str, port: int) -> None:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    # werkzeug would log every request to stderr.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # LocalAws.create_stack's one resource is a wait condition handle on purpose: it creates
    # nothing, in CloudFormation and in moto, which says so once per process.
    warnings.filterwarnings("ignore", message="Tried to parse AWS::CloudFormation::WaitCondition")
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        host, port, serialised(app), threaded=True, request_handler=MotoRequestHandler
    )
    announce(server.server_port)
    server.serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
