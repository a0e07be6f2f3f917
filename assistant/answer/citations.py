"""Citation verification, the same for every backend.

Parse the `[n]` markers of a generated answer, drop those that point to passages that were not given,
quote for each citation the passage sentence that best supports the claim (with its document offsets),
score that support (lexical and embedding, zero when the claim states a number the passage does not;
optionally confirmed by an LLM judge), keep only citations that support their claim, renumber them in order of appearance, and flag answers whose claims are not backed by
any valid citation. A sentence without a marker borrows the markers of the next cited sentence of its
paragraph (models often cite once per paragraph); it keeps them only when that passage supports it too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..errors import BackendError
from ..index.embedder import Embedder
from ..language.sentences import paragraph_spans, sentence_spans, without_enumerator
from ..language.terms import numbers, terms, words
from ..models import Citation, Passage
from .evidence import SENTENCE_CACHE_SIZE, is_substantive, passage_sentences, sentence_terms
from .prompts import REFUSAL_SENTENCE

log = logging.getLogger(__name__)

# Judges (statement, evidence) pairs: True supported, False not, None no verdict.
SupportJudge = Callable[[list[tuple[str, str]]], list[bool | None]]

_MARKERS = re.compile(r"\s*\[(\d{1,3}(?:\s*(?:[,;]|[-–])\s*\d{1,3})*)\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d{1,3}(?:\s*(?:[,;]|[-–])\s*\d{1,3})*\])+")


@dataclass
class Claim:
    """One sentence of the answer and the passage numbers it cites."""

    text: str
    markers: list[int]
    paragraph: int = 0


@dataclass
class VerifiedAnswer:
    """The answer text with renumbered markers, the citations kept, and what verification found."""

    text: str
    citations: list[Citation]
    grounded: bool
    dropped_markers: list[int] = field(default_factory=list)  # markers to passages that were not given
    unsupported: list[str] = field(default_factory=list)  # claims left without a supporting citation
    refusal: bool = False  # the answer says the passages do not answer
    judged: bool = False  # an LLM judge gave verdicts


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
    paragraph_starts = [start for start, _ in paragraph_spans(text)]
    pieces: list[tuple[str, int]] = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        paragraph = sum(1 for p in paragraph_starts if p <= start) - 1
        leading = _LEADING_MARKERS.match(sentence)
        if leading and pieces:
            pieces[-1] = (pieces[-1][0] + leading.group(), pieces[-1][1])
            sentence = sentence[leading.end() :]
        if sentence.strip():
            pieces.append((sentence, paragraph))
    claims = []
    for piece, paragraph in ((part, par) for p, par in pieces for part in _split_after_markers(p)):
        markers = [n for m in _MARKERS.finditer(piece) for n in parse_markers(m.group(1))]
        bare = " ".join(_MARKERS.sub("", piece).split())
        bare = re.sub(r"\s+([.,;:!?。])", r"\1", bare)
        if bare or markers:
            claims.append(Claim(bare, list(dict.fromkeys(markers)), max(0, paragraph)))
    return claims


def markers_of(claims: list[Claim], index: int) -> list[int]:
    """The markers a claim is cited by: its own, or, for an unmarked claim, those of the next marked claim in
    the same paragraph ("(b) Ideological Neutrality. LLMs shall be neutral ... [1]": [1] cites both)."""
    claim = claims[index]
    if claim.markers:
        return claim.markers
    following = next((c for c in claims[index + 1 :] if c.markers or c.paragraph != claim.paragraph), None)
    return following.markers if following is not None and following.paragraph == claim.paragraph else []


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


@dataclass
class _Link:
    """A claim's citation of passage n: the best-supporting sentence of that passage and its support."""

    claim: int
    n: int
    sentence: int
    support: float
    verdict: bool | None = None


class CitationVerifier:
    """Checks generated answers against the passages they were given."""

    def __init__(self, embedder: Embedder, stemmer: str | None, min_support: float = 0.35) -> None:
        self.embedder = embedder
        self.stemmer = stemmer
        self.min_support = min_support

    def verify(self, text: str, passages: list[Passage], judge: SupportJudge | None = None) -> VerifiedAnswer:
        """Check `text` (whose [n] markers number `passages` from 1); `judge`, when given, has the last word
        on each citation that is not a verbatim quote."""
        claims = split_claims(text)
        given = range(1, len(passages) + 1)
        dropped = sorted({n for c in claims for n in c.markers if n not in given})
        targets = self._targets(claims, given)
        cited = sorted({n for t in targets for n in t})
        candidates = {n: self._passage_sentences(passages[n - 1]) for n in cited}
        links = self._links(claims, targets, candidates, passages)
        judged = self._judge(links, claims, passages, judge) if judge else False

        numbering: dict[tuple[str, int], int] = {}
        citations: list[Citation] = []
        kept: dict[int, list[int]] = {}
        for link in links:
            if not self._keeps(link):
                continue
            start, end, quote = candidates[link.n][link.sentence]
            passage = passages[link.n - 1]
            key = (passage.id, start)
            if key not in numbering:
                numbering[key] = len(citations) + 1
                score = link.support if link.verdict is None else 0.5 * link.support + 0.5 * link.verdict
                citations.append(
                    Citation(
                        n=numbering[key],
                        passage_id=passage.id,
                        doc_id=passage.doc_id,
                        title=passage.title,
                        heading_path=passage.heading_path,
                        page=passage.page_at(start),
                        quote=quote,
                        start=start,
                        end=end,
                        score=round(score, 4),
                    )
                )
            numbers = kept.setdefault(link.claim, [])
            if numbering[key] not in numbers:
                numbers.append(numbering[key])

        parts: list[str] = []
        unsupported: list[str] = []
        for index, claim in enumerate(claims):
            numbers = kept.get(index, [])
            if _is_claim(claim.text) and not numbers:
                unsupported.append(claim.text)
            if looks_like_instruction(claim.text):
                continue  # the answer never relays an instruction planted in a document
            marker_text = "".join(f"[{n}]" for n in numbers)
            parts.append(f"{claim.text} {marker_text}".strip() if marker_text else claim.text)
        has_claims = any(_is_claim(c.text) for c in claims)
        return VerifiedAnswer(
            text=" ".join(p for p in parts if p),
            citations=citations,
            grounded=bool(citations) or not has_claims,
            dropped_markers=dropped,
            unsupported=unsupported,
            refusal=is_refusal(text),
            judged=judged,
        )

    def _targets(self, claims: list[Claim], given: range) -> list[list[int]]:
        """The passage numbers each claim is checked against: its own valid markers, or, for an unmarked
        claim, those of the next marked claim in the same paragraph."""
        targets: list[list[int]] = []
        for index, claim in enumerate(claims):
            own = [n for n in claim.markers if n in given]
            if not claim.markers and _is_claim(claim.text):
                own = [n for n in markers_of(claims, index) if n in given]
            targets.append(own)
        return targets

    def _links(
        self,
        claims: list[Claim],
        targets: list[list[int]],
        candidates: dict[int, list[tuple[int, int, str]]],
        passages: list[Passage],
    ) -> list[_Link]:
        if not any(targets):
            return []
        cited = sorted(candidates)
        # A claim that quotes a sentence of its passage verbatim (every claim of an extractive answer) is
        # fully supported by it: the embeddings are computed only when some claim is not such a quote.
        quoted = {
            (index, n): _verbatim(claims[index].text, candidates[n], passages[n - 1])
            for index, numbers in enumerate(targets)
            for n in numbers
            if candidates[n]
        }
        # What each claim is checked as: the quote, when the claim introduces one with an attribution naming
        # the document it cites (the extractive answer's sentences in another language).
        checked = [
            attributed_quote(c.text, passages[targets[i][0] - 1]) if targets[i] else c.text
            for i, c in enumerate(claims)
        ]
        vector_of: dict[tuple[int, int], np.ndarray] = {}
        claim_vectors = np.zeros((0, 0), dtype=np.float32)
        if None in quoted.values():
            claim_vectors = self.embedder.embed_sentences([text or "-" for text in checked], stored=False)
            sentence_texts = [" ".join(t.split()) for n in cited for (_, _, t) in candidates[n]]
            sentence_vectors = self.embedder.embed_sentences(sentence_texts, stored=False)
            row = 0
            for n in cited:
                for i in range(len(candidates[n])):
                    vector_of[(n, i)] = sentence_vectors[row]
                    row += 1
        stated = {
            n: _figures(" ".join(t for _, _, t in candidates[n] if not looks_like_instruction(t)))
            for n in cited
        }
        links = []
        for index in range(len(claims)):
            for n in targets[index]:
                if candidates[n]:
                    verbatim = quoted[(index, n)]
                    i, support = (
                        (verbatim, 1.0)
                        if verbatim is not None
                        else self._best_quote(
                            checked[index], claim_vectors[index], candidates[n], n, vector_of
                        )
                    )
                    if verbatim is None and not _figures(checked[index]) <= stated[n]:
                        support = 0.0  # a figure or date the passage never states is not supported by it
                    links.append(_Link(index, n, i, support))
        return links

    def _judge(
        self, links: list[_Link], claims: list[Claim], passages: list[Passage], judge: SupportJudge
    ) -> bool:
        """Ask the judge about every citation that is not a near-verbatim quote; False when it failed."""
        # Verbatim quotes need no judge; support 0 means nothing quotable (e.g. only planted instructions).
        asked = [link for link in links if 0 < link.support < 0.95]
        if not asked:
            return False
        items = [(claims[link.claim].text, passages[link.n - 1].text) for link in asked]
        try:
            verdicts = judge(items)
        except BackendError as exc:
            log.warning("the citation judge failed (%s); keeping lexical and embedding support", exc)
            return False
        except Exception:  # a broken plugin's judge must not break the answer
            log.exception("the citation judge raised; keeping lexical and embedding support")
            return False
        for link, verdict in zip(asked, verdicts, strict=False):
            link.verdict = verdict
        return any(v is not None for v in verdicts)

    def _keeps(self, link: _Link) -> bool:
        if link.verdict is not None:
            return link.verdict
        return link.support >= self.min_support

    def _passage_sentences(self, passage: Passage) -> list[tuple[int, int, str]]:
        """(doc start, doc end, exact text) of the passage's sentences."""
        spans = passage_sentences(passage.text, noise=passage.local_noise())
        return [(passage.start + s, passage.start + e, passage.text[s:e]) for s, e in spans]

    def _best_quote(
        self,
        claim: str,
        claim_vector: np.ndarray,
        sentences: list[tuple[int, int, str]],
        n: int,
        vector_of: dict[tuple[int, int], np.ndarray],
    ) -> tuple[int, float]:
        """The sentence that best supports a claim that quotes none of them, and its support."""
        claim_terms = set(terms(claim, self.stemmer))
        best_i, best = 0, -1.0
        for i, (_, _, text) in enumerate(sentences):
            if looks_like_instruction(text):
                continue  # an instruction planted in a document supports nothing
            support = support_score(
                claim_terms, sentence_terms(text, self.stemmer), float(claim_vector @ vector_of[(n, i)])
            )
            if support > best:
                best_i, best = i, support
        return best_i, max(0.0, best)


def _verbatim(
    claim: str, sentences: list[tuple[int, int, str]], passage: Passage | None = None
) -> int | None:
    """The index of the first sentence the claim quotes exactly (whitespace and an opening list number aside),
    if any; an instruction planted in a document is never one. With `passage`, a quote introduced by an
    attribution that names the passage's document and states no figure ("The Interim Measures, 第七条, says,
    in Chinese: ...") counts too."""
    forms = [" ".join(claim.split())]
    if passage is not None:
        forms.extend(quote for lead, quote in attributions(forms[0]) if names_passage(lead, passage))
    for i, (_, _, text) in enumerate(sentences):
        if looks_like_instruction(text):
            continue
        if " ".join(text.split()) in forms or without_enumerator(text) in forms:
            return i
    # Words quoted out of one sentence ("From 2 February 2025", the extractive answer's direct answer).
    for i, (_, _, text) in enumerate(sentences):
        if not looks_like_instruction(text) and quotes_part(forms[0], text):
            return i
    return None


def quotes_part(claim: str, text: str) -> bool:
    """Whether the claim is words of `text` word for word (whole words; case and spacing aside), at least two
    of them or one figure: "From 2 February 2025" of "... should already apply from 2 February 2025."."""
    claim = " ".join(claim.split()).rstrip(".")
    if len(claim.split()) < 2 and not _figures(claim):
        return False
    # Whole words, and whole figures: "35" is not quoted out of "35 000 000" (nor "000" out of it).
    before = r"(?<!\w)(?<!\d[ ,])" if claim[:1].isdigit() else r"(?<!\w)"
    after = r"(?!\w)(?![ ,]\d{3}(?!\d))" if claim[-1:].isdigit() else r"(?!\w)"
    pattern = f"{before}{re.escape(claim)}{after}"
    return re.search(pattern, " ".join(text.split()), re.IGNORECASE) is not None


_COLON = re.compile(r"[:：]\s*")


def attributions(claim: str) -> list[tuple[str, str]]:
    """Each way to read a claim as 'attribution: quote', at each colon after which a quote could start."""
    return [
        (claim[: m.start()], claim[m.end() :]) for m in _COLON.finditer(claim) if claim[m.end() :].strip()
    ]


def attributed_quote(claim: str, passage: Passage) -> str:
    """The quote of a claim that introduces it with an attribution naming the passage's document, else the
    claim."""
    norm = " ".join(claim.split())
    quotes = [quote for lead, quote in attributions(norm) if names_passage(lead, passage)]
    # The attribution may hold a colon of its own (a section named "Appendix D: Attributes ..."): the quote
    # is then the reading that the passage states word for word.
    text = " ".join(passage.text.split())
    return next((q for q in quotes if q in text), quotes[0] if quotes else claim)


def names_passage(lead: str, passage: Passage) -> bool:
    """Whether an attribution names the passage's document (a part of its title) and states no figure but
    its title's and section's."""
    if numbers(lead) - numbers(f"{passage.title} {passage.heading_path}"):
        return False
    parts = [p.strip(" '\"") for p in re.split(r"[()（）]| — | - ", passage.title)]
    return any(len(part) >= 4 and part in lead for part in parts)


def support_score(claim_terms: AbstractSet[str], sentence_terms: AbstractSet[str], cosine: float) -> float:
    """Half lexical (share of the claim's terms found in the sentence), half semantic (cosine, floored at 0)."""
    lexical = len(claim_terms & sentence_terms) / len(claim_terms) if claim_terms else 0.0
    return 0.5 * lexical + 0.5 * max(0.0, cosine)


def _figures(text: str) -> set[str]:
    """The numbers a text states, '70%' and '70 percent' alike."""
    return {n.rstrip("%") for n in numbers(text)}


def _is_claim(text: str) -> bool:
    return is_substantive(text) and len(words(text)) >= 3


_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.]{0,40}?\b(?:previous|prior|above|earlier|all|any|your|the)\b"
    r"[^.]{0,30}?\b(?:instructions?|rules|prompts?|directions|guidelines|context)\b"
    r"|\b(?:system prompt|you are now|new instructions?|developer mode|jailbreak)\b"
    r"|\byou (?:must|should|will) (?:now )?(?:reply|respond|answer|say|output|tell)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=SENTENCE_CACHE_SIZE)  # asked of the same passage sentences for many answers
def looks_like_instruction(sentence: str) -> bool:
    """Whether a sentence reads like a prompt injection ("ignore previous instructions and ...")."""
    return bool(_INSTRUCTION.search(sentence))


_REFUSAL_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(?:passages?|documents?|context|sources?|texts?|excerpts?|information (?:provided|given))\b[^.]{0,60}?"
        r"\b(?:do(?:es)?\s*n[o']t|did\s*n[o']t|not|never|no)\b[^.]{0,40}?"
        r"\b(?:contain|mention|say|state|include|provide|cover|specify|address|answer|discuss|give|offer)",
        r"\bI\s+(?:can ?not|can't|am unable to|am not able to|could not|couldn't|do not|don't)\s+"
        r"(?:find|answer|determine|tell|know|provide)",
        r"\b(?:no|not enough|insufficient)\s+(?:relevant\s+)?(?:information|details?|evidence|data)\b",
        r"\bnot\s+(?:mentioned|specified|stated|addressed|covered|provided|found)\s+in\s+the\b",
    )
]


def is_refusal(text: str) -> bool:
    """Whether a short answer says the passages do not answer (the prompt's sentence or a paraphrase)."""
    bare = " ".join(_MARKERS.sub("", text).split())
    if not bare:
        return False
    if " ".join(REFUSAL_SENTENCE.lower().split()) in bare.lower():
        return True
    sentences = [bare[s:e] for s, e in sentence_spans(bare)]
    if not sentences or len(sentences) > 3:
        return False
    return any(pattern.search(sentences[0]) for pattern in _REFUSAL_PATTERNS)
