import datetime as dt
import re

import numpy as np
import pytest

from assistant.models import Filters
from assistant.retrieve.hybrid import mmr, rrf_fuse
from tests.support import write


def test_rrf_matches_the_definition():
    fused = dict(rrf_fuse({"dense": ["a", "b", "c"], "bm25": ["c", "a"]}, {"dense": 1.0, "bm25": 0.5}, k=60))
    assert fused["a"] == pytest.approx(1 / 61 + 0.5 / 62)
    assert fused["b"] == pytest.approx(1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 0.5 / 61)
    assert list(
        dict(rrf_fuse({"dense": ["a", "b", "c"], "bm25": ["c", "a"]}, {"dense": 1, "bm25": 0.5}, 60))
    ) == ["a", "c", "b"]


def test_a_zero_weight_switches_a_retriever_off():
    assert [i for i, _ in rrf_fuse({"dense": ["a"], "bm25": ["b"]}, {"dense": 0.0, "bm25": 1.0}, 60)] == ["b"]


def test_mmr_skips_near_duplicates():
    vectors = np.array([[1, 0], [0.999, 0.045], [0, 1]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert mmr(vectors, [1.0, 0.99, 0.5], top_k=2, lambda_=0.5) == [0, 2]
    assert mmr(vectors, [1.0, 0.99, 0.5], top_k=2, lambda_=1.0) == [0, 1]


def doc(title, body, **meta):
    fields = "\n".join(f'{k}: "{v}"' if not isinstance(v, list) else f"{k}: {v}" for k, v in meta.items())
    return f'---\ntitle: "{title}"\n{fields}\n---\n\n{body}\n'


@pytest.fixture
def filtered(tmp_path, make_assistant):
    write(
        tmp_path / "c" / "eu.md",
        doc(
            "EU rules",
            "Providers must register high-risk systems in the EU database.",
            issuing_body="European Union",
            date="2024-06-13",
            language="en",
            tags=["eu", "law"],
        ),
    )
    write(
        tmp_path / "c" / "us.md",
        doc(
            "US order",
            "Agencies must register high-risk systems in an inventory.",
            issuing_body="White House",
            date="2020-12-03",
            language="en",
            tags=["us"],
        ),
    )
    write(
        tmp_path / "c" / "cn.md",
        doc(
            "中国办法",
            "提供者应当对高风险系统进行备案登记。",
            issuing_body="CAC",
            date="2023-07-10",
            language="zh",
            tags=["china", "law"],
        ),
    )
    assistant = make_assistant()
    assistant.ingest([tmp_path / "c"])
    return assistant


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(doc_ids=["us"]), {"us"}),
        (Filters(issuing_body=["European Union"]), {"eu"}),
        (Filters(language=["zh"]), {"cn"}),
        (Filters(tags=["law"]), {"eu", "cn"}),
        (Filters(date_from=dt.date(2023, 1, 1)), {"eu", "cn"}),
        (Filters(date_to=dt.date(2023, 12, 31)), {"us", "cn"}),
        (Filters(date_from=dt.date(2021, 1, 1), date_to=dt.date(2023, 12, 31), tags=["law"]), {"cn"}),
    ],
)
def test_filters_apply_to_dense_and_bm25_alike(filtered, mode, filters, expected):
    query = "register high-risk systems 高风险系统备案"
    passages = filtered.retrieve(query, filters=filters, top_k=10, mode=mode).passages
    assert {p.doc_id for p in passages} <= expected
    assert passages, "something matches in every filtered set"


def test_each_passage_says_where_its_scores_came_from(filtered):
    passages = filtered.retrieve("register high-risk systems in the EU database", top_k=3).passages
    top = passages[0]
    assert top.doc_id == "eu"
    assert set(top.scores.sources) == {"dense", "bm25"}
    assert top.scores.dense_rank == 1 and top.scores.bm25_rank == 1
    assert top.scores.fused == pytest.approx(2 / 61)
    assert top.title == "EU rules" and top.issuing_body == "European Union"


def test_mmr_option_trades_relevance_for_diversity(tmp_path, make_assistant):
    text = "Providers of high-risk AI systems must register them in the EU database before placing them on the market."
    write(tmp_path / "c" / "a.md", doc("A", text))
    write(tmp_path / "c" / "b.md", doc("B", text.replace("must", "shall")))
    write(
        tmp_path / "c" / "c.md",
        doc("C", "Deployers of AI systems must register their use with the national authority."),
    )
    plain = make_assistant()
    plain.ingest([tmp_path / "c"])
    diverse = make_assistant(retrieval={"mmr": {"enabled": True, "lambda": 0.3}})
    diverse.ingest([tmp_path / "c"])
    query = "must providers register high-risk AI systems in the EU database"
    assert {p.doc_id for p in plain.retrieve(query, top_k=2).passages} == {"a", "b"}
    assert {p.doc_id for p in diverse.retrieve(query, top_k=2).passages} == {"a", "c"} or {
        p.doc_id for p in diverse.retrieve(query, top_k=2).passages
    } == {"b", "c"}


def test_bad_filters_are_refused():
    with pytest.raises(ValueError):
        Filters(date_from=dt.date(2025, 1, 1), date_to=dt.date(2024, 1, 1))
    with pytest.raises(ValueError):
        Filters(unknown_field="x")


def test_a_named_provision_brings_the_chunks_under_its_heading(tmp_path, make_assistant):
    # Chapter 2's text shares no word with the question; only its heading says "Chapter 2". The other chapters
    # repeat the question's words.
    filler = "\n\n".join(
        f"## Chapter {n} Topic {n}\n\n"
        + " ".join(
            f"How many principles Chapter 2 of the Harbour Basic Plan lays down is asked in topic {n}.{i}."
            for i in range(60)
        )
        for n in (1, 3, 4, 5, 6)
    )
    chapter_2 = " ".join(
        ["This part sets forth three guiding ideas and four lines of action for ports."]
        + [f"Ports shall report on idea {i} every season to the coastal office." for i in range(3)]
    )
    body = f"{filler}\n\n## Chapter 2 Guiding Ideas\n\n{chapter_2}\n\n## Chapter 20 Annexes\n\n{chapter_2}"
    write(tmp_path / "c" / "plan.md", doc("Harbour Basic Plan", body, issuing_body="Cabinet"))
    assistant = make_assistant()
    assistant.ingest([tmp_path / "c"])
    (plan,) = [d.id for d in assistant.documents()]
    under = assistant.index.chunks_under(plan, re.compile(r"chapter\s2(?![\w/])", re.I), 5)
    assert [assistant.index.rows(under)[c].heading for c in under] == [["Chapter 2 Guiding Ideas"]]
    question = "How many principles does Chapter 2 of the Harbour Basic Plan lay down?"
    headings = [p.heading_path for p in assistant.retrieve(question, top_k=3).passages]
    assert "Chapter 2 Guiding Ideas" in headings


def test_each_named_document_is_searched_with_its_own_clause(tmp_path, make_assistant):
    write(
        tmp_path / "c" / "act.md",
        doc("Harbour Safety Act", "Every pier shall carry twelve lamps at night.", issuing_body="Council"),
    )
    write(
        tmp_path / "c" / "plan.md",
        doc("Lighthouse Keeping Plan", "Each lighthouse needs two keepers on duty.", issuing_body="Cabinet"),
    )
    assistant = make_assistant()
    assistant.ingest([tmp_path / "c"])
    ids = {d.title: d.id for d in assistant.documents()}
    act, plan = ids["Harbour Safety Act"], ids["Lighthouse Keeping Plan"]
    question = "How many lamps does the Harbour Safety Act require, and how many keepers does the Lighthouse Keeping Plan set?"
    retrieval = assistant.retrieve(question)
    assert set(retrieval.named_documents) == {act, plan}
    assert retrieval.document_questions == {
        act: "How many lamps does the Harbour Safety Act require",
        plan: "how many keepers does the Lighthouse Keeping Plan set?",
    }
    for doc_id, clause in retrieval.document_questions.items():
        assert np.allclose(retrieval.document_vectors[doc_id], assistant.embedder.embed_query(clause))
    # One question asked of both: searched as a whole.
    both = assistant.retrieve(
        "Do the Harbour Safety Act and the Lighthouse Keeping Plan both set night duties?"
    )
    assert set(both.named_documents) == {act, plan}
    assert both.document_questions == {} and both.document_vectors == {}
