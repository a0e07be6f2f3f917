"""Feedback (from Slack and the web page) as candidate evaluation cases, in the `evals/` JSON Lines schema."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .store import SLACK_ORIGINS, AnswerRecord, FeedbackRecord

_MARKERS = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def source_of(record: AnswerRecord) -> str:
    """The front end that gave an answer: `slack` or `web`."""
    return "slack" if record.origin in SLACK_ORIGINS else record.origin


def case_id(record: AnswerRecord) -> str:
    """The id of the candidate case made from an answer (`slack-…` or `web-…`)."""
    return f"{source_of(record)}-{record.id[:12]}"


def feedback_cases(records: Iterable[FeedbackRecord]) -> list[dict[str, Any]]:
    """One candidate case per rated answer, in the order the answers were first rated.

    A case states what the assistant did: an answer becomes an answerable case whose reference is the answer
    (without its markers) and whose evidence is the cited quotes; an abstention becomes an unanswerable case.
    The votes say whether people agreed: every case is tagged with where it was rated (`from-slack` or
    `from-web`) and `feedback-up` (more 👍 than 👎) or `feedback-down`; a rejected case is also tagged
    `needs-review`, because its reference, evidence or answerability is what a person must correct before it
    joins a dev set. An approved abstention is tagged `unanswerable`, and a case with history `follow-up`.
    Every case passes the harness's schema checks (comments are not part of it: see `feedback_comments`).
    """
    votes: dict[str, tuple[AnswerRecord, dict[str, str]]] = {}
    for record in records:
        votes.setdefault(record.answer.id, (record.answer, {}))[1][record.user_id] = record.rating
    cases = (_case(answer, ratings) for answer, ratings in votes.values())
    return [case for case in cases if case is not None]


def feedback_comments(records: Iterable[FeedbackRecord]) -> list[dict[str, Any]]:
    """The comments given with ratings, keyed by the id of the candidate case they are about, for review."""
    return [
        {
            "case_id": case_id(record.answer),
            "question": record.answer.question,
            "rating": record.rating,
            "comment": record.comment,
            "updated_at": record.updated_at,
        }
        for record in records
        if record.comment
    ]


def _case(record: AnswerRecord, ratings: dict[str, str]) -> dict[str, Any] | None:
    ups = sum(1 for r in ratings.values() if r == "up")
    approved = ups > len(ratings) - ups
    answer = record.answer
    tags = [f"from-{source_of(record)}", "feedback-up" if approved else "feedback-down"]
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
        "id": case_id(record),
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
