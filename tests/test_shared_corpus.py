"""The real public policy corpus in ../shared/data: all 27 files, Chinese ones included (skipped when absent)."""

import pytest

from tests.support import shared_data


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.timeout(2400)
def test_the_shared_policy_corpus_ingests_end_to_end_and_reingests_nothing(make_assistant):
    folder = shared_data("policy-corpus")
    assistant = make_assistant()
    first = assistant.ingest([folder])
    assert first.summary["added"] == 27, [i for i in first.items if i.status != "added"]
    assert first.summary["failed"] == 0
    ids = {d.id: d for d in assistant.documents()}
    for chinese in ("cn_state_council_ai_plus_opinions_2025_zh", "cn_generative_ai_interim_measures_2023_zh"):
        assert ids[chinese].language == "zh" and ids[chinese].n_chunks > 5

    second = assistant.ingest([folder])
    assert second.summary["unchanged"] == 27
    assert second.summary["chunks_embedded"] == 0

    # Structure survives: AI Act passages carry their chapter and article.
    passages = assistant.retrieve(
        "prohibited AI practices subliminal techniques", filters=None, top_k=5
    ).passages
    act = [p for p in passages if p.doc_id == "eu_ai_act_regulation_2024_1689_oj"]
    assert any("Article 5" in p.heading_path for p in act)
    # Chinese text is searchable by its own terms (CJK bigrams in BM25).
    hits = assistant.retrieve("智能终端 智能体 普及率", mode="bm25", top_k=3).passages
    assert hits[0].doc_id == "cn_state_council_ai_plus_opinions_2025_zh"
    assert any("70%" in p.text for p in hits), "the 2027 target paragraph is among the top three"
