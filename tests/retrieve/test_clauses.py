"""A question that asks something of each named document in a clause of its own is split into those clauses."""

import pytest

from assistant.retrieve.clauses import clauses, document_questions
from assistant.retrieve.scope import DocumentNames

from .test_scope import CATALOG


def own_clauses(question: str) -> dict[str, str]:
    found = DocumentNames(CATALOG).named_in(question)
    return document_questions(question, dict(found.named_by))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "How many lamps does EO 16001 require, and how many berths does the GHDR allow?",
            ["How many lamps does EO 16001 require", "how many berths does the GHDR allow?"],
        ),
        (
            "Which body enforces the act and which fines can it set?",
            ["Which body enforces the act", "which fines can it set?"],
        ),
        (
            "What does the act require; what does the GHDR allow?",
            ["What does the act require", "what does the GHDR allow?"],
        ),
        (
            "How long may a berth stay closed under the act, compared with the GHDR's limit?",
            ["How long may a berth stay closed under the act", "the GHDR's limit?"],
        ),
        # "A and B", and a list, are one clause.
        ("Do the act and the GHDR both define a berth?", ["Do the act and the GHDR both define a berth?"]),
        (
            "When are the act, the GHDR and the HRMF reviewed?",
            ["When are the act, the GHDR and the HRMF reviewed?"],
        ),
    ],
)
def test_clauses_end_at_semicolons_question_marks_and_a_coordinated_question(question, expected):
    assert clauses(question) == expected


def test_each_named_document_gets_its_own_clause():
    question = "How many lamps does EO 16001 require, and how many functions make up the HRMF?"
    assert own_clauses(question) == {
        "eo": "How many lamps does EO 16001 require",
        "rmf": "how many functions make up the HRMF?",
    }
    # Named by a title (with "Artificial Intelligence" or not), by an issuer's place.
    assert own_clauses(
        "Who enforces the Harbour Safety Act, and which lights does Norway's strategy recommend?"
    ) == {
        "act": "Who enforces the Harbour Safety Act",
        "nordic": "which lights does Norway's strategy recommend?",
    }


def test_a_question_asking_one_thing_of_several_documents_is_not_split():
    assert own_clauses("Do EO 16001 and the HRMF each require lamps at night?") == {}
    # A document named in two clauses, two named in one, or one document only.
    assert own_clauses("What does EO 16001 require, and how does the GHDR define EO 16001's lamps?") == {}
    assert own_clauses("What do EO 16001 and the GHDR require, and when does the HRMF apply?") == {}
    assert own_clauses("What does EO 16001 require, and when does it apply?") == {}


def test_document_questions_needs_two_documents_and_two_clauses():
    assert document_questions("What does A require, and what does B allow?", {"a": [" a "]}) == {}
    assert document_questions("What do A and B allow?", {"a": ["a"], "b": ["b"]}) == {}
    assert document_questions("What does A require, and what does B allow?", {"a": ["a"], "b": ["b"]}) == {
        "a": "What does A require",
        "b": "what does B allow?",
    }


def test_a_name_alone_is_no_clause():
    # A condensed follow-up carries its subject in parentheses after the question.
    assert clauses("How long was given to produce the plan? (EO 16001)") == [
        "How long was given to produce the plan? (EO 16001)"
    ]
    assert own_clauses("What does the Harbour Safety Act require; EO 16001?") == {}
