"""The words that name the document a question asks about do not pick its sentences: its cover page and
running headers repeat them, the answer seldom does (real model, real index)."""

from __future__ import annotations

from assistant.answer.evidence import discount_names

PLAYBOOK = """---
title: "Harbour Lighting Playbook for the Coast Government"
issuing_body: "Coast Government Lighting Office"
date: "2025-02-10"
---

# Harbour Lighting Playbook for the Coast Government

## Foreword

I am pleased to introduce the Harbour Lighting Playbook for the Coast Government, which updates the earlier
lighting framework. The Harbour Lighting Playbook for the Coast Government is for every harbour team.

## Understanding lamps

Lamps come in many kinds, and each harbour chooses its own. Agentic lamps are autonomous lamps that switch
themselves on and off, with minimal human intervention, when fog rolls in. Solar lamps store daylight.
"""

QUESTION = "How does the Coast Government's Harbour Lighting Playbook describe agentic lamps?"


def test_naming_words_weigh_nothing_unless_nothing_else_is_left():
    weights = {"harbour": 1.0, "playbook": 2.0, "agent": 3.0}
    assert discount_names(weights, {"harbour", "playbook"}, 0.0) == {
        "harbour": 0.0,
        "playbook": 0.0,
        "agent": 3.0,
    }
    assert discount_names(weights, {"harbour", "playbook", "agent"}, 0.0) == weights
    assert discount_names(weights, set(), 0.0) == weights


def test_the_answer_is_the_definition_not_the_foreword(tmp_path, make_assistant):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "playbook.md").write_text(PLAYBOOK, encoding="utf-8")
    answers = {}
    for weight in (0.0, 1.0):
        assistant = make_assistant(
            data_dir=tmp_path / "index", answer={"evidence": {"document_name_weight": weight}}
        )
        assistant.ingest([folder])
        retrieval = assistant.retrieve(QUESTION)
        assert retrieval.named_documents == ("playbook",)
        assert "harbour lighting playbook" in retrieval.naming_phrases
        answers[weight] = assistant.ask(QUESTION)
    assert answers[0.0].citations[0].quote.startswith("Agentic lamps are autonomous lamps")
    # Counted as question words, the title's words make the foreword the best sentence.
    assert answers[1.0].citations[0].quote.startswith("I am pleased to introduce")
