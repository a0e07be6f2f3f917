"""Checking one claim against retrieved passages, with the citation verifier's own judgement of support.

The claim is verified as if it were an answer citing every passage: a passage the verifier keeps as a citation
supports the claim (with the sentence it quotes and its support score). A passage the verifier rejects only
because of a figure (the claim states a number or date the passage does not, while the same claim without its
figures is supported) states something else about the same matter: it contradicts the claim.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..language.terms import NUMBER
from ..models import Citation, Passage
from .citations import CitationVerifier
from .citations import _figures as figures

Verdict = Literal["supported", "contradicted", "unsupported"]


class PassageFinding(BaseModel):
    """One passage's bearing on the claim: the sentence quoted from it, with its document offsets."""

    passage_id: str
    doc_id: str
    title: str
    heading_path: str = ""
    page: int | None = None
    quote: str = Field(description="The passage sentence that bears on the claim.")
    start: int = Field(description="Offset of the quote in the document text.")
    end: int = Field(description="End offset (exclusive) of the quote in the document text.")
    score: float = Field(
        description="The verifier's support score (0-1) for the claim, or for it without figures."
    )
    figures: list[str] = Field(
        default_factory=list, description="For a contradicting passage: the figures it states instead."
    )


class ClaimCheck(BaseModel):
    """A claim, the verdict on it, and the passages behind the verdict."""

    claim: str
    verdict: Verdict = Field(
        description="supported: some passage supports the claim; contradicted: none does, but a passage on the "
        "same matter states other figures (numbers, dates); unsupported: no passage bears it out."
    )
    supporting: list[PassageFinding] = Field(default_factory=list)
    contradicting: list[PassageFinding] = Field(default_factory=list)
    passages_checked: int = Field(description="How many retrieved passages the claim was checked against.")


def check_claim(verifier: CitationVerifier, claim: str, passages: list[Passage]) -> ClaimCheck:
    """The verdict on `claim` given these passages (no LLM judge: the verifier's lexical, embedding and
    figure checks only)."""
    markers = "".join(f"[{n}]" for n in range(1, len(passages) + 1))
    supporting = _findings(verifier, f"{claim} {markers}", passages)
    supported_ids = {f.passage_id for f in supporting}
    contradicting: list[PassageFinding] = []
    stated = figures(claim)
    figure_free = " ".join(NUMBER.sub(" ", claim).split())
    if stated and passages and figure_free:
        for finding in _findings(verifier, f"{figure_free} {markers}", passages):
            passage = next(p for p in passages if p.id == finding.passage_id)
            others = sorted(figures(finding.quote) - stated)
            if finding.passage_id not in supported_ids and others and not stated <= figures(passage.text):
                contradicting.append(finding.model_copy(update={"figures": others}))
    verdict: Verdict = "supported" if supporting else "contradicted" if contradicting else "unsupported"
    return ClaimCheck(
        claim=claim,
        verdict=verdict,
        supporting=supporting,
        contradicting=contradicting,
        passages_checked=len(passages),
    )


def _findings(verifier: CitationVerifier, text: str, passages: list[Passage]) -> list[PassageFinding]:
    """The passages the verifier keeps as citations of `text`, best supported first (one finding each)."""
    if not passages:
        return []
    verified = verifier.verify(text, passages)
    best: dict[str, Citation] = {}
    for citation in verified.citations:
        if citation.passage_id not in best or citation.score > best[citation.passage_id].score:
            best[citation.passage_id] = citation
    ordered = sorted(best.values(), key=lambda c: -c.score)
    return [
        PassageFinding(**c.model_dump(include=set(PassageFinding.model_fields) - {"figures"}))
        for c in ordered
    ]
