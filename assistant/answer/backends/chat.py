"""What every chat-model backend shares: prompt building, retries with backoff, condensation and judging.

A chat backend implements one transport method, `stream_chat(messages, max_tokens)`, yielding text pieces
and raising `BackendError` (with a `kind`, whether it is `retryable`, and an optional `retry_after` in
seconds). This class turns it into the backend contract: `generate()` for answers, plus the optional
capabilities the service uses when present, `condense_question()` and `judge_support()`.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...errors import BackendError, ConfigError
from ...models import ChatMessage
from ..prompts import PromptSet, answer_messages, condense_messages, judge_messages, load_prompts
from ..tokens import TokenCounter, make_token_counter
from .base import GenerationRequest

if TYPE_CHECKING:
    from ...config import Settings

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]
_VERDICT = re.compile(
    r"^\W*(?:item\s*)?(\d{1,3})\s*[:.)\-–]\s*\**\s*(yes|no|supported|unsupported|not supported)\b",
    re.IGNORECASE | re.MULTILINE,
)
_LABEL = re.compile(r"^\s*(?:standalone question|question|rewritten question)\s*:\s*", re.IGNORECASE)


class ChatOptions(BaseModel):
    """Options every chat backend takes (its block under `answer.<name>` adds its own)."""

    model_config = ConfigDict(extra="forbid")

    context_window: int = Field(8192, ge=256, description="Tokens the model accepts, prompt and answer.")
    max_tokens: int = Field(512, ge=16, description="Most tokens the model may write in an answer.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature (0: most repeatable).")
    prompts: str = Field("v1", description="Built-in prompt version, or a folder with your own prompt files.")
    tokenizer: str | None = Field(
        None,
        description="tokenizer.json (or its folder) to count prompt tokens; 'estimate'; "
        "default: the embedding model's tokenizer.",
    )
    condense: bool = Field(True, description="Rewrite follow-up questions with this model (rules otherwise).")
    max_retries: int = Field(
        2, ge=0, le=10, description="Retries after a timeout, refused connection, 429, 5xx or bad output."
    )
    backoff_initial: float = Field(
        0.5, ge=0, description="Seconds before the first retry; doubles each time."
    )
    backoff_max: float = Field(8.0, ge=0, description="Longest wait between retries (Retry-After included).")


OptionsT = TypeVar("OptionsT", bound=ChatOptions)


def parse_options(schema: type[OptionsT], name: str, settings: Settings, /, **given: Any) -> OptionsT:
    """The backend's block `answer.<name>` (updated with `given`) validated against `schema`."""
    block = {**settings.answer.backend_options(name), **given}
    try:
        return schema.model_validate(block)
    except ValidationError as exc:
        problems = "; ".join(
            f"answer.{name}.{'.'.join(str(p) for p in e['loc']) or '?'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings for answer backend {name!r}: {problems}") from exc


def backend_error(
    message: str, *, kind: str, retryable: bool, retry_after: float | None = None
) -> BackendError:
    error = BackendError(message, retryable=retryable, kind=kind)
    error.retry_after = retry_after  # type: ignore[attr-defined]
    return error


class ChatBackend:
    """Base class of backends that talk to a chat model; subclasses implement `stream_chat`."""

    name = "chat"
    options: ChatOptions

    def __init__(self, settings: Settings, options: ChatOptions) -> None:
        self.options = options
        self.prompts: PromptSet = load_prompts(options.prompts)
        self.count_tokens: TokenCounter = make_token_counter(options.tokenizer, settings.embedding)
        # A stream that breaks after text arrived cannot be retried here (that text is out); the service
        # starts the answer over this many times.
        self.stream_restarts = 1 if options.max_retries else 0
        self.can_condense = options.condense

    # --- transport (subclasses) -------------------------------------------------------------------------

    def stream_chat(self, messages: Messages, *, max_tokens: int) -> Iterator[str]:
        """Yield the model's reply to `messages` in pieces; raise BackendError on failure."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections (nothing by default)."""

    # --- the backend contract ---------------------------------------------------------------------------

    def build_messages(self, request: GenerationRequest) -> Messages:
        """The chat messages for an answer: the system prompt, then the packed passages and the question."""
        messages, packed = answer_messages(
            self.prompts,
            request.question,
            request.passages,
            context_window=self.options.context_window,
            max_output_tokens=self.options.max_tokens,
            count=self.count_tokens,
        )
        if len(packed.numbers) < len(request.passages):
            log.info(
                "%s: %d of %d passages fit the context budget (%d truncated)",
                self.name,
                len(packed.numbers),
                len(request.passages),
                len(packed.truncated),
            )
        return messages

    def generate(self, request: GenerationRequest) -> Iterator[str]:
        """Stream the answer to the request, retrying failures that happen before the first piece."""
        yield from self.chat(self.build_messages(request), max_tokens=self.options.max_tokens)

    def chat(self, messages: Messages, *, max_tokens: int) -> Iterator[str]:
        """The model's reply, with retries (backoff, Retry-After) until text starts to arrive."""
        attempt = 0
        while True:
            started = False
            try:
                for piece in strip_reasoning(self.stream_chat(messages, max_tokens=max_tokens)):
                    if piece:
                        started = True
                        yield piece
                if not started:
                    raise backend_error(
                        f"{self.name}: the model returned no text", kind="empty", retryable=True
                    )
                return
            except BackendError as exc:
                if started:
                    raise backend_error(
                        f"{self.name}: the stream broke mid-answer ({exc})",
                        kind="stream_broken",
                        retryable=True,
                    ) from exc
                if not exc.retryable or attempt >= self.options.max_retries:
                    if attempt:
                        raise backend_error(
                            f"{exc} (after {attempt + 1} attempts)",
                            kind=exc.kind,
                            retryable=exc.retryable,
                        ) from exc
                    raise
                delay = self._delay(attempt, getattr(exc, "retry_after", None))
                if delay is None:
                    raise
                log.warning("%s: %s; retry %d in %.1fs", self.name, exc, attempt + 1, delay)
                time.sleep(delay)
                attempt += 1

    def complete(self, messages: Messages, *, max_tokens: int) -> str:
        """The whole reply as one string (used for condensation and judging)."""
        return "".join(self.chat(messages, max_tokens=max_tokens)).strip()

    def _delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry `attempt + 1`; None when the server asks for longer than we wait."""
        if retry_after is not None:
            return retry_after if retry_after <= self.options.backoff_max else None
        ceiling = min(self.options.backoff_max, self.options.backoff_initial * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # jitter keeps many clients from retrying in step

    # --- optional capabilities the service uses -------------------------------------------------------

    def condense_question(self, question: str, history: list[ChatMessage]) -> str:
        """The standalone form of a follow-up question, written by the model."""
        reply = self.complete(condense_messages(self.prompts, question, history), max_tokens=128)
        lines = [line for line in reply.splitlines() if line.strip()]
        if not lines:
            raise backend_error(f"{self.name}: empty condensation", kind="empty", retryable=False)
        standalone = _LABEL.sub("", lines[0]).strip().strip("\"'“”‘’`").strip()
        if len(standalone) < 3 or len(standalone) > 4 * max(len(question), 200):
            raise backend_error(
                f"{self.name}: unusable condensation {standalone[:80]!r}", kind="malformed", retryable=False
            )
        return standalone

    def judge_support(self, items: list[tuple[str, str]]) -> list[bool | None]:
        """For each (statement, evidence) pair, whether the evidence supports it (None: no verdict given)."""
        if not items:
            return []
        reply = self.complete(judge_messages(self.prompts, items), max_tokens=8 * len(items) + 16)
        verdicts: list[bool | None] = [None] * len(items)
        for match in _VERDICT.finditer(reply):
            index = int(match.group(1)) - 1
            if 0 <= index < len(items) and verdicts[index] is None:
                verdicts[index] = match.group(2).lower() in ("yes", "supported")
        return verdicts


def strip_reasoning(pieces: Iterator[str]) -> Iterator[str]:
    """Drop a leading <think>…</think> block (reasoning models served by vLLM, Ollama, llama.cpp)."""
    buffer = ""
    state = "start"  # start: undecided; think: inside the block; after: skip blank text; pass: all goes
    for piece in pieces:
        if state == "pass":
            yield piece
            continue
        buffer += piece
        if state == "start":
            stripped = buffer.lstrip()
            if len(stripped) < len("<think>") and "<think>".startswith(stripped):
                continue  # could still become <think>
            if not stripped.startswith("<think>"):
                state = "pass"
                yield buffer
                buffer = ""
                continue
            state = "think"
        if state == "think":
            end = buffer.find("</think>")
            if end < 0:
                continue
            buffer = buffer[end + len("</think>") :]
            state = "after"
        if state == "after":
            buffer = buffer.lstrip()
            if buffer:
                state = "pass"
                yield buffer
                buffer = ""
    if state == "start" and buffer:
        yield buffer
