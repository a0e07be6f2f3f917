"""The benchmark suite: a smoke run of `assistant bench` through every phase, and its parts (no timings)."""

import json

import pytest
from click.testing import CliRunner

from assistant.bench.report import evaluate_targets, fmt, render_markdown
from assistant.bench.tiers import build_index, collect_material
from assistant.cli import main
from tests.support import CORPUS


def _consistent_ids(assistant):
    catalog_ids = assistant.index.catalog.committed_chunk_ids()
    assert catalog_ids == assistant.index.store.all_ids() == set(assistant.index.lexical().index.ids)
    return catalog_ids


@pytest.mark.slow
def test_smoke_run_measures_every_figure(tmp_path):
    out = tmp_path / "results"
    result = CliRunner().invoke(
        main,
        ["--profile", "test", "bench", "--smoke", "--corpus", str(CORPUS), "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    results = json.loads((out / "latest.json").read_text())
    ingest = results["ingest"]
    assert ingest["ours"]["chunks"] > 0 and ingest["ours"]["seconds"]["median"] > 0
    assert 0 < ingest["ours"]["embedding_share"]["median"] <= 1
    assert ingest["ours"]["tokens"] > ingest["ours"]["chunks"]
    assert ingest["limit"]["seconds"]["median"] > 0  # bare SentenceTransformer.encode
    assert ingest["limit_runtime"]["backend"] == "onnx" and ingest["limit_runtime"]["seconds"]["median"] > 0
    assert ingest["baseline"]["chunks"] > 0 and ingest["baseline"]["seconds"]["median"] > 0
    assert ingest["ours_vs_limit"]["median"] > 0 and ingest["ours_vs_baseline"]["median"] > 0
    assert ingest["reingest"]["unchanged_fraction"]["median"] > 0
    assert ingest["reingest"]["one_changed_chunks_embedded"] > 0
    corpus_q = results["query_corpus"]
    for path in ("bare_total", "retrieve", "answer_cold", "answer_warm", "baseline_search"):
        assert corpus_q[path]["p50"]["median"] > 0, path
    # The default pools sentence vectors at ingest; the comparison ingest turns them off (none stored).
    # (Which is faster is the benchmark's to report, not a test's to assert.)
    sv = results["sentence_vectors"]
    assert (sv["default_setting"], sv["setting"]) == ("pooled", "off")
    assert sv["sentences_stored"] == 0 and sv["ingest_vs_plain"]["median"] > 0
    assert sv["answer_cold"]["p50"]["median"] > 0
    sizes = results["query"]
    assert set(sizes) == {"20", "300"}
    assert sizes["300"]["synthetic_chunks"] > 0 and sizes["300"]["real_chunks"] > 0
    assert sizes["20"]["synthetic_chunks"] == 0
    assert results["query_scaling"]["retrieve_p50_ratio"]["median"] > 0
    http = results["http"]
    assert http["startup_seconds"]["median"] > 0
    assert set(http["levels"]) == {"1", "4"}
    assert all(level["errors"] == 0 and level["requests"] == 8 for level in http["levels"].values())
    assert all(level["server_cpu_ms_per_request"]["median"] > 0 for level in http["levels"].values())
    assert http["rss_before_mb"]["median"] > 0
    # Distinct questions on a fresh server: every request answered, no question asked twice in the run.
    distinct = http["distinct"]
    assert set(distinct["levels"]) == {"1", "4"}
    for level in distinct["levels"].values():
        assert level["errors"] == 0 and level["requests"] == 8 and level["unique_questions"] == 8
        assert 0 < level["p50"]["median"] <= level["p95"]["median"] <= level["p99"]["median"]
        assert level["requests_per_second"]["median"] > 0 and level["server_cpu_ms_per_request"]["median"] > 0
        assert level["rss_before_mb"]["median"] > 0 and level["rss_after_mb"]["median"] > 0
    soak = http["soak"]
    asked = distinct["questions"]  # with the two servers' unmeasured warm-ups of 4 distinct questions each
    assert asked["sent"] == asked["unique"] == 4 + 2 * 8 + 4 + soak["requests"]
    assert asked["source_documents"] >= 2 and asked["source_chunks"] >= 10
    assert soak["concurrency"] == 8 and 0 < soak["seconds"] <= 30 and soak["errors"] == 0
    assert soak["requests"] > 0 and soak["unique_questions"] == soak["requests"]
    assert 0 < soak["p50"] <= soak["p95"] <= soak["p99"] and soak["requests_per_second"] > 0
    memory = soak["memory"]
    assert len(memory["samples"]) >= 4 and memory["settle_seconds"] == 2.0
    assert memory["start_mb"] > 0 and memory["max_mb"] >= memory["end_mb"] > 0
    assert memory["growth_after_first_minute"] is not None and abs(memory["growth_after_first_minute"]) < 1
    verdicts = {t["target"]: t["verdict"] for t in results["targets"]}
    assert verdicts["soak: server memory growth after the first minute"] in ("met", "missed")
    assert verdicts["distinct /v1/ask p95 at concurrency 8 / single-client distinct p50"] == "not measured"
    assert verdicts["ingest throughput / embedding limit"] in ("met", "missed")
    assert verdicts["retrieval p50 at 100k / at 10k chunks"] == "not measured"  # not at smoke sizes
    markdown = (out / "latest.md").read_text()
    assert "### Targets" in markdown and "LangChain baseline" in markdown and "/v1/ask" in markdown
    assert "with distinct questions" in markdown and "### Soak" in markdown


def test_filler_tiers_have_exact_sizes_and_stay_consistent(tmp_path, corpus_assistant, embedder):
    material = collect_material(corpus_assistant)
    assert material.n_chunks == corpus_assistant.index.count()
    for size in (25, material.n_chunks + 150):
        assistant, real = build_index(
            size, material, corpus_assistant.settings, embedder, tmp_path / str(size)
        )
        try:
            ids = _consistent_ids(assistant)
            assert len(ids) == size
            assert real == min(size, material.n_chunks)
            filler = [i for i in ids if i.startswith("filler-")]
            assert len(filler) == size - real
            # Filler is searchable both ways, and a re-ingest of the real corpus treats it as just more documents.
            assert assistant.retrieve("risk management framework functions").passages
        finally:
            assistant.close()


def test_targets_are_judged_and_rendered():
    results = {
        "started_at": "2026-01-01T00:00:00+00:00",
        "ingest": {
            "ours_vs_limit": {"median": 0.95, "min": 0.9, "max": 0.97, "n": 3, "unit": ""},
            "ours_vs_baseline": {"median": 1.2, "min": 1.1, "max": 1.3, "n": 3, "unit": ""},
            "reingest": {
                "unchanged_fraction": {"median": 0.001, "min": 0.001, "max": 0.001, "n": 3, "unit": ""}
            },
        },
        "http": {
            "levels": {"1": {"p50": {"median": 10.0}}, "8": {"p95": {"median": 50.0}, "errors": 0}},
            "distinct": {
                "levels": {
                    "1": {"p50": {"median": 100.0}},
                    "8": {"p95": {"median": 550.0}, "p99": {"median": 1200.0}, "errors": 2},
                }
            },
            "soak": {"memory": {"growth_after_first_minute": 0.03}},
        },
    }
    verdicts = {t["target"]: (t["value"], t["verdict"]) for t in evaluate_targets(results)}
    assert verdicts["ingest throughput / embedding limit"] == (0.95, "met")
    assert verdicts["ingest time / LangChain baseline"] == (1.2, "missed")
    assert verdicts["re-ingest unchanged / first ingest"][1] == "met"
    assert verdicts["re-ingest one changed document / first ingest"] == (None, "not measured")
    assert verdicts["/v1/ask p95 at concurrency 8 / single-client p50"] == (5.0, "missed")
    assert verdicts["/v1/ask errors at concurrency 8"] == (0, "met")
    assert verdicts["distinct /v1/ask p95 at concurrency 8 / single-client distinct p50"] == (5.5, "met")
    assert verdicts["distinct /v1/ask p99 at concurrency 8 / single-client distinct p50"] == (12.0, "missed")
    assert verdicts["distinct /v1/ask errors at concurrency 8"] == (2, "missed")
    assert verdicts["soak: server memory growth after the first minute"] == (0.03, "met")
    results["targets"] = evaluate_targets(results)
    markdown = render_markdown(results)
    assert "| ingest time / LangChain baseline | <= 1.0 | 1.20 | MISSED |" in markdown
    assert (
        fmt({"median": 1234.4, "min": 1000.0, "max": 1500.0, "n": 3, "unit": "ms"})
        == "1,234 (1,000–1,500) ms"
    )
