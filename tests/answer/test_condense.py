import pytest

from assistant.answer.condense import condense_by_rules, is_follow_up
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
