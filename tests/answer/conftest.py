"""Fixtures for backend tests: one scripted OpenAI-compatible server per session, reset for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.answer.backends.fake_openai import FakeOpenAI


@pytest.fixture(scope="session")
def _fake_openai_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(_fake_openai_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """The scripted server with an empty script and no recorded requests."""
    _fake_openai_server.reset()
    yield _fake_openai_server
    _fake_openai_server.reset()
