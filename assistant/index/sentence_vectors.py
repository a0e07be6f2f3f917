"""Sentence vectors computed at ingest (optional), so that a first answer needs no model work but the question.

The extractive answerer scores every sentence of the retrieved passages against the question (each sentence
with its heading path in front), asking the embedder for those vectors. With `ingest.sentence_vectors` on,
the ingest embeds exactly those texts ahead of time and keeps them here, keyed by a hash of the exact text: a lookup can
only ever return the vector of that very text under the index's model, so a stale row (a crash, a removed
document) is harmless, and a text the answerer asks for that is not here is simply encoded as before.
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


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


def answer_sentence_texts(chunk: Chunk, settings: EvidenceSettings) -> list[str]:
    """The texts the answerer will embed for this chunk as a passage. (The citation check embeds nothing for an
    extractive answer, whose sentences are verbatim quotes; an LLM's answer is checked against the plain
    sentences, encoded then: beside the model's own time they cost little, and ahead of time, as much again.)"""
    from ..answer.evidence import evidence_text, is_candidate, passage_sentences

    # The same sentences, in the same form, as EvidenceScorer scores for a passage with this text.
    text, heading = chunk.text, HEADING_SEPARATOR.join(chunk.heading_path)
    out = [
        evidence_text(heading, text[start:end], settings.sentence_context)
        for start, end in passage_sentences(text, settings.sentences_per_passage)
        if is_candidate(text[start:end])
    ]
    return list(dict.fromkeys(t for t in out if t))


class SentenceVectorStore:
    """Vectors of sentence texts, by document, in a SQLite file beside the index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = open_sqlite(path, SCHEMA)

    def lookup(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those texts that have one."""
        by_key = {_key(t): t for t in texts}
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
            (_key(t), doc_id, np.asarray(v, dtype=np.float32).tobytes())
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
