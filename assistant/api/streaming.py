"""Server-sent events from the service's `ask_stream` generator, stopped when the client goes away.

`ask_stream` is a plain (synchronous, CPU-bound) generator. Each step runs in a worker thread so the event
loop stays free; when the client disconnects, Starlette cancels the response, the step in flight finishes,
and the generator is closed, so no further retrieval or generation happens for a reader who left.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import anyio
from fastapi import Request
from fastapi.sse import EventSourceResponse, format_sse_event
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from ..errors import AssistantError
from ..models import Answer, StreamEvent
from .errors import ErrorBody, ErrorDetail, assistant_error_status

log = logging.getLogger(__name__)

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

Renderer = Callable[[StreamEvent], Iterable[bytes]]


async def first_event(events: Iterator[StreamEvent]) -> StreamEvent | None:
    """Run the stream up to its first event (retrieval), so bad input and a down store fail as plain HTTP errors."""
    return await run_in_threadpool(next, events, None)


class AnswerStream(EventSourceResponse):
    """An event-stream response that always closes its body iterator, even when the client disconnected,
    and then calls `on_close` (which gives the answer's turn to the next one waiting)."""

    on_close: Callable[[], None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            try:
                aclose = getattr(self.body_iterator, "aclose", None)
                if aclose is not None:
                    await aclose()
            finally:
                if self.on_close is not None:
                    self.on_close()


def answer_stream(
    request: Request,
    first: StreamEvent | None,
    events: Iterator[StreamEvent],
    render: Renderer,
    *,
    closing: Iterable[bytes] = (),
    on_close: Callable[[], None] | None = None,
) -> AnswerStream:
    """Relay `events` (after `first`) as server-sent events rendered by `render`; `on_close` is called once
    the stream has ended, however it ended."""
    response = AnswerStream(_relay(request, first, events, render, closing), headers=SSE_HEADERS)
    response.on_close = on_close
    return response


async def _relay(
    request: Request,
    first: StreamEvent | None,
    events: Iterator[StreamEvent],
    render: Renderer,
    closing: Iterable[bytes],
) -> AsyncIterator[bytes]:
    metrics = request.app.state.metrics
    event = first
    finished = False
    try:
        while event is not None:
            if event.type == "final" and event.answer is not None:
                metrics.observe_answer(event.answer)
            for chunk in render(event):
                yield chunk
            # the thread finishes its step even when cancelled; only then does the cancellation land here
            event = await anyio.to_thread.run_sync(next, events, None)
        for chunk in closing:
            yield chunk
        finished = True
    except (anyio.get_cancelled_exc_class(), GeneratorExit):  # cancelled mid-step, or closed at a yield
        metrics.disconnects.inc()
        log.info("client went away; answer stopped")
        raise
    except AssistantError as exc:
        status, type_, code = assistant_error_status(exc)
        metrics.observe_error(code)
        log.warning("stream failed: %s", exc)
        yield error_event(request, str(exc), type_, code, status)
    except Exception:
        metrics.observe_error("internal_error")
        log.exception("stream failed")
        yield error_event(request, "an unexpected error occurred; please report it with the request id")
    finally:
        if not finished:
            events.close()  # stops the service's generator where it stands


def error_event(
    request: Request,
    message: str,
    type_: str = "api_error",
    code: str = "internal_error",
    status: int = 500,
) -> bytes:
    body = ErrorBody(
        error=ErrorDetail(
            message=message, type=type_, code=code, request_id=getattr(request.state, "request_id", None)
        )
    ).model_dump(exclude_none=True)
    body["error"]["status"] = status
    return sse(body, event="error")


def sse(data: Any, *, event: str | None = None) -> bytes:
    """One server-sent event with a JSON payload."""
    payload = (
        data.model_dump_json() if hasattr(data, "model_dump_json") else json.dumps(data, ensure_ascii=False)
    )
    return format_sse_event(data_str=payload, event=event)


def render_native(event: StreamEvent) -> Iterable[bytes]:
    """The API's own events: `sources`, then `delta`s, then `final` (the complete Answer)."""
    if event.type == "sources":
        yield sse(
            {
                "standalone_question": event.standalone_question,
                "passages": [p.model_dump(mode="json") for p in event.passages or []],
            },
            event="sources",
        )
    elif event.type == "delta":
        yield sse({"text": event.text or "", "reset": event.reset}, event="delta")
    elif event.type == "final":
        answer: Answer | None = event.answer
        assert answer is not None
        yield sse(answer, event="final")
