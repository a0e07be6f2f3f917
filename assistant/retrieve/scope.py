"""Which indexed documents a question names: "Executive Order 14110", "the GDPR", "the EU AI Act", "NIST's AI
RMF", "the UK white paper", "Germany's strategy".

Names are read off each document's own catalog entry — identifiers in its title (order and regulation numbers,
codes such as CP 815), the short names in its title's parentheses, the distinctive phrases of its title,
acronyms of its issuer, and the places its title or issuer names — so a new document is recognised by the
same rules, with no list of this corpus' documents. Retrieval searches each named document on its own as well
as the whole index, so a question that names two documents finds passages of both.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ..answer.specifics import DOCUMENT_NOUNS, EO_NUMBER, SLASHED_NUMBER, places
from ..models import DocumentInfo

_AI = re.compile(r"\bartificial[\s-]+intelligence\b")
_AI_WORDS = re.compile(r"\bartificial[\s-]+intelligence\b", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w/.-]+")
_VERSION = re.compile(r"\s+\d+(?:\.\d+)+$")
_CODE = re.compile(r"\b[a-z]{1,4}\s\d{2,5}(?:-\d+)?\b")
# Words that cannot open or close a name taken from a title, and words too common to make one on their own.
_FUNCTION = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "for",
        "and",
        "on",
        "in",
        "to",
        "with",
        "by",
        "from",
        "its",
        "their",
        "our",
        "official",
        "journal",
        "text",
        "english",
        "chinese",
        "translation",
        "provisional",
        "summary",
        "brochure",
        "update",
        "version",
    ]
)
_WEAK = _FUNCTION | frozenset(
    [
        "ai",
        "plan",
        "strategy",
        "regulation",
        "order",
        "executive",
        "report",
        "response",
        "government",
        "use",
        "national",
        "federal",
        "new",
        "annex",
        "act",
        "framework",
        "guideline",
        "guidelines",
        "development",
        "uk",
        "us",
        "eu",
    ]
)
# Words that make a title the name of a policy document ("... Act", "... Plan", "... Guidelines", 办法, 意见):
# only such documents are named by their title's phrases, and a phrase names one only when it holds such a word
# or is the whole title. A title with none of them (a scientific article's) names nothing: "colorectal cancer"
# in a question is a topic, not a document.
_DOCUMENT_WORDS = DOCUMENT_NOUNS
_CJK_DOCUMENT_WORDS = ("办法", "意见", "规定", "条例", "法", "通知", "决定", "规划", "纲要", "指引", "方案")
# The most documents a single place may name before it scopes nothing ("US" over eight orders is no scope).
MAX_DOCUMENTS_PER_PLACE = 3


def normalise(text: str) -> str:
    """Lower case, 'artificial intelligence' as 'ai', possessives and punctuation as spaces."""
    text = _AI.sub("ai", text.lower().replace("’", "'"))
    text = re.sub(r"'s\b", "", text)
    return " " + " ".join(_NON_WORD.sub(" ", text).split()) + " "


@dataclass(frozen=True)
class NamedDocuments:
    """The documents a question names, and whether by a name of their own or only by a place."""

    strong: tuple[str, ...]
    by_place: tuple[str, ...]
    phrases: tuple[
        str, ...
    ] = ()  # the question's words that named them (normalised): aliases, numbers, places
    named_by: tuple[tuple[str, tuple[str, ...]], ...] = ()  # each document with the words that named it

    @property
    def all(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.strong + self.by_place))


class DocumentNames:
    """Recognises mentions of indexed documents in questions."""

    def __init__(self, documents: Iterable[DocumentInfo]) -> None:
        self.documents = list(documents)
        aliases = {d.id: _aliases(d) for d in self.documents}
        mains = {d.id: {normalise(t).strip() for t in _main_titles(d.title)} for d in self.documents}
        # A phrase that several titles share ("trustworthy ai") names none of them, unless it is the whole
        # main title of one ("AI Opportunities Action Plan", beside "...: Government Response").
        counts = Counter(a for names in aliases.values() for a in set(names))
        self.aliases = {
            d: sorted({a for a in names if counts[a] == 1 or a in mains[d]}, key=len, reverse=True)
            for d, names in aliases.items()
        }
        self.policy = {d.id for d in self.documents if is_policy_title(d.title)}
        self.numbers = {d.id: _numbers(d.title) if d.id in self.policy else set() for d in self.documents}

    def is_document_name(self, name: str) -> bool:
        """Whether `name` is (part of) an indexed document's title or one of its short names."""
        wanted = normalise(name)
        if not wanted.strip():
            return False
        return any(
            wanted in normalise(d.title)
            or any(f" {a} " in wanted or wanted.strip() == a for a in self.aliases[d.id])
            for d in self.documents
        )

    def _one_per_shared_name(self, named: list[str], named_by: dict[str, str], text: str) -> list[str]:
        """The documents named, where one name fits several titles ("AI Opportunities Action Plan" is the
        plan's title and begins its government response's). Next to the name, the other words of a title
        name that document alone ("the government's response to the AI Opportunities Action Plan"); elsewhere
        in the question they name it beside the one whose title is the name alone ("What does the AI
        Opportunities Action Plan propose, and what does the government's response say?"); absent, the name
        is that one's."""
        titles = {d.id: d.title for d in self.documents}
        words = text.split()
        kept: list[str] = []
        for doc_id in named:
            alias = named_by[doc_id]
            sharing = [d for d in named if named_by[d] == alias]
            if len(sharing) == 1:
                kept.append(doc_id)
                continue
            extra = {d: _extra_words(titles[d], alias) for d in sharing}
            beside = _words_beside(words, alias.split(), reach=3)
            if any(extra[d] & beside for d in sharing):
                keep = bool(extra[doc_id] & beside)
            else:
                keep = not extra[doc_id] or bool(extra[doc_id] & set(words)) or all(extra[d] for d in sharing)
            if keep:
                kept.append(doc_id)
        return kept

    def named_in(self, question: str) -> NamedDocuments:
        text = normalise(question)
        without_ai = text.replace(" ai ", " ")
        capitalised = {w.lower() for w in re.findall(r"\b[A-Z][\w-]+", question)}
        # Documents named by their number first: when more are named than are searched on their own
        # (`scope.max_documents`), "EO 14319" names its order more surely than "the AI action plan" names a plan.
        by_number: list[str] = []
        strong: list[str] = []
        phrases: list[str] = []
        naming: dict[str, list[str]] = {}  # document -> every phrase that named it
        asked_numbers = set(EO_NUMBER.findall(text)) | set(SLASHED_NUMBER.findall(text))
        for document in self.documents:
            if asked_numbers & self.numbers[document.id]:
                by_number.append(document.id)
                numbers = sorted(asked_numbers & self.numbers[document.id])
                phrases.extend(numbers)
                naming.setdefault(document.id, []).extend(numbers)
                continue
            for alias in self.aliases[document.id]:
                if " " not in alias:  # one word names a document only when written as a name
                    hit = alias in capitalised or (
                        alias.isascii() and len(alias) <= 5 and f" {alias} " in text
                    )
                else:
                    hit = _named_by(alias, text) or _named_by(alias.replace(" ai ", " "), without_ai)
                if hit:
                    strong.append(document.id)
                    phrases.append(alias)
                    naming[document.id] = [alias]
                    break
        # So far a document named by an alias has that alias alone (places are added below).
        strong = by_number + self._one_per_shared_name(strong, {d: naming[d][0] for d in strong}, text)
        by_place: list[str] = []
        for place in places(question):
            holders = [
                d.id
                for d in self.documents
                if d.id in self.policy and place.found_in(f"{d.title}\n{d.issuing_body or ''}")
            ]
            if any(d in strong for d in holders):
                # The place qualifies a document the question names ("China's AI+ Opinions"): it does not
                # name that country's other documents too.
                phrases.append(place.text)
            elif 0 < len(holders) <= MAX_DOCUMENTS_PER_PLACE:
                by_place.extend(holders)
                phrases.append(place.text)
                for holder in holders:
                    naming.setdefault(holder, []).append(normalise(place.text).strip())
        named = dict.fromkeys(strong + by_place)
        return NamedDocuments(
            tuple(strong),
            tuple(dict.fromkeys(by_place)),
            tuple(dict.fromkeys(phrases)),
            tuple((d, tuple(naming[d])) for d in named if d in naming),
        )


def _named_by(alias: str, text: str) -> bool:
    """Whether the (normalised) text uses the alias as a name: not after "a" or "an" ("submit an AI action
    plan" asks for a plan, it does not name "America's AI Action Plan")."""
    needle = f" {alias} "
    position = text.find(needle)
    while position >= 0:
        if not text[: position + 1].endswith((" a ", " an ")):
            return True
        position = text.find(needle, position + 1)
    return False


def _numbers(title: str) -> set[str]:
    text = normalise(title)
    return set(EO_NUMBER.findall(text)) | set(SLASHED_NUMBER.findall(text))


def is_policy_title(title: str) -> bool:
    """Whether a title names a policy document: it holds a word such as Act, Plan, Guidelines (or 办法, 意见)
    and is written as a name, most of its words capitalised ("Ethics Guidelines for Trustworthy AI", not
    "Circadian regulation of the immune response")."""
    if any(w in title for w in _CJK_DOCUMENT_WORDS):
        return True
    if not set(normalise(title).split()) & _DOCUMENT_WORDS:
        return False
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", title) if w.lower() not in _FUNCTION]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.5 * len(words)


# Document words that are also everyday words of other texts ("immune response", "circadian regulation"): they
# make a title a policy title, but a phrase ending in one names a document only when it is the whole title.
_COMMON_DOCUMENT_WORDS = frozenset(
    [
        "response",
        "regulation",
        "regulations",
        "review",
        "code",
        "standard",
        "standards",
        "communication",
        "decision",
        "recommendation",
        "opinion",
        "policy",
        "report",
        "agenda",
    ]
)


def _names_a_document(phrase: str, mains: set[str]) -> bool:
    """A title phrase names its document when it is a whole main title, is not English, or ends with a
    document word ("Coordinated Plan", "Ethics Guidelines", "AI Act")."""
    words = phrase.split()
    last = words[-1] if words else ""
    return (
        phrase in mains
        or not phrase.isascii()
        or (last in _DOCUMENT_WORDS and last not in _COMMON_DOCUMENT_WORDS)
    )


def _aliases(document: DocumentInfo) -> set[str]:
    title = document.title
    out: set[str] = set()
    if not is_policy_title(title):
        return out
    mains = {normalise(t).strip() for t in _main_titles(title)}
    out |= {main for main in mains if _distinctive(main)}
    # Short names in parentheses: "(GDPR)", "(Artificial Intelligence Act)", "(White Paper, CP 815)".
    for inner in re.findall(r"\(([^()]{2,80})\)", title):
        for part in inner.split(","):
            phrase = normalise(_VERSION.sub("", part.strip())).strip()
            if len(phrase) >= 2 and not all(w in _FUNCTION for w in phrase.split()):
                out.add(phrase)
    # The main titles (either side of ':', before '—') and their distinctive runs of words.
    # Only runs written as a name (every word capitalised, as in "Ethics Guidelines for Trustworthy AI"):
    # a sentence-case title ("Functional consequences of somatic mutations") names nothing by its phrases.
    for main in _main_titles(title):
        words = re.findall(r"[\w/.'’-]+", _AI_WORDS.sub("AI", main))
        tokens = [normalise(w).strip() for w in words]
        named = [w[:1].isupper() or not w[:1].isalpha() or normalise(w).strip() in _FUNCTION for w in words]
        for size in range(1, min(len(tokens), 6) + 1):
            for i in range(len(tokens) - size + 1):
                run = tokens[i : i + size]
                if run[0] in _FUNCTION or run[-1] in _FUNCTION or not all(named[i : i + size]):
                    continue
                phrase = " ".join(t for t in run if t)
                if _distinctive(phrase) and _names_a_document(phrase, mains):
                    out.add(phrase)
    # "EU AI Act" for "(Artificial Intelligence Act)" of a "Regulation (EU)".
    if " (eu) " in f" {title.lower()} ":
        out |= {f"eu {a}" for a in out}
    # Codes in the title: "CP 815", "AI 100-1".
    out |= {c for c in _CODE.findall(normalise(title)) if not c.startswith(("no ", "eo "))}
    # Acronyms of the issuer: "NIST" for "National Institute of Standards and Technology", "HLEG" for
    # "High-Level Expert Group on Artificial Intelligence" (the name before its first 'on'/'for').
    for issuer in re.split(r"[;/(),+]", document.issuing_body or ""):
        for name in (issuer, re.split(r"\s(?:on|for)\s", issuer)[0]):
            capitals = [w[0] for w in re.split(r"[\s-]+", name) if w[:1].isupper()]
            if len(capitals) >= 3:
                out.add("".join(capitals).lower())
    return out


def _words_beside(words: list[str], name: list[str], reach: int) -> set[str]:
    """The words within `reach` of each place `name` occurs in `words`."""
    out: set[str] = set()
    for i in range(len(words) - len(name) + 1):
        if words[i : i + len(name)] == name:
            out.update(words[max(0, i - reach) : i])
            out.update(words[i + len(name) : i + len(name) + reach])
    return out


def _extra_words(title: str, name: str) -> set[str]:
    """The words of a title's head (before ' — ' or '(') beyond `name`, without function words:
    {"government", "response"} for "AI Opportunities Action Plan: Government Response" and its name
    "ai opportunities action plan"."""
    return set(normalise(_head(title)).split()) - set(name.split()) - _FUNCTION


def _head(title: str) -> str:
    """The title before any ' — ' or '(' ("AI Opportunities Action Plan: Government Response")."""
    return re.split(r"\s[—–]\s|\(", title, maxsplit=1)[0]


def _main_titles(title: str) -> list[str]:
    """The title's main parts: either side of ': ' of its head, and a long parenthesised name (the English
    title beside a Chinese one)."""
    head = _head(title)
    parts = [part.strip() for part in head.split(": ") if part.strip()]
    parts += [inner for inner in re.findall(r"\(([^()]{25,})\)", title) if "," not in inner]
    return parts


def _distinctive(phrase: str) -> bool:
    words = phrase.split()
    if not words or all(w in _WEAK for w in words):
        return False
    if len(words) == 1:
        word = words[0]
        return len(word) >= 6 or (len(word) >= 3 and not word.isalpha())
    return True
