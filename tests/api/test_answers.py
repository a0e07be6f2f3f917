"""`/v1/ask` and `/v1/chat` over real HTTP: typed answers, follow-ups, server-sent events, disconnects."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator

import pytest

from assistant.answer.backends import GenerationRequest, register_backend, unregister_backend
from tests.api.conftest import FLAGSHIP, read_events


def test_ask_returns_a_typed_answer_with_exact_citations(http, corpus_assistant):
    response = http.post("/v1/ask", json={"question": FLAGSHIP})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    assert not answer["abstained"] and "70%" in answer["text"]
    assert answer["backend"] == "extractive"
    assert answer["timings"]["total"] > 0 and answer["timings"]["dense"] > 0
    assert answer["citations"]
    for citation in answer["citations"]:
        assert f"[{citation['n']}]" in answer["text"]
        document = corpus_assistant.document(citation["doc_id"])
        assert document.text[citation["start"] : citation["end"]] == citation["quote"]
        assert {"title", "heading_path", "page", "score", "passage_id"} <= set(citation)


def test_ask_applies_filters_and_top_k(http):
    body = {"question": FLAGSHIP, "filters": {"doc_ids": ["eu-ai-act-risk-tiers"]}, "top_k": 3}
    answer = http.post("/v1/ask", json=body).json()
    assert len(answer["passages"]) <= 3
    assert {p["doc_id"] for p in answer["passages"]} == {"eu-ai-act-risk-tiers"}


def test_off_topic_question_abstains_clearly(http):
    answer = http.post("/v1/ask", json={"question": "How do I bake sourdough bread at home?"}).json()
    assert answer["abstained"] is True
    assert answer["citations"] == []
    assert answer["text"] == "The indexed documents do not answer this question."
    assert answer["abstain_reason"]


def test_chat_condenses_a_follow_up_and_shows_the_standalone_question(http):
    messages = [
        {"role": "user", "content": FLAGSHIP},
        {"role": "assistant", "content": "Above 70% [1]."},
        {"role": "user", "content": "And by 2030?"},
    ]
    answer = http.post("/v1/chat", json={"messages": messages}).json()
    assert answer["question"] == "And by 2030?"
    assert answer["standalone_question"] != "And by 2030?"
    assert (
        "2030" in answer["standalone_question"] and "intelligent terminals" in answer["standalone_question"]
    )
    assert not answer["abstained"] and "90%" in answer["text"]


@pytest.mark.parametrize("route", ["/v1/ask", "/v1/chat"])
def test_streaming_sends_sources_then_deltas_then_the_final_answer(http, route):
    body = (
        {"question": FLAGSHIP, "stream": True}
        if route == "/v1/ask"
        else {"messages": [{"role": "user", "content": FLAGSHIP}], "stream": True}
    )
    with http.stream("POST", route, json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [(name, json.loads(data)) for name, data in read_events(response)]
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] == "final"
    assert set(names[1:-1]) == {"delta"}
    sources = events[0][1]
    assert sources["standalone_question"] == FLAGSHIP and sources["passages"]
    final = events[-1][1]
    assert final["citations"] and not final["abstained"]
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert "70%" in streamed
    # the deltas' markers number the passages of the sources event
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", streamed)]
    assert markers and all(1 <= n <= len(sources["passages"]) for n in markers)


def test_streaming_an_abstention_ends_with_a_final_event_and_no_deltas(http):
    body = {"question": "What is the capital of Peru?", "stream": True}
    with http.stream("POST", "/v1/ask", json=body) as response:
        names = [name for name, _ in read_events(response)]
    assert names == ["sources", "final"]


def test_bad_stream_requests_fail_before_the_stream_starts(http):
    response = http.post("/v1/ask", json={"question": "   ", "stream": True})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/json")
    assert "empty" in response.json()["error"]["message"]


class SlowBackend:
    """Writes a long answer slowly and records how far it got (the test's view of the work done)."""

    name = "slow-test"
    pieces = 60
    progress: list[int] = []
    closed = threading.Event()

    def __init__(self, settings: object) -> None:
        pass

    def generate(self, request: GenerationRequest) -> Iterator[str]:
        try:
            for i in range(self.pieces):
                time.sleep(0.05)
                SlowBackend.progress.append(i)
                yield f"word{i} "
            yield "[1]"
        finally:
            SlowBackend.closed.set()


@pytest.fixture
def slow_backend() -> Iterator[type[SlowBackend]]:
    SlowBackend.progress = []
    SlowBackend.closed = threading.Event()
    register_backend("slow-test", SlowBackend)
    yield SlowBackend
    unregister_backend("slow-test")


def test_a_client_that_disconnects_stops_the_generation(corpus_server, slow_backend):
    body = {"question": FLAGSHIP, "stream": True, "backend": "slow-test"}
    with corpus_server.client() as client, client.stream("POST", "/v1/ask", json=body) as response:
        assert response.status_code == 200
        for name, _ in read_events(response):
            if name == "delta":
                break  # hang up after the first piece of text
    assert slow_backend.closed.wait(10), "the backend's generator was never closed"
    reached = len(slow_backend.progress)
    time.sleep(0.5)
    assert len(slow_backend.progress) == reached, "generation went on after the client left"
    assert reached < slow_backend.pieces
    with corpus_server.client() as client:
        metrics = client.get("/metrics").text
    assert _counter(metrics, "assistant_stream_disconnects_total") >= 1


def test_a_client_that_stays_gets_the_whole_slow_answer(corpus_server, slow_backend):
    body = {"question": FLAGSHIP, "stream": True, "backend": "slow-test"}
    with corpus_server.client() as client, client.stream("POST", "/v1/ask", json=body) as response:
        events = list(read_events(response))
    assert len(slow_backend.progress) == slow_backend.pieces
    assert events[-1][0] == "final"


def test_unknown_backend_is_a_422_listing_the_known_ones(http):
    response = http.post("/v1/ask", json={"question": FLAGSHIP, "backend": "nope"})
    assert response.status_code == 422
    assert "extractive" in response.json()["error"]["message"]


def test_metrics_count_requests_stages_and_abstentions(http):
    http.post("/v1/ask", json={"question": FLAGSHIP})
    http.post("/v1/ask", json={"question": "What is the capital of Peru?"})
    text = http.get("/metrics").text
    assert _counter(text, 'assistant_http_requests_total{method="POST",route="/v1/ask",status="200"}') >= 2
    assert _counter(text, 'assistant_answers_total{backend="extractive",outcome="abstained"}') >= 1
    assert _counter(text, 'assistant_answers_total{backend="extractive",outcome="answered"}') >= 1
    assert 'assistant_answer_stage_duration_seconds_count{stage="dense"}' in text
    assert 'assistant_answer_stage_duration_seconds_count{stage="verify"}' in text


def _counter(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
