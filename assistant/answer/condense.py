"""Follow-up condensation: turn "And by 2030?" into a standalone question using the conversation.

With an LLM backend the model rewrites the question (`condense_question`); the rules below are the
fallback when it fails, and the method for backends without a model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..errors import BackendError
from ..models import ChatMessage
from ..text import STOPWORDS, words

log = logging.getLogger(__name__)

# Writes the standalone form of (question, history); raises BackendError when it cannot.
Condenser = Callable[[str, list[ChatMessage]], str]

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


@dataclass
class Condensed:
    """A standalone question and how it was obtained (`error`: why the LLM was not used)."""

    question: str
    method: Literal["none", "rules", "llm"]
    error: BackendError | None = None


def condense_question(
    question: str, history: list[ChatMessage] | None, llm: Condenser | None = None
) -> Condensed:
    """The standalone form of `question`: by the LLM when one is given and the conversation has earlier
    questions, by rules when there is no LLM or it fails; unchanged when there is no earlier question."""
    question = question.strip()
    if not user_questions(history or []):
        return Condensed(question, "none")
    if llm is not None:
        try:
            return Condensed(llm(question, history or []), "llm")
        except BackendError as exc:
            log.warning("LLM condensation failed (%s); condensing by rules", exc)
            return Condensed(condense_by_rules(question, history), "rules", exc)
    return Condensed(condense_by_rules(question, history), "rules")
