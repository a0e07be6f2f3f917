"""Definition questions: the term a question asks the meaning of, and whether a sentence defines it.

"How does NIST's AI RMF define risk?" is answered by "risk refers to the composite measure ...", not by the
sentences around it that use the word; the evidence scorer raises the sentence that defines the asked term
(`answer.evidence.definition_boost`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..language.chinese import has_cjk

# "How does the AI RMF define risk?", "What does pseudonymisation mean under the GDPR?", "What is meant by an
# AI-native company?", "What is the definition of a provider?", "How is misinformation defined?", "How does the
# AI Playbook describe agentic AI?", "What is the "Talent Passport"?", "What is a deployer under the AI Act?"
_ASKS_DEFINITION = (
    re.compile(r"\bhow (?:does|do|did) .+? (?:define|describe|characteri[sz]e) (?P<term>.+)", re.IGNORECASE),
    re.compile(r"^\W*what (?:is|are) (?:an? |the )?(?P<term>[‘'\"“][^‘’'\"“”]{2,60}[’'\"”])", re.IGNORECASE),
    re.compile(r"^\W*what (?:is|are) an? (?P<term>[^?]+)", re.IGNORECASE),
    re.compile(r"\bwhat (?:does|do) (?:the (?:term|word|phrase) )?(?P<term>.+?) mean\b", re.IGNORECASE),
    re.compile(r"\bwhat is meant by (?P<term>.+)", re.IGNORECASE),
    re.compile(r"\bwhat is the definition of (?P<term>.+)", re.IGNORECASE),
    re.compile(r"\bhow (?:is|are) (?P<term>.+?) defined\b", re.IGNORECASE),
)
# Where the defined term ends: "misinformation, as opposed to disinformation", "risk in the framework".
_TERM_END = re.compile(
    r"\s*(?:[,;?(]|\b(?:as opposed to|under|in|for|according to|within|by)\b).*$", re.IGNORECASE | re.DOTALL
)
_ARTICLE = re.compile(r"^(?:an?|the)\s+", re.IGNORECASE)
_QUOTES = "‘’'\"“”"


# The same in Chinese: "如何定义“水印”", "“水印”是指什么", "水印的定义", "什么是水印".
_ASKS_DEFINITION_ZH = (
    re.compile(r"(?:如何|怎样|怎么)(?:界定|定义)(?P<term>[^，。？?！!]{1,30})"),
    re.compile(r"(?P<term>[^，。？?！!是]{1,30})(?:是指|指的是|的定义是|的含义是)"),
    re.compile(r"什么是(?P<term>[^，。？?！!]{1,30})"),
)
# The words a definition question asks with, not about.
_ASKING = frozenset(
    [
        "define",
        "defined",
        "definition",
        "describe",
        "described",
        "characterise",
        "characterize",
        "mean",
        "meaning",
        "meant",
    ]
)
_LATIN_IN_BRACKETS = re.compile(r"[（(]\s*([A-Za-z][A-Za-z \-]{1,40}?)\s*[）)]")
_ZH_QUOTED = re.compile(r"[“「‘\"]([^”」’\"]{1,20})[”」’\"]")


def defined_term(question: str) -> str | None:
    """The term a question asks the definition of ("risk" for "How does NIST's AI RMF define risk?"), or None.
    A Chinese question's term is the English one it gives in brackets ("“水印”（watermarking）"), else its
    quoted or bare Chinese term."""
    for pattern in _ASKS_DEFINITION_ZH:
        found = pattern.search(question)
        if found is None:
            continue
        term = found.group("term")
        latin = _LATIN_IN_BRACKETS.search(term)
        if latin is not None:
            return latin.group(1).strip()
        quoted = _ZH_QUOTED.search(term)
        term = quoted.group(1) if quoted else term
        return term.strip(_QUOTES + "（）() 的") or None
    found = _english_definition_question(question)
    return found[0] if found else None


def asking_words(question: str) -> str:
    """The words a definition question asks with ("define" in "How does NIST's AI RMF define risk?"): they
    are not what it asks about, and a sentence using them ("AI actors are defined by the OECD as ...") does
    not state the definition. Empty when the question asks for no definition."""
    found = _english_definition_question(question)
    if not found:
        return ""
    return " ".join(w for w in re.findall(r"\w+", found[1].lower()) if w in _ASKING)


def _english_definition_question(question: str) -> tuple[str, str] | None:
    """(the asked term, the words of the question that ask for it) of an English definition question."""
    for pattern in _ASKS_DEFINITION:
        found = pattern.search(question)
        if found is None:
            continue
        term = _ARTICLE.sub("", _TERM_END.sub("", found.group("term")).strip(_QUOTES + " ?"))
        term = term.strip(_QUOTES + " ")
        if term and len(term.split()) <= 5:
            asking = (
                question[found.start() : found.start("term")]
                + " "
                + question[found.end("term") : found.end()]
            )
            return term, asking
    return None


def defines(sentence: str, term: str) -> bool:
    """Whether the sentence defines `term`: "‘pseudonymisation’ means ...", "risk refers to ..." (or, out of a
    PDF, "riskrefers to"), "Misinformation: Incorrect or misleading ...", "the definition of a provider ..."."""
    return bool(_definition_of(term).search(sentence))


@lru_cache(maxsize=64)
def _definition_of(term: str) -> re.Pattern[str]:
    """The pattern of a sentence defining `term`, built once per term (the scorer tries every candidate)."""
    if has_cjk(term):
        return re.compile(rf"{re.escape(term)}[{_QUOTES}」]?\s*[，,：:]?\s*(?:是指|指的是|系指|是|指)")
    words = [re.escape(w) for w in term.split()]
    name = r"[\s\-]+".join(words) + r"(?:s|es)?"
    quoted = rf"[{_QUOTES}]?{name}[{_QUOTES}]?"
    verb = (
        r"(?:\s*\([^)]{0,60}\))?\s*(?:means|shall mean|refers to|refer to|is defined as|are defined as|"
        r"is understood as|denotes)"
    )
    # A glossary entry opens its line with the term ("Misinformation: Incorrect or ..."); inside a sentence a
    # dash or colon after the term is no definition ("a 'Talent Passport – Researcher' VLS").
    glossary = r"(?:\s*\([^)]{0,60}\))?\s*(?::|—|–)"
    return re.compile(
        rf"(?<![\w-]){quoted}{verb}|^\W*{quoted}{glossary}|\bdefinition of (?:an? |the )?{quoted}"
        rf"|\bdefin\w* {quoted} as\b|^\W*(?:an? |the )?{quoted} (?:is|are) (?:an?|the)\b",
        re.IGNORECASE,
    )
