"""A scripted OpenAI-compatible Chat Completions server on 127.0.0.1, for tests (no real model is reachable).

It speaks the wire format the way OpenAI, vLLM and llama.cpp do: `POST /v1/chat/completions` answered with
a `chat.completion` JSON object, or with `text/event-stream` frames (`data: {chat.completion.chunk}`
separated by blank lines) closed by `data: [DONE]`. Each test queues `Reply` scripts (or a function of the
request); the server records every request it receives, with its headers and arrival time.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support import free_port


@dataclass
class Reply:
    """One scripted response."""

    text: str = ""  # the assistant message content
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the response starts
    body: str | None = None  # a raw body instead of a completion (malformed JSON, error pages)
    error: str | None = None  # an OpenAI error object with this message (with a non-200 status)
    stream: bool | None = None  # None: as the request asks
    pieces: list[str] | None = None  # how the text is split into chunks (default: word by word)
    chunk_delay: float = 0.0
    cut_after: int | None = None  # drop the connection after this many content chunks
    no_done: bool = False  # end the stream cleanly without a finish chunk or [DONE]
    raw_sse: list[bytes] | None = None  # exact bytes to send as the event stream, piece by piece


@dataclass
class Received:
    body: dict[str, Any]
    headers: dict[str, str]
    at: float

    @property
    def messages(self) -> list[dict[str, str]]:
        return self.body["messages"]


class FakeOpenAI:
    """The server: `queue(...)` scripts the next replies, `requests` lists what arrived."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.requests: list[Received] = []
        self._script: list[Reply | Callable[[Received], Reply]] = []
        self.default: Reply | Callable[[Received], Reply] = Reply(text="")
        self._lock = threading.Lock()
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._completions, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="critical",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> FakeOpenAI:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._script.clear()
            self.default = Reply(text="")

    def queue(self, *replies: Reply | Callable[[Received], Reply]) -> None:
        with self._lock:
            self._script.extend(replies)

    # --- handlers -------------------------------------------------------------------------------------

    async def _models(self, request: Request) -> Response:
        return JSONResponse(
            {"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "tests"}]}
        )

    async def _completions(self, request: Request) -> Response:
        body = await request.json()
        received = Received(body, {k.lower(): v for k, v in request.headers.items()}, time.monotonic())
        with self._lock:
            self.requests.append(received)
            script = self._script.pop(0) if self._script else self.default
        reply = script(received) if callable(script) else script
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.body is not None:
            return Response(
                reply.body, status_code=reply.status, headers=reply.headers, media_type="application/json"
            )
        if reply.status != 200 or reply.error:
            error = {"message": reply.error or "error", "type": "server_error", "param": None, "code": None}
            return JSONResponse({"error": error}, status_code=reply.status, headers=reply.headers)
        stream = body.get("stream", False) if reply.stream is None else reply.stream
        model = body.get("model", "fake-model")
        if not stream:
            return JSONResponse(completion(reply.text, model), headers=reply.headers)
        return StreamingResponse(
            self._events(reply, model), media_type="text/event-stream", headers=reply.headers
        )

    async def _events(self, reply: Reply, model: str):  # type: ignore[no-untyped-def]
        if reply.raw_sse is not None:
            for piece in reply.raw_sse:
                yield piece
                await asyncio.sleep(0.01)  # separate TCP writes, so frames arrive split
            return
        yield frame(chunk(model, {"role": "assistant", "content": ""}))
        pieces = reply.pieces if reply.pieces is not None else split_words(reply.text)
        for sent, piece in enumerate(pieces):
            if reply.cut_after is not None and sent >= reply.cut_after:
                raise ConnectionAbortedError("scripted: the stream is cut here")
            if reply.chunk_delay:
                await asyncio.sleep(reply.chunk_delay)
            yield frame(chunk(model, {"content": piece}))
        if reply.no_done:
            return
        yield frame(chunk(model, {}, finish_reason="stop"))
        yield b"data: [DONE]\n\n"


def split_words(text: str) -> list[str]:
    import re

    return re.findall(r"\S+\s*|\s+", text)


def frame(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def chunk(model: str, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


def completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": len(text.split()),
            "total_tokens": 10 + len(text.split()),
        },
    }
