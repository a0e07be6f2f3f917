"""Talking to Slack's Web API about one question: reactions, "looking…", private notes, the answer, the thread.

Every call is best effort and logged with the question's request id: a reaction Slack refuses must not cost
the user the answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from .blocks import SlackMessage
from .store import Origin

log = logging.getLogger(__name__)

_REPLIES_PAGE = 200
_REPLIES_MAX = 1000


@dataclass
class Target:
    """Where a question came from and where its answer goes."""

    team_id: str | None
    channel_id: str
    user_id: str
    origin: Origin
    message_ts: str | None  # the question's own message (None for slash commands)
    thread_ts: str | None  # the thread to answer in (None: top level of a direct message)
    request_id: str


class SlackPoster:
    """The bot's Web API calls for a question, each failure logged rather than raised (except the answer's)."""

    def __init__(self, client: WebClient, reaction: str) -> None:
        self.client = client
        self.reaction = reaction

    def react(self, target: Target, how: str) -> bool:
        """Add ("add") or take off ("remove") the working-on-it reaction; True when Slack accepted it."""
        if not self.reaction or not target.message_ts:
            return False
        method = self.client.reactions_add if how == "add" else self.client.reactions_remove
        try:
            method(channel=target.channel_id, timestamp=target.message_ts, name=self.reaction)
            return True
        except SlackApiError as exc:
            log.warning("%s: reactions.%s failed: %s", target.request_id, how, exc.response.get("error"))
            return False

    def post(self, target: Target, message: SlackMessage) -> str | None:
        """Post in the target's thread (or conversation); the new message's ts, or None."""
        try:
            response = self.client.chat_postMessage(
                channel=target.channel_id,
                thread_ts=target.thread_ts,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            log.warning("%s: chat.postMessage failed: %s", target.request_id, exc.response.get("error"))
            return None
        return str(response.get("ts"))

    def tell(self, target: Target, message: SlackMessage) -> None:
        """A note only the asking user sees (in the thread when there is one)."""
        try:
            self.client.chat_postEphemeral(
                channel=target.channel_id,
                user=target.user_id,
                thread_ts=target.thread_ts,
                text=message.text,
                blocks=message.blocks,
            )
        except SlackApiError as exc:
            log.warning("%s: chat.postEphemeral failed: %s", target.request_id, exc.response.get("error"))

    def deliver(
        self, target: Target, placeholder: str | None, messages: list[SlackMessage], *, quiet: bool = False
    ) -> list[str]:
        """Show the messages: the first replaces the placeholder, the rest follow it. Returns their ts.

        Raises when Slack takes none of it (unless `quiet`), so the caller can fall back to an apology.
        """
        shown: list[str] = []
        for index, message in enumerate(messages):
            ts: str | None = None
            if index == 0 and placeholder:
                try:
                    self.client.chat_update(
                        channel=target.channel_id, ts=placeholder, text=message.text, blocks=message.blocks
                    )
                    ts = placeholder
                except SlackApiError as exc:
                    log.warning("%s: chat.update failed: %s", target.request_id, exc.response.get("error"))
            if ts is None:
                ts = self.post(target, message)
            if ts is None:
                if quiet:
                    return shown
                raise RuntimeError("Slack refused the answer message")
            shown.append(ts)
        return shown

    def thread_messages(self, target: Target) -> list[dict[str, Any]]:
        """The messages of the target's thread (up to a thousand), or none when Slack will not say."""
        messages: list[dict[str, Any]] = []
        cursor: str | None = None
        try:
            while len(messages) < _REPLIES_MAX:
                page = self.client.conversations_replies(
                    channel=target.channel_id, ts=target.thread_ts, limit=_REPLIES_PAGE, cursor=cursor
                )
                messages += page.get("messages", [])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as exc:
            # Answer without history rather than not at all (e.g. a missing *:history scope).
            log.warning("%s: could not read the thread: %s", target.request_id, exc.response.get("error"))
        return messages
