"""The Slack front end: a slack-bolt app over the `Assistant`, served over HTTP or Socket Mode.

Names are imported on first use, so `assistant slack export-feedback` (and the CLI's start-up) do not load
the model or slack-bolt.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "EVENTS_PATH": "http",
    "AnswerRecord": "store",
    "FeedbackRecord": "store",
    "RequestSigner": "signing",
    "SlackBot": "bot",
    "SlackCredentials": "credentials",
    "SlackMessage": "blocks",
    "SlackStore": "store",
    "create_slack_router": "http",
    "feedback_cases": "export",
    "render_answer": "blocks",
    "run_socket_mode": "socket_mode",
    "slack_router": "http",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
