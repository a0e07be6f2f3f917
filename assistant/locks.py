"""A first-come-first-served lock for threads (threading.Lock lets whoever grabs it first win)."""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class FairLock:
    """A mutex handed to its waiters in the order they asked for it.

    `threading.Lock` makes no promise about who gets it next: a thread that releases it and asks again at
    once usually wins, so under contention some waiters wait many turns (the long tails of issue 13). Here
    a release hands the lock straight to the oldest waiter. Not re-entrant; costs one small lock per
    contended acquire.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()  # guards the two fields below
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        turn.acquire()  # released by `release`, which has handed the lock to this thread
        return True

    def release(self) -> None:
        with self._mutex:
            if not self._held:
                raise RuntimeError("release of an unlocked FairLock")
            if self._waiters:
                self._waiters.popleft().release()  # still held: now by the oldest waiter
            else:
                self._held = False

    def locked(self) -> bool:
        return self._held

    @property
    def waiting(self) -> int:
        """Threads waiting for the lock now."""
        return len(self._waiters)

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
