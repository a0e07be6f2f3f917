"""The embedded default backend: answers with the retrieved sentences that best answer the question, no LLM."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from ...language.chinese import language_of
from ...language.sentences import without_enumerator
from ...models import HEADING_SEPARATOR, Passage
from ..condense import asked_part
from ..direct import direct_answer
from ..evidence import SentenceEvidence
from ..specifics import years
from .base import GenerationRequest

if TYPE_CHECKING:
    from ...config import ExtractiveSettings, Settings


def select_sentences(
    sentences: list[SentenceEvidence], settings: ExtractiveSettings, floor: float
) -> list[SentenceEvidence]:
    """The best sentence, then up to `max_sentences - 1` more that are nearly as good and not redundant. A
    sentence defining the term a definition question asks about is the answer on its own."""
    if not sentences:
        return []
    best = sentences[0].score
    chosen: list[SentenceEvidence] = []
    length = 0
    for candidate in sentences:
        if len(chosen) >= settings.max_sentences or (chosen and chosen[0].defines):
            break
        if chosen and (candidate.score < settings.relative_cutoff * best or candidate.score < floor):
            break
        text_length = len(" ".join(candidate.text.split()))
        if chosen and length + text_length > settings.max_chars:
            continue
        if chosen:
            similarity = max(float(np.dot(candidate.vector, c.vector)) for c in chosen)
            if similarity >= settings.redundancy or any(_restates(candidate.text, c.text) for c in chosen):
                continue
        chosen.append(candidate)
        length += text_length
    return chosen


def _restates(a: str, b: str) -> bool:
    """Whether one sentence's words hold the other's whole ("Recommendation 24 Reform the UK text and data
    mining regime ..." in a summary table restates the plan's "Reform the UK text and data mining regime ...")."""
    x, y = _WORDS.findall(a.lower()), _WORDS.findall(b.lower())
    short, long_ = (x, y) if len(x) <= len(y) else (y, x)
    if not short:
        return True
    return f" {' '.join(short)} " in f" {' '.join(long_)} "


_WORDS = re.compile(r"\w+")


def cover_documents(
    chosen: list[SentenceEvidence],
    sentences: list[SentenceEvidence],
    passages: list[Passage],
    documents: tuple[str, ...],
    floor: float,
) -> list[SentenceEvidence]:
    """Add, for each named document no chosen sentence comes from, its best sentence (when it reaches
    `floor`): "What do the AI Act and the GDPR each set as the maximum fine?" needs a sentence from both."""
    out = list(chosen)
    covered = {passages[s.passage].doc_id for s in out}
    for doc_id in documents:
        if doc_id in covered:
            continue
        best = next((s for s in sentences if passages[s.passage].doc_id == doc_id), None)
        if best is not None and best.score >= floor:
            out.append(best)
            covered.add(doc_id)
    return out


_LANGUAGE_NAMES = {"zh": ("Chinese", "中文"), "en": ("English", "英文")}
_ENGLISH_NAME = re.compile(r"\(([^()]*[A-Za-z]{3}[^()]*)\)")


def quoted_from(passage: Passage, asked: str) -> str:
    """The words that introduce a sentence quoted in another language than the question's: which document
    and section it comes from, and its language ("State Council Opinions ... (一、总体要求) says, in Chinese:")."""
    section = passage.heading_path.split(HEADING_SEPARATOR)[-1].strip() if passage.heading_path else ""
    # No full stop inside the attribution ("Sec. 3. Definitions" -> "Sec 3 Definitions"): it would end the claim
    # there, and the quote would lose the attribution that names its document.
    section = re.sub(r"\.(?=\s)", "", section)
    language = _LANGUAGE_NAMES["zh" if asked == "en" else "en"]
    if asked == "zh":
        where = f"（{section}）" if section else ""
        return f"{passage.title}{where}{language[1]}原文："
    english = _ENGLISH_NAME.search(passage.title)
    name = (
        f"{english.group(1).strip()} ({passage.title[: english.start()].strip()})"
        if english
        else passage.title
    )
    where = f", {section}," if section else ""
    return f"{name}{where} says, in {language[0]}:"


class ExtractiveBackend:
    """Composes the answer from the passages' own sentences, each followed by its passage marker; a question
    asking for one date or figure is answered with the best sentence's words that state it."""

    name = "extractive"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.answer.extractive
        self.floor = settings.answer.abstain_threshold
        self.stemmer = settings.retrieval.bm25.stemmer

    def generate(self, request: GenerationRequest) -> Iterator[str]:
        chosen = select_sentences(request.evidence.sentences, self.settings, self.floor)
        if len(request.named_documents) > 1:
            chosen = cover_documents(
                chosen,
                request.evidence.sentences,
                request.passages,
                request.named_documents,
                self.floor * self.settings.coverage_floor,
            )
        asked = language_of(request.question)
        if self.settings.direct_answers and len(request.named_documents) <= 1:
            # "... in what year, according to the 2021 Coordinated Plan": 2021 names the document, and may answer.
            titles = {p.title for p in request.passages if p.doc_id in request.named_documents}
            direct = self._direct(request.question, chosen, asked, frozenset(years(" ".join(titles))))
            if direct is not None:
                yield direct
                return
        # Sentences from the same passage read best in document order, after the passage's best sentence.
        first_seen: dict[int, int] = {}
        for rank, sentence in enumerate(chosen):
            first_seen.setdefault(sentence.passage, rank)
        chosen.sort(key=lambda s: (first_seen[s.passage], s.start))
        for i, sentence in enumerate(chosen):
            # A list number opening the sentence ("1. The Commission may ...") would read as a claim of its own.
            text = without_enumerator(sentence.text)
            if language_of(text) != asked:
                text = f"{quoted_from(request.passages[sentence.passage], asked)} {text}"
            yield ("" if i == 0 else " ") + f"{text} [{sentence.passage + 1}]"

    def _direct(
        self, question: str, chosen: list[SentenceEvidence], asked: str, document_years: frozenset[str]
    ) -> str | None:
        """The words that state the date or figure asked for, from the best chosen sentence that states one
        ("From 2 February 2025 [1]", the sentence being the citation's quote), unless another chosen sentence
        states a different one of the same form."""
        if not chosen or language_of(chosen[0].text) != asked:
            return None  # answered across languages: the quote and its gloss are the answer
        question = asked_part(question)  # a follow-up's kind is its own ("Can that be extended?")
        found = (
            (sentence, direct_answer(question, sentence.text, self.stemmer, document_years))
            for sentence in chosen
            if language_of(sentence.text) == asked
        )
        best, direct = next(((s, d) for s, d in found if d is not None), (None, None))
        if best is None or direct is None:
            return None
        words = direct.text(best.text)
        for other in chosen:
            if other is best:
                continue
            stated = direct_answer(question, other.text, self.stemmer, document_years)
            # Another chosen sentence giving another value of the same form ("Within 90 days" beside "Within
            # 180 days"; a date beside a period answers something else).
            if (
                stated is not None
                and stated.form == direct.form
                and stated.text(other.text).lower() != words.lower()
            ):
                return None
        return f"{words[:1].upper()}{words[1:]} [{best.passage + 1}]"
