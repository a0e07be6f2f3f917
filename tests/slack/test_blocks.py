"""Block Kit rendering stays within Slack's limits and shows every part of an answer."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.models import Answer, Citation, StageTimings
from assistant.slack.blocks import (
    BLOCKS_PER_MESSAGE,
    SECTION_TEXT_LIMIT,
    escape,
    passage_url,
    render_answer,
    split_text,
    trim,
)


def citation(n: int, *, quote: str = "The adoption rate is to exceed 70%.", **fields) -> Citation:
    values = {
        "n": n,
        "passage_id": f"doc-a#{n}",
        "doc_id": "doc-a",
        "title": "AI+ Opinions",
        "heading_path": "Goals > 2027",
        "quote": quote,
        "start": 100 * n,
        "end": 100 * n + len(quote),
        "score": 0.9,
    }
    values.update(fields)
    return Citation(**values)


def answer(text: str, citations: list[Citation], **fields) -> Answer:
    return Answer(
        question="What is the 2027 target?",
        standalone_question=fields.pop("standalone_question", "What is the 2027 target?"),
        text=text,
        citations=citations,
        backend=fields.pop("backend", "extractive"),
        timings=StageTimings(total=1234.0),
        **fields,
    )


def all_blocks(messages):
    return [block for message in messages for block in message.blocks]


def section_texts(blocks):
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def test_a_short_answer_is_one_message_with_answer_sources_context_and_buttons():
    [message] = render_answer(answer("Above 70%. [1]", [citation(1)]), answer_id="abc", public_url=None)
    kinds = [b["type"] for b in message.blocks]
    assert kinds == ["section", "divider", "section", "section", "context", "actions"]
    texts = section_texts(message.blocks)
    assert texts[0] == "Above 70%. [1]" and texts[1] == "*Sources*"
    assert texts[2] == "*[1]* *AI+ Opinions* — Goals › 2027\n>The adoption rate is to exceed 70%."
    context = message.blocks[4]["elements"][0]["text"]
    assert context == "Answered by *extractive* · 1 source · 1.2 s"
    assert [e["value"] for e in message.blocks[5]["elements"]] == ["abc", "abc"]
    assert message.text == "Above 70%. [1]"


def test_sources_link_to_the_passage_with_the_cited_span_when_the_service_has_a_public_url():
    c = citation(2, passage_id="doc a/#3", page=7)
    url = passage_url("https://policy.example.org/", c)
    # the web page opens the passage (the JSON route would need an API key the Slack user has not sent)
    assert url == "https://policy.example.org/?passage=doc+a%2F%233&start=200&end=235"
    [message] = render_answer(answer("x [1]", [c]), answer_id="a", public_url="https://policy.example.org")
    assert f"*[2]* <{url}|AI+ Opinions> — Goals › 2027 · p. 7" in section_texts(message.blocks)[2]


def test_mrkdwn_control_characters_in_documents_are_escaped():
    c = citation(1, title="R&D <Plans>", quote="If a > b & c < d, then <!channel> is not pinged.")
    [message] = render_answer(answer("a > b & <@U123> [1]", [c]), answer_id="a")
    texts = section_texts(message.blocks)
    assert texts[0] == "a &gt; b &amp; &lt;@U123&gt; [1]"
    assert "*R&amp;D &lt;Plans&gt;*" in texts[2] and "&lt;!channel&gt;" in texts[2]
    assert "<" not in texts[2].replace("&lt;", "")


def test_long_quotes_and_titles_are_trimmed_and_multiline_quotes_stay_quoted():
    long_quote = "word " * 400
    c = citation(1, quote="Measures include:\n(a) registration;\n(b) audits.", title="T" * 500)
    long_one = citation(2, quote=long_quote)
    [message] = render_answer(answer("x [1] [2]", [c, long_one]), answer_id="a")
    texts = section_texts(message.blocks)
    assert texts[2].endswith(">Measures include:\n>(a) registration;\n>(b) audits.")
    assert len(texts[2].split("*")[3]) <= 200 and texts[2].split("*")[3].endswith("…")
    assert len(texts[3]) < 800 and texts[3].endswith("…")


def test_a_very_long_answer_with_many_sources_is_split_within_slacks_limits():
    text = " ".join(
        f"Sentence number {i} says something about policy targets [{i % 60 + 1}]." for i in range(400)
    )
    cites = [citation(n, quote=f"Quote {n}. " + "detail " * 90) for n in range(1, 61)]
    messages = render_answer(
        answer(text, cites, backend_fallback=True, fallback_reason="timeout"), answer_id="z"
    )
    assert len(messages) >= 2
    for message in messages:
        assert len(message.blocks) <= BLOCKS_PER_MESSAGE
        for block in message.blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= SECTION_TEXT_LIMIT
            if block["type"] == "context":
                assert all(len(e["text"]) <= 3000 for e in block["elements"])
    blocks = all_blocks(messages)
    # nothing lost: the answer text reassembles, every source appears once, buttons come last
    answer_sections = [
        b["text"]["text"] for b in blocks[: next(i for i, b in enumerate(blocks) if b["type"] == "divider")]
    ]
    assert " ".join(answer_sections).split() == text.split()
    assert [int(m) for m in re.findall(r"^\*\[(\d+)\]\*", "\n".join(section_texts(blocks)), re.M)] == list(
        range(1, 61)
    )
    assert blocks[-1]["type"] == "actions" and messages[-1].blocks[-1]["type"] == "actions"
    assert messages[0].text.startswith("Sentence number 0") and len(messages[0].text) <= 3000
    assert messages[1].text == f"(answer continued, part 2 of {len(messages)})"


def test_the_context_line_says_when_the_backend_fell_back_and_how_the_question_was_understood():
    a = answer(
        "x [1]",
        [citation(1)],
        backend="openai",
        backend_fallback=True,
        fallback_reason="the server answered 503",
        standalone_question="What is the 2030 target?",
    )
    [message] = render_answer(a, answer_id="a", fallback_backend="extractive")
    context = [e["text"] for e in message.blocks[-2]["elements"]]
    assert context[0].startswith(
        ":warning: The *openai* backend failed (the server answered 503), so *extractive* answered instead"
    )
    assert context[1] == "Understood as: _What is the 2030 target?_"


def test_an_abstention_is_a_friendly_message_without_sources():
    a = answer("The indexed documents do not answer this question.", [], abstained=True)
    [message] = render_answer(a, answer_id="a")
    assert [b["type"] for b in message.blocks] == ["section", "context", "actions"]
    text = section_texts(message.blocks)[0]
    assert text.startswith(":mag: *The indexed documents do not answer this question.*")
    assert "Try rephrasing" in text
    assert "source" not in message.blocks[1]["elements"][0]["text"]


def test_slash_command_answers_repeat_the_question():
    [message] = render_answer(answer("x [1]", [citation(1)]), answer_id="a", asked_by="U0ALICE")
    assert section_texts(message.blocks)[0] == "<@U0ALICE> asked:\n>What is the 2027 target?"


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab .\n!?;&<"), max_size=9000), st.integers(min_value=20, max_value=3000)
)
def test_split_text_respects_the_limit_and_loses_nothing(text, limit):
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("short", 10, "short"), ("one two three four", 12, "one two…"), ("abcdefghij", 5, "abcd…")],
)
def test_trim(text, limit, expected):
    assert trim(text, limit) == expected and len(trim(text, limit)) <= limit


def test_escape_only_touches_slacks_control_characters():
    assert escape("*bold* _it_ & <x> ✓") == "*bold* _it_ &amp; &lt;x&gt; ✓"
