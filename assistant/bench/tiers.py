"""Indexes of a chosen size for the query benchmark: the real chunks first, then synthetic filler.

Embedding 100,000 chunks on a small CPU takes hours, so larger sizes are filled with synthetic documents
written straight through the index layer (catalog, Chroma, BM25 — the same writes an ingest makes). Their
text is real sentences of the corpus shuffled into new paragraphs, so BM25 sees the corpus's vocabulary and
term frequencies; their vectors are mixtures of two real chunk vectors plus a little noise, so the vector
index sees clustered, realistic directions rather than uniform noise (the worst case for HNSW). The real
chunks keep the sentence vectors their ingest stored; filler sentences have none (a stored vector per
sentence of 100,000 chunks would be a gigabyte), so a filler passage retrieved for a question has its
sentences encoded then, as with `ingest.sentence_vectors: off`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import Settings
from ..index.embedder import Embedder
from ..index.sentence_vectors import answer_sentence_texts
from ..ingest.pipeline import index_terms
from ..language.sentences import sentence_spans
from ..models import Chunk, Document, DocumentMetadata
from ..service import Assistant
from .contenders import run_settings

FILLER_CHUNKS_PER_DOCUMENT = 100
NOISE = 0.025  # per dimension; about half the length of a unit vector over 384 dimensions


@dataclass
class Material:
    """The real documents of an ingested index with their chunks and vectors, to copy into other indexes."""

    documents: list[Document]
    chunks: dict[str, list[Chunk]]
    vectors: dict[str, np.ndarray]  # chunk id -> vector
    sentences: list[str]
    # doc id -> the sentence texts and vectors the ingest stored (ingest.sentence_vectors), copied with it
    sentence_vectors: dict[str, tuple[list[str], np.ndarray]] = field(default_factory=dict)

    @property
    def n_chunks(self) -> int:
        return sum(len(c) for c in self.chunks.values())


def collect_material(assistant: Assistant) -> Material:
    """Read documents back from an ingested index, re-chunk them (deterministic) and fetch their vectors."""
    documents: list[Document] = []
    chunks: dict[str, list[Chunk]] = {}
    vectors: dict[str, np.ndarray] = {}
    sentence_vectors: dict[str, tuple[list[str], np.ndarray]] = {}
    for info in assistant.documents():
        document = assistant.document(info.id)
        pieces = assistant.pipeline.chunker.chunk(document)
        stored = assistant.index.store.vectors([c.id for c in pieces])
        if len(stored) != len(pieces):
            raise RuntimeError(f"the index lost vectors of {document.id}; re-run the benchmark")
        documents.append(document)
        chunks[document.id] = pieces
        vectors.update(stored)
        if assistant.index.sentences is not None:
            evidence = assistant.settings.answer.evidence
            texts = list(dict.fromkeys(t for c in pieces for t in answer_sentence_texts(c, evidence)))
            found = assistant.index.sentences.lookup(texts)
            kept = [t for t in texts if t in found]
            if kept:
                sentence_vectors[document.id] = (kept, np.stack([found[t] for t in kept]))
    sentences = [
        " ".join(c.text[s:e].split())
        for pieces in chunks.values()
        for c in pieces
        for s, e in sentence_spans(c.text)
        if e - s >= 40
    ]
    if not sentences:  # a corpus of fragments: reuse whole chunks
        sentences = [c.text for pieces in chunks.values() for c in pieces]
    return Material(documents, chunks, vectors, sentences, sentence_vectors)


def build_index(
    size: int, material: Material, settings: Settings, embedder: Embedder, data_dir: Path, seed: int = 7
) -> tuple[Assistant, int]:
    """An index of exactly `size` chunks (real first, then filler); returns it and its count of real chunks."""
    assistant = Assistant(run_settings(settings, data_dir), embedder=embedder)
    index = assistant.index
    index.check_dimension()
    fingerprint = assistant.pipeline.fingerprint
    stemmer = settings.retrieval.bm25.stemmer
    remaining = size
    for document in material.documents:
        if remaining <= 0:
            break
        chunks = material.chunks[document.id][:remaining]
        vectors = np.stack([material.vectors[c.id] for c in chunks])
        index.write_document(document, chunks, vectors, index_terms(document, chunks, stemmer), fingerprint)
        if index.sentences is not None and document.id in material.sentence_vectors:
            index.sentences.replace_document(document.id, *material.sentence_vectors[document.id])
        remaining -= len(chunks)
    real = size - max(remaining, 0)
    rng = np.random.default_rng(seed)
    pool = np.stack(list(material.vectors.values()))
    number = 0
    while remaining > 0:
        n = min(FILLER_CHUNKS_PER_DOCUMENT, remaining)
        document, chunks = filler_document(number, n, material.sentences, rng)
        vectors = filler_vectors(n, pool, rng)
        index.write_document(document, chunks, vectors, index_terms(document, chunks, stemmer), fingerprint)
        remaining -= n
        number += 1
    index.refresh_lexical()
    return assistant, real


def filler_document(
    number: int, n_chunks: int, sentences: list[str], rng: np.random.Generator
) -> tuple[Document, list[Chunk]]:
    """A synthetic document of `n_chunks` paragraphs, each 4 to 9 real sentences in a new order."""
    doc_id = f"filler-{number:05d}"
    paragraphs = [
        " ".join(sentences[i] for i in rng.integers(0, len(sentences), int(rng.integers(4, 10))))
        for _ in range(n_chunks)
    ]
    text = "\n\n".join(paragraphs)
    document = Document(
        id=doc_id,
        source=f"synthetic://{doc_id}",
        text=text,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        metadata=DocumentMetadata(
            title=f"Synthetic filler document {number}", issuing_body="Benchmark filler", language="en"
        ),
    )
    chunks = []
    start = 0
    for ordinal, paragraph in enumerate(paragraphs):
        end = start + len(paragraph)
        digest = hashlib.sha256(f"{ordinal}\n{paragraph}".encode()).hexdigest()[:16]
        chunks.append(
            Chunk(
                id=f"{doc_id}:{digest}",
                doc_id=doc_id,
                ordinal=ordinal,
                text=paragraph,
                start=start,
                end=end,
                heading_path=[f"Part {ordinal // 10 + 1}"],
            )
        )
        start = end + 2
    return document, chunks


def filler_vectors(n: int, pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors near the real ones: the sum of two random real vectors plus Gaussian noise."""
    mixed = pool[rng.integers(0, len(pool), n)] + pool[rng.integers(0, len(pool), n)]
    mixed += rng.normal(0.0, NOISE, mixed.shape).astype(np.float32)
    return (mixed / np.linalg.norm(mixed, axis=1, keepdims=True)).astype(np.float32)
