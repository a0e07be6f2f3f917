"""Verifying that an HTTP request comes from Slack: HMAC-SHA256 of `v0:timestamp:body` with the signing secret."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from slack_sdk.signature import Clock, SignatureVerifier

MAX_CLOCK_SKEW_SECONDS = 60 * 5


class _CallableClock(Clock):
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


class RequestSigner:
    """Checks (and, for tests and tools, makes) Slack request signatures.

    Built on slack_sdk's `SignatureVerifier` (constant-time comparison, the 5-minute window), with a clock that
    can be injected and a timestamp that must be a plain integer: anything else is simply invalid.
    """

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self._verifier = SignatureVerifier(signing_secret, clock=_CallableClock(clock))

    def sign(self, timestamp: str | int, body: str | bytes) -> str:
        """The `X-Slack-Signature` value for this timestamp and body."""
        signature = self._verifier.generate_signature(timestamp=str(timestamp), body=body)
        assert signature is not None
        return signature

    def is_valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """True when the signature matches and the timestamp is within five minutes of the clock."""
        timestamp = headers.get("x-slack-request-timestamp")
        signature = headers.get("x-slack-signature")
        if not timestamp or not signature or not timestamp.isdigit() or len(timestamp) > 12:
            return False
        try:
            return self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
        except UnicodeDecodeError:  # Slack always sends UTF-8; anything else is not from Slack
            return False
