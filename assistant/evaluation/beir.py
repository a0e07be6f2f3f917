"""BEIR retrieval benchmarks: `corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`, scored per retrieval mode.

The corpus is indexed through the normal ingest pipeline (each abstract a document, chunked like any
other); a query's passages become a document ranking by each document's best passage, and that ranking is
scored with nDCG@10, Recall@10/100 and MRR@10 against the qrels (relevance > 0 counts as relevant).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dataset import DatasetError
from .metrics import dedupe, mean, ndcg_at_k, percentile, recall_at_k, reciprocal_rank
from .workspace import SourceDocument

if TYPE_CHECKING:
    from ..service import Assistant

DOC_DEPTH = 100  # documents ranked per query (for Recall@100)
PASSAGES_PER_DOC = 3  # passages retrieved per ranked document, so that chunked documents still fill it


@dataclass
class BeirData:
    """A BEIR dataset: documents (with safe ids), queries with judgements, and the id mapping."""

    name: str
    documents: list[SourceDocument]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    original_id: dict[str, str]  # safe document id -> BEIR id


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise DatasetError(f"{path}: no such file (a BEIR folder holds corpus.jsonl, queries.jsonl, qrels/)")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or "_id" not in row:
            raise DatasetError(f"{path}:{number}: field '_id': missing")
        rows.append((number, row))
    return rows


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """TSV judgements `query-id, corpus-id, score`; CRLF line ends and a header row are accepted."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.strip().split("\t")
        if not line.strip():
            continue
        if len(fields) < 3:
            raise DatasetError(f"{path}:{number}: expected query-id, corpus-id and score separated by tabs")
        try:
            score = int(float(fields[-1]))
        except ValueError as exc:
            if number == 1:
                continue  # the header row
            raise DatasetError(f"{path}:{number}: field 'score': {fields[-1]!r} is not a number") from exc
        qrels.setdefault(fields[0], {})[fields[-2]] = score
    return qrels


def load_beir(folder: str | Path, split: str = "test") -> BeirData:
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder")
    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    queries = {str(row["_id"]): str(row.get("text", "")) for _, row in _read_jsonl(folder / "queries.jsonl")}
    documents: list[SourceDocument] = []
    original: dict[str, str] = {}
    for number, row in _read_jsonl(folder / "corpus.jsonl"):
        beir_id = str(row["_id"])
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", beir_id).strip("-.") or f"doc-{number}"
        while safe in original:
            safe += "_"
        original[safe] = beir_id
        title = " ".join(str(row.get("title") or "").split())
        text = str(row.get("text") or "").replace("\r\n", "\n").strip() or title or beir_id
        documents.append(SourceDocument(safe, title or beir_id, text, ["beir"]))
    missing = sorted(q for q in qrels if q not in queries)
    if missing:
        raise DatasetError(
            f"{folder}: qrels name {len(missing)} queries not in queries.jsonl (e.g. {missing[0]!r})"
        )
    judged = {q: text for q, text in queries.items() if any(v > 0 for v in qrels.get(q, {}).values())}
    if not judged:
        raise DatasetError(f"{folder}: no query has a relevant document in qrels/{split}.tsv")
    return BeirData(folder.name, documents, judged, qrels, original)


def score_ranking(ranked: Sequence[str], relevant: set[str]) -> dict[str, float]:
    return {
        "ndcg@10": ndcg_at_k(ranked, relevant, 10),
        "recall@1": recall_at_k(ranked, relevant, 1),
        "recall@5": recall_at_k(ranked, relevant, 5),
        "recall@10": recall_at_k(ranked, relevant, 10),
        "recall@100": recall_at_k(ranked, relevant, 100),
        "mrr@10": reciprocal_rank(ranked, relevant, 10),
    }


def evaluate_beir(
    assistant: Assistant,
    data: BeirData,
    modes: Sequence[str],
    *,
    limit: int | None = None,
    on_query: Callable[[], None] | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, list[dict[str, Any]]]]:
    """Metrics per mode and per-query records (document rankings are cut at 100)."""
    query_ids = sorted(data.queries, key=_natural)[:limit]
    metrics: dict[str, dict[str, float]] = {}
    records: dict[str, list[dict[str, Any]]] = {}
    for mode in modes:
        rows = []
        for query_id in query_ids:
            started = time.perf_counter()
            retrieval = assistant.retrieve(
                data.queries[query_id], top_k=DOC_DEPTH * PASSAGES_PER_DOC, mode=mode
            )
            elapsed = (time.perf_counter() - started) * 1000
            ranked = [data.original_id.get(d, d) for d in dedupe(p.doc_id for p in retrieval.passages)][
                :DOC_DEPTH
            ]
            relevant = {d for d, score in data.qrels[query_id].items() if score > 0}
            rows.append(
                {"query_id": query_id, "ranked": ranked, "ms": elapsed, **score_ranking(ranked, relevant)}
            )
            if on_query is not None:
                on_query()
        names = [k for k in rows[0] if k not in ("query_id", "ranked", "ms")] if rows else []
        metrics[mode] = {"queries": float(len(rows)), **{n: mean(r[n] for r in rows) for n in names}}
        times = [r["ms"] for r in rows]
        metrics[mode]["latency_retrieve_p50_ms"] = percentile(times, 50)
        metrics[mode]["latency_retrieve_p95_ms"] = percentile(times, 95)
        records[mode] = rows
    return metrics, records


def _natural(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (10**18, value)
