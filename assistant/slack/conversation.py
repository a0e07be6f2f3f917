"""Reading Slack messages as a conversation: plain question text and the history of a thread."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from typing import Any, Literal

from ..models import ChatMessage

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^<>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^<>]*))?>")
_SPECIAL = re.compile(r"<!(?:subteam\^[A-Z0-9]+|here|channel|everyone|date\^[^<>]*)(?:\|([^<>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^<>|]+)(?:\|([^<>]*))?>")
_SMALL_TALK = re.compile(
    r"^(?:thanks?(?: you)?(?: so much| a lot)?|thx|ty|tysm|cheers|ok(?:ay)?|k|cool|great|nice|perfect|"
    r"got it|makes sense|awesome|sounds good|lol|haha)[\s!.?]*$",
    re.IGNORECASE,
)

Visibility = Literal["ephemeral", "in_channel"]
_PUBLIC_FLAGS = {"--public", "--in-channel", "--share"}
_PRIVATE_FLAGS = {"--private", "--ephemeral"}


def plain_text(text: str, bot_user_id: str | None = None) -> str:
    """A Slack message's text as a person would read it, without the mention of the bot."""

    def user(match: re.Match[str]) -> str:
        if bot_user_id and match.group(1) == bot_user_id:
            return " "
        return "@" + (match.group(2) or match.group(1))

    text = _USER_MENTION.sub(user, text or "")
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: m.group(1) or " ", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = html.unescape(text)  # Slack escapes &, < and > as entities
    return " ".join(text.split())


def mentions(text: str, user_id: str | None) -> bool:
    return bool(user_id) and any(m.group(1) == user_id for m in _USER_MENTION.finditer(text or ""))


def is_small_talk(text: str) -> bool:
    """Thanks and acknowledgements in a thread, which are not questions to answer."""
    stripped = re.sub(r":[a-z0-9_+-]+:", "", text).strip()
    return not any(ch.isalnum() for ch in stripped) or bool(_SMALL_TALK.match(stripped))


def parse_command(text: str, default: Visibility) -> tuple[Visibility, str]:
    """Split `/policy [--public|--private] question` into the answer's visibility and the question."""
    words = (text or "").split(maxsplit=1)
    flag = words[0].lower() if words else ""
    if flag in _PUBLIC_FLAGS | _PRIVATE_FLAGS:
        visibility: Visibility = "in_channel" if flag in _PUBLIC_FLAGS else "ephemeral"
        return visibility, plain_text(words[1] if len(words) > 1 else "")
    return default, plain_text(text or "")


AnswerLookup = Callable[[str], tuple[str, int] | None]


def thread_history(
    messages: Iterable[dict[str, Any]],
    *,
    before_ts: str,
    bot_user_id: str | None,
    bot_id: str | None,
    answer_text: AnswerLookup,
    limit: int,
) -> list[ChatMessage]:
    """The turns of a thread before `before_ts`: people's messages as user turns, the bot's answers as its own.

    `answer_text(ts)` gives the full text of the answer a bot message shows and which part of it the message
    is; the bot's other messages ("looking…", apologies, continuation parts) are not turns. Other bots and
    system messages (joins, topic changes) are left out.
    """
    turns: list[ChatMessage] = []
    for message in sorted(messages, key=lambda m: float(m.get("ts", 0))):
        ts = message.get("ts", "")
        if not ts or float(ts) >= float(before_ts):
            continue
        is_ours = (bot_id and message.get("bot_id") == bot_id) or (
            bot_user_id and message.get("user") == bot_user_id
        )
        if is_ours:
            found = answer_text(ts)
            if found and found[1] == 1:
                turns.append(ChatMessage(role="assistant", content=found[0]))
            continue
        if message.get("bot_id") or message.get("subtype") not in (None, "thread_broadcast", "file_share"):
            continue
        content = plain_text(message.get("text", ""), bot_user_id)
        if content:
            turns.append(ChatMessage(role="user", content=content))
    return turns[-limit:] if limit > 0 else []
