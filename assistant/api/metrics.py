"""Prometheus metrics of one app: requests, answer stages, abstentions, fallbacks, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from ..models import Answer

_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    """The counters and histograms behind `GET /metrics`, in a registry of their own.

    A registry per app (not the process-global one) lets several apps live in one process, as in tests.
    With several worker processes each worker reports its own numbers.
    """

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, fallback_counts: Callable[[], dict[tuple[str, str], int]] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "assistant_http_requests",
            "HTTP requests served, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "assistant_http_request_duration_seconds",
            "Time to serve an HTTP request (a streamed response counts until its last byte).",
            ["method", "route"],
            buckets=_REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.stages = Histogram(
            "assistant_answer_stage_duration_seconds",
            "Time spent in each stage of answering (condense, embed_query, dense, bm25, fusion, evidence, "
            "generate, verify, total).",
            ["stage"],
            buckets=_STAGE_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "assistant_answers",
            "Answers given, by backend and outcome (answered or abstained).",
            ["backend", "outcome"],
            registry=self.registry,
        )
        if fallback_counts is not None:
            self.registry.register(_FallbackCollector(fallback_counts))
        self.errors = Counter(
            "assistant_errors",
            "Requests that ended in an error, by error type.",
            ["type"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "assistant_rate_limited", "Requests refused with 429 by the rate limit.", registry=self.registry
        )
        self.disconnects = Counter(
            "assistant_stream_disconnects",
            "Streamed answers stopped because the client went away.",
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def observe_answer(self, answer: Answer) -> None:
        for stage, milliseconds in answer.timings.model_dump().items():
            if isinstance(milliseconds, int | float):
                self.stages.labels(stage).observe(milliseconds / 1000.0)
        self.answers.labels(answer.backend, "abstained" if answer.abstained else "answered").inc()

    def observe_error(self, error_type: str) -> None:
        self.errors.labels(error_type).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _FallbackCollector(Collector):
    """Backend fallbacks as the service counts them, by backend and failure kind, read at scrape time."""

    def __init__(self, counts: Callable[[], dict[tuple[str, str], int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "assistant_backend_fallbacks",
            "Answers where the backend failed and the extractive answerer stepped in, by backend and failure "
            "kind (timeout, connection, rate_limited, server_error, malformed, empty, ungrounded, ...).",
            labels=["backend", "kind"],
        )
        for (backend, kind), n in sorted(self.counts().items()):
            family.add_metric([backend, kind], n)
        yield family
