"""Request-body size limits that answer 413 with the API's JSON error body.

FastAPI's own `max_body_size` replaces any response to an oversized request with a plain-text 413, which
loses the request id and the readable message; this middleware keeps them. A declared Content-Length over
the limit is refused before the body is read; a chunked body is counted as it arrives.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ErrorBody, ErrorDetail


class BodyTooLarge(HTTPException):
    def __init__(self, message: str) -> None:
        super().__init__(413, message)


class BodyLimitMiddleware:
    """Caps request bodies at `default` bytes, or at another limit for the given (method, path) routes.

    `overrides` maps (method, path) to (limit in bytes, what to tell a client who sends more).
    """

    def __init__(self, app: ASGIApp, default: int, overrides: dict[tuple[str, str], tuple[int, str]]) -> None:
        self.app = app
        self.default = (default, f"the request body is too large; the limit is {human_size(default)}")
        self.overrides = overrides

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, message = self.overrides.get((scope["method"], scope["path"].rstrip("/") or "/"), self.default)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, send, message)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(message)
            return message

        await self.app(scope, counting_receive, send)


async def _refuse(scope: Scope, send: Send, message: str) -> None:
    detail = ErrorDetail(
        message=message,
        type="invalid_request_error",
        code="request_too_large",
        request_id=scope.get("state", {}).get("request_id"),
    )
    body = json.dumps(ErrorBody(error=detail).model_dump(exclude_none=True)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MiB"
    if n >= 1024:
        return f"{n / 1024:g} KiB"
    return f"{n} bytes"
