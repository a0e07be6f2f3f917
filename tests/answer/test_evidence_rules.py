"""Evidence rules: a sentence about another year does not answer a question about one; a heading answers nothing;
a recital gives way to the article that enacts it."""

import pytest

from assistant.answer.evidence import is_heading_line, question_years, recital_passages, year_mismatch
from assistant.answer.specifics import years
from assistant.models import Passage


def test_years_are_four_digit_years_only():
    assert years("By 2027 above 70%, by 2030 above 90%; Article 2031a.") == {"2027", "2030"}
    assert years("No. 11 of 2025-08-21, 12,000 euros, 1.2030, 20300") == {"2025"}
    assert years("到2027年，新一代智能终端应用普及率超70%") == {"2027"}  # 年 follows the year in Chinese


def test_a_sentence_naming_only_other_years_is_a_mismatch():
    asked = years("What adoption rate is targeted for 2027?")
    assert year_mismatch(asked, "By 2030 the adoption rate is to exceed 90%.")
    assert not year_mismatch(asked, "By 2027 the rate is to exceed 70%, and by 2030 90%.")
    assert not year_mismatch(
        asked, "The adoption rate of intelligent terminals is to exceed 70%."
    )  # no year named
    assert not year_mismatch(set(), "By 2030 the adoption rate is to exceed 90%.")  # no year asked


def test_a_year_in_a_named_documents_title_is_not_asked():
    question = "In China's 2017 Development Plan, by what year should basic theory see breakthroughs?"
    title = "Next Generation Artificial Intelligence Development Plan (Newsletter No. 17, 2017)"
    assert question_years(question) == {"2017"}
    assert question_years(question, ("development plan", title)) == set()
    assert not year_mismatch(
        question_years(question, (title,)), "Step 2: by 2025 basic theory breaks through."
    )
    # A year the title does not hold is still asked.
    assert question_years("What does the 2017 plan set for 2030?", (title,)) == {"2030"}


def test_markdown_headings_are_not_answer_candidates():
    assert is_heading_line("## AI Safety Governance Framework, Version 2.0 (September 2025)")
    assert is_heading_line("  # Title")
    assert not is_heading_line("#hashtag campaigns are not headings")
    assert not is_heading_line("Article 5 prohibits # of practices")


def _passage(doc_id: str, start: int, heading: str, text: str = "Text.") -> Passage:
    return Passage(
        id=f"{doc_id}:{start}",
        doc_id=doc_id,
        title=doc_id,
        heading_path=heading,
        text=text,
        start=start,
        end=start + len(text),
    )


def test_recitals_are_the_unheaded_passages_before_a_retrieved_article_of_the_same_act():
    passages = [
        _passage("act", 30_000, ""),  # recital 24
        _passage("act", 231_000, "CHAPTER I — GENERAL PROVISIONS > Article 2 — Scope"),
        _passage("act", 600_000, ""),  # after the articles (a signature, an annex without a heading)
        _passage("guide", 1_000, ""),  # another document, with no articles retrieved
        _passage("other_act", 5_000, ""),
    ]
    assert recital_passages(passages) == {0}
    assert recital_passages([passages[0], passages[3]]) == set()  # no article retrieved: nothing to prefer


def test_a_recital_gives_way_to_its_article_without_lowering_the_evidence_score(embedder):
    from assistant.answer.evidence import Evidence, EvidenceScorer
    from assistant.config import load_settings

    recital = _passage(
        "act",
        30_000,
        "",
        "(24) AI systems used exclusively for military purposes should be excluded from the scope.",
    )
    article = _passage(
        "act",
        231_000,
        "CHAPTER I > Article 2 — Scope",
        "This Regulation does not apply to AI systems used exclusively for military purposes.",
    )
    settings = load_settings(profile="test").answer.evidence
    # The recital's wording is the question's: unpenalised, it outranks the article.
    question = "Are AI systems used exclusively for military purposes excluded from the scope?"

    def scored(penalty: float) -> Evidence:
        scorer = EvidenceScorer(embedder, settings.model_copy(update={"recital_penalty": penalty}), "english")
        return scorer.score(question, [recital, article])

    def scores(penalty: float) -> dict[int, float]:
        return {e.passage: e.score for e in scored(penalty).sentences}

    plain, penalised = scores(0.0), scores(settings.recital_penalty)
    # A preference between restatements: the evidence score the assistant abstains on does not fall.
    assert scored(settings.recital_penalty).score == pytest.approx(max(plain.values()))
    assert settings.recital_penalty > 0
    assert penalised[1] == pytest.approx(plain[1])  # the article keeps its score
    assert penalised[0] == pytest.approx(plain[0] * (1 - settings.recital_penalty))
    assert plain[0] > plain[1]  # so the evidence score above is the recital's unpenalised one


def test_a_question_about_the_chinese_documents_holds_english_sentences_to_their_scale(embedder):
    # An English question about the Chinese measures: the Chinese sentence that answers is scored by the
    # translation's term coverage, and an on-topic English sentence from another document by MiniLM's cosine,
    # which runs higher. About the Chinese documents, the English one is scored by coverage too.
    from assistant.answer.evidence import EvidenceScorer
    from assistant.config import load_settings
    from assistant.language.translation import QueryTranslator

    question = "Which rights of other people must generative AI services in China not infringe?"
    chinese = _passage(
        "cn_measures",
        1_000,
        "第四条",
        "不得侵害他人肖像权、名誉权、荣誉权、隐私权和个人信息权益。",
    )
    english = _passage(
        "cn_summary_en",
        3_000,
        "",
        "AI boasts broad applications in education, medical care and judicial service for people.",
    )
    translation = QueryTranslator().translate(question)
    scorer = EvidenceScorer(embedder, load_settings(profile="test").answer.evidence, "english")

    def best(about: bool) -> str:
        evidence = scorer.score(
            question, [english, chinese], translation=translation, about_other_language=about
        )
        return evidence.sentences[0].text

    assert best(about=False).startswith("AI boasts")  # the English cosine outranks the answer
    assert best(about=True).startswith("不得侵害")
    scored = scorer.score(question, [english, chinese], translation=translation, about_other_language=True)
    english_evidence = next(e for e in scored.sentences if e.text.startswith("AI boasts"))
    assert english_evidence.semantic == pytest.approx(english_evidence.lexical)  # coverage stands for both
    plain = scorer.score(question, [english, chinese], translation=translation)
    assert (
        next(e for e in plain.sentences if e.text.startswith("AI boasts")).semantic > english_evidence.lexical
    )


def test_the_verb_a_definition_question_asks_with_is_no_term_to_match(embedder):
    # "AI actors are defined by the OECD" shares "define" with the question, not its subject.
    from assistant.answer.evidence import EvidenceScorer
    from assistant.config import load_settings

    scorer = EvidenceScorer(embedder, load_settings(profile="test").answer.evidence, "english")
    defined = "AI actors are defined by the OECD as those who play an active role in the AI system lifecycle."
    other = "Risk tolerance is the readiness to bear the risk in order to achieve objectives."
    evidence = scorer.score(
        "How does the framework define risk?", [_passage("rmf", 0, "", f"{defined} {other}")]
    )
    lexical = {e.text: e.lexical for e in evidence.sentences}
    assert lexical[defined] == 0.0  # only "define" would have matched
    assert lexical[other] > 0.0


def test_a_sentence_without_the_asked_kind_of_fact_ranks_lower_without_lowering_the_evidence(embedder):
    # "How many ...?": the sentence that matches the question's words best states no figure.
    from assistant.answer.evidence import EvidenceScorer
    from assistant.config import load_settings

    settings = load_settings(profile="test").answer.evidence
    summary = "This chapter summarises the written evidence we received in response to our consultation."
    count = "In total, we received 409 responses in writing."
    question = "How many written responses did the government receive to its consultation?"
    passages = [_passage("response", 0, "", f"{summary} {count}")]

    def scored(preference: float):
        scorer = EvidenceScorer(
            embedder, settings.model_copy(update={"kind_preference": preference}), "english"
        )
        return scorer.score(question, passages)

    plain, preferred = scored(0.0), scored(settings.kind_preference)
    assert settings.kind_preference > 0
    assert plain.sentences[0].text == summary  # the words match, the figure is missing
    assert preferred.sentences[0].text == count
    assert preferred.score == pytest.approx(plain.score)  # abstention rests on the same evidence score


def test_translated_words_of_the_named_documents_title_are_no_evidence(embedder):
    # "... the 2023 interim measures": 暂行办法 and 生成式人工智能服务 translate words of the document's own name;
    # the promulgation order repeats the full title, and it outranked article 17, which answers, until those
    # words stopped counting (as the English words of a named title do).
    from assistant.answer.evidence import EvidenceScorer, discount_name_groups
    from assistant.config import load_settings
    from assistant.language.terms import terms
    from assistant.language.translation import QueryTranslator

    title = "Interim Measures for the Management of Generative Artificial Intelligence Services (生成式人工智能服务管理暂行办法)"
    question = (
        "Which generative AI services in China need a security assessment and algorithm filing under the 2023 "
        "interim measures?"
    )
    order = _passage(
        "cn_measures",
        0,
        "",
        "《生成式人工智能服务管理暂行办法》已经2023年5月23日国家互联网信息办公室2023年第12次室务会会议审议通过，"
        "现予公布，自2023年8月15日起施行。",
    )
    article = _passage(
        "cn_measures",
        5_000,
        "第十七条",
        "提供具有舆论属性或者社会动员能力的生成式人工智能服务的，应当按照国家有关规定开展安全评估，"
        "并按照《互联网信息服务算法推荐管理规定》履行算法备案和变更、注销备案手续。",
    )
    translation = QueryTranslator().translate(question)
    settings = load_settings(profile="test").answer.evidence
    assert settings.document_name_weight == 0.0
    scorer = EvidenceScorer(embedder, settings, "english")

    def best(names: tuple[str, ...]) -> str:
        evidence = scorer.score(
            question,
            [order, article],
            translation=translation,
            document_names=names,
            about_other_language=True,
        )
        return evidence.sentences[0].text

    assert best(()).startswith("《生成式")
    assert best((title,)).startswith("提供具有")

    groups = [[frozenset(["暂行"])], [frozenset(["办法"])], [frozenset(["境外"]), frozenset(["国外"])]]
    names = set(terms(title, "english"))
    assert discount_name_groups(groups, [1.0, 2.0, 3.0], names, 0.0) == [0.0, 0.0, 3.0]
    assert discount_name_groups(groups[:2], [1.0, 2.0], names, 0.0) == [1.0, 2.0]  # nothing else to weigh


def test_sentences_of_the_passages_that_mention_the_named_provision_lead(embedder):
    # "What does Chapter III of the guidelines provide?": the best-matching sentence is about the expert group
    # in a passage that never mentions Chapter III, and answering from it is refused ("no passage mentions
    # Chapter III"); the sentence that answers, from a passage that mentions it, leads instead.
    from assistant.answer.evidence import EvidenceScorer
    from assistant.answer.specifics import specifics
    from assistant.config import load_settings

    question = (
        "What does Chapter III of the HLEG's Ethics Guidelines provide to operationalise the requirements?"
    )
    group = _passage(
        "hleg",
        0,
        "",
        "The Commission set up the High-Level Expert Group on AI, which drafted these Ethics Guidelines to "
        "operationalise its vision and requirements.",
    )
    chapter = _passage("hleg", 5_000, "", "Finally, in Chapter III we provided an assessment list.")
    scorer = EvidenceScorer(embedder, load_settings(profile="test").answer.evidence, "english")
    evidence = scorer.score(question, [group, chapter])
    assert evidence.sentences[0].passage == 0  # the expert-group sentence matches best
    leading = specifics(question).provision_passages([group, chapter], ["hleg"])
    assert leading == {1}
    led = evidence.led_by(leading)
    assert led.sentences[0].passage == 1 and led.score == led.sentences[0].score <= evidence.score
    assert [s.start for s in led.sentences] == sorted(
        (s.start for s in evidence.sentences), key=lambda start: start < 5_000
    )
    assert evidence.led_by(None) is evidence and evidence.led_by(set()) is evidence
    assert specifics("What do the guidelines provide?").provision_passages([group, chapter]) is None


def test_each_named_document_is_scored_against_its_own_clause_of_the_question(embedder):
    # "How many lamps ..., and how many berths ...?": held to the whole question, the GHDR's sentence shares
    # half its words and falls below what covering a named document takes; held to its own clause, it answers.
    from assistant.answer.evidence import EvidenceScorer
    from assistant.config import load_settings

    settings = load_settings(profile="test").answer
    order = _passage(
        "eo",
        0,
        "",
        "Every pier shall carry 12 lamps at night. Ferry berths allowed beside each lit pier: 3 per harbour.",
    )
    regulation = _passage("ghdr", 0, "", "A harbour may allow 40 berths for cargo ships.")
    question = "How many lamps does EO 16001 require, and how many berths does the GHDR allow?"
    own = {"eo": "How many lamps does EO 16001 require", "ghdr": "how many berths does the GHDR allow?"}
    scorer = EvidenceScorer(embedder, settings.evidence, "english")

    def scores(clauses: dict[str, str] | None) -> dict[str, float]:
        evidence = scorer.score(
            question, [order, regulation], document_names=("eo 16001", "ghdr"), document_questions=clauses
        )
        return {e.text.split()[0]: e.score for e in evidence.sentences}

    whole, split = scores(None), scores(own)
    floor = settings.abstain_threshold * settings.extractive.coverage_floor
    assert whole["A"] < floor  # the regulation's answer would be left out
    assert split["A"] >= settings.abstain_threshold
    assert split["Every"] > split["Ferry"]  # the order's own clause asks for lamps, not berths
    assert split["Ferry"] < whole["Ferry"]
