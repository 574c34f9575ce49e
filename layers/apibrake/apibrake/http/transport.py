"""The httpx client every invocation talks to the platforms through, and its TLS context.

Building an `ssl.SSLContext` loads the whole CA bundle (tens of milliseconds of CPU), so it
is made once per container and shared: warm Lambda invocations and the drill's thousands of
runs skip it. The context is read-only once built, so sharing it between clients is safe.
"""

from __future__ import annotations

import functools
import ssl

import certifi
import httpx

# Enough pooled connections for the monitor's concurrency bound.
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=50)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's own default (certifi's CA bundle, certificate and hostname checks), built once."""
    return ssl.create_default_context(cafile=certifi.where())


def platform_client() -> httpx.AsyncClient:
    """A new client for one invocation. No environment proxies (trust_env off): platform
    traffic goes where the connection item says, nowhere else; no redirects followed."""
    return httpx.AsyncClient(
        verify=tls_context(), limits=_LIMITS, trust_env=False, follow_redirects=False
    )
