"""The HTTP edge of the exception tree: every error becomes a JSON body a person (or an OpenAI client) can read.

The body has the shape OpenAI clients already parse::

    {"error": {"message": "...", "type": "invalid_request_error", "code": "validation_error",
               "param": "question", "request_id": "..."}}
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    AssistantError,
    BackendError,
    ConfigError,
    DocumentError,
    IndexMismatchError,
    InvalidInputError,
    NotFoundError,
    StoreUnavailableError,
)
from .admission import ClientGone, Overloaded

log = logging.getLogger(__name__)

STORE_RETRY_AFTER_SECONDS = 5

# status -> (OpenAI-style type, code) for errors raised as HTTPException
_HTTP_TYPES: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "bad_request"),
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", "insufficient_scope"),
    404: ("not_found_error", "not_found"),
    405: ("invalid_request_error", "method_not_allowed"),
    413: ("invalid_request_error", "request_too_large"),
    415: ("invalid_request_error", "unsupported_media_type"),
    422: ("invalid_request_error", "validation_error"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    503: ("service_unavailable", "service_unavailable"),
}


class ErrorDetail(BaseModel):
    message: str = Field(description="What went wrong and, where possible, what to change.")
    type: str = Field(description="Error class (OpenAI-compatible names), e.g. invalid_request_error.")
    code: str = Field(description="A stable machine-readable code, e.g. validation_error, not_found.")
    param: str | None = Field(None, description="The request field at fault, when there is one.")
    request_id: str | None = Field(None, description="The X-Request-ID of the request (also in the logs).")
    errors: list[dict[str, Any]] | None = Field(None, description="Each validation problem, for 422.")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


def error_response(
    request: Request,
    status: int,
    message: str,
    *,
    type_: str | None = None,
    code: str | None = None,
    param: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    default_type, default_code = _HTTP_TYPES.get(status, ("api_error", f"http_{status}"))
    detail = ErrorDetail(
        message=message,
        type=type_ or default_type,
        code=code or default_code,
        param=param,
        request_id=getattr(request.state, "request_id", None),
        errors=errors,
    )
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.observe_error(detail.code)
    return JSONResponse(ErrorBody(error=detail).model_dump(exclude_none=True), status, headers=headers)


def describe_validation_errors(errors: list[dict[str, Any]]) -> tuple[str, str | None, list[dict[str, Any]]]:
    """A readable sentence for pydantic's errors, the first field at fault, and a trimmed list."""
    parts: list[str] = []
    trimmed: list[dict[str, Any]] = []
    first_param: str | None = None
    for error in errors[:20]:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
        where = ".".join(loc)
        kind = error.get("type", "")
        if kind == "json_invalid":
            ctx = error.get("ctx") or {}
            position = loc[-1] if loc else "?"
            message = f"the request body is not valid JSON ({ctx.get('error', 'parse error')}, at character {position})"
            where = ""
        elif kind == "extra_forbidden":
            message = f"unknown field {where!r}; check its spelling against the API docs at /docs"
        elif kind in ("model_attributes_type", "dict_type") and not loc:
            message = "the request body must be a JSON object (and sent with Content-Type: application/json)"
        elif kind == "missing" and not loc:
            message = "the request body is empty; send a JSON object (see /docs for its fields)"
        elif kind == "missing":
            message = f"{where or 'body'}: this field is required"
        else:
            message = (
                f"{where}: {error.get('msg', 'invalid value')}" if where else error.get("msg", "invalid")
            )
        parts.append(message)
        first_param = first_param or where or None
        trimmed.append({"loc": loc, "message": message, "type": kind})
    return "; ".join(parts) or "the request is invalid", first_param, trimmed


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message, param, details = describe_validation_errors(list(exc.errors()))
    return error_response(request, 422, message, param=param, errors=details)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return error_response(request, exc.status_code, message, headers=getattr(exc, "headers", None))


def assistant_error_status(exc: AssistantError) -> tuple[int, str, str]:
    if isinstance(exc, InvalidInputError):
        return 422, "invalid_request_error", "invalid_input"
    if isinstance(exc, NotFoundError):
        return 404, "not_found_error", "not_found"
    if isinstance(exc, StoreUnavailableError):
        return 503, "service_unavailable", "store_unavailable"
    if isinstance(exc, IndexMismatchError):
        return 503, "service_unavailable", "index_mismatch"
    if isinstance(exc, DocumentError):
        return 422, "invalid_request_error", "document_error"
    if isinstance(exc, BackendError):
        return 502, "api_error", "backend_error"
    if isinstance(exc, ConfigError):
        return 503, "service_unavailable", "misconfigured"
    return 400, "invalid_request_error", "assistant_error"


async def _assistant_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AssistantError)
    status, type_, code = assistant_error_status(exc)
    headers = None
    message = str(exc)
    if status == 503:
        headers = {"Retry-After": str(STORE_RETRY_AFTER_SECONDS)}
        if code == "store_unavailable":
            message = f"the vector store is unavailable; retry shortly ({exc})"
        log.warning("%s: %s", code, exc)
    return error_response(request, status, message, type_=type_, code=code, headers=headers)


async def _overloaded(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Overloaded)
    return error_response(
        request,
        503,
        str(exc),
        type_="service_unavailable",
        code="overloaded",
        headers={"Retry-After": str(exc.retry_after)},
    )


async def _client_gone(request: Request, exc: Exception) -> JSONResponse:
    # Nobody reads this; the status (nginx's 499) is what the access log and the metrics show.
    return error_response(request, 499, str(exc), type_="api_error", code="client_closed_request")


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error serving %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        request,
        500,
        "an unexpected error occurred; please report it with the request id",
        type_="api_error",
        code="internal_error",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(AssistantError, _assistant_error)
    app.add_exception_handler(Overloaded, _overloaded)
    app.add_exception_handler(ClientGone, _client_gone)
    app.add_exception_handler(Exception, _unexpected_error)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or unknown API key (only when keys are configured)."},
    403: {"model": ErrorBody, "description": "The key lacks the scope this route needs."},
    422: {"model": ErrorBody, "description": "The request is invalid; the message says what to change."},
    429: {"model": ErrorBody, "description": "Rate limit exceeded; retry after `Retry-After` seconds."},
    503: {
        "model": ErrorBody,
        "description": "The vector store is unreachable (`store_unavailable`), or answers are queued past "
        "`server.max_queued_answers` or `server.max_queue_wait_seconds` (`overloaded`; answer routes only); "
        "retry after `Retry-After` seconds.",
    },
}
