"""`assistant serve` as a real process: says where to point the browser, becomes ready, logs JSON lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant.service import Assistant
from tests.support import free_port, make_settings, write

pytestmark = pytest.mark.slow

NOTE = """# Harbour Lighting Ordinance

## Article 2 Curfew

All decorative harbour lights must be switched off by 23:00 every night from April to October.
"""
QUESTION = "When must decorative harbour lights be switched off?"
ASSISTANT = str(Path(sys.executable).parent / "assistant")


def _index(tmp_path: Path, embedder, **overrides) -> Path:
    data_dir = tmp_path / "index"
    assistant = Assistant(make_settings(data_dir, **overrides), embedder=embedder)
    assistant.ingest([write(tmp_path / "docs" / "harbour.md", NOTE)])
    assistant.close()
    return data_dir


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_PROFILE="test", ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_LOG_LEVEL="INFO", **extra
    )
    return env


class Collector:
    """Reads a process's output in the background so a full pipe never blocks it."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        for line in iter(stream.readline, ""):
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared in: {self.lines[-20:]}")
            time.sleep(0.1)


def _start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], Collector, Collector]:
    process = subprocess.Popen(
        [ASSISTANT, "serve", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return process, Collector(process.stdout), Collector(process.stderr)


def _wait_ready(url: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url + "/readyz", timeout=5)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server never became ready")


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def test_serve_announces_the_url_answers_and_logs_json(tmp_path, embedder):
    data_dir = _index(tmp_path, embedder)
    port = free_port()
    process, out, err = _start(["--port", str(port)], _environment(data_dir))
    url = f"http://127.0.0.1:{port}"
    try:
        out.wait_for(f"Open {url}/ in a browser")
        ready = _wait_ready(url)
        assert ready == {"ready": True, "model_loaded": True, "store_reachable": True, "documents": 1}
        with httpx.Client(base_url=url, timeout=60) as http:
            answer = http.post(
                "/v1/ask", json={"question": QUESTION}, headers={"X-Request-ID": "serve-test-1"}
            )
            assert "23:00" in answer.json()["text"]
            assert http.get("/").text.startswith("<!doctype html>")
            assert "Policy Assistant" in http.get("/docs").text
    finally:
        code = _stop(process)
    err.thread.join(timeout=10)  # the last lines (the final "stopped") may still be in the pipe
    assert code == 0, err.lines[-20:]
    records = [json.loads(line) for line in err.lines if line.startswith("{")]
    access = [r for r in records if r.get("request_id") == "serve-test-1"]
    assert access and access[0]["path"] == "/v1/ask" and access[0]["status"] == 200
    unstructured = [line for line in err.lines if line.strip() and not line.startswith("{")]
    assert unstructured == ["stopped"], unstructured


def test_several_workers_need_a_chroma_server(tmp_path, embedder):
    data_dir = _index(tmp_path, embedder)
    result = subprocess.run(
        [ASSISTANT, "serve", "--workers", "2", "--port", str(free_port())],
        env=_environment(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "several workers cannot share an embedded Chroma store" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.chroma_server
def test_two_workers_over_a_chroma_server(tmp_path, embedder, chroma_server):
    host, chroma_port = chroma_server
    store = {"mode": "http", "host": host, "port": chroma_port, "collection": f"serve_{tmp_path.name[-20:]}"}
    data_dir = _index(tmp_path, embedder, store=store)
    env = _environment(
        data_dir,
        ASSISTANT_STORE__MODE="http",
        ASSISTANT_STORE__PORT=str(chroma_port),
        ASSISTANT_STORE__COLLECTION=store["collection"],
    )
    port = free_port()
    process, out, err = _start(["--port", str(port), "--workers", "2"], env)
    url = f"http://127.0.0.1:{port}"
    try:
        out.wait_for("(2 workers)")
        _wait_ready(url, timeout=180)
        with httpx.Client(base_url=url, timeout=60) as http:
            for _ in range(4):
                assert "23:00" in http.post("/v1/ask", json={"question": QUESTION}).json()["text"]
    finally:
        _stop(process)
