"""The benchmark's `precision` phase: the ONNX encoder in fp32 against int8, side by side (no timing asserted)."""

import json

from click.testing import CliRunner

from assistant.bench.precision import compare_precisions
from assistant.bench.report import evaluate_targets, render_markdown
from assistant.cli import main
from tests.support import CORPUS, make_settings


def test_compare_precisions_gives_both_precisions_and_their_ratios(tmp_path):
    texts = [
        "Providers of high-risk AI systems shall establish a risk management system. " * 8,
        "A personal data breach shall be notified within 72 hours.",
        "The AI RMF core has four functions: govern, map, measure and manage.",
    ] * 6
    questions = ["What must providers of high-risk AI do?", "How fast must a breach be notified?"]
    out = compare_precisions(make_settings(tmp_path), texts, questions, repeats=2)
    assert (out["texts"], out["questions"], out["repeats"]) == (18, 2, 2) and out["tokens"] > 18 * 10
    for precision in ("fp32", "int8"):
        figures = out[precision]
        assert figures["bulk_seconds"]["n"] == 2 and figures["bulk_seconds"]["median"] > 0
        assert figures["bulk_tokens_per_second"]["median"] > 0
        assert 0 < figures["question_p50"]["median"] <= figures["question_p95"]["median"]
    ratios = out["int8_vs_fp32"]
    for name in ("bulk_time", "bulk_speedup", "question_p50_time", "question_speedup"):
        assert ratios[name]["n"] == 2 and ratios[name]["median"] > 0, name
    cosine = out["cosine_to_fp32"]
    assert 0.97 < cosine["texts"]["min"] <= cosine["texts"]["mean"] < 0.99999
    assert 0.97 < cosine["questions"]["min"] < 0.99999


def test_the_smoke_run_of_the_precision_phase_reports_and_judges_it(tmp_path):
    out = tmp_path / "results"
    result = CliRunner().invoke(
        main,
        [
            "--profile",
            "test",
            "bench",
            "--smoke",
            "--only",
            "precision",
            "--corpus",
            str(CORPUS),
            "--out",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    results = json.loads((out / "latest.json").read_text())
    precision = results["precision"]
    assert 0 < precision["texts"] <= 32 and precision["questions"] == 3
    assert precision["int8_vs_fp32"]["question_speedup"]["median"] > 0
    assert "ingest" not in results and "http" not in results  # only the phase asked for
    verdicts = {t["target"]: t["verdict"] for t in results["targets"]}
    assert verdicts["int8 question encode speed-up (fp32 p50 / int8 p50)"] in ("met", "missed")
    assert verdicts["int8 ingest encode speed-up (fp32 time / int8 time)"] in ("met", "missed")
    assert "### Encoder precision: fp32 against int8" in (out / "latest.md").read_text()


def test_precision_targets_are_judged_and_rendered():
    def fig(value):
        return {"median": value, "min": value, "max": value, "n": 1, "unit": ""}

    results = {
        "started_at": "2026-01-01T00:00:00+00:00",
        "precision": {
            "texts": 10,
            "tokens": 2000,
            "questions": 4,
            "repeats": 1,
            "fp32": {"bulk_seconds": fig(2.0), "question_p50": fig(7.0)},
            "int8": {"bulk_seconds": fig(1.0), "question_p50": fig(4.2)},
            "int8_vs_fp32": {
                "bulk_time": fig(0.5),
                "bulk_speedup": fig(2.0),
                "question_p50_time": fig(0.6),
                "question_speedup": fig(1.667),
            },
            "cosine_to_fp32": {"texts": {"min": 0.9853, "p1": 0.986, "mean": 0.9951}, "questions": None},
        },
    }
    results["targets"] = evaluate_targets(results)
    verdicts = {t["target"]: (t["value"], t["verdict"]) for t in results["targets"]}
    assert verdicts["int8 ingest encode speed-up (fp32 time / int8 time)"] == (2.0, "met")
    assert verdicts["int8 question encode speed-up (fp32 p50 / int8 p50)"] == (1.667, "missed")
    markdown = render_markdown(results)
    assert "| int8 question encode speed-up (fp32 p50 / int8 p50) | >= 1.8 | 1.67 | MISSED |" in markdown
    assert "| question encode p50 (4 questions) | 7.00 | 4.20 | 0.60 | 1.67 |" in markdown
    assert "chunk texts min 0.9853, 1st percentile 0.9860, mean 0.9951; questions min —" in markdown
