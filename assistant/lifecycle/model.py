"""The data of a document's lifecycle: identifiers, dates and relations, each with the evidence it came from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["in_force", "revoked", "superseded", "amended", "expired", "draft", "unknown"]
RelationKind = Literal[
    "revokes", "revoked_by", "amends", "amended_by", "supersedes", "superseded_by", "implements", "refers_to"
]
DateKind = Literal["signed", "published", "entry_into_force", "applies_from", "revoked_on", "expires"]
Origin = Literal["text", "front_matter"]

STATUSES: tuple[str, ...] = Status.__args__  # type: ignore[attr-defined]
RELATIONS: tuple[str, ...] = RelationKind.__args__  # type: ignore[attr-defined]
# The relation seen from its target: "A revokes B" is "B revoked_by A".
INVERSE: dict[str, str] = {
    "revokes": "revoked_by",
    "revoked_by": "revokes",
    "amends": "amended_by",
    "amended_by": "amends",
    "supersedes": "superseded_by",
    "superseded_by": "supersedes",
    "implements": "implemented_by",
    "refers_to": "referred_to_by",
}
# Statuses that take a document out of force.
OUT_OF_FORCE = frozenset({"revoked", "superseded", "expired"})


class Evidence(BaseModel):
    """Where a lifecycle fact was read: a span of the document text, or a front-matter field."""

    quote: str = Field(description="The passage (or front-matter value) that states the fact.")
    start: int | None = Field(None, description="Offset of the quote in the document text (text only).")
    end: int | None = Field(None, description="End offset (exclusive) of the quote in the document text.")
    origin: Origin = "text"
    field: str | None = Field(None, description="The front-matter field, when origin is front_matter.")


class Relation(BaseModel):
    """A relation of a document to another, named by identifier (indexed or not)."""

    relation: RelationKind
    target: str = Field(description="The other document's identifier as written, e.g. 'EO 14110'.")
    target_key: str = Field(description="The identifier normalised for matching, e.g. 'eo:14110'.")
    target_status: Status | None = Field(
        None, description="For refers_to: the status the text gives the target ('the revoked EO 14110')."
    )
    date: str | None = Field(None, description="YYYY-MM-DD when the text dates the relation.")
    evidence: Evidence


class LifecycleDate(BaseModel):
    """A dated step of a document's life: signed, published, entry into force, application (maybe staged)."""

    kind: DateKind
    date: str = Field(description="YYYY-MM-DD")
    scope: str | None = Field(None, description="The part it concerns when staged, e.g. 'Chapters I and II'.")
    evidence: Evidence


class DocumentLifecycle(BaseModel):
    """Everything read about one document's lifecycle, as stored in the catalog."""

    doc_id: str
    identifiers: list[str] = Field(default_factory=list, description="Display forms, e.g. 'EO 14110'.")
    keys: list[str] = Field(default_factory=list, description="Normalised identifiers, for matching.")
    declared_status: Status | None = Field(None, description="The status front matter gives, if any.")
    dates: list[LifecycleDate] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)


class LinkedRelation(BaseModel):
    """A relation as listed for one document: outgoing (stated by it) or incoming (stated by another)."""

    direction: Literal["outgoing", "incoming"]
    relation: str = Field(description="Seen from the listed document: 'revoked_by', 'referred_to_by', ...")
    other: str = Field(description="The other document's identifier (or title).")
    other_doc_id: str | None = Field(None, description="The other document, when it is indexed.")
    stated_in: str = Field(description="The document whose text or front matter states the relation.")
    target_status: str | None = None
    date: str | None = None
    evidence: Evidence


class Notice(BaseModel):
    """A status notice added to an answer: a cited document is out of force or not yet applicable."""

    doc_id: str
    kind: Literal["revoked", "superseded", "expired", "not_yet_applicable"]
    text: str = Field(description="The notice as appended to the answer, with its [n] marker when cited.")
    citation: int | None = Field(None, description="The number of the citation that states it.")
