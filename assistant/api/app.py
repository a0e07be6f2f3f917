"""The app factory: one `Assistant` shared by thin routers, with auth, limits, metrics and the web page."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..config import Settings, load_settings
from ..mcp.http import MCP_PATH, McpEndpoint
from ..service import Assistant
from ..slack.http import create_slack_router
from .admission import AnswerGate
from .body_limit import BodyLimitMiddleware
from .errors import install_error_handlers
from .metrics import Metrics
from .observability import RequestContextMiddleware
from .routes import answers, documents, feedback, openai, operations, web
from .security import KeyRing, RateLimiter

log = logging.getLogger(__name__)

DESCRIPTION = """
Answers questions about policy documents; every sentence of an answer cites the exact passage it came
from, and the assistant abstains when the documents do not answer.

**Authentication.** When `server.api_keys` is configured, every `/v1` route needs
`Authorization: Bearer KEY`. Keys with the `read` scope may ask, chat and read documents and passages;
`admin` keys may also upload and delete documents. Requests are rate-limited per key (429 with
`Retry-After`). `/healthz`, `/readyz`, `/metrics` and the web page at `/` are open.

**Load.** A few answers are computed at once (`server.max_concurrent_answers`); the others wait their turn,
first come first served. When too many wait (`server.max_queued_answers`) or one waits too long
(`server.max_queue_wait_seconds`), the answer routes reply 503 (`code: overloaded`) with `Retry-After`.

**MCP.** The same service is a Model Context Protocol server at `/mcp` (Streamable HTTP), behind the same
keys (read scope): tools `ask`, `search`, `get_passage`, `list_documents`, `check_claim`, and each document as
a resource `policy://documents/{id}`.

**Errors** are JSON: `{"error": {"message", "type", "code", "param", "request_id"}}`. Every response carries
an `X-Request-ID` header (send your own to correlate logs).
"""

TAGS = [
    {"name": "answers", "description": "Questions and conversations, answered with verified citations."},
    {"name": "openai-compatible", "description": "The OpenAI chat-completions format, with citations."},
    {"name": "documents", "description": "What is indexed: list, upload, delete; passages as evidence."},
    {"name": "operations", "description": "Health, readiness and Prometheus metrics."},
    {"name": "web page", "description": "Support for the chat page served at `/`."},
    {"name": "feedback", "description": "👍/👎 on answers, exported with Slack's as candidate eval cases."},
]


def create_app(
    settings: Settings | None = None,
    assistant: Assistant | None = None,
    *,
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """Build the HTTP service around `assistant` (built from `settings` when not given).

    `routers` are included as well, so other front ends (the Slack bot, ...) can mount their routes and
    reach the same service through `request.app.state.assistant`.
    """
    if settings is None:
        settings = assistant.settings if assistant is not None else load_settings()
    server = settings.server
    owned = assistant is None
    service = assistant if assistant is not None else Assistant(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Load the model in the background: /healthz answers at once, /readyz turns ready when loaded.
        warm_up = asyncio.create_task(asyncio.to_thread(_warm_up, service))
        try:
            async with mcp.running():
                yield
        finally:
            if not warm_up.done():
                await asyncio.wait([warm_up], timeout=30)
            feedback.close_feedback_store(app)
            if owned:
                service.close()

    app = FastAPI(
        title="Policy Assistant",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        servers=[{"url": server.public_url}] if server.public_url else None,
    )
    app.state.settings = settings
    app.state.assistant = service
    gate = AnswerGate.from_settings(server)
    metrics = Metrics(service.fallback_counts, cache_stats=service.cache_stats, gate_stats=gate.stats)
    gate.on_wait = metrics.queue_wait.observe
    app.state.metrics = metrics
    # answers wait their turn here (at most server.max_concurrent_answers at once; assistant/api/admission.py)
    app.state.answer_gate = gate
    app.state.keys = KeyRing(server.api_keys)
    app.state.rate_limiter = RateLimiter(server)

    install_error_handlers(app)
    app.include_router(operations.router)
    app.include_router(answers.router)
    app.include_router(openai.router)
    app.include_router(documents.router)
    app.include_router(documents.upload_router)
    app.include_router(web.router)
    app.include_router(feedback.router)
    # the MCP server over Streamable HTTP, behind the same keys (assistant/mcp/http.py)
    mcp = McpEndpoint(service, server, gate)
    app.router.add_route(MCP_PATH, mcp, include_in_schema=False)
    for router in routers:
        app.include_router(router)
    slack = create_slack_router(service, settings)  # /slack/events when SLACK_BOT_TOKEN is set
    if slack is not None:
        app.include_router(slack)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")

    if server.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=server.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After", feedback.ANSWER_ID_HEADER],
        )
    upload_limit = int(server.max_upload_mb * 1024 * 1024) + documents.MULTIPART_OVERHEAD
    app.add_middleware(
        BodyLimitMiddleware,
        default=server.max_body_kb * 1024,
        overrides={
            ("POST", "/v1/documents"): (
                upload_limit,
                f"the file is larger than the upload limit of {server.max_upload_mb:g} MiB",
            )
        },
    )
    # outermost, so every response (errors, CORS preflights, 413s) carries a request id and is counted
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    return app


def _warm_up(service: Assistant) -> None:
    try:
        service.warm_up()
    except Exception as exc:  # readiness reports the problem; the next request retries the load
        log.warning("warm-up failed: %s", exc)
