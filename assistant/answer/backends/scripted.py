"""A chat backend that replays scripted replies instead of calling a model: for tests, demos and evaluations.

It goes through everything a real chat backend does (prompt files, passage packing, retries, condensation,
judging), only the transport is a script. Register it under any name::

    from assistant.answer.backends import register_backend
    from assistant.answer.backends.scripted import ScriptedBackend, cite_evidence

    register_backend("scripted", lambda settings: ScriptedBackend(settings, replies=cite_evidence))
    assistant.ask("...", backend="scripted")

`replies` is either a callable that answers every call, or a sequence consumed one call at a time (the
last one repeats). Each reply is a string (streamed word by word), a list of string pieces (streamed as
they are), an exception to raise, or a callable `reply(call) -> reply`, given the `ScriptedCall`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .chat import ChatBackend, ChatOptions, Messages, parse_options

if TYPE_CHECKING:
    from ...config import Settings

Reply = str | list[str] | BaseException | Callable[["ScriptedCall"], Any]


@dataclass
class ScriptedCall:
    """One request the backend received: its purpose, the chat messages and the output limit."""

    kind: str  # "answer", "condense" or "judge"
    messages: Messages
    max_tokens: int

    @property
    def prompt(self) -> str:
        return "\n\n".join(m["content"] for m in self.messages)

    def passages(self) -> dict[int, str]:
        """The numbered passage texts of an answer prompt."""
        blocks = re.finditer(r'<passage number="(\d+)">\n(.*?)\n</passage>', self.prompt, re.DOTALL)
        return {int(m.group(1)): m.group(2).split("Text:\n", 1)[-1] for m in blocks}


class ScriptedBackend(ChatBackend):
    """Replays `replies`; `calls` records every request it received."""

    name = "scripted"

    def __init__(
        self,
        settings: Settings,
        replies: Sequence[Reply] | Callable[[ScriptedCall], Any] = (),
        *,
        name: str | None = None,
        **options: Any,
    ) -> None:
        self.name = name or self.name
        super().__init__(settings, parse_options(ChatOptions, self.name, settings, **options))
        self.replies = replies
        self.calls: list[ScriptedCall] = []
        self._position = 0
        self._lock = threading.Lock()

    def stream_chat(self, messages: Messages, *, max_tokens: int) -> Iterator[str]:
        call = ScriptedCall(_kind(messages, self), messages, max_tokens)
        with self._lock:
            self.calls.append(call)
            reply = self._next()
        while callable(reply) and not isinstance(reply, BaseException):
            reply = reply(call)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, str):
            yield from re.findall(r"\S+\s*|\s+", reply)
            return
        for piece in reply:
            if isinstance(piece, BaseException):
                raise piece
            yield piece

    def _next(self) -> Any:
        if callable(self.replies):
            return self.replies
        if not self.replies:
            return ""
        reply = self.replies[min(self._position, len(self.replies) - 1)]
        self._position += 1
        return reply


def _kind(messages: Messages, backend: ChatBackend) -> str:
    text = messages[-1]["content"] if messages else ""
    if text.startswith(backend.prompts.condense.split("{", 1)[0][:60]):
        return "condense"
    if text.startswith(backend.prompts.judge.split("{", 1)[0][:60]):
        return "judge"
    return "answer"


def cite_evidence(call: ScriptedCall) -> str:
    """A deterministic stand-in for a model: answers with the first sentence of passage 1, cited; judges
    every item supported; leaves follow-ups as they are."""
    if call.kind == "judge":
        count = len(re.findall(r"^Item \d+$", call.prompt, re.MULTILINE))
        return "\n".join(f"{i}: yes" for i in range(1, count + 1))
    if call.kind == "condense":
        match = re.search(r"^Follow-up question: (.+)$", call.prompt, re.MULTILINE)
        return match.group(1) if match else ""
    passages = call.passages()
    if not passages:
        return ""
    number = min(passages)
    first = re.split(r"(?<=[.!?。])\s+", " ".join(passages[number].split()), maxsplit=1)[0]
    return f"{first} [{number}]"
