"""Status notices on answers: a cited document that is revoked, superseded or expired (or, on the day the
question is asked about, not yet applicable) gets one sentence appended to the answer, with its own citation
of the passage that states it ("Note: Executive Order 14110 was revoked [3].").

The cited passage is the catalog chunk that holds the evidence; when the evidence is front matter only, the
notice names the field instead of citing a passage.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from ..language.terms import numbers
from ..models import Answer, Citation
from .model import OUT_OF_FORCE, Evidence, Notice
from .registry import LifecycleView

if TYPE_CHECKING:
    from ..index.catalog import Catalog

_VERB = {"revoked": "was revoked", "superseded": "was superseded", "expired": "expired"}


def add_notices(answer: Answer, view: LifecycleView, catalog: Catalog, on: dt.date | None = None) -> Answer:
    """The answer with a notice for each cited document out of force on `on` (today when None), or not yet
    applicable on `on` when a day is asked about."""
    if answer.abstained or not answer.citations:
        return answer
    citations = list(answer.citations)
    notices: list[Notice] = []
    for doc_id in dict.fromkeys(c.doc_id for c in answer.citations):
        finding = view.status(doc_id, on)
        name = view.name(doc_id)
        if finding.status in OUT_OF_FORCE:
            by = next(
                (link.other for link in finding.evidence if link.relation in ("revoked_by", "superseded_by")),
                None,
            )
            evidence = [(link.stated_in, link.evidence) for link in finding.evidence]
            kind = finding.status
            head = f"Note: {name} {_VERB[finding.status]}"
            details = [f" by {by}" if by else "", f" ({finding.since})" if finding.since else ""]
        elif on is not None and (pending := view.not_yet_applicable(doc_id, on)) is not None:
            evidence = [(doc_id, pending.evidence)]
            kind = "not_yet_applicable"
            head = f"Note: {name} applies only from {pending.date}, after {on.isoformat()}"
            details = []
        else:
            continue
        number = cite(evidence, citations, catalog)
        if number is not None:
            # The notice says only what its cited passage states: "by EO 14148" or a date known from
            # front matter alone would be a claim the citation does not support.
            quote = next(c.quote for c in citations if c.n == number)
            head = head.replace(f"Note: {name} ", f"Note: {name_as_quoted(name, quote)} ", 1)
            text = head + supported_details(details, quote) + f" [{number}]."
        else:
            fields = [e.field for _d, e in evidence if e.field]
            text = head + "".join(details) + (f" (front matter: {fields[0]})." if fields else ".")
        notices.append(Notice(doc_id=doc_id, kind=kind, text=text, citation=number))  # type: ignore[arg-type]
    if not notices:
        return answer
    body = answer.text.rstrip() + "\n\n" + "\n".join(n.text for n in notices)
    return answer.model_copy(update={"text": body, "citations": citations, "notices": notices})


def name_as_quoted(name: str, quote: str) -> str:
    """The document's name as the quote writes it ("Executive Order 14110" for "EO 14110"), so that the notice
    reads as what its citation says; the name itself when the quote has no such form."""
    number = re.search(r"\d[\d/.-]*\d|\d", name)
    if number is None:
        return name
    found = re.search(rf"(?:[A-Z][\w.]*\s+){{1,3}}(?:No\.\s*)?{re.escape(number.group())}(?![\d/])", quote)
    return found.group() if found else name


def supported_details(details: list[str], quote: str) -> str:
    """The details ("by EO 14148", "(2025-01-20)") whose figures the quote states: one known from front matter
    alone would be a claim the citation does not support."""
    return "".join(d for d in details if d and numbers(d) <= numbers(quote))


def cite(evidence: list[tuple[str, Evidence]], citations: list[Citation], catalog: Catalog) -> int | None:
    """The number of a citation of the first evidence held in a passage (added to `citations` if new)."""
    for doc_id, item in evidence:
        if item.origin != "text" or item.start is None or item.end is None:
            continue
        row = _chunk_at(catalog, doc_id, item.start, item.end)
        if row is None:
            continue
        start, end = max(item.start, row.start), min(item.end, row.end)
        quote = row.text[start - row.start : end - row.start]
        for citation in citations:
            if citation.passage_id == row.id and citation.start <= start and end <= citation.end:
                return citation.n
        number = max((c.n for c in citations), default=0) + 1
        citations.append(
            Citation(
                n=number,
                passage_id=row.id,
                doc_id=doc_id,
                title=row.title,
                heading_path=" > ".join(row.heading),
                page=row.page,
                quote=quote,
                start=start,
                end=end,
                score=1.0,
            )
        )
        return number
    return None


def _chunk_at(catalog: Catalog, doc_id: str, start: int, end: int):  # type: ignore[no-untyped-def]
    """The committed chunk of `doc_id` that holds document offset `start`, else the first that overlaps
    [start, end)."""
    rows = sorted(catalog.chunk_rows(catalog.chunk_ids_of(doc_id)), key=lambda r: r.ordinal)
    holder = next((r for r in rows if r.start <= start < r.end), None)
    return holder or next((r for r in rows if r.start < end and start < r.end), None)
