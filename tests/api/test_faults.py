"""Faults: a Chroma server that goes away gives 503 with a clear body, and the service recovers by itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import free_port, wait_for_chroma, write

pytestmark = pytest.mark.chroma_server

NOTE = """---
title: Harbour Lighting Ordinance
date: 2024-03-01
language: en
---

# Harbour Lighting Ordinance

## Article 2 Curfew

All decorative harbour lights must be switched off by 23:00 every night from April to October.
"""
QUESTION = "When must decorative harbour lights be switched off?"


class ChromaProcess:
    """A Chroma server of this test's own, so it can be stopped and started again on the same port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
        if not Path(chroma).exists():
            pytest.skip("the chroma command is not installed")
        self.command = [
            chroma,
            "run",
            "--path",
            str(folder / "data"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]

    def start(self) -> None:
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 - handed to the process
        self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for_chroma(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


@pytest.fixture
def chroma(tmp_path):
    server = ChromaProcess(tmp_path)
    server.start()
    yield server
    server.stop()


def test_store_down_is_503_and_the_service_recovers_by_itself(tmp_path, chroma, make_assistant, serve):
    assistant = make_assistant(store={"mode": "http", "port": chroma.port, "timeout": 3})
    assistant.ingest([write(tmp_path / "docs" / "harbour.md", NOTE)])
    live = serve(assistant)
    with live.client() as http:
        assert http.post("/v1/ask", json={"question": QUESTION}).json()["citations"]
        assert http.get("/readyz").json()["ready"] is True

        chroma.stop()
        for body in ({"question": QUESTION}, {"question": QUESTION, "stream": True}):
            down = http.post("/v1/ask", json=body)
            assert down.status_code == 503, down.text
            assert down.headers["retry-after"]
            error = down.json()["error"]
            assert error["code"] == "store_unavailable"
            assert "vector store is unavailable" in error["message"] and str(chroma.port) in error["message"]
        ready = http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["store_reachable"] is False
        assert http.get("/healthz").status_code == 200  # alive, just not ready
        assert http.get("/v1/documents").status_code == 200  # the catalog still answers

        chroma.start()  # same port, same data: no restart of the service
        assert http.get("/readyz").json()["ready"] is True
        answer = http.post("/v1/ask", json={"question": QUESTION})
        assert answer.status_code == 200 and "23:00" in answer.json()["text"]
        assert 'assistant_errors_total{type="store_unavailable"}' in http.get("/metrics").text
