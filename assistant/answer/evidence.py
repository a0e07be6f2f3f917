"""Evidence scoring: how well each sentence of the retrieved passages answers the question.

The best sentence's score is the evidence score the assistant abstains on, whatever backend answers; the
extractive backend composes its answer from the ranked sentences.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..config import EvidenceSettings
from ..index.embedder import Embedder
from ..ingest.cleaning import cut_around, is_noise_sentence
from ..language.chinese import has_cjk, language_of
from ..language.sentences import LIST_ITEM, sentence_spans
from ..language.terms import terms, words
from ..language.translation import QueryTranslation
from ..models import Passage
from .definitions import asking_words, defined_term, defines
from .kinds import KindCheck
from .specifics import years


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
    defines: bool = False  # defines the term a definition question asks about


@dataclass
class Evidence:
    """Scored sentences, best first, and the evidence score: the best sentence's score, or `strength` when
    the ranking holds a preference that says nothing of how well the passages answer (a recital giving way to
    the article it restates must not make the assistant refuse)."""

    sentences: list[SentenceEvidence]
    strength: float | None = None

    @property
    def score(self) -> float:
        if self.strength is not None:
            return self.strength
        return self.sentences[0].score if self.sentences else 0.0

    def led_by(self, passages: AbstractSet[int] | None) -> Evidence:
        """The same sentences with those of `passages` first (the passages that mention the provision a
        question names: "Chapter III" answered from a passage that never mentions it is refused), scored by the
        best of them; unchanged when `passages` is None, holds none of the sentences, or already leads."""
        if not passages or not self.sentences or self.sentences[0].passage in passages:
            return self
        first = [s for s in self.sentences if s.passage in passages]
        if not first:
            return self
        rest = [s for s in self.sentences if s.passage not in passages]
        return Evidence(first + rest, first[0].score)


def with_list_items(text: str, spans: list[tuple[int, int]], max_chars: int = 700) -> list[tuple[int, int]]:
    """Extend a sentence that introduces a list ('... four functions:') over the list items that follow it
    (an item's further sentences on the same line included), up to `max_chars`."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        start, end = spans[i]
        j = i + 1
        if text[start:end].rstrip().endswith((":", "：")):
            while j < len(spans) and spans[j][1] - start <= max_chars:
                item = text[spans[j][0] : spans[j][1]]
                same_line = "\n" not in text[end : spans[j][0]]
                if not (LIST_ITEM.match(item) or (j > i + 1 and same_line)):
                    break
                end = spans[j][1]
                j += 1
        out.append((start, end))
        i = j
    return out


def recital_passages(passages: list[Passage]) -> set[int]:
    """The passages from a legal act's recitals: no heading, and before an article of the same act that was
    retrieved too (the recitals explain what the articles enact; a user quoting the act cites the article)."""
    first_article: dict[str, int] = {}
    for p in passages:
        if "Article" in p.heading_path:
            first_article[p.doc_id] = min(first_article.get(p.doc_id, p.start), p.start)
    return {
        i
        for i, p in enumerate(passages)
        if not p.heading_path and p.doc_id in first_article and p.start < first_article[p.doc_id]
    }


def question_years(question: str, document_names: tuple[str, ...] = ()) -> set[str]:
    """The years a question asks about: not one that is part of the name of a document it names ("China's 2017
    Development Plan, by what year ..." asks for a year, it does not ask about 2017)."""
    return years(question) - years(" ".join(document_names))


def year_mismatch(question_years: set[str], sentence: str) -> bool:
    """True when the question asks about a year and the sentence names years, none of them the one asked:
    a 2030 target does not answer a question about 2027, nor a 2035 goal one about 2040."""
    if not question_years:
        return False
    mentioned = years(sentence)
    return bool(mentioned) and not mentioned & question_years


# A Markdown heading, or a line made only of bold runs ("**Title 3—The President** **Executive Order ...**").
_HEADING_LINE = re.compile(r"^\s*(?:#{1,6}\s|(?:\*\*[^*\n]+\*\*[ \t]*)+$)")


def is_heading_line(sentence: str) -> bool:
    """A Markdown heading kept in a passage's text: it names a section (already in the heading path that is
    embedded with each sentence) and answers nothing itself."""
    return bool(_HEADING_LINE.match(sentence))


_ENDS_LIKE_A_SENTENCE = re.compile(r"[.!?;:。！？；：…)\]\"'”’]\s*$")


def is_substantive(sentence: str) -> bool:
    """False for headings, list markers and other fragments that cannot answer anything on their own: a
    short line with no sentence end ("Establishment and structure of the Board"), or one mostly in capitals
    (a cover page's "INDEPENDENT HIGH-LEVEL EXPERT GROUP ... ETHICS GUIDELINES")."""
    if has_cjk(sentence):
        # A Chinese heading or title line (一、总体要求, 第一章 总 则, the document's name) ends without a stop.
        text = sentence.strip()
        return len(text) >= 8 and (len(text) >= 40 or bool(_ENDS_LIKE_A_SENTENCE.search(text)))
    tokens = words(sentence)
    if len(tokens) < 5:
        return False
    if len(tokens) <= 12 and not _ENDS_LIKE_A_SENTENCE.search(sentence):
        return False
    letters = [c for c in sentence if c.isalpha()]
    return sum(c.isupper() for c in letters) <= 0.5 * len(letters)


# The same passages come back for many questions, so how their text splits into sentences, and each
# sentence's terms, are kept rather than recomputed per request: that pure-Python work was the largest share
# of an answer's time under the GIL (profiled under concurrent load). Keyed by the exact text, so a changed
# document is never served stale results; bounded, at about 30 MiB when full.
PASSAGE_CACHE_SIZE = 2048
SENTENCE_CACHE_SIZE = 16384


@lru_cache(maxsize=PASSAGE_CACHE_SIZE)
def passage_sentences(
    text: str, limit: int | None = None, noise: tuple[tuple[int, int], ...] = ()
) -> tuple[tuple[int, int], ...]:
    """Sentence spans of a passage (the first `limit` sentences), list items joined to their lead-in; a
    sentence that runs into the passage's line `noise` (a running header, a page number: offsets into
    `text`) is cut around it, so that no quote carries page furniture."""
    spans = sentence_spans(text)
    spans = with_list_items(text, spans if limit is None else spans[:limit])
    if noise:
        spans = [(s, e) for a, b in spans for s, e, is_noise in cut_around(text, a, b, noise) if not is_noise]
    return tuple(spans)


@lru_cache(maxsize=SENTENCE_CACHE_SIZE)
def sentence_terms(text: str, stemmer: str | None) -> frozenset[str]:
    """The index terms of a sentence, as a set."""
    return frozenset(terms(text, stemmer))


@lru_cache(maxsize=SENTENCE_CACHE_SIZE)
def is_candidate(sentence: str) -> bool:
    """Whether a passage sentence may answer anything: substantive, not a heading line, and no page furniture,
    table of contents or bare URL in it (see ingest/cleaning.py)."""
    return is_substantive(sentence) and not is_heading_line(sentence) and not is_noise_sentence(sentence)


def evidence_text(heading_path: str, sentence: str, sentence_context: bool) -> str:
    """What the answerer embeds for a passage sentence: the sentence with its section's heading path in front
    ('The Core is made of four functions' means little alone, and much under 'The Core: four functions')."""
    text = " ".join(sentence.split())
    return f"{heading_path}\n{text}" if sentence_context and heading_path else text


def _idf(n: int, df: int) -> float:
    """BM25's IDF of a term that `df` of `n` candidate sentences contain."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def term_weights(question_terms: list[str], sentence_terms: list[AbstractSet[str]]) -> dict[str, float]:
    """IDF of each question term among the candidate sentences: a term every candidate shares (the
    document's name, say) tells them apart less than one only the answer contains; a term no candidate
    contains weighs the most, so questions about something the passages never mention score low."""
    n = len(sentence_terms)
    weights = {}
    for term in dict.fromkeys(question_terms):
        df = sum(1 for terms_ in sentence_terms if term in terms_)
        weights[term] = _idf(n, df)
    return weights


def discount_names(weights: dict[str, float], names: AbstractSet[str], factor: float) -> dict[str, float]:
    """The question's term weights with those of the words that name its document scaled by `factor`
    (unless nothing else is left to weigh)."""
    if not names or all(t in names for t in weights):
        return weights
    return {t: w * factor if t in names else w for t, w in weights.items()}


def discount_name_groups(
    groups: list[list[frozenset[str]]], weights: list[float], names: AbstractSet[str], factor: float
) -> list[float]:
    """`discount_names` for the translated question's word groups: a group all of whose words are in the
    names of the question's documents (暂行 / 办法 of "the interim measures") weighs `factor` as much; their
    promulgation order, which repeats the full title, is no answer for using it."""
    named = [all(word <= names for word in group if word) and any(group) for group in groups]
    if not names or all(named):
        return weights
    return [w * factor if is_name else w for w, is_name in zip(weights, named, strict=True)]


def lexical_coverage(weights: dict[str, float], sentence_terms: AbstractSet[str]) -> float:
    """IDF-weighted share of the question's terms that the sentence contains."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in sentence_terms) / total


def translated_groups(translation: QueryTranslation, stemmer: str | None) -> list[list[frozenset[str]]]:
    """The translation's word groups, each word as the set of index terms a sentence must have to use it."""
    return [[frozenset(word) for word in group] for group in translation.term_groups(stemmer)]


def _covers(group: list[frozenset[str]], sentence_terms: AbstractSet[str]) -> bool:
    return any(word and word <= sentence_terms for word in group)


def term_group_weights(
    groups: list[list[frozenset[str]]], sentence_terms: list[AbstractSet[str]]
) -> list[float]:
    """`term_weights` for groups of alternative words: the IDF of using any word of the group."""
    n = len(sentence_terms)
    weights = []
    for group in groups:
        df = sum(1 for terms_ in sentence_terms if _covers(group, terms_))
        weights.append(_idf(n, df))
    return weights


def group_coverage(
    groups: list[list[frozenset[str]]], weights: list[float], sentence_terms: AbstractSet[str]
) -> float:
    """IDF-weighted share of the translated question's word groups that the sentence uses."""
    total = sum(weights)
    if total <= 0:
        return 0.0
    return sum(w for group, w in zip(groups, weights, strict=True) if _covers(group, sentence_terms)) / total


@dataclass
class _Asked:
    """What a question (or a named document's own clause of it) asks, as its sentences are scored against it."""

    semantic: np.ndarray  # the cosine of each candidate sentence with it
    weights: dict[str, float]  # its terms' weights
    kind: KindCheck  # the kind of fact it asks for
    term: str | None  # the term whose definition it asks for
    years: set[str]  # the years it asks about


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
        query_vector: np.ndarray | None = None,
        translation: QueryTranslation | None = None,
        translated_vector: np.ndarray | None = None,
        document_names: tuple[str, ...] = (),
        about_other_language: bool = False,
        document_questions: Mapping[str, str] | None = None,
        document_vectors: Mapping[str, np.ndarray] | None = None,
    ) -> Evidence:
        """Score every candidate sentence; a sentence in the other language than the question's is scored
        against the question's `translation` (its terms, and its embedding when it is English) instead. When
        the question is `about_other_language` (an English question about the Chinese documents), the English
        sentences are scored by their term coverage alone too, so that both languages are on one scale."""
        candidates = self._sentences(passages)
        if not candidates:
            return Evidence([])
        if query_vector is None:
            query_vector = self.embedder.embed_query(question)
        vectors = self.embedder.embed_sentences(
            [
                evidence_text(passages[p].heading_path, text, self.settings.sentence_context)
                for p, _, _, text in candidates
            ]
        )
        candidate_terms = [sentence_terms(text, self.stemmer) for _, _, _, text in candidates]
        names = (
            set(terms(" ".join(document_names), self.stemmer))
            if document_names and self.settings.document_name_weight < 1.0
            else set()
        )
        whole = self._asked(question, vectors @ query_vector, candidate_terms, names, document_names)
        # A named document the question asks something of in a clause of its own: its sentences answer that.
        own: dict[str, _Asked] = {}
        for doc_id, clause in (document_questions or {}).items():
            clause_vector = (document_vectors or {}).get(doc_id)
            if clause_vector is None:
                clause_vector = self.embedder.embed_query(clause)
            own[doc_id] = self._asked(clause, vectors @ clause_vector, candidate_terms, names, document_names)
        other = None if translation is None else translation.target_language
        groups = translated_groups(translation, self.stemmer) if translation else []
        group_weights = term_group_weights(groups, candidate_terms)
        if names:
            group_weights = discount_name_groups(
                groups, group_weights, names, self.settings.document_name_weight
            )
        translated_semantic = vectors @ translated_vector if translated_vector is not None else None
        s = self.settings
        total_weight = s.semantic_weight + s.lexical_weight + s.passage_weight or 1.0
        n_passages = max(1, len(passages))
        recitals = recital_passages(passages)
        out: list[SentenceEvidence] = []
        strength = 0.0
        for i, ((p_index, start, end, text), vector, s_terms) in enumerate(
            zip(candidates, vectors, candidate_terms, strict=True)
        ):
            asked = own.get(passages[p_index].doc_id, whole)
            sim = asked.semantic[i]
            lexical = lexical_coverage(asked.weights, s_terms)
            across = other is not None and language_of(text) == other
            if across:
                # Matched through the translation: its terms, and its embedding when there is one (into
                # English); MiniLM cannot compare an English question with a Chinese sentence, so there the
                # term coverage stands for both.
                lexical = group_coverage(groups, group_weights, s_terms)
                sim = translated_semantic[i] if translated_semantic is not None else lexical
            elif about_other_language and translated_vector is None:
                # The question is about the Chinese documents: an English sentence is held to the same
                # scale as theirs (term coverage; MiniLM's cosine of any on-topic English sentence runs
                # higher than the coverage of the Chinese one that answers).
                sim = lexical
            prior = 1.0 - p_index / n_passages
            combined = (
                s.semantic_weight * max(0.0, float(sim))
                + s.lexical_weight * lexical
                + s.passage_weight * prior
            ) / total_weight
            if year_mismatch(asked.years, text):
                combined *= 1.0 - s.year_mismatch_penalty
            shortfall = asked.kind.shortfall(text)
            combined *= 1.0 - s.kind_mismatch_penalty * shortfall
            definition = asked.term is not None and defines(text, asked.term)
            if definition:
                combined = min(1.0, combined / (1.0 - s.definition_boost))
            strength = max(strength, combined)
            # Preferences only: the evidence score the assistant abstains on is taken above.
            combined *= 1.0 - s.kind_preference * shortfall
            if p_index in recitals:
                combined *= 1.0 - s.recital_penalty  # between restatements
            out.append(
                SentenceEvidence(p_index, start, end, text, float(sim), lexical, combined, vector, definition)
            )
        out.sort(key=lambda e: (-e.score, e.passage, e.start))
        return Evidence(out, strength)

    def _asked(
        self,
        question: str,
        semantic: np.ndarray,
        candidate_terms: list[frozenset[str]],
        names: set[str],
        document_names: tuple[str, ...],
    ) -> _Asked:
        kind = KindCheck.of(question, self.stemmer)
        term = defined_term(question) if kind.kind is None else None
        question_terms = terms(question, self.stemmer)
        if term is not None:
            # "define", "describe", "mean" ask for the definition: sentences using them ("AI actors are defined
            # by the OECD as ...") do not state it.
            asking = set(terms(asking_words(question), self.stemmer)) - set(terms(term, self.stemmer))
            question_terms = [t for t in question_terms if t not in asking] or question_terms
        weights = term_weights(question_terms, candidate_terms)
        if names:
            weights = discount_names(weights, names, self.settings.document_name_weight)
        return _Asked(semantic, weights, kind, term, question_years(question, document_names))

    def _sentences(self, passages: list[Passage]) -> list[tuple[int, int, int, str]]:
        """(passage index, doc start, doc end, text) of substantive sentences, each sentence once."""
        seen: set[tuple[str, int]] = set()
        out = []
        for p_index, passage in enumerate(passages):
            spans = passage_sentences(
                passage.text, self.settings.sentences_per_passage, passage.local_noise()
            )
            for local_start, local_end in spans:
                text = passage.text[local_start:local_end]
                key = (passage.doc_id, passage.start + local_start)
                if key in seen or not is_candidate(text):
                    continue
                seen.add(key)
                out.append((p_index, passage.start + local_start, passage.start + local_end, text))
        return out
