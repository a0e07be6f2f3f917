"""The answer gate on its own (assistant/api/admission.py): FIFO turns, bounded queue and wait, leaving."""

from __future__ import annotations

import asyncio

import pytest

from assistant.api.admission import AnswerGate, ClientGone, Overloaded


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_turns_go_first_come_first_served():
    async def main() -> list[int]:
        gate = AnswerGate(2, 10, 30)
        order: list[int] = []
        first, second = await gate.acquire(), await gate.acquire()

        async def answer(i: int) -> None:
            slot = await gate.acquire()
            order.append(i)
            await asyncio.sleep(0)
            slot.release()

        tasks = []
        for i in range(6):
            tasks.append(asyncio.create_task(answer(i)))
            await settle()
        assert gate.queued == 6 and gate.in_flight == 2
        first.release()
        second.release()
        await asyncio.gather(*tasks)
        assert gate.in_flight == 0 and gate.queued == 0
        return order

    assert run(main()) == list(range(6))


def test_a_newcomer_does_not_overtake_the_queue():
    async def main() -> None:
        gate = AnswerGate(1, 10, 30)
        held = await gate.acquire()
        waiter = asyncio.create_task(gate.acquire())
        await settle()
        held.release()  # the turn goes to the waiter, not to whoever asks next
        newcomer = asyncio.create_task(gate.acquire())
        await settle()
        assert waiter.done() and not newcomer.done()
        assert gate.in_flight == 1 and gate.queued == 1
        (await waiter).release()
        (await newcomer).release()
        assert gate.in_flight == 0

    run(main())


def test_past_the_depth_and_past_the_wait_it_refuses_with_a_retry_after():
    async def main() -> None:
        gate = AnswerGate(1, 1, 0.05)
        held = await gate.acquire()
        queued = asyncio.create_task(gate.acquire())
        await settle()
        with pytest.raises(Overloaded) as full:
            await gate.acquire()
        assert full.value.reason == "queue_full" and full.value.retry_after >= 1
        with pytest.raises(Overloaded) as late:
            await queued
        assert late.value.reason == "queue_timeout"
        assert gate.rejected == {"queue_full": 1, "queue_timeout": 1}
        assert gate.queued == 0 and gate.in_flight == 1
        held.release()
        assert gate.in_flight == 0

    run(main())


def test_retry_after_follows_the_recent_answer_time_and_the_queue():
    async def main() -> None:
        gate = AnswerGate(2, 100, 30)
        gate._recent = 3.0
        assert gate.retry_after() == 2  # (0 queued + 1) * 3 s / 2 turns, rounded up
        slots = [await gate.acquire() for _ in range(2)]
        waiters = [asyncio.create_task(gate.acquire()) for _ in range(9)]
        await settle()
        assert gate.retry_after() == 15  # (9 + 1) * 3 / 2
        gate._recent = 0.001
        assert gate.retry_after() == 1  # never below 1
        for task in waiters:
            task.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
        for slot in slots:
            slot.release()
            slot.release()  # a second release does nothing
        assert gate.in_flight == 0 and gate.queued == 0

    run(main())


def test_a_waiter_that_leaves_gives_its_place_and_a_handed_turn_back():
    async def main() -> None:
        gate = AnswerGate(1, 10, 30)
        held = await gate.acquire()
        gone = asyncio.Event()
        leaver = asyncio.create_task(gate.acquire(gone.wait))
        stayer = asyncio.create_task(gate.acquire())
        await settle()
        assert gate.queued == 2
        gone.set()
        with pytest.raises(ClientGone):
            await leaver
        assert gate.queued == 1
        # cancelled just as its turn is handed over: the turn passes on, it is not lost
        cancelled = asyncio.create_task(gate.acquire())
        await settle()
        held.release()  # to the stayer
        (await stayer).release()  # to `cancelled`, which is cancelled before it runs
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        assert gate.in_flight == 0 and gate.queued == 0
        (await gate.acquire()).release()

    run(main())
