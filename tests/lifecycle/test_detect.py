"""Lifecycle detection: hand-made sentences, front matter, and real sentences of the shared policy corpus."""

from __future__ import annotations

import json

import pytest

from assistant.lifecycle import identifiers as ids
from assistant.lifecycle.detect import detect
from assistant.lifecycle.evaluate import evaluate, target_key
from assistant.lifecycle.extract import document_lifecycle
from assistant.models import Document, DocumentMetadata
from tests.support import ROOT, shared_data

LABELS = ROOT / "evals" / "relations-policy-corpus.jsonl"


def facts(text: str, own: tuple[str, ...] = ()) -> set[tuple[str, str, str | None]]:
    relations, _dates = detect(text, own)
    return {(r.relation, r.target_key, r.target_status) for r in relations}


def make(text: str, title: str = "A note", **extra: str) -> Document:
    date = extra.pop("date", None)
    return Document(
        id="doc",
        source="doc.md",
        text=text,
        content_hash="x",
        metadata=DocumentMetadata(title=title, date=date, extra=extra),
    )


# --- hand-made sentences -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This order revokes Executive Order 13960.", {("revokes", "eo:13960", None)}),
        (
            "Executive Order 13960 of December 3, 2020 (Promoting the Use of AI), is hereby revoked.",
            {("revokes", "eo:13960", None)},
        ),
        (
            "Directive 95/46/EC is repealed with effect from 25 May 2018.",
            {("revokes", "directive:95/46", None)},
        ),
        ("Regulation (EU) 2018/1139 is amended as follows:", {("amends", "regulation:2018/1139", None)}),
        (
            "Amendment to Directive (EU) 2016/797\n\nIn Article 5 ...",
            {("amends", "directive:2016/797", None)},
        ),
        (
            "actions taken pursuant to the revoked Executive Order 14110 of October 30, 2023.",
            {("refers_to", "eo:14110", "revoked")},
        ),
        (
            "Steps were taken, including rescinding Biden Executive Order 14110.",
            {("refers_to", "eo:14110", "revoked")},
        ),
        ("Executive Order 13859 was superseded by a later order.", {("refers_to", "eo:13859", "superseded")}),
        (
            "《互联网信息服务深度合成管理规定》同时废止。",
            {("revokes", "name:互联网信息服务深度合成管理规定", None)},
        ),
        (
            "根据《中华人民共和国网络安全法》、《中华人民共和国数据安全法》等法律，制定本办法。",
            {("implements", "name:网络安全法", None), ("implements", "name:数据安全法", None)},
        ),
    ],
)
def test_relations_the_text_states(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Another act's title in a footnote: its repeal is not this document's.
        "(1)  Regulation (EU) 2016/679 of the European Parliament and of the Council of 27 April 2016 on the "
        "protection of natural persons, and repealing Directive 95/46/EC (OJ L 119, 4.5.2016, p. 1).",
        "Decisions adopted on the basis of Directive 95/46/EC shall remain in force until amended, replaced or "
        "repealed.",
        "The delegation of power may be revoked at any time by the European Parliament or by the Council.",
        "The Council shall consider repealing Directive 95/46/EC.",
        "as amended by Executive Order 13757 of December 28, 2016",
        "Some jobs will be replaced by AI, many will be augmented.",
        "they were incorrect and superseded by a later response.",
    ],
)
def test_what_is_not_a_relation_of_the_document(text):
    assert facts(text) == set()


def test_a_title_states_its_own_relations_only():
    text = (
        "REGULATION (EU) 2024/1689 OF THE EUROPEAN PARLIAMENT AND OF THE COUNCIL\n\nof 13 June 2024\n\n"
        "laying down harmonised rules and amending Regulations (EC) No 300/2008, (EU) 2018/858 and "
        "Directives 2014/90/EU and (EU) 2020/1828 (Artificial Intelligence Act)"
    )
    assert facts(text, ("regulation:2024/1689",)) == {
        ("amends", "regulation:300/2008", None),
        ("amends", "regulation:2018/858", None),
        ("amends", "directive:2014/90", None),
        ("amends", "directive:2020/1828", None),
    }
    # The same title read in another document is a citation: nothing of that document's own.
    assert facts(text, ("regulation:2016/679",)) == set()


def test_own_and_staged_dates():
    text = (
        "Article 113\n\nEntry into force and application\n\nIt shall apply from 2 August 2026.\n\nHowever:\n\n"
        "(a)\n\nChapters I and II shall apply from 2 February 2025;\n\n"
        "Regulation (EU) 2019/1020 shall apply from 1 January 2020.\n\n第二十四条 本办法自2023年8月15日起施行。"
    )
    _relations, dates = detect(text, ())
    found = {(d.kind, d.date, d.scope) for d in dates}
    assert found == {
        ("applies_from", "2026-08-02", None),
        ("applies_from", "2025-02-02", "Chapters I and II"),
        ("entry_into_force", "2023-08-15", None),
    }
    for item in dates:
        assert text[item.evidence.start : item.evidence.end] == item.evidence.quote


def test_evidence_is_the_exact_sentence_with_offsets():
    text = "Intro.\n\nSec. 5. Policy. All actions taken under the revoked Executive Order 14110 are reviewed. Next."
    (relation,) = detect(text, ())[0]
    assert (
        relation.evidence.quote == "All actions taken under the revoked Executive Order 14110 are reviewed."
    )
    assert text[relation.evidence.start : relation.evidence.end] == relation.evidence.quote


def test_front_matter_fields_and_free_text():
    document = make(
        "Nothing in the text.",
        title="Executive Order 14110: Safe AI",
        date="2023-10-30 (published 2023-11-01)",
        note="Revoked 2025-01-20 by EO 14148.",
        status="revoked",
        amends="EO 13960, Directive 95/46/EC",
        applies_from="2024-01-01",
        identifiers="88 FR 75191",
    )
    lifecycle = document_lifecycle(document)
    assert lifecycle.declared_status == "revoked"
    assert "EO 14110" in lifecycle.identifiers and "eo:14110" in lifecycle.keys
    relations = {(r.relation, r.target_key, r.date) for r in lifecycle.relations}
    assert ("revoked_by", "eo:14148", "2025-01-20") in relations
    assert {("amends", "eo:13960", None), ("amends", "directive:95/46", None)} <= relations
    assert all(r.evidence.origin == "front_matter" for r in lifecycle.relations)
    dates = {(d.kind, d.date) for d in lifecycle.dates}
    assert {
        ("published", "2023-11-01"),
        ("revoked_on", "2025-01-20"),
        ("applies_from", "2024-01-01"),
    } <= dates


def test_identifiers_are_keyed_the_ways_texts_write_them():
    assert ids.find_all("Executive Orders 13859 and 13960")[1].key == "eo:13960"
    assert [i.key for i in ids.find_all("Regulation (EC) No 300/2008")] == ["regulation:300/2008"]
    assert ids.cn_number("Guo Fa", "2025", "11").key == ids.cn_number("国发", "2025", "11").key
    assert target_key("《中华人民共和国网络安全法》") == "name:网络安全法"


# --- the shared corpus ---------------------------------------------------------------------------------


def test_labelled_evidence_is_verbatim():
    folder = shared_data("policy-corpus")
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        text = (folder / f"{label['doc_id']}.md").read_text(encoding="utf-8")
        assert label["evidence"] in text, label


def test_detection_meets_its_targets_on_the_labelled_list():
    scores = evaluate(shared_data("policy-corpus"), LABELS)
    assert scores.precision >= 0.95, scores.false_positives
    assert scores.recall >= 0.80, scores.false_negatives


def test_real_sentences_of_the_corpus():
    from assistant.ingest.loaders import load_document

    folder = shared_data("policy-corpus")
    eo = load_document(folder / "us_eo14179_removing_barriers_2025.md")
    own = [i.key for i in ids.own_identifiers(eo.metadata.title, eo.text[:3000])]
    relations, _ = detect(eo.text, own)
    (relation,) = relations
    assert (relation.relation, relation.target_key, relation.target_status) == (
        "refers_to",
        "eo:14110",
        "revoked",
    )
    assert "the revoked Executive Order 14110" in relation.evidence.quote

    gdpr = document_lifecycle(load_document(folder / "eu_gdpr_regulation_2016_679.md"))
    (repeal,) = [r for r in gdpr.relations if r.relation == "revokes"]
    assert repeal.target == "Directive 95/46/EC" and repeal.date == "2018-05-25"
    assert ("entry_into_force", "2016-05-24") in {(d.kind, d.date) for d in gdpr.dates}

    act = document_lifecycle(load_document(folder / "eu_ai_act_regulation_2024_1689_oj.md"))
    assert len([r for r in act.relations if r.relation == "amends"]) == 9
    assert not [r for r in act.relations if r.relation == "revokes"]  # footnotes cite others' repeals
    staged = {d.date for d in act.dates if d.kind == "applies_from"}
    assert staged == {"2025-02-02", "2025-08-02", "2026-08-02", "2027-08-02"}
