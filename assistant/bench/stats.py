"""Measuring: figures with median and spread over repeats, latency percentiles, peak memory, the machine."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def figure(values: Iterable[float], unit: str = "", digits: int = 3) -> dict[str, Any]:
    """One reported figure: the median over repeats and its spread (min and max)."""
    data = [float(v) for v in values if v is not None and np.isfinite(v)]
    if not data:
        return {"median": None, "min": None, "max": None, "n": 0, "unit": unit}
    return {
        "median": round(float(np.median(data)), digits),
        "min": round(min(data), digits),
        "max": round(max(data), digits),
        "n": len(data),
        "unit": unit,
    }


def latency_summary(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 of one repeat's latencies, in milliseconds."""
    return {
        "p50": percentile(samples_ms, 50),
        "p95": percentile(samples_ms, 95),
        "p99": percentile(samples_ms, 99),
    }


class Stopwatch:
    """Wall-clock seconds of a `with` block (`elapsed` after it ends)."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.elapsed = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.started


@dataclass
class MemoryPeak:
    """Samples a process's resident memory in a thread: its value at the start and its peak."""

    pid: int | None = None
    interval: float = 0.02
    start_mb: float = 0.0
    peak_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemoryPeak:
        import psutil

        self._process = psutil.Process(self.pid or os.getpid())
        self.start_mb = self.peak_mb = self._rss_mb()
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, name="memory-peak", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_mb = max(self.peak_mb, self._rss_mb())

    @property
    def growth_mb(self) -> float:
        return self.peak_mb - self.start_mb

    def _rss_mb(self) -> float:
        with contextlib.suppress(Exception):  # the process may be gone
            return float(self._process.memory_info().rss) / 2**20
        return self.peak_mb

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, self._rss_mb())


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MiB (None when it cannot be read)."""
    import psutil

    try:
        return float(psutil.Process(pid).memory_info().rss) / 2**20
    except psutil.Error:
        return None


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on Linux
        return None


def machine() -> dict[str, Any]:
    """What the numbers were measured on: CPU, memory, load, library versions, commit."""
    import psutil

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in (
        "torch",
        "sentence-transformers",
        "transformers",
        "chromadb",
        "bm25s",
        "langchain-core",
        "langchain-huggingface",
        "langchain-chroma",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    try:
        import torch

        torch_threads: int | None = torch.get_num_threads()
    except ImportError:  # pragma: no cover - a hard dependency
        torch_threads = None
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "torch_threads": torch_threads,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_start": load_average(),
        "versions": versions,
        "commit": _git_commit(),
    }


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout.strip()
    return out.stdout.strip() + ("+dirty" if dirty else "")


@contextlib.contextmanager
def quiet_progress() -> Iterator[None]:
    """Keep library progress bars out of the benchmark's output."""
    previous = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = previous
