"""The OpenAI chat-completions wire format: request parsing, answers as completions and as chunk streams.

Citations travel twice: in the text (numbered markers, then a "Sources" list) for chat front ends that show
only text, and in the extra top-level field `citations` (the same objects as `Answer.citations`) for
programs. Streams carry the same text as the non-streamed reply — the verified answer, whose markers match
its sources — sent once verification is done; the extra fields ride on the last content chunk.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import InvalidInputError
from ..models import Answer, ChatMessage, Citation, Filters, StreamEvent
from .streaming import sse

MODEL_PREFIX = "policy-assistant"
_WORD_CHUNKS = re.compile(r"\S+\s*|\s+")


class OpenAIMessage(BaseModel):
    """A chat message; content may be a string or a list of parts (only text parts are read)."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        parts = [p.get("text", "") for p in self.content if isinstance(p, dict) and p.get("type") == "text"]
        return "\n".join(str(p) for p in parts)


class ChatCompletionRequest(BaseModel):
    """The fields of OpenAI's request that matter here; other OpenAI parameters are accepted and ignored."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": MODEL_PREFIX,
                    "messages": [
                        {"role": "user", "content": "What does the AI+ plan target for 2027?"},
                    ],
                    "stream": False,
                }
            ]
        },
    )

    model: str = Field(description=f"'{MODEL_PREFIX}' (configured backend) or '{MODEL_PREFIX}/<backend>'.")
    messages: list[OpenAIMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    n: int | None = Field(None, ge=1, le=1, description="Only one choice is produced.")
    filters: Filters | None = Field(
        None, description="Extension: restrict the documents searched (pass it via the client's extra_body)."
    )
    top_k: int | None = Field(None, ge=1, le=100, description="Extension: passages to answer from.")

    @field_validator("stream", mode="before")
    @classmethod
    def _null_stream(cls, value: object) -> object:
        return False if value is None else value


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "policy-assistant"


class ModelList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "object": "list",
                    "data": [
                        {
                            "id": MODEL_PREFIX,
                            "object": "model",
                            "created": 1767225600,
                            "owned_by": "policy-assistant",
                        },
                        {
                            "id": f"{MODEL_PREFIX}/extractive",
                            "object": "model",
                            "created": 1767225600,
                            "owned_by": "policy-assistant",
                        },
                    ],
                }
            ]
        }
    )

    object: Literal["list"] = "list"
    data: list[ModelCard]


def backend_for_model(model: str, backends: list[str], default: str) -> str:
    """The answer backend a model id names; unknown ids are an error listing the known ones."""
    if model == MODEL_PREFIX:
        return default
    prefix = MODEL_PREFIX + "/"
    if model.startswith(prefix) and model[len(prefix) :] in backends:
        return model[len(prefix) :]
    known = ", ".join(model_ids(backends))
    raise LookupError(f"the model {model!r} does not exist; available models: {known}")


def model_ids(backends: list[str]) -> list[str]:
    return [MODEL_PREFIX] + [f"{MODEL_PREFIX}/{name}" for name in backends]


def split_conversation(
    messages: list[OpenAIMessage], max_messages: int, max_message_chars: int
) -> tuple[str, list[ChatMessage]]:
    """The question (the last user message) and the history (earlier user and assistant turns)."""
    if len(messages) > max_messages:
        raise InvalidInputError(f"the conversation has {len(messages)} messages; the limit is {max_messages}")
    last = messages[-1]
    if last.role != "user":
        raise InvalidInputError("the last message must come from the user (role 'user')")
    history: list[ChatMessage] = []
    for message in messages[:-1]:
        if message.role not in ("user", "assistant"):
            continue  # system prompts and tool calls do not steer a cited, extractive answer
        text = message.text()
        if len(text) > max_message_chars:
            raise InvalidInputError(
                f"an earlier message is {len(text)} characters long; the limit is {max_message_chars}"
            )
        history.append(ChatMessage(role=message.role, content=text))  # type: ignore[arg-type]
    return last.text(), history


def text_with_sources(answer: Answer) -> str:
    """The answer text followed by a numbered sources list that matches its [n] markers."""
    if answer.abstained or not answer.citations:
        return answer.text
    lines = [answer.text, "", "Sources:"]
    for c in answer.citations:
        lines.append(f"[{c.n}] {source_label(c)}: \u201c{' '.join(c.quote.split())}\u201d")
    return "\n".join(lines)


def source_label(c: Citation) -> str:
    where = " \u2014 ".join(part for part in (c.title, c.heading_path) if part)
    return where + (f" (p. {c.page})" if c.page is not None else "")


def extras(answer: Answer) -> dict[str, Any]:
    """The documented extra fields: `citations`, and `policy_assistant` (how the answer was made)."""
    return {
        "citations": [c.model_dump(mode="json") for c in answer.citations],
        "policy_assistant": {
            "standalone_question": answer.standalone_question,
            "abstained": answer.abstained,
            "abstain_reason": answer.abstain_reason,
            "backend": answer.backend,
            "backend_fallback": answer.backend_fallback,
            "grounded": answer.grounded,
        },
    }


def usage(question: str, history: list[ChatMessage], content: str) -> dict[str, int]:
    """Word counts standing in for token counts (there is no LLM tokenizer in the default set-up)."""
    prompt = len(question.split()) + sum(len(m.content.split()) for m in history)
    completion = len(content.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def new_completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex


def completion(
    answer: Answer, model: str, completion_id: str, question: str, history: list[ChatMessage]
) -> dict[str, Any]:
    content = text_with_sources(answer)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": usage(question, history, content),
        **extras(answer),
    }


class ChunkRenderer:
    """Turns the service's events into `chat.completion.chunk` server-sent events."""

    def __init__(
        self, model: str, question: str, history: list[ChatMessage], include_usage: bool = False
    ) -> None:
        self.id = new_completion_id()
        self.created = int(time.time())
        self.model = model
        self.question = question
        self.history = history
        self.include_usage = include_usage

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            **extra,
        }
        if self.include_usage:
            body["usage"] = None
        return body

    def __call__(self, event: StreamEvent) -> Iterable[bytes]:
        if event.type == "sources":
            # the role opens the message at once, before any answer text exists
            yield sse(self.chunk({"role": "assistant", "content": ""}))
        elif event.type == "final":
            answer = event.answer
            assert answer is not None
            content = text_with_sources(answer)
            pieces = _WORD_CHUNKS.findall(content) or [""]
            step = 8  # words per chunk: a readable stream without thousands of tiny events
            for i in range(0, len(pieces), step):
                last = i + step >= len(pieces)
                extra = extras(answer) if last else {}
                yield sse(self.chunk({"content": "".join(pieces[i : i + step])}, **extra))
            yield sse(self.chunk({}, "stop"))
            if self.include_usage:
                final_usage = usage(self.question, self.history, content)
                body = self.chunk({})
                body["choices"] = []
                body["usage"] = final_usage
                yield sse(body)

    @staticmethod
    def done() -> list[bytes]:
        return [b"data: [DONE]\n\n"]


COMPLETION_EXAMPLE = {
    "id": "chatcmpl-5c0ffee0c0ffee0c0ffee0c0ffee0c0f",
    "object": "chat.completion",
    "created": 1767225600,
    "model": MODEL_PREFIX,
    "system_fingerprint": None,
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "... adoption rates for new-generation intelligent terminals and AI agents (above 70% and "
                "above 90% respectively). [1]\n\nSources:\n[1] AI-enabled consumer electronics and intelligent "
                "terminals in China after AI+ \u2014 AI-enabled consumer electronics and intelligent terminals: "
                "\u201cIntelligent terminals sit at the centre of China's AI+ targets: ...\u201d",
                "refusal": None,
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 14, "completion_tokens": 61, "total_tokens": 75},
    "citations": [
        {
            "n": 1,
            "passage_id": "china-ai-terminals-consumer-electronics:5d2f0c1a9e8b7d64",
            "doc_id": "china-ai-terminals-consumer-electronics",
            "title": "AI-enabled consumer electronics and intelligent terminals in China after AI+",
            "heading_path": "AI-enabled consumer electronics and intelligent terminals",
            "page": None,
            "quote": "Intelligent terminals sit at the centre of China's AI+ targets: ...",
            "start": 62,
            "end": 294,
            "score": 1.0,
        }
    ],
    "policy_assistant": {
        "standalone_question": "What penetration rate for intelligent terminals and agents does the AI+ plan "
        "target for 2027?",
        "abstained": False,
        "abstain_reason": None,
        "backend": "extractive",
        "backend_fallback": False,
        "grounded": True,
    },
}
