"""Admission control over real HTTP: a few answers at once, a FIFO queue, 503 with Retry-After past it.

Answers are held by a gated backend (it waits until the test opens the gate), so which request holds the
turn and which ones wait is decided by the test, never by timing luck.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from assistant.answer.backends import GenerationRequest, create_backend, register_backend, unregister_backend
from tests.api.conftest import FLAGSHIP, LiveServer, read_events
from tests.mcp_server.checks import call, error_text, run

GATED = [f"gated-{i}" for i in range(8)]


class Gate:
    """Where the gated backends wait, and what the test sees of them: who entered, in which order."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.changed = threading.Condition()
        self.entered: list[str] = []
        self.inside = 0
        self.most_inside = 0

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 20) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), f"gate: entered {self.entered}"


GATE = Gate()


class GatedBackend:
    """The extractive answer, given only once the gate is open; records the order answers reached it."""

    def __init__(self, name: str, settings: Any) -> None:
        self.name = name
        self.extractive = create_backend("extractive", settings)

    def generate(self, request: GenerationRequest) -> Iterator[str]:
        gate = GATE  # the gate of the test that started this answer
        with gate.changed:
            gate.entered.append(self.name)
            gate.inside += 1
            gate.most_inside = max(gate.most_inside, gate.inside)
            gate.changed.notify_all()
        try:
            if not gate.opened.wait(30):
                raise RuntimeError("the test never opened the gate")
            yield from self.extractive.generate(request)
        finally:
            with gate.changed:
                gate.inside -= 1
                gate.changed.notify_all()


@pytest.fixture
def gate() -> Iterator[Gate]:
    global GATE
    GATE = Gate()
    for name in GATED:
        register_backend(name, lambda settings, name=name: GatedBackend(name, settings))
    yield GATE
    GATE.opened.set()  # never leave an answer waiting
    for name in GATED:
        unregister_backend(name)


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=12) as executor:
        yield executor


def metric(live: LiveServer, name: str) -> float | None:
    """One sample of /metrics by its full name (labels included), or None when absent."""
    text = httpx.get(live.url + "/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def wait_for_metric(live: LiveServer, name: str, value: float, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while (seen := metric(live, name)) != value:
        assert time.monotonic() < deadline, f"{name} stayed {seen}, expected {value}"
        time.sleep(0.02)


def ask(live: LiveServer, backend: str | None = None, **body: Any) -> httpx.Response:
    payload = {"question": FLAGSHIP, **body}
    if backend is not None:
        payload["backend"] = backend
    with live.client() as client:
        return client.post("/v1/ask", json=payload)


def hold_the_turn(live: LiveServer, pool: ThreadPoolExecutor, gate: Gate) -> Future[httpx.Response]:
    """Start an answer that takes the one turn and keeps it until the gate opens."""
    held = pool.submit(ask, live, "gated-0")
    gate.wait_for(lambda: gate.entered == ["gated-0"])
    return held


def assert_overloaded(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit() and int(retry_after) >= 1
    error = response.json()["error"]
    assert error["type"] == "service_unavailable" and error["code"] == "overloaded"
    assert "busy" in error["message"] and f"retry in {retry_after} s" in error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    return error


def test_past_the_queue_answers_are_refused_with_503_and_retry_after_and_nothing_is_lost(
    serve, corpus_assistant, gate, pool
):
    live = serve(corpus_assistant, max_concurrent_answers=1, max_queued_answers=1)
    held = hold_the_turn(live, pool, gate)
    queued = pool.submit(ask, live, "gated-1")
    wait_for_metric(live, "assistant_answers_queued", 1)

    completion = {"model": "policy-assistant", "messages": [{"role": "user", "content": FLAGSHIP}]}

    def post(path: str, body: dict[str, Any]) -> httpx.Response:
        with live.client() as client:
            return client.post(path, json=body)

    refused = [
        pool.submit(post, "/v1/ask", {"question": FLAGSHIP}),
        pool.submit(post, "/v1/ask", {"question": FLAGSHIP, "stream": True}),
        pool.submit(post, "/v1/chat", {"messages": [{"role": "user", "content": FLAGSHIP}]}),
        pool.submit(post, "/v1/chat/completions", completion),
        pool.submit(post, "/v1/chat/completions", {**completion, "stream": True}),
    ]
    errors = [assert_overloaded(r.result(timeout=20)) for r in refused]
    assert all("1 waiting" in e["message"] for e in errors)
    # the cheap routes are never queued
    with live.client() as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/documents").status_code == 200
    assert metric(live, "assistant_answers_in_flight") == 1
    assert not held.done() and not queued.done()

    gate.opened.set()
    for response in (held.result(timeout=30), queued.result(timeout=30)):
        assert response.status_code == 200, response.text
        assert "70%" in response.json()["text"] and response.json()["citations"]
    assert gate.entered == ["gated-0", "gated-1"] and gate.most_inside == 1

    # nothing leaked: a streamed answer, a whole one and a chat completion, one after the other
    with live.client() as client:
        with client.stream("POST", "/v1/ask", json={"question": FLAGSHIP, "stream": True}) as response:
            assert response.status_code == 200
            assert [name for name, _ in read_events(response)][-1] == "final"
        assert client.post("/v1/ask", json={"question": FLAGSHIP}).status_code == 200
        assert client.post("/v1/chat/completions", json=completion).status_code == 200
    assert metric(live, 'assistant_answers_rejected_total{reason="queue_full"}') == 5
    assert metric(live, 'assistant_answers_rejected_total{reason="queue_timeout"}') == 0
    assert metric(live, 'assistant_errors_total{type="overloaded"}') == 5
    assert metric(live, "assistant_answers_in_flight") == 0
    assert metric(live, "assistant_answers_queued") == 0
    assert metric(live, "assistant_answers_max_concurrent") == 1
    assert metric(live, "assistant_answers_max_queued") == 1
    assert metric(live, "assistant_answer_queue_wait_seconds_count") == 5  # the admitted answers
    assert 0 < metric(live, "assistant_answer_recent_seconds") < 60


def test_queued_answers_are_served_in_arrival_order(serve, corpus_assistant, gate, pool):
    live = serve(corpus_assistant, max_concurrent_answers=1, max_queued_answers=8)
    held = hold_the_turn(live, pool, gate)
    waiting = []
    for i in range(1, 7):
        waiting.append(pool.submit(ask, live, f"gated-{i}"))
        wait_for_metric(live, "assistant_answers_queued", i)  # so the arrival order is the order sent
    assert gate.entered == ["gated-0"]

    gate.opened.set()
    assert all(r.result(timeout=60).status_code == 200 for r in [held, *waiting])
    assert gate.entered == [f"gated-{i}" for i in range(7)]
    assert gate.most_inside == 1
    waits = metric(live, "assistant_answer_queue_wait_seconds_sum")
    assert waits is not None and waits > 0


def test_an_answer_that_waits_too_long_is_refused(serve, corpus_assistant, gate, pool):
    live = serve(corpus_assistant, max_concurrent_answers=1, max_queued_answers=4, max_queue_wait_seconds=0.5)
    held = hold_the_turn(live, pool, gate)
    started = time.monotonic()
    error = assert_overloaded(ask(live, "gated-1"))
    assert 0.4 < time.monotonic() - started < 10
    assert "within 0.5 s" in error["message"]
    assert metric(live, 'assistant_answers_rejected_total{reason="queue_timeout"}') == 1
    assert metric(live, "assistant_answers_queued") == 0
    gate.opened.set()
    assert held.result(timeout=30).status_code == 200
    assert gate.entered == ["gated-0"]


def test_a_client_that_hangs_up_while_queued_leaves_the_queue(serve, corpus_assistant, gate, pool):
    live = serve(corpus_assistant, max_concurrent_answers=1, max_queued_answers=4)
    held = hold_the_turn(live, pool, gate)
    body = json.dumps({"question": FLAGSHIP, "backend": "gated-1"}).encode()
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as raw:
        raw.sendall(
            b"POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        wait_for_metric(live, "assistant_answers_queued", 1)
    wait_for_metric(live, "assistant_answers_queued", 0)  # gone without waiting for its turn

    gate.opened.set()
    assert held.result(timeout=30).status_code == 200
    # with one turn, an answer still queued would run before this one
    assert ask(live, "gated-2").status_code == 200
    assert gate.entered == ["gated-0", "gated-2"]
    assert metric(live, 'assistant_http_requests_total{method="POST",route="/v1/ask",status="499"}') == 1
    assert metric(live, "assistant_answers_in_flight") == 0


def test_the_mcp_ask_tool_waits_in_the_same_queue(serve, corpus_assistant, gate, pool):
    live = serve(corpus_assistant, max_concurrent_answers=1, max_queued_answers=0)
    held = hold_the_turn(live, pool, gate)

    def connect() -> Client:
        http = httpx2.AsyncClient(timeout=httpx2.Timeout(30, read=120))
        return Client(streamable_http_client(live.url + "/mcp", http_client=http))

    async def refused(client: Client) -> None:
        text = await error_text(client, "ask", {"question": FLAGSHIP})
        assert "busy" in text and "retry in" in text
        # the tools that compose no answer are not queued
        assert (await call(client, "search", {"query": FLAGSHIP}))["passages"]

    run(connect, refused)
    assert metric(live, 'assistant_answers_rejected_total{reason="queue_full"}') == 1

    gate.opened.set()
    assert held.result(timeout=30).status_code == 200

    async def answered(client: Client) -> None:
        assert "70%" in (await call(client, "ask", {"question": FLAGSHIP}))["text"]

    run(connect, answered)
    assert metric(live, "assistant_answers_in_flight") == 0


def test_metrics_show_each_cache_by_entries_and_bytes(http, corpus_server):
    assert http.post("/v1/ask", json={"question": FLAGSHIP}).status_code == 200
    assert (
        http.post("/v1/ask", json={"question": "政府工作报告提出的人工智能+行动是什么?"}).status_code == 200
    )
    for cache in ("query_vectors", "sentence_vectors", "cjk_search_words"):
        entries = metric(corpus_server, f'assistant_cache_entries{{cache="{cache}"}}')
        size = metric(corpus_server, f'assistant_cache_bytes{{cache="{cache}"}}')
        most = metric(corpus_server, f'assistant_cache_max_bytes{{cache="{cache}"}}')
        assert entries and entries >= 1, cache
        assert size and most and 0 < size <= most, cache
        assert metric(corpus_server, f'assistant_cache_max_entries{{cache="{cache}"}}') >= entries
    assert metric(corpus_server, 'assistant_cache_max_bytes{cache="sentence_vectors"}') == 64 * 1024 * 1024
    # the functools caches count entries only
    for cache in ("passage_sentences", "sentence_terms", "candidate_sentences", "instruction_checks"):
        assert metric(corpus_server, f'assistant_cache_entries{{cache="{cache}"}}') >= 1, cache
        assert metric(corpus_server, f'assistant_cache_bytes{{cache="{cache}"}}') is None
