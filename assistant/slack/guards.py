"""Who the bot answers: workspace and channel allow-lists, bot senders, and a per-user rate limit."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

from ..config import SlackSettings

Verdict = Literal["ok", "team", "channel", "direct"]


class AccessPolicy:
    """The allow-lists from the `slack` settings (an empty list allows everything)."""

    def __init__(self, settings: SlackSettings) -> None:
        self._teams = frozenset(settings.allowed_teams)
        self._channels = frozenset(settings.allowed_channels)
        self._direct = settings.direct_messages

    def team_allowed(self, team_id: str | None) -> bool:
        return not self._teams or team_id in self._teams

    def check(self, team_id: str | None, channel_id: str | None, *, direct: bool) -> Verdict:
        """ "ok", or what is not allowed: the workspace, the channel, or direct messages."""
        if not self.team_allowed(team_id):
            return "team"
        if direct:
            return "ok" if self._direct else "direct"
        if self._channels and channel_id not in self._channels:
            return "channel"
        return "ok"


class RateLimiter:
    """A sliding-window limit of questions per user; thread-safe, kept in this process's memory."""

    def __init__(
        self, limit: int, window_seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._asked: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float | None:
        """Count a question for `key`; None when allowed, else the seconds until the next one is."""
        if self.limit <= 0:
            return None
        now = self._clock()
        with self._lock:
            times = self._asked.setdefault(key, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.limit:
                return times[0] + self.window - now
            times.append(now)
            if len(self._asked) > 10_000:  # forget idle users so memory stays bounded
                self._forget_idle(now)
            return None

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, t in self._asked.items() if not t or t[-1] <= now - self.window]:
            del self._asked[key]
