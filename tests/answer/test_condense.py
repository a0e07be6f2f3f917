import pytest

from assistant.answer.condense import (
    condense_by_rules,
    condense_question,
    follow_up_context,
    is_follow_up,
    subject_of,
)
from assistant.models import ChatMessage


def history(*questions):
    out = []
    for q in questions:
        out += [
            ChatMessage(role="user", content=q),
            ChatMessage(role="assistant", content="Some answer [1]."),
        ]
    return out


def test_a_year_follow_up_rewrites_the_previous_question():
    h = history("What penetration rate for intelligent terminals does the AI+ plan target for 2027?")
    assert (
        condense_by_rules("And by 2030?", h)
        == "What penetration rate for intelligent terminals does the AI+ plan target for 2030?"
    )


def test_follow_ups_chain_through_the_conversation():
    h = history("What adoption rate does AI+ target for 2027?", "And by 2030?")
    assert condense_by_rules("What about 2035?", h) == "What adoption rate does AI+ target for 2035?"


def test_pronoun_follow_up_carries_the_previous_question():
    h = history("Which AI practices does the EU AI Act prohibit?")
    standalone = condense_by_rules("When does that apply?", h)
    assert standalone.startswith("When does that apply?")
    assert "Which AI practices does the EU AI Act prohibit?" in standalone


def test_a_standalone_question_is_left_alone():
    h = history("Which AI practices does the EU AI Act prohibit?")
    q = "What are the four functions of the NIST AI Risk Management Framework?"
    assert condense_by_rules(q, h) == q
    assert condense_by_rules(q, []) == q


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("And by 2030?", True),
        ("What about the penalties?", True),
        ("When does it apply?", True),
        ("What does the NIST framework say about bias?", False),
        ("Which body oversees enforcement?", True),
        ("By what date were the updates due?", True),
    ],
)
def test_follow_up_detection(question, expected):
    assert is_follow_up(question) is expected


def test_an_llm_condenser_is_used_when_there_is_history():
    from assistant.answer.condense import condense_question

    h = history("What penetration rate does the AI+ plan target for 2027?")
    seen = []

    def llm(question, turns):
        seen.append((question, turns))
        return "What penetration rate does the AI+ plan target for 2030?"

    result = condense_question("  Three years later?  ", h, llm)
    assert result.question == "What penetration rate does the AI+ plan target for 2030?"
    assert result.method == "llm" and result.error is None
    assert seen == [("Three years later?", h)]


def test_without_history_nothing_is_condensed_and_the_llm_is_not_asked():
    from assistant.answer.condense import condense_question

    def llm(question, turns):
        raise AssertionError("not called")

    assert condense_question("What does the AI Act prohibit?", [], llm).method == "none"


def test_a_failing_llm_condenser_falls_back_to_the_rules():
    from assistant.answer.condense import condense_question
    from assistant.errors import BackendError

    h = history("What penetration rate does the AI+ plan target for 2027?")

    def llm(question, turns):
        raise BackendError("timed out", kind="timeout", retryable=True)

    result = condense_question("And by 2030?", h, llm)
    assert result.method == "rules" and result.error.kind == "timeout"
    assert result.question == condense_by_rules("And by 2030?", h)


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("Which practices does the EU AI Act prohibit?", "EU AI Act"),
        ("Under the GDPR, how fast must a breach be reported?", "GDPR"),
        ("What did Executive Order 14110 require of developers?", "Executive Order 14110"),
        ("What did EO 14179 say about the revoked EO 14110?", "EO 14179"),
        ("What does Regulation (EU) 2016/679 say about consent?", "Regulation (EU) 2016/679"),
        ("Which agencies issued Japan's draft robotics guidelines?", "Japan's draft robotics guidelines"),
        ("What are the goals of the Canada digital charter?", "Canada digital charter"),
        ("When did the Ministry of Digital Affairs publish its Cloud Security Code?", "Cloud Security Code"),
        ("How many parts does the ISO 42001 standard have?", "ISO 42001 standard"),
        ("What changed in August 2025?", None),
        ("How much was paid in EUR?", None),
        ("Starting when?", None),
        ("How is AI used by police forces?", None),
        ("What does Article 12 say about logging?", None),
    ],
)
def test_the_subject_is_the_named_thing_a_question_is_about(text, subject):
    assert subject_of(text) == subject


def test_a_no_pronoun_follow_up_gets_the_subject_not_the_previous_question():
    h = history("Which practices does the Canadian Artificial Intelligence and Data Act prohibit?")
    assert (
        condense_by_rules("Which body oversees enforcement?", h)
        == "Which body oversees enforcement? (Canadian Artificial Intelligence and Data Act)"
    )


def test_the_subject_comes_from_the_noun_phrase_around_a_name():
    h = history("What did Sweden's 2024 national AI strategy set as its goals?")
    assert (
        condense_by_rules("How much money was committed to skills?", h)
        == "How much money was committed to skills? (Sweden's 2024 national AI strategy)"
    )


def test_a_question_naming_its_own_document_stays_standalone():
    h = history("Which practices does the EU AI Act prohibit?")
    for question in (
        "Which body oversees enforcement under the GDPR?",
        "What did Executive Order 14110 require of developers?",
        "What does Japan's robotics strategy say about elder care?",
    ):
        assert condense_by_rules(question, h) == question


def test_a_part_of_a_document_is_not_a_subject_of_its_own():
    h = history("What penalties does the Digital Services Act set?")
    assert (
        condense_by_rules("What does Article 74 require?", h)
        == "What does Article 74 require? (Digital Services Act)"
    )


def test_the_subject_follows_the_conversation_when_it_changes():
    h = history(
        "What fines does the EU AI Act set?",
        "Which body oversees enforcement?",
        "How does the GDPR define personal data?",
    )
    assert condense_by_rules("Which body oversees enforcement?", h) == (
        "Which body oversees enforcement? (GDPR)"
    )
    assert condense_by_rules("Who appoints its members?", h[:4]) == ("Who appoints its members? (EU AI Act)")


def test_a_connector_naming_another_subject_asks_the_same_question_about_it():
    h = history("What is the top tier of administrative fines under the EU AI Act?")
    assert (
        condense_by_rules("What about the GDPR?", h)
        == "What is the top tier of administrative fines under the GDPR?"
    )


def test_an_anaphor_with_words_of_its_own_carries_the_subject():
    h = history("What transparency duties does the Digital Services Act impose?")
    assert condense_by_rules("How does it compare with the GDPR?", h) == (
        "How does it compare with the GDPR? (Digital Services Act)"
    )
    assert condense_by_rules("Who enforces them at national level?", h) == (
        "Who enforces them at national level? (Digital Services Act)"
    )


def test_an_elliptical_follow_up_keeps_the_previous_question():
    h = history("What is the top tier of administrative fines under the GDPR?")
    assert condense_by_rules("And the lower tier?", h) == (
        "And the lower tier? (following up on: What is the top tier of administrative fines under the GDPR?)"
    )


def test_year_substitution_still_applies_after_a_subject_follow_up():
    h = history("What share of public services should Estonia's digital plan put online by 2027?")
    assert condense_by_rules("And by 2030?", h) == (
        "What share of public services should Estonia's digital plan put online by 2030?"
    )
    h = history(
        "What share of public services should Estonia's digital plan put online by 2027?",
        "And by 2030?",
    )
    assert condense_by_rules("Which ministry is responsible for it?", h) == (
        "Which ministry is responsible for it? (Estonia's digital plan)"
    )


def test_the_answer_gives_the_subject_when_the_questions_name_nothing():
    h = [
        ChatMessage(role="user", content="What are the rules on facial recognition in schools?"),
        ChatMessage(role="assistant", content="The Schools Biometrics Code bans it outright. [1]"),
    ]
    assert condense_by_rules("Who monitors compliance?", h) == (
        "Who monitors compliance? (Schools Biometrics Code)"
    )


def test_the_first_question_is_never_changed():
    assert condense_by_rules("Which body oversees enforcement?", []) == "Which body oversees enforcement?"


def test_an_elliptical_follow_up_searches_with_the_gist_of_the_answer_it_follows():
    h = [
        ChatMessage(
            role="user", content="What does the UK AI Opportunities Action Plan recommend for the AIRR?"
        ),
        ChatMessage(
            role="assistant", content="Expanding its capacity by at least 20x by 2030 [1]. It also says more."
        ),
    ]
    condensed = condense_question("Starting when?", h)
    # The question stays the user's: the answer's figures are not asked about (no specifics, no kind check).
    assert condensed.question == (
        "Starting when? (following up on: What does the UK AI Opportunities Action Plan recommend for the AIRR?)"
    )
    assert condensed.context == "Expanding its capacity by at least 20x by 2030."
    assert condensed.search_text == f"{condensed.question} {condensed.context}"


def test_only_an_elliptical_follow_up_gets_the_answer_as_context():
    h = [
        ChatMessage(role="user", content="What does Article 5 of the AI Act prohibit?"),
        ChatMessage(role="assistant", content="Social scoring and untargeted scraping of facial images [1]."),
    ]
    # Standalone, or with words of its own about the conversation's subject: no context.
    assert follow_up_context("What fines does the GDPR set?", h) is None
    assert follow_up_context("Which authority enforces the prohibitions?", h) is None
    assert (
        follow_up_context("When does that apply?", h)
        == "Social scoring and untargeted scraping of facial images."
    )
    # An abstention is no gist; nor is a first question without history.
    refused = [
        h[0],
        ChatMessage(role="assistant", content="The indexed documents do not answer this question."),
    ]
    assert follow_up_context("When does that apply?", refused) is None
    assert follow_up_context("When does that apply?", []) is None
    # So is a deployment's own abstention message.
    own = "Sorry, nothing in our policy library covers that. Try rephrasing."
    custom = [h[0], ChatMessage(role="assistant", content=own)]
    assert (
        follow_up_context("When does that apply?", custom)
        == "Sorry, nothing in our policy library covers that."
    )
    assert follow_up_context("When does that apply?", custom, refusal=own) is None
    # The answer that followed the last question is the one used, however many turns came before.
    longer = h + [
        ChatMessage(role="user", content="And the penalties?"),
        ChatMessage(role="assistant", content="Fines of up to EUR 35 million [2]."),
    ]
    assert follow_up_context("How often?", longer) == "Fines of up to EUR 35 million."
