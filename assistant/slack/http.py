"""The HTTP transport: one FastAPI route for Slack's events, interactivity and slash commands.

Slack signs every request; the signature and its timestamp are checked here, before anything else reads
the body, and a request that fails is answered 401. Verified requests go to the bolt app on a worker
thread, so the event loop never waits for Slack or for an answer.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response

from ..config import Settings
from ..service import Assistant
from .bot import SlackBot
from .credentials import SlackCredentials
from .signing import RequestSigner

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are a few kilobytes


def slack_router(bot: SlackBot, signer: RequestSigner, *, path: str = EVENTS_PATH) -> APIRouter:
    """A router with the one Request URL for the Slack app: events, interactivity and slash commands."""
    router = APIRouter(tags=["slack"])

    @router.post(path, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "request_too_large"}, status_code=413)
        if not signer.is_valid(body, request.headers):
            client = request.client.host if request.client else "-"
            log.warning(
                "rejected a request to %s with a missing, wrong or stale Slack signature from %s",
                path,
                client,
            )
            return JSONResponse({"error": "invalid_signature"}, status_code=401)
        try:
            bolt_request = to_bolt_request(request, body)
        except Exception:  # a signed body that is not the JSON or form Slack sends
            return JSONResponse({"error": "unreadable_payload"}, status_code=400)
        bolt_response = await run_in_threadpool(bot.app.dispatch, bolt_request)
        return to_starlette_response(bolt_response)

    return router


def create_slack_router(
    assistant: Assistant,
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
) -> APIRouter | None:
    """The Slack route for the HTTP service, or None when `SLACK_BOT_TOKEN` is not set (the bot is off).

    With a bot token but no `SLACK_SIGNING_SECRET` this is a configuration error: an unverified endpoint
    would accept forged requests.
    """
    credentials = SlackCredentials.from_environment(os.environ if environ is None else environ)
    if credentials is None:
        return None
    signer = RequestSigner(credentials.require_signing_secret(), clock=clock)
    bot = SlackBot(assistant, settings, credentials)
    router = slack_router(bot, signer)
    router.slack_bot = bot  # type: ignore[attr-defined]  # so the app (and tests) can close it
    log.info("Slack bot enabled at %s", EVENTS_PATH)
    return router
