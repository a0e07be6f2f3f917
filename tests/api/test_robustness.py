"""Bad input never produces a 500: malformed JSON, wrong types, huge bodies, unknown fields, empty messages."""

from __future__ import annotations

import io
import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.api.observability import JsonFormatter, RequestIdFilter
from tests.api.conftest import FLAGSHIP

MALFORMED = [
    ("/v1/ask", b"{bad json", "not valid JSON"),
    ("/v1/ask", b'{"question": "x",}', "not valid JSON"),
    ("/v1/ask", b"", "body is empty"),
    ("/v1/ask", b"null", "JSON object"),
    ("/v1/ask", b"[1, 2]", "JSON object"),
    ("/v1/ask", b'"just a string"', "JSON object"),
    ("/v1/ask", b"\xff\xfe\x00garbage", "not valid JSON"),
    ("/v1/chat", b'{"messages": "hello"}', "messages"),
    ("/v1/chat/completions", b"{", "not valid JSON"),
]


@pytest.mark.parametrize(("path", "raw", "message"), MALFORMED)
def test_malformed_bodies_are_422_with_a_readable_message(http, path, raw, message):
    response = http.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert message in error["message"]
    assert error["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"question": 42}, "question: Input should be a valid string"),
        ({"question": FLAGSHIP, "top_k": "many"}, "top_k"),
        ({"question": FLAGSHIP, "top_k": 0}, "top_k: Input should be greater than or equal to 1"),
        ({"question": FLAGSHIP, "top_k": 10**9}, "top_k"),
        ({"question": FLAGSHIP, "stream": "maybe"}, "stream"),
        ({"question": FLAGSHIP, "topk": 3}, "unknown field 'topk'"),
        ({"question": FLAGSHIP, "filters": {"doc": "x"}}, "unknown field 'filters.doc'"),
        ({"question": FLAGSHIP, "filters": {"date_from": "yesterday"}}, "filters.date_from"),
        (
            {"question": FLAGSHIP, "filters": {"date_from": "2025-01-01", "date_to": "2024-01-01"}},
            "date_from is after",
        ),
        ({"question": FLAGSHIP, "mode": "psychic"}, "mode"),
        ({}, "question: this field is required"),
        ({"question": ""}, "the question is empty"),
        ({"question": " \n\t "}, "the question is empty"),
        ({"question": "x" * 5000}, "the limit is 2000"),
        ({"question": {"nested": [1, 2, {"deep": None}]}}, "question"),
    ],
)
def test_wrong_fields_are_422_naming_the_field(http, body, message):
    response = http.post("/v1/ask", json=body)
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([], "messages is empty"),
        ([{"role": "assistant", "content": "Hello"}], "last message must come from the user"),
        ([{"role": "user", "content": ""}], "the question is empty"),
        ([{"role": "robot", "content": "hi"}], "messages.0.role"),
        ([{"role": "user"}], "messages.0.content: this field is required"),
        ([{"role": "user", "content": "x"}] * 51, "the limit is 50"),
        ([{"role": "user", "content": "y" * 9000}, {"role": "user", "content": FLAGSHIP}], "limit is 8000"),
    ],
)
def test_bad_conversations_are_422(http, messages, message):
    for stream in (False, True):
        response = http.post("/v1/chat", json={"messages": messages, "stream": stream})
        assert response.status_code == 422, response.text
        assert message in response.json()["error"]["message"]


def test_huge_bodies_are_413_even_when_chunked(http):
    huge = json.dumps({"question": "x" * 400_000}).encode()
    response = http.post("/v1/ask", content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "256 KiB" in response.json()["error"]["message"]

    def chunks():
        for _ in range(100):
            yield b" " * 10_000

    response = http.post("/v1/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert http.get("/healthz").status_code == 200


def test_wrong_methods_paths_and_content_types(http):
    assert http.get("/v1/ask").status_code == 405
    assert http.get("/v1/nothing-here").status_code == 404
    response = http.post(
        "/v1/ask", content=b"question=hi", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 422
    response = http.post("/v1/documents", json={"file": "not a file"})
    assert response.status_code == 422
    assert "file" in response.json()["error"]["message"]
    assert http.get("/v1/passages/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert http.get("/v1/passages/x", params={"start": -1, "end": 5}).status_code == 422


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(
        st.sampled_from(["question", "filters", "top_k", "backend", "mode", "stream", "messages", "junk"]),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(max_size=30),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=5,
    )
)
def test_random_json_never_makes_a_500(http, body):
    for path in ("/v1/ask", "/v1/chat"):
        response = http.post(path, json=body)
        assert response.status_code in (200, 404, 422), (path, body, response.text)
        assert "error" in response.json() or response.status_code == 200


def test_request_ids_are_on_every_response_and_log_line(corpus_server):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("assistant.api.access")
    access.addHandler(handler)
    previous = access.level
    access.setLevel(logging.INFO)
    try:
        with corpus_server.client() as client:
            mine = client.get("/healthz", headers={"X-Request-ID": "trace-123"})
            generated = client.post("/v1/ask", json={"question": ""})
            hostile = client.get("/healthz", headers={"X-Request-ID": "bad id; <script>"})
    finally:
        access.removeHandler(handler)
        access.setLevel(previous)
    assert mine.headers["x-request-id"] == "trace-123"
    generated_id = generated.headers["x-request-id"]
    assert len(generated_id) == 32 and generated.json()["error"]["request_id"] == generated_id
    assert (
        hostile.headers["x-request-id"] != "bad id; <script>" and len(hostile.headers["x-request-id"]) == 32
    )
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    by_id = {line["request_id"]: line for line in lines}
    assert by_id["trace-123"]["status"] == 200 and by_id["trace-123"]["route"] == "/healthz"
    assert by_id[generated_id]["status"] == 422 and by_id[generated_id]["path"] == "/v1/ask"
    assert all({"ts", "level", "logger", "message", "duration_ms"} <= set(line) for line in lines)
