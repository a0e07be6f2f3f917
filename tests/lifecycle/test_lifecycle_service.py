"""Lifecycle through the service: statuses, relations, the in_force_on filter and notices in answers."""

from __future__ import annotations

import datetime as dt
import sqlite3

from assistant.lifecycle import store
from assistant.models import Filters
from tests.support import write

EO_QUESTION = "What does Executive Order 14110 require of developers of dual-use foundation models?"
AI_PLUS = "What penetration rate for intelligent terminals and agents does the AI+ plan target for 2027?"


def test_a_cited_revoked_order_gets_a_cited_notice(corpus_assistant):
    answer = corpus_assistant.ask(EO_QUESTION)
    assert not answer.abstained
    assert "us-eo-14110-2023" in {c.doc_id for c in answer.citations}
    (notice,) = answer.notices
    assert notice.doc_id == "us-eo-14110-2023" and notice.kind == "revoked"
    assert notice.text in answer.text and f"[{notice.citation}]" in notice.text
    cited = next(c for c in answer.citations if c.n == notice.citation)
    assert "revoked" in cited.quote
    document = corpus_assistant.document(cited.doc_id)
    assert document.text[cited.start : cited.end] == cited.quote


def test_answers_citing_documents_in_force_carry_no_notice(corpus_assistant):
    answer = corpus_assistant.ask(AI_PLUS)
    assert answer.citations and answer.notices == []
    assert "Note:" not in answer.text


def test_before_the_revocation_there_is_no_notice_and_after_it_the_order_is_filtered_out(corpus_assistant):
    before = corpus_assistant.ask(EO_QUESTION, filters=Filters(in_force_on=dt.date(2024, 6, 1)))
    assert not before.abstained and before.notices == []
    after = corpus_assistant.retrieve(EO_QUESTION, filters=Filters(in_force_on=dt.date(2025, 6, 1)))
    assert "us-eo-14110-2023" not in {p.doc_id for p in after.passages}
    before_hits = corpus_assistant.retrieve(EO_QUESTION, filters=Filters(in_force_on=dt.date(2024, 6, 1)))
    assert "us-eo-14110-2023" in {p.doc_id for p in before_hits.passages}


def test_documents_show_status_identifiers_and_relations(corpus_assistant):
    documents = {d.id: d for d in corpus_assistant.documents()}
    eo = documents["us-eo-14110-2023"]
    assert eo.status == "revoked" and "EO 14110" in eo.identifiers
    incoming = [r for r in eo.relations if r.direction == "incoming"]
    assert any(
        r.other_doc_id == "us-eo-14179-ai-action-plan-2025" and r.target_status == "revoked" for r in incoming
    )
    assert documents["ai-plus-opinions-2025"].identifiers == ["国发〔2025〕11号"]


def test_front_matter_lifecycle_and_relations_across_documents(make_assistant, tmp_path):
    folder = tmp_path / "docs"
    write(
        folder / "old-order.md",
        '---\ntitle: "Executive Order 90001: Old Rules"\ndate: "2020-01-01"\n---\n\n'
        "# Old rules\n\nAgencies shall file reports on automated systems every quarter.\n",
    )
    write(
        folder / "new-order.md",
        '---\ntitle: "Executive Order 90002: New Rules"\ndate: "2024-03-01"\n---\n\n'
        "# New rules\n\nSec. 1. Executive Order 90001 of January 1, 2020 (Old Rules) is hereby revoked.\n\n"
        "Sec. 2. Agencies shall file reports on automated systems once a year.\n",
    )
    write(
        folder / "draft-plan.md",
        '---\ntitle: "Draft Plan for Automated Systems"\ndate: "2023-01-01"\nstatus: "draft"\n'
        'implements: "EO 90002"\n---\n\n# Draft\n\nA draft plan for automated systems reports.\n',
    )
    assistant = make_assistant()
    assistant.ingest([folder])
    view = assistant.lifecycle.view()
    assert view.status("old-order").status == "revoked"
    assert view.status("old-order", dt.date(2023, 1, 1)).status == "in_force"
    assert view.status("new-order").status == "in_force"
    assert view.status("draft-plan").status == "draft"
    assert view.in_force_on(dt.date(2023, 6, 1)) == {"old-order"}
    assert view.in_force_on(dt.date(2024, 6, 1)) == {"new-order"}
    links = {(r.direction, r.relation, r.other_doc_id) for r in assistant.relations("old-order")}
    assert ("incoming", "revoked_by", "new-order") in links
    links = {(r.direction, r.relation, r.other_doc_id) for r in assistant.relations("new-order")}
    assert {("outgoing", "revokes", "old-order"), ("incoming", "implemented_by", "draft-plan")} <= links

    answer = assistant.ask("How often shall agencies file reports on automated systems under the old rules?")
    if "old-order" in {c.doc_id for c in answer.citations}:
        assert any(n.doc_id == "old-order" and n.citation for n in answer.notices)


def test_an_older_catalog_gets_its_lifecycles_from_the_stored_texts(make_assistant, tmp_path):
    folder = tmp_path / "docs"
    write(
        folder / "gdpr.md",
        "# Regulation (EU) 2016/679\n\nDirective 95/46/EC is repealed with effect from 25 May 2018.\n",
    )
    assistant = make_assistant(tmp_path / "index")
    assistant.ingest([folder])
    db = sqlite3.connect(assistant.index.catalog.path)
    db.execute("DROP TABLE lifecycle")  # as a catalog made before lifecycles existed
    db.commit()
    db.close()
    assistant.close()
    reopened = make_assistant(tmp_path / "index")
    (relation,) = reopened.relations("gdpr")
    assert (relation.relation, relation.other, relation.date) == (
        "revokes",
        "Directive 95/46/EC",
        "2018-05-25",
    )
    assert reopened.ingest([folder]).summary["chunks_embedded"] == 0
    assert set(store.load(reopened.index.catalog)) == {"gdpr"}


def test_status_questions_are_answered_from_the_relations(corpus_assistant):
    answer = corpus_assistant.ask("Is Executive Order 14110 still in effect?")
    assert not answer.abstained and answer.backend == "lifecycle"
    assert answer.text.startswith("No. EO 14110 was revoked")
    assert answer.citations and all("14110" in c.quote for c in answer.citations)
    for citation in answer.citations:
        assert (
            corpus_assistant.document(citation.doc_id).text[citation.start : citation.end] == citation.quote
        )
    # A document nothing puts out of force is not declared in force: the ordinary answerer takes the question.
    other = corpus_assistant.ask("Is Executive Order 14179 still in effect?")
    assert other.backend != "lifecycle"
