"""Dataset schema validation, gold-quote location, and the development set itself."""

import json
from collections import Counter

import pytest

from assistant.evaluation.dataset import (
    DatasetError,
    MissingEvidenceError,
    load_jsonl_dataset,
    locate_evidence,
)
from assistant.ingest.loaders import load_document
from tests.support import CORPUS, ROOT

DEV = ROOT / "evals" / "dev.jsonl"

GOOD = {
    "id": "c1",
    "question": "When does it apply?",
    "answerable": True,
    "reference_answer": "From 2026.",
    "evidence": [{"doc_id": "d", "quote": "applies from 2026"}],
    "tags": ["date"],
    "history": [],
}


def write_lines(path, rows):
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def test_a_valid_dataset_loads(tmp_path):
    unanswerable = {
        **GOOD,
        "id": "c2",
        "answerable": False,
        "reference_answer": "",
        "evidence": [],
        "tags": [],
    }
    data = load_jsonl_dataset(write_lines(tmp_path / "set.jsonl", [GOOD, "", unanswerable]))
    assert [c.id for c in data.cases] == ["c1", "c2"]
    assert data.cases[0].references == ["From 2026."]
    assert len(data.fingerprint) == 16


@pytest.mark.parametrize(
    ("change", "line_field"),
    [
        ({"question": None}, "field 'question'"),
        ({"answerable": "maybe"}, "field 'answerable'"),
        ({"evidence": [{"doc_id": "d"}]}, "field 'evidence.0.quote'"),
        ({"evidence": []}, "field 'evidence'"),
        ({"reference_answer": ""}, "field 'reference_answer'"),
        ({"history": [{"role": "bot", "content": "hi"}]}, "field 'history.0.role'"),
        ({"tags": ["follow-up"]}, "field 'history'"),
        ({"colour": "red"}, "field 'colour'"),
        ({"filters": {"doc_ids": ["d"], "planet": "x"}}, "field 'filters.planet'"),
    ],
)
def test_a_malformed_line_names_file_line_and_field(tmp_path, change, line_field):
    bad = {**GOOD, "id": "c2", **change}
    path = write_lines(tmp_path / "set.jsonl", [GOOD, bad])
    with pytest.raises(DatasetError) as caught:
        load_jsonl_dataset(path)
    assert f"{path}:2: {line_field}" in str(caught.value)


def test_invalid_json_duplicate_ids_and_non_objects_are_reported_together(tmp_path):
    path = write_lines(tmp_path / "set.jsonl", [GOOD, "{not json", GOOD, "[1, 2]"])
    with pytest.raises(DatasetError) as caught:
        load_jsonl_dataset(path)
    message = str(caught.value)
    assert f"{path}:2: not valid JSON" in message
    assert f"{path}:3: field 'id': 'c1' is already used on line 1" in message
    assert f"{path}:4: expected a JSON object" in message


def test_an_empty_dataset_is_an_error(tmp_path):
    with pytest.raises(DatasetError, match="empty"):
        load_jsonl_dataset(write_lines(tmp_path / "empty.jsonl", ["", "  "]))
    with pytest.raises(DatasetError, match="no such file"):
        load_jsonl_dataset(tmp_path / "missing.jsonl")


def test_a_gold_quote_not_in_its_document_is_reported(tmp_path):
    wrong = {**GOOD, "id": "c2", "evidence": [{"doc_id": "d", "quote": "applies from 2027"}]}
    elsewhere = {**GOOD, "id": "c3", "evidence": [{"doc_id": "nowhere", "quote": "x"}]}
    data = load_jsonl_dataset(write_lines(tmp_path / "set.jsonl", [GOOD, wrong, elsewhere]))
    texts = {"d": "The rule applies from 2026 onwards; it applies from 2026 everywhere."}
    with pytest.raises(MissingEvidenceError) as caught:
        locate_evidence(data, texts.get)
    message = str(caught.value)
    assert "case 'c2', evidence 0: quote not found verbatim in 'd'" in message
    assert "case 'c3', evidence 0: document 'nowhere' is not in the index" in message
    spans = locate_evidence(data.limited(1), texts.get)
    assert [(s.start, s.end) for s in spans["c1"]] == [(9, 26), (39, 56)]  # both occurrences count


def test_a_gold_quote_counts_where_the_document_breaks_it_over_lines(tmp_path):
    # A PDF's summary states the sentence on one line and its body breaks it; both places are the quote.
    data = load_jsonl_dataset(write_lines(tmp_path / "set.jsonl", [GOOD]))
    text = "Summary: applies from 2026. Body: it applies \nfrom  2026 in full; it applies from 2027."
    spans = locate_evidence(data, {"d": text}.get)["c1"]
    assert [text[s.start : s.end] for s in spans] == ["applies from 2026", "applies \nfrom  2026"]
    assert all(text[s.start : s.end].split() == ["applies", "from", "2026"] for s in spans)


def test_every_gold_quote_of_the_dev_set_occurs_verbatim_in_its_document():
    data = load_jsonl_dataset(DEV)
    documents = {p.stem: load_document(p) for p in CORPUS.glob("*.md") if p.name != "README.md"}
    for case in data.cases:
        for item in case.evidence:
            assert item.doc_id in documents, (case.id, item.doc_id)
            assert item.quote in documents[item.doc_id].text, (case.id, item.quote)
    spans = locate_evidence(data, lambda d: documents[d].text if d in documents else None)
    assert sum(len(s) for s in spans.values()) >= sum(len(c.evidence) for c in data.cases)


def test_the_dev_set_keeps_its_size_and_tag_minimums():
    data = load_jsonl_dataset(DEV)
    tags = Counter(t for c in data.cases for t in c.tags)
    assert len(data) >= 80
    assert sum(not c.answerable for c in data.cases) >= 15 and tags["near-miss"] >= 1
    assert sum(1 for c in data.cases if "follow-up" in c.tags and c.history) >= 10
    assert tags["multi-passage"] >= 5
    assert all(len(c.evidence) >= 2 for c in data.cases if "multi-passage" in c.tags)
    for case in data.cases:
        assert case.question.strip() not in {e.quote for e in case.evidence}, case.id  # paraphrased


def test_halves_are_fixed_by_id_and_split_the_real_corpus_set_evenly():
    from assistant.evaluation.dataset import half_of

    data = load_jsonl_dataset(ROOT / "evals" / "policy-corpus.jsonl")
    tune, check = data.half("tune"), data.half("check")
    assert {c.id for c in tune.cases}.isdisjoint({c.id for c in check.cases})
    assert len(tune) + len(check) == len(data) and data.half("all") is data
    assert abs(len(tune) - len(check)) <= 0.1 * len(data)
    for kind in ("unanswerable", "follow-up", "multi-doc", "cross-lingual"):
        counts = [sum(kind in c.tags for c in half.cases) for half in (tune, check)]
        assert min(counts) >= 0.3 * sum(counts), (kind, counts)
    assert all(half_of(c.id) == "tune" for c in tune.cases)
    assert half_of("some-case") == half_of("some-case")
    with pytest.raises(DatasetError, match="unknown half"):
        data.half("train")


def test_the_real_corpus_set_quotes_its_documents_and_keeps_its_kinds():
    from tests.support import shared_data

    folder = shared_data("policy-corpus")
    data = load_jsonl_dataset(ROOT / "evals" / "policy-corpus.jsonl")
    documents = {p.stem: load_document(p).text for p in folder.glob("*.md")}
    spans = locate_evidence(data, documents.get)  # raises on any quote that is not verbatim
    assert all(spans[c.id] for c in data.cases if c.answerable)
    tags = Counter(t for c in data.cases for t in c.tags)
    assert len(data) >= 150 and tags["unanswerable"] >= 30 and tags["follow-up"] >= 15
    assert tags["multi-doc"] >= 20 and tags["cross-lingual"] >= 15
    english = {d for d, text in documents.items() if not d.endswith("_zh")}
    asked = {e.doc_id for c in data.cases if "multi-doc" not in c.tags for e in c.evidence}
    assert english <= asked  # single-document facts over every English document
    for kind in ("missing-provision", "uncovered-country", "unindexed-document", "near-miss"):
        assert tags[kind] >= 5, kind


CROSS_LINGUAL = ROOT / "evals" / "cross-lingual.jsonl"


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_cross_lingual_set_keeps_its_directions_and_splits_into_both_halves():
    data = load_jsonl_dataset(CROSS_LINGUAL)
    tags = Counter(t for c in data.cases for t in c.tags)
    assert all("cross-lingual" in c.tags for c in data.cases)
    answerable = [c for c in data.cases if c.answerable]
    to_zh = [c for c in answerable if "en-to-zh" in c.tags]
    to_en = [c for c in answerable if "zh-to-en" in c.tags]
    assert len(to_zh) >= 24 and len(to_en) >= 12 and tags["unanswerable"] >= 4
    assert len(to_zh) + len(to_en) == len(answerable)
    assert {e.doc_id for c in to_zh for e in c.evidence} == {
        "cn_state_council_ai_plus_opinions_2025_zh",
        "cn_generative_ai_interim_measures_2023_zh",
    }
    assert len({e.doc_id for c in to_en for e in c.evidence}) >= 6
    for case in data.cases:  # asked in one language, answered from documents in the other
        asked_in_chinese = "zh-to-en" in case.tags
        assert _has_cjk(case.question) == asked_in_chinese, case.id
        assert all(_has_cjk(e.quote) != asked_in_chinese for e in case.evidence), case.id
        assert case.question.strip() not in {e.quote for e in case.evidence}, case.id
    existing = load_jsonl_dataset(ROOT / "evals" / "policy-corpus.jsonl")
    assert {c.id for c in data.cases}.isdisjoint({c.id for c in existing.cases})
    old_quotes = {e.quote for c in existing.cases for e in c.evidence}
    assert not {e.quote for c in data.cases for e in c.evidence} & old_quotes  # different facts
    for kind in ("en-to-zh", "zh-to-en", "unanswerable"):
        counts = [sum(kind in c.tags for c in data.half(h).cases) for h in ("tune", "check")]
        assert min(counts) >= 0.25 * sum(counts), (kind, counts)


def test_the_cross_lingual_set_quotes_its_documents_verbatim():
    from tests.support import shared_data

    folder = shared_data("policy-corpus")
    data = load_jsonl_dataset(CROSS_LINGUAL)
    documents = {p.stem: load_document(p).text for p in folder.glob("*.md")}
    spans = locate_evidence(data, documents.get)  # raises on any quote that is not verbatim
    assert all(spans[c.id] for c in data.cases if c.answerable)
