"""Sentence vectors made at ingest, so that a first answer needs no model work but the question.

The extractive answerer scores every sentence of the retrieved passages against the question (each sentence
with its heading path in front), asking the embedder for those vectors. `ingest.sentence_vectors` makes them
ahead of time and keeps them here, keyed by a hash of the exact text (and of how they were made):

- `pooled` (the default): the mean of the sentence's token vectors out of its chunk's own forward pass
  ("late chunking"), which the ingest runs anyway: nearly free, and each vector sees its sentence in context;
- `encoded`: each sentence text encoded alone, as the answerer would (about 1.9x the ingest time).

A lookup can only ever return a vector of that very text under the index's model, so a stale row (a crash, a
removed document) is harmless, and a text that is not here is simply encoded when asked for.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..config import EvidenceSettings
from ..models import HEADING_SEPARATOR, Chunk
from .catalog import open_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS sentences (
    key BLOB NOT NULL,
    doc_id TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (key, doc_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sentences_by_doc ON sentences(doc_id);
"""


def _key(text: str, kind: str) -> bytes:
    """A pooled vector and an encoded one of the same text differ, so each kind keys its own rows."""
    prefix = "" if kind == "encoded" else f"{kind}\0"
    return hashlib.sha1(f"{prefix}{text}".encode()).digest()


def answer_sentence_texts(chunk: Chunk, settings: EvidenceSettings) -> list[str]:
    """The texts the answerer will embed for this chunk as a passage. (The citation check compares claims and
    sentences encoded alone, never stored vectors; an extractive answer's claims are verbatim quotes, checked
    without embeddings.)"""
    return list(dict.fromkeys(key for key, _, _ in _sentence_keys(chunk, settings)))


def _sentence_keys(chunk: Chunk, settings: EvidenceSettings) -> list[tuple[str, int, int]]:
    """(text to embed, start, end in chunk.text) of the sentences EvidenceScorer scores for a passage with
    this chunk's text, in the same form as it embeds them."""
    from ..answer.evidence import evidence_text, is_candidate, passage_sentences

    text, heading = chunk.text, HEADING_SEPARATOR.join(chunk.heading_path)
    out = [
        (evidence_text(heading, text[start:end], settings.sentence_context), start, end)
        for start, end in passage_sentences(text, settings.sentences_per_passage, chunk.local_noise())
        if is_candidate(text[start:end])
    ]
    return [item for item in out if item[0]]


def answer_sentence_spans(
    chunk: Chunk, embedding_text: str, settings: EvidenceSettings
) -> list[tuple[str, int, int]]:
    """The texts of `answer_sentence_texts(chunk, settings)`, each with the span of its sentence
    in `embedding_text` (what the chunk is embedded as: a title and heading prefix, then the chunk's text
    without noise), so that its vector can be pooled out of the chunk's own forward pass. A sentence not
    found there verbatim (noise removed from inside it) is left out: it is encoded alone."""
    body = chunk.index_text
    base = len(embedding_text) - len(body) if embedding_text.endswith(body) else embedding_text.find(body)
    if base < 0:
        return []
    keys = _sentence_keys(chunk, settings)
    at: dict[tuple[int, int], int] = {}
    cursor = 0
    for start, end in sorted({(start, end) for _, start, end in keys}):
        span = (start, end) if chunk.search_text is None else _find(body, chunk.text[start:end], cursor)
        if span is not None:
            cursor = span[0] + 1
            at[(start, end)] = span
    return [(key, base + at[(a, b)][0], base + at[(a, b)][1]) for key, a, b in keys if (a, b) in at]


def _find(body: str, sentence: str, cursor: int, edge: int = 24) -> tuple[int, int] | None:
    """Where `sentence` is in `body` (the chunk's text without noise) from `cursor` on: verbatim, or, when
    noise was cut out of it (a running header inside it, a footnote mark), from where its first `edge`
    characters are to where its last ones are, or else to about its length on."""
    found = body.find(sentence, cursor)
    if found >= 0:
        return found, found + len(sentence)
    head = sentence[:edge].strip()
    start = body.find(head, cursor) if head else -1
    if start < 0:
        return None
    for size in (edge, edge // 3):
        tail = sentence[-size:].strip()
        end = body.find(tail, start) if tail else -1
        if end >= 0 and 0.5 * len(sentence) <= end + len(tail) - start <= len(sentence) + edge:
            return start, end + len(tail)
    return start, min(len(body), start + len(sentence))


class SentenceVectorStore:
    """Vectors of sentence texts, by document, in a SQLite file beside the index."""

    def __init__(self, path: Path, kind: str = "pooled") -> None:
        self.path = path
        self.kind = kind
        self._lock = threading.Lock()
        self._db = open_sqlite(path, SCHEMA)

    def lookup(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those texts that have one."""
        by_key = {_key(t, self.kind): t for t in texts}
        keys = list(by_key)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                for key, blob in self._db.execute(
                    f"SELECT key, vector FROM sentences WHERE key IN ({marks})", part
                ):
                    found[by_key[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def replace_document(self, doc_id: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Make these the sentence vectors of `doc_id` (one transaction)."""
        rows = [
            (_key(t, self.kind), doc_id, np.asarray(v, dtype=np.float32).tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM sentences WHERE doc_id = ?", (doc_id,))
                self._db.executemany("INSERT OR REPLACE INTO sentences VALUES (?, ?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def remove_document(self, doc_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sentences WHERE doc_id = ?", (doc_id,))

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sentences")

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM sentences").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
