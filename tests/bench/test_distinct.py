"""The benchmark's distinct questions: generated from the corpus's chunks, never repeated, seeded."""

from dataclasses import dataclass

import pytest

from assistant.bench.distinct import DistinctQuestions
from assistant.bench.http import LoadResult, soak_figures


@dataclass(frozen=True)
class Row:
    id: str
    doc_id: str
    text: str
    title: str
    language: str | None


CHINESE = Row(
    "zh-1",
    "cn_measures_zh",
    "第四条 提供和使用生成式人工智能服务，应当遵守法律、行政法规，尊重社会公德和伦理道德。\n\n"
    "提供者应当依法开展预训练、优化训练等训练数据处理活动，使用具有合法来源的数据和基础模型。\n\n"
    "涉及个人信息的，应当取得个人同意或者符合法律、行政法规规定的其他情形。",
    "生成式人工智能服务管理暂行办法 (Interim Measures for the Management of Generative Artificial "
    "Intelligence Services) — Chinese original",
    "zh",
)


@pytest.fixture(scope="module")
def rows(corpus_assistant):
    return [*corpus_assistant.index.catalog.chunk_rows(), CHINESE]


def test_gives_n_distinct_questions_deterministic_for_a_seed(rows):
    first = DistinctQuestions(rows, seed=7).take(300)
    assert len(first) == 300
    assert len({" ".join(q.lower().split()) for q in first}) == 300  # never the same question twice
    assert all(q.endswith(("?", "？")) and len(q) > 20 for q in first)
    assert DistinctQuestions(rows, seed=7).take(300) == first  # the same seed: the same questions, in order
    assert DistinctQuestions(rows, seed=8).take(300) != first


def test_questions_spread_over_passages_and_documents(rows):
    questions = DistinctQuestions(rows, seed=13)
    sources = []
    while not sources or sources[-1].chunk_id not in {q.chunk_id for q in sources[:-1]}:
        sources.append(questions.next_question())
    sources.pop()
    # The first round asks about every chunk with body sentences once before any chunk twice (a chunk whose
    # sentences give no key phrase gives no question).
    chunks = [q.chunk_id for q in sources]
    assert len(chunks) >= 0.9 * questions.chunks
    assert len({q.doc_id for q in sources}) == len({r.doc_id for r in rows})
    # Each question is about its sentence: it names one of the sentence's words (or their translation).
    english = [q for q in sources if q.doc_id != CHINESE.doc_id]
    for q in english:
        asked = {w.strip("?,.").lower() for w in q.text.split()}
        assert asked & {w.strip(",.;:").lower() for w in q.sentence.split() if len(w) > 4}, q
    stats = questions.stats()
    assert stats["questions_generated"] == len(sources) + 1 and stats["source_chunks"] == len(set(chunks))
    assert questions.stats([q.text for q in sources[:5]])["source_chunks"] == 5


def test_no_headings_or_noise_and_chinese_documents_are_asked_about(rows):
    questions = DistinctQuestions(rows, seed=13)
    everything = []
    while True:
        try:
            everything.append(questions.next_question())
        except StopIteration:
            break
    assert len(everything) > 3 * questions.chunks  # later passes: other sentences, templates, phrase pairs
    assert len({q.text for q in everything}) == len(everything)
    assert not any(q.sentence.startswith("#") or "|" in q.sentence for q in everything)
    chinese = [q for q in everything if q.doc_id == CHINESE.doc_id]
    assert chinese and all(q.sentence in CHINESE.text for q in chinese)
    # In Chinese, or in English where the glossary translates the sentence's phrases.
    assert any("《生成式人工智能服务管理暂行办法》" in q.text or "有哪些" in q.text for q in chinese)


def test_soak_figures_summarise_memory_after_the_first_minute():
    result = LoadResult(
        concurrency=8,
        requests=6,
        errors=1,
        seconds=120.0,
        latencies_ms=[100.0, 110.0, 120.0, 130.0, 500.0],
        error_kinds={"HTTP 503": 1},
        asked=["a", "b", "c", "d", "e", "f"],
        timeline=[(10.0, 100.0), (30.0, 110.0), (61.0, 120.0), (70.0, None), (90.0, 130.0), (119.0, 500.0)],
        samples=[(0.0, 500.0), (30.0, 560.0), (60.0, 600.0), (90.0, 630.0), (120.0, 612.0)],
    )
    soak = soak_figures(result, 120.0)
    memory = soak["memory"]
    assert memory["settle_seconds"] == 60.0
    assert (memory["start_mb"], memory["at_first_minute_mb"], memory["end_mb"], memory["max_mb"]) == (
        500.0,
        600.0,
        612.0,
        630.0,
    )
    assert memory["growth_after_first_minute"] == 0.02 and memory["max_growth_after_first_minute"] == 0.05
    assert soak["after_first_minute"]["requests"] == 3  # the error does not count as a latency
    assert soak["errors"] == 1 and soak["error_kinds"] == {"HTTP 503": 1} and soak["unique_questions"] == 6
    assert sum(w["requests"] for w in soak["windows"]) == 6
