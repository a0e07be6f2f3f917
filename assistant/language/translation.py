"""Query translation between English and Chinese, term by term, for retrieval across languages.

all-MiniLM-L6-v2 is an English model and BM25 matches only the words a question uses, so an English question
cannot find a Chinese passage by itself (nor a Chinese question an English one). The question is translated
into the other language's words instead: the project's glossary first (policy phrases, longest first), then
CC-CEDICT. English words with several Chinese translations keep the few that the most indexed passages use
(and Chinese words, the English senses they use). The translation feeds a BM25 search (and, into English, a
dense one), fused with the rest.

Each translated term is kept as a gloss (source words, target words, where it came from): the answer shows
them beside a quoted sentence in the other language, marked as glosses, never as the document's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from . import chinese, numerals
from .cedict import dictionary
from .glossary import glossary
from .stopwords import chinese_stopwords
from .terms import STOPWORDS, terms

Origin = Literal["glossary", "CC-CEDICT"]

_ENGLISH_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*\+?|\d+(?:[.,]\d+)*%?")
_POSSESSIVE = re.compile(r"'s?$")
# Words of a question that carry no content to translate (question words, auxiliaries, function words).
_UNTRANSLATED = STOPWORDS | frozenset(
    {
        "according",
        "china",
        "china's",
        "chinese",
        "document",
        "documents",
        "say",
        "says",
        "set",
        "sets",
        "tell",
        "done",
        "does",
        "kind",  # "what kind of X", "which kinds of X": X is what is asked about
        "kinds",
        "sort",
        "sorts",
    }
)


@dataclass(frozen=True)
class Gloss:
    source: str  # the words as the question has them
    target: str  # their translation
    origin: Origin


@dataclass(frozen=True)
class QueryTranslation:
    """A question in the other language's words."""

    source_language: str  # "en" or "zh"
    target_language: str
    text: str  # the translated words, space-separated (numbers kept)
    glosses: tuple[Gloss, ...]

    def groups(self) -> list[tuple[str, ...]]:
        """The translated words grouped by what they translate (a number is a group of its own): a sentence
        that uses any one word of a group covers that part of the question."""
        by_source: dict[str, list[str]] = {}
        for gloss in self.glosses:
            by_source.setdefault(gloss.source, []).append(gloss.target)
        numbers = [(word,) for word in self.text.split() if word[0].isdigit()]
        return [tuple(targets) for targets in by_source.values()] + numbers

    def term_groups(self, stemmer: str | None) -> list[list[list[str]]]:
        """`groups` as index terms: each group's words, each word as its terms (a phrase has several)."""
        return [[terms(word, stemmer) for word in group] for group in self.groups()]

    def glosses_in(self, sentence: str) -> list[Gloss]:
        """The glosses whose translated side a sentence in the target language contains, in sentence order."""
        text = sentence.lower()
        found = sorted(
            (text.find(g.target.lower()), i) for i, g in enumerate(self.glosses) if g.target.lower() in text
        )
        out: list[Gloss] = []
        for _, i in found:
            if all(g.target != self.glosses[i].target for g in out):
                out.append(self.glosses[i])
        return out


def _lemmas(phrase: str) -> list[str]:
    """The phrase, then forms of it with its last word's plural or verb ending undone ('terminals' ->
    'terminal', 'offered' -> 'offer', 'requires' -> 'require', 'developing' -> 'develop'), then with a noun
    turned into its verb ('annotation' -> 'annotate')."""
    head, _, last = phrase.rpartition(" ")
    prefix = f"{head} " if head else ""
    forms = [last]
    for ending, replacements in _ENDINGS:
        if last.endswith(ending) and len(last) - len(ending) >= 3:
            stem = last[: -len(ending)]
            forms.extend(stem + r for r in replacements)
    return [prefix + form for form in dict.fromkeys(forms)]


_ENDINGS = (
    ("ies", ("y",)),
    ("ied", ("y",)),
    ("es", ("", "e")),
    ("s", ("",)),
    ("ed", ("", "e")),
    ("ing", ("", "e")),
    # Then the verb of a noun, for a noun whose own senses the index does not use ('annotation' -> 'annotate':
    # CC-CEDICT gives 标注 as 'annotate' only; 'development' -> 'develop').
    ("ations", ("ate",)),
    ("ation", ("ate",)),
    ("ments", ("",)),
    ("ment", ("",)),
)


class QueryTranslator:
    """Translates questions term by term; `term_count` says how many indexed passages use a word: a dictionary
    translation is kept only if some do, the most used first (of "pattern"'s 方式, 模式, 格局 ..., the ones
    the indexed documents write, not the ones Chinese uses most in general)."""

    def __init__(
        self,
        term_count: Callable[[str], int] | None = None,
        per_word: int = 3,
        stemmer: str | None = "english",
    ) -> None:
        self.term_count = term_count
        self.per_word = per_word
        self.stemmer = stemmer  # how the index's English terms are made

    def translate(self, question: str) -> QueryTranslation | None:
        """The question in the other language, or None when no word of it could be translated."""
        if chinese.is_chinese(question):
            return self._into_english(question)
        return self._into_chinese(question)

    # --- English -> Chinese ---------------------------------------------------------------------------

    def _into_chinese(self, question: str) -> QueryTranslation | None:
        tokens = [
            _POSSESSIVE.sub("", m.group().lower().replace("’", "'"))
            for m in _ENGLISH_TOKEN.finditer(question)
        ]
        terms = glossary()
        longest = max(terms.longest_english, 3)
        glosses: list[Gloss] = []
        words: list[str] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token[0].isdigit():
                words.append(token.rstrip("%"))
                i += 1
                continue
            found = 0
            for n in range(min(longest, len(tokens) - i), 0, -1):
                if tokens[i] in _UNTRANSLATED or tokens[i + n - 1] in _UNTRANSLATED:
                    continue  # "the state", "plan for": a phrase opens and ends on a content word
                phrase = " ".join(tokens[i : i + n])
                targets, origin = self._chinese_for(phrase)
                if targets:
                    glosses.extend(Gloss(phrase, t, origin) for t in targets)
                    words.extend(targets)
                    found = n
                    break
            i += found or 1
        if not glosses:
            return None
        return QueryTranslation("en", "zh", " ".join(dict.fromkeys(words)), tuple(glosses))

    def _chinese_for(self, phrase: str) -> tuple[tuple[str, ...], Origin]:
        for form in _lemmas(phrase):
            found = glossary().chinese_for(form)
            if found:
                return found, "glossary"
        for form in _lemmas(phrase):
            candidates = [w for w in dictionary().chinese(form) if len(w) >= 2 and chinese.has_cjk(w)]
            count = self.term_count
            if count is not None:
                candidates = [w for w in candidates if count(w) > 0]
            if candidates:
                candidates.sort(key=lambda w: (-(count(w) if count else 0), -chinese.word_frequency(w)))
                return tuple(candidates[: self.per_word]), "CC-CEDICT"
        return (), "CC-CEDICT"

    # --- Chinese -> English ---------------------------------------------------------------------------

    def _english_senses(self, senses: tuple[str, ...]) -> list[str]:
        """Two senses of a Chinese word: those whose words the most indexed passages use (开发, "to exploit; to
        open up; to develop", is "develop" in the documents), or the dictionary's first two."""
        count = self.term_count
        if count is None:
            return list(senses[:2])  # the first two senses: the first alone is often too narrow

        def used(sense: str) -> int:
            words = terms(sense, self.stemmer)
            return min((count(w) for w in words), default=0)

        ranked = sorted(range(len(senses)), key=lambda i: (-used(senses[i]), i))
        return [senses[i] for i in ranked[:2]]

    def _into_english(self, question: str) -> QueryTranslation | None:
        glosses: list[Gloss] = []
        words: list[str] = []
        for word in chinese.words(question):
            if not chinese.has_cjk(word):
                words.append(word)
                continue
            english = glossary().english_for(word)
            if english is None and word in chinese_stopwords():
                continue  # 什么, 哪些, 如何: nothing to look for
            if english is not None:
                glosses.append(Gloss(word, english, "glossary"))
                words.append(english)
                continue
            senses = dictionary().senses(word)
            if senses and len(word) >= 2:
                for sense in self._english_senses(senses):
                    glosses.append(Gloss(word, sense, "CC-CEDICT"))
                    words.append(sense)
                continue
            for part, english in _unlisted_word(word):
                glosses.append(Gloss(part, english, "CC-CEDICT"))
                words.append(english)
        if not glosses:
            return None
        return QueryTranslation("zh", "en", " ".join(words), tuple(glosses))


# A provision (第三章, 第十七条) and a count (七项, 三年): a numeral, and the unit it counts or numbers; 第一款 /
# 第一项 (a paragraph, an item, or "the first" of a list: 第一项原则) are left untranslated.
_NUMBERED = re.compile(r"^(第?)([零〇一二三四五六七八九十百千两\d]+)(\w?)$")


def _unlisted_word(word: str) -> list[tuple[str, str]]:
    """(Chinese, English) for a word CC-CEDICT does not list: a provision as English documents write it
    (第三章 -> "chapter 3", "chapter iii"), a count's figure (七项 -> "seven", "7"), or else the longest words
    it is made of that CC-CEDICT lists, two characters or more (高级别 -> 高级 'high level'; 专家组 -> 专家
    'expert')."""
    match = _NUMBERED.match(word)
    if match:
        ordinal, numeral, unit = match.groups()
        value = numerals.chinese_value(numeral)
        if value is None:
            return []
        if ordinal and unit not in numerals.PROVISION_UNITS:
            return []
        if ordinal:
            english = numerals.PROVISION_UNITS[unit]
            out = [(word, f"{english} {value}")]
            if unit in ("章", "节") and value < 5000:
                out.append((word, f"{english} {numerals.roman_numeral(value).lower()}"))
            return out
        spelled = [s for s in dictionary().senses(numeral)[:2] if not s.isdigit()]
        return [(word, s) for s in (*spelled[:1], str(value))]
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(word):
        for j in range(len(word), i + 1, -1):
            senses = dictionary().senses(word[i:j])
            if senses:
                out.extend((word[i:j], sense) for sense in senses[:2])
                i = j
                break
        else:
            i += 1
    return out


def warm_up_translation() -> None:
    """Load the segmenter, the glossary and CC-CEDICT now rather than on the first question that needs them."""
    chinese.segmenter()
    glossary()
    dictionary()
