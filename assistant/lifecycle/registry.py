"""Lifecycles linked across the catalog: which indexed document an identifier names, each document's incoming
and outgoing relations, its status on a given day, and the documents in force on that day.

A document is out of force on a day when something says so and dates it on or before that day: its front
matter (`status`, `revoked_by`, `revoked_on`, `expires`), another document that revokes or supersedes it, or
any document that reports it revoked ("the revoked Executive Order 14110") — undated reports count from the
reporting document's own date, the latest the revocation can have happened.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..models import DocumentMetadata, date_key
from . import store
from .model import INVERSE, OUT_OF_FORCE, DocumentLifecycle, LifecycleDate, LinkedRelation, Relation

if TYPE_CHECKING:
    from ..index.catalog import Catalog

_LEGAL_KEYS = ("eo:", "regulation:", "directive:", "decision:", "cn:")
_ENDING = {"revoked_by": "revoked", "superseded_by": "superseded"}


@dataclass
class StatusFinding:
    """A document's status on a day, and what says so (strongest evidence first)."""

    status: str
    since: str | None = None
    evidence: list[LinkedRelation] = field(default_factory=list)
    dates: list[LifecycleDate] = field(default_factory=list)


class LifecycleView:
    """One consistent reading of every document's lifecycle."""

    def __init__(
        self, lifecycles: dict[str, DocumentLifecycle], metadata: dict[str, DocumentMetadata]
    ) -> None:
        self.lifecycles = lifecycles
        self.metadata = metadata
        self.by_key: dict[str, str] = {}
        for doc_id in sorted(lifecycles):
            for key in lifecycles[doc_id].keys:
                self.by_key.setdefault(key, doc_id)
        self.incoming: dict[str, list[tuple[str, Relation]]] = {}
        for doc_id in sorted(lifecycles):
            for r in lifecycles[doc_id].relations:
                target = self.by_key.get(r.target_key)
                if target is not None and target != doc_id:
                    self.incoming.setdefault(target, []).append((doc_id, r))

    def resolve(self, key: str) -> str | None:
        return self.by_key.get(key)

    def name(self, doc_id: str) -> str:
        """How a notice names a document: its first identifier, else its title."""
        lifecycle = self.lifecycles.get(doc_id)
        if lifecycle and lifecycle.identifiers:
            return lifecycle.identifiers[0]
        meta = self.metadata.get(doc_id)
        return meta.title if meta else doc_id

    def identifiers(self, doc_id: str) -> list[str]:
        lifecycle = self.lifecycles.get(doc_id)
        return list(lifecycle.identifiers) if lifecycle else []

    def relations(self, doc_id: str) -> list[LinkedRelation]:
        """Outgoing relations (stated by the document) then incoming ones (stated by others about it)."""
        out: list[LinkedRelation] = []
        own = self.lifecycles.get(doc_id)
        for r in own.relations if own else []:
            out.append(
                LinkedRelation(
                    direction="outgoing",
                    relation=r.relation,
                    other=r.target,
                    other_doc_id=self.resolve(r.target_key),
                    stated_in=doc_id,
                    target_status=r.target_status,
                    date=r.date,
                    evidence=r.evidence,
                )
            )
        for other_id, r in self.incoming.get(doc_id, []):
            out.append(
                LinkedRelation(
                    direction="incoming",
                    relation=INVERSE.get(r.relation, r.relation),
                    other=self.name(other_id),
                    other_doc_id=other_id,
                    stated_in=other_id,
                    target_status=r.target_status,
                    date=r.date,
                    evidence=r.evidence,
                )
            )
        return out

    def status(self, doc_id: str, on: dt.date | None = None) -> StatusFinding:
        """The document's status on `on` (today when None)."""
        day = _key(on or dt.date.today())
        own = self.lifecycles.get(doc_id) or DocumentLifecycle(doc_id=doc_id)
        dates = {d.kind: d for d in own.dates if d.scope is None}
        ending: list[tuple[str, str | None, LinkedRelation]] = []
        for link in self.relations(doc_id):
            status = _ENDING.get(link.relation) if link.target_status is None else None
            reported = link.relation in ("refers_to", "referred_to_by") and link.target_status in OUT_OF_FORCE
            if reported and (link.direction == "incoming" or link.other_doc_id == doc_id):
                status = link.target_status
            if status is None:
                continue
            when = link.date or (dates["revoked_on"].date if "revoked_on" in dates else None)
            when = when or self._date_of(link.stated_in)
            ending.append((status, when, link))
        expires = dates.get("expires")
        if own.declared_status in OUT_OF_FORCE:
            when = expires or dates.get("revoked_on")
            return StatusFinding(
                own.declared_status, when.date if when else None, _ordered(ending, doc_id, self._dates())
            )
        effective = [e for e in ending if e[1] is None or _key_of(e[1]) <= day]
        if effective:
            since = min((e[1] for e in effective if e[1]), default=None)
            return StatusFinding(effective[0][0], since, _ordered(effective, doc_id, self._dates()))
        if expires and _key_of(expires.date) <= day:
            return StatusFinding("expired", expires.date, dates=[expires])
        if own.declared_status:
            return StatusFinding(own.declared_status)
        start = self.start(doc_id)
        legal = any(k.startswith(_LEGAL_KEYS) for k in own.keys) or "entry_into_force" in dates
        if legal and (start is None or _key_of(start) <= day):
            amended = [link for link in self.relations(doc_id) if link.relation == "amended_by"]
            return StatusFinding("amended" if amended else "in_force", start, amended)
        return StatusFinding("unknown")

    def start(self, doc_id: str) -> str | None:
        """When the document took effect: its entry into force, else its signature, else its date."""
        own = self.lifecycles.get(doc_id)
        for kind in ("entry_into_force", "signed"):
            for item in own.dates if own else []:
                if item.kind == kind and item.scope is None:
                    return item.date
        return self._date_of(doc_id)

    def not_yet_applicable(self, doc_id: str, on: dt.date) -> LifecycleDate | None:
        """The document's general application (or entry-into-force) date when it is after `on`."""
        own = self.lifecycles.get(doc_id)
        for kind in ("applies_from", "entry_into_force"):
            for item in own.dates if own else []:
                if item.kind == kind and item.scope is None and _key_of(item.date) > _key(on):
                    return item
        return None

    def in_force_on(self, on: dt.date) -> set[str]:
        """Documents that had taken effect by `on` and that nothing puts out of force by then (documents of
        unknown date and status are kept: nothing says they were not in force)."""
        out = set()
        for doc_id in self.metadata:
            start = self.start(doc_id)
            if start is not None and _key_of(start) > _key(on):
                continue
            if self.status(doc_id, on).status in (*OUT_OF_FORCE, "draft"):
                continue
            out.add(doc_id)
        return out

    def _dates(self) -> dict[str, str | None]:
        return {doc_id: self._date_of(doc_id) for doc_id in self.metadata}

    def _date_of(self, doc_id: str) -> str | None:
        meta = self.metadata.get(doc_id)
        key = date_key(meta.date) if meta else None
        return f"{key // 10000:04d}-{key // 100 % 100:02d}-{key % 100:02d}" if key else None


class LifecycleRegistry:
    """The current `LifecycleView` of a catalog, read again whenever the catalog's documents change."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._view: LifecycleView | None = None

    def view(self) -> LifecycleView:
        with self._lock:
            generation = self.catalog.generation
            if self._view is None or generation != self._generation:
                self._view = LifecycleView(store.load(self.catalog), self.catalog.document_metadata())
                self._generation = generation
            return self._view


def _ordered(
    ending: list[tuple[str, str | None, LinkedRelation]], doc_id: str, dates: dict[str, str | None]
) -> list[LinkedRelation]:
    """Evidence to cite first: a passage of the document itself, then other documents' passages (earliest
    first), then front matter."""

    def rank(item: tuple[str, str | None, LinkedRelation]) -> tuple[int, str, str]:
        _status, when, link = item
        origin = 2 if link.evidence.origin == "front_matter" else (0 if link.stated_in == doc_id else 1)
        return origin, when or "9999", dates.get(link.stated_in) or "9999"

    return [link for *_rest, link in sorted(ending, key=rank)]


def _key(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _key_of(value: str) -> int:
    return date_key(value) or 0
