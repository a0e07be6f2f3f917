"""Follow-up condensation by rules: turn "And by 2030?" into a standalone question using the conversation."""

from __future__ import annotations

import re

from ..models import ChatMessage
from ..text import STOPWORDS, words

_CONNECTOR = re.compile(
    r"^\s*(?:and|but|also|so|then|ok(?:ay)?|what about|how about|and what about|what of|and how about|"
    r"same (?:question )?for|and for|and in|and by)\b[\s,]*",
    re.IGNORECASE,
)
_ANAPHORA = frozenset(
    [
        "it",
        "its",
        "it's",
        "that",
        "this",
        "these",
        "those",
        "they",
        "them",
        "their",
        "theirs",
        "there",
        "such",
        "he",
        "she",
        "his",
        "her",
        "former",
        "latter",
    ]
)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_FOLLOW_UP_TAIL = " (following up on: {previous})"


def user_questions(history: list[ChatMessage]) -> list[str]:
    return [m.content.strip() for m in history if m.role == "user" and m.content.strip()]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and w not in _ANAPHORA and not w.isdigit()]


def is_follow_up(question: str) -> bool:
    """A question that cannot stand alone: it opens with a connector, points back, or names almost nothing."""
    if _CONNECTOR.match(question):
        return True
    tokens = words(question)
    if any(t in _ANAPHORA for t in tokens):
        return True
    return len(content_words(question)) <= 1


def condense_by_rules(question: str, history: list[ChatMessage] | None) -> str:
    """The standalone form of `question`, built from earlier user turns (each condensed in turn)."""
    previous_questions = user_questions(history or [])
    if not previous_questions:
        return question.strip()
    standalone = previous_questions[0]
    for earlier in previous_questions[1:]:
        standalone = _condense_pair(earlier, standalone)
    return _condense_pair(question.strip(), standalone)


def _condense_pair(question: str, previous: str) -> str:
    if not is_follow_up(question):
        return question
    rest = _CONNECTOR.sub("", question).strip()
    new_years = [m.group() for m in _YEAR.finditer(rest)]
    old_years = [m.group() for m in _YEAR.finditer(previous)]
    rest_words = [w for w in content_words(rest) if w not in {"by", "for", "in"}]
    if new_years and old_years and len(rest_words) <= 1:
        # "And by 2030?" after "... target for 2027?" -> the same question about 2030.
        return previous.replace(old_years[-1], new_years[0])
    previous_core = previous.split(_FOLLOW_UP_TAIL.split("{")[0])[0].strip()
    return question + _FOLLOW_UP_TAIL.format(previous=previous_core)
