"""Definition questions: the asked term, the sentences that define it, and the boost they get."""

import pytest

from assistant.answer.definitions import asking_words, defined_term, defines
from assistant.models import Passage


def passage(text: str) -> Passage:
    return Passage(id="d#1", doc_id="d", title="A document", text=text, start=0, end=len(text))


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("How does NIST's AI RMF define risk?", "risk"),
        ("What does pseudonymisation mean under the GDPR?", "pseudonymisation"),
        ("How does the 2024 response define misinformation, as opposed to disinformation?", "misinformation"),
        ("In the AI+ industrial action, what is meant by an AI-native company?", "AI-native company"),
        ("What is the definition of 'deployer' in the AI Act?", "deployer"),
        ("How is a high-risk AI system defined?", "high-risk AI system"),
        ("How does the UK government's AI Playbook describe agentic AI?", "agentic AI"),
        ('What is the "Talent Passport" described in France\'s 2025 brochure?', "Talent Passport"),
        ("What is a deployer under the AI Act?", "deployer"),
        ("What is the deadline for the report?", None),  # "what is the" unquoted asks for a fact
        ("What are the AI Growth Zones meant to achieve?", None),  # "meant to", not a meaning
        ("Which two characteristics does the white paper use to define AI?", None),
        ("When do the rules apply?", None),
        # In Chinese: the English term it gives in brackets, else its own.
        ("拜登政府的第14110号行政令是如何定义“水印”（watermarking）的？", "watermarking"),
        ("《暂行办法》中“生成式人工智能技术”是指什么？", "生成式人工智能技术"),
        ("什么是智能体？", "智能体"),
    ],
)
def test_the_term_a_question_asks_the_definition_of(question, term):
    assert defined_term(question) == term


def test_sentences_that_define_the_asked_term():
    assert defines(
        "‘pseudonymisation’ means the processing of personal data in such a manner ...", "pseudonymisation"
    )
    assert defines(
        "In the context of the AI RMF, riskrefers to the composite measure", "risk"
    )  # glued in the PDF
    assert defines(
        "Misinformation: Incorrect or misleading information spread without harmful intent.", "misinformation"
    )
    assert defines("A provider is an organisation or individual offering generative AI services.", "provider")
    assert defines("(3) ‘provider’ (in this Regulation) means a natural or legal person", "provider")
    assert not defines("AI actors are defined by the OECD as those who play an active role.", "risk")
    assert not defines("Risk management should be continuous.", "risk")
    assert not defines("Disinformation: information spread with the intent to deceive.", "misinformation")
    assert defines(
        "The “Talent Passport” is a long-stay visa (VLS) designed to welcome researchers.", "Talent Passport"
    )
    # A dash or colon after the term defines it only in a glossary entry, opening its line.
    assert not defines(
        "The spouse of the holder of a 'Talent Passport – Researcher' VLS can join France.", "Talent Passport"
    )
    assert defines(
        "生成式人工智能技术，是指具有文本、图片、音频、视频等内容生成能力的模型及相关技术。",
        "生成式人工智能技术",
    )
    assert not defines("提供者应当依法开展生成式人工智能技术研发。", "生成式人工智能技术")


def test_the_words_a_definition_question_asks_with():
    assert asking_words("How does NIST's AI RMF define risk?") == "define"
    assert asking_words("What does pseudonymisation mean under the GDPR?") == "mean"
    assert asking_words("How is misinformation defined?") == "defined"
    # "definition" here is what the question is about, not how it asks.
    assert (
        asking_words("Instead of a legal definition, how does the white paper characterise AI?")
        == "characterise"
    )
    assert asking_words("When do the rules apply?") == ""
