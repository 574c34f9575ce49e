"""What a warm Lambda container keeps between invocations, and how to forget it.

The drill and the CLI play all three functions in one process against fresh local stacks;
`forget()` gives them what a cold start would: no cached settings, AWS clients, secrets,
tokens, portal offsets or idempotency stores.
"""

from __future__ import annotations

from apibrake import wiring
from apibrake.brake.invocation import forget_idempotency_stores
from apibrake.http.token_cache import TOKEN_CACHE
from apibrake.watch.usage import forget_portal_offsets


def forget() -> None:
    wiring.settings.cache_clear()
    # A client cached for one local moto process would keep talking to it.
    wiring.aws_client.cache_clear()
    wiring.secret_loader.cache_clear()
    forget_portal_offsets()
    TOKEN_CACHE.clear()
    forget_idempotency_stores()
