"""Questions about a document's status ("Is EO 14110 still in effect?", "Which documents revoked or replaced
EO 14110?"), answered from the relations with citations of the passages that state them.

Only an out-of-force status is answered this way: that nothing revokes a document is no evidence that it is in
force, so those questions go through the ordinary answerer.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from ..models import Citation
from . import identifiers as ids
from .model import OUT_OF_FORCE, Notice
from .notices import cite, name_as_quoted, supported_details
from .registry import LifecycleView

if TYPE_CHECKING:
    from ..index.catalog import Catalog

# "Is EO 14110 still in effect?", "Was Directive 95/46/EC repealed?", "Which documents revoked or replaced
# EO 14110?", "What is the status of EO 14110?" (not "What does EO 14110 require?").
_ASKS_STATUS = re.compile(
    r"^\W*(?:is|are|was|were|has|have|does|do)\b.*\b(?:still\s+\w+|in\s+(?:force|effect)|valid|revoked|rescinded"
    r"|repealed|superseded|replaced|applicable|current)\b"
    r"|^\W*(?:which|what|who)(?:\s+\w+){0,2}\s+(?:replac|revok|supersed|repeal|rescind)\w*"
    r"|\bstatus\s+of\b",
    re.IGNORECASE,
)
_VERB = {"revoked": "was revoked", "superseded": "was superseded", "expired": "expired"}


def named_documents(question: str, view: LifecycleView) -> list[str]:
    """Indexed documents the question names by an identifier ("EO 14110", "Directive 95/46/EC", "GDPR")."""
    found = [view.resolve(i.key) for i in ids.find_all(question)]
    lowered = question.lower()
    for doc_id, lifecycle in view.lifecycles.items():
        for key in lifecycle.keys:
            name = key.removeprefix("name:")
            if key.startswith("name:") and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", lowered):
                found.append(doc_id)
    return [d for d in dict.fromkeys(found) if d]


def status_answer(
    question: str, view: LifecycleView, catalog: Catalog, on: dt.date | None = None
) -> tuple[str, list[Citation], list[Notice]] | None:
    """The answer to a status question about a named document that is out of force, or None."""
    if not _ASKS_STATUS.search(question):
        return None
    sentences: list[str] = []
    citations: list[Citation] = []
    notices: list[Notice] = []
    for doc_id in named_documents(question, view)[:2]:
        finding = view.status(doc_id, on)
        if finding.status not in OUT_OF_FORCE:
            continue
        name = view.name(doc_id)
        when = f" ({finding.since})" if finding.since else ""
        by = next((e.other for e in finding.evidence if e.relation in ("revoked_by", "superseded_by")), None)
        marks = []
        for link in finding.evidence[:3]:
            number = cite([(link.stated_in, link.evidence)], citations, catalog)
            if number is not None and number not in marks:
                marks.append(number)
        # One sentence that says only what its citations state (see notices.py).
        quotes = " ".join(c.quote for c in citations if c.n in marks)
        details = supported_details([f" by {by}" if by else "", when], quotes)
        text = f"No. {name_as_quoted(name, quotes)} {_VERB[finding.status]}{details}"
        text += "".join(f" [{n}]" for n in marks) + "."
        sentences.append(text)
        kind = finding.status
        notices.append(Notice(doc_id=doc_id, kind=kind, text=text, citation=marks[0] if marks else None))  # type: ignore[arg-type]
    if not sentences or not citations:
        return None
    return " ".join(sentences), citations, notices
