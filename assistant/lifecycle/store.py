"""Lifecycles in the catalog: one JSON row per committed document, written in the transaction that commits it.

Catalogs made before this table existed, or by an older detector, are brought up to date from the document
texts the catalog already holds (`refresh`): reading 27 documents takes well under a second, and nothing is
embedded again.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import TYPE_CHECKING

from ..models import Document, DocumentMetadata
from .extract import DETECTOR_VERSION, document_lifecycle
from .model import DocumentLifecycle

if TYPE_CHECKING:
    from ..index.catalog import Catalog

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS lifecycle (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    data TEXT NOT NULL
);
"""
_COMMITTED = (
    "SELECT d.id, l.version, l.data FROM documents d LEFT JOIN lifecycle l ON l.doc_id = d.id "
    "WHERE d.status = 'committed'"
)


def write(db: sqlite3.Connection, document: Document) -> None:
    """Store the document's lifecycle (inside the caller's transaction); a detector bug never stops an ingest."""
    try:
        lifecycle = document_lifecycle(document)
    except Exception:  # pragma: no cover - defensive
        log.exception("lifecycle detection failed for %s", document.id)
        db.execute("DELETE FROM lifecycle WHERE doc_id = ?", (document.id,))
        return
    db.execute(
        "INSERT OR REPLACE INTO lifecycle(doc_id, version, data) VALUES (?, ?, ?)",
        (document.id, DETECTOR_VERSION, lifecycle.model_dump_json()),
    )


def load(catalog: Catalog) -> dict[str, DocumentLifecycle]:
    """Every committed document's lifecycle, reading again the ones missing or from an older detector."""
    with catalog.transaction() as db:
        rows = db.execute(_COMMITTED).fetchall()
        stale = [doc_id for doc_id, version, _ in rows if version != DETECTOR_VERSION]
        for doc_id in stale:
            row = db.execute(
                "SELECT id, source, text, content_hash, metadata FROM documents WHERE id = ?", (doc_id,)
            ).fetchone()
            document = Document(
                id=row[0],
                source=row[1],
                text=row[2],
                content_hash=row[3],
                metadata=DocumentMetadata.model_validate_json(row[4]),
            )
            write(db, document)
        if stale:
            log.info("lifecycle read for %d documents", len(stale))
            rows = db.execute(_COMMITTED).fetchall()
    return {doc_id: DocumentLifecycle.model_validate(json.loads(data)) for doc_id, _v, data in rows if data}
