"""The direct answer: the words of the answer's sentence that state the date, period, frequency, count, amount
or share a question asks for ("from 2 February 2025", "within 180 days", "more than 500 contributors"), quoted
verbatim.

Found only when the sentence states exactly one fact of the asked kind, or several of which one is plainly the
one asked for (the one whose clause names the year asked about, or whose neighbouring words hold clearly more of
the question's than any other's: "£10 million to jumpstart regulators' AI capabilities" beside "a £9 million
partnership"); else no direct answer, and the whole sentence stays the answer, so that the words lifted out are
the sentence's answer and not one of several figures it gives. The extractive answer then leads with them and
cites the sentence they come from.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache

from ..language.terms import STOPWORDS, terms
from .kinds import ASKS_DATE, CURRENCY, CURRENCY_NAME, MONTHS, NUMBER_WORDS
from .specifics import years

_YEAR = r"(?:19|20)\d{2}"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_MONTH = rf"(?:{MONTHS})\.?"
_PERIOD_UNIT = r"(?:calendar |working |business )?(?:days?|weeks?|months?|years?)"
_COUNT = rf"(?:\d+|{NUMBER_WORDS}|eighteen|sixty|ninety)"

# Dates, most specific first: a day, a month, a part of a year, a year. A tier with one value answers.
_DATE_TIERS = (
    re.compile(
        rf"\b(?:{_DAY}\s+{_MONTH},?\s+{_YEAR}|{_MONTH}\s+{_DAY},?\s+{_YEAR})(?![\w])|{_YEAR}年\d{{1,2}}月\d{{1,2}}日",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b(?:(?:early|mid|late|the end of|end|spring|summer|autumn|fall|winter)[ -]{_YEAR}|{_MONTH}\s+{_YEAR}"
        rf"|(?:Q[1-4]|H[12])\s+{_YEAR})(?![\w])|{_YEAR}年(?:\d{{1,2}}月|底|年底|前)",
        re.IGNORECASE,
    ),
    re.compile(rf"(?<![\w.,/-]){_YEAR}(?![\w%/]|[.,-]\d)|{_YEAR}年"),  # not a range: "2023-2024"
)
# "12 weeks", "ten years"; not the "4 months" of "3,4 months" nor the "million years" of "400 million years".
_PERIOD = re.compile(rf"(?<!\d[.,])(?<!\d )\b{_COUNT}\s*(?:\(\d+\)\s*)?{_PERIOD_UNIT}\b", re.IGNORECASE)
# Words that belong to a date or period they come right before ("no later than 2028", "within 180 days").
_TIME_LEAD = re.compile(
    r"(?:\b(?:no later than|not later than|by the end of|as from|as of|starting (?:in|from|on)?|beginning|from|by"
    r"|until|till|before|after|since|in|on|within|for|over|up to|at least|at most|every|prior to|earlier than|"
    r"later than|as early as|ending|ended|between)\s+)$",
    re.IGNORECASE,
)

_NUMBER = re.compile(
    rf"(?<![\w.,^])(?:(?:\d{{1,3}}(?:[ ,.]\d{{3}})+|\d+)(?:[.,]\d+)?(?:\^\d+)?|(?:{NUMBER_WORDS}|eighteen|sixty"
    rf"|ninety|hundreds|thousands|millions)(?:[ -](?:{NUMBER_WORDS}))*)(?![\w])",
    re.IGNORECASE,
)
_MULTIPLIER = re.compile(r"^(?:\s*(?:thousand|million|billion|trillion|bn|m|k)\b)?", re.IGNORECASE)
# A currency sign or code before the figure ("£10 million", "EUR 35 000 000"), a currency's name after it ("5
# billion euros"); a sign after a figure belongs to the next amount ("30 £250m").
_AMOUNT = re.compile(
    rf"(?:{CURRENCY}\s?(?:\d[\d ,.]*\d|\d)(?:\s*(?:thousand|million|billion|trillion|bn|m|k)\b)?(?![\w.,]\d)"
    rf"|(?:\d[\d ,.]*\d|\d)(?:\s*(?:thousand|million|billion|trillion|bn|m)\b)?\s*{CURRENCY_NAME})",
    re.IGNORECASE,
)
_FREQUENCY = re.compile(
    rf"\b(?:annually|yearly|biannually|biennially|quarterly|monthly|weekly|daily|every (?:{_COUNT} )?(?:calendar )?"
    rf"(?:years?|months?|weeks?|days?)|(?:once|twice|{_COUNT} times) (?:a|per|each|every) (?:year|month|week|day))\b",
    re.IGNORECASE,
)
_SHARE = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)?\s?(?:%|％|per ?cent\b|percent\b)(?![A-Za-z])", re.IGNORECASE)
_QUANTITY_LEAD = re.compile(
    r"(?:\b(?:more than|over|at least|at most|up to|around|about|nearly|almost|some|approximately|roughly|"
    r"fewer than|less than|under|just over|a total of|an additional|additional|exceeding|exceed|exceeds|above|below)\s+)$",
    re.IGNORECASE,
)
# A number that is a reference, not a quantity: "Article 5", "section 4.2", "point (a)", "Table 1".
_REFERENCE_BEFORE = re.compile(
    r"\b(?:article|articles|section|sections|chapter|chapters|point|points|annex|paragraph|paragraphs|order|no|"
    r"table|figure|step|recommendation|priority|principle|pillar|objective|goal|part|title|regulation|"
    r"directive|decision|law|act)\.?\s*$",
    re.IGNORECASE,
)

# A question's time word that the sentence may use to introduce its answer ("Starting when?"), and the words
# that may stand between them ("starting within", "beginning on").
_QUESTION_TIME_WORD = re.compile(r"\b(?:starting|beginning|until|till|since|ending)\b", re.IGNORECASE)
_LEAD_GAP = re.compile(
    r"\s+(?:(?:from|in|on|within|no later than|not later than|at|as of|by|the end of|end of)\s+)*",
    re.IGNORECASE,
)
_ASKS_CALENDAR = re.compile(r"\b(?:what|which)\s+(?:date|day|year|month)\b", re.IGNORECASE)
_ASKS_PERIOD = re.compile(
    r"\bhow long\b|\b(?:within|in|after|for) how many (?:days|weeks|months|years)\b|\bhow many (?:days|weeks|"
    r"months|years)\b",
    re.IGNORECASE,
)
_ASKED_UNIT = re.compile(r"\bhow many (day|week|month|year)s\b", re.IGNORECASE)
_ASKS_COUNT = re.compile(r"\bhow many\s+((?:[\w'’-]+\s+){0,3}[\w'’-]+)", re.IGNORECASE)
_ASKS_AMOUNT = re.compile(
    r"\bhow much (?:money|funding|investment)\b|\bhow much\b.*\b(?:fund|funding|invest|investment|budget|"
    r"money|spend|provide|allocate|commit|raise|cost|fine)|\bwhat (?:\w+ ){0,2}(?:budget|amount|fine|funding)\b",
    re.IGNORECASE,
)
_ASKS_FREQUENCY = re.compile(
    r"\bhow often\b|\bhow frequently\b|\bat what (?:frequency|interval)", re.IGNORECASE
)
_ASKS_SHARE = re.compile(
    r"\bwhat (?:\w+ ){0,2}(?:percentage|share|proportion|rate)\b|\bhow much of\b|\bwhat per ?cent\b",
    re.IGNORECASE,
)
_TWO_ASKS = re.compile(
    r"\b(?:when|how (?:many|much|long|often|frequently)|what (?:date|year|share|percentage|amount)|by what|where|who|"
    r"which)\b",
    re.IGNORECASE,
)

# "above 70% and above 90% respectively": the values belong to words far from them.
_RESPECTIVELY = re.compile(r"\brespectively\b", re.IGNORECASE)
# "2.3" after a line break (or nothing) is a section number; after a lower-case word or a comma it is a figure.
_SECTION_NUMBER = re.compile(r"\d+(?:\.\d+)+")
_MID_SENTENCE = re.compile(r"[a-z,;:][ \t]*$")
_PLURAL_NOUN = re.compile(
    r"(?!(?:is|was|has|as|this|thus|its|his|us|yes|does|always|across|less)$)[a-z]{3,}s"
)


@dataclass(frozen=True)
class DirectAnswer:
    """The words `sentence[start:end]` that answer the question, and what kind of fact they state."""

    start: int
    end: int
    kind: str  # what the question asks for
    form: str = ""  # what the words are: "date", "period", "frequency", "count", "amount" or "share"

    def text(self, sentence: str) -> str:
        return " ".join(sentence[self.start : self.end].split())


def asked_fact(question: str) -> str | None:
    """The kind of fact a question asks for, when it asks for exactly one: 'date', 'period', 'frequency',
    'count', 'amount' or 'share' (None for any other question, or one that asks two things: "By how much, and by
    when")."""
    if len(_TWO_ASKS.findall(question)) > 1:
        return None
    if _ASKS_FREQUENCY.search(question):
        return "frequency"
    if _ASKS_PERIOD.search(question):
        return "period"
    if ASKS_DATE.search(question):
        return "date"
    if _ASKS_SHARE.search(question):
        return "share"
    if _ASKS_AMOUNT.search(question):
        return "amount"
    if _ASKS_COUNT.search(question):
        return "count"
    return None


def direct_answer(
    question: str,
    sentence: str,
    stemmer: str | None = "english",
    document_years: AbstractSet[str] = frozenset(),
) -> DirectAnswer | None:
    """The words of `sentence` that state the one date, period, frequency, count, amount or share `question`
    asks for. `document_years`: the years in the names of the documents the question names ("the 2021
    Coordinated Plan"), which the question does not ask about."""
    kind = asked_fact(question)
    if kind is None:
        return None
    form = kind
    asked = frozenset(terms(question, stemmer))
    if kind == "date":
        # "Starting when?": the time the sentence introduces with the question's own word ("... by 2030 -
        # starting within 6 months"), whatever other dates it states.
        found, form = _introduced(question, sentence)
        if found is None:
            # "When?" may be answered "within 6 months"; "by what year?" only by a date.
            found, form = _one_date(question, sentence, document_years), "date"
        if found is None and not _ASKS_CALENDAR.search(question):
            found, form = _one(_PERIOD, sentence, asked, stemmer), "period"
    elif kind == "period":
        found = _one(_period_pattern(question), sentence, asked, stemmer)
        if found is None:
            found, form = _one_date(question, sentence, document_years), "date"
    elif kind == "frequency":
        found = _one(_FREQUENCY, sentence, asked, stemmer)
    elif kind == "share":
        # "up to 7 % of turnover or EUR 35 000 000": a share beside an amount is half an answer.
        found = None if _AMOUNT.search(sentence) else _one(_SHARE, sentence, asked, stemmer)
    elif kind == "amount":
        found = None if _SHARE.search(sentence) else _one(_AMOUNT, sentence, asked, stemmer)
    else:
        found = _one_count(question, sentence, stemmer)
    if found is None:
        return None
    start, end = found
    lead = _TIME_LEAD if kind in ("date", "period", "frequency") else _QUANTITY_LEAD
    before = lead.search(sentence[:start])
    if before is not None:
        start = before.start()
    words = sentence[start:end].split()
    if len(words) < 2 and not any(c.isdigit() for c in words[0]):
        return None  # "Annually" alone says less than the sentence ("Within 180 days ..., and annually thereafter")
    return DirectAnswer(start, end, kind, form)


def _period_pattern(question: str) -> re.Pattern[str]:
    """What a period the question asks for looks like: one in the unit it names ("within how many days" is not
    answered by "12 months"), or any."""
    unit = _ASKED_UNIT.search(question)
    return _PERIOD if unit is None else _period_in(unit.group(1).lower())


@lru_cache(maxsize=4)
def _period_in(unit: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?<!\d[.,])(?<!\d )\b{_COUNT}\s*(?:\(\d+\)\s*)?(?:calendar |working |business )?{unit}s?\b",
        re.IGNORECASE,
    )


def _one(
    pattern: re.Pattern[str], sentence: str, asked: frozenset[str] = frozenset(), stemmer: str | None = None
) -> tuple[int, int] | None:
    """The span of the only value `pattern` finds in the sentence (the same value twice counts once); of
    several, the one whose neighbouring words hold clearly more of the question's (`asked`) than any other's."""
    matches = list(pattern.finditer(sentence))
    first: dict[str, re.Match[str]] = {}
    for m in matches:
        first.setdefault(" ".join(m.group(0).lower().split()), m)
    if len(first) == 1:
        return matches[0].span()
    if len(first) < 2 or not asked or _RESPECTIVELY.search(sentence):
        return None
    # A question about 2030 is answered by the value whose clause names 2030.
    asked_years = {t for t in asked if re.fullmatch(_YEAR, t)}
    if asked_years:
        beside = [m.span() for m in first.values() if asked_years & years(_clause(sentence, m))]
        if len(beside) == 1:
            return beside[0]
        if beside:
            return None
    # Else the value whose neighbouring words hold clearly more of the question's than any other's.
    covered = sorted(
        ((len(asked & _neighbours(sentence, m, stemmer)), m.span()) for m in first.values()), reverse=True
    )
    return covered[0][1] if covered[0][0] - covered[1][0] >= 2 else None


def _clause(sentence: str, match: re.Match[str]) -> str:
    """The part of the sentence around a value, between semicolons or colons."""
    left, right = _clause_bounds(sentence, match)
    return sentence[left:right]


def _clause_bounds(sentence: str, match: re.Match[str]) -> tuple[int, int]:
    left = max(sentence.rfind(";", 0, match.start()), sentence.rfind(":", 0, match.start())) + 1
    marks = [i for i in (sentence.find(";", match.end()), sentence.find(":", match.end())) if i >= 0]
    return left, min(marks, default=len(sentence))


def _neighbours(sentence: str, match: re.Match[str], stemmer: str | None, width: int = 10) -> set[str]:
    """The terms of the words around a value, within its clause (up to `width` words each side)."""
    left, right = _clause_bounds(sentence, match)
    before = sentence[left : match.start()].split()[-width:]
    after = sentence[match.end() : right].split()[:width]
    return set(terms(" ".join(before + after), stemmer))


# What may follow a time word, most specific first: a date of each tier, then a period.
_TIME_VALUES = (*(("date", tier) for tier in _DATE_TIERS), ("period", _PERIOD))


def _introduced(question: str, sentence: str) -> tuple[tuple[int, int] | None, str]:
    """The one date or period that the sentence introduces with the question's own time word, from that word
    ("Starting when?" -> "starting within 6 months"; "Until when ...?" -> "until 31 December 2027"), and its
    form."""
    leads = {w.lower() for w in _QUESTION_TIME_WORD.findall(question)}
    found: dict[str, tuple[tuple[int, int], str]] = {}
    for lead in _QUESTION_TIME_WORD.finditer(sentence):
        if lead.group(0).lower() not in leads:
            continue
        gap = _LEAD_GAP.match(sentence, lead.end())
        at = gap.end() if gap else lead.end()
        for form, pattern in _TIME_VALUES:
            value = pattern.match(sentence, at)
            if value is not None:
                found.setdefault(
                    " ".join(value.group(0).lower().split()), ((lead.start(), value.end()), form)
                )
                break
    if len(found) != 1:
        return None, "date"
    span, form = next(iter(found.values()))
    return span, form


def _one_date(
    question: str, sentence: str, document_years: AbstractSet[str] = frozenset()
) -> tuple[int, int] | None:
    """The only date of the most specific kind the sentence states (a year the question names is no answer,
    unless it names a document, nor a bare year that no time word introduces: "the EU product rules 2022"
    names a guide, "by 2025" a date)."""
    asked = set(re.findall(_YEAR, question)) - set(document_years)
    for tier in _DATE_TIERS:
        matches = [m for m in tier.finditer(sentence) if m.group(0).rstrip("年") not in asked]
        if tier is _DATE_TIERS[-1]:
            matches = [m for m in matches if "年" in m.group(0) or _TIME_LEAD.search(sentence[: m.start()])]
        if not matches:
            continue
        values = {" ".join(m.group(0).lower().split()) for m in matches}
        return matches[0].span() if len(values) == 1 else None
    return None


def _one_count(question: str, sentence: str, stemmer: str | None) -> tuple[int, int] | None:
    """The only number in the sentence that counts what the question counts ("how many principles" ->
    "10 principles"), with the words up to the counted noun."""
    asked = _ASKS_COUNT.search(question)
    if asked is None:
        return None
    # The counted noun phrase ends before the verb: "how many EU Member States | signed".
    counted = list(
        itertools.takewhile(
            lambda w: w.lower() not in STOPWORDS and not w.endswith("ed"), asked.group(1).split()
        )
    )
    counted_terms = set(terms(" ".join(counted), stemmer))
    if not counted_terms:
        return None
    spans: dict[str, tuple[int, int]] = {}
    for match in _NUMBER.finditer(sentence):
        if _REFERENCE_BEFORE.search(sentence[: match.start()]) or re.fullmatch(_YEAR, match.group(0)):
            continue
        if _SECTION_NUMBER.fullmatch(match.group(0)) and not _MID_SENTENCE.search(sentence[: match.start()]):
            continue  # a section number opening a line ("2.3 Tensions between the principles")
        end = match.end() + _MULTIPLIER.match(sentence[match.end() :]).end()  # type: ignore[union-attr]
        # The counted noun within the next four words: "500 contributors", "12 new AI professorships", and a
        # plural noun right after the last of the question's words ("four priority areas").
        following = list(re.finditer(r"[\w'’-]+", sentence[end : end + 60]))[:5]
        last = max(
            (i for i, word in enumerate(following[:4]) if set(terms(word.group(0), stemmer)) & counted_terms),
            default=None,
        )
        if last is None:
            continue
        if last + 1 < len(following) and _PLURAL_NOUN.fullmatch(following[last + 1].group(0)):
            last += 1
        spans.setdefault(
            " ".join(match.group(0).lower().split()), (match.start(), end + following[last].end())
        )
    if len(spans) != 1:
        return None
    return next(iter(spans.values()))
