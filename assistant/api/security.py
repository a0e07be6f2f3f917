"""API keys (kept only as SHA-256 hashes), their scopes, and the per-key rate limit."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ..config import ApiKeySettings, ServerSettings
from ..errors import ConfigError

SCOPES = ("read", "admin")
KEY_PREFIX = "pa-"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a named key with its scopes, or an anonymous caller when keys are off."""

    name: str
    scopes: frozenset[str]
    anonymous: bool = False

    def allows(self, scope: str) -> bool:
        # admin includes read: whoever may change the documents may also ask about them
        return scope in self.scopes or "admin" in self.scopes


def hash_key(key: str) -> str:
    """The hex SHA-256 under which a key is configured (keys are long random tokens, so no salt or KDF)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_key() -> str:
    """A new random API key."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


class KeyRing:
    """Looks up bearer tokens among the configured key hashes."""

    def __init__(self, keys: list[ApiKeySettings]) -> None:
        self._keys = [(k.sha256, Principal(k.name, frozenset(k.scopes))) for k in keys]
        names = [k.name for k in keys]
        if len(set(names)) != len(names):
            raise ConfigError("server.api_keys: two keys share a name")

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def identify(self, token: str) -> Principal | None:
        digest = hash_key(token)
        found = None
        for known, principal in self._keys:
            # compare every entry, in constant time, so timing tells nothing about near misses
            if hmac.compare_digest(known, digest):
                found = principal
        return found


class RateLimiter:
    """A moving-window limit per caller (key name, or client address when keys are off)."""

    def __init__(self, settings: ServerSettings) -> None:
        self.item = parse(settings.rate_limit) if settings.rate_limit else None
        self._limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))
        # Counters in this process answer at once; any other storage is a network round trip.
        self.blocking = self.item is not None and not settings.rate_limit_storage.startswith("memory://")

    def check(self, caller: str) -> float | None:
        """Record one request; None when it is allowed, else the seconds to wait before retrying."""
        if self.item is None:
            return None
        if self._limiter.hit(self.item, caller):
            return None
        stats = self._limiter.get_window_stats(self.item, caller)
        return max(1.0, math.ceil(stats.reset_time - time.time()))

    @property
    def description(self) -> str:
        return str(self.item) if self.item else "no limit"
