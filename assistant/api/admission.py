"""Admission control for answering work: a few answers computed at once, the others waiting in a FIFO queue.

An answer is CPU-bound (encoding, scoring, verifying), so running more of them at once than there are cores
only makes each one slower, and a lock that is not first-come-first-served lets some requests wait behind
many others (issue 13: p99 23.5 s at 32 clients). Here each answer first takes one of
`server.max_concurrent_answers` slots; when none is free it waits in a first-come-first-served queue of at
most `server.max_queued_answers`, for at most `server.max_queue_wait_seconds`. Past either bound the request
gets 503 with `Retry-After` (estimated from the recent time an answer held its slot and the queue ahead), so
no request waits without bound. A request whose client goes away while it waits leaves the queue.

The gate lives on the event loop (one per worker process): `acquire` and `Slot.release` are called there
only, so its state needs no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.types import Receive

from ..config import ServerSettings

# The recent time an answer held its slot: an exponentially weighted mean, this weight for the newest one.
_RECENT_WEIGHT = 0.2
_FIRST_GUESS_SECONDS = 1.0
MAX_RETRY_AFTER_SECONDS = 600


class Overloaded(Exception):
    """No turn for this answer now (the queue is full, or the wait ran out): 503 with Retry-After."""

    def __init__(self, message: str, retry_after: int, reason: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.reason = reason


class ClientGone(Exception):
    """The client closed the connection while its answer waited for a turn."""


@dataclass(frozen=True)
class GateStats:
    """The gate's state at one moment, for /metrics."""

    max_concurrent: int
    max_queued: int
    in_flight: int
    queued: int
    admitted: int
    rejected: dict[str, int]
    recent_answer_seconds: float


def available_cpus() -> int:
    """The CPU cores this process may run on (its affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Slot:
    """One answer's turn; `release` gives it to the next in the queue (calling it again does nothing)."""

    def __init__(self, gate: AnswerGate, waited: float) -> None:
        self._gate = gate
        self.waited = waited
        self._started = time.monotonic()
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._gate._release(time.monotonic() - self._started)


class AnswerGate:
    """At most `max_concurrent` answers at once; at most `max_queued` waiting, first come first served."""

    def __init__(
        self,
        max_concurrent: int,
        max_queued: int,
        max_wait: float,
        *,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self.max_concurrent = max_concurrent
        self.max_queued = max(0, max_queued)
        self.max_wait = max_wait
        self.on_wait = on_wait
        self._active = 0
        self._queue: deque[asyncio.Future[None]] = deque()
        self._recent = _FIRST_GUESS_SECONDS
        self.admitted = 0
        self.rejected: Counter[str] = Counter()

    @classmethod
    def from_settings(
        cls, server: ServerSettings, *, on_wait: Callable[[float], None] | None = None
    ) -> AnswerGate:
        return cls(
            server.max_concurrent_answers or available_cpus(),
            server.max_queued_answers,
            server.max_queue_wait_seconds,
            on_wait=on_wait,
        )

    @property
    def in_flight(self) -> int:
        return self._active

    @property
    def queued(self) -> int:
        return len(self._queue)  # a waiter leaves the queue when it gets its turn, gives up or is cancelled

    def stats(self) -> GateStats:
        return GateStats(
            self.max_concurrent,
            self.max_queued,
            self._active,
            self.queued,
            self.admitted,
            dict(self.rejected),
            self._recent,
        )

    def retry_after(self) -> int:
        """Seconds until a new request would likely get a turn: the queue ahead (and itself) served by the
        slots at the recent time per answer; at least 1."""
        seconds = (self.queued + 1) * self._recent / self.max_concurrent
        return max(1, min(MAX_RETRY_AFTER_SECONDS, math.ceil(seconds)))

    async def acquire(self, disconnected: Callable[[], Awaitable[object]] | None = None) -> Slot:
        """Wait for a turn. Raises Overloaded past the queue's depth or its wait, and ClientGone when
        `disconnected()` (awaited while queued) returns first. Cancelling the caller leaves the queue."""
        if self._active < self.max_concurrent and not self._queue:
            self._active += 1
            return self._admit(0.0)
        if self.queued >= self.max_queued:
            raise self._reject(
                "queue_full",
                f"the server is busy: {self._active} answers in progress and {self.queued} waiting "
                f"(server.max_queued_answers is {self.max_queued})",
            )
        started = time.monotonic()
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(turn)
        watcher = asyncio.ensure_future(disconnected()) if disconnected is not None else None
        try:
            waits: set[asyncio.Future[Any]] = {turn}
            if watcher is not None:
                waits.add(watcher)
            await asyncio.wait(waits, timeout=self.max_wait, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # cancelled while queued
            self._leave(turn)
            raise
        finally:
            if watcher is not None and not watcher.done():
                watcher.cancel()
        if watcher is not None and watcher.done() and not watcher.cancelled():
            watcher.exception()  # a failing receive counts as a client gone too (and is not logged as lost)
            self._leave(turn)
            raise ClientGone("the client closed the connection while its answer waited for a turn")
        if turn.done():
            return self._admit(time.monotonic() - started)
        self._leave(turn)
        raise self._reject(
            "queue_timeout",
            f"the server is busy: no turn to answer within {self.max_wait:g} s "
            "(server.max_queue_wait_seconds)",
        )

    def _admit(self, waited: float) -> Slot:
        self.admitted += 1
        if self.on_wait is not None:
            self.on_wait(waited)
        return Slot(self, waited)

    def _leave(self, turn: asyncio.Future[None]) -> None:
        """Take `turn` out of the queue; if a slot was handed to it meanwhile, pass that slot on."""
        if turn.done() and not turn.cancelled():
            self._release(None)
            return
        turn.cancel()
        with contextlib.suppress(ValueError):  # defensive: `_release` takes out only the turns it serves
            self._queue.remove(turn)

    def _release(self, held: float | None) -> None:
        if held is not None:
            self._recent += _RECENT_WEIGHT * (held - self._recent)
        while self._queue:
            turn = self._queue.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot goes straight to the oldest waiter
                return
        self._active -= 1

    def _reject(self, reason: str, message: str) -> Overloaded:
        self.rejected[reason] += 1
        retry = self.retry_after()
        return Overloaded(f"{message}; retry in {retry} s", retry, reason)


async def wait_for_disconnect(receive: Receive) -> None:
    """Return when the client has closed the connection (the request body must have been read already)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        await asyncio.sleep(0.05)  # more body (a server that does not block here must not make this spin)


async def admit(request: Request) -> Slot:
    """A turn to answer this request (its client leaving the queue if it hangs up while waiting)."""
    gate: AnswerGate = request.app.state.answer_gate
    return await gate.acquire(lambda: wait_for_disconnect(request.receive))
