"""Text primitives shared by the chunker, the answerers and the citation checks: sentences and terms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from .language.chinese import cjk_ratio, has_cjk, search_words

__all__ = ["cjk_ratio", "has_cjk"]  # re-exported for the callers of this module

# Bumped whenever the same text gives other index terms (the ingest fingerprint includes it).
TERMS_VERSION = "2"  # 2: Chinese as jieba words (was character bigrams)

Span = tuple[int, int]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# Western sentence ends: . ! ? (and …) with optional closing quotes/brackets, then whitespace.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
# CJK sentence ends need no whitespace after them.
_CJK_SENTENCE_END = re.compile(r"[。！？；]+[”’」』）)]*")
_LIST_ITEM_LINE = re.compile(
    r"\n(?=[ \t]*(?:[-*•·▪]\s|\(?[0-9]{1,3}[.)]\s|\([a-z]{1,4}\)\s|[a-z][.)]\s|\|))"  # list items, table rows
)
LIST_ITEM = re.compile(r"^\s*(?:[-*•·▪]\s|\(?[0-9]{1,3}[.)]\s|\([a-z]{1,4}\)|[a-z][.)]\s|[ivx]{1,5}[.)]\s)")
_LINE_AFTER_COLON = re.compile(r"(?<=[:;：；])[ \t]*\n")
_ENUMERATOR = re.compile(
    r"^\s*(?:\(?[0-9]{1,3}[.)]?|\(?[a-zA-Z]{1,2}[.)]|\([ivxlc]{1,6}\)|[ivxlc]{1,6}[.)]|[-*•·▪])\s*$"
)

ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "al",
        "cf",
        "vs",
        "viz",
        "approx",
        "no",
        "nos",
        "art",
        "arts",
        "para",
        "paras",
        "p",
        "pp",
        "ch",
        "chap",
        "sec",
        "secs",
        "fig",
        "figs",
        "vol",
        "vols",
        "ed",
        "eds",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "govt",
        "u.s",
        "u.k",
        "e.u",
        "u.n",
        "op",
        "ibid",
        "seq",
        "resp",
        "incl",
        "min",
        "max",
        "est",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "reg",
        "regs",
        "sub",
        "subpara",
        "no.s",
        "ref",
        "refs",
    ]
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "for",
        "from",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "also",
        "any",
        "each",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "before",
        "below",
        "between",
        "both",
        "down",
        "during",
        "few",
        "further",
        "just",
        "s",
        "t",
        "don",
        "now",
        "shall",
        "may",
        "might",
        "must",
        "upon",
        "per",
        "via",
        "whether",
        "within",
        "without",
    ]
)


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Spans of blank-line separated paragraphs in text[start:end], trimmed of surrounding whitespace."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        _append_trimmed(text, cursor, match.start(), spans)
        cursor = match.end()
    _append_trimmed(text, cursor, end, spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def is_enumerator(fragment: str) -> bool:
    """True for a bare list marker such as '(a)', '1.', 'iv)' or '-'."""
    return bool(_ENUMERATOR.match(fragment))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Spans of the sentences in text[start:end]; together they cover every non-whitespace character."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    for p_start, p_end in paragraph_spans(text, start, end):
        spans.extend(_sentences_in_paragraph(text, p_start, p_end))
    return _merge_enumerators(text, spans)


def _sentences_in_paragraph(text: str, start: int, end: int) -> Iterator[Span]:
    cuts = {end}
    for match in _SENTENCE_END.finditer(text, start, end):
        if not _is_abbreviation(text, start, match.start(), match.group()):
            cuts.add(match.end())
    for match in _CJK_SENTENCE_END.finditer(text, start, end):
        cuts.add(match.end())
    for pattern in (_LIST_ITEM_LINE, _LINE_AFTER_COLON):
        for match in pattern.finditer(text, start, end):
            cuts.add(match.start())
    cursor = start
    for cut in sorted(cuts):
        if cut <= cursor:
            continue
        piece: list[Span] = []
        _append_trimmed(text, cursor, cut, piece)
        yield from piece
        cursor = cut


def _is_abbreviation(text: str, para_start: int, dot_pos: int, punct: str) -> bool:
    if not punct.startswith("."):
        return False
    word_start = dot_pos
    while (
        word_start > para_start
        and not text[word_start - 1].isspace()
        and text[word_start - 1] not in "([\"'“"
    ):
        word_start -= 1
    word = text[word_start:dot_pos]
    if not word:
        return False
    lowered = word.lower().rstrip(".")
    if lowered in ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha() and word.isupper():
        return True  # an initial, as in "J. Smith"
    if re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", word):
        return True  # U.S, e.g
    # "1." or "3.2." at the very start of a paragraph is a list number, not a sentence.
    return bool(re.fullmatch(r"\(?\d+(?:\.\d+)*\)?", word) and not text[para_start:word_start].strip())


def _merge_enumerators(text: str, spans: list[Span]) -> list[Span]:
    """Join a bare list marker such as '(a)' to the sentence that follows it."""
    merged: list[Span] = []
    carry: int | None = None
    for span_start, span_end in spans:
        if carry is not None:
            span_start = carry
            carry = None
        if is_enumerator(text[span_start:span_end]):
            carry = span_start
            continue
        merged.append((span_start, span_end))
    if carry is not None:
        if merged:
            merged[-1] = (merged[-1][0], spans[-1][1])
        else:
            merged.append((carry, spans[-1][1]))
    return merged


def normalize(text: str) -> str:
    """NFKC-normalised, lower-cased text, for matching."""
    return unicodedata.normalize("NFKC", text).lower()


def words(text: str) -> list[str]:
    """Lower-cased word tokens; CJK runs become their words, compounds with the words inside them (jieba's
    search mode, see language/chinese.py)."""
    out: list[str] = []
    for match in _WORD.finditer(normalize(text)):
        token = match.group()
        if not _CJK_CHAR.search(token):
            out.append(token.replace("’", "'"))
            continue
        for run in _CJK_RUN.findall(token):
            out.extend(search_words(run) if _CJK_CHAR.match(run) else [run])
    return out


_CJK_RUN = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
)


@lru_cache(maxsize=8)
def _stemmer(language: str | None):  # type: ignore[no-untyped-def]
    if not language:
        return None
    import Stemmer

    return Stemmer.Stemmer(language)


def terms(text: str, stemmer: str | None = "english", keep_stopwords: bool = False) -> list[str]:
    """Index terms: words without stopwords, stemmed; Chinese words as they are."""
    tokens = [t for t in words(text) if keep_stopwords or t not in STOPWORDS]
    stem = _stemmer(stemmer)
    if stem is None:
        return tokens
    return [stem.stemWord(t) if t.isascii() else t for t in tokens]


def terms_batch(texts: list[str], stemmer: str | None = "english") -> list[list[str]]:
    """`terms` for many texts, stemming each distinct word once."""
    stem = _stemmer(stemmer)
    tokenized = [[t for t in words(text) if t not in STOPWORDS] for text in texts]
    if stem is None:
        return tokenized
    vocabulary = sorted({t for tokens in tokenized for t in tokens if t.isascii()})
    stems = dict(zip(vocabulary, stem.stemWords(vocabulary), strict=True))
    return [[stems.get(t, t) for t in tokens] for tokens in tokenized]


NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")


def numbers(text: str) -> set[str]:
    """Numbers (years, percentages, counts) mentioned in the text, normalised."""
    return {m.group().replace(",", "") for m in NUMBER.finditer(normalize(text))}
