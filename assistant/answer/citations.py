"""Citation verification, the same for every backend.

Parse the `[n]` markers of a generated answer, drop those that point to passages that were not given,
quote for each citation the passage sentence that best supports the claim (with its document offsets),
score that support, renumber the citations in order of appearance, and flag answers whose claims are not
backed by any valid citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..index.embedder import Embedder
from ..models import Citation, Passage
from ..text import sentence_spans, terms, words
from .evidence import is_substantive, with_list_items

_MARKERS = re.compile(r"\s*\[(\d{1,3}(?:\s*(?:[,;]|[-–])\s*\d{1,3})*)\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d{1,3}(?:\s*(?:[,;]|[-–])\s*\d{1,3})*\])+")


@dataclass
class Claim:
    """One sentence of the answer and the passage numbers it cites."""

    text: str
    markers: list[int]


@dataclass
class VerifiedAnswer:
    text: str
    citations: list[Citation]
    grounded: bool
    dropped_markers: list[int] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)


def parse_markers(group: str) -> list[int]:
    """'1, 3-4' -> [1, 3, 4]."""
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", group):
        if re.search(r"[-–]", part):
            low, high = (int(x) for x in re.split(r"\s*[-–]\s*", part))
            if high >= low and high - low < 20:
                numbers.extend(range(low, high + 1))
        elif part.strip():
            numbers.append(int(part))
    return list(dict.fromkeys(numbers))


def split_claims(text: str) -> list[Claim]:
    """Sentences of an answer with their markers; a marker that opens a sentence belongs to the one before."""
    raw = [text[s:e] for s, e in sentence_spans(text)]
    pieces: list[str] = []
    for sentence in raw:
        leading = _LEADING_MARKERS.match(sentence)
        if leading and pieces:
            pieces[-1] += leading.group()
            sentence = sentence[leading.end() :]
        if sentence.strip():
            pieces.append(sentence)
    claims = []
    for piece in (part for p in pieces for part in _split_after_markers(p)):
        markers = [n for m in _MARKERS.finditer(piece) for n in parse_markers(m.group(1))]
        bare = " ".join(_MARKERS.sub("", piece).split())
        bare = re.sub(r"\s+([.,;:!?。])", r"\1", bare)
        if bare or markers:
            claims.append(Claim(bare, list(dict.fromkeys(markers))))
    return claims


def _split_after_markers(piece: str) -> list[str]:
    """'A: [1] B. [2]' -> ['A: [1]', 'B. [2]']: a marker followed by more text closes a claim."""
    parts: list[str] = []
    cursor = 0
    for match in re.finditer(r"(?:\s*\[\d{1,3}(?:\s*(?:[,;]|[-–])\s*\d{1,3})*\])+", piece):
        if len(words(_MARKERS.sub("", piece[match.end() :]))) >= 3:
            parts.append(piece[cursor : match.end()])
            cursor = match.end()
    parts.append(piece[cursor:])
    return [p for p in parts if p.strip()]


class CitationVerifier:
    """Checks generated answers against the passages they were given."""

    def __init__(self, embedder: Embedder, stemmer: str | None, min_support: float = 0.35) -> None:
        self.embedder = embedder
        self.stemmer = stemmer
        self.min_support = min_support

    def verify(self, text: str, passages: list[Passage]) -> VerifiedAnswer:
        claims = split_claims(text)
        dropped = sorted({n for c in claims for n in c.markers if not 1 <= n <= len(passages)})
        cited = sorted({n for c in claims for n in c.markers if 1 <= n <= len(passages)})
        candidates = {n: self._passage_sentences(passages[n - 1]) for n in cited}
        claim_vectors = self.embedder.embed_sentences([c.text or "-" for c in claims]) if claims else None
        sentence_texts = [" ".join(t.split()) for n in cited for (_, _, t) in candidates[n]]
        sentence_vectors = self.embedder.embed_sentences(sentence_texts) if sentence_texts else None
        vector_of: dict[tuple[int, int], np.ndarray] = {}
        row = 0
        for n in cited:
            for i in range(len(candidates[n])):
                assert sentence_vectors is not None
                vector_of[(n, i)] = sentence_vectors[row]
                row += 1

        numbering: dict[tuple[str, int], int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        unsupported: list[str] = []
        for c_index, claim in enumerate(claims):
            numbers: list[int] = []
            best_support = 0.0
            for n in claim.markers:
                if n not in candidates or not candidates[n]:
                    continue
                assert claim_vectors is not None
                i, support = self._best_quote(claim.text, claim_vectors[c_index], candidates[n], n, vector_of)
                start, end, quote = candidates[n][i]
                passage = passages[n - 1]
                key = (passage.id, start)
                if key not in numbering:
                    numbering[key] = len(citations) + 1
                    citations.append(
                        Citation(
                            n=numbering[key],
                            passage_id=passage.id,
                            doc_id=passage.doc_id,
                            title=passage.title,
                            heading_path=passage.heading_path,
                            page=passage.page,
                            quote=quote,
                            start=start,
                            end=end,
                            score=round(support, 4),
                        )
                    )
                if numbering[key] not in numbers:
                    numbers.append(numbering[key])
                best_support = max(best_support, support)
            if _is_claim(claim.text) and (not numbers or best_support < self.min_support):
                unsupported.append(claim.text)
            marker_text = "".join(f"[{n}]" for n in numbers)
            parts.append(f"{claim.text} {marker_text}".strip() if marker_text else claim.text)
        has_claims = any(_is_claim(c.text) for c in claims)
        grounded = not has_claims or bool(citations)
        return VerifiedAnswer(" ".join(p for p in parts if p), citations, grounded, dropped, unsupported)

    def _passage_sentences(self, passage: Passage) -> list[tuple[int, int, str]]:
        """(doc start, doc end, exact text) of the passage's sentences."""
        spans = with_list_items(passage.text, sentence_spans(passage.text))
        return [(passage.start + s, passage.start + e, passage.text[s:e]) for s, e in spans]

    def _best_quote(
        self,
        claim: str,
        claim_vector: np.ndarray,
        sentences: list[tuple[int, int, str]],
        n: int,
        vector_of: dict[tuple[int, int], np.ndarray],
    ) -> tuple[int, float]:
        claim_norm = " ".join(claim.split())
        claim_terms = set(terms(claim, self.stemmer))
        best_i, best = 0, -1.0
        for i, (_, _, text) in enumerate(sentences):
            if " ".join(text.split()) == claim_norm:
                return i, 1.0
            support = support_score(
                claim_terms, set(terms(text, self.stemmer)), float(claim_vector @ vector_of[(n, i)])
            )
            if support > best:
                best_i, best = i, support
        return best_i, max(0.0, best)


def support_score(claim_terms: set[str], sentence_terms: set[str], cosine: float) -> float:
    """Half lexical (share of the claim's terms found in the sentence), half semantic (cosine, floored at 0)."""
    lexical = len(claim_terms & sentence_terms) / len(claim_terms) if claim_terms else 0.0
    return 0.5 * lexical + 0.5 * max(0.0, cosine)


def _is_claim(text: str) -> bool:
    return is_substantive(text) and len(words(text)) >= 3
