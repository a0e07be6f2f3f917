"""The langchain backend with langchain-core's fake chat models (no model service is reachable here)."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer.backends import GenerationRequest, create_backend
from assistant.answer.backends.langchain import LangChainBackend
from assistant.answer.evidence import Evidence
from assistant.errors import BackendError, ConfigError
from assistant.models import Passage
from tests.support import make_settings

FAKE_LIST = "langchain_core.language_models.fake_chat_models:FakeListChatModel"
PASSAGE = Passage(
    id="p:1", doc_id="p", title="T", text="The AI Act entered into force on 1 August 2024.", start=0, end=47
)
REQUEST = GenerationRequest(question="When?", passages=[PASSAGE], evidence=Evidence([]))


def build(tmp_path, **block):
    settings = make_settings(tmp_path / "index", answer={"langchain": {"tokenizer": "estimate", **block}})
    return create_backend("langchain", settings)


def test_a_model_named_by_import_path_streams_its_answer(tmp_path):
    backend = build(tmp_path, model=FAKE_LIST, kwargs={"responses": ["In force on 1 August 2024 [1]."]})
    assert isinstance(backend, LangChainBackend)
    pieces = list(backend.generate(REQUEST))
    assert "".join(pieces) == "In force on 1 August 2024 [1]."
    assert len(pieces) == len("In force on 1 August 2024 [1].")  # the fake streams character by character


def test_without_streaming_the_model_is_invoked(tmp_path):
    backend = build(tmp_path, model=FAKE_LIST, kwargs={"responses": ["Whole answer [1]."]}, stream=False)
    assert list(backend.generate(REQUEST)) == ["Whole answer [1]."]


def test_a_model_instance_and_content_blocks(tmp_path):
    message = AIMessage(content=[{"type": "text", "text": "From blocks [1]."}])
    model = GenericFakeChatModel(messages=iter([message, "Second [1]."]))
    settings = make_settings(tmp_path / "index")
    backend = LangChainBackend(settings, model=model, stream=False, tokenizer="estimate")
    assert "".join(backend.generate(REQUEST)) == "From blocks [1]."
    backend.options.stream = True
    assert list(backend.generate(REQUEST)) == ["Second", " ", "[1]."]


def test_an_error_mid_stream_is_a_broken_stream(tmp_path):
    backend = build(
        tmp_path, model=FAKE_LIST, kwargs={"responses": ["Hello world [1]."], "error_on_chunk_number": 3}
    )
    received = []
    with pytest.raises(BackendError) as info:
        for piece in backend.generate(REQUEST):
            received.append(piece)
    assert "".join(received) == "Hel"
    assert info.value.kind == "stream_broken"


def test_an_error_before_any_text_is_retried_then_reported(tmp_path):
    backend = build(
        tmp_path,
        model=FAKE_LIST,
        kwargs={"responses": ["never"], "error_on_chunk_number": 0},
        max_retries=1,
        backoff_initial=0.01,
    )
    with pytest.raises(BackendError, match="FakeListChatModelError") as info:
        list(backend.generate(REQUEST))
    assert "2 attempts" in str(info.value)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"model": "langchain_nonexistent_pkg:ChatX"}, "pip install langchain-nonexistent-pkg"),
        ({"model": "langchain_core.messages:NoSuchThing"}, "has no 'NoSuchThing'"),
        (
            {"model": "langchain_core.messages:AIMessage", "kwargs": {"content": "x"}},
            "must be a LangChain chat model",
        ),
        ({"model": FAKE_LIST, "kwargs": {"no_such_field": 1}}, "cannot create"),
        ({}, "answer.langchain.model"),
    ],
)
def test_bad_model_settings_are_configuration_errors(tmp_path, block, message):
    with pytest.raises(ConfigError, match=message):
        build(tmp_path, **block)


def test_the_assistant_answers_through_a_langchain_model(corpus_assistant):
    question = "When did the EU AI Act enter into force?"
    first = corpus_assistant.retrieve(question).passages[0]
    sentence = next(s for s in first.text.split(". ") if len(s.split()) > 6)
    model = GenericFakeChatModel(messages=iter([f"{sentence.strip().rstrip('.')} [1]."]))
    from assistant.answer.backends import register_backend, unregister_backend

    register_backend(
        "lc-fake",
        lambda settings: LangChainBackend(settings, model=model, tokenizer="estimate", condense=False),
    )
    try:
        events = list(corpus_assistant.ask_stream(question, backend="lc-fake"))
    finally:
        unregister_backend("lc-fake")
        corpus_assistant._backends.pop("lc-fake", None)
    deltas = [e.text for e in events if e.type == "delta"]
    answer = events[-1].answer
    assert len(deltas) > 3  # streamed word by word
    assert answer.backend == "lc-fake" and not answer.backend_fallback and not answer.abstained
    assert answer.citations and answer.citations[0].passage_id == first.id
    assert answer.text.endswith("[1]")
