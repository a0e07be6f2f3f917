"""Answers from other backends in Slack: a long answer split over several messages, and a fallback shown in
the context line. The backends stand in for an LLM (none runs here); everything else is real."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from assistant.answer.backends import GenerationRequest, register_backend, unregister_backend
from assistant.errors import BackendError
from assistant.service import Assistant
from assistant.slack.blocks import BLOCKS_PER_MESSAGE, SECTION_TEXT_LIMIT
from tests.slack.fake_slack import message_event
from tests.slack.test_bot_http import CHANNEL, Q2027, answered, ask_by_mention, buttons, texts


class EverySentence:
    """Answers with every long sentence of every passage, each marked with its passage."""

    name = "every-sentence"

    def __init__(self, settings: object) -> None:
        pass

    def generate(self, request: GenerationRequest) -> Iterator[str]:
        for n, passage in enumerate(request.passages, start=1):
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", passage.text) if len(s) > 40]
            for sentence in sentences[:6]:
                yield f"{sentence.strip()} [{n}] "


class Unavailable:
    """A model server that is down."""

    name = "unavailable"

    def __init__(self, settings: object) -> None:
        pass

    def generate(self, request: GenerationRequest) -> Iterator[str]:
        raise BackendError("the model server answered 503", retryable=True)
        yield ""  # pragma: no cover


@pytest.fixture
def assistant_with(corpus_assistant, embedder) -> Iterator:
    """An Assistant over the corpus index that answers with another backend (and top_k)."""
    register_backend(EverySentence.name, EverySentence)
    register_backend(Unavailable.name, Unavailable)
    made: list[Assistant] = []

    def make(backend: str, top_k: int = 6) -> Assistant:
        base = corpus_assistant.settings
        settings = base.model_copy(
            update={
                "answer": base.answer.model_copy(update={"backend": backend}),
                "retrieval": base.retrieval.model_copy(update={"top_k": top_k}),
            }
        )
        made.append(Assistant(settings, embedder=embedder))
        return made[-1]

    yield make
    for assistant in made:
        assistant.close()
    unregister_backend(EverySentence.name)
    unregister_backend(Unavailable.name)


def test_a_long_answer_is_split_over_messages_in_the_thread_and_read_back_whole(slack_stack, assistant_with):
    stack = slack_stack(assistant=assistant_with(EverySentence.name, top_k=12))
    fake = stack.fake
    question = ask_by_mention(stack, Q2027)
    first = answered(fake, question)
    continued = fake.calls_to("chat.postMessage", lambda c: c.at > first.at)
    assert continued, "the answer should not fit in one message"
    parts = [first, *continued]
    for part in parts:
        assert len(part.args["blocks"]) <= BLOCKS_PER_MESSAGE
        assert all(len(t) <= SECTION_TEXT_LIMIT for t in texts(part.args["blocks"]))
        assert part.args.get("thread_ts", question["ts"]) == question["ts"]
    assert continued[-1].args["blocks"][-1]["type"] == "actions"  # buttons close the answer
    assert continued[0].args["text"].startswith("(answer continued, part 2 of")
    answer_id = buttons(continued[-1].args["blocks"])[0]["value"]
    record = stack.bot.store.answer(answer_id)
    shown_sources = [t for p in parts for t in texts(p.args["blocks"]) if t.startswith("*[")]
    assert len(shown_sources) == len(record.answer.citations) > BLOCKS_PER_MESSAGE - 6

    # A follow-up reads the thread: the answer is one assistant turn, the continuation is not another.
    follow_up = fake.add_message(CHANNEL, "And by 2030?", thread_ts=question["ts"])
    stack.sender.event(message_event(CHANNEL, follow_up))
    later = answered(fake, follow_up)
    history = stack.bot.store.message_answer(CHANNEL, later.args["ts"])[0].history
    assert [m.role for m in history] == ["user", "assistant"]
    assert history[1].content == record.answer.text


def test_a_backend_failure_falls_back_and_the_context_line_says_so(slack_stack, assistant_with):
    stack = slack_stack(assistant=assistant_with(Unavailable.name))
    update = answered(stack.fake, ask_by_mention(stack, Q2027))
    shown = texts(update.args["blocks"])
    assert "70%" in shown[0]
    assert any(
        t.startswith(
            ":warning: The *unavailable* backend failed (the model server answered 503), so *extractive*"
        )
        for t in shown
    )
