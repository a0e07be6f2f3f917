"""Feedback from Slack as candidate evaluation cases, in the `evals/` JSON Lines schema."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .store import AnswerRecord, FeedbackRecord

_MARKERS = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def feedback_cases(records: Iterable[FeedbackRecord]) -> list[dict[str, Any]]:
    """One candidate case per rated answer, in the order the answers were first rated.

    The votes on an answer decide what the case claims. Approved answers become complete cases: the answer
    (without its markers) is the reference and the cited quotes are the evidence; an approved abstention is
    an unanswerable case. Rejected answers become cases that are answerable by assumption, with no reference
    or evidence, tagged `needs-review` for a person to complete. Every case is tagged `from-slack` and
    `feedback-up` or `feedback-down`, and a case with history is tagged `follow-up`.
    """
    votes: dict[str, tuple[AnswerRecord, dict[str, str]]] = {}
    for record in records:
        votes.setdefault(record.answer.id, (record.answer, {}))[1][record.user_id] = record.rating
    return [_case(answer, ratings) for answer, ratings in votes.values()]


def _case(record: AnswerRecord, ratings: dict[str, str]) -> dict[str, Any]:
    ups = sum(1 for r in ratings.values() if r == "up")
    downs = len(ratings) - ups
    approved = ups > downs
    answer = record.answer
    tags = ["from-slack", "feedback-up" if approved else "feedback-down"]
    if approved and not answer.abstained:
        answerable = True
        reference = _MARKERS.sub("", answer.text).strip()
        evidence = _evidence(record)
    elif approved:
        answerable, reference, evidence = False, "", []
        tags.append("unanswerable")
    else:
        answerable, reference, evidence = True, "", []
        tags.append("needs-review")
    history = [
        {"role": m.role, "content": m.content} for m in record.history if m.role in ("user", "assistant")
    ]
    if history:
        tags.append("follow-up")
    return {
        "id": f"slack-{record.id[:12]}",
        "question": record.question,
        "answerable": answerable,
        "reference_answer": reference,
        "evidence": evidence,
        "tags": tags,
        "history": history,
    }


def _evidence(record: AnswerRecord) -> list[dict[str, str]]:
    """The cited quotes as (document id, quote) pairs; a quote that spans lines gives one item per line."""
    items: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for citation in record.answer.citations:
        for line in citation.quote.splitlines():
            line = line.strip()
            if len(line) >= 3 and (citation.doc_id, line) not in seen:
                seen.add((citation.doc_id, line))
                items.append({"doc_id": citation.doc_id, "quote": line})
    return items
