"""moto's server as a child process (localaws.child_server): on a port it reports.

Kept apart from the package's other modules so `python -m` runs it without importing
itself twice.
"""

from __future__ import annotations

import json
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


def partition_queries() -> None:
    """A base-table Query reads the items its key condition selects, as DynamoDB does.
    moto 5 sorts the whole table on every Query (`Table.all_items`) and sizes every item of
    the partition, so a state table holding a day of readings made each check's Query cost
    ~0.1 s. Index queries and hash-only tables keep moto's path; the results are moto's own
    (same comparison, sort, filter, paging), from the matching items alone."""
    from moto.dynamodb.models.table import Table

    whole_table_query = Table.query
    index_name_position = 6  # query(hash_key, range_comparison, ..., index_name, ...)

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[index_name_position] if len(args) > index_name_position else None
        if index_name or kwargs.get("index_name") or not self.range_key_attr:
            return whole_table_query(self, hash_key, *args, **kwargs)
        partition = list(self.items[hash_key].values()) if hash_key in self.items else []
        range_comparison, range_objs = (args[0], args[1]) if len(args) > 1 else (None, [])
        if range_comparison:
            # moto's own key comparison, applied before its per-item size accounting.
            partition = [i for i in partition if i.range_key.compare(range_comparison, range_objs)]
        self.all_items = lambda: partition  # type: ignore[method-assign]
        try:
            return whole_table_query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]


def plain_item_reads() -> None:
    """Item reads answered as the plain JSON they already are. moto 5 runs each answer
    through its model-driven serializer, ~0.7 ms per item, so an hour of readings cost ~20 ms
    per Query; the result of these operations is DynamoDB JSON already (strings, numbers,
    lists, maps: no timestamps or blobs for the serializer to convert)."""
    from moto.core.responses import ActionContext, ActionResult
    from moto.dynamodb.responses import DynamoResult

    serialized = DynamoResult.execute_result
    plain = {"Query", "Scan", "GetItem", "BatchGetItem"}

    def execute_result(
        self: ActionResult, context: ActionContext
    ) -> tuple[int, dict[str, Any], str | bytes]:
        if context.operation_model.name not in plain:
            return serialized(self, context)
        body = json.dumps(self.result, separators=(",", ":"))
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]


SNS_SUBJECT_BELOW = 100  # "must be less than 100 characters" (SNS Publish API)


def documented_sns_subjects() -> None:
    """SNS Publish refuses a Subject outside the strict reading of its reference: one line,
    no control characters, "less than 100 characters", ASCII (older wording; the current
    one says UTF-8). moto lets exactly 100 through (getmoto/moto#1503 reports AWS does too);
    the strict reading catches code relying on that leeway (docs/platform-notes.md W1)."""
    from moto.sns.models import SNSBackend

    lenient_publish = SNSBackend.publish

    def publish(self: SNSBackend, message: str, arn: str | None, *args: Any, **kwargs: Any) -> str:
        subject = kwargs.get("subject", args[1] if len(args) > 1 else None)
        if subject is not None:
            if len(subject) >= SNS_SUBJECT_BELOW:
                raise ValueError("Subject must be less than 100 characters")
            if not subject.isascii() or any(ord(c) < 32 or ord(c) == 127 for c in subject):
                raise ValueError("Subject must be ASCII text without line breaks")
        return lenient_publish(self, message, arn, *args, **kwargs)

    SNSBackend.publish = publish  # type: ignore[method-assign]


def one_rsa_key_per_size() -> None:
    """RSA key material drawn once per process and size, not once per KMS key and per SNS
    subscription. moto draws a fresh 2,048-bit key for every KMS key (each DynamoDB table
    with SSE creates one) and for every HTTP subscription's message signatures: ~10 % of the
    emulator's CPU in the test suite, whose every reset creates tables and inboxes. Nothing
    local checks those signatures or tells keys apart by their RSA material; a symmetric
    KMS key encrypts with key material of its own, which stays one per key."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from moto.kms.utils import RSAPrivateKey
    from moto.sns.models import Subscription

    drawn: dict[int, rsa.RSAPrivateKey] = {}
    draw_kms_key = RSAPrivateKey.__init__

    def kms_key(self: RSAPrivateKey, key_size: int) -> None:
        if key_size not in drawn:
            draw_kms_key(self, key_size)  # moto's own checks of the size, then its key
            drawn[key_size] = self.private_key
        self.key_size = key_size
        self.private_key = drawn[key_size]

    def signing_key(self: Subscription) -> rsa.RSAPrivateKey:
        if 2048 not in drawn:
            drawn[2048] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return drawn[2048]

    RSAPrivateKey.__init__ = kms_key  # type: ignore[method-assign]
    Subscription.private_key = signing_key  # type: ignore[method-assign, assignment]


def modules_listed_once() -> None:
    """moto finds the service of every request by listing its own package folder (a listdir
    and a stat per service, ~5 % of the emulator's time); the folder does not change while
    it runs, so it is listed once."""
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


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
    partition_queries()
    plain_item_reads()
    documented_sns_subjects()
    one_rsa_key_per_size()
    modules_listed_once()
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        host, port, serialised(app), threaded=True, request_handler=MotoRequestHandler
    )
    announce(server.server_port)
    server.serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
