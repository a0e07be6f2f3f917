"""A document's lifecycle from its front matter (the fields documented in corpus/README.md) and its text.

Front matter wins where it speaks: `status`, `identifiers`, relation fields (`revokes`, `revoked_by`, `amends`,
`amended_by`, `supersedes`, `superseded_by`, `implements`, `refers_to`) and date fields (`signed`, `published`,
`entry_into_force`, `applies_from`, `revoked_on`, `expires`). Free-text fields are read too: a `date` such as
"2023-07-10 (published 2023-07-13; effective 2023-08-15)" or a `note` such as "Revoked 2025-01-20 by EO 14148".
"""

from __future__ import annotations

import datetime as dt
import re

from ..models import Document
from . import identifiers as ids
from .detect import detect, evidence_span
from .model import RELATIONS, STATUSES, DocumentLifecycle, Evidence, LifecycleDate, Relation

# Bump whenever the same document would give a different lifecycle: stored ones are then read again.
DETECTOR_VERSION = "1"

DATE_FIELDS = {
    "signed": "signed",
    "published": "published",
    "entry_into_force": "entry_into_force",
    "in_force_from": "entry_into_force",
    "effective": "entry_into_force",
    "applies_from": "applies_from",
    "revoked_on": "revoked_on",
    "expires": "expires",
    "in_force_until": "expires",
}
_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_FREE_DATES = re.compile(
    r"\b(?P<word>published|effective|in force from|entered into force|applies from|applicable from|signed)"
    r"\s+(?:on\s+)?(?P<date>\d{4}-\d{2}-\d{2})",
    re.IGNORECASE,
)
_OJ_DATE = re.compile(r"\bOJ\s+L\s+[\d/]+,\s*(\d{1,2})\.(\d{1,2})\.(\d{4})")
_FREE_WORD_KIND = {
    "published": "published",
    "effective": "entry_into_force",
    "in force from": "entry_into_force",
    "entered into force": "entry_into_force",
    "applies from": "applies_from",
    "applicable from": "applies_from",
    "signed": "signed",
}
_NOTE_RELATION = re.compile(
    r"\b(?P<verb>revoked|repealed|rescinded|superseded|replaced|amended)\s+(?:on\s+)?"
    r"(?:(?P<date>\d{4}-\d{2}-\d{2})\s+)?by\s+",
    re.IGNORECASE,
)
_NOTE_KIND = {
    "revoked": "revoked_by",
    "repealed": "revoked_by",
    "rescinded": "revoked_by",
    "superseded": "superseded_by",
    "replaced": "superseded_by",
    "amended": "amended_by",
}
_RELATIVE_ENTRY = re.compile(
    r"shall enter into force on the twentieth day following that of its publication in the Official Journal"
)


def document_lifecycle(document: Document) -> DocumentLifecycle:
    """Everything the front matter and the text say about the document's identifiers, status, dates, relations."""
    meta = document.metadata
    extra = {k.lower(): v for k, v in meta.extra.items() if v}
    given = [extra[k] for k in ("identifiers", "identifier") if k in extra]
    own = ids.own_identifiers(meta.title, document.text[:3000], given)
    keys = [i.key for i in own]
    relations, dates = detect(document.text, keys)
    fm_relations, fm_dates = _front_matter(extra, meta.date)
    dates = _dedupe_dates([*fm_dates, *dates])
    relations = [*fm_relations, *relations]
    published = next((d.date for d in dates if d.kind == "published"), None)
    relative = _RELATIVE_ENTRY.search(document.text)
    if relative and published and not any(d.kind == "entry_into_force" and d.scope is None for d in dates):
        day = dt.date.fromisoformat(published) + dt.timedelta(days=20)
        evidence = evidence_span(document.text, relative.start(), relative.end())
        dates.append(LifecycleDate(kind="entry_into_force", date=day.isoformat(), evidence=evidence))
    status = extra.get("status", "").strip().lower().replace(" ", "_").replace("-", "_")
    return DocumentLifecycle(
        doc_id=document.id,
        identifiers=[i.display for i in own],
        keys=keys,
        declared_status=status if status in STATUSES else None,  # type: ignore[arg-type]
        dates=dates,
        relations=relations,
    )


def _front_matter(extra: dict[str, str], date: str | None) -> tuple[list[Relation], list[LifecycleDate]]:
    relations: list[Relation] = []
    dates: list[LifecycleDate] = []
    for field in RELATIONS:
        value = extra.get(field)
        if value:
            evidence = Evidence(quote=f"{field}: {value}", origin="front_matter", field=field)
            for ident in ids.of_value(value):
                relations.append(
                    Relation(relation=field, target=ident.display, target_key=ident.key, evidence=evidence)  # type: ignore[arg-type]
                )
    for field, kind in DATE_FIELDS.items():
        match = _ISO.search(extra.get(field, ""))
        if match:
            evidence = Evidence(quote=f"{field}: {extra[field]}", origin="front_matter", field=field)
            dates.append(LifecycleDate(kind=kind, date=match.group(1), evidence=evidence))  # type: ignore[arg-type]
    for field, value in (("date", date or ""), ("note", extra.get("note", ""))):
        evidence = Evidence(quote=f"{field}: {value}", origin="front_matter", field=field)
        for match in _FREE_DATES.finditer(value):
            kind = _FREE_WORD_KIND[match.group("word").lower()]
            dates.append(LifecycleDate(kind=kind, date=match.group("date"), evidence=evidence))  # type: ignore[arg-type]
        oj = _OJ_DATE.search(value)
        if oj:
            day, month, year = (int(g) for g in oj.groups())
            iso = f"{year:04d}-{month:02d}-{day:02d}"
            dates.append(LifecycleDate(kind="published", date=iso, evidence=evidence))
        for match in _NOTE_RELATION.finditer(value):
            found, _end = ids.parse_list(value, match.end())
            kind = _NOTE_KIND[match.group("verb").lower()]
            for ident, _s, _e in found:
                relations.append(
                    Relation(
                        relation=kind,  # type: ignore[arg-type]
                        target=ident.display,
                        target_key=ident.key,
                        date=match.group("date"),
                        evidence=evidence,
                    )
                )
            if match.group("date") and kind == "revoked_by":
                dates.append(LifecycleDate(kind="revoked_on", date=match.group("date"), evidence=evidence))
    return relations, dates


def _dedupe_dates(dates: list[LifecycleDate]) -> list[LifecycleDate]:
    """One date per (kind, scope, day): front matter first, then the text's first statement of it."""
    out: dict[tuple[str, str | None, str], LifecycleDate] = {}
    for item in dates:
        out.setdefault((item.kind, item.scope, item.date), item)
    return list(out.values())
