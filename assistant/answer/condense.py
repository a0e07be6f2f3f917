"""Follow-up condensation: turn "And by 2030?" into a standalone question using the conversation.

With an LLM backend the model rewrites the question (`condense_question`); the rules below are the
fallback when it fails, and the method for backends without a model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal

from ..errors import BackendError
from ..language.terms import STOPWORDS, words
from ..models import ChatMessage
from .specifics import DOCUMENT_NOUNS

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
_FOLLOWING_UP = " (following up on: "

# Words that start a name's run only inside it ("Article 5 of the AI Act", "Council for Science").
_NAME_JOINERS = frozenset(["of", "for", "and", "on", "the", "de", "&"])
# Capitalised words that name no subject of their own: months, days, currencies, the field itself.
_NOT_NAMES = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "eur",
        "usd",
        "gbp",
        "cny",
        "rmb",
        "jpy",
        "chf",
        "ai",
        "ml",
        "it",
        "ict",
        "iot",
        "llm",
        "llms",
        "gpu",
        "gpus",
        "api",
        "apis",
        "q",
        "a",
        "i",
    ]
)
# Parts of a document: "Article 5" names a place in the subject, not a subject of its own.
_PART_WORDS = frozenset(
    [
        "article",
        "articles",
        "art",
        "section",
        "sections",
        "annex",
        "annexes",
        "chapter",
        "chapters",
        "recital",
        "recitals",
        "paragraph",
        "clause",
        "schedule",
        "appendix",
    ]
)
_TOKEN = re.compile(r"\([A-Z]{2,}\)|[^\W_]+(?:[-/.’'+&][^\W_]+)*\+?(?:['’]s\b)?|[^\w\s]")
_SENTENCE_END = frozenset(".?!:;")
_DETERMINERS = frozenset(["the", "this", "that", "its", "their"])
_PART_NUMBER = re.compile(r"^(?:\d+|[ivxlc]+|[a-z])$")
_IDENTIFIER = re.compile(r"^\d{1,4}/\d{1,4}$")


def user_questions(history: list[ChatMessage]) -> list[str]:
    return [m.content.strip() for m in history if m.role == "user" and m.content.strip()]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and w not in _ANAPHORA and not w.isdigit()]


def is_follow_up(question: str) -> bool:
    """A question that cannot stand alone: it opens with a connector, points back, names almost nothing,
    or names no subject of its own ("Which body oversees enforcement?")."""
    if _CONNECTOR.match(question):
        return True
    if any(t in _ANAPHORA for t in words(question)):
        return True
    return len(content_words(question)) <= 1 or not names_own_subject(question)


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def bare(self) -> str:
        return re.sub(r"['’]s$", "", self.text)

    @property
    def possessive(self) -> bool:
        return self.bare != self.text

    @property
    def capitalised(self) -> bool:
        return self.text[0].isupper() or self.text.startswith("(")

    @property
    def number(self) -> bool:
        return self.text[0].isdigit()

    @property
    def plain_word(self) -> bool:
        """A lower-case content word or number: what may follow a name in its noun phrase."""
        lower = self.bare.lower()
        if self.number:
            return True
        if not self.text[0].isalpha() or lower in STOPWORDS:
            return False
        return self.text[0].islower() or lower in _NOT_NAMES


def named_things(text: str) -> list[str]:
    """The named things in `text` (documents, identifiers, jurisdictions, organisations, acronyms), in
    order: "the UK white paper" -> "UK white paper", "Executive Order 14110", "GDPR", "Article 5"."""
    tokens = [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    names: list[str] = []
    i = 0
    while i < len(tokens):
        end = _name_end(tokens, i)
        if end is None:
            if _IDENTIFIER.match(tokens[i].text):
                names.append(tokens[i].text)
            i += 1
            continue
        run = tokens[i:end]
        last = end
        if any(t.possessive for t in run) or (i > 0 and tokens[i - 1].text.lower() in _DETERMINERS):
            last = _noun_phrase_end(tokens, end)
        words_ = [t.bare.lower() for t in run if not t.number and t.text[0].isalpha()]
        if words_ and not set(words_) <= _NOT_NAMES:
            name = text[tokens[i].start : tokens[last - 1].end]
            names.append(re.sub(r"['’]s$", "", name))
        i = end
    return names


def _name_end(tokens: list[_Token], i: int) -> int | None:
    """Where a run of capitalised words, numbers and joiners that starts at `i` ends (None: no run)."""
    first = tokens[i]
    starts_sentence = i == 0 or tokens[i - 1].text in _SENTENCE_END
    ordinal = re.match(r"^\d+(?:st|nd|rd|th)$", first.text)
    if not (first.capitalised or ordinal):
        return None
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    if ordinal and not (following and following.capitalised):
        return None
    if starts_sentence and first.text[1:].islower() and not first.possessive:
        # "Starting when?", "Which EU body...": a capital that only starts the sentence.
        if first.text.lower() in STOPWORDS or not (following and following.text[1:].islower()):
            return None
        if not following.capitalised:
            return None
    end = i + 1
    while end < len(tokens):
        token = tokens[end]
        if tokens[end - 1].possessive and not token.capitalised:
            break
        if token.capitalised or (token.number and not _only_numbers(tokens[i:end])):
            end += 1
            continue
        joiners = 0
        while end + joiners < len(tokens) and tokens[end + joiners].text.lower() in _NAME_JOINERS:
            joiners += 1
        if 0 < joiners <= 2 and end + joiners < len(tokens) and tokens[end + joiners].capitalised:
            end += joiners + 1
            continue
        break
    return end


def _only_numbers(run: list[_Token]) -> bool:
    return all(t.number for t in run)


def _noun_phrase_end(tokens: list[_Token], end: int) -> int:
    """Extend a name over the words of its noun phrase up to a document noun ("UK's 2023 white paper")."""
    last = end
    for j in range(end, min(end + 6, len(tokens))):
        token = tokens[j]
        if not token.plain_word:
            break
        if token.bare.lower() in DOCUMENT_NOUNS:
            last = j + 1
        if token.possessive:
            break
    return last


def subject_of(text: str) -> str | None:
    """The one named thing `text` is most about: the first that names a kind of document ("... Framework",
    "... white paper"), else the first with a number ("EO 14110"), else the first."""
    names = [n for n in named_things(text) if not _is_part(n)]
    if not names:
        return None
    return max(names, key=lambda n: (_has_document_noun(n), any(c.isdigit() for c in n)))


def _is_part(name: str) -> bool:
    head = words(name)
    return len(head) >= 2 and head[0] in _PART_WORDS and all(_PART_NUMBER.match(w) for w in head[1:])


def _has_document_noun(name: str) -> bool:
    return any(w in DOCUMENT_NOUNS for w in words(name))


def names_own_subject(question: str) -> bool:
    """Whether `question` names a subject of its own (a part of a document, "Article 5", does not)."""
    return subject_of(question) is not None


@dataclass(frozen=True)
class _Standalone:
    """A question condensed so far: its own words, the subject attached, or the question it continues."""

    core: str
    subject: str | None = None
    attached: bool = False
    continues: str | None = None
    answered: str | None = None  # the gist of the answer this question got
    answered_before: str | None = None  # the gist of the answer to the question this one continues

    def render(self) -> str:
        if self.continues is not None:
            return f"{self.core}{_FOLLOWING_UP}{self.continues})"
        if self.attached and self.subject:
            return f"{self.core} ({self.subject})"
        return self.core

    def as_context(self) -> str:
        """How a later follow-up quotes this question: its words, with the subject when not among them."""
        if self.subject and self.subject not in self.core:
            return f"{self.core.rstrip()}; {self.subject}"
        return self.core


def asked_part(standalone: str) -> str:
    """The question itself, without the earlier question that a follow-up condensed by rules carries
    ("Starting when? (following up on: What does the plan recommend ...?)" -> "Starting when?")."""
    return standalone.split(_FOLLOWING_UP, 1)[0]


def condense_by_rules(question: str, history: list[ChatMessage] | None, refusal: str | None = None) -> str:
    """The standalone form of `question`, built from earlier turns (each user turn condensed in turn);
    `refusal` is what the assistant says when it abstains (such an answer has no gist to follow up)."""
    state = _condense_turns(question, history, refusal)
    return question.strip() if state is None else state.render()


def follow_up_context(
    question: str, history: list[ChatMessage] | None, refusal: str | None = None
) -> str | None:
    """For an elliptical follow-up ("Starting when?", "How often?"), the gist of the answer it follows
    ("Expanding its capacity by at least 20x by 2030."): words to search with, not part of the question (its
    figures and years are not asked about)."""
    return _context_of(_condense_turns(question, history, refusal))


def _context_of(state: _Standalone | None) -> str | None:
    return state.answered_before if state is not None and state.continues is not None else None


def _condense_turns(
    question: str, history: list[ChatMessage] | None, refusal: str | None = None
) -> _Standalone | None:
    """`question` condensed with the earlier turns (None: there are none)."""
    history = history or []
    turns = _turns(history)
    if not turns:
        return None
    first, first_answer = turns[0]
    gist = partial(_gist, refusal=refusal)
    state = _Standalone(first, subject_of(first) or _answer_subject(history), answered=gist(first_answer))
    for earlier, answer in turns[1:]:
        state = replace(_condense_pair(earlier, state), answered=gist(answer))
    return _condense_pair(question.strip(), state)


def _turns(history: list[ChatMessage]) -> list[tuple[str, str | None]]:
    """Each user question with the answer that followed it (None: not answered yet)."""
    turns: list[tuple[str, str | None]] = []
    for message in history:
        content = message.content.strip()
        if not content:
            continue
        if message.role == "user":
            turns.append((content, None))
        elif message.role == "assistant" and turns and turns[-1][1] is None:
            turns[-1] = (turns[-1][0], content)
    return turns


_MARKER = re.compile(r"\s*\[\d+\]")
_GIST_WORDS = 30


# How the default abstention message and an LLM's refusal open: such an answer states nothing to follow up.
_REFUSALS = ("The indexed documents do not", "I could not")


def _gist(answer: str | None, refusal: str | None = None) -> str | None:
    """The answer's first sentence without its citation markers, up to thirty words: what an elliptical
    follow-up ("Starting when?", "How often?") continues from, beside the question it follows. None for a
    refusal: the default ones, or `refusal` (the configured abstention message)."""
    if not answer:
        return None
    text = " ".join(_MARKER.sub("", answer).split())
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text, maxsplit=1)[0]
    tokens = first.split()
    refusals = _REFUSALS + ((" ".join(refusal.split()),) if refusal and refusal.strip() else ())
    if not content_words(first) or text.startswith(refusals):
        return None
    return " ".join(tokens[:_GIST_WORDS])


def _answer_subject(history: list[ChatMessage]) -> str | None:
    """What the assistant's answers were about, when the user's questions name nothing."""
    for message in reversed(history):
        if message.role == "assistant" and (subject := subject_of(message.content)):
            return subject
    return None


def _condense_pair(question: str, previous: _Standalone) -> _Standalone:
    own_subject = subject_of(question)
    connector = _CONNECTOR.match(question) is not None
    anaphoric = any(t in _ANAPHORA for t in words(question))
    own_words = content_words(question)
    if own_subject is not None and not connector and not anaphoric:
        return _Standalone(question, own_subject)  # it names its own subject: standalone
    subject = own_subject or previous.subject
    rest = _CONNECTOR.sub("", question).strip()
    new_years = [m.group() for m in _YEAR.finditer(rest)]
    old_years = [m.group() for m in _YEAR.finditer(previous.core)]
    rest_words = [w for w in content_words(rest) if w not in {"by", "for", "in"}]
    if new_years and old_years and len(rest_words) <= 1:
        # "And by 2030?" after "... target for 2027?" -> the same question about 2030.
        return replace(previous, core=previous.core.replace(old_years[-1], new_years[0]))
    if own_subject is not None and connector:
        swapped = _swap_subject(rest, own_subject, previous)
        if swapped is not None:
            # "What about the GDPR?" after "... fines under the EU AI Act?" -> the same question about it.
            return _Standalone(swapped, own_subject)
    if own_subject is not None and previous.subject and previous.subject not in question:
        # "How does it compare with the GDPR?": its own words, and what "it" was about.
        return _Standalone(question, previous.subject, attached=True)
    if subject is not None and not connector and len(own_words) >= 2:
        # It has words of its own but names nothing: those words, about the conversation's subject.
        if own_subject is not None or subject.lower() in question.lower():
            return _Standalone(question, subject)
        return _Standalone(question, subject, attached=True)
    # Elliptical ("And the lower tier?", "Can that be extended?"): the predicate is in the question before, and
    # what it asks about is often in that question's answer ("Starting when?" after "... 20x by 2030").
    return _Standalone(question, subject, continues=previous.as_context(), answered_before=previous.answered)


def _swap_subject(rest: str, subject: str, previous: _Standalone) -> str | None:
    """The previous question about `subject` instead, when `rest` is nothing but that name."""
    if previous.subject is None or previous.subject not in previous.core:
        return None
    if set(content_words(rest)) - set(words(subject)):
        return None
    return previous.core.replace(previous.subject, subject)


@dataclass
class Condensed:
    """A standalone question and how it was obtained (`error`: why the LLM was not used)."""

    question: str
    method: Literal["none", "rules", "llm"]
    error: BackendError | None = None
    context: str | None = None  # searched with the question, never asked (`follow_up_context`)

    @property
    def search_text(self) -> str:
        """What retrieval searches with: the question, and the context of the answer it follows up."""
        return f"{self.question} {self.context}" if self.context else self.question


def condense_question(
    question: str,
    history: list[ChatMessage] | None,
    llm: Condenser | None = None,
    refusal: str | None = None,
) -> Condensed:
    """The standalone form of `question`: by the LLM when one is given and the conversation has earlier
    questions, by rules when there is no LLM or it fails; unchanged when there is no earlier question.
    `refusal` is the configured abstention message (an answer that is one has no gist to follow up)."""
    question = question.strip()
    if not user_questions(history or []):
        return Condensed(question, "none")
    if llm is not None:
        try:
            return Condensed(llm(question, history or []), "llm")
        except BackendError as exc:
            log.warning("LLM condensation failed (%s); condensing by rules", exc)
            return _by_rules(question, history, refusal, exc)
    return _by_rules(question, history, refusal)


def _by_rules(
    question: str,
    history: list[ChatMessage] | None,
    refusal: str | None = None,
    error: BackendError | None = None,
) -> Condensed:
    """Condensed by rules once: the standalone question and the follow-up's context from the same state."""
    state = _condense_turns(question, history, refusal)
    standalone = question.strip() if state is None else state.render()
    return Condensed(standalone, "rules", error, _context_of(state))
