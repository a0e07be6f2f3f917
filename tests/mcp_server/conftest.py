"""Fixtures for the MCP server: a corpus index on disk for `assistant mcp`, and the API's live servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.index.embedder import Embedder
from assistant.service import Assistant

# real uvicorn servers on loopback, as the API tests start them
from tests.api.conftest import corpus_server, serve  # noqa: F401
from tests.support import CORPUS, make_settings


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A data folder with corpus/ ingested and closed, for a server process of its own to open."""
    folder = tmp_path_factory.mktemp("mcp-corpus-index")
    assistant = Assistant(make_settings(folder), embedder=embedder)
    try:
        report = assistant.ingest([CORPUS])
        assert report.count("failed") == 0, report.items
    finally:
        assistant.close()
    return folder
