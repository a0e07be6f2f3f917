"""The openai backend against a real HTTP server on loopback that speaks the Chat Completions wire format."""

from __future__ import annotations

import logging

import pytest

from assistant.answer.backends import GenerationRequest, create_backend
from assistant.answer.backends.openai import OpenAIBackend
from assistant.answer.evidence import Evidence
from assistant.errors import BackendError, ConfigError
from assistant.models import Passage
from tests.answer.backends.fake_openai import Reply, chunk, frame
from tests.support import free_port, make_settings

PASSAGES = [
    Passage(
        id="ai-plus:1",
        doc_id="ai-plus",
        title="AI+ Opinions",
        heading_path="Targets",
        text="By 2027, the penetration rate of intelligent terminals and agents should exceed 70%.",
        start=0,
        end=84,
    )
]
REQUEST = GenerationRequest(question="What is the 2027 target?", passages=PASSAGES, evidence=Evidence([]))
KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def backend_for(tmp_path, fake_llm, monkeypatch):
    """Build an openai backend aimed at the fake server, with these options."""
    monkeypatch.setenv("TEST_LLM_KEY", KEY)
    made = []

    def build(**options):
        block = {
            "base_url": fake_llm.base_url,
            "model": "fake-model",
            "api_key_env": "TEST_LLM_KEY",
            "timeout": 2.0,
            "backoff_initial": 0.01,
            "backoff_max": 2.0,
            "tokenizer": "estimate",
            **options,
        }
        settings = make_settings(tmp_path / "index", answer={"backend": "openai", "openai": block})
        backend = create_backend("openai", settings)
        made.append(backend)
        return backend

    yield build
    for backend in made:
        backend.close()


def generate(backend) -> str:
    return "".join(backend.generate(REQUEST))


def failure(backend) -> BackendError:
    with pytest.raises(BackendError) as info:
        generate(backend)
    return info.value


def test_the_entry_point_builds_the_backend_with_typed_options(backend_for):
    backend = backend_for(temperature=0.2, max_tokens=300)
    assert isinstance(backend, OpenAIBackend)
    assert backend.options.temperature == 0.2 and backend.options.max_tokens == 300


def test_a_streamed_answer_arrives_in_pieces_and_the_request_is_well_formed(backend_for, fake_llm):
    fake_llm.queue(Reply(text="Above 70% by 2027 [1]."))
    pieces = list(backend_for(temperature=0.1, max_tokens=200).generate(REQUEST))
    assert "".join(pieces) == "Above 70% by 2027 [1]."
    assert pieces == ["Above ", "70% ", "by ", "2027 ", "[1]."]
    (received,) = fake_llm.requests
    body = received.body
    assert body["model"] == "fake-model" and body["stream"] is True
    assert body["temperature"] == 0.1 and body["max_tokens"] == 200
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert (
        "<passages>" in body["messages"][1]["content"] and REQUEST.question in body["messages"][1]["content"]
    )
    assert received.headers["authorization"] == f"Bearer {KEY}"


def test_a_non_streamed_answer(backend_for, fake_llm):
    fake_llm.queue(Reply(text="Above 70% [1]."))
    assert generate(backend_for(stream=False)) == "Above 70% [1]."
    assert fake_llm.requests[0].body["stream"] is False


def test_vendor_fields_and_the_max_completion_tokens_field(backend_for, fake_llm):
    fake_llm.queue(Reply(text="ok [1]"))
    generate(
        backend_for(max_tokens_field="max_completion_tokens", extra_body={"top_k": 20}, headers={"X-Gw": "1"})
    )
    received = fake_llm.requests[0]
    assert received.body["max_completion_tokens"] == 512 and "max_tokens" not in received.body
    assert received.body["top_k"] == 20 and received.headers["x-gw"] == "1"


def test_a_server_that_ignores_stream_true_and_answers_json(backend_for, fake_llm):
    fake_llm.queue(Reply(text="Plain JSON [1].", stream=False))
    assert generate(backend_for()) == "Plain JSON [1]."


def test_sse_frames_split_across_writes_with_comments_and_crlf(backend_for, fake_llm):
    first = frame(chunk("m", {"content": "Above "})).replace(b"\n", b"\r\n")
    second = frame(chunk("m", {"content": "70% [1]."}))
    raw = [b": keep-alive\n\n", first[:9], first[9:], b"event: message\n" + second[:20], second[20:]]
    raw += [frame(chunk("m", {}, finish_reason="stop")), b"data: [DONE]\n\n"]
    fake_llm.queue(Reply(raw_sse=raw))
    assert generate(backend_for()) == "Above 70% [1]."


def test_a_reasoning_block_is_not_part_of_the_answer(backend_for, fake_llm):
    fake_llm.queue(Reply(pieces=["<thi", "nk>The user wants", " the target.</think>", "\n\nAbove 70% [1]."]))
    assert generate(backend_for()) == "Above 70% [1]."


def test_429_then_success_honours_retry_after(backend_for, fake_llm):
    fake_llm.queue(
        Reply(status=429, error="Rate limit reached", headers={"Retry-After": "1"}), Reply(text="Done [1].")
    )
    assert generate(backend_for()) == "Done [1]."
    first, second = fake_llm.requests
    assert second.at - first.at >= 0.95  # the server's Retry-After, not our 10 ms backoff


def test_a_retry_after_longer_than_we_wait_gives_up_at_once(backend_for, fake_llm):
    fake_llm.queue(Reply(status=429, error="slow down", headers={"Retry-After": "120"}))
    error = failure(backend_for())
    assert error.kind == "rate_limited" and len(fake_llm.requests) == 1


def test_500s_are_retried_then_reported(backend_for, fake_llm):
    fake_llm.default = Reply(status=500, error="upstream exploded")
    error = failure(backend_for(max_retries=2))
    assert error.kind == "server_error" and error.retryable
    assert "HTTP 500" in str(error) and "upstream exploded" in str(error) and "3 attempts" in str(error)
    assert len(fake_llm.requests) == 3


def test_a_500_then_success(backend_for, fake_llm):
    fake_llm.queue(Reply(status=503, error="loading model"), Reply(text="Recovered [1]."))
    assert generate(backend_for()) == "Recovered [1]."


def test_a_slow_server_times_out_and_is_retried(backend_for, fake_llm):
    fake_llm.default = Reply(text="too late", delay=1.5)
    error = failure(backend_for(timeout=0.3, max_retries=1))
    assert error.kind == "timeout" and "0.3s" in str(error)
    assert len(fake_llm.requests) == 2


def test_malformed_json_is_retried_then_reported(backend_for, fake_llm):
    fake_llm.default = Reply(body='{"choices": [ {"message": ')
    error = failure(backend_for(stream=False, max_retries=1))
    assert error.kind == "malformed" and len(fake_llm.requests) == 2


def test_a_completion_without_choices_is_malformed(backend_for, fake_llm):
    fake_llm.default = Reply(body='{"id": "x", "object": "chat.completion"}')
    assert failure(backend_for(stream=False, max_retries=0)).kind == "malformed"


def test_a_malformed_stream_chunk(backend_for, fake_llm):
    fake_llm.default = Reply(raw_sse=[b"data: {not json\n\n"])
    assert failure(backend_for(max_retries=0)).kind == "malformed"


def test_empty_output_is_retried_then_reported(backend_for, fake_llm):
    fake_llm.default = Reply(text="")
    error = failure(backend_for(max_retries=1))
    assert error.kind == "empty" and len(fake_llm.requests) == 2


def test_a_stream_cut_mid_answer_is_a_broken_stream(backend_for, fake_llm):
    fake_llm.queue(Reply(text="Above 70% by 2027 and more words [1].", cut_after=3))
    backend = backend_for()
    received = []
    with pytest.raises(BackendError) as info:
        for piece in backend.generate(REQUEST):
            received.append(piece)
    assert "".join(received) == "Above 70% by "
    assert info.value.kind == "stream_broken" and info.value.retryable
    assert len(fake_llm.requests) == 1  # text went out already: the service decides what happens next


def test_a_stream_that_ends_without_done_is_a_broken_stream(backend_for, fake_llm):
    fake_llm.queue(Reply(text="Above 70% [1].", no_done=True))
    assert failure(backend_for()).kind == "stream_broken"


def test_a_refused_connection(tmp_path, monkeypatch):
    settings = make_settings(
        tmp_path / "index",
        answer={
            "openai": {
                "base_url": f"http://127.0.0.1:{free_port()}/v1",
                "api_key_env": None,
                "max_retries": 1,
                "backoff_initial": 0.01,
                "tokenizer": "estimate",
            }
        },
    )
    backend = create_backend("openai", settings)
    error = failure(backend)
    assert error.kind == "connection" and "cannot connect" in str(error)
    backend.close()


def test_a_401_is_not_retried_and_never_shows_the_key(backend_for, fake_llm, caplog):
    fake_llm.default = Reply(status=401, error=f"Incorrect API key provided: {KEY}")
    with caplog.at_level(logging.DEBUG):
        error = failure(backend_for())
    assert error.kind == "http_error" and not error.retryable and len(fake_llm.requests) == 1
    assert "HTTP 401" in str(error) and KEY not in str(error) and "[redacted]" in str(error)
    assert KEY not in caplog.text
    assert KEY not in repr(backend_for().options)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"base_url": "localhost:8000/v1"}, "answer.openai.base_url"),
        ({"temprature": 0.5}, "answer.openai.temprature"),
        ({"timeout": 0}, "answer.openai.timeout"),
        ({"api_key_env": "NO_SUCH_VARIABLE_FOR_TESTS"}, "needs an API key"),
        ({"prompts": "v99"}, "built-in versions: v1"),
    ],
)
def test_bad_settings_are_clear_configuration_errors(tmp_path, block, message):
    settings = make_settings(tmp_path / "index", answer={"openai": block})
    with pytest.raises(ConfigError, match=message):
        create_backend("openai", settings)


def test_condensation_and_judging_through_the_server(backend_for, fake_llm):
    from assistant.models import ChatMessage

    backend = backend_for()
    fake_llm.queue(
        Reply(text="Standalone question: What does the AI+ plan target for 2030?"),
        Reply(text="1: yes\n2: No"),
    )
    history = [ChatMessage(role="user", content="What does AI+ target for 2027?")]
    assert backend.condense_question("And by 2030?", history) == "What does the AI+ plan target for 2030?"
    assert backend.judge_support([("a claim", "evidence"), ("another", "evidence")]) == [True, False]
    condense_prompt = fake_llm.requests[0].messages[-1]["content"]
    assert "User: What does AI+ target for 2027?" in condense_prompt and "And by 2030?" in condense_prompt


@pytest.mark.parametrize("profile", ["openai", "ollama", "vllm", "llamacpp"])
def test_the_shipped_profiles_build_their_backend(profile, monkeypatch, tmp_path):
    from assistant.config import load_settings

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    settings = load_settings(profile=profile, data_dir=tmp_path)
    backend = create_backend(settings.answer.backend, settings)
    assert isinstance(backend, OpenAIBackend) and backend.options.base_url.endswith("/v1")
    backend.close()
