"""Request and response bodies of the HTTP API (the core's own models are reused where they fit)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..lifecycle.model import LifecycleDate, LinkedRelation
from ..models import ChatMessage, DocumentInfo, Filters, IngestReport, Passage

PASSAGE_ID_EXAMPLE = "china-ai-terminals-consumer-electronics:5d2f0c1a9e8b7d64"
FLAGSHIP_QUESTION = (
    "What penetration rate for intelligent terminals and agents does the AI+ plan target for 2027?"
)


class AskRequest(BaseModel):
    """A single question."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": FLAGSHIP_QUESTION},
                {
                    "question": "Which AI practices are prohibited?",
                    "filters": {"doc_ids": ["eu-ai-act-risk-tiers"]},
                    "top_k": 4,
                    "stream": False,
                },
            ]
        },
    )

    question: str = Field(description="The question, in plain language.")
    filters: Filters | None = Field(None, description="Restrict the documents searched.")
    top_k: int | None = Field(None, ge=1, le=100, description="Passages to answer from (default: settings).")
    backend: str | None = Field(None, description="Answer backend by registered name (default: settings).")
    mode: Literal["hybrid", "dense", "bm25"] | None = Field(None, description="Retrieval mode.")
    stream: bool = Field(False, description="Answer as server-sent events (sources, deltas, final).")
    keep_for_feedback: bool = Field(
        False,
        description="Keep the answer in the feedback store so it can be rated with POST /v1/feedback; its id "
        "comes back in the X-Answer-ID response header.",
    )


class ChatRequest(BaseModel):
    """A conversation; its last message is the question, the earlier ones its history."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "messages": [
                        {"role": "user", "content": "What does the AI+ plan target for 2027?"},
                        {"role": "assistant", "content": "Above 70% adoption of intelligent terminals. [1]"},
                        {"role": "user", "content": "And by 2030?"},
                    ],
                    "stream": True,
                }
            ]
        },
    )

    messages: list[ChatMessage] = Field(
        description="The conversation so far, oldest first; the last is from the user."
    )
    filters: Filters | None = Field(None, description="Restrict the documents searched.")
    top_k: int | None = Field(None, ge=1, le=100, description="Passages to answer from (default: settings).")
    backend: str | None = Field(None, description="Answer backend by registered name (default: settings).")
    mode: Literal["hybrid", "dense", "bm25"] | None = Field(None, description="Retrieval mode.")
    stream: bool = Field(False, description="Answer as server-sent events (sources, deltas, final).")
    keep_for_feedback: bool = Field(
        False,
        description="Keep the answer in the feedback store so it can be rated with POST /v1/feedback; its id "
        "comes back in the X-Answer-ID response header.",
    )


class FeedbackRequest(BaseModel):
    """A 👍 or 👎 on an answer given with `keep_for_feedback`, and an optional comment."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"answer_id": "0f8e3c2a9b7d4e61a5c3b2d1e0f9a8b7", "rating": "down", "comment": "Wrong year."}
            ]
        },
    )

    answer_id: str = Field(min_length=1, max_length=64, description="The X-Answer-ID of the answer.")
    rating: Literal["up", "down"]
    comment: str | None = Field(
        None, max_length=2000, description="What was right or wrong (kept with the rating; optional)."
    )


class FeedbackResult(BaseModel):
    """The rating as stored: a later rating of the same answer by the same caller replaces it."""

    answer_id: str
    rating: Literal["up", "down"]
    comment: str | None = None
    updated_at: str


class PassageView(BaseModel):
    """A passage with the cited span located inside it, so any client can show the evidence."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "passage": {
                        "id": PASSAGE_ID_EXAMPLE,
                        "doc_id": "china-ai-terminals-consumer-electronics",
                        "title": "AI-enabled consumer electronics and intelligent terminals in China after AI+",
                        "heading_path": "AI-enabled consumer electronics and intelligent terminals",
                        "page": None,
                        "text": "# AI-enabled consumer electronics and intelligent terminals\n\nIntelligent "
                        "terminals sit at the centre of China's AI+ targets: ...",
                        "start": 0,
                        "end": 719,
                        "language": "en",
                    },
                    "highlight_start": 62,
                    "highlight_end": 294,
                    "highlighted": "Intelligent terminals sit at the centre of China's AI+ targets: ...",
                    "document_source_url": "https://www.gov.cn/",
                }
            ]
        }
    )

    passage: Passage
    highlight_start: int | None = Field(
        None, description="Start of the requested document span, as an offset into passage.text."
    )
    highlight_end: int | None = Field(None, description="End (exclusive) of the span in passage.text.")
    highlighted: str | None = Field(None, description="passage.text[highlight_start:highlight_end].")
    document_source_url: str | None = Field(None, description="Where the original document is published.")


class DocumentList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "documents": [
                        {
                            "id": "eu-ai-act-risk-tiers",
                            "title": "EU AI Act: risk tiers and obligations",
                            "source": "corpus/eu-ai-act-risk-tiers.md",
                            "issuing_body": "European Parliament and Council of the European Union",
                            "date": "2024-06-13",
                            "language": "en",
                            "source_url": "https://eur-lex.europa.eu/eli/reg/2024/1689/oj",
                            "tags": ["eu", "regulation"],
                            "n_chunks": 12,
                            "content_hash": "4f1c...",
                            "ingested_at": "2025-11-20T10:12:03Z",
                        }
                    ],
                    "total": 1,
                    "chunks": 12,
                }
            ]
        }
    )

    documents: list[DocumentInfo]
    total: int = Field(description="Number of documents in the index.")
    chunks: int = Field(description="Number of passages (chunks) in the index.")


class DocumentRelations(BaseModel):
    """A document's lifecycle: its status today, identifiers, dates, and relations with their evidence."""

    doc_id: str
    status: str = Field(description="in_force, revoked, superseded, amended, expired, draft or unknown.")
    since: str | None = Field(None, description="When that status began, if known (YYYY-MM-DD).")
    identifiers: list[str] = Field(default_factory=list)
    dates: list[LifecycleDate] = Field(default_factory=list)
    relations: list[LinkedRelation] = Field(
        default_factory=list, description="Outgoing (stated by this document) and incoming relations."
    )


class UploadResult(BaseModel):
    """What an upload did: the ingest report of the one file, with its counts."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "document": {
                        "id": "harbour-lighting",
                        "title": "Harbour Lighting Ordinance",
                        "source": "upload:harbour-lighting.md",
                        "language": "en",
                        "n_chunks": 2,
                        "content_hash": "9b2e...",
                        "ingested_at": "2025-11-20T10:12:03Z",
                    },
                    "status": "added",
                    "summary": {"added": 1, "updated": 0, "unchanged": 0, "failed": 0, "chunks_total": 2},
                    "report": {"items": [{"source": "upload:harbour-lighting.md", "status": "added"}]},
                }
            ]
        }
    )

    document: DocumentInfo | None = Field(
        None, description="The document as now indexed (absent on failure)."
    )
    status: Literal["added", "updated", "unchanged", "removed", "failed", "skipped"]
    summary: dict[str, int]
    report: IngestReport


class DeleteResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"deleted": "harbour-lighting", "chunks_removed": 2}]}
    )

    deleted: str = Field(description="Id of the removed document.")
    chunks_removed: int = Field(description="Passages removed from the vector store and the BM25 index.")


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"ready": True, "model_loaded": True, "store_reachable": True, "documents": 14}]
        }
    )

    ready: bool
    model_loaded: bool
    store_reachable: bool
    documents: int | None = Field(None, description="Indexed documents (when the catalog answers).")


class UiSettings(BaseModel):
    """What the web page needs to know before its first API call."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "auth_required": False,
                    "max_question_chars": 2000,
                    "max_upload_mb": 20,
                    "upload_extensions": [".md", ".txt", ".html", ".pdf"],
                    "version": "0.1.0",
                }
            ]
        }
    )

    auth_required: bool
    max_question_chars: int
    max_upload_mb: float
    upload_extensions: list[str]
    version: str


ANSWER_EXAMPLE = {
    "question": FLAGSHIP_QUESTION,
    "standalone_question": FLAGSHIP_QUESTION,
    "text": "Intelligent terminals sit at the centre of China's AI+ targets: the State Council's 2027 and 2030 "
    'goals are expressed as adoption rates for "new-generation intelligent terminals and AI agents" (above 70% '
    "and above 90% respectively). [1]",
    "citations": [
        {
            "n": 1,
            "passage_id": PASSAGE_ID_EXAMPLE,
            "doc_id": "china-ai-terminals-consumer-electronics",
            "title": "AI-enabled consumer electronics and intelligent terminals in China after AI+",
            "heading_path": "AI-enabled consumer electronics and intelligent terminals",
            "page": None,
            "quote": "Intelligent terminals sit at the centre of China's AI+ targets: ...",
            "start": 62,
            "end": 294,
            "score": 1.0,
        }
    ],
    "abstained": False,
    "abstain_reason": None,
    "backend": "extractive",
    "backend_fallback": False,
    "fallback_reason": None,
    "grounded": True,
    "evidence_score": 0.83,
    "passages": ["... the retrieved passages, numbered from 1 ..."],
    "timings": {
        "condense": 0.1,
        "embed_query": 9.8,
        "dense": 4.1,
        "bm25": 1.2,
        "fusion": 0.1,
        "evidence": 31.0,
        "generate": 12.4,
        "verify": 18.7,
        "total": 80.2,
    },
}
