"""Shared fixtures: the real packaged embedding model, temporary indexes, a real Chroma server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.config import Settings, load_settings  # noqa: E402
from assistant.index.embedder import Embedder  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from tests.support import CORPUS, free_port, make_settings, wait_for_chroma  # noqa: E402


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real packaged all-MiniLM-L6-v2, loaded once for the whole run."""
    model = Embedder(load_settings(profile="test").embedding)
    model.embed_query("warm up")
    return model


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "index")


@pytest.fixture
def make_assistant(tmp_path: Path, embedder: Embedder) -> Iterator[Callable[..., Assistant]]:
    """Build assistants over temporary indexes that share the loaded model."""
    made: list[Assistant] = []

    def factory(data_dir: Path | None = None, **overrides: object) -> Assistant:
        folder = data_dir or tmp_path / f"index-{len(made)}"
        assistant = Assistant(make_settings(folder, **overrides), embedder=embedder)
        made.append(assistant)
        return assistant

    yield factory
    for assistant in made:
        assistant.close()


@pytest.fixture(scope="session")
def corpus_assistant(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Assistant]:
    """An assistant with the project's own corpus/ ingested (shared, read-only for tests)."""
    folder = tmp_path_factory.mktemp("corpus-index")
    assistant = Assistant(make_settings(folder), embedder=embedder)
    report = assistant.ingest([CORPUS])
    assert report.count("failed") == 0, report.items
    yield assistant
    assistant.close()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real Chroma server on loopback: the one CI started (CHROMA_TEST_PORT), else one started here."""
    given = os.environ.get("CHROMA_TEST_PORT")
    if given:
        yield "127.0.0.1", int(given)
        return
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(chroma).exists():
        pytest.skip("the chroma command is not installed")
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [chroma, "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_chroma(port)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
