"""The benchmark's outputs: the targets checked against the figures, a JSON file and a Markdown table."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Target:
    """A speed target: where its value is in the results, and how it is judged."""

    name: str
    wanted: str
    value: Callable[[dict[str, Any]], float | None]
    met: Callable[[float], bool]


def _get(results: dict[str, Any], *path: str) -> Any:
    node: Any = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _median(results: dict[str, Any], *path: str) -> float | None:
    node = _get(results, *path)
    return node.get("median") if isinstance(node, dict) else None


def _http_tail_ratio(results: dict[str, Any]) -> float | None:
    p95 = _median(results, "http", "levels", "8", "p95")
    p50 = _median(results, "http", "levels", "1", "p50")
    return round(p95 / p50, 3) if p95 is not None and p50 else None


def _distinct_tail_ratio(results: dict[str, Any], percentile: str) -> float | None:
    """A percentile of distinct-question `/v1/ask` at concurrency 8 over the single-client distinct p50."""
    tail = _median(results, "http", "distinct", "levels", "8", percentile)
    p50 = _median(results, "http", "distinct", "levels", "1", "p50")
    return round(tail / p50, 3) if tail is not None and p50 else None


TARGETS: tuple[Target, ...] = (
    Target(
        "ingest throughput / embedding limit",
        ">= 0.9",
        lambda r: _median(r, "ingest", "ours_vs_limit"),
        lambda v: v >= 0.9,
    ),
    Target(
        "ingest time / LangChain baseline",
        "<= 1.0",
        lambda r: _median(r, "ingest", "ours_vs_baseline"),
        lambda v: v <= 1.0,
    ),
    Target(
        "re-ingest unchanged / first ingest",
        "<= 0.02",
        lambda r: _median(r, "ingest", "reingest", "unchanged_fraction"),
        lambda v: v <= 0.02,
    ),
    Target(
        "re-ingest one changed document / first ingest",
        "<= 0.05",
        lambda r: _median(r, "ingest", "reingest", "one_changed_fraction"),
        lambda v: v <= 0.05,
    ),
    Target(
        "retrieval p50 / (bare query embedding + bare Chroma query), 10k chunks",
        "<= 1.3",
        lambda r: _median(r, "query", "10000", "retrieve_vs_bare"),
        lambda v: v <= 1.3,
    ),
    Target(
        "extractive answer p50 / retrieval p50, 10k chunks (cold caches)",
        "<= 2.0",
        lambda r: _median(r, "query", "10000", "answer_vs_retrieve"),
        lambda v: v <= 2.0,
    ),
    Target(
        "retrieval p50 at 100k / at 10k chunks",
        "<= 2.0",
        lambda r: (
            _median(r, "query_scaling", "retrieve_p50_ratio")
            if _get(r, "query_scaling", "from") == 10_000 and _get(r, "query_scaling", "to") == 100_000
            else None
        ),
        lambda v: v <= 2.0,
    ),
    Target(
        "int8 question encode speed-up (fp32 p50 / int8 p50)",
        ">= 1.8",
        lambda r: _median(r, "precision", "int8_vs_fp32", "question_speedup"),
        lambda v: v >= 1.8,
    ),
    Target(
        "int8 ingest encode speed-up (fp32 time / int8 time)",
        ">= 1.8",
        lambda r: _median(r, "precision", "int8_vs_fp32", "bulk_speedup"),
        lambda v: v >= 1.8,
    ),
    Target(
        "/v1/ask errors at concurrency 8",
        "== 0",
        lambda r: _get(r, "http", "levels", "8", "errors"),
        lambda v: v == 0,
    ),
    Target(
        "/v1/ask p95 at concurrency 8 / single-client p50",
        "<= 4.0",
        _http_tail_ratio,
        lambda v: v <= 4.0,
    ),
    Target(
        "server memory growth over the load run",
        "< 0.10",
        lambda r: _median(r, "http", "rss_growth"),
        lambda v: v < 0.10,
    ),
    Target(
        "distinct /v1/ask errors at concurrency 8",
        "== 0",
        lambda r: _get(r, "http", "distinct", "levels", "8", "errors"),
        lambda v: v == 0,
    ),
    Target(
        "distinct /v1/ask p95 at concurrency 8 / single-client distinct p50",
        "<= 6",
        lambda r: _distinct_tail_ratio(r, "p95"),
        lambda v: v <= 6.0,
    ),
    Target(
        "distinct /v1/ask p99 at concurrency 8 / single-client distinct p50",
        "<= 10",
        lambda r: _distinct_tail_ratio(r, "p99"),
        lambda v: v <= 10.0,
    ),
    Target(
        "soak: server memory growth after the first minute",
        "< 0.10",
        lambda r: _get(r, "http", "soak", "memory", "growth_after_first_minute"),
        lambda v: v < 0.10,
    ),
)


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and verdict: met, missed, or not measured in this run."""
    out = []
    for target in TARGETS:
        value = target.value(results)
        verdict = "not measured" if value is None else ("met" if target.met(value) else "missed")
        out.append({"target": target.name, "wanted": target.wanted, "value": value, "verdict": verdict})
    return out


# --- writing ------------------------------------------------------------------------------------------------


def write_results(results: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """`bench-<time>.json` and `.md` in `folder`, and the same as `latest.json` and `latest.md`."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = results["started_at"].replace(":", "").replace("-", "").replace("+0000", "Z")
    payload = json.dumps(results, indent=2, ensure_ascii=False, default=str)
    markdown = render_markdown(results)
    json_path = folder / f"bench-{stamp}.json"
    md_path = folder / f"bench-{stamp}.md"
    for path, text in ((json_path, payload), (md_path, markdown)):
        path.write_text(text + "\n", encoding="utf-8")
        (folder / f"latest{path.suffix}").write_text(text + "\n", encoding="utf-8")
    return json_path, md_path


def fmt(node: Any) -> str:
    """A figure as 'median (min–max) unit'; plain numbers as they are."""
    if node is None:
        return "—"
    if isinstance(node, dict) and "median" in node:
        if node["median"] is None:
            return "—"
        unit = f" {node['unit']}" if node.get("unit") else ""
        if node.get("n", 1) > 1 and node["min"] != node["max"]:
            return f"{_num(node['median'])} ({_num(node['min'])}–{_num(node['max'])}){unit}"
        return f"{_num(node['median'])}{unit}"
    if isinstance(node, float):
        return _num(node)
    return str(node)


def _num(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _mib(probe: dict[str, Any] | None, key: str) -> str:
    return f"{probe[key]:,} MiB" if probe and key in probe else ""


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def render_markdown(results: dict[str, Any]) -> str:
    """The run as Markdown tables: medians over repeats with (min–max) spreads."""
    m = results.get("machine", {})
    c = results.get("config", {})
    corpus = results.get("corpus", {})
    lines = [
        f"## Benchmark run {results.get('started_at', '')}",
        "",
        f"- Machine: {m.get('cpu')}, {m.get('logical_cores')} logical cores (torch threads "
        f"{m.get('torch_threads')}), {m.get('memory_gib')} GiB; load average at start "
        f"{m.get('load_average_start')}, at end {m.get('load_average_end')}; commit {m.get('commit')}",
        f"- Corpus: {corpus.get('name')} ({corpus.get('kind')}), {corpus.get('documents')} documents, "
        f"{corpus.get('megabytes')} MB; {corpus.get('questions')} questions; repeats {c.get('repeats')}"
        f"{' (smoke run)' if c.get('smoke') else ''}",
        f"- Model: {c.get('embedding', {}).get('model')} on {c.get('embedding', {}).get('device')}, "
        f"batch {c.get('embedding', {}).get('batch_size')}; store {c.get('store_mode')}",
        "- Figures: median over repeats (min–max in brackets).",
        "",
    ]
    lines += _targets_section(results)
    lines += _ingest_section(results)
    lines += _query_section(results)
    lines += _sentence_section(results)
    lines += _precision_section(results)
    lines += _http_section(results)
    lines += _distinct_section(results)
    lines += _soak_section(results)
    return "\n".join(lines).rstrip() + "\n"


def _targets_section(results: dict[str, Any]) -> list[str]:
    rows = [
        [
            t["target"],
            t["wanted"],
            fmt(t["value"]),
            t["verdict"].upper() if t["verdict"] == "missed" else t["verdict"],
        ]
        for t in results.get("targets", [])
    ]
    return ["### Targets", "", *_table(["target", "wanted", "measured", "verdict"], rows)]


def _ingest_section(results: dict[str, Any]) -> list[str]:
    ingest = results.get("ingest")
    if not ingest:
        return []
    ours, limit, base = ingest.get("ours", {}), ingest.get("limit", {}), ingest.get("baseline", {})
    runtime = ingest.get("limit_runtime")
    # (column name, where its figures are, where its chunk and token counts are)
    columns: list[tuple[str, dict[str, Any], dict[str, Any]]] = [("ours", ours, ours)]
    if runtime:
        columns.append((f"bare {runtime['backend']} encode (our limit)", runtime, ours))
    columns.append(("bare SentenceTransformer.encode", limit, ours))
    if base:
        columns.append(("LangChain baseline", base, base))

    def row(label: str, key: str, only: tuple[int, ...] | None = None) -> list[str]:
        cells = [
            fmt(col.get(key)) if only is None or i in only else "" for i, (_, col, _) in enumerate(columns)
        ]
        return [label, *cells]

    rows = [
        row("wall time, files → searchable index (or vectors)", "seconds"),
        ["chunks", *[fmt(counts.get("chunks")) for _, _, counts in columns]],
        ["tokens embedded", *[fmt(counts.get("tokens")) for _, _, counts in columns]],
        row("documents/s", "documents_per_second", (0,)),
        row("chunks/s", "chunks_per_second"),
        row("tokens embedded/s", "tokens_per_second"),
        row("share of time embedding", "embedding_share", (0,)),
        row("time outside embedding", "other_seconds", (0,)),
    ]
    memory = ingest.get("memory", {})
    if memory:
        probes = [
            memory.get("ours") if i == 0 else memory.get("baseline") if name == "LangChain baseline" else None
            for i, (name, _, _) in enumerate(columns)
        ]
        rows.append(
            [
                "memory with the model loaded (fresh process)",
                *[fmt(_mib(p, "model_loaded_mb")) for p in probes],
            ]
        )
        rows.append(["peak memory during the ingest", *[fmt(_mib(p, "peak_mb")) for p in probes]])
        rows.append(["memory the ingest added", *[fmt(_mib(p, "added_mb")) for p in probes]])
    st_ratio = (
        f" (against SentenceTransformer.encode: {fmt(ingest.get('ours_vs_st_limit'))})" if runtime else ""
    )
    out = [
        "### Ingest",
        "",
        *_table(["", *[name for name, _, _ in columns]], rows),
        f"Ours / limit (throughput fraction): {fmt(ingest.get('ours_vs_limit'))}{st_ratio}; "
        f"ours / baseline (time): {fmt(ingest.get('ours_vs_baseline'))}.",
        "",
    ]
    re = ingest.get("reingest", {})
    out += _table(
        ["re-ingest", "seconds", "fraction of first ingest"],
        [
            ["unchanged corpus", fmt(re.get("unchanged_seconds")), fmt(re.get("unchanged_fraction"))],
            [
                f"one document changed ({re.get('one_changed_chunks_embedded')} of its "
                f"{re.get('one_changed_document_chunks')} chunks embedded)",
                fmt(re.get("one_changed_seconds")),
                fmt(re.get("one_changed_fraction")),
            ],
        ],
    )
    return out


_PATHS = (
    ("bare_total", "bare query embedding + bare Chroma query"),
    ("bare_embed", "  bare query embedding (same runtime)"),
    ("bare_chroma", "  bare Chroma query"),
    ("retrieve", "our retrieval (hybrid)"),
    ("stage_embed_query", "  query embedding"),
    ("stage_dense", "  dense search"),
    ("stage_bm25", "  BM25"),
    ("stage_fusion", "  fusion + passage rows"),
    ("answer_cold", "full extractive answer, cold caches"),
    ("answer_warm", "full extractive answer, warm caches"),
    ("baseline_search", "LangChain similarity_search(k=5)"),
)


def _query_section(results: dict[str, Any]) -> list[str]:
    out: list[str] = []
    corpus_q = results.get("query_corpus")
    if corpus_q:
        out += [f"### Query latency on the ingested corpus ({corpus_q.get('chunks')} chunks)", ""]
        rows = [
            [label, fmt(corpus_q[name]["p50"]), fmt(corpus_q[name]["p95"])]
            for name, label in _PATHS
            if name in corpus_q
        ]
        out += _table(["path (ms)", "p50", "p95"], rows)
        out += [
            f"Ours / LangChain similarity_search (p50): retrieval {fmt(corpus_q.get('retrieve_vs_baseline_search'))}, "
            f"full answer {fmt(corpus_q.get('answer_vs_baseline_search'))}; retrieval / bare "
            f"{fmt(corpus_q.get('retrieve_vs_bare'))}.",
            "",
        ]
    sizes = results.get("query")
    if sizes:
        names = list(sizes)
        header = ["path, p50 / p95 (ms)"] + [f"{int(n):,} chunks" for n in names]
        rows = []
        for name, label in _PATHS:
            if any(name in sizes[n] for n in names):
                rows.append(
                    [label]
                    + [
                        f"{fmt(sizes[n][name]['p50'])} / {fmt(sizes[n][name]['p95'])}"
                        if name in sizes[n]
                        else "—"
                        for n in names
                    ]
                )
        rows.append(["retrieval / bare (p50)"] + [fmt(sizes[n].get("retrieve_vs_bare")) for n in names])
        rows.append(
            ["answer cold / retrieval (p50)"] + [fmt(sizes[n].get("answer_vs_retrieve")) for n in names]
        )
        rows.append(
            ["answer warm / retrieval (p50)"] + [fmt(sizes[n].get("answer_warm_vs_retrieve")) for n in names]
        )
        rows.append(["synthetic chunks"] + [fmt(sizes[n].get("synthetic_chunks")) for n in names])
        out += ["### Query latency by index size", "", *_table(header, rows)]
        scaling = results.get("query_scaling")
        if scaling:
            out += [
                f"Retrieval p50 at {scaling['to']:,} / at {scaling['from']:,} chunks: "
                f"{fmt(scaling['retrieve_p50_ratio'])}.",
                "",
            ]
    return out


def _sentence_section(results: dict[str, Any]) -> list[str]:
    sv = results.get("sentence_vectors")
    if not sv:
        return []
    rows = [
        [
            "ingest time",
            fmt(sv.get("ingest_seconds")),
            f"{fmt(sv.get('ingest_vs_plain'))} × the default ingest",
        ],
        ["sentence vectors stored", fmt(sv.get("sentences_stored")), ""],
        ["retrieval p50", fmt((sv.get("retrieve") or {}).get("p50")), ""],
        [
            "full extractive answer p50, cold caches",
            fmt((sv.get("answer_cold") or {}).get("p50")),
            f"{fmt(sv.get('answer_vs_retrieve'))} × retrieval",
        ],
        ["full extractive answer p50, warm caches", fmt((sv.get("answer_warm") or {}).get("p50")), ""],
    ]
    setting = sv.get("setting", "encoded")
    return [
        f"### With `ingest.sentence_vectors: {setting}` instead of the default "
        f"`{sv.get('default_setting', 'off')}`, on the corpus",
        "",
        *_table(["", "value", "relative"], rows),
    ]


def _precision_section(results: dict[str, Any]) -> list[str]:
    precision = results.get("precision")
    if not precision:
        return []
    fp32, int8, ratio = (
        precision.get("fp32", {}),
        precision.get("int8", {}),
        precision.get("int8_vs_fp32", {}),
    )
    rows = [
        [
            f"bulk encode of {precision.get('texts')} chunk texts ({fmt(precision.get('tokens'))} tokens)",
            fmt(fp32.get("bulk_seconds")),
            fmt(int8.get("bulk_seconds")),
            fmt(ratio.get("bulk_time")),
            fmt(ratio.get("bulk_speedup")),
        ],
        [
            "  tokens/s",
            fmt(fp32.get("bulk_tokens_per_second")),
            fmt(int8.get("bulk_tokens_per_second")),
            "",
            "",
        ],
        [
            f"question encode p50 ({precision.get('questions')} questions)",
            fmt(fp32.get("question_p50")),
            fmt(int8.get("question_p50")),
            fmt(ratio.get("question_p50_time")),
            fmt(ratio.get("question_speedup")),
        ],
        ["question encode p95", fmt(fp32.get("question_p95")), fmt(int8.get("question_p95")), "", ""],
    ]
    cosine = precision.get("cosine_to_fp32") or {}
    texts, questions = cosine.get("texts") or {}, cosine.get("questions") or {}
    return [
        "### Encoder precision: fp32 against int8 (`embedding.precision`), interleaved in one process",
        "",
        *_table(["", "fp32", "int8", "int8 / fp32 (time)", "speed-up"], rows),
        f"Cosine of int8 vectors to fp32 ones: chunk texts min {_cos(texts, 'min')}, 1st percentile "
        f"{_cos(texts, 'p1')}, mean {_cos(texts, 'mean')}; questions min {_cos(questions, 'min')}, mean "
        f"{_cos(questions, 'mean')}. Retrieval quality (SciFact nDCG@10) is measured separately (README).",
        "",
    ]


def _cos(node: dict[str, Any], key: str) -> str:
    return f"{node[key]:.4f}" if node.get(key) is not None else "—"


def _http_section(results: dict[str, Any]) -> list[str]:
    http = results.get("http")
    if not http:
        return []
    if "skipped" in http:
        return ["### HTTP", "", f"Skipped: {http['skipped']}.", ""]
    return [
        "### HTTP `/v1/ask` (127.0.0.1, async httpx clients in a closed loop)",
        "",
        *_load_table(http["levels"], memory=False),
        f"Start-up to `/readyz` ready: {fmt(http.get('startup_seconds'))}. Server memory before the load "
        f"{fmt(http.get('rss_before_mb'))}, after {fmt(http.get('rss_after_mb'))}, growth "
        f"{fmt(http.get('rss_growth'))}.",
        "",
    ]


def _load_table(levels: dict[str, Any], memory: bool) -> list[str]:
    """The table of an HTTP load phase, one row per concurrency (with the server's memory per level)."""
    header = ["concurrency", "requests/s", "p50", "p95", "p99", "requests", "errors"]
    header += ["server memory"] if memory else []
    header += ["server CPU per request", "load-generator CPU per request"]
    rows = []
    for level, v in levels.items():
        row = [level] + [fmt(v.get(k)) for k in ("requests_per_second", "p50", "p95", "p99", "requests")]
        row.append(fmt(v.get("errors")) + (f" {v.get('error_kinds', {})}" if v.get("errors") else ""))
        if memory:
            row.append(f"{fmt(v.get('rss_before_mb'))} → {fmt(v.get('rss_after_mb'))}")
        row += [fmt(v.get("server_cpu_ms_per_request")), fmt(v.get("client_cpu_ms_per_request"))]
        rows.append(row)
    return _table(header, rows)


def _distinct_section(results: dict[str, Any]) -> list[str]:
    distinct = (results.get("http") or {}).get("distinct")
    if not distinct:
        return []
    q = distinct.get("questions", {})
    return [
        "### HTTP `/v1/ask` with distinct questions (generated from the corpus, never repeated; a fresh server)",
        "",
        *_load_table(distinct["levels"], memory=True),
        f"Questions sent in the distinct phases and the soak: {q.get('sent')}, of them distinct "
        f"{q.get('unique')}, from {q.get('source_chunks')} of the corpus's {q.get('corpus_chunks_with_sentences')} "
        f"chunks with body sentences ({q.get('source_documents')} documents; seed {q.get('seed')}). Server "
        f"memory before the load {fmt(distinct.get('rss_before_mb'))}, after {fmt(distinct.get('rss_after_mb'))}, "
        f"growth {fmt(distinct.get('rss_growth'))}.",
        "",
    ]


def _soak_section(results: dict[str, Any]) -> list[str]:
    soak = (results.get("http") or {}).get("soak")
    if not soak:
        return []
    memory = soak.get("memory", {})
    late = soak.get("after_first_minute", {})
    settle = memory.get("settle_seconds")
    first = "the first minute" if settle == 60 else f"the first {fmt(settle)} s"
    short = "" if settle == 60 else " (a soak under two minutes: its first half stands for the first minute)"
    rows = [
        [
            fmt(w.get("start_s")),
            fmt(w.get("requests")),
            fmt(w.get("errors")),
            fmt(w.get("requests_per_second")),
            fmt(w.get("p50_ms")),
            fmt(w.get("p95_ms")),
            fmt(w.get("rss_max_mb")),
        ]
        for w in soak.get("windows", [])
    ]
    errors = fmt(soak.get("errors")) + (f" {soak.get('error_kinds', {})}" if soak.get("errors") else "")
    return [
        f"### Soak: distinct questions at concurrency {soak.get('concurrency')} for {fmt(soak.get('seconds'))} s "
        "(a fresh server)",
        "",
        f"{fmt(soak.get('requests'))} requests ({fmt(soak.get('unique_questions'))} distinct questions), "
        f"{fmt(soak.get('requests_per_second'))} requests/s, p50 {fmt(soak.get('p50'))} ms, p95 "
        f"{fmt(soak.get('p95'))} ms, p99 {fmt(soak.get('p99'))} ms; after {first}: p50 {fmt(late.get('p50'))} ms, "
        f"p95 {fmt(late.get('p95'))} ms, p99 {fmt(late.get('p99'))} ms. Errors: {errors}. Server CPU per request "
        f"{fmt(soak.get('server_cpu_ms_per_request'))} ms.",
        "",
        f"Server memory: {fmt(memory.get('start_mb'))} MiB at the start, {fmt(memory.get('at_first_minute_mb'))} "
        f"MiB after {first}, {fmt(memory.get('end_mb'))} MiB at the end, {fmt(memory.get('max_mb'))} MiB at most; "
        f"growth after {first} {fmt(memory.get('growth_after_first_minute'))} (at most "
        f"{fmt(memory.get('max_growth_after_first_minute'))}){short}.",
        "",
        *_table(
            ["from (s)", "requests", "errors", "requests/s", "p50 (ms)", "p95 (ms)", "max memory (MiB)"], rows
        ),
    ]
