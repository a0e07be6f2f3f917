"""The data that flows through the assistant: documents, chunks, passages, citations, answers."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .lifecycle.model import LinkedRelation, Notice

HEADING_SEPARATOR = " > "


class DocumentMetadata(BaseModel):
    """What front matter (or the loader) tells about a document."""

    title: str
    issuing_body: str | None = None
    date: str | None = None
    language: str | None = None
    source_url: str | None = None
    tags: list[str] = Field(default_factory=list)
    extra: dict[str, str] = Field(default_factory=dict)

    @property
    def date_key(self) -> int | None:
        """The date as a sortable integer YYYYMMDD (missing month/day count as 01)."""
        return date_key(self.date)


def page_at(page_starts: list[tuple[int, int]], offset: int, first: int | None = None) -> int | None:
    """The page holding `offset`, given (offset, page number) where pages start; `first` before them all."""
    page = first
    for start, number in page_starts:
        if start > offset:
            break
        page = number
    return page


class Document(BaseModel):
    """A loaded source file: its plain text and metadata."""

    id: str
    source: str
    text: str
    content_hash: str
    metadata: DocumentMetadata
    # Offsets in `text` where each page starts, paired with the page number shown to people.
    page_starts: list[tuple[int, int]] = Field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """The page number that contains `offset`, if pages are known."""
        return page_at(self.page_starts, offset)


def local_spans(spans: list[tuple[int, int]], start: int) -> tuple[tuple[int, int], ...]:
    """Document offsets as offsets into a piece of the text that starts at `start`."""
    return tuple((s - start, e - start) for s, e in spans)


class Chunk(BaseModel):
    """A piece of a document, cut along its structure, with exact offsets into the document text."""

    id: str
    doc_id: str
    ordinal: int
    text: str
    start: int
    end: int
    heading_path: list[str] = Field(default_factory=list)
    page: int | None = None
    page_end: int | None = None
    n_tokens: int = 0
    # The text without its noise (page headers, footnote marks: see ingest/cleaning.py), as embedded and
    # indexed; not stored, since the citations always quote `text`. None: the same as `text`.
    search_text: str | None = Field(default=None, exclude=True)
    # The line noise inside the chunk (page headers, page numbers: document offsets), which no quoted sentence
    # may run into.
    noise: list[tuple[int, int]] = Field(default_factory=list)

    @property
    def heading(self) -> str:
        return HEADING_SEPARATOR.join(self.heading_path)

    @property
    def index_text(self) -> str:
        """What is embedded and indexed for this chunk: its text without noise."""
        return self.text if self.search_text is None else self.search_text

    def local_noise(self) -> tuple[tuple[int, int], ...]:
        """`noise` as offsets into `text`."""
        return local_spans(self.noise, self.start)


class Filters(BaseModel):
    """Metadata filters applied to both dense and lexical retrieval."""

    model_config = ConfigDict(extra="forbid")

    doc_ids: list[str] | None = Field(default=None, description="Only these documents.")
    issuing_body: list[str] | None = Field(default=None, description="Exact issuing-body names.")
    language: list[str] | None = Field(default=None, description="Language codes, e.g. ['en', 'zh'].")
    tags: list[str] | None = Field(default=None, description="Documents carrying any of these tags.")
    date_from: dt.date | None = Field(default=None, description="Documents dated on or after this day.")
    date_to: dt.date | None = Field(default=None, description="Documents dated on or before this day.")
    in_force_on: dt.date | None = Field(
        default=None,
        description="Documents in force on this day: taken effect by then, and not revoked, superseded or "
        "expired by then (documents of unknown status are kept).",
    )

    @field_validator("doc_ids", "issuing_body", "language", "tags", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        if isinstance(value, str):
            return [value]
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> Filters:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        return self

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in type(self).model_fields)

    def matches(self, doc_id: str, metadata: DocumentMetadata) -> bool:
        """True when a document passes every filter (the same rules the vector store applies)."""
        if self.doc_ids and doc_id not in self.doc_ids:
            return False
        if self.issuing_body and metadata.issuing_body not in self.issuing_body:
            return False
        if self.language and (metadata.language or "") not in {lang.lower() for lang in self.language}:
            return False
        if self.tags and not set(self.tags) & set(metadata.tags):
            return False
        key = metadata.date_key
        if self.date_from and (key is None or key < day_key(self.date_from)):
            return False
        return not (self.date_to and (key is None or key > day_key(self.date_to)))


class PassageScores(BaseModel):
    """How a passage was found: each retriever's score and rank, the fused score and the reranker's."""

    dense: float | None = None
    dense_rank: int | None = None
    bm25: float | None = None
    bm25_rank: int | None = None
    fused: float = 0.0
    rerank: float | None = None  # the cross-encoder's score, when the passage was reranked
    sources: list[Literal["dense", "bm25"]] = Field(default_factory=list)


class Passage(BaseModel):
    """A retrieved chunk with the document details a reader needs to check it."""

    id: str
    doc_id: str
    title: str
    heading_path: str = ""
    page: int | None = None
    # Pages that begin inside this passage (document offset, page number), so a quote's own page is known.
    page_breaks: list[tuple[int, int]] = Field(default_factory=list)
    # Line noise inside the passage (a running header, a page number: document offsets); sentences stop at it.
    noise: list[tuple[int, int]] = Field(default_factory=list)
    text: str
    start: int
    end: int
    language: str | None = None
    issuing_body: str | None = None
    date: str | None = None
    scores: PassageScores = Field(default_factory=PassageScores)

    def page_at(self, offset: int) -> int | None:
        """The page that holds document offset `offset` of this passage (its first page when unknown)."""
        return page_at(self.page_breaks, offset, self.page)

    def local_noise(self) -> tuple[tuple[int, int], ...]:
        """`noise` as offsets into `text`."""
        return local_spans(self.noise, self.start)


class Citation(BaseModel):
    """One numbered citation: the exact sentence quoted from a passage, with its document offsets."""

    n: int
    passage_id: str
    doc_id: str
    title: str
    heading_path: str = ""
    page: int | None = None
    quote: str
    start: int = Field(description="Offset of the quote in the document text.")
    end: int = Field(description="End offset (exclusive) of the quote in the document text.")
    score: float = Field(description="How well the quote supports the sentence it is attached to (0-1).")
    gloss: str | None = Field(
        None,
        description="For a quote in another language than the question's: English (or Chinese) glosses of its "
        "key terms from the project glossary and CC-CEDICT, e.g. '普及率: adoption rate'. A gloss, not the "
        "document's words.",
    )


class StageTimings(BaseModel):
    """Milliseconds spent in each stage of answering."""

    model_config = ConfigDict(extra="allow")

    condense: float = 0.0
    embed_query: float = 0.0
    dense: float = 0.0
    bm25: float = 0.0
    scope: float = 0.0
    translate: float = 0.0
    fusion: float = 0.0
    evidence: float = 0.0
    generate: float = 0.0
    verify: float = 0.0
    total: float = 0.0


class Answer(BaseModel):
    """The assistant's reply: text with [n] markers, the citations behind them, and how it was made."""

    question: str
    standalone_question: str
    text: str
    citations: list[Citation] = Field(default_factory=list)
    abstained: bool = False
    abstain_reason: str | None = None
    backend: str
    backend_fallback: bool = False
    fallback_reason: str | None = None
    grounded: bool = True
    unsupported_claims: list[str] = Field(
        default_factory=list,
        description="Sentences of the answer that no given passage was found to support.",
    )
    evidence_score: float = 0.0
    passages: list[Passage] = Field(default_factory=list)
    notices: list[Notice] = Field(
        default_factory=list,
        description="Status notices for cited documents (revoked, superseded, not yet applicable), each "
        "appended to the text with its own citation.",
    )
    timings: StageTimings = Field(default_factory=StageTimings)


class ChatMessage(BaseModel):
    """One turn of a conversation."""

    role: Literal["user", "assistant", "system"]
    content: str


class DocumentInfo(BaseModel):
    """An indexed document as listed to users."""

    id: str
    title: str
    source: str
    issuing_body: str | None = None
    date: str | None = None
    language: str | None = None
    source_url: str | None = None
    tags: list[str] = Field(default_factory=list)
    n_chunks: int
    content_hash: str
    ingested_at: str
    status: str = Field(
        "unknown", description="in_force, revoked, superseded, amended, expired, draft, unknown."
    )
    identifiers: list[str] = Field(default_factory=list, description="e.g. 'EO 14110', 'Directive 95/46/EC'.")
    relations: list[LinkedRelation] = Field(
        default_factory=list, description="Outgoing and incoming relations, each with its evidence."
    )


class IngestItem(BaseModel):
    """What happened to one input file."""

    source: str
    doc_id: str | None = None
    status: Literal["added", "updated", "unchanged", "removed", "failed", "skipped"]
    chunks: int = 0
    message: str | None = None


class IngestReport(BaseModel):
    """Counts and per-file outcomes of an ingest run."""

    items: list[IngestItem] = Field(default_factory=list)
    chunks_total: int = 0
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def summary(self) -> dict[str, int]:
        names = ("added", "updated", "unchanged", "removed", "failed", "skipped")
        counts = {name: self.count(name) for name in names}
        counts["chunks_embedded"] = sum(
            item.chunks for item in self.items if item.status in ("added", "updated")
        )
        counts["chunks_total"] = self.chunks_total
        return counts


def date_key(value: str | None) -> int | None:
    """Parse the leading YYYY[-MM[-DD]] of a free-form date string into YYYYMMDD."""
    import re

    if not value:
        return None
    match = re.match(r"\s*(\d{4})(?:[-/.](\d{1,2}))?(?:[-/.](\d{1,2}))?", value)
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2) or 1)
    day = int(match.group(3) or 1)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return year * 10000 + month * 100 + day


def day_key(day: dt.date) -> int:
    """A date as the integer YYYYMMDD used for range filters."""
    return day.year * 10000 + day.month * 100 + day.day


class StreamEvent(BaseModel):
    """One event of a streamed answer: the sources first, then text deltas, then the final answer."""

    type: Literal["sources", "delta", "final"]
    passages: list[Passage] | None = None
    standalone_question: str | None = None
    text: str | None = None
    reset: bool = Field(
        False, description="This delta starts the answer over (a retry or a fallback): drop the text so far."
    )
    answer: Answer | None = None
