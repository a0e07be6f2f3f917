"""Health, readiness, metrics (fallbacks included), the OpenAPI description and the page's settings."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from assistant.answer.backends import GenerationRequest, register_backend, unregister_backend
from assistant.errors import BackendError
from tests.api.conftest import FLAGSHIP, read_events


def test_health_and_readiness(http):
    assert http.get("/healthz").json() == {"status": "ok"}
    ready = http.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] and body["model_loaded"] and body["store_reachable"] and body["documents"] >= 10


def test_metrics_are_prometheus_text(http):
    http.get("/healthz")
    response = http.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for family in (
        "assistant_http_requests_total",
        "assistant_http_request_duration_seconds_bucket",
        "assistant_rate_limited_total",
        "assistant_stream_disconnects_total",
    ):
        assert family in text
    assert 'route="/healthz"' in text


class BrokenBackend:
    """Fails every time, so the service falls back to the extractive answerer."""

    name = "broken-test"

    def __init__(self, settings: object) -> None:
        pass

    def generate(self, request: GenerationRequest) -> Iterator[str]:
        yield "A half-written"
        raise BackendError("the model server went away", kind="connection")


@pytest.fixture
def broken_backend() -> Iterator[None]:
    register_backend("broken-test", BrokenBackend)
    yield
    unregister_backend("broken-test")


def test_fallbacks_are_answered_counted_and_streamed_with_a_reset(http, broken_backend):
    answer = http.post("/v1/ask", json={"question": FLAGSHIP, "backend": "broken-test"}).json()
    assert answer["backend_fallback"] is True and "went away" in answer["fallback_reason"]
    assert answer["citations"]
    with http.stream(
        "POST", "/v1/ask", json={"question": FLAGSHIP, "backend": "broken-test", "stream": True}
    ) as r:
        deltas = [json.loads(data) for name, data in read_events(r) if name == "delta"]
    assert deltas[0] == {"text": "A half-written", "reset": False}
    assert deltas[-1]["reset"] is True and "70%" in deltas[-1]["text"]
    metrics = http.get("/metrics").text
    assert 'assistant_backend_fallbacks_total{backend="broken-test",kind="connection"} 2.0' in metrics


def test_openapi_describes_every_route_with_examples(http):
    schema = http.get("/openapi.json").json()
    expected = {
        ("post", "/v1/ask"),
        ("post", "/v1/chat"),
        ("post", "/v1/chat/completions"),
        ("get", "/v1/models"),
        ("get", "/v1/documents"),
        ("post", "/v1/documents"),
        ("get", "/v1/documents/{doc_id}"),
        ("delete", "/v1/documents/{doc_id}"),
        ("get", "/v1/passages/{passage_id}"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
    }
    found = {(method, path) for path, item in schema["paths"].items() for method in item}
    components = schema["components"]
    assert expected <= found
    for method, path in expected:
        operation = schema["paths"][path][method]
        assert operation.get("summary"), (method, path)
        text = json.dumps(operation)
        referenced = [
            json.dumps(components["schemas"][ref.rsplit("/", 1)[1]])
            for ref in re.findall(r'"\$ref": "([^"]+)"', text)
        ]
        assert "example" in text or any("example" in r for r in referenced), (
            f"{method.upper()} {path}: no example"
        )
    assert "HTTPBearer" in components["securitySchemes"]
    assert "examples" in components["schemas"]["AskRequest"]
    docs = http.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_page_settings(http):
    ui = http.get("/ui/settings").json()
    assert ui["auth_required"] is False and ui["max_question_chars"] == 2000
    assert ".pdf" in ui["upload_extensions"]
    page = http.get("/")
    assert page.headers["content-type"].startswith("text/html") and 'id="conversation"' in page.text
    assert http.get("/static/app.js").headers["content-type"].split(";")[0] in (
        "text/javascript",
        "application/javascript",
    )
