"""Feedback from Slack as candidate evaluation cases, in the `evals/` JSON Lines schema."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .store import AnswerRecord, FeedbackRecord

_MARKERS = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def feedback_cases(records: Iterable[FeedbackRecord]) -> list[dict[str, Any]]:
    """One candidate case per rated answer, in the order the answers were first rated.

    A case states what the bot did: an answer becomes an answerable case whose reference is the answer
    (without its markers) and whose evidence is the cited quotes; an abstention becomes an unanswerable case.
    The votes say whether people agreed: every case is tagged `from-slack` and `feedback-up` (more 👍 than
    👎) or `feedback-down`; a rejected case is also tagged `needs-review`, because its reference, evidence or
    answerability is what a person must correct before it joins a dev set. An approved abstention is tagged
    `unanswerable`, and a case with history `follow-up`. Every case passes the harness's schema checks.
    """
    votes: dict[str, tuple[AnswerRecord, dict[str, str]]] = {}
    for record in records:
        votes.setdefault(record.answer.id, (record.answer, {}))[1][record.user_id] = record.rating
    cases = (_case(answer, ratings) for answer, ratings in votes.values())
    return [case for case in cases if case is not None]


def _case(record: AnswerRecord, ratings: dict[str, str]) -> dict[str, Any] | None:
    ups = sum(1 for r in ratings.values() if r == "up")
    approved = ups > len(ratings) - ups
    answer = record.answer
    tags = ["from-slack", "feedback-up" if approved else "feedback-down"]
    if not approved:
        tags.append("needs-review")
    if answer.abstained:
        answerable, reference, evidence = False, "", []
        if approved:
            tags.append("unanswerable")
    else:
        answerable, reference, evidence = True, _MARKERS.sub("", answer.text).strip(), _evidence(record)
        if not reference or not evidence:
            return None  # nothing checkable to offer
    history = [
        {"role": m.role, "content": m.content}
        for m in record.history
        if m.role in ("user", "assistant") and m.content.strip()
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
            if line and (citation.doc_id, line) not in seen:
                seen.add((citation.doc_id, line))
                items.append({"doc_id": citation.doc_id, "quote": line})
    return items
