"""OpenAI-compatible `POST /v1/chat/completions` and `GET /v1/models`, for existing clients and chat front ends."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ...answer.backends import available_backends
from ...models import Answer
from ..admission import admit
from ..deps import AssistantDep, MetricsDep, ReadAccess, SettingsDep
from ..errors import ERROR_RESPONSES, error_response
from ..openai_format import (
    COMPLETION_EXAMPLE,
    ChatCompletionRequest,
    ChunkRenderer,
    ModelCard,
    ModelList,
    backend_for_model,
    completion,
    model_ids,
    new_completion_id,
    split_conversation,
)
from ..streaming import answer_stream, first_event

router = APIRouter(prefix="/v1", tags=["openai-compatible"], responses=ERROR_RESPONSES)

_STARTED = int(time.time())

COMPLETIONS_DESCRIPTION = """
The OpenAI chat-completions wire format, so OpenAI clients and chat front ends work unchanged
(`base_url=http://HOST:PORT/v1`). The last user message is the question; earlier user and assistant turns
are the history used to condense a follow-up; system messages are ignored.

Citations appear twice:

* in `choices[0].message.content`: the answer with `[n]` markers, then a `Sources:` list, one line per
  `[n]` with the document title, section, page and the quoted sentence;
* in the extra top-level field **`citations`**: the same list as objects (`n`, `passage_id`, `doc_id`,
  `title`, `heading_path`, `page`, `quote`, `start`, `end`, `score`), plus **`policy_assistant`**
  (`standalone_question`, `abstained`, `abstain_reason`, `backend`, `backend_fallback`, `grounded`).

With `"stream": true` the reply is a stream of `chat.completion.chunk` events ending with `data: [DONE]`;
the extra fields ride on the last content chunk. The extension fields `filters` and `top_k` may be sent
in the request (the OpenAI Python client's `extra_body`).
"""


@router.get("/models", response_model=ModelList, summary="List the models (one per answer backend)")
def list_models(_: ReadAccess) -> ModelList:
    return ModelList(data=[ModelCard(id=name, created=_STARTED) for name in model_ids(available_backends())])


@router.post(
    "/chat/completions",
    summary="OpenAI-compatible chat completion with citations",
    description=COMPLETIONS_DESCRIPTION,
    responses={
        200: {
            "description": "A `chat.completion` object, or `chat.completion.chunk` server-sent events.",
            "content": {
                "application/json": {"example": COMPLETION_EXAMPLE},
                "text/event-stream": {
                    "schema": {"type": "string"},
                    "example": 'data: {"id": "chatcmpl-...", "object": "chat.completion.chunk", "choices": '
                    '[{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}], ...}\n\n'
                    'data: {"id": "chatcmpl-...", "object": "chat.completion.chunk", "choices": [{"index": 0, '
                    '"delta": {"content": "Intelligent terminals sit at "}, "finish_reason": null}], ...}\n\n'
                    "data: [DONE]\n\n",
                },
            },
        }
    },
)
async def chat_completions(
    body: ChatCompletionRequest,
    request: Request,
    assistant: AssistantDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    _: ReadAccess,
) -> Any:
    try:
        backend = backend_for_model(body.model, available_backends(), settings.answer.backend)
    except LookupError as exc:
        return error_response(request, 404, str(exc), code="model_not_found", param="model")
    server = settings.server
    question, history = split_conversation(body.messages, server.max_messages, server.max_message_chars)
    kwargs: dict[str, Any] = {
        "history": history,
        "filters": body.filters,
        "top_k": body.top_k,
        "backend": backend,
    }
    slot = await admit(request)  # waits its turn (api/admission.py); 503 with Retry-After past the queue
    if body.stream:
        include_usage = bool((body.stream_options or {}).get("include_usage"))
        render = ChunkRenderer(body.model, question, history, include_usage)
        try:
            events = assistant.ask_stream(question, **kwargs)
            first = await first_event(events)
        except BaseException:
            slot.release()
            raise
        return answer_stream(request, first, events, render, closing=render.done(), on_close=slot.release)
    try:
        answer: Answer = await run_in_threadpool(lambda: assistant.ask(question, **kwargs))
    finally:
        slot.release()
    metrics.observe_answer(answer)
    return JSONResponse(completion(answer, body.model, new_completion_id(), question, history))
