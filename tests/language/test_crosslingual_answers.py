"""English questions answered from a Chinese document and Chinese questions from an English one, end to end:
real jieba, real CC-CEDICT, the real embedding model, a real index (documents written for this test)."""

from pathlib import Path

import pytest

from assistant.models import Filters

CHINESE = """---
title: "关于推进智能终端发展的意见 (Opinions on Promoting Intelligent Terminals)"
issuing_body: "示例部委 (Ministry of Examples, China)"
date: "2026-01-15"
language: "zh"
---

# 关于推进智能终端发展的意见

一、总体要求

到2028年，新一代智能终端普及率超过60%，智能体应用覆盖主要行业。坚持安全与发展并重。

二、重点任务

第五条 服务提供者应当对生成的图片、视频等内容进行标识。

第六条 本意见自2026年3月1日起施行。
"""

ENGLISH = """---
title: "Harbour Safety Code"
issuing_body: "Harbour Authority"
date: "2025-06-01"
language: "en"
---

# Harbour Safety Code

## Reporting

Operators must report every accident to the Harbour Authority within 72 hours. The report names the vessel and
the berth.

## Inspections

The Harbour Authority inspects each berth once a year and publishes the results.
"""

OTHER = """---
title: "Guidance on Public Libraries"
language: "en"
---

# Guidance on Public Libraries

Libraries should open at least five days a week. Reading rooms must stay quiet after six in the evening.
"""


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory, embedder):
    from assistant.service import Assistant
    from tests.support import make_settings

    docs = tmp_path_factory.mktemp("bilingual-docs")
    for name, text in {"terminals-zh.md": CHINESE, "harbour.md": ENGLISH, "libraries.md": OTHER}.items():
        (docs / name).write_text(text, encoding="utf-8")
    made = []

    def build(own_embedder=False, **overrides):
        settings = make_settings(tmp_path_factory.mktemp("bilingual-index"), **overrides)
        # The shared embedder also reads the sentence vectors every other open index pooled at ingest.
        assistant = Assistant(settings, embedder=None if own_embedder else embedder)
        report = assistant.ingest([docs])
        assert report.count("failed") == 0
        made.append(assistant)
        return assistant

    yield build
    for assistant in made:
        assistant.close()


QUESTION = "What adoption rate for intelligent terminals is targeted for 2028?"


def test_english_question_cites_the_chinese_sentence_with_a_marked_gloss(bilingual):
    assistant = bilingual()
    retrieval = assistant.retrieve(QUESTION)
    assert retrieval.passages[0].doc_id == "terminals-zh"
    assert retrieval.translation is not None and "普及率" in retrieval.translation.text

    answer = assistant.ask(QUESTION)
    assert not answer.abstained
    cited = answer.citations[0]
    assert cited.doc_id == "terminals-zh" and "60%" in cited.quote
    document = assistant.document("terminals-zh")
    assert document.text[cited.start : cited.end] == cited.quote  # verbatim, exact offsets
    assert cited.heading_path.endswith("一、总体要求")
    assert cited.gloss is not None and "普及率: adoption rate" in cited.gloss and "(glossary" in cited.gloss
    # The answer says in English which document and section it quotes, then quotes it in Chinese.
    assert "Opinions on Promoting Intelligent Terminals" in answer.text and "in Chinese:" in answer.text
    assert "一、总体要求" in answer.text and cited.quote.split("。")[0] in answer.text


def test_the_translation_is_what_finds_it(bilingual):
    # Sentence vectors encoded alone, as an English model sees a Chinese sentence by itself (a vector pooled
    # out of its chunk also carries the chunk's English title, which would match the question instead).
    assistant = bilingual(
        own_embedder=True, retrieval={"crosslingual": {"enabled": False}}, ingest={"sentence_vectors": "off"}
    )
    retrieval = assistant.retrieve(QUESTION)
    assert retrieval.translation is None
    # The passage may still be found (by its English title and "2028"), but none of its sentences can be
    # matched with the question's words: nothing is quoted from it.
    answer = assistant.ask(QUESTION)
    assert not any("60%" in c.quote for c in answer.citations)


def test_chinese_question_finds_the_english_passage(bilingual):
    assistant = bilingual()
    retrieval = assistant.retrieve("港口运营者必须在多少小时内报告事故？")
    assert retrieval.translation is not None and retrieval.translation.target_language == "en"
    assert "accident" in retrieval.translation.text
    assert "72 hours" in retrieval.passages[0].text


def test_language_filters_hold_for_the_translated_search(bilingual):
    assistant = bilingual()
    only_english = assistant.retrieve(QUESTION, filters=Filters(language=["en"]))
    assert all(p.language == "en" for p in only_english.passages)
    only_chinese = assistant.retrieve(QUESTION, filters=Filters(language=["zh"]))
    assert only_chinese.passages and all(p.language == "zh" for p in only_chinese.passages)


def test_an_unrelated_english_question_does_not_pull_in_the_chinese_document(bilingual):
    assistant = bilingual()
    retrieval = assistant.retrieve("How many days a week should libraries open?")
    assert retrieval.passages[0].doc_id == "libraries"
    answer = assistant.ask("How many days a week should libraries open?")
    assert all(c.doc_id == "libraries" for c in answer.citations)
    assert all(c.gloss is None for c in answer.citations)


def test_ingest_keeps_chinese_offsets_exact(bilingual, tmp_path: Path):
    assistant = bilingual()
    document = assistant.document("terminals-zh")
    for passage in assistant.retrieve("第五条 标识", filters=Filters(doc_ids=["terminals-zh"])).passages:
        assert document.text[passage.start : passage.end] == passage.text


def test_a_question_about_the_other_language_s_country_weighs_the_translation_more(bilingual):
    retriever = bilingual().retriever
    assert retriever._about_language("What adoption rate does China target for 2028?", (), "zh")
    assert retriever._about_language("What rate is targeted?", ("terminals-zh",), "zh")  # a named document
    assert not retriever._about_language("How many days a week should libraries open?", (), "zh")
    assert not retriever._about_language("What does Canada target for 2028?", (), "zh")
