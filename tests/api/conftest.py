"""Fixtures for the HTTP service: real uvicorn servers on loopback over real indexes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from assistant.api import create_app
from assistant.config import Settings
from assistant.service import Assistant
from tests.support import free_port, make_settings

FLAGSHIP = "What penetration rate for intelligent terminals and agents does the AI+ plan target for 2027?"


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a background thread, serving one app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def client(self, key: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kwargs)


def server_settings(data_dir: Path, **server: Any) -> Settings:
    """Test settings with these `server` knobs (rate limit off unless given)."""
    server.setdefault("rate_limit", None)
    return make_settings(data_dir, server=server)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start servers for an assistant with given server settings; all are stopped after the test."""
    started: list[LiveServer] = []

    def start(assistant: Assistant, **server: Any) -> LiveServer:
        settings = server_settings(tmp_path / f"server-{len(started)}", **server)
        live = LiveServer(create_app(settings, assistant)).start()
        started.append(live)
        return live

    yield start
    for live in started:
        live.stop()


@pytest.fixture(scope="session")
def corpus_server(
    corpus_assistant: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server over the corpus index, shared by read-only tests (no keys, no rate limit)."""
    settings = server_settings(tmp_path_factory.mktemp("corpus-server"))
    live = LiveServer(create_app(settings, corpus_assistant)).start()
    yield live
    live.stop()


@pytest.fixture
def http(corpus_server: LiveServer) -> Iterator[httpx.Client]:
    with corpus_server.client() as client:
        yield client


def read_events(response: httpx.Response) -> Iterator[tuple[str, str]]:
    """(event, data) pairs of a server-sent-event stream, in order."""
    event, data = "message", []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
