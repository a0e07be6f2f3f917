"""The embedded default backend: answers with the retrieved sentences that best answer the question, no LLM."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from ..evidence import SentenceEvidence
from .base import GenerationRequest

if TYPE_CHECKING:
    from ...config import ExtractiveSettings, Settings


def select_sentences(
    sentences: list[SentenceEvidence], settings: ExtractiveSettings, floor: float
) -> list[SentenceEvidence]:
    """The best sentence, then up to `max_sentences - 1` more that are nearly as good and not redundant."""
    if not sentences:
        return []
    best = sentences[0].score
    chosen: list[SentenceEvidence] = []
    length = 0
    for candidate in sentences:
        if len(chosen) >= settings.max_sentences:
            break
        if chosen and (candidate.score < settings.relative_cutoff * best or candidate.score < floor):
            break
        text_length = len(" ".join(candidate.text.split()))
        if chosen and length + text_length > settings.max_chars:
            continue
        if chosen:
            similarity = max(float(np.dot(candidate.vector, c.vector)) for c in chosen)
            if similarity >= settings.redundancy:
                continue
        chosen.append(candidate)
        length += text_length
    return chosen


class ExtractiveBackend:
    """Composes the answer from the passages' own sentences, each followed by its passage marker."""

    name = "extractive"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.answer.extractive
        self.floor = settings.answer.abstain_threshold

    def generate(self, request: GenerationRequest) -> Iterator[str]:
        chosen = select_sentences(request.evidence.sentences, self.settings, self.floor)
        # Sentences from the same passage read best in document order, after the passage's best sentence.
        first_seen: dict[int, int] = {}
        for rank, sentence in enumerate(chosen):
            first_seen.setdefault(sentence.passage, rank)
        chosen.sort(key=lambda s: (first_seen[s.passage], s.start))
        for i, sentence in enumerate(chosen):
            text = " ".join(sentence.text.split())
            yield ("" if i == 0 else " ") + f"{text} [{sentence.passage + 1}]"
