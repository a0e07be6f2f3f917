"""Hybrid retrieval: dense (Chroma) and BM25 rankings fused by weighted reciprocal rank, optional MMR."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..config import RetrievalSettings
from ..index.catalog import ChunkRow
from ..index.embedder import Embedder
from ..index.passage_index import PassageIndex
from ..models import HEADING_SEPARATOR, Filters, Passage, PassageScores
from ..text import terms


@dataclass
class Retrieval:
    """Passages, best first, with the milliseconds each stage took."""

    passages: list[Passage]
    timings: dict[str, float] = field(default_factory=dict)
    query_vector: np.ndarray | None = None


def rrf_fuse(rankings: dict[str, list[str]], weights: dict[str, float], k: int) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion: score(d) = sum over rankings of weight / (k + rank), rank from 1."""
    scores: dict[str, float] = {}
    for name, ids in rankings.items():
        weight = weights.get(name, 1.0)
        if weight <= 0:
            continue
        for rank, chunk_id in enumerate(ids, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def mmr(vectors: np.ndarray, relevance: list[float], top_k: int, lambda_: float) -> list[int]:
    """Maximal marginal relevance: trade each candidate's (fused) relevance against its similarity to those
    already chosen; `vectors` are normalised, relevance is rescaled to [0, 1]."""
    if len(vectors) == 0:
        return []
    rel = np.asarray(relevance, dtype=np.float32)
    spread = float(rel.max() - rel.min())
    rel = (rel - rel.min()) / spread if spread > 0 else np.ones_like(rel)
    chosen: list[int] = []
    remaining = list(range(len(vectors)))
    while remaining and len(chosen) < top_k:
        if chosen:
            redundancy = (vectors[remaining] @ vectors[chosen].T).max(axis=1)
        else:
            redundancy = np.zeros(len(remaining), dtype=np.float32)
        scores = lambda_ * rel[remaining] - (1 - lambda_) * redundancy
        best = remaining[int(np.argmax(scores))]
        chosen.append(best)
        remaining.remove(best)
    return chosen


def to_passage(row: ChunkRow, scores: PassageScores) -> Passage:
    return Passage(
        id=row.id,
        doc_id=row.doc_id,
        title=row.title,
        heading_path=HEADING_SEPARATOR.join(row.heading),
        page=row.page,
        page_breaks=list(row.page_breaks),
        text=row.text,
        start=row.start,
        end=row.end,
        language=row.language,
        issuing_body=row.issuing_body,
        date=row.date,
        scores=scores,
    )


class HybridRetriever:
    """Finds the passages most likely to answer a query."""

    def __init__(self, index: PassageIndex, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def retrieve(
        self,
        query: str,
        *,
        filters: Filters | None = None,
        top_k: int | None = None,
        mode: str | None = None,
    ) -> Retrieval:
        top_k = top_k or self.settings.top_k
        mode = mode or self.settings.mode
        n = max(self.settings.candidates, top_k)
        timings: dict[str, float] = {}
        rankings: dict[str, list[str]] = {}
        scores: dict[str, PassageScores] = {}
        vector: np.ndarray | None = None

        if mode in ("hybrid", "dense"):
            started = time.perf_counter()
            vector = self.embedder.embed_query(query)
            timings["embed_query"] = _ms(started)
            started = time.perf_counter()
            hits = self.index.dense_search(vector, n, filters)
            timings["dense"] = _ms(started)
            rankings["dense"] = [h.id for h in hits]
            for rank, hit in enumerate(hits, start=1):
                scores.setdefault(hit.id, PassageScores()).dense = hit.similarity
                scores[hit.id].dense_rank = rank
                scores[hit.id].sources.append("dense")

        if mode in ("hybrid", "bm25"):
            started = time.perf_counter()
            lexical = self.index.lexical_search(terms(query, self.settings.bm25.stemmer), n, filters)
            timings["bm25"] = _ms(started)
            rankings["bm25"] = [chunk_id for chunk_id, _ in lexical]
            for rank, (chunk_id, score) in enumerate(lexical, start=1):
                scores.setdefault(chunk_id, PassageScores()).bm25 = score
                scores[chunk_id].bm25_rank = rank
                scores[chunk_id].sources.append("bm25")

        started = time.perf_counter()
        weights = {"dense": self.settings.fusion.dense_weight, "bm25": self.settings.fusion.bm25_weight}
        fused = rrf_fuse(rankings, weights, self.settings.fusion.k)
        if self.settings.mmr.enabled and fused:
            fused = self._diversify(fused[: max(top_k * 4, 20)], top_k)
        fused = fused[:top_k]
        rows = self.index.rows([chunk_id for chunk_id, _ in fused])
        passages = []
        for chunk_id, score in fused:
            row = rows.get(chunk_id)
            if row is None:  # removed between search and lookup
                continue
            scores[chunk_id].fused = score
            passages.append(to_passage(row, scores[chunk_id]))
        timings["fusion"] = _ms(started)
        return Retrieval(passages=passages, timings=timings, query_vector=vector)

    def _diversify(self, fused: list[tuple[str, float]], top_k: int) -> list[tuple[str, float]]:
        stored = self.index.store.vectors([chunk_id for chunk_id, _ in fused])
        kept = [(chunk_id, score) for chunk_id, score in fused if chunk_id in stored]
        if not kept:
            return fused
        matrix = np.stack([stored[chunk_id] for chunk_id, _ in kept])
        order = mmr(matrix, [score for _, score in kept], top_k, self.settings.mmr.lambda_)
        return [kept[i] for i in order]


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
