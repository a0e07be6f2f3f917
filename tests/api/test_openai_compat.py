"""The OpenAI-compatible routes, with the official `openai` client as a real peer over loopback HTTP."""

from __future__ import annotations

import json
import re

import httpx
import openai
import pytest

from tests.api.conftest import FLAGSHIP, read_events


@pytest.fixture
def client(corpus_server) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=corpus_server.url + "/v1", api_key="unused-when-keys-are-off", max_retries=0
    )


def test_models_lists_one_model_per_backend(client):
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "policy-assistant"
    assert "policy-assistant/extractive" in ids


def test_completion_carries_citations_in_text_and_extra_field(client, corpus_assistant):
    completion = client.chat.completions.create(
        model="policy-assistant", messages=[{"role": "user", "content": FLAGSHIP}]
    )
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content
    assert "70%" in content
    body, _, sources = content.partition("\n\nSources:\n")
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", body)}
    citations = completion.model_extra["citations"]
    assert markers == {c["n"] for c in citations}
    for c in citations:
        assert f"[{c['n']}] {c['title']}" in sources
        document = corpus_assistant.document(c["doc_id"])
        assert document.text[c["start"] : c["end"]] == c["quote"]
    meta = completion.model_extra["policy_assistant"]
    assert meta["abstained"] is False and meta["backend"] == "extractive"
    assert (
        completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_streamed_completion_matches_the_wire_format(client):
    stream = client.chat.completions.create(
        model="policy-assistant",
        messages=[{"role": "user", "content": FLAGSHIP}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "70%" in text and "Sources:" in text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0
    with_citations = [c for c in chunks if c.model_extra.get("citations")]
    assert len(with_citations) == 1
    numbers = {c["n"] for c in with_citations[0].model_extra["citations"]}
    assert numbers == {int(n) for n in re.findall(r"\[(\d+)\]", text.split("Sources:")[0])}


def test_the_stream_ends_with_done(corpus_server):
    body = {"model": "policy-assistant", "messages": [{"role": "user", "content": FLAGSHIP}], "stream": True}
    with (
        httpx.Client(base_url=corpus_server.url, timeout=60) as http,
        http.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        data = [d for _, d in read_events(response)]
    assert data[-1] == "[DONE]"
    for item in data[:-1]:
        assert json.loads(item)["object"] == "chat.completion.chunk"


def test_follow_up_is_condensed_and_system_messages_are_ignored(client):
    completion = client.chat.completions.create(
        model="policy-assistant",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": FLAGSHIP},
            {"role": "assistant", "content": "Above 70% [1]."},
            {"role": "user", "content": [{"type": "text", "text": "And by 2030?"}]},
        ],
    )
    meta = completion.model_extra["policy_assistant"]
    assert "2030" in meta["standalone_question"] and meta["standalone_question"] != "And by 2030?"
    assert "90%" in completion.choices[0].message.content


def test_abstention_has_no_sources(client):
    completion = client.chat.completions.create(
        model="policy-assistant", messages=[{"role": "user", "content": "How do I bake sourdough bread?"}]
    )
    assert completion.choices[0].message.content == "The indexed documents do not answer this question."
    assert completion.model_extra["citations"] == []
    assert completion.model_extra["policy_assistant"]["abstained"] is True


def test_filters_travel_in_extra_body(client):
    completion = client.chat.completions.create(
        model="policy-assistant",
        messages=[{"role": "user", "content": "Which AI practices are prohibited?"}],
        extra_body={"filters": {"doc_ids": ["eu-ai-act-risk-tiers"]}},
    )
    citations = completion.model_extra["citations"]
    assert citations and {c["doc_id"] for c in citations} == {"eu-ai-act-risk-tiers"}


def test_errors_reach_the_client_as_openai_errors(client):
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert "policy-assistant" in str(missing.value)
    with pytest.raises(openai.UnprocessableEntityError) as bad:
        client.chat.completions.create(
            model="policy-assistant", messages=[{"role": "assistant", "content": "x"}]
        )
    assert "last message must come from the user" in str(bad.value)
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="policy-assistant", messages=[])
