"""Access tokens kept at module level, so warm Lambda invocations skip the token call."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from pydantic import SecretStr


@dataclass(frozen=True)
class CachedToken:
    access_token: SecretStr
    expires_at: float | None = None  # monotonic seconds; None: valid until a 401 says not
    # Salesforce's identity URL (.../id/<org id>/<user id>): who the token acts as.
    identity: str | None = None


class TokenCache:
    def __init__(self) -> None:
        self._tokens: dict[str, CachedToken] = {}

    def get(self, key: str, *, now: float, margin: float = 0.0) -> CachedToken | None:
        """The cached token unless it expires within `margin` seconds of `now`."""
        cached = self._tokens.get(key)
        if cached is None:
            return None
        if cached.expires_at is not None and cached.expires_at - margin <= now:
            return None
        return cached

    def put(self, key: str, token: CachedToken) -> None:
        self._tokens[key] = token

    def invalidate(self, key: str, token: SecretStr) -> None:
        """Forget `token` unless another task already replaced it with a newer one."""
        cached = self._tokens.get(key)
        if cached is not None and hmac.compare_digest(
            cached.access_token.get_secret_value(), token.get_secret_value()
        ):
            del self._tokens[key]

    def clear(self) -> None:
        self._tokens.clear()

    def __len__(self) -> int:
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"TokenCache({len(self._tokens)} tokens)"


TOKEN_CACHE = TokenCache()


def cache_key(*parts: str) -> str:
    """A key from the connection id and the credentials; a changed secret gets a new key."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()
