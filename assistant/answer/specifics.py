"""What a question pins down — a named provision, a document identifier, a place, a year, a proper name — and
which of those the retrieved passages never mention.

A question about "Article 118 of the AI Act" (which has 113 articles), "Executive Order 14117" (not indexed),
Brazil (no document covers it) or a 2040 target (the plans stop at 2035) retrieves passages on the topic that
cannot answer it: an answer stands only when every specific the question asks about occurs in what was
retrieved. Places come from pycountry's ISO 3166 names (countries and the first-level subdivisions of the
largest federations), not from a list of this corpus' documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..language.chinese import language_of
from ..language.numerals import PROVISION_UNITS, chinese_numeral, chinese_value, roman_numeral, roman_value
from ..models import Passage
from .kinds import COMMON_CAPITALS, STATES_MONEY, asked_kind, asks_money, states_kind, states_money

# A provision the question names: "Article 118", "Art. 5(1)", "Section 15", "Sec. 4", "Annex XV", "Chapter XII".
_PROVISION = re.compile(
    r"\b(Articles?|Art\.|Sections?|Sec\.|Annex(?:es)?|Chapters?|Recitals?|Title|Part)\s+"
    r"(\d{1,4}[a-z]?|[IVXLC]{1,7})\b(?![\w/-])"
)
_PROVISION_WORD = {
    "art": "art(?:icles?|\\.)?",
    "sec": "sec(?:tions?|s?\\.)?",
    "annex": "annex(?:es)?",
    "chapter": "chapters?",
    "recital": "recitals?",
    "title": "titles?",
    "part": "parts?",
}
_CJK_PROVISION = re.compile(r"第[一二三四五六七八九十百零〇两\d]+[条章节款项]")
# After a 款 (paragraph) or 项 (item) of its own, what shows it is a provision (第二款的规定, 依照第一项，); 项 and
# 款 are measure words too, and 第一项原则 is "the first principle".
_AFTER_SUBPROVISION = "的规所中内、，。？?！和或及以与至"
# Identifiers of documents: "Executive Order 14117", "EO 14110", "Regulation (EU) 2024/1689", "SB 1047", "C-27".
# "Executive Order 14110", "EO 14110", and in Chinese "第14110号行政令" (the number before the order).
EO_NUMBER = re.compile(
    r"(?:\b(?:Executive\s+Orders?|E\.?\s?O\.?)\s*(?:No\.?\s*)?|(?<!\d)(?=\d{4,5}\s*号\s*(?:总统)?行政(?:令|命令)))"
    r"(\d{4,5})(?!\d)",
    re.IGNORECASE,
)
SLASHED_NUMBER = re.compile(r"\b(\d{2,4}/\d{1,4}(?:/E[CU])?)\b")
_CODE = re.compile(r"\b([A-Z]{1,4}\.?-?\s?\d{2,5})\b")
_LONG_NUMBER = re.compile(r"(?<![\d.,])(\d{5,})(?![\d.,])")
# A year, also when Chinese text writes "2027年" (年 is a word character to `\w`).
_YEAR = re.compile(r"(?<![A-Za-z0-9.,/])(?:19|20)\d{2}(?![A-Za-z0-9%/]|[.,]\d)")
# Head nouns of the documents users ask about: "the UK white paper", "China's interim measures", "the AI Act".
DOCUMENT_NOUNS = frozenset(
    [
        "act",
        "acts",
        "law",
        "laws",
        "regulation",
        "regulations",
        "directive",
        "directives",
        "order",
        "orders",
        "plan",
        "plans",
        "strategy",
        "strategies",
        "framework",
        "frameworks",
        "paper",
        "papers",
        "measures",
        "rules",
        "guidelines",
        "guideline",
        "guidance",
        "policy",
        "policies",
        "report",
        "reports",
        "response",
        "bill",
        "code",
        "charter",
        "standard",
        "standards",
        "profile",
        "roadmap",
        "outline",
        "initiative",
        "programme",
        "program",
        "agreement",
        "convention",
        "treaty",
        "declaration",
        "opinions",
        "opinion",
        "notice",
        "subsidy",
        "subsidies",
        "scheme",
        "decision",
        "statute",
        "memorandum",
        "circular",
        "provisions",
        "playbook",
        "principles",
        "agenda",
        "blueprint",
        "review",
        "recommendation",
        "communication",
    ]
)


@dataclass(frozen=True)
class Specific:
    """One thing a question pins down, and how to find it in a passage."""

    kind: str  # provision, identifier, place, year, name
    text: str  # as the question says it
    pattern: re.Pattern[str]

    def found_in(self, text: str) -> bool:
        return bool(self.pattern.search(text))


def provisions(question: str) -> list[Specific]:
    out = []
    for match in _PROVISION.finditer(question):
        word, number = match.group(1).lower(), match.group(2)
        key = next((k for k in _PROVISION_WORD if word.startswith(k)), word)
        # The number may follow the word directly or at the end of a short list ("Articles 5, 6 and 118").
        pattern = re.compile(
            rf"\b{_PROVISION_WORD.get(key, re.escape(word))}\s(?:[^.\n]{{0,40}}?[\s,(])?"
            rf"{re.escape(number)}(?![\w/])",
            re.IGNORECASE,
        )
        value = int(number) if number.isdigit() else roman_value(number)
        unit = next((u for u, english in PROVISION_UNITS.items() if english.startswith(key)), None)
        if unit is not None and value:
            # "Article 7" of a Chinese original is its 第七条.
            pattern = re.compile(
                rf"{pattern.pattern}|第(?:{chinese_numeral(value)}|{value}){unit}", re.IGNORECASE
            )
        out.append(Specific("provision", match.group(0), pattern))
    for match in _CJK_PROVISION.finditer(question):
        text = match.group(0)
        if text[-1] in "款项" and not _is_subprovision(question, match.start(), match.end()):
            continue
        alternatives = [re.escape(text)]
        value = chinese_value(text[1:-1])
        english = PROVISION_UNITS.get(text[-1])
        if value and english:
            # 第三章 of an English document is its "Chapter III" (or "Chapter 3").
            word = next(w for k, w in _PROVISION_WORD.items() if english.startswith(k))
            roman = f"|{roman_numeral(value)}" if value < 5000 else ""  # Roman numerals stop at 4999
            alternatives.append(rf"\b{word}\s+(?:{value}{roman})(?![\w/])")
        out.append(Specific("provision", text, re.compile("|".join(alternatives), re.IGNORECASE)))
    return out


def _is_subprovision(question: str, start: int, end: int) -> bool:
    """Whether the 第N款 / 第N项 at question[start:end] is a paragraph or item: after its article or paragraph
    (第十条第二款), or before a particle or a stop."""
    return (
        question[start - 1 : start] in ("条", "款")
        or end == len(question)
        or question[end] in _AFTER_SUBPROVISION
    )


def identifiers(question: str) -> list[Specific]:
    found: dict[str, Specific] = {}
    for match in EO_NUMBER.finditer(question):
        number = match.group(1)
        found[number] = Specific("identifier", match.group(0), re.compile(rf"(?<!\d){number}(?!\d)"))
    for match in SLASHED_NUMBER.finditer(question):
        value = match.group(1)
        found.setdefault(value, Specific("identifier", value, re.compile(rf"(?<![\d/]){re.escape(value)}\b")))
    for match in _CODE.finditer(question):
        value = match.group(1)
        letters = re.match(r"[A-Z]+", value)
        digits = re.search(r"\d+", value)
        if not letters or not digits or _YEAR.fullmatch(digits.group()) or digits.group() in found:
            continue
        # "SB 1047", "SB-1047" and "SB1047" are one identifier; "AI 100-1" style codes too.
        pattern = re.compile(rf"\b{letters.group()}\.?[-\s]?{digits.group()}\b")
        found.setdefault(value, Specific("identifier", value, pattern))
    for match in _LONG_NUMBER.finditer(question):
        number = match.group(1)
        found.setdefault(number, Specific("identifier", number, re.compile(rf"(?<!\d){number}(?!\d)")))
    return list(found.values())


# A version the question asks about: "version 2.0", "v2", "AI RMF 1.0", "Industry 4.0", "2.0版".
_VERSION = re.compile(
    r"(?i:\bversion\s+|\bver\.\s*|\bv)(\d{1,2}(?:\.\d{1,2})*)\b|\b[A-Z][\w-]*\s+(\d{1,2}\.\d{1,2})(?![\d.%,])"
    r"|(?<![\d.])(\d{1,2}(?:\.\d{1,2})?)\s*版"
)


def versions(question: str) -> list[Specific]:
    """The versions a question names ("version 2.0 of the AI RMF"): a passage about version 1.0 answers
    nothing about 2.0. Found as "2.0", "Version 2" or "V2" ("2.0" also as "version 2")."""
    out: dict[str, Specific] = {}
    for match in _VERSION.finditer(question):
        number = next(g for g in match.groups() if g)
        major, _, minor = number.partition(".")
        whole = rf"{major}(?:\.0)?" if minor in ("", "0") else re.escape(number)
        pattern = re.compile(
            rf"(?<![\d.]){re.escape(number)}(?![\d])(?!\.\d)|\b(?:version|ver\.|v)\s*{whole}(?![\d.])",
            re.IGNORECASE,
        )
        out.setdefault(number, Specific("version", match.group(0).strip(), pattern))
    return list(out.values())


# A name of a law or instrument as questions write it: capitalised words ending in a legal document's noun
# ("the EU Data Act", "South Korea's AI Basic Act", "the Digital Services Act").
_INSTRUMENT = re.compile(
    r"\b((?:[A-Z][\w’'.-]*\s+){1,5}(?:Act|Directive|Regulation|Law|Bill|Code|Convention|Treaty|Charter))\b"
)
# Words that do not tell one instrument from another: "the AI Act" or "the EU Act" names no other law.
_GENERIC_IN_NAMES = frozenset(
    [
        "ai",
        "artificial",
        "intelligence",
        "eu",
        "us",
        "uk",
        "european",
        "federal",
        "national",
        "executive",
        "the",
    ]
)


_QUESTION_OPENERS = frozenset(
    ["under", "does", "do", "did", "is", "are", "was", "what", "which", "how", "when", "in"]
)


def instruments(question: str) -> list[Specific]:
    """Laws the question names by a name of their own ("the EU Data Act"): a passage that answers must mention
    it ("AI" may be written out); generic names ("the AI Act", "the Act") are left to the documents' names."""
    out: list[Specific] = []
    for match in _INSTRUMENT.finditer(question):
        words = match.group(1).split()
        # The name starts after an owner ("South Korea's") or a capitalised question word ("Under", "Does").
        start = max((i + 1 for i, w in enumerate(words[:-1]) if w.endswith(("'s", "’s"))), default=0)
        words = [w for w in words[start:] if w.lower() not in _QUESTION_OPENERS]
        while words and words[0].lower() in ("eu", "us", "uk", "the"):
            words = words[1:]
        if len(words) < 2 or all(w.lower() in _GENERIC_IN_NAMES for w in words[:-1]):
            continue
        parts = [r"(?:AI|Artificial\s+Intelligence)" if w.lower() == "ai" else re.escape(w) for w in words]
        pattern = re.compile(r"\b" + r"\s+".join(parts) + r"\b", re.IGNORECASE)
        out.append(Specific("instrument", " ".join(words), pattern))
    return out


def years(text: str) -> set[str]:
    """Four-digit years (1900-2099) mentioned in the text."""
    return set(_YEAR.findall(text))


def asked_years(question: str) -> list[Specific]:
    return [
        Specific("year", year, re.compile(rf"(?<![A-Za-z0-9.,/]){year}(?![A-Za-z0-9%/]|[.,]\d)"))
        for year in dict.fromkeys(_YEAR.findall(question))
    ]


@lru_cache(maxsize=1)
def _place_names() -> dict[str, str]:
    """Lower-cased place name -> the name as written, from ISO 3166 (pycountry)."""
    import pycountry

    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value and "," not in value and "(" not in value:
                names[value.lower()] = value
    # First-level units of the federations whose AI laws are most often asked about (US states such as
    # Colorado or California, Canadian provinces, Australian states, Indian and Chinese provinces).
    for code in ("US", "CA", "AU", "IN", "CN", "BR", "DE"):
        for unit in pycountry.subdivisions.get(country_code=code) or []:
            name = unit.name.split(" (")[0]
            if len(name) >= 5:
                names.setdefault(name.lower(), name)
    return names


_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|de\s+|and\s+)?[A-Z][\w'’-]*)*")


def places(question: str) -> list[Specific]:
    """Countries and large subdivisions the question names (capitalised, as names are)."""
    names = _place_names()
    out: dict[str, Specific] = {}
    for match in _CAPITALISED_RUN.finditer(question):
        tokens = [re.sub(r"['’]s$", "", token) for token in match.group(0).split()]
        # Every contiguous sub-run, longest first: "South Korea's Basic Act" holds "South Korea".
        for size in range(len(tokens), 0, -1):
            for i in range(len(tokens) - size + 1):
                candidate = " ".join(tokens[i : i + size])
                name = names.get(candidate.lower())
                if name and not any(name in s.text for s in out.values()):
                    out[name] = Specific("place", name, _place_pattern(name))
    return list(out.values())


# How policy texts write the two countries they most often abbreviate ("the US", "U.S. agencies", "the UK's").
_SHORT_NAMES = {
    "united states": r"\bU\.S\.|\bUSA?\b|\bAmerica",
    "united states of america": r"\bU\.S\.|\bUSA?\b|\bAmerica",
    "united kingdom": r"\bU\.K\.|\bUK\b|\bBritain|\bBritish",
    "united kingdom of great britain and northern ireland": r"\bU\.K\.|\bUK\b|\bBritain|\bBritish",
}


def _place_pattern(name: str) -> re.Pattern[str]:
    # "Germany" is also written "German", "Italy" "Italian", "China" "Chinese", "Canada" "Canadian".
    stem = name[:-1] if len(name) >= 5 and " " not in name else name
    short = _SHORT_NAMES.get(name.lower())
    # The short names are matched as written: "us" is a pronoun.
    return re.compile(rf"(?i:\b{re.escape(stem)})" + (f"|{short}" if short else ""))


def proper_names(question: str) -> list[str]:
    """Capitalised words inside the question that are not question words or generic policy nouns."""
    tokens = re.findall(r"(?<![\w])[A-Z][a-z][\w'’-]+", question)
    out = []
    for i, token in enumerate(tokens):
        word = re.sub(r"['’]s$", "", token)
        if word.lower() in COMMON_CAPITALS or (i == 0 and question.lstrip().startswith(token)):
            continue
        out.append(word)
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Specifics:
    """Everything a question pins down."""

    items: tuple[Specific, ...]
    names: tuple[str, ...]
    money: bool = False  # the question asks for an amount of money
    kind: str | None = None  # the kind of fact it asks for (kinds.asked_kind)
    language: str = "en"  # the language it is asked in

    def absent_from(self, passages: Iterable[Passage], named: Iterable[str] = ()) -> list[Specific]:
        """The specifics that none of the passages (text, title, heading, issuer) mentions. A provision of a
        document the question names ("Section 9 of Executive Order 14179") must be in that document's
        passages: another order's "section 9(d) of this order" is not it."""
        passages = list(passages)
        texts = [_searchable(p) for p in passages]
        wanted = set(named)
        own = [t for p, t in zip(passages, texts, strict=True) if p.doc_id in wanted]
        return [
            s
            for s in self.items
            if not any(s.found_in(t) for t in (own if own and s.kind == "provision" else texts))
        ]

    def provision_passages(self, passages: Sequence[Passage], named: Iterable[str] = ()) -> set[int] | None:
        """The indexes of the passages that mention every provision the question names (within a named
        document's passages, as `absent_from` requires); None when it names none."""
        wanted = [s for s in self.items if s.kind == "provision"]
        if not wanted:
            return None
        own = set(named)
        return {
            i
            for i, p in enumerate(passages)
            if (not own or p.doc_id in own) and all(s.found_in(_searchable(p)) for s in wanted)
        }

    def unindexed_instruments(self, is_document_name: Callable[[str], bool]) -> list[Specific]:
        """The laws the question names by a name of their own ("the EU Data Act") that are no indexed document:
        passages that mention such a law (a plan announcing "a proposal for a Data Act") cannot answer what it
        provides. Asked only of a question that names no indexed document ("Does the UK white paper mention
        the Data Act?" is about the white paper)."""
        return [
            Specific("unindexed", s.text, s.pattern)
            for s in self.items
            if s.kind == "instrument" and not is_document_name(s.text)
        ]

    def unknown_names(self, known_term: Callable[[str], bool]) -> list[str]:
        """Proper names the whole index never uses (a state, a law or a summit no document mentions)."""
        return [name for name in self.names if not known_term(name)]

    def unstated(self, sentences: Iterable[str]) -> list[Specific]:
        """What the question asks for that none of the best sentences states: an amount of money asked for
        ("What annual budget ...?", "How much prize money ...?") and only spoken of ("funding will be
        provided") is not an answer, however well the sentences match. Nor, when every best sentence is in
        the other language (matched only through the dictionary's translation of the question), is a sentence
        without the date or figure asked for: "What minimum age ...?" and an article on minors' over-reliance."""
        sentences = list(sentences)
        if self.money and not any(states_money(s) for s in sentences):
            return [Specific("unstated", "an amount of money", STATES_MONEY)]
        across = bool(sentences) and all(language_of(s) != self.language for s in sentences)
        if across and self.kind in _STATED and not any(states_kind(s, self.kind) for s in sentences):
            return [_STATED[self.kind]]
        return []


# The facts a cross-language answer must state when asked for (kinds.asked_kind), as abstention reasons say them.
_STATED = {
    "date": Specific("unstated", "a date", re.compile("$^")),
    "number": Specific("unstated", "a figure", re.compile("$^")),
}


def specifics(question: str) -> Specifics:
    """The provisions, identifiers, places and years a question asks about, and its other proper names."""
    items = [
        *provisions(question),
        *identifiers(question),
        *places(question),
        *asked_years(question),
        *instruments(question),
        *versions(question),
    ]
    covered = " ".join(s.text for s in items).lower()
    names = [n for n in proper_names(question) if n.lower() not in covered]
    return Specifics(
        tuple(items), tuple(names), asks_money(question), asked_kind(question), language_of(question)
    )


def _searchable(passage: Passage) -> str:
    """What a passage mentions: its text, and its document's title, heading path, issuer and date (so "the
    2023 measures" is answered by a passage of the measures dated 2023 that does not repeat the year)."""
    return "\n".join(
        part
        for part in (passage.title, passage.heading_path, passage.issuing_body, passage.date, passage.text)
        if part
    )


def describe(missing: list[Specific], unknown: list[str]) -> str:
    """'no passage mentions Article 118 or Colorado' for an abstention reason (and 'no passage states an amount
    of money' when that is what is missing)."""
    unindexed = {s.text for s in missing if s.kind == "unindexed"}  # says more than "no passage mentions"
    named = [s.text for s in missing if s.kind not in ("unstated", "unindexed") and s.text not in unindexed]
    named += unknown
    reasons = ["no passage mentions " + " or ".join(dict.fromkeys(named))] if named else []
    reasons += [f"the {s.text} is not among the indexed documents" for s in missing if s.kind == "unindexed"]
    reasons += [f"no passage states {s.text}" for s in missing if s.kind == "unstated"]
    return "; ".join(reasons)
