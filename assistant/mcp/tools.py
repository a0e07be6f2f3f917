"""The MCP tools: each one a thin call into the `Assistant`, with its arguments, result and documentation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..answer.backends import available_backends
from ..api.routes.answers import split_chat
from ..api.routes.documents import document_list, passage_view
from ..errors import InvalidInputError
from ..models import ChatMessage
from ..service import Assistant
from .schemas import (
    Arguments,
    AskArguments,
    AskResult,
    CheckClaimArguments,
    ClaimCheck,
    DocumentList,
    GetPassageArguments,
    ListDocumentsArguments,
    PassageView,
    SearchArguments,
    SearchResult,
)


@dataclass(frozen=True)
class ToolSpec:
    """One tool as listed to clients, and the function that runs it (on a worker thread)."""

    name: str
    title: str
    description: str
    arguments: type[Arguments]
    result: type[BaseModel]
    run: Callable[[Assistant, Any], BaseModel]
    answers: bool = False  # composes an answer: waits its turn with the HTTP answers (api/admission.py)


def ask(assistant: Assistant, args: AskArguments) -> AskResult:
    server = assistant.settings.server
    turns = [*args.history, ChatMessage(role="user", content=args.question)]
    question, history = split_chat(turns, server.max_messages, server.max_message_chars)
    if args.backend is not None and args.backend not in available_backends():
        known = ", ".join(available_backends())
        raise InvalidInputError(f"unknown answer backend {args.backend!r}; available: {known}")
    answer = assistant.ask(
        question,
        history=history or None,
        filters=args.filters,
        top_k=args.top_k,
        backend=args.backend,
        mode=args.mode,
    )
    cited = {c.doc_id for c in answer.citations}
    documents = [d for d in assistant.documents() if d.id in cited]
    return AskResult(**answer.model_dump(exclude={"passages"}), documents=documents)


def search(assistant: Assistant, args: SearchArguments) -> SearchResult:
    retrieval = assistant.retrieve(args.query, filters=args.filters, top_k=args.top_k, mode=args.mode)
    return SearchResult(query=args.query, passages=retrieval.passages)


def get_passage(assistant: Assistant, args: GetPassageArguments) -> PassageView:
    return passage_view(assistant, args.passage_id, args.start, args.end)


def list_documents(assistant: Assistant, args: ListDocumentsArguments) -> DocumentList:
    return document_list(assistant)


def check_claim(assistant: Assistant, args: CheckClaimArguments) -> ClaimCheck:
    return assistant.check_claim(args.claim, filters=args.filters, top_k=args.top_k, mode=args.mode)


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            "ask",
            "Answer a question with citations",
            "Answer a question from the indexed policy documents. Every sentence of the answer ends with [n] "
            "markers that number `citations`; each citation quotes the exact sentence of a passage, with its "
            "document id and character offsets (`start`, `end`) into the document text. When the documents do "
            "not answer, `abstained` is true and `abstain_reason` says why: do not answer from elsewhere then. "
            "`documents` lists the cited documents as indexed. Pass earlier turns in `history` for follow-ups.",
            AskArguments,
            AskResult,
            ask,
            answers=True,
        ),
        ToolSpec(
            "search",
            "Search the documents for passages",
            "Retrieve the passages that best match a query, best first, without writing an answer. Each passage "
            "has its id, document, section (`heading_path`), page, its full text, its offsets in the document "
            "(`start`, `end`) and its retrieval scores (`scores.fused`, dense and BM25 scores and ranks).",
            SearchArguments,
            SearchResult,
            search,
        ),
        ToolSpec(
            "get_passage",
            "Read one passage",
            "Read a passage by id (from a citation or a search result). With `start` and `end` (document "
            "offsets, as in a citation) the result also locates that span in the passage text: "
            "`highlight_start`, `highlight_end` and the `highlighted` text.",
            GetPassageArguments,
            PassageView,
            get_passage,
        ),
        ToolSpec(
            "list_documents",
            "List the indexed documents",
            "Every indexed document with its id, title, issuing body, date, language, tags, source URL and "
            "number of passages. Each document's full text is also a resource at policy://documents/{id}.",
            ListDocumentsArguments,
            DocumentList,
            list_documents,
        ),
        ToolSpec(
            "check_claim",
            "Check a claim against the documents",
            "Check one statement against the passages retrieved for it, with the citation verifier the answers "
            "use. `verdict` is `supported` when a passage supports it (`supporting` quotes the sentence, with "
            "offsets and a support score), `contradicted` when none does but a passage on the same matter "
            "states other figures (`contradicting`, with the figures it states), else `unsupported`.",
            CheckClaimArguments,
            ClaimCheck,
            check_claim,
        ),
    )
}
