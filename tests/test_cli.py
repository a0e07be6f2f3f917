"""The `assistant` command, run as a real process."""

import json
import os
import subprocess
import sys

import pytest

from tests.support import CORPUS, ROOT, write

DONE_WHEN = "What penetration rate for intelligent terminals and agents does the AI+ plan target for 2027?"


def run(args, data_dir, check=True):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_PROFILE": "test"}
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-index")
    result = run(["ingest", str(CORPUS)], folder)
    assert "0 failed" in result.stdout
    return folder


def test_ask_prints_the_answer_then_numbered_sources(cli_index):
    out = run(["ask", DONE_WHEN], cli_index).stdout
    answer, _, sources = out.partition("\nSources\n")
    assert "70%" in answer and "[1]" in answer
    assert sources.startswith("[1] ")
    assert "“" in sources and "@" in sources


def test_ask_json_and_filters(cli_index):
    out = run(
        ["ask", DONE_WHEN, "--json", "--filter", "language=en", "--filter", "from=2025-01-01"], cli_index
    ).stdout
    answer = json.loads(out)
    assert answer["citations"] and not answer["abstained"]
    assert all(p["date"] >= "2025" for p in answer["passages"])


def test_second_ingest_reembeds_nothing_and_sources_lists_documents(cli_index):
    out = run(["ingest", str(CORPUS), "--json"], cli_index).stdout
    summary = json.loads(out)["summary"]
    assert summary["chunks_embedded"] == 0 and summary["added"] == 0 and summary["unchanged"] > 10
    listed = json.loads(run(["sources", "--json"], cli_index).stdout)
    assert {d["id"] for d in listed} >= {"ai-plus-opinions-2025"}


def test_errors_are_one_clear_line_without_traceback(cli_index, tmp_path):
    for args, message in [
        (["ask", "   "], "error: the question is empty"),
        (["ask", "x" * 20_000], "characters long"),
        (["ask", "q?", "--filter", "colour=red"], "unknown filter"),
        (["ask", "q?", "--filter", "from=yesterday"], "not a date"),
        (["--profile", "missing", "sources"], "unknown profile"),
    ]:
        result = run(args, cli_index, check=False)
        assert result.returncode != 0
        assert message in result.stderr
        assert "Traceback" not in result.stderr


def test_ingest_reports_failures_with_a_nonzero_exit(tmp_path):
    write(
        tmp_path / "docs" / "ok.md",
        "# Title\n\nA policy on AI literacy for civil servants, published in 2025.",
    )
    (tmp_path / "docs" / "bad.pdf").write_bytes(b"not a pdf at all")
    result = run(["ingest", str(tmp_path / "docs")], tmp_path / "idx", check=False)
    assert result.returncode == 3
    assert "failed    " in result.stdout and "bad.pdf" in result.stdout and "1 added" in result.stdout
