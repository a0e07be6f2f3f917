"""`assistant eval ...` end to end: table, reports, bad input, resume, compare."""

import json

from click.testing import CliRunner

from assistant.cli import main
from tests.evaluation.test_runner import CASES, small_corpus  # noqa: F401 - the fixture
from tests.support import CORPUS, ROOT


def invoke(*args):
    return CliRunner().invoke(main, ["--profile", "test", *map(str, args)])


def test_eval_run_prints_metrics_writes_reports_and_resumes(tmp_path, small_corpus):  # noqa: F811
    corpus, dataset = small_corpus
    runs = tmp_path / "runs"
    result = invoke(
        "eval",
        "run",
        dataset,
        "--corpus",
        corpus,
        "--runs-dir",
        runs,
        "--name",
        "small",
        "--mode",
        "hybrid,bm25",
    )
    assert result.exit_code == 0, result.output
    assert "hybrid/extractive" in result.stdout and "bm25/extractive" in result.stdout
    assert "token_f1" in result.stdout and "abstention_f1" in result.stdout
    (folder,) = runs.iterdir()
    for name in ("run.json", "results.jsonl", "results.json", "report.md", "report.html"):
        assert (folder / name).is_file(), name
    results = json.loads((folder / "results.json").read_text())
    assert results["settings"]["answer"]["backend"] == "extractive" and results["options"]["modes"] == [
        "hybrid",
        "bm25",
    ]
    assert len(results["records"]["hybrid/extractive"]) == len(CASES)

    # interrupted after two questions: resume asks only the rest
    lines = (folder / "results.jsonl").read_text().splitlines()
    (folder / "results.jsonl").write_text("\n".join(lines[:2]) + "\n")
    (folder / "results.json").unlink()
    resumed = invoke("eval", "run", "--resume", folder)
    assert resumed.exit_code == 0, resumed.output
    again = json.loads((folder / "results.json").read_text())
    assert sum(len(v) for v in again["records"].values()) == 2 * len(CASES)
    assert json.loads(lines[0]) in again["records"]["hybrid/extractive"]

    compared = invoke("eval", "compare", folder, folder)
    assert compared.exit_code == 0, compared.output
    assert "0 question(s) got worse." in compared.stdout and "token_f1" in compared.stdout


def test_a_malformed_dataset_stops_before_any_work(tmp_path):
    dataset = tmp_path / "bad.jsonl"
    good = {k: v for k, v in CASES[0].items()}
    dataset.write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "x", "question": 7}) + "\n")
    runs = tmp_path / "runs"
    result = invoke("--data-dir", tmp_path / "index", "eval", "run", dataset, "--runs-dir", runs)
    assert result.exit_code == 1
    assert f"{dataset}:2: field 'question'" in result.stderr
    assert "Traceback" not in result.output
    assert not runs.exists() and not (tmp_path / "index").exists()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    result = invoke("eval", "validate", empty)
    assert result.exit_code == 1 and "empty" in result.stderr


def test_eval_validate_checks_the_dev_set_without_embedding():
    result = invoke("eval", "validate", ROOT / "evals" / "dev.jsonl", "--corpus", CORPUS)
    assert result.exit_code == 0, result.output
    assert "gold spans located" in result.stdout and "unanswerable" in result.stdout
