"""Query latency, question by question: a bare query embedding plus a bare Chroma query beside our
retrieval and our full extractive answer, on the same index.

Every question is asked cold — the query and sentence caches are emptied first — because a new question
is what a person waits for; the answer is then asked again warm, to show what the caches save.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..service import Assistant
from .contenders import BareEncoder, LangChainBaseline
from .stats import figure, latency_summary

STAGES = ("embed_query", "dense", "bm25", "fusion")


@dataclass
class Samples:
    """Milliseconds per question for each measured path, over one pass over the questions."""

    values: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    abstained: int = 0

    def add(self, name: str, ms: float) -> None:
        self.values[name].append(ms)


def ask_questions(
    assistant: Assistant,
    bare: BareEncoder,
    questions: list[str],
    *,
    baseline: tuple[LangChainBaseline, Any] | None = None,
    answers: bool = True,
) -> Samples:
    """One pass over the questions; the order of bare and ours alternates so neither always goes first."""
    samples = Samples()
    top_k = assistant.settings.retrieval.top_k
    collection = assistant.index.store.collection
    embedder = assistant.embedder
    for i, question in enumerate(questions):
        runs = [_bare, _ours] if i % 2 == 0 else [_ours, _bare]
        for run in runs:
            embedder.clear_caches()
            run(samples, assistant, bare, collection, question, top_k)
        if baseline is not None:
            samples.add("baseline_search", baseline[0].search_ms(baseline[1], question))
        if answers:
            embedder.clear_caches()
            started = time.perf_counter()
            answer = assistant.ask(question)
            samples.add("answer_cold", _ms(started))
            samples.abstained += int(answer.abstained)
            started = time.perf_counter()
            assistant.ask(question)
            samples.add("answer_warm", _ms(started))
    return samples


def _bare(samples: Samples, assistant: Assistant, bare: BareEncoder, collection: Any, q: str, k: int) -> None:
    seconds, vector = bare.encode_query(q)
    started = time.perf_counter()
    collection.query(query_embeddings=[vector], n_results=k)
    chroma_ms = _ms(started)
    samples.add("bare_embed", seconds * 1000.0)
    samples.add("bare_chroma", chroma_ms)
    samples.add("bare_total", seconds * 1000.0 + chroma_ms)


def _ours(samples: Samples, assistant: Assistant, bare: BareEncoder, collection: Any, q: str, k: int) -> None:
    started = time.perf_counter()
    retrieval = assistant.retrieve(q)
    samples.add("retrieve", _ms(started))
    for stage in STAGES:
        if stage in retrieval.timings:
            samples.add(f"stage_{stage}", retrieval.timings[stage])


def summarize(repeats: list[Samples]) -> dict[str, Any]:
    """For each path: p50, p95 (and p99) per pass, as figures over the passes."""
    names = sorted({name for r in repeats for name in r.values})
    out: dict[str, Any] = {}
    for name in names:
        per_pass = [latency_summary(r.values[name]) for r in repeats if r.values.get(name)]
        out[name] = {
            "p50": figure([p["p50"] for p in per_pass], "ms", 2),
            "p95": figure([p["p95"] for p in per_pass], "ms", 2),
        }
    out["questions"] = max((len(r.values.get("retrieve", [])) for r in repeats), default=0)
    out["abstained"] = repeats[-1].abstained if repeats else 0
    return out


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
