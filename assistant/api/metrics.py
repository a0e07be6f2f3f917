"""Prometheus metrics of one app: requests, answer stages, abstentions, fallbacks, errors, the answer queue
and the caches' sizes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..caches import CacheStats
from ..models import Answer
from .admission import GateStats

_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_WAIT_BUCKETS = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)


class Metrics:
    """The counters and histograms behind `GET /metrics`, in a registry of their own.

    A registry per app (not the process-global one) lets several apps live in one process, as in tests.
    With several worker processes each worker reports its own numbers.
    """

    content_type = CONTENT_TYPE_LATEST

    def __init__(
        self,
        fallback_counts: Callable[[], dict[tuple[str, str], int]] | None = None,
        *,
        cache_stats: Callable[[], Sequence[CacheStats]] | None = None,
        gate_stats: Callable[[], GateStats] | None = None,
    ) -> None:
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
        self.queue_wait = Histogram(
            "assistant_answer_queue_wait_seconds",
            "Time an answer waited for its turn (server.max_concurrent_answers) before it started.",
            buckets=_WAIT_BUCKETS,
            registry=self.registry,
        )
        if gate_stats is not None:
            self.registry.register(_GateCollector(gate_stats))
        if cache_stats is not None:
            self.registry.register(_CacheCollector(cache_stats))

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


class _GateCollector(Collector):
    """The answer queue (assistant/api/admission.py), read at scrape time."""

    def __init__(self, stats: Callable[[], GateStats]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        now = self.stats()
        for name, help_, value in (
            ("assistant_answers_in_flight", "Answers being computed now.", now.in_flight),
            ("assistant_answers_queued", "Answers waiting for a turn now.", now.queued),
            (
                "assistant_answers_max_concurrent",
                "Answers computed at once at most (server.max_concurrent_answers).",
                now.max_concurrent,
            ),
            (
                "assistant_answers_max_queued",
                "Answers that may wait for a turn (server.max_queued_answers).",
                now.max_queued,
            ),
            (
                "assistant_answer_recent_seconds",
                "Recent time an answer held its turn (weighted mean; Retry-After is estimated from it).",
                now.recent_answer_seconds,
            ),
        ):
            yield GaugeMetricFamily(name, help_, value=value)
        rejected = CounterMetricFamily(
            "assistant_answers_rejected",
            "Answers refused with 503 and Retry-After, by reason: queue_full (past server.max_queued_answers) "
            "or queue_timeout (no turn within server.max_queue_wait_seconds).",
            labels=["reason"],
        )
        for reason in ("queue_full", "queue_timeout"):
            rejected.add_metric([reason], now.rejected.get(reason, 0))
        yield rejected


class _CacheCollector(Collector):
    """How full each cache on the answering path is, by entries and (where it counts them) bytes."""

    def __init__(self, stats: Callable[[], Sequence[CacheStats]]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        families = {
            "entries": GaugeMetricFamily(
                "assistant_cache_entries", "Entries held now, by cache.", labels=["cache"]
            ),
            "max_entries": GaugeMetricFamily(
                "assistant_cache_max_entries", "Entries a cache may hold, by cache.", labels=["cache"]
            ),
            "bytes": GaugeMetricFamily(
                "assistant_cache_bytes",
                "Bytes held now, by cache (the caches bounded in bytes: vectors or words, their keys and "
                "object headers).",
                labels=["cache"],
            ),
            "max_bytes": GaugeMetricFamily(
                "assistant_cache_max_bytes", "Bytes a cache may hold, by cache.", labels=["cache"]
            ),
        }
        for cache in self.stats():
            for field, family in families.items():
                value = getattr(cache, field)
                if value is not None:
                    family.add_metric([cache.name], value)
        yield from families.values()
