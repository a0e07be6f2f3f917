"""The HTTP service under load: start-up time to `/readyz`, then `/v1/ask` at several concurrencies.

The server is `assistant serve` in its own process on 127.0.0.1, over an index the benchmark built; the
load generator is an async httpx client in this process, bounded both in requests and in seconds.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .stats import latency_summary, rss_mb


def serve_available() -> bool:
    """Whether this checkout has the HTTP service that `assistant serve` runs."""
    # Asked of the API package, not of the CLI: the CLI imports bench, so bench never imports the CLI.
    return importlib.util.find_spec("assistant.api.server") is not None


@dataclass
class Server:
    """A running `assistant serve` process."""

    process: subprocess.Popen[bytes]
    base_url: str
    startup_seconds: float
    log_path: Path

    def rss_mb(self) -> float | None:
        return _tree_rss_mb(self.process.pid)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server and its workers have used so far."""
        import psutil

        try:
            process = psutil.Process(self.process.pid)
            processes = [process, *process.children(recursive=True)]
        except psutil.Error:
            return 0.0
        total = 0.0
        for each in processes:
            try:
                times = each.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                continue
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(
    global_options: Sequence[str],
    port: int,
    log_path: Path,
    env: dict[str, str] | None = None,
    timeout: float = 180.0,
) -> Server:
    """Start `assistant serve` and wait until `/readyz` answers 200; the wait is the start-up time."""
    # The CLI in a child process (what a user runs), so measuring it needs no import of the CLI here.
    command = [
        sys.executable,
        "-m",
        "assistant.cli",
        *global_options,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    environment = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        **(env or {}),
    }
    log = log_path.open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    log.close()
    base_url = f"http://127.0.0.1:{port}"
    deadline = started + timeout
    with httpx.Client(timeout=5.0) as client:
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"assistant serve exited with code {process.returncode}: {_tail(log_path)}"
                )
            try:
                if client.get(f"{base_url}/readyz").status_code == 200:
                    return Server(process, base_url, time.perf_counter() - started, log_path)
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"assistant serve was not ready within {timeout:.0f} s: {_tail(log_path)}")


@dataclass
class LoadResult:
    """One concurrency level: what the clients saw."""

    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    error_kinds: dict[str, int] = field(default_factory=dict)
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "requests": self.requests,
            "errors": self.errors,
            "error_kinds": self.error_kinds,
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(self.requests_per_second, 3),
            # Where the cores went: server and load-generator CPU per request, in milliseconds.
            "server_cpu_ms_per_request": round(1000 * self.server_cpu_seconds / max(1, self.requests), 2),
            "client_cpu_ms_per_request": round(1000 * self.client_cpu_seconds / max(1, self.requests), 2),
            **{k: round(v, 2) for k, v in latency_summary(self.latencies_ms).items()},
        }


def run_load(
    base_url: str, questions: Sequence[str], concurrency: int, max_requests: int, max_seconds: float
) -> LoadResult:
    """`concurrency` clients in a closed loop, each sending the next question as soon as it has an answer."""
    return asyncio.run(_load(base_url, list(questions), concurrency, max_requests, max_seconds))


async def _load(
    base_url: str, questions: list[str], concurrency: int, max_requests: int, max_seconds: float
) -> LoadResult:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    issued = 0
    started = time.perf_counter()
    deadline = started + max_seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(max(60.0, max_seconds))

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal issued
        while issued < max_requests and time.perf_counter() < deadline:
            question = questions[issued % len(questions)]
            issued += 1
            sent = time.perf_counter()
            try:
                response = await client.post("/v1/ask", json={"question": question})
                kind = None if response.status_code == 200 else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                kind = type(exc).__name__
            if kind is None:
                latencies.append((time.perf_counter() - sent) * 1000.0)
            else:
                errors[kind] = errors.get(kind, 0) + 1

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    return LoadResult(
        concurrency=concurrency,
        requests=len(latencies) + sum(errors.values()),
        errors=sum(errors.values()),
        seconds=seconds,
        latencies_ms=latencies,
        error_kinds=errors,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _tree_rss_mb(pid: int) -> float | None:
    """Resident memory of a process and its children (a server may run worker processes)."""
    import psutil

    try:
        process = psutil.Process(pid)
        children = process.children(recursive=True)
    except psutil.Error:
        return None
    total = rss_mb(pid) or 0.0
    for child in children:
        total += rss_mb(child.pid) or 0.0
    return total


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def http_phase(
    config: Any,
    settings: Any,
    corpus: Any,
    data_dir: Path,
    collection: str,
    workdir: Path,
    results: dict[str, Any],
    say: Any,
) -> None:
    """Start-up time over several starts, then load at each concurrency over the corpus index."""
    from .stats import figure

    if not serve_available():
        results["http"] = {"skipped": "`assistant serve` is not available in this checkout yet"}
        say("  HTTP: skipped (`assistant serve` is not available yet)")
        return
    options = [*config.server_options, "--data-dir", str(data_dir)]
    # Every request embeds its question (as a new question would); passages' sentence vectors stay cached,
    # as they are in a server that has been answering for a while (the warm-up pass fills that cache).
    env = {
        "ASSISTANT_LOG_LEVEL": "WARNING",
        "ASSISTANT_EMBEDDING__QUERY_CACHE_SIZE": "0",
        # One load generator is one client address: a per-client rate limit would measure the limiter.
        "ASSISTANT_SERVER__RATE_LIMIT": "off",
    }
    if settings.store.mode == "http":
        env["ASSISTANT_STORE__COLLECTION"] = collection
    startups: list[float] = []
    levels: dict[int, list[LoadResult]] = {c: [] for c in config.concurrency}
    memory: list[tuple[float | None, float | None]] = []
    for r in range(config.repeats):
        server = start_server(options, free_port(), workdir / f"server-{r}.log", env)
        try:
            startups.append(server.startup_seconds)
            say(f"  HTTP start {r + 1}: ready after {server.startup_seconds:.1f} s")
            # One unmeasured pass loads the model's lazy parts, the BM25 index and the caches.
            run_load(server.base_url, corpus.questions, 1, len(corpus.questions), config.http_seconds)
            before = server.rss_mb()
            for concurrency in config.concurrency:
                server_cpu, client_cpu = server.cpu_seconds(), _own_cpu_seconds()
                result = run_load(
                    server.base_url, corpus.questions, concurrency, config.http_requests, config.http_seconds
                )
                result.server_cpu_seconds = server.cpu_seconds() - server_cpu
                result.client_cpu_seconds = _own_cpu_seconds() - client_cpu
                levels[concurrency].append(result)
                say(
                    f"  HTTP c={concurrency}: {result.requests_per_second:.1f} req/s, "
                    f"p50 {latency_summary(result.latencies_ms)['p50']:.0f} ms, {result.errors} errors"
                )
            memory.append((before, server.rss_mb()))
        finally:
            server.stop()
    out: dict[str, Any] = {"startup_seconds": figure(startups, "s", 2), "levels": {}}
    for concurrency, runs in levels.items():
        summaries = [run.summary() for run in runs]
        out["levels"][str(concurrency)] = {
            "requests": sum(s["requests"] for s in summaries),
            "errors": sum(s["errors"] for s in summaries),
            "error_kinds": _merge([s["error_kinds"] for s in summaries]),
            "requests_per_second": figure([s["requests_per_second"] for s in summaries], "req/s", 2),
            **{p: figure([s[p] for s in summaries], "ms", 1) for p in ("p50", "p95", "p99")},
            "server_cpu_ms_per_request": figure([s["server_cpu_ms_per_request"] for s in summaries], "ms", 2),
            "client_cpu_ms_per_request": figure([s["client_cpu_ms_per_request"] for s in summaries], "ms", 2),
        }
    growth = [(after - before) / before for before, after in memory if before and after]
    out["rss_before_mb"] = figure([b for b, _ in memory if b], "MiB", 0)
    out["rss_after_mb"] = figure([a for _, a in memory if a], "MiB", 0)
    out["rss_growth"] = figure(growth, "", 4)
    results["http"] = out


def _merge(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for key, value in count.items():
            total[key] = total.get(key, 0) + value
    return total
