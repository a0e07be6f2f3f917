"""One benchmark run: ingest side by side, re-ingest, query latency by index size, the encoder in fp32 against
int8, then the HTTP service."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..index.embedder import Embedder
from ..service import Assistant
from .contenders import BareEncoder, LangChainBaseline, drop_index, ingest_ours
from .corpus import DEFAULT_CORPUS, BenchCorpus, prepare_corpus
from .latency import Samples, ask_questions, summarize
from .report import evaluate_targets
from .stats import figure, load_average, machine, quiet_progress
from .tiers import build_index, collect_material

log = logging.getLogger(__name__)

PHASES = ("ingest", "query", "http", "precision")


@dataclass
class BenchConfig:
    """What to run and how often."""

    corpus: Path = DEFAULT_CORPUS
    max_docs: int | None = None
    questions: int | None = None
    repeats: int = 3
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    phases: tuple[str, ...] = PHASES
    baseline: bool = True
    concurrency: tuple[int, ...] = (1, 8, 32)
    http_requests: int = 160
    http_seconds: float = 90.0
    server_options: list[str] = field(default_factory=list)  # global CLI options for `assistant serve`
    sentence_vectors: bool = True  # also measure an ingest with ingest.sentence_vectors on
    distinct: bool = True  # HTTP load with questions generated from the corpus, never repeated (distinct.py)
    question_seed: int = 13
    soak_seconds: float = 300.0  # distinct questions at soak_concurrency on a fresh server; 0: no soak
    soak_concurrency: int = 8
    soak_sample_seconds: float = 5.0  # the server's memory, sampled this often during the soak
    precision_texts: int = 1000  # chunk texts encoded per precision in the fp32-against-int8 phase
    keep: bool = False
    smoke: bool = False

    @classmethod
    def for_smoke(cls, corpus: Path, **overrides: Any) -> BenchConfig:
        """A run of seconds that goes through every code path (CI runs it so the command cannot rot)."""
        values: dict[str, Any] = {
            "corpus": corpus,
            # Enough documents that the distinct questions outlast the 4-second soak: the 3 smallest gave ~230
            # questions, which a quiet machine answered in 1.8 s at 112 requests/s.
            "max_docs": 8,
            "questions": 3,
            "repeats": 1,
            "sizes": (20, 300),
            "concurrency": (1, 4),
            "http_requests": 8,
            "http_seconds": 30.0,
            "soak_seconds": 4.0,
            "soak_sample_seconds": 1.0,
            "smoke": True,
            "precision_texts": 32,
        }
        values.update(overrides)
        return cls(**values)


Log = Callable[[str], None]


def run(config: BenchConfig, settings: Settings, say: Log = print) -> dict[str, Any]:
    """Run the configured phases and return every figure (see `report.render_markdown`)."""
    workdir = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": _config_json(config, settings),
    }
    try:
        with quiet_progress():
            _run(config, settings, workdir, results, say)
    finally:
        results["machine"]["load_average_end"] = load_average()
        results["targets"] = evaluate_targets(results)
        if config.keep:
            say(f"kept the scratch folder {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def _run(config: BenchConfig, settings: Settings, workdir: Path, results: dict[str, Any], say: Log) -> None:
    corpus = prepare_corpus(
        config.corpus, workdir, settings, max_docs=config.max_docs, questions=config.questions
    )
    results["corpus"] = {
        "name": corpus.name,
        "kind": corpus.kind,
        "source": str(corpus.source),
        "documents": len(corpus.files),
        "megabytes": round(corpus.bytes / 2**20, 2),
        "questions": len(corpus.questions),
        "changed_document": corpus.changed_document().name,
    }
    say(f"corpus: {len(corpus.files)} documents, {corpus.bytes / 2**20:.1f} MB from {corpus.source}")
    embedder = Embedder(settings.embedding)
    embedder.embed_query("warm up")
    bare = BareEncoder(settings)
    bare.encode(["warm up"])
    assistant: Assistant | None = None
    try:
        if "ingest" in config.phases or "query" in config.phases or "http" in config.phases:
            assistant = _ingest_phase(config, settings, corpus, embedder, bare, workdir, results, say)
        if "query" in config.phases:
            _query_phase(config, settings, corpus, embedder, bare, assistant, workdir, results, say)
        if "precision" in config.phases:
            from .precision import precision_phase

            precision_phase(config, settings, corpus, embedder, results, say)
        if "http" in config.phases:
            from .http import http_phase

            assert assistant is not None
            data_dir = assistant.settings.data_dir
            collection = assistant.settings.store.collection
            distinct = None
            if config.distinct:
                from .distinct import DistinctQuestions

                distinct = DistinctQuestions(assistant.index.catalog.chunk_rows(), seed=config.question_seed)
            assistant.close()
            http_phase(config, settings, corpus, data_dir, collection, workdir, results, say, distinct)
    finally:
        if assistant is not None:
            drop_index(assistant)


# --- ingest -----------------------------------------------------------------------------------------------


def _ingest_phase(
    config: BenchConfig,
    settings: Settings,
    corpus: BenchCorpus,
    embedder: Embedder,
    bare: BareEncoder,
    workdir: Path,
    results: dict[str, Any],
    say: Log,
) -> Assistant:
    """Ours, the bare-encode ceiling and the LangChain baseline, in rotating order within each repeat."""
    measure = "ingest" in config.phases
    baseline = LangChainBaseline(settings) if config.baseline and measure else None
    if baseline is not None:
        baseline.embeddings.embed_query("warm up")
    repeats = config.repeats if measure else 1
    rows: list[dict[str, Any]] = []
    passes: list[Samples] = []
    texts: list[str] = []
    assistant: Assistant | None = None
    for r in range(repeats):
        order = ["ours", "limit", "baseline", "sentences"]
        order = order[r % 4 :] + order[: r % 4]  # repeat 0 starts with ours: the ceiling needs its texts
        row: dict[str, Any] = {}
        store = None
        for name in order:
            if name == "ours":
                if assistant is not None:
                    drop_index(assistant)
                ours, assistant = ingest_ours(corpus, settings, embedder, workdir / f"ours-{r}")
                texts = ours.texts
                row["ours"] = ours
                say(
                    f"  repeat {r + 1}: ours {ours.seconds:.1f} s ({ours.chunks} chunks, "
                    f"{ours.embed_seconds / ours.seconds:.0%} embedding); re-ingest {ours.unchanged_seconds:.2f} s "
                    f"unchanged, {ours.changed_seconds:.2f} s one document changed"
                )
                if not measure:
                    break
            elif name == "limit" and measure:
                row["limit"], _ = bare.encode(texts)
                row["limit_runtime"] = bare.encode_runtime(texts)
                runtime = (
                    f", bare {bare.backend} {row['limit_runtime']:.1f} s" if row["limit_runtime"] else ""
                )
                say(f"  repeat {r + 1}: bare SentenceTransformer.encode {row['limit']:.1f} s{runtime}")
            elif name == "baseline" and baseline is not None:
                row["baseline"], store = baseline.ingest(corpus, workdir / f"baseline-{r}")
                say(
                    f"  repeat {r + 1}: LangChain {row['baseline'].seconds:.1f} s ({row['baseline'].chunks} chunks)"
                )
            elif name == "sentences" and measure and config.sentence_vectors:
                other = "encoded" if settings.ingest.sentence_vectors == "off" else "off"
                with_sentences = settings.model_copy(
                    update={"ingest": settings.ingest.model_copy(update={"sentence_vectors": other})},
                    deep=True,
                )
                row["sentences"], ahead = ingest_ours(corpus, with_sentences, embedder, workdir / f"sv-{r}")
                say(f"  repeat {r + 1}: ours with sentence_vectors {other} {row['sentences'].seconds:.1f} s")
                row["sentences_pass"] = ask_questions(ahead, bare, corpus.questions)
                row["sentences_stored"] = ahead.index.sentences.count() if ahead.index.sentences else 0
                drop_index(ahead)
        rows.append(row)
        if measure:
            assert assistant is not None
            passes.append(
                ask_questions(
                    assistant,
                    bare,
                    corpus.questions,
                    baseline=(baseline, store) if store is not None else None,
                )
            )
            store = None
            shutil.rmtree(workdir / f"baseline-{r}", ignore_errors=True)
    assert assistant is not None
    if measure:
        results["ingest"] = _ingest_figures(rows, texts, embedder, bare)
        results["ingest"]["memory"] = _memory(config, corpus, workdir, say)
        results["query_corpus"] = _corpus_query_figures(passes, assistant.index.count())
        if any("sentences" in row for row in rows):
            results["sentence_vectors"] = _sentence_figures(rows, settings.ingest.sentence_vectors)
    return assistant


def _sentence_figures(rows: list[dict[str, Any]], default: str) -> dict[str, Any]:
    """The cost (ingest time) and the cold answers of the other ingest.sentence_vectors setting (`off` beside
    the default `pooled`; `encoded` beside `off`), per repeat."""
    done = [row for row in rows if "sentences" in row]
    passes = [row["sentences_pass"] for row in done]
    answer = summarize(passes)
    return {
        "setting": "encoded" if default == "off" else "off",
        "default_setting": default,
        "ingest_seconds": figure([row["sentences"].seconds for row in done], "s"),
        "ingest_vs_plain": figure([row["sentences"].seconds / row["ours"].seconds for row in done], "", 3),
        "sentences_stored": done[0]["sentences_stored"],
        "retrieve": answer.get("retrieve"),
        "answer_cold": answer.get("answer_cold"),
        "answer_warm": answer.get("answer_warm"),
        "answer_vs_retrieve": _pass_ratio(passes, "answer_cold", "retrieve"),
    }


def _ingest_figures(
    rows: list[dict[str, Any]], texts: list[str], embedder: Embedder, bare: BareEncoder
) -> dict[str, Any]:
    special = embedder.special_tokens
    limit_len = embedder.max_seq_length
    ours_tokens = sum(min(n + special, limit_len) for n in embedder.count_tokens(texts))
    ours = [row["ours"] for row in rows]
    out: dict[str, Any] = {
        "ours": {
            "seconds": figure([o.seconds for o in ours], "s"),
            "documents": ours[0].documents,
            "chunks": ours[0].chunks,
            "tokens": ours_tokens,
            "documents_per_second": figure([o.documents / o.seconds for o in ours], "doc/s"),
            "chunks_per_second": figure([o.chunks / o.seconds for o in ours], "chunk/s"),
            "tokens_per_second": figure([ours_tokens / o.seconds for o in ours], "token/s", 0),
            "embedding_share": figure([o.embed_seconds / o.seconds for o in ours], "", 3),
            "embedding_seconds": figure([o.embed_seconds for o in ours], "s"),
            "other_seconds": figure([o.seconds - o.embed_seconds for o in ours], "s"),
            "peak_rss_mb": figure([o.peak_mb for o in ours], "MiB", 0),
            "rss_growth_mb": figure([o.growth_mb for o in ours], "MiB", 0),
        },
        "reingest": {
            "unchanged_seconds": figure([o.unchanged_seconds for o in ours], "s"),
            "unchanged_fraction": figure([o.unchanged_seconds / o.seconds for o in ours], "", 4),
            "one_changed_seconds": figure([o.changed_seconds for o in ours], "s"),
            "one_changed_fraction": figure([o.changed_seconds / o.seconds for o in ours], "", 4),
            "one_changed_chunks_embedded": ours[0].changed_chunks,
            "one_changed_document_chunks": ours[0].changed_document_chunks,
        },
    }
    limits = [(row["limit"], row["ours"]) for row in rows if "limit" in row]
    if limits:
        out["limit"] = {
            "runtime": "sentence-transformers",
            "seconds": figure([s for s, _ in limits], "s"),
            "chunks_per_second": figure([len(texts) / s for s, _ in limits], "chunk/s"),
            "tokens_per_second": figure([ours_tokens / s for s, _ in limits], "token/s", 0),
            "batch_size": bare.batch_size,
        }
        # Throughput fraction = limit time / our time, taken within each repeat (side by side).
        out["ours_vs_st_limit"] = figure([s / o.seconds for s, o in limits], "", 3)
        out["ours_vs_limit"] = out["ours_vs_st_limit"]
        runtime = [(row["limit_runtime"], row["ours"]) for row in rows if row.get("limit_runtime")]
        if runtime:
            out["limit_runtime"] = {
                "backend": bare.backend,
                "seconds": figure([s for s, _ in runtime], "s"),
                "chunks_per_second": figure([len(texts) / s for s, _ in runtime], "chunk/s"),
                "tokens_per_second": figure([ours_tokens / s for s, _ in runtime], "token/s", 0),
            }
            # The ceiling for our ingest is the runtime it actually uses.
            out["ours_vs_limit"] = figure([s / o.seconds for s, o in runtime], "", 3)
    baselines = [(row["baseline"], row["ours"]) for row in rows if "baseline" in row]
    if baselines:
        first = baselines[0][0]
        counts = embedder.count_tokens(first.texts)
        base_tokens = sum(min(n + special, limit_len) for n in counts)
        out["baseline"] = {
            "seconds": figure([b.seconds for b, _ in baselines], "s"),
            "chunks": first.chunks,
            "tokens": base_tokens,
            "chunks_per_second": figure([b.chunks / b.seconds for b, _ in baselines], "chunk/s"),
            "tokens_per_second": figure([base_tokens / b.seconds for b, _ in baselines], "token/s", 0),
            "peak_rss_mb": figure([b.peak_mb for b, _ in baselines], "MiB", 0),
            "rss_growth_mb": figure([b.growth_mb for b, _ in baselines], "MiB", 0),
        }
        out["ours_vs_baseline"] = figure([o.seconds / b.seconds for b, o in baselines], "", 3)
    return out


def _memory(config: BenchConfig, corpus: BenchCorpus, workdir: Path, say: Log) -> dict[str, Any]:
    """Peak memory of an ingest in a fresh process (model loaded first), for ours and the baseline."""
    from .memory import measure

    out: dict[str, Any] = {}
    for kind in ("ours", "baseline") if config.baseline else ("ours",):
        try:
            probe = measure(kind, corpus.root, workdir, config.server_options)
        except (RuntimeError, OSError, ValueError) as exc:  # report it; the other figures still stand
            out[kind] = {"error": str(exc)[-500:]}
            say(f"  memory ({kind}): probe failed: {exc}")
            continue
        out[kind] = {
            "model_loaded_mb": round(probe["start_mb"]),
            "peak_mb": round(probe["peak_mb"]),
            "added_mb": round(probe["peak_mb"] - probe["start_mb"]),
        }
        say(f"  memory ({kind}, fresh process): peak {probe['peak_mb']:.0f} MiB")
    return out


def _corpus_query_figures(passes: list[Samples], chunks: int) -> dict[str, Any]:
    out = summarize(passes)
    out["chunks"] = chunks
    per_pass = [p for p in passes if p.values.get("baseline_search")]
    if per_pass:
        out["retrieve_vs_baseline_search"] = _pass_ratio(per_pass, "retrieve", "baseline_search")
        out["answer_vs_baseline_search"] = _pass_ratio(per_pass, "answer_cold", "baseline_search")
    out["retrieve_vs_bare"] = _pass_ratio(passes, "retrieve", "bare_total")
    return out


def _pass_ratio(passes: list[Samples], top: str, bottom: str) -> dict[str, Any]:
    """The ratio of two paths' p50 latencies within each pass, as a figure over the passes."""
    import numpy as np

    values = [
        float(np.median(p.values[top])) / float(np.median(p.values[bottom]))
        for p in passes
        if p.values.get(top) and p.values.get(bottom)
    ]
    return figure(values, "", 3)


# --- query by index size --------------------------------------------------------------------------------------


def _query_phase(
    config: BenchConfig,
    settings: Settings,
    corpus: BenchCorpus,
    embedder: Embedder,
    bare: BareEncoder,
    source: Assistant | None,
    workdir: Path,
    results: dict[str, Any],
    say: Log,
) -> None:
    """Build every size, then make each pass visit all sizes in turn, so sizes are compared side by side."""
    assert source is not None
    material = collect_material(source)
    tiers: dict[int, Assistant] = {}
    real: dict[int, int] = {}
    try:
        for size in config.sizes:
            say(f"  building an index of {size:,} chunks")
            tiers[size], real[size] = build_index(
                size, material, settings, embedder, workdir / f"size-{size}"
            )
        passes: dict[int, list[Samples]] = {size: [] for size in config.sizes}
        for r in range(config.repeats):
            for size in config.sizes:
                passes[size].append(ask_questions(tiers[size], bare, corpus.questions))
            say(f"  query pass {r + 1} of {config.repeats} done")
        sizes: dict[str, Any] = {}
        for size in config.sizes:
            figures = summarize(passes[size])
            figures["real_chunks"] = real[size]
            figures["synthetic_chunks"] = size - real[size]
            figures["retrieve_vs_bare"] = _pass_ratio(passes[size], "retrieve", "bare_total")
            figures["answer_vs_retrieve"] = _pass_ratio(passes[size], "answer_cold", "retrieve")
            figures["answer_warm_vs_retrieve"] = _pass_ratio(passes[size], "answer_warm", "retrieve")
            sizes[str(size)] = figures
        if len(config.sizes) >= 2:
            largest, second = sorted(config.sizes)[-1], sorted(config.sizes)[-2]
            results["query_scaling"] = {
                "from": second,
                "to": largest,
                "retrieve_p50_ratio": _cross_ratio(passes[largest], passes[second], "retrieve"),
            }
        results["query"] = sizes
    finally:
        for assistant in tiers.values():
            drop_index(assistant)


def _cross_ratio(top: list[Samples], bottom: list[Samples], name: str) -> dict[str, Any]:
    import numpy as np

    values = [
        float(np.median(a.values[name])) / float(np.median(b.values[name]))
        for a, b in zip(top, bottom, strict=True)
        if a.values.get(name) and b.values.get(name)
    ]
    return figure(values, "", 3)


def _config_json(config: BenchConfig, settings: Settings) -> dict[str, Any]:
    values = asdict(config)
    values["corpus"] = str(config.corpus)
    values["embedding"] = settings.embedding.model_dump()
    values["store_mode"] = settings.store.mode
    values["retrieval"] = {"top_k": settings.retrieval.top_k, "candidates": settings.retrieval.candidates}
    return values


__all__ = ["PHASES", "BenchConfig", "run"]
