"""Request and response bodies of the HTTP API (the core's own models are reused where they fit)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import ChatMessage, DocumentInfo, Filters, IngestReport, Passage

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


class PassageView(BaseModel):
    """A passage with the cited span located inside it, so any client can show the evidence."""

    passage: Passage
    highlight_start: int | None = Field(
        None, description="Start of the requested document span, as an offset into passage.text."
    )
    highlight_end: int | None = Field(None, description="End (exclusive) of the span in passage.text.")
    highlighted: str | None = Field(None, description="passage.text[highlight_start:highlight_end].")
    document_source_url: str | None = Field(None, description="Where the original document is published.")


class DocumentList(BaseModel):
    documents: list[DocumentInfo]
    total: int = Field(description="Number of documents in the index.")
    chunks: int = Field(description="Number of passages (chunks) in the index.")


class UploadResult(BaseModel):
    """What an upload did: the ingest report of the one file, with its counts."""

    document: DocumentInfo | None = Field(
        None, description="The document as now indexed (absent on failure)."
    )
    status: Literal["added", "updated", "unchanged", "removed", "failed", "skipped"]
    summary: dict[str, int]
    report: IngestReport


class DeleteResult(BaseModel):
    deleted: str = Field(description="Id of the removed document.")
    chunks_removed: int = Field(description="Passages removed from the vector store and the BM25 index.")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    model_loaded: bool
    store_reachable: bool
    documents: int | None = Field(None, description="Indexed documents (when the catalog answers).")


class UiSettings(BaseModel):
    """What the web page needs to know before its first API call."""

    auth_required: bool
    max_question_chars: int
    max_upload_mb: float
    upload_extensions: list[str]
    version: str
