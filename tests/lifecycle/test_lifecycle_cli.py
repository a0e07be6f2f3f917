"""`assistant relations`, `assistant sources` and `--filter in_force_on=` run as real processes; Slack's sources."""

from __future__ import annotations

import json

import click
import pytest

from assistant.cli import parse_filters
from assistant.lifecycle.model import Notice
from assistant.models import Answer, Citation
from assistant.slack.blocks import render_answer
from tests.support import CORPUS
from tests.test_cli import run

EO_QUESTION = "What does Executive Order 14110 require of developers of dual-use foundation models?"


@pytest.fixture(scope="module")
def eo_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eo-index")
    files = [str(CORPUS / "us-eo-14110-2023.md"), str(CORPUS / "us-eo-14179-ai-action-plan-2025.md")]
    assert "0 failed" in run(["ingest", *files], folder).stdout
    return folder


def test_relations_command_lists_evidence(eo_index):
    out = run(["relations", "us-eo-14110-2023"], eo_index).stdout
    assert out.startswith("us-eo-14110-2023 (EO 14110): revoked since 2025-01-20")
    assert "referred_to_by EO 14179" in out and "as revoked" in out
    assert "(us-eo-14179-ai-action-plan-2025" in out  # where the evidence is, with its offsets
    data = json.loads(run(["relations", "us-eo-14110-2023", "--json"], eo_index).stdout)
    assert data["status"] == "revoked" and data["relations"]
    missing = run(["relations", "nope"], eo_index, check=False)
    assert missing.returncode == 1 and "no document" in missing.stderr


def test_sources_show_status_and_ask_shows_the_notice(eo_index):
    out = run(["sources"], eo_index).stdout
    assert "[revoked] EO 14110" in out and "[in_force] EO 14179" in out
    listed = {d["id"]: d for d in json.loads(run(["sources", "--json"], eo_index).stdout)}
    assert listed["us-eo-14110-2023"]["status"] == "revoked"
    answer = run(["ask", EO_QUESTION], eo_index).stdout
    assert "Note: EO 14110 was revoked" in answer.partition("\nSources\n")[0]
    before = json.loads(
        run(["ask", EO_QUESTION, "--json", "--filter", "in_force_on=2024-06-01"], eo_index).stdout
    )
    assert before["notices"] == [] and not before["abstained"]


def test_in_force_on_filter_parsing():
    assert str(parse_filters(("in_force_on=2025-01-01",)).in_force_on) == "2025-01-01"
    with pytest.raises(click.BadParameter):
        parse_filters(("in_force_on=January",))


def test_slack_sources_show_the_notice():
    citation = Citation(
        n=1, passage_id="p", doc_id="d", title="EO 14110", quote="It was revoked.", start=0, end=15, score=1
    )
    notice = Notice(doc_id="d", kind="revoked", text="Note: EO 14110 was revoked; see [1].", citation=1)
    answer = Answer(
        question="q",
        standalone_question="q",
        text="Answer [1]\n\n" + notice.text,
        citations=[citation],
        notices=[notice],
        backend="extractive",
    )
    blocks = render_answer(answer, answer_id="a")[0].blocks
    texts = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert ":warning: Note: EO 14110 was revoked; see [1]." in texts
