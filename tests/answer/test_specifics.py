"""What a question pins down, and which of it the passages never mention."""

import pytest

from assistant.answer.specifics import describe, specifics
from assistant.models import Passage


def passage(text: str, title: str = "A document", doc_id: str = "d") -> Passage:
    return Passage(id=f"{doc_id}#1", doc_id=doc_id, title=title, text=text, start=0, end=len(text))


def missing(question: str, *passages: Passage) -> list[str]:
    return [s.text for s in specifics(question).absent_from(passages)]


ACT = passage(
    "Article 113 Entry into force and application. This Regulation shall apply from 2 August 2026. "
    "Articles 5, 6 and 99 apply earlier. See Annex III.",
    title="Regulation (EU) 2024/1689 (Artificial Intelligence Act)",
)
ORDER = passage(
    "Sec. 4. Ensuring the Safety of AI. Within 90 days of the date of this order, the Secretary shall act.",
    title="Executive Order 14110: Safe, Secure, and Trustworthy AI",
)


def test_a_named_provision_must_occur_in_the_passages():
    assert missing("What does Article 118 of the AI Act require?", ACT) == ["Article 118"]
    assert missing("What does Article 113 of the AI Act say?", ACT) == []
    assert missing("What does Article 99 say about fines?", ACT) == []  # found inside "Articles 5, 6 and 99"
    assert missing("Which systems does Annex XV list?", ACT) == ["Annex XV"]
    assert missing("Which systems does Annex III list?", ACT) == []
    assert missing("What does Section 15 of the order direct?", ORDER) == ["Section 15"]
    assert missing("What does Section 4 of the order direct?", ORDER) == []  # "Sec. 4." is Section 4


def test_a_provision_of_a_named_document_must_occur_in_that_documents_passages():
    short_order = passage(
        "Sec. 2. Policy. It is the policy of the United States to sustain AI dominance.",
        title="Executive Order 14179: Removing Barriers to American Leadership in AI",
        doc_id="eo14179",
    )
    other_order = passage(
        "(b) This order applies to agencies whose use cases fall within the scope defined in section 9 of "
        "this order.",
        title="Executive Order 13960: Promoting the Use of Trustworthy AI",
        doc_id="eo13960",
    )
    asked = specifics("What reporting duty does Section 9 of Executive Order 14179 set out?")
    # Unbound, the other order's "section 9" would do; bound to the named order, it is missing.
    assert [s.text for s in asked.absent_from([short_order, other_order])] == []
    assert [s.text for s in asked.absent_from([short_order, other_order], named=["eo14179"])] == ["Section 9"]
    assert [s.text for s in asked.absent_from([short_order, other_order], named=["eo13960"])] == []
    # With no passage of the named document retrieved, every passage is looked at for the provision (the
    # order's own number is what is missing then).
    assert [s.text for s in asked.absent_from([other_order], named=["eo14179"])] == ["Executive Order 14179"]
    # Only provisions are bound: the order's number is in its own passage's title either way.
    assert "Executive Order 14179" not in [
        s.text for s in asked.absent_from([short_order, other_order], named=["eo14179"])
    ]


def test_a_document_number_must_occur_in_the_passages_or_their_titles():
    assert missing("What does Executive Order 14117 restrict?", ORDER) == ["Executive Order 14117"]
    assert missing("What does EO 14110 require within 90 days?", ORDER) == []  # in the title
    assert missing("What does Regulation 2016/679 define?", ACT) == ["2016/679"]
    assert missing("What does the Colorado bill SB 205 require?", ACT) == ["SB 205", "Colorado"]


def test_places_and_years_must_occur_too():
    german = passage(
        "The Federal Government will invest in AI research.", title="AI Strategy of the German Government"
    )
    assert missing("How much will Germany invest in AI research?", german) == []  # "German" in the title
    assert missing("How much will Brazil invest in AI research?", german) == ["Brazil"]
    assert missing("What does South Korea's AI Basic Act require?", german) == ["South Korea", "AI Basic Act"]
    assert missing("What applies from 2026?", ACT) == []
    assert missing("What applies from 2040?", ACT) == ["2040"]
    chinese = passage("到2027年，新一代智能终端、智能体等应用普及率超70%。")
    assert missing("What adoption rate does China target for 2027?", chinese) == ["China"]
    assert missing("What adoption rate is targeted for 2027?", chinese) == []
    # The short names policy texts use: "the US", "U.S.", "the UK's"; "us" the pronoun is no country.
    partnership = passage("We are announcing a £9 million partnership with the US on responsible AI.")
    assert missing("Does the response announce a partnership with the United States?", partnership) == []
    assert missing("Does the response announce a partnership with the United Kingdom?", partnership) == [
        "United Kingdom"
    ]
    assert missing("Did the United States join?", passage("Let us consider Britain's plan.")) == [
        "United States"
    ]
    assert missing("Did the United Kingdom join?", passage("Let us consider Britain's plan.")) == []


def test_proper_names_no_indexed_passage_uses_are_unknown():
    vocabulary = {"europe", "commiss", "declara"}
    asked = specifics("When does the Commission review the Seoul Declaration?")
    assert asked.unknown_names(lambda name: name.lower()[:7] in vocabulary) == ["Seoul"]
    # question words and generic policy nouns at the start or inside are not names
    assert specifics("Which Member States must report under the Act?").names == ()


def test_executive_orders_are_recognised_by_number_in_english_and_chinese():
    from assistant.answer.specifics import EO_NUMBER

    assert EO_NUMBER.findall("What does Executive Order 14110 require? And EO 13960?") == ["14110", "13960"]
    assert EO_NUMBER.findall("拜登政府的第14110号行政令是如何定义“水印”的？") == ["14110"]
    assert EO_NUMBER.findall("美国第13859号总统行政令") == ["13859"]
    assert EO_NUMBER.findall("section 14110 of the code; 12345号文件; Executive Order 141100") == []


def test_a_sentence_that_defines_the_asked_term_is_preferred(embedder):
    from assistant.answer.evidence import EvidenceScorer
    from assistant.config import load_settings

    text = (
        "Organisations should define reasonable risk tolerance and manage risk across the AI lifecycle. "
        "In this framework, risk refers to the composite measure of an event's probability and its consequences."
    )
    settings = load_settings(profile="test").answer.evidence
    question = "How does the framework define risk?"
    ranked = EvidenceScorer(embedder, settings, "english").score(question, [passage(text)]).sentences
    assert ranked[0].text.startswith("In this framework, risk refers to")
    unboosted = settings.model_copy(update={"definition_boost": 0.0})
    plain = {
        e.text[:20]: e.score
        for e in EvidenceScorer(embedder, unboosted, "english").score(question, [passage(text)]).sentences
    }
    assert ranked[0].score == pytest.approx(min(1.0, plain[ranked[0].text[:20]] / 0.7))


def test_a_law_named_by_a_name_of_its_own_must_occur_in_the_passages():
    assert missing("Under the EU Data Act, what is the notice period?", ACT) == ["Data Act"]
    assert missing("When does South Korea's AI Basic Act take effect?", ACT) == [
        "South Korea",
        "AI Basic Act",
    ]
    data_act = passage("See Regulation (EU) 2023/2854 (Data Act) on fair access to data.")
    assert missing("Under the EU Data Act, what is the notice period?", data_act) == []
    # "AI" written out in the passage's title still names the law.
    assert missing("Does the Artificial Intelligence Act apply from 2 August 2026?", ACT) == []
    assert (
        missing(
            "What does the Coastal AI Act require?", passage("The Coastal Artificial Intelligence Act ...")
        )
        == []
    )
    # Generic names are left to the documents' own names: these pin nothing down.
    for question in (
        "Under the AI Act, when?",
        "Does the EU AI Act cover X?",
        "What did the Regulation say?",
    ):
        assert specifics(question).items == ()


@pytest.mark.parametrize(
    ("question", "money"),
    [
        ("What annual budget does the EU AI Act give the AI Office?", True),
        ("How much prize money is available for winners of the Challenge?", True),
        ("What size in yuan is the core industry expected to reach by 2027?", True),
        ("What is the maximum fine for a banned practice?", True),
        ("How many principles does the framework set out?", False),
        ("Which body funds the programme?", False),  # asks who, not how much
        # In Chinese: 多少 with 经费 (funds), 预算, 美元 ...
        ("美国行政令为制定行动计划拨付了多少美元经费？", True),
        ("欧盟人工智能办公室的年度预算是多少？", True),
        ("哪个部门负责经费管理？", False),
    ],
)
def test_questions_asking_for_an_amount_of_money(question, money):
    assert specifics(question).money is money


def test_an_amount_of_money_asked_for_must_be_stated_by_the_best_sentences():
    asked = specifics("What annual budget does the EU AI Act give the AI Office?")
    spoken_of = ["The AI Office shall be adequately funded.", "Member States shall allocate resources."]
    assert [s.text for s in asked.unstated(spoken_of)] == ["an amount of money"]
    for stated in (
        "The budget is EUR 46 million per year.",
        "€109 billion",
        "2 billion euros",
        "2 500 亿元",
        "$5m",
    ):
        assert asked.unstated([stated]) == [], stated
    assert specifics("How many principles are there?").unstated(spoken_of) == []


def test_a_law_named_by_a_name_of_its_own_that_is_no_indexed_document_is_unindexed():
    indexed = {"general data protection regulation", "ai act"}
    asked = specifics("Under the EU Data Act, what is the maximum notice period for switching?")
    unindexed = asked.unindexed_instruments(lambda name: name.lower() in indexed)
    assert [s.text for s in unindexed] == ["Data Act"]
    assert describe(unindexed, []) == "the Data Act is not among the indexed documents"
    # A law that is an indexed document, and a question naming no law by a name of its own: nothing.
    gdpr = specifics("Which fines does the General Data Protection Regulation set?")
    assert gdpr.unindexed_instruments(lambda name: name.lower() in indexed) == []
    assert specifics("What does Article 5 prohibit?").unindexed_instruments(lambda name: False) == []


def test_a_provision_named_in_one_language_is_found_in_the_other():
    from assistant.answer.specifics import provisions

    (chapter,) = provisions("《可信人工智能伦理准则》在第三章提供了什么？")
    assert chapter.found_in("Chapter III – Assessing Trustworthy AI")
    assert chapter.found_in("see chapter 3") and chapter.found_in("第三章 评估")
    assert not chapter.found_in("Chapter XIII") and not chapter.found_in("Article 3")
    (article,) = provisions("What does Article 17 of the interim measures require?")
    assert article.found_in("第十七条 提供具有舆论属性") and article.found_in("Article 17")
    assert not article.found_in("第七条")
    (twenty_three,) = provisions("第二十三条规定了什么？")
    assert twenty_three.found_in("Article 23 Obligations")


def test_a_chinese_item_or_paragraph_is_a_provision_only_where_it_reads_as_one():
    from assistant.answer.specifics import provisions

    def named(question: str) -> list[str]:
        return [p.text for p in provisions(question)]

    # 项 counts principles too: "the first principle" of an English order is no provision to look for.
    assert named("美国第13960号行政令规定的第一项原则是什么？") == []
    assert named("第三项任务是什么？") == []
    assert named("第十条第二款规定了什么？") == ["第十条", "第二款"]
    assert named("第十条第十二项是什么？") == ["第十条", "第十二项"]
    assert named("依照第二款的规定，") == ["第二款"]
    assert named("第十七条") == ["第十七条"]


def test_a_named_version_must_occur_in_the_passages():
    rmf = passage(
        "NIST published the AI Risk Management Framework (AI RMF 1.0) on 26 January 2023.",
        title="NIST AI 100-1 (AI RMF 1.0)",
    )
    framework = passage("Version 2 of the framework grades risks on four levels.", title="Framework")
    assert missing("When is NIST due to publish version 2.0 of the AI RMF?", rmf) == ["version 2.0"]
    assert missing("When did NIST release AI RMF 1.0?", rmf) == []
    assert missing("How many risk levels does version 2.0 of the framework define?", framework) == []
    assert missing("框架2.0版定义了几个风险等级？", framework) == []
    assert missing("What does v3 of the framework add?", framework) == ["v3"]
    assert missing("How many centres were created under the Industry 4.0 plan?", passage("4.0 centres")) == []
    assert missing("Does the plan set a 2.5% share for 2024?", passage("The 2024 plan.")) == []  # no version


def test_an_answer_in_the_other_language_must_state_the_date_or_figure_asked_for():
    # Matched only through the dictionary's translation, an article on minors' over-reliance answered "What
    # minimum age ...?"; in the question's own language the kind of fact is a preference (evidence.py).
    question = "What minimum age do China's generative AI interim measures set for users?"
    article = "第十条 提供者应当采取有效措施防范未成年人用户过度依赖或者沉迷生成式人工智能服务。"
    asked = specifics(question)
    assert describe(asked.unstated([article]), []) == "no passage states a figure"
    assert asked.unstated(["到2027年，新一代智能终端普及率超70%。"]) == []
    assert (
        asked.unstated(["Users must be told how the service works."]) == []
    )  # same language: scored instead
    assert specifics("When did the measures take effect?").unstated(["自2023年8月15日起施行。"]) == []
    when = specifics("When did the measures take effect?").unstated(["本办法由国家网信部门负责解释。"])
    assert describe(when, []) == "no passage states a date"
    chinese = specifics("欧盟GDPR规定数据保护官的最短任期是几年？")
    assert describe(chinese.unstated(["The data protection officer shall be designated."]), []) == (
        "no passage states a figure"
    )
