"""Loaders of public datasets: PolicyQA (SQuAD JSON), ClapNQ (JSONL) and BEIR, on small files and the real data."""

import json

import pytest

from assistant.evaluation.beir import load_beir, read_qrels
from assistant.evaluation.clapnq import load_clapnq
from assistant.evaluation.dataset import DatasetError, locate_evidence
from assistant.evaluation.policyqa import load_policyqa
from assistant.evaluation.sources import detect_format, load_source
from tests.support import shared_data


def test_policyqa_policies_become_documents_and_spans_keep_their_offsets(tmp_path):
    squad = {
        "version": "1",
        "data": [
            {
                "title": "shop.example.com",
                "paragraphs": [
                    {
                        "context": "We use cookies. We share data.",
                        "qas": [
                            {
                                "id": "q1",
                                "question": "Do they share?",
                                "type": "Third Party|||x",
                                "answers": [{"text": "We share data", "answer_start": 16}],
                            },
                        ],
                    },
                    {
                        "context": "Cookies expire after a year.",
                        "qas": [
                            # a wrong offset is corrected to the occurrence nearest to it
                            {
                                "id": "q2",
                                "question": "When do cookies expire?",
                                "answers": [{"text": "after a year", "answer_start": 3}],
                            },
                            {
                                "id": "q3",
                                "question": "Unanswered?",
                                "answers": [{"text": "not here", "answer_start": 0}],
                            },
                        ],
                    },
                ],
            }
        ],
    }
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(squad))
    data, documents = load_policyqa(path)
    assert detect_format(path) == "policyqa"
    assert [d.id for d in documents] == ["policyqa-shop.example.com"]
    text = documents[0].text
    assert text == "We use cookies. We share data.\n\nCookies expire after a year."
    by_id = {c.id: c for c in data.cases}
    assert set(by_id) == {"q1", "q2"} and len(data.notes) == 1 and "q3" in data.notes[0]
    for case in data.cases:
        item = case.evidence[0]
        assert text[item.start : item.start + len(item.quote)] == item.quote
        assert case.filters.doc_ids == ["policyqa-shop.example.com"]
    assert by_id["q1"].tags == ["policyqa", "third-party"]
    spans = locate_evidence(data, {documents[0].id: text}.get)
    assert spans["q2"][0].start == text.index("after a year")


def test_clapnq_answerable_and_unanswerable_records(tmp_path):
    passage = {"title": "Sirens", "text": "They sing . Delmar thinks they are Sirens .", "sentences": []}
    answerable = {
        "id": "1",
        "input": "who are the sirens",
        "passages": [passage],
        "output": [
            {
                "answer": "Women Delmar thinks are Sirens.",
                "selected_sentences": ["Delmar thinks they are Sirens ."],
            },
            {"answer": "Singing women.", "selected_sentences": ["They sing ."]},
        ],
    }
    unanswerable = {
        "id": "2",
        "input": "who wrote the song",
        "passages": [passage],
        "output": [{"answer": "", "selected_sentences": []}],
    }
    folder = tmp_path / "clapnq"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps(answerable) + "\n")
    (folder / "b.jsonl").write_text(json.dumps(unanswerable) + "\n")
    data, documents = load_source(folder)
    assert len(documents) == 1  # the shared passage is one document
    by_id = {c.id: c for c in data.cases}
    assert by_id["1"].answerable and by_id["1"].references == [
        "Women Delmar thinks are Sirens.",
        "Singing women.",
    ]
    assert by_id["1"].evidence[0].quote == "Delmar thinks they are Sirens ."
    assert not by_id["2"].answerable and "unanswerable" in by_id["2"].tags
    locate_evidence(data, {documents[0].id: documents[0].text}.get)
    (folder / "c.jsonl").write_text("{broken\n")
    with pytest.raises(DatasetError, match=r"c\.jsonl:1: malformed ClapNQ record"):
        load_clapnq(folder)


def test_beir_qrels_accept_crlf_and_a_header_and_name_bad_lines(tmp_path):
    qrels = tmp_path / "qrels" / "train.tsv"
    qrels.parent.mkdir()
    qrels.write_bytes(b"query-id\tcorpus-id\tscore\r\n1\tA\t1\r\n1\tB\t0\r\n2\tC\t2\r\n")
    assert read_qrels(qrels) == {"1": {"A": 1, "B": 0}, "2": {"C": 2}}
    (tmp_path / "queries.jsonl").write_text('{"_id": "1", "text": "q one"}\n{"_id": "2", "text": "q two"}\n')
    (tmp_path / "corpus.jsonl").write_text(
        '{"_id": "A", "title": "T", "text": "alpha"}\n{"_id": "B/x", "title": "", "text": ""}\n{"_id": "C", "text": "c"}\n'
    )
    data = load_beir(tmp_path, "train")
    assert set(data.queries) == {"1", "2"}
    assert data.original_id["B-x"] == "B/x"
    assert [d.text for d in data.documents] == ["alpha", "B/x", "c"]  # an empty abstract keeps some text
    qrels.write_bytes(b"1\tA\t1\n1\tB\toops\n")
    with pytest.raises(DatasetError, match=r"train\.tsv:2: field 'score'"):
        load_beir(tmp_path, "train")


@pytest.mark.shared_data
def test_the_real_public_datasets_load():
    data, documents = load_policyqa(shared_data("policyqa-dev") / "dev.json")
    assert len(documents) == 20 and len(data) > 3700
    texts = {d.id: d.text for d in documents}
    locate_evidence(data, texts.get)  # every answer span is at its offset
    clap, passages = load_clapnq(shared_data("clapnq-dev-a"))
    assert sum(c.answerable for c in clap.cases) > 130 and sum(not c.answerable for c in clap.cases) == 132
    locate_evidence(clap, {d.id: d.text for d in passages}.get)
    scifact = load_beir(shared_data("scifact-train"), "train")
    assert len(scifact.documents) == 5183 and len(scifact.queries) > 500
