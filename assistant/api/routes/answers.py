"""`POST /v1/ask` and `POST /v1/chat`: answers with citations, whole or as server-sent events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...errors import InvalidInputError
from ...models import Answer, ChatMessage, Filters
from ..admission import admit
from ..deps import AssistantDep, MetricsDep, ReadAccess, SettingsDep, check_backend
from ..errors import ERROR_RESPONSES
from ..schemas import ANSWER_EXAMPLE, AskRequest, ChatRequest
from ..streaming import answer_stream, first_event, render_native
from .feedback import ANSWER_ID_HEADER, AnswerKeeper, feedback_store

router = APIRouter(prefix="/v1", tags=["answers"], responses=ERROR_RESPONSES)

STREAM_DESCRIPTION = """
With `"stream": true` the reply is `text/event-stream`:

* `event: sources` — `{"standalone_question", "passages": [Passage, ...]}`, the retrieved passages numbered
  from 1 in list order;
* `event: delta` — `{"text": "...", "reset": false}`, pieces of the backend's text as it is written, whose
  `[n]` markers number the **passages** of the sources event; `reset: true` means "drop the text so far and
  start over with this piece" (the backend retried, or fell back to the extractive answerer);
* `event: final` — the complete, verified `Answer`, whose `[n]` markers number its **citations**;
* `event: error` — `{"error": {...}}` if something fails after the stream has started.

Closing the connection stops the work. Bad input and an unreachable store fail before the stream starts,
with the usual JSON error and status.
"""

_STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The Answer, or a stream of server-sent events with `stream: true`.",
        "content": {
            "application/json": {"example": ANSWER_EXAMPLE},
            "text/event-stream": {
                "schema": {"type": "string"},
                "example": 'event: sources\ndata: {"standalone_question": "...", "passages": [...]}\n\n'
                'event: delta\ndata: {"text": "Intelligent terminals sit at ...", "reset": false}\n\n'
                'event: final\ndata: {"question": "...", "text": "... [1]", "citations": [...], ...}\n\n',
            },
        },
    }
}


async def _answer(
    request: Request,
    assistant: Any,
    metrics: Any,
    question: str,
    *,
    history: list[ChatMessage] | None,
    filters: Filters | None,
    top_k: int | None,
    backend: str | None,
    mode: str | None,
    stream: bool,
    feedback_user: str | None = None,
) -> Any:
    """The answer, whole or streamed; with `feedback_user`, also kept for that caller to rate.

    The work waits its turn first (api/admission.py): 503 with Retry-After when too many answers wait. A
    streamed answer keeps its turn until the stream ends or its client goes away.
    """
    kwargs: dict[str, Any] = {
        "history": history,
        "filters": filters,
        "top_k": top_k,
        "backend": check_backend(backend),
        "mode": mode,
    }
    keeper = None
    if feedback_user is not None:
        keeper = AnswerKeeper(feedback_store(request.app), feedback_user, question, history)
    slot = await admit(request)
    if stream:
        try:
            events = assistant.ask_stream(question, **kwargs)
            if keeper is not None:
                events = keeper.keeping(events)
            first = await first_event(events)
        except BaseException:
            slot.release()
            raise
        response: Response = answer_stream(request, first, events, render_native, on_close=slot.release)
    else:
        try:
            answer: Answer = await run_in_threadpool(lambda: assistant.ask(question, **kwargs))
        finally:
            slot.release()
        metrics.observe_answer(answer)
        if keeper is not None:
            await run_in_threadpool(keeper.keep, answer)
        # pydantic's own JSON encoder: a third of the cost of model_dump() followed by json.dumps()
        response = Response(answer.model_dump_json(), media_type="application/json")
    if keeper is not None:
        response.headers[ANSWER_ID_HEADER] = keeper.answer_id
    return response


@router.post(
    "/ask",
    response_model=Answer,
    summary="Answer one question with citations",
    description="Retrieves passages, answers from them (or abstains) and verifies every citation."
    + STREAM_DESCRIPTION,
    responses=_STREAM_RESPONSE,
)
async def ask(
    body: AskRequest,
    request: Request,
    assistant: AssistantDep,
    metrics: MetricsDep,
    principal: ReadAccess,
) -> Any:
    return await _answer(
        request,
        assistant,
        metrics,
        body.question,
        history=None,
        filters=body.filters,
        top_k=body.top_k,
        backend=body.backend,
        mode=body.mode,
        stream=body.stream,
        feedback_user=principal.name if body.keep_for_feedback else None,
    )


@router.post(
    "/chat",
    response_model=Answer,
    summary="Answer the last message of a conversation",
    description='A follow-up ("And by 2030?") is condensed with the history into a standalone question '
    "before retrieval; `standalone_question` in the answer shows the one that was used." + STREAM_DESCRIPTION,
    responses=_STREAM_RESPONSE,
)
async def chat(
    body: ChatRequest,
    request: Request,
    assistant: AssistantDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    principal: ReadAccess,
) -> Any:
    question, history = split_chat(
        body.messages, settings.server.max_messages, settings.server.max_message_chars
    )
    return await _answer(
        request,
        assistant,
        metrics,
        question,
        history=history,
        filters=body.filters,
        top_k=body.top_k,
        backend=body.backend,
        mode=body.mode,
        stream=body.stream,
        feedback_user=principal.name if body.keep_for_feedback else None,
    )


def split_chat(
    messages: list[ChatMessage], max_messages: int, max_message_chars: int
) -> tuple[str, list[ChatMessage]]:
    """The last message is the question; it must come from the user."""
    if not messages:
        raise InvalidInputError("messages is empty; send at least one message from the user")
    if len(messages) > max_messages:
        raise InvalidInputError(f"the conversation has {len(messages)} messages; the limit is {max_messages}")
    if messages[-1].role != "user":
        raise InvalidInputError("the last message must come from the user (role 'user')")
    history = messages[:-1]
    for message in history:
        if len(message.content) > max_message_chars:
            raise InvalidInputError(
                f"an earlier message is {len(message.content)} characters long; the limit is {max_message_chars}"
            )
    return messages[-1].content, history
