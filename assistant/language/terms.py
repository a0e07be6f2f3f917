"""Words and index terms: lower-cased word tokens (Chinese as jieba words), English stopwords, Snowball
stems for BM25 and for matching a question's words with a sentence's; numbers as stated."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .chinese import CJK_CHAR, CJK_RANGES, search_words

# Bumped whenever the same text gives other index terms (the ingest fingerprint includes it).
# 2: Chinese as jieba words (was character bigrams); 3: British spellings as American ones.
TERMS_VERSION = "3"

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

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


def normalize(text: str) -> str:
    """NFKC-normalised, lower-cased text, for matching."""
    return unicodedata.normalize("NFKC", text).lower()


def words(text: str) -> list[str]:
    """Lower-cased word tokens; CJK runs become their words, compounds with the words inside them (jieba's
    search mode, see language/chinese.py)."""
    out: list[str] = []
    for match in _WORD.finditer(normalize(text)):
        token = match.group()
        if not CJK_CHAR.search(token):
            out.append(token.replace("’", "'"))
            continue
        for run in _CJK_RUN.findall(token):
            out.extend(search_words(run) if CJK_CHAR.match(run) else [run])
    return out


_CJK_RUN = re.compile(f"[{CJK_RANGES}]+|[^{CJK_RANGES}]+")


@lru_cache(maxsize=8)
def _stemmer(language: str | None):  # type: ignore[no-untyped-def]
    if not language:
        return None
    import Stemmer

    return Stemmer.Stemmer(language)


def terms(text: str, stemmer: str | None = "english", keep_stopwords: bool = False) -> list[str]:
    """Index terms: words without stopwords, stemmed (English ones in their American spelling, so that
    "programme" finds "program" and "prioritise" "prioritize"); Chinese words as they are."""
    tokens = [t for t in words(text) if keep_stopwords or t not in STOPWORDS]
    stem = _stemmer(stemmer)
    if stem is None:
        return tokens
    american = _american(stemmer)
    return [stem.stemWord(american.get(t, t)) if t.isascii() else t for t in tokens]


def terms_batch(texts: list[str], stemmer: str | None = "english") -> list[list[str]]:
    """`terms` for many texts, stemming each distinct word once."""
    stem = _stemmer(stemmer)
    tokenized = [[t for t in words(text) if t not in STOPWORDS] for text in texts]
    if stem is None:
        return tokenized
    american = _american(stemmer)
    vocabulary = sorted({t for tokens in tokenized for t in tokens if t.isascii()})
    stems = dict(zip(vocabulary, stem.stemWords([american.get(t, t) for t in vocabulary]), strict=True))
    return [[stems.get(t, t) for t in tokens] for tokens in tokenized]


@lru_cache(maxsize=2)
def _american(stemmer: str | None) -> dict[str, str]:
    """British spellings and their American ones (breame's list of 1,730: "organisation" -> "organization",
    "licence" -> "license", "centre" -> "center"), for English stemming only."""
    if stemmer != "english":
        return {}
    from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

    return BRITISH_ENGLISH_SPELLINGS


NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")


def numbers(text: str) -> set[str]:
    """Numbers (years, percentages, counts) mentioned in the text, normalised."""
    return {m.group().replace(",", "") for m in NUMBER.finditer(normalize(text))}
