"""Documents and passages: list, upload, delete, and a passage with its cited span."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ...errors import InvalidInputError, NotFoundError
from ...models import DocumentInfo
from ...service import Assistant
from ..deps import AdminAccess, AssistantDep, ReadAccess, SettingsDep
from ..errors import ERROR_RESPONSES
from ..schemas import (
    PASSAGE_ID_EXAMPLE,
    DeleteResult,
    DocumentList,
    DocumentRelations,
    PassageView,
    UploadResult,
)

router = APIRouter(prefix="/v1", tags=["documents"], responses=ERROR_RESPONSES)
# Uploads have a router of their own: they take multipart bodies up to server.max_upload_mb.
upload_router = APIRouter(prefix="/v1", tags=["documents"], responses=ERROR_RESPONSES)

UPLOAD_SOURCE_PREFIX = "upload:"
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file

DocId = Annotated[str, Path(description="A document id.", examples=["eu-ai-act-risk-tiers"])]


@router.get(
    "/documents",
    response_model=DocumentList,
    summary="List the indexed documents",
    description="Each with its status today, identifiers and relations; `in_force_on` keeps the documents "
    "in force on that day.",
)
def list_documents(
    assistant: AssistantDep,
    _: ReadAccess,
    in_force_on: Annotated[
        dt.date | None, Query(description="Only documents in force on this day (YYYY-MM-DD).")
    ] = None,
) -> DocumentList:
    return document_list(assistant, in_force_on)


def document_list(assistant: Assistant, in_force_on: dt.date | None = None) -> DocumentList:
    """Every indexed document (or those in force on a day), with the counts."""
    documents = assistant.documents()
    if in_force_on is not None:
        allowed = assistant.lifecycle.view().in_force_on(in_force_on)
        documents = [d for d in documents if d.id in allowed]
    return DocumentList(documents=documents, total=len(documents), chunks=sum(d.n_chunks for d in documents))


@router.get(
    "/documents/{doc_id}/relations",
    response_model=DocumentRelations,
    summary="A document's status, dates and relations",
    description="Outgoing relations (revokes, amends, implements, refers_to ...) stated by the document and "
    "incoming ones stated by other documents about it, each with the passage (offsets) or front-matter field "
    "it was read from.",
    responses={404: {"description": "No document with this id."}},
)
def get_relations(doc_id: DocId, assistant: AssistantDep, _: ReadAccess) -> DocumentRelations:
    return document_relations(assistant, doc_id)


def document_relations(assistant: Assistant, doc_id: str) -> DocumentRelations:
    relations = assistant.relations(doc_id)
    view = assistant.lifecycle.view()
    finding = view.status(doc_id)
    lifecycle = view.lifecycles.get(doc_id)
    return DocumentRelations(
        doc_id=doc_id,
        status=finding.status,
        since=finding.since,
        identifiers=view.identifiers(doc_id),
        dates=lifecycle.dates if lifecycle else [],
        relations=relations,
    )


@router.get(
    "/documents/{doc_id}",
    response_model=DocumentInfo,
    summary="One indexed document",
    responses={404: {"description": "No document with this id."}},
)
def get_document(doc_id: DocId, assistant: AssistantDep, _: ReadAccess) -> DocumentInfo:
    return _find(assistant.documents(), doc_id)


def _find(documents: list[DocumentInfo], doc_id: str) -> DocumentInfo:
    for document in documents:
        if document.id == doc_id:
            return document
    raise NotFoundError(f"no document with id {doc_id!r}")


def safe_filename(name: str | None, allowed: list[str]) -> str:
    """The upload's base name with anything that could steer a path or a terminal removed."""
    raw = name or ""
    base = PureWindowsPath(PurePosixPath(raw).name).name  # drop folders, whichever separator they use
    base = unicodedata.normalize("NFKC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("-", base).strip(" .-")[:120]
    suffix = PurePosixPath(base).suffix.lower()
    if not base or suffix not in {s.lower() for s in allowed}:
        raise HTTPException(
            415,
            f"unsupported file type {suffix or '(none)'!r} for {raw[:80]!r}; accepted: {', '.join(allowed)}",
        )
    return base


@upload_router.post(
    "/documents",
    response_model=UploadResult,
    status_code=201,
    summary="Upload a document (multipart/form-data, field `file`)",
    description="The file goes through the same incremental pipeline as `assistant ingest`: an unchanged "
    "file is reported `unchanged`, a changed one `updated` (its old passages are replaced), a new one "
    "`added` (201). A file that cannot be read is `failed` (422, with the reason). The document id comes "
    "from the front matter `id` or the file name; the file name is sanitised and never touches the disk.",
    responses={
        200: {"model": UploadResult, "description": "The document was already indexed (updated/unchanged)."},
        413: {"description": "The file is larger than server.max_upload_mb."},
        415: {"description": "The file type is not in server.upload_extensions."},
    },
)
async def upload_document(
    request: Request,
    file: Annotated[UploadFile, File(description="A Markdown, text, HTML or PDF file.")],
    assistant: AssistantDep,
    settings: SettingsDep,
    _: AdminAccess,
) -> JSONResponse:
    server = settings.server
    filename = safe_filename(file.filename, server.upload_extensions)
    limit = int(server.max_upload_mb * 1024 * 1024)
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"the file is larger than the upload limit of {server.max_upload_mb:g} MiB")
    report = await run_in_threadpool(
        assistant.ingest_bytes, data, filename, source=UPLOAD_SOURCE_PREFIX + filename
    )
    item = report.items[0] if report.items else None
    if item is None:
        raise InvalidInputError("the upload produced no document")
    document = None
    if item.doc_id and item.status != "failed":
        document = next((d for d in assistant.documents() if d.id == item.doc_id), None)
    result = UploadResult(document=document, status=item.status, summary=report.summary, report=report)
    status = {"added": 201, "failed": 422}.get(item.status, 200)
    if status == 422:
        body = {
            "error": {
                "message": f"the file could not be ingested: {item.message}",
                "type": "invalid_request_error",
                "code": "document_error",
                "request_id": getattr(request.state, "request_id", None),
            },
            **result.model_dump(mode="json"),
        }
        request.app.state.metrics.observe_error("document_error")
        return JSONResponse(body, status)
    return JSONResponse(result.model_dump(mode="json"), status)


@router.delete(
    "/documents/{doc_id}",
    response_model=DeleteResult,
    summary="Delete a document",
    description="Removes its passages from the vector store and the BM25 index.",
    responses={404: {"description": "No document with this id."}},
)
def delete_document(doc_id: DocId, assistant: AssistantDep, _: AdminAccess) -> DeleteResult:
    document = _find(assistant.documents(), doc_id)
    assistant.delete_document(doc_id)
    return DeleteResult(deleted=doc_id, chunks_removed=document.n_chunks)


@router.get(
    "/passages/{passage_id}",
    response_model=PassageView,
    summary="A passage, with a cited span located in it",
    description="`start` and `end` are document offsets, as in a citation; the response locates that span "
    "inside the passage text (`highlight_start`, `highlight_end`), clipped to the passage.",
    responses={404: {"description": "No passage with this id."}},
)
def get_passage(
    passage_id: Annotated[
        str, Path(description="A passage id, as in a citation.", examples=[PASSAGE_ID_EXAMPLE])
    ],
    assistant: AssistantDep,
    _: ReadAccess,
    start: Annotated[
        int | None, Query(ge=0, description="Document offset where the cited span starts.", examples=[62])
    ] = None,
    end: Annotated[
        int | None, Query(ge=0, description="Document offset where the cited span ends.", examples=[294])
    ] = None,
) -> PassageView:
    return passage_view(assistant, passage_id, start, end)


def passage_view(assistant: Assistant, passage_id: str, start: int | None, end: int | None) -> PassageView:
    """A passage with the document span `start`-`end` (both or neither) located in its text."""
    passage = assistant.passage(passage_id)
    document = next((d for d in assistant.documents() if d.id == passage.doc_id), None)
    view = PassageView(passage=passage, document_source_url=document.source_url if document else None)
    if start is None and end is None:
        return view
    if start is None or end is None:
        raise InvalidInputError("give both start and end, or neither")
    if end <= start:
        raise InvalidInputError(f"end ({end}) must be greater than start ({start})")
    lo, hi = max(start, passage.start), min(end, passage.end)
    if lo >= hi:
        raise InvalidInputError(
            f"the span {start}-{end} lies outside this passage, which covers {passage.start}-{passage.end}"
        )
    view.highlight_start = lo - passage.start
    view.highlight_end = hi - passage.start
    view.highlighted = passage.text[view.highlight_start : view.highlight_end]
    return view
