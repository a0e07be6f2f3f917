"""Fixtures for the Slack bot: a fake Slack on loopback and the bot's route served by uvicorn."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from assistant.config import Settings, SlackSettings
from assistant.service import Assistant
from assistant.slack.bot import SlackBot
from assistant.slack.http import EVENTS_PATH, create_slack_router
from tests.slack.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, SlackSender
from tests.support import free_port


class ServerThread:
    """A uvicorn server for an app, on a free loopback port, in a background thread."""

    def __init__(self, app: FastAPI, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class SlackStack:
    """A bot over the real Assistant, served over HTTP, talking to a fake Slack."""

    fake: FakeSlack
    sender: SlackSender
    bot: SlackBot
    settings: Settings


def slack_settings(base: Settings, fake: FakeSlack, store: Path, **overrides: Any) -> Settings:
    slack = SlackSettings(**{"api_base_url": fake.api_url, "store_path": store, **overrides})
    return base.model_copy(update={"slack": slack})


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def slack_stack(
    corpus_assistant: Assistant, fake_slack: FakeSlack, tmp_path: Path
) -> Iterator[Callable[..., SlackStack]]:
    """Start the bot's FastAPI route (via `create_slack_router`) with these `slack` settings."""
    opened: list[tuple[ServerThread, SlackBot]] = []

    def start(
        *,
        assistant: Assistant | None = None,
        clock: Callable[[], float] = time.time,
        secret: str = SIGNING_SECRET,
        **overrides: Any,
    ) -> SlackStack:
        service = assistant or corpus_assistant
        settings = slack_settings(service.settings, fake_slack, tmp_path / "slack.sqlite3", **overrides)
        environ = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": secret}
        router = create_slack_router(service, settings, environ=environ, clock=clock)
        assert router is not None
        app = FastAPI()
        app.include_router(router)
        server = ServerThread(app).__enter__()
        bot = router.slack_bot  # type: ignore[attr-defined]
        opened.append((server, bot))
        return SlackStack(fake_slack, SlackSender(server.url + EVENTS_PATH), bot, settings)

    yield start
    for server, bot in opened:
        server.__exit__(None, None, None)
        bot.close()
