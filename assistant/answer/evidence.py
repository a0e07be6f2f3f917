"""Evidence scoring: how well each sentence of the retrieved passages answers the question.

The best sentence's score is the evidence score the assistant abstains on, whatever backend answers; the
extractive backend composes its answer from the ranked sentences.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..config import EvidenceSettings
from ..index.embedder import Embedder
from ..models import Passage
from ..text import has_cjk, sentence_spans, terms, words


@dataclass
class SentenceEvidence:
    """One sentence of a retrieved passage, scored against the question."""

    passage: int  # index into the passages list
    start: int  # offsets in the document text
    end: int
    text: str
    semantic: float
    lexical: float
    score: float
    vector: np.ndarray = field(repr=False)


@dataclass
class Evidence:
    """Scored sentences, best first, and the evidence score (the best sentence's score)."""

    sentences: list[SentenceEvidence]

    @property
    def score(self) -> float:
        return self.sentences[0].score if self.sentences else 0.0


def is_substantive(sentence: str) -> bool:
    """False for headings, list markers and other fragments that cannot answer anything on their own."""
    if has_cjk(sentence):
        return len(sentence.strip()) >= 8
    return len(words(sentence)) >= 5


def term_weights(question_terms: list[str], idf: Callable[[str], float], n_chunks: int) -> dict[str, float]:
    """IDF weight of each question term; a term the corpus never uses weighs as much as the rarest one."""
    unknown = math.log(1 + (n_chunks + 0.5) / 0.5) if n_chunks else 1.0
    weights = {}
    for term in dict.fromkeys(question_terms):
        value = idf(term)
        weights[term] = value if value > 0 else unknown
    return weights


def lexical_coverage(weights: dict[str, float], sentence_terms: set[str]) -> float:
    """IDF-weighted share of the question's terms that the sentence contains."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in sentence_terms) / total


class EvidenceScorer:
    """Scores the sentences of retrieved passages against a question."""

    def __init__(self, embedder: Embedder, settings: EvidenceSettings, stemmer: str | None) -> None:
        self.embedder = embedder
        self.settings = settings
        self.stemmer = stemmer

    def score(
        self,
        question: str,
        passages: list[Passage],
        idf: Callable[[str], float],
        n_chunks: int,
        query_vector: np.ndarray | None = None,
    ) -> Evidence:
        candidates = self._sentences(passages)
        if not candidates:
            return Evidence([])
        if query_vector is None:
            query_vector = self.embedder.embed_query(question)
        vectors = self.embedder.embed_sentences([" ".join(text.split()) for _, _, _, text in candidates])
        semantic = vectors @ query_vector
        weights = term_weights(terms(question, self.stemmer), idf, n_chunks)
        s = self.settings
        total_weight = s.semantic_weight + s.lexical_weight + s.passage_weight or 1.0
        n_passages = max(1, len(passages))
        out: list[SentenceEvidence] = []
        for (p_index, start, end, text), vector, sim in zip(candidates, vectors, semantic, strict=True):
            lexical = lexical_coverage(weights, set(terms(text, self.stemmer)))
            prior = 1.0 - p_index / n_passages
            combined = (
                s.semantic_weight * max(0.0, float(sim))
                + s.lexical_weight * lexical
                + s.passage_weight * prior
            ) / total_weight
            out.append(SentenceEvidence(p_index, start, end, text, float(sim), lexical, combined, vector))
        out.sort(key=lambda e: (-e.score, e.passage, e.start))
        return Evidence(out)

    def _sentences(self, passages: list[Passage]) -> list[tuple[int, int, int, str]]:
        """(passage index, doc start, doc end, text) of substantive sentences, each sentence once."""
        seen: set[tuple[str, int]] = set()
        out = []
        for p_index, passage in enumerate(passages):
            spans = sentence_spans(passage.text)[: self.settings.sentences_per_passage]
            for local_start, local_end in spans:
                text = passage.text[local_start:local_end]
                key = (passage.doc_id, passage.start + local_start)
                if key in seen or not is_substantive(text):
                    continue
                seen.add(key)
                out.append((p_index, passage.start + local_start, passage.start + local_end, text))
        return out
