"""The catalog: a SQLite file holding documents, their chunks and the ingest state (the source of truth).

Chroma holds the vectors and the BM25 index is derived; both are reconciled against this catalog, which is
updated in single transactions so that a run killed at any point leaves it consistent.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..lifecycle import store as lifecycle_store
from ..models import Chunk, Document, DocumentInfo, DocumentMetadata

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'committed')),
    metadata TEXT NOT NULL,
    page_starts TEXT NOT NULL DEFAULT '[]',
    text TEXT NOT NULL,
    n_chunks INTEGER NOT NULL DEFAULT 0,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    heading TEXT NOT NULL,
    page INTEGER,
    page_end INTEGER,
    n_tokens INTEGER NOT NULL,
    text TEXT NOT NULL,
    terms TEXT NOT NULL,
    noise TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id, ordinal);
CREATE INDEX IF NOT EXISTS documents_by_source ON documents(source);
CREATE INDEX IF NOT EXISTS documents_by_hash ON documents(content_hash);
"""


@dataclass(frozen=True)
class DocumentState:
    """What the catalog remembers about a document between runs."""

    id: str
    source: str
    content_hash: str
    pipeline: str
    status: str
    n_chunks: int


@dataclass(frozen=True)
class ChunkRow:
    """A chunk with the document fields retrieval needs, as stored."""

    id: str
    doc_id: str
    ordinal: int
    start: int
    end: int
    heading: list[str]
    page: int | None
    text: str
    title: str
    language: str | None
    issuing_body: str | None
    date: str | None
    date_key: int | None
    tags: list[str]
    # Pages that begin inside the chunk: (document offset, page number).
    page_breaks: tuple[tuple[int, int], ...] = ()
    # Line noise inside the chunk (document offsets).
    noise: tuple[tuple[int, int], ...] = ()


def open_sqlite(path: Path, schema: str) -> sqlite3.Connection:
    """A SQLite file the index's threads share: autocommit (transactions are explicit), WAL, foreign keys on,
    with `schema` applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.executescript(schema)
    return db


def add_missing_column(db: sqlite3.Connection, table: str, column: str, definition: str) -> None:
    """Give a file written before `column` existed that column (`definition`: its type and default)."""
    if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


class Catalog:
    """Thread-safe access to the SQLite catalog."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        # The lifecycle table (lifecycle/store.py) is created in existing catalogs too; its rows are filled in
        # from the stored texts on first use, so an older catalog needs no re-ingest.
        self._db = open_sqlite(path, SCHEMA + lifecycle_store.SCHEMA)
        # A catalog from before the noise column: its chunks say they have no noise.
        add_missing_column(self._db, "chunks", "noise", "TEXT NOT NULL DEFAULT '[]'")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- meta -------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def delete_meta(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM meta WHERE key = ?", (key,))

    @property
    def generation(self) -> int:
        """Bumped by every change to the set of committed chunks; the BM25 index records the one it saw."""
        return int(self.get_meta("generation") or 0)

    def _bump(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta(key, value) VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # --- documents --------------------------------------------------------------------------------------

    def states(self) -> dict[str, DocumentState]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, source, content_hash, pipeline, status, n_chunks FROM documents"
            ).fetchall()
        return {row[0]: DocumentState(*row) for row in rows}

    def mark_pending(self, document: Document, pipeline: str) -> None:
        """Record the intent to (re)write a document before touching the vector store."""
        now = _now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO documents(id, source, content_hash, pipeline, status, metadata, text, ingested_at) "
                "VALUES (?, ?, '', ?, 'pending', ?, '', ?) "
                "ON CONFLICT(id) DO UPDATE SET status = 'pending'",
                (document.id, document.source, pipeline, document.metadata.model_dump_json(), now),
            )

    def mark_pending_id(self, doc_id: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE documents SET status = 'pending' WHERE id = ?", (doc_id,))

    def commit_document(
        self, document: Document, chunks: Sequence[Chunk], terms: Sequence[list[str]], pipeline: str
    ) -> None:
        """Replace a document's chunks and mark it committed, in one transaction."""
        with self.transaction() as db:
            db.execute("DELETE FROM chunks WHERE doc_id = ?", (document.id,))
            db.execute(
                "UPDATE documents SET source = ?, content_hash = ?, pipeline = ?, status = 'committed', "
                "metadata = ?, page_starts = ?, text = ?, n_chunks = ?, ingested_at = ? WHERE id = ?",
                (
                    document.source,
                    document.content_hash,
                    pipeline,
                    document.metadata.model_dump_json(),
                    json.dumps(document.page_starts),
                    document.text,
                    len(chunks),
                    _now(),
                    document.id,
                ),
            )
            db.executemany(
                'INSERT INTO chunks(id, doc_id, ordinal, start, "end", heading, page, page_end, n_tokens, text, '
                "terms, noise) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.id,
                        c.doc_id,
                        c.ordinal,
                        c.start,
                        c.end,
                        json.dumps(c.heading_path, ensure_ascii=False),
                        c.page,
                        c.page_end,
                        c.n_tokens,
                        c.text,
                        " ".join(t),
                        json.dumps(c.noise),
                    )
                    for c, t in zip(chunks, terms, strict=True)
                ],
            )
            lifecycle_store.write(db, document)
            self._bump(db)

    def delete_document(self, doc_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
            self._bump(db)

    def update_source(self, doc_id: str, source: str) -> None:
        with self._lock:
            self._db.execute("UPDATE documents SET source = ? WHERE id = ?", (source, doc_id))

    def find_by_hash(self, content_hash: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id FROM documents WHERE content_hash = ? AND status = 'committed'", (content_hash,)
            ).fetchone()
        return row[0] if row else None

    def document(self, doc_id: str) -> Document | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, source, text, content_hash, metadata, page_starts FROM documents "
                "WHERE id = ? AND status = 'committed'",
                (doc_id,),
            ).fetchone()
        if row is None:
            return None
        return Document(
            id=row[0],
            source=row[1],
            text=row[2],
            content_hash=row[3],
            metadata=DocumentMetadata.model_validate_json(row[4]),
            page_starts=[tuple(p) for p in json.loads(row[5])],
        )

    def documents(self) -> list[DocumentInfo]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, source, metadata, n_chunks, content_hash, ingested_at FROM documents "
                "WHERE status = 'committed' ORDER BY id"
            ).fetchall()
        out = []
        for doc_id, source, metadata, n_chunks, content_hash, ingested_at in rows:
            meta = DocumentMetadata.model_validate_json(metadata)
            out.append(
                DocumentInfo(
                    id=doc_id,
                    title=meta.title,
                    source=source,
                    issuing_body=meta.issuing_body,
                    date=meta.date,
                    language=meta.language,
                    source_url=meta.source_url,
                    tags=meta.tags,
                    n_chunks=n_chunks,
                    content_hash=content_hash,
                    ingested_at=ingested_at,
                )
            )
        return out

    # --- chunks -----------------------------------------------------------------------------------------

    def committed_chunk_ids(self) -> set[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.status = 'committed'"
            ).fetchall()
        return {row[0] for row in rows}

    def chunk_ids_of(self, doc_id: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,)
            ).fetchall()
        return [row[0] for row in rows]

    def chunk_headings(self, doc_id: str) -> list[tuple[str, list[str]]]:
        """(chunk id, heading path) of a document's chunks, in document order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, heading FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,)
            ).fetchall()
        return [(row[0], json.loads(row[1]) if row[1] else []) for row in rows]

    def chunk_rows(self, ids: Iterable[str] | None = None) -> list[ChunkRow]:
        """Chunks with their document fields; every committed one (in catalog order) when `ids` is None."""
        query = (
            'SELECT c.id, c.doc_id, c.ordinal, c.start, c."end", c.heading, c.page, c.text, c.noise, d.metadata, '
            "CASE WHEN c.page_end > c.page THEN d.page_starts ELSE NULL END "
            "FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.status = 'committed'"
        )
        with self._lock:
            if ids is None:
                rows = self._db.execute(query + " ORDER BY c.doc_id, c.ordinal").fetchall()
            else:
                wanted = list(dict.fromkeys(ids))
                rows = []
                for i in range(0, len(wanted), 500):
                    part = wanted[i : i + 500]
                    marks = ",".join("?" * len(part))
                    rows.extend(self._db.execute(query + f" AND c.id IN ({marks})", part).fetchall())
        metas: dict[str, DocumentMetadata] = {}
        out = []
        for cid, doc_id, ordinal, start, end, heading, page, text, noise, metadata, page_starts in rows:
            meta = metas.get(doc_id) or metas.setdefault(
                doc_id, DocumentMetadata.model_validate_json(metadata)
            )
            out.append(
                ChunkRow(
                    id=cid,
                    doc_id=doc_id,
                    ordinal=ordinal,
                    start=start,
                    end=end,
                    heading=json.loads(heading),
                    page=page,
                    text=text,
                    title=meta.title,
                    language=meta.language,
                    issuing_body=meta.issuing_body,
                    date=meta.date,
                    date_key=meta.date_key,
                    tags=meta.tags,
                    page_breaks=tuple((s, n) for s, n in json.loads(page_starts) if start < s < end)
                    if page_starts
                    else (),
                    noise=tuple((s, e) for s, e in json.loads(noise)),
                )
            )
        return out

    def lexical_terms(self) -> tuple[list[str], list[list[str]]]:
        """Chunk ids and their index terms, in the order `chunk_rows()` returns them."""
        with self._lock:
            rows = self._db.execute(
                "SELECT c.id, c.terms FROM chunks c JOIN documents d ON d.id = c.doc_id "
                "WHERE d.status = 'committed' ORDER BY c.doc_id, c.ordinal"
            ).fetchall()
        return [r[0] for r in rows], [r[1].split() if r[1] else [] for r in rows]

    def chunk_owners(self) -> list[tuple[str, str]]:
        """(chunk id, document id) of every committed chunk, in the order `lexical_terms()` returns them."""
        with self._lock:
            rows = self._db.execute(
                "SELECT c.id, c.doc_id FROM chunks c JOIN documents d ON d.id = c.doc_id "
                "WHERE d.status = 'committed' ORDER BY c.doc_id, c.ordinal"
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def document_metadata(self) -> dict[str, DocumentMetadata]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, metadata FROM documents WHERE status = 'committed'"
            ).fetchall()
        return {r[0]: DocumentMetadata.model_validate_json(r[1]) for r in rows}

    def count_chunks(self) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.status = 'committed'"
            ).fetchone()
        return int(row[0])


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
