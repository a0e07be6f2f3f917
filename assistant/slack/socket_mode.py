"""The Socket Mode transport: the bot connects out to Slack over a WebSocket, so no public URL is needed."""

from __future__ import annotations

import logging
import threading

from slack_bolt.adapter.socket_mode import SocketModeHandler

from ..config import Settings
from ..service import Assistant
from .bot import SlackBot
from .credentials import SlackCredentials

log = logging.getLogger(__name__)


def run_socket_mode(
    assistant: Assistant, settings: Settings, credentials: SlackCredentials, *, stop: threading.Event
) -> None:
    """Serve Slack over Socket Mode until `stop` is set, then disconnect and finish the answers in flight."""
    app_token = credentials.require_app_token()
    bot = SlackBot(assistant, settings, credentials)
    handler = SocketModeHandler(bot.app, app_token=app_token, web_client=bot.client)
    try:
        handler.connect()
        log.info("connected to Slack in Socket Mode; waiting for questions")
        stop.wait()
        log.info("disconnecting from Slack")
    finally:
        handler.close()
        bot.close()
