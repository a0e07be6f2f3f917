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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
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
    asked: list[str] = field(default_factory=list, repr=False)  # every question sent, in order
    # (seconds since the start when the answer came, its latency in ms or None for an error)
    timeline: list[tuple[float, float | None]] = field(default_factory=list, repr=False)
    samples: list[tuple[float, float | None]] = field(default_factory=list, repr=False)  # (seconds, RSS MiB)

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
            "unique_questions": len(set(self.asked)),
        }


def run_load(
    base_url: str,
    questions: Sequence[str] | Iterator[str],
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    *,
    sample: Callable[[], float | None] | None = None,
    sample_every: float = 5.0,
) -> LoadResult:
    """`concurrency` clients in a closed loop, each sending the next question as soon as it has an answer.

    A sequence of questions is asked round and round (the repeated-question load); an iterator is asked
    once each, and the load ends when it runs out (distinct questions). `sample` (the server's memory) is
    called at the start, every `sample_every` seconds and at the end."""
    source: list[str] | Iterator[str] = list(questions) if isinstance(questions, Sequence) else questions
    return asyncio.run(_load(base_url, source, concurrency, max_requests, max_seconds, sample, sample_every))


async def _load(
    base_url: str,
    questions: list[str] | Iterator[str],
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    sample: Callable[[], float | None] | None = None,
    sample_every: float = 5.0,
) -> LoadResult:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    asked: list[str] = []
    timeline: list[tuple[float, float | None]] = []
    samples: list[tuple[float, float | None]] = []
    issued = 0
    started = time.perf_counter()
    deadline = started + max_seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(max(60.0, max_seconds))

    def next_question() -> str | None:
        if isinstance(questions, list):
            return questions[issued % len(questions)]
        return next(questions, None)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal issued
        while issued < max_requests and time.perf_counter() < deadline:
            question = next_question()
            if question is None:
                return
            issued += 1
            asked.append(question)
            sent = time.perf_counter()
            try:
                response = await client.post("/v1/ask", json={"question": question})
                kind = None if response.status_code == 200 else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                kind = type(exc).__name__
            done = time.perf_counter()
            if kind is None:
                latencies.append((done - sent) * 1000.0)
            else:
                errors[kind] = errors.get(kind, 0) + 1
            timeline.append((done - started, latencies[-1] if kind is None else None))

    async def sampler(read: Callable[[], float | None]) -> None:
        while True:
            samples.append((time.perf_counter() - started, read()))
            await asyncio.sleep(sample_every)

    sampling = asyncio.create_task(sampler(sample)) if sample is not None else None
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    if sampling is not None and sample is not None:
        sampling.cancel()
        samples.append((seconds, sample()))
    return LoadResult(
        concurrency=concurrency,
        requests=len(latencies) + sum(errors.values()),
        errors=sum(errors.values()),
        seconds=seconds,
        latencies_ms=latencies,
        error_kinds=errors,
        asked=asked,
        timeline=timeline,
        samples=samples,
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
    distinct: Iterator[str] | None = None,
) -> None:
    """Start-up time over several starts, then load at each concurrency over the corpus index; with
    `distinct` (questions never asked before, see distinct.py), the same load with distinct questions on a
    server started afresh, and the soak."""
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
        out["levels"][str(concurrency)] = _level_figures(runs)
    growth = [(after - before) / before for before, after in memory if before and after]
    out["rss_before_mb"] = figure([b for b, _ in memory if b], "MiB", 0)
    out["rss_after_mb"] = figure([a for _, a in memory if a], "MiB", 0)
    out["rss_growth"] = figure(growth, "", 4)
    results["http"] = out
    if distinct is not None:
        asked: list[str] = []
        out["distinct"] = distinct_phase(config, options, env, distinct, workdir, say, asked)
        if getattr(config, "soak_seconds", 0) > 0:
            rates = [v["requests_per_second"]["max"] for v in out["distinct"]["levels"].values()]
            rate = max([r for r in rates if r] or [20.0])
            out["soak"] = soak_phase(config, options, env, distinct, workdir, say, asked, rate)
        # Never repeated within the run: every question sent to the distinct phases, counted.
        out["distinct"]["questions"] = {
            "sent": len(asked),
            "unique": len(set(asked)),
            **(distinct.stats(asked) if hasattr(distinct, "stats") else {}),
        }


def _level_figures(runs: list[LoadResult]) -> dict[str, Any]:
    """One concurrency level over the repeats: the figures the repeated-question table shows."""
    from .stats import figure

    summaries = [run.summary() for run in runs]
    return {
        "requests": sum(s["requests"] for s in summaries),
        "errors": sum(s["errors"] for s in summaries),
        "error_kinds": _merge([s["error_kinds"] for s in summaries]),
        "unique_questions": sum(s["unique_questions"] for s in summaries),
        "requests_per_second": figure([s["requests_per_second"] for s in summaries], "req/s", 2),
        **{p: figure([s[p] for s in summaries], "ms", 1) for p in ("p50", "p95", "p99")},
        "server_cpu_ms_per_request": figure([s["server_cpu_ms_per_request"] for s in summaries], "ms", 2),
        "client_cpu_ms_per_request": figure([s["client_cpu_ms_per_request"] for s in summaries], "ms", 2),
    }


def _warm_up(server: Server, questions: Iterator[str], asked: list[str], n: int = 4) -> None:
    """Load the model's lazy parts and the BM25 index with a few distinct questions (never asked again),
    so that the first measured request is not a start-up: the caches stay cold for the questions to come."""
    result = run_load(server.base_url, questions, 1, n, 60.0)
    asked.extend(result.asked)


def distinct_phase(
    config: Any,
    options: Sequence[str],
    env: dict[str, str],
    questions: Iterator[str],
    workdir: Path,
    say: Any,
    asked: list[str],
) -> dict[str, Any]:
    """`/v1/ask` with questions never asked before in the run, at each concurrency, on a server started
    afresh for each repeat (cold caches); bounded like the repeated-question load."""
    from .stats import figure

    # The server as a user runs it: the query cache at its default (a question never comes twice anyway).
    env = {k: v for k, v in env.items() if k != "ASSISTANT_EMBEDDING__QUERY_CACHE_SIZE"}
    levels: dict[int, list[LoadResult]] = {c: [] for c in config.concurrency}
    memory: list[tuple[float | None, float | None]] = []
    level_memory: dict[int, list[tuple[float | None, float | None]]] = {c: [] for c in config.concurrency}
    for r in range(config.repeats):
        server = start_server(options, free_port(), workdir / f"server-distinct-{r}.log", env)
        try:
            _warm_up(server, questions, asked)
            before = server.rss_mb()
            for concurrency in config.concurrency:
                # Taken before the clock starts: generating a question costs about a millisecond.
                batch = list(islice(questions, config.http_requests))
                level_before = server.rss_mb()
                server_cpu, client_cpu = server.cpu_seconds(), _own_cpu_seconds()
                result = run_load(
                    server.base_url, iter(batch), concurrency, config.http_requests, config.http_seconds
                )
                result.server_cpu_seconds = server.cpu_seconds() - server_cpu
                result.client_cpu_seconds = _own_cpu_seconds() - client_cpu
                asked.extend(result.asked)
                levels[concurrency].append(result)
                level_memory[concurrency].append((level_before, server.rss_mb()))
                say(
                    f"  HTTP distinct c={concurrency}: {result.requests_per_second:.1f} req/s, "
                    f"p50 {latency_summary(result.latencies_ms)['p50']:.0f} ms, "
                    f"p95 {latency_summary(result.latencies_ms)['p95']:.0f} ms, {result.errors} errors"
                )
            memory.append((before, server.rss_mb()))
        finally:
            server.stop()
    out: dict[str, Any] = {"levels": {}}
    for concurrency, runs in levels.items():
        pairs = level_memory[concurrency]
        out["levels"][str(concurrency)] = {
            **_level_figures(runs),
            "rss_before_mb": figure([b for b, _ in pairs if b], "MiB", 0),
            "rss_after_mb": figure([a for _, a in pairs if a], "MiB", 0),
        }
    out["rss_before_mb"] = figure([b for b, _ in memory if b], "MiB", 0)
    out["rss_after_mb"] = figure([a for _, a in memory if a], "MiB", 0)
    out["rss_growth"] = figure([(a - b) / b for b, a in memory if b and a], "", 4)
    return out


def soak_phase(
    config: Any,
    options: Sequence[str],
    env: dict[str, str],
    questions: Iterator[str],
    workdir: Path,
    say: Any,
    asked: list[str],
    rate: float = 20.0,
) -> dict[str, Any]:
    """Distinct questions at `soak_concurrency` for `soak_seconds` on a fresh server, its memory sampled every
    `soak_sample_seconds`: does memory level off after the first minute, and do the tails stay put?"""
    seconds = float(config.soak_seconds)
    concurrency = int(getattr(config, "soak_concurrency", 8))
    every = float(getattr(config, "soak_sample_seconds", 5.0))
    env = {k: v for k, v in env.items() if k != "ASSISTANT_EMBEDDING__QUERY_CACHE_SIZE"}
    server = start_server(options, free_port(), workdir / "server-soak.log", env)
    try:
        _warm_up(server, questions, asked)
        # Questions generated ahead for twice the best distinct rate seen (`rate`, requests/s); past them,
        # more are generated as the load goes (about a millisecond of load-generator CPU each).
        ahead = list(islice(questions, int(seconds * 2 * rate) + 100))
        pool = _chain(ahead, questions)
        server_cpu, client_cpu = server.cpu_seconds(), _own_cpu_seconds()
        result = run_load(
            server.base_url, pool, concurrency, 10**9, seconds, sample=server.rss_mb, sample_every=every
        )
        result.server_cpu_seconds = server.cpu_seconds() - server_cpu
        result.client_cpu_seconds = _own_cpu_seconds() - client_cpu
        asked.extend(result.asked)
    finally:
        server.stop()
    out = soak_figures(result, seconds)
    memory = out["memory"]
    say(
        f"  soak c={concurrency}, {result.seconds:.0f} s: {result.requests_per_second:.1f} req/s, "
        f"p95 {out['p95']:.0f} ms, {result.errors} errors; memory {memory['start_mb']} → "
        f"{memory['end_mb']} MiB (max {memory['max_mb']}), growth after {memory['settle_seconds']:.0f} s "
        f"{memory['growth_after_first_minute']}"
    )
    return out


def soak_figures(result: LoadResult, planned_seconds: float) -> dict[str, Any]:
    """The soak's throughput, tails and memory series; "the first minute" is shortened to half the soak
    when the soak is shorter than two minutes (a smoke run), and says so."""
    from .stats import percentile

    settle = min(60.0, planned_seconds / 2)
    series = [(round(t, 1), round(m, 1)) for t, m in result.samples if m is not None]
    at_settle = next((m for t, m in series if t >= settle), series[-1][1] if series else None)
    after = [m for t, m in series if t >= settle]
    end = series[-1][1] if series else None
    late = [lat for t, lat in result.timeline if lat is not None and t >= settle]
    window = 60.0 if planned_seconds >= 300 else max(1.0, planned_seconds / 5)
    windows = []
    for k in range(int(result.seconds // window) + 1):
        lo, hi = k * window, (k + 1) * window
        done = [(t, lat) for t, lat in result.timeline if lo <= t < hi]
        if not done:
            continue
        ok = [lat for _, lat in done if lat is not None]
        rss = [m for t, m in series if lo <= t < hi]
        windows.append(
            {
                "start_s": round(lo, 1),
                "requests": len(done),
                "errors": len(done) - len(ok),
                "requests_per_second": round(len(done) / (min(hi, result.seconds) - lo), 2),
                "p50_ms": round(percentile(ok, 50), 1) if ok else None,
                "p95_ms": round(percentile(ok, 95), 1) if ok else None,
                "rss_max_mb": max(rss) if rss else None,
            }
        )
    summary = result.summary()
    return {
        "concurrency": result.concurrency,
        "seconds": round(result.seconds, 1),
        "planned_seconds": planned_seconds,
        "requests": result.requests,
        "errors": result.errors,
        "error_kinds": result.error_kinds,
        "unique_questions": summary["unique_questions"],
        "requests_per_second": summary["requests_per_second"],
        "p50": summary["p50"],
        "p95": summary["p95"],
        "p99": summary["p99"],
        "after_first_minute": {
            "requests": len(late),
            "p50": round(percentile(late, 50), 2) if late else None,
            "p95": round(percentile(late, 95), 2) if late else None,
            "p99": round(percentile(late, 99), 2) if late else None,
        },
        "server_cpu_ms_per_request": summary["server_cpu_ms_per_request"],
        "client_cpu_ms_per_request": summary["client_cpu_ms_per_request"],
        "memory": {
            "settle_seconds": settle,
            "start_mb": series[0][1] if series else None,
            "at_first_minute_mb": at_settle,
            "end_mb": end,
            "max_mb": max(m for _, m in series) if series else None,
            "growth_after_first_minute": round((end - at_settle) / at_settle, 4)
            if end and at_settle
            else None,
            "max_growth_after_first_minute": (
                round((max(after) - at_settle) / at_settle, 4) if after and at_settle else None
            ),
            "samples": series,  # (seconds since the start of the load, server RSS in MiB)
        },
        "windows": windows,
    }


def _chain(first: Iterable[str], then: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from then


def _merge(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for key, value in count.items():
            total[key] = total.get(key, 0) + value
    return total
