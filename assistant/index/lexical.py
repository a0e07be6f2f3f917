"""The lexical index: BM25 (bm25s) over the catalog's chunk terms, saved beside the store with its generation."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import BM25Settings

log = logging.getLogger(__name__)


def _import_bm25s():  # type: ignore[no-untyped-def]
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG on import
    return bm25s


_IDS_FILE = "ids.json"
_STATE_FILE = "state.json"


@dataclass
class LexicalIndex:
    """A BM25 index over chunk ids, in catalog order."""

    ids: list[str]
    generation: int
    params: dict[str, float]
    _bm25: object | None

    @classmethod
    def build(
        cls, ids: list[str], terms: list[list[str]], generation: int, settings: BM25Settings
    ) -> LexicalIndex:
        bm25s = _import_bm25s()
        params = {"k1": settings.k1, "b": settings.b}
        if not ids:
            return cls(ids=[], generation=generation, params=params, _bm25=None)
        bm25 = bm25s.BM25(k1=settings.k1, b=settings.b)
        # bm25s drops empty documents from its vocabulary handling; a placeholder term keeps rows aligned.
        bm25.index([t if t else ["\u2400"] for t in terms], show_progress=False)
        return cls(ids=ids, generation=generation, params=params, _bm25=bm25)

    def __len__(self) -> int:
        return len(self.ids)

    def has_term(self, term: str) -> bool:
        """Whether any indexed passage contains the term."""
        return self._bm25 is not None and term in self._bm25.vocab_dict  # type: ignore[attr-defined]

    def document_count(self, term: str) -> int:
        """How many indexed passages contain the term."""
        if self._bm25 is None:
            return 0
        row = self._bm25.vocab_dict.get(term)  # type: ignore[attr-defined]
        if row is None:
            return 0
        indptr = self._bm25.scores["indptr"]  # type: ignore[attr-defined]
        return int(indptr[row + 1] - indptr[row])

    def search(
        self, query_terms: list[str], k: int, mask: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top `k` rows (index into `ids`, score) with a positive score, restricted to `mask` when given."""
        if self._bm25 is None or not query_terms:
            return []
        vocab: dict[str, int] = self._bm25.vocab_dict  # type: ignore[attr-defined]
        known = [t for t in query_terms if t in vocab]
        if not known:
            return []
        return self._top(self._bm25.get_scores(known), k, mask)  # type: ignore[attr-defined]

    def search_alternatives(
        self, groups: list[list[list[str]]], k: int, mask: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Like `search` for a query whose parts each have several renderings (a translated word's senses):
        a passage scores the best rendering of each part, summed over the parts, so that a word with five
        senses weighs no more than a word with one (a structured query, as in dictionary-based cross-language
        retrieval). A rendering of several terms scores their mean: a long dictionary sense ("joe biden, us
        president-elect ...") weighs no more than a one-word one."""
        if self._bm25 is None or not groups:
            return []
        vocab: dict[str, int] = self._bm25.vocab_dict  # type: ignore[attr-defined]
        term_scores: dict[str, np.ndarray] = {}

        def score(term: str) -> np.ndarray:
            if term not in term_scores:
                term_scores[term] = self._bm25.get_scores([term])  # type: ignore[attr-defined]
            return term_scores[term]

        total: np.ndarray | None = None
        for group in groups:
            renderings = [[t for t in rendering if t in vocab] for rendering in group]
            renderings = [r for r in renderings if r]
            if not renderings:
                continue
            best = np.max([np.mean([score(t) for t in r], axis=0) for r in renderings], axis=0)
            total = best if total is None else total + best
        if total is None:
            return []
        return self._top(total, k, mask)

    def _top(self, scores: np.ndarray, k: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    # --- persistence ------------------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write the index atomically: a fresh folder, then a rename over the old one."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".bm25-", dir=folder.parent))
        try:
            if self._bm25 is not None:
                self._bm25.save(str(staging), show_progress=False)  # type: ignore[attr-defined]
            (staging / _IDS_FILE).write_text(json.dumps(self.ids), encoding="utf-8")
            state = {"generation": self.generation, "params": self.params, "count": len(self.ids)}
            (staging / _STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
            old = folder.with_name(folder.name + ".old")
            if old.exists():
                shutil.rmtree(old)
            if folder.exists():
                os.replace(folder, old)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """The saved index, or None when there is none or it cannot be read."""
        bm25s = _import_bm25s()
        try:
            state = json.loads((folder / _STATE_FILE).read_text(encoding="utf-8"))
            ids = json.loads((folder / _IDS_FILE).read_text(encoding="utf-8"))
            bm25 = bm25s.BM25.load(str(folder), show_progress=False) if ids else None
        except (OSError, ValueError, KeyError) as exc:
            log.debug("BM25 index at %s not usable (%s); it will be rebuilt", folder, exc)
            return None
        if len(ids) != state.get("count"):
            return None
        return cls(ids=ids, generation=int(state["generation"]), params=state["params"], _bm25=bm25)
