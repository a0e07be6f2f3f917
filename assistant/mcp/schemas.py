"""The MCP tools' arguments and results: the core's models and the HTTP API's bodies, reused where they fit.

Every argument model forbids unknown fields, so a misspelt argument is an error rather than silently ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..answer.claim_check import ClaimCheck
from ..api.schemas import DocumentList, PassageView
from ..models import Answer, ChatMessage, DocumentInfo, Filters, Passage

Mode = Literal["hybrid", "dense", "bm25"]

FILTERS = "Restrict the documents searched: doc_ids, issuing_body, language, tags, date_from, date_to."
TOP_K = "How many passages to retrieve (default: the server's setting)."
MODE = "Retrieval mode: hybrid (default), dense (embeddings only) or bm25 (keywords only)."


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AskArguments(Arguments):
    question: str = Field(min_length=1, description="The question, in plain language.")
    history: list[ChatMessage] = Field(
        default_factory=list,
        description="Earlier turns of the conversation, oldest first, so a follow-up such as "
        "'And by 2030?' is understood.",
    )
    filters: Filters | None = Field(None, description=FILTERS)
    top_k: int | None = Field(None, ge=1, le=100, description="Passages to answer from (default: settings).")
    backend: str | None = Field(None, description="Answer backend by registered name (default: settings).")
    mode: Mode | None = Field(None, description=MODE)


class SearchArguments(Arguments):
    query: str = Field(min_length=1, description="What to look for, in plain language or keywords.")
    filters: Filters | None = Field(None, description=FILTERS)
    top_k: int | None = Field(None, ge=1, le=100, description=TOP_K)
    mode: Mode | None = Field(None, description=MODE)


class GetPassageArguments(Arguments):
    passage_id: str = Field(min_length=1, description="A passage id, as in a citation or a search result.")
    start: int | None = Field(
        None, ge=0, description="Document offset where a span to highlight starts (give end too)."
    )
    end: int | None = Field(None, ge=0, description="Document offset where that span ends (exclusive).")


class ListDocumentsArguments(Arguments):
    pass


class CheckClaimArguments(Arguments):
    claim: str = Field(min_length=1, description="One statement to check, e.g. a sentence of a draft.")
    filters: Filters | None = Field(None, description=FILTERS)
    top_k: int | None = Field(None, ge=1, le=100, description=TOP_K)
    mode: Mode | None = Field(None, description=MODE)


class AskResult(Answer):
    """The answer, whose [n] markers number its citations, with the cited documents as indexed."""

    documents: list[DocumentInfo] = Field(
        default_factory=list,
        description="The documents the citations come from, as indexed (title, issuing body, date, status).",
    )


class SearchResult(BaseModel):
    """Passages for a query, best first, each with its document offsets and retrieval scores."""

    query: str
    passages: list[Passage]


__all__ = [
    "AskArguments",
    "AskResult",
    "CheckClaimArguments",
    "ClaimCheck",
    "DocumentList",
    "GetPassageArguments",
    "ListDocumentsArguments",
    "PassageView",
    "SearchArguments",
    "SearchResult",
]
