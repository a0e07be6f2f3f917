"""Peak memory of one ingest in a fresh process, so that what other measurements loaded does not count.

`python -m assistant.bench.memory {ours|baseline} CORPUS WORKDIR [--config FILE] [--profile NAME]` loads the
model, then ingests and prints one JSON line: resident memory before the ingest, its peak during it, and
the seconds it took.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .stats import MemoryPeak


def measure(
    kind: str, corpus: Path, workdir: Path, options: Sequence[str], timeout: float = 3600
) -> dict[str, Any]:
    """Run one probe in a child process and return what it printed."""
    command = [sys.executable, "-m", "assistant.bench.memory", kind, str(corpus), str(workdir), *options]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"memory probe {kind} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ours(corpus: Path, workdir: Path, settings: Any) -> tuple[float, float, float]:
    from ..index.embedder import Embedder
    from ..service import Assistant
    from .contenders import run_settings

    embedder = Embedder(settings.embedding)
    embedder.embed_query("warm up")
    assistant = Assistant(run_settings(settings, workdir / "memory-ours"), embedder=embedder)
    with MemoryPeak() as memory:
        started = time.perf_counter()
        assistant.ingest([corpus])
        seconds = time.perf_counter() - started
    return memory.start_mb, memory.peak_mb, seconds


def _baseline(corpus: Path, workdir: Path, settings: Any) -> tuple[float, float, float]:
    from .contenders import LangChainBaseline
    from .corpus import BenchCorpus

    baseline = LangChainBaseline(settings)
    baseline.embeddings.embed_query("warm up")
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and not p.name.startswith("."))
    result, _ = baseline.ingest(
        BenchCorpus("probe", "folder", corpus, corpus, files, [], 0), workdir / "memory-lc"
    )
    return result.peak_mb - result.growth_mb, result.peak_mb, result.seconds


def main(argv: Sequence[str]) -> None:
    import click

    @click.command()
    @click.argument("kind", type=click.Choice(["ours", "baseline"]))
    @click.argument("corpus", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.argument("workdir", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--config")
    @click.option("--profile")
    def probe(kind: str, corpus: Path, workdir: Path, config: str | None, profile: str | None) -> None:
        from ..config import load_settings
        from .stats import quiet_progress

        settings = load_settings(config, profile)
        with quiet_progress():
            start, peak, seconds = (_ours if kind == "ours" else _baseline)(corpus, workdir, settings)
        print(json.dumps({"start_mb": start, "peak_mb": peak, "seconds": seconds}))

    probe.main(list(argv), standalone_mode=True)


if __name__ == "__main__":
    main(sys.argv[1:])
