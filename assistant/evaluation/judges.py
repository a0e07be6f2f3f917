"""Support judges: does a piece of evidence back a sentence of an answer?

The default judge needs no LLM: a sentence is supported when every number it states appears in the
evidence and its content terms and meaning are close enough to one sentence of it (half the share of the
claim's terms found there, half the embedding cosine). An LLM judge asks an answer backend instead.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

from ..answer.backends.base import AnswerBackend, GenerationRequest
from ..answer.citations import attributions, quotes_part
from ..answer.evidence import Evidence, with_list_items
from ..errors import BackendError, ConfigError
from ..language.sentences import sentence_spans
from ..language.terms import numbers, terms
from ..models import Passage

if TYPE_CHECKING:
    from ..index.embedder import Embedder

DEFAULT_SUPPORT_THRESHOLD = 0.6


class SupportJudge(Protocol):
    """Decides whether evidence texts support a claim."""

    name: str

    def supports(self, claim: str, evidence: list[str]) -> bool:
        """True when at least one of the evidence texts backs the claim."""
        ...


def evidence_units(text: str) -> list[str]:
    """The sentences of a passage (a sentence that introduces a list keeps its items), and the whole text."""
    spans = with_list_items(text, sentence_spans(text))
    units = [text[s:e] for s, e in spans]
    return [*units, text] if len(units) > 1 else units or [text]


class OverlapJudge:
    """Supported when the claim is the evidence's own words (whole words, a direct answer quoted out of a
    sentence), or when its numbers all occur in the evidence and 0.5·term recall + 0.5·cosine of the best
    evidence sentence reaches `threshold`."""

    name = "overlap"

    def __init__(self, embedder: Embedder, stemmer: str | None, threshold: float = DEFAULT_SUPPORT_THRESHOLD):
        self.embedder = embedder
        self.stemmer = stemmer
        self.threshold = threshold

    def score(self, claim: str, evidence: list[str]) -> float:
        """The best support score of the claim against any evidence sentence (0 when a number is missing); a
        quote introduced by an attribution ("The Interim Measures, 第七条, says, in Chinese: ...") is judged as
        the quote (the answerer's verifier has checked that the attribution names the document)."""
        norm = " ".join(claim.split())
        return max(self._score(text, evidence) for text in [norm, *(q for _, q in attributions(norm))])

    def _score(self, claim: str, evidence: list[str]) -> float:
        claim_terms = set(terms(claim, self.stemmer))
        units = [unit for text in evidence for unit in evidence_units(text)]
        if not units or not claim.strip():
            return 0.0
        if any(quotes_part(claim, text) for text in evidence):
            return 1.0  # the evidence's own words ("In June 2018": a direct answer quoted out of a sentence)
        stated = numbers(claim)
        if stated and not stated <= set().union(*(numbers(text) for text in evidence)):
            return 0.0
        claim_norm = " ".join(claim.split())
        vectors = self.embedder.embed_sentences(
            [claim_norm, *(" ".join(u.split()) for u in units)], stored=False
        )
        best = 0.0
        for unit, vector in zip(units, vectors[1:], strict=True):
            if " ".join(unit.split()) == claim_norm:
                return 1.0
            unit_terms = set(terms(unit, self.stemmer))
            recall = len(claim_terms & unit_terms) / len(claim_terms) if claim_terms else 0.0
            best = max(best, 0.5 * recall + 0.5 * max(0.0, float(vectors[0] @ vector)))
        return best

    def supports(self, claim: str, evidence: list[str]) -> bool:
        return self.score(claim, evidence) >= self.threshold


JUDGE_PROMPT = (
    "You are checking a generated answer against its source. Reply with one word, YES or NO: is the "
    "following statement fully supported by passage [1]?\n\nStatement: {claim}"
)
_VERDICT = re.compile(r"\b(yes|no|supported|unsupported|not supported)\b", re.IGNORECASE)


class LLMJudge:
    """Asks an answer backend (an LLM) whether passage [1] supports the statement; expects YES or NO."""

    name = "llm"

    def __init__(self, backend: AnswerBackend) -> None:
        if getattr(backend, "name", "") == "extractive":
            raise ConfigError("the extractive backend cannot judge support; name an LLM backend")
        self.backend = backend

    def supports(self, claim: str, evidence: list[str]) -> bool:
        for text in evidence:
            passage = Passage(
                id="evidence", doc_id="evidence", title="Evidence", text=text, start=0, end=len(text)
            )
            request = GenerationRequest(
                question=JUDGE_PROMPT.format(claim=claim), passages=[passage], evidence=Evidence([])
            )
            try:
                reply = "".join(self.backend.generate(request))
            except BackendError:
                raise
            except Exception as exc:  # a plugin's own error becomes ours
                raise BackendError(f"the judge backend failed: {type(exc).__name__}: {exc}") from exc
            match = _VERDICT.search(reply)
            if match is None:
                raise BackendError(f"the judge backend gave no YES/NO verdict: {reply[:120]!r}")
            if match.group(1).lower() in ("yes", "supported"):
                return True
        return False
