"""The Slack bot: a slack-bolt app that answers mentions, direct messages, thread follow-ups and `/policy`.

Every handler acknowledges at once (bolt answers Slack's HTTP request or Socket Mode envelope as soon as the
listener starts), shows that it is working (a reaction and a "looking…" message), asks the `Assistant`,
then replaces the "looking…" message with the answer. Slack's retries are dropped by event id.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from ..config import Settings
from ..errors import InvalidInputError, NotFoundError
from ..models import Answer, ChatMessage
from ..service import FALLBACK_BACKEND, Assistant
from . import blocks
from .blocks import FEEDBACK_DOWN, FEEDBACK_UP, SlackMessage
from .conversation import is_small_talk, mentions, parse_command, plain_text, thread_history
from .credentials import SlackCredentials
from .delivery import SlackPoster, Target
from .guards import AccessPolicy, RateLimiter
from .store import AnswerRecord, Origin, SlackStore, utc_now

log = logging.getLogger(__name__)

_ANSWERED_SUBTYPES = (None, "thread_broadcast", "file_share")


def new_request_id() -> str:
    return "slk-" + uuid.uuid4().hex[:12]


class SlackBot:
    """Answers policy questions in Slack through the one `Assistant`, over HTTP or Socket Mode."""

    def __init__(
        self,
        assistant: Assistant,
        settings: Settings,
        credentials: SlackCredentials,
        *,
        store: SlackStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.assistant = assistant
        self.settings = settings.slack
        self.public_url = self.settings.public_url or settings.server.public_url
        store_path = self.settings.store_path or settings.data_dir / "slack.sqlite3"
        self.store = store or SlackStore(store_path, event_ttl_seconds=self.settings.event_ttl_hours * 3600)
        self.access = AccessPolicy(self.settings)
        self.limiter = RateLimiter(
            self.settings.rate_limit.questions, self.settings.rate_limit.window_seconds, clock=clock
        )
        self.client = WebClient(
            token=credentials.bot_token.get_secret_value(),
            base_url=self.settings.api_base_url,
            timeout=int(self.settings.api_timeout),
            logger=logging.getLogger("assistant.slack.web"),
        )
        self.poster = SlackPoster(self.client, self.settings.reaction)
        self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="slack-answer")
        self.app = App(
            name="policy-assistant",
            client=self.client,
            logger=logging.getLogger("assistant.slack.bolt"),
            # Signatures are checked at the HTTP edge before bolt sees the request (see http.py), with a
            # clock that tests control; Socket Mode needs none.
            request_verification_enabled=False,
            signing_secret="",
            # auth.test runs on the first event instead of at start-up, so the service starts without Slack.
            token_verification_enabled=False,
            process_before_response=False,
            listener_executor=self._executor,
        )
        self.app.middleware(self._drop_retries_and_foreign_teams)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.command(self.settings.command)(self._on_command)
        self.app.action(FEEDBACK_UP)(self._on_feedback)
        self.app.action(FEEDBACK_DOWN)(self._on_feedback)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)
        self.store.close()

    # --- middleware -------------------------------------------------------------------------------------

    def _drop_retries_and_foreign_teams(
        self, body: dict[str, Any], context: Any, request: Any, next: Callable[[], None]
    ) -> BoltResponse | None:
        """Acknowledge, without any work, a delivery seen before or a workspace that is not allowed."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not self.store.first_sighting(event_id):
            retry = request.headers.get("x-slack-retry-num", ["-"])[0]
            reason = request.headers.get("x-slack-retry-reason", ["-"])[0]
            log.info("dropped repeated delivery of event %s (retry %s, reason %s)", event_id, retry, reason)
            return BoltResponse(status=200, body="")
        team_ok = self.access.team_allowed(context.team_id) or (
            context.enterprise_id is not None and self.access.team_allowed(context.enterprise_id)
        )
        if not team_ok:
            log.info(
                "ignored a request from workspace %s, which is not in slack.allowed_teams", context.team_id
            )
            if body.get("command"):
                return BoltResponse(status=200, body=_ack_args(blocks.not_enabled_message("this workspace")))
            return BoltResponse(status=200, body="")
        return next()  # type: ignore[func-returns-value]

    # --- events -----------------------------------------------------------------------------------------

    def _on_mention(self, event: dict[str, Any], context: Any) -> None:
        if self._from_other_bot(event):
            return
        self._answer_message(
            event, context, origin="mention", thread_ts=event.get("thread_ts") or event["ts"]
        )

    def _on_message(self, event: dict[str, Any], context: Any) -> None:
        subtype = event.get("subtype")
        if subtype not in _ANSWERED_SUBTYPES and not (subtype == "bot_message" and self.settings.answer_bots):
            return  # edits, deletions, joins and other system messages
        if self._from_other_bot(event) or "channel" not in event or "ts" not in event:
            return
        text = event.get("text", "")
        thread_ts = event.get("thread_ts")
        if event.get("channel_type") == "im":
            self._answer_message(event, context, origin="direct", thread_ts=thread_ts)
            return
        if mentions(text, context.bot_user_id):
            return  # the app_mention event for the same message answers it
        if not thread_ts or thread_ts == event["ts"]:
            return  # channel chatter the bot was not asked about
        if not self.store.in_thread(event["channel"], thread_ts) or is_small_talk(plain_text(text)):
            return
        self._answer_message(event, context, origin="thread", thread_ts=thread_ts)

    def _from_other_bot(self, event: dict[str, Any]) -> bool:
        is_bot = bool(event.get("bot_id")) or event.get("subtype") == "bot_message"
        return is_bot and not self.settings.answer_bots

    def _answer_message(
        self, event: dict[str, Any], context: Any, *, origin: Origin, thread_ts: str | None
    ) -> None:
        target = Target(
            team_id=context.team_id,
            channel_id=event["channel"],
            user_id=event.get("user") or event.get("bot_id") or "unknown",
            origin=origin,
            message_ts=event["ts"],
            thread_ts=thread_ts,
            request_id=new_request_id(),
        )
        verdict = self.access.check(target.team_id, target.channel_id, direct=origin == "direct")
        if verdict != "ok":
            log.info(
                "%s: not answering in %s (%s not allowed)", target.request_id, target.channel_id, verdict
            )
            if origin == "mention":
                self.poster.tell(target, blocks.not_enabled_message("this channel"))
            return
        if origin == "mention":
            self.store.join_thread(target.channel_id, thread_ts or event["ts"])
        question = plain_text(event.get("text", ""), context.bot_user_id)
        if not question:
            self.poster.tell(target, blocks.help_message(self.settings.command))
            return
        if not self._within_rate_limit(target, lambda message: self.poster.tell(target, message)):
            return
        log.info(
            "%s: %s question from %s in %s (thread %s)",
            target.request_id,
            origin,
            target.user_id,
            target.channel_id,
            thread_ts,
        )
        self._answer_in_conversation(target, question, context)

    def _within_rate_limit(self, target: Target, reply: Callable[[SlackMessage], Any]) -> bool:
        retry_after = self.limiter.acquire(f"{target.team_id}:{target.user_id}")
        if retry_after is None:
            return True
        log.info("%s: rate limit reached for %s", target.request_id, target.user_id)
        limit = self.settings.rate_limit
        reply(blocks.rate_limited_message(limit.questions, limit.window_seconds, retry_after))
        return False

    def _answer_in_conversation(self, target: Target, question: str, context: Any) -> None:
        """React, post "looking…", answer, then replace "looking…" with the answer (or an apology)."""
        reacted = self.poster.react(target, "add")
        placeholder = self.poster.post(target, blocks.thinking_message())
        record: AnswerRecord | None = None
        try:
            history = self._history(target, context)
            answer = self.assistant.ask(question, history=history)
            record = self._remember(target, question, history, answer)
            messages = self._render(record)
        except InvalidInputError as exc:
            messages = [blocks.invalid_question_message(str(exc))]
        except Exception:
            log.exception("%s: answering failed", target.request_id)
            messages = [blocks.apology_message(target.request_id)]
        try:
            shown = self.poster.deliver(target, placeholder, messages)
            if record is not None:
                self.store.link_messages(record.id, target.channel_id, shown)
        except Exception:
            log.exception("%s: delivering the answer failed", target.request_id)
            self.poster.deliver(target, placeholder, [blocks.apology_message(target.request_id)], quiet=True)
        if reacted:
            self.poster.react(target, "remove")

    # --- slash command ----------------------------------------------------------------------------------

    def _on_command(self, ack: Any, command: dict[str, Any], respond: Any, context: Any) -> None:
        visibility, question = parse_command(command.get("text", ""), self.settings.command_visibility)
        channel_id = command.get("channel_id", "")
        target = Target(
            team_id=context.team_id,
            channel_id=channel_id,
            user_id=command.get("user_id", "unknown"),
            origin="command",
            message_ts=None,
            thread_ts=None,
            request_id=new_request_id(),
        )
        direct = channel_id.startswith("D") or command.get("channel_name") == "directmessage"
        verdict = self.access.check(target.team_id, channel_id, direct=direct)
        if verdict != "ok":
            where = {"team": "this workspace", "channel": "this channel", "direct": "direct messages"}[
                verdict
            ]
            ack(**_ack_args(blocks.not_enabled_message(where)))
            return
        if not question or question.lower() in ("help", "?"):
            ack(**_ack_args(blocks.help_message(self.settings.command)))
            return
        if not self._within_rate_limit(target, lambda message: ack(**_ack_args(message))):
            return
        ack(**_ack_args(blocks.short(f":hourglass_flowing_sand: Looking up “{blocks.escape(question)}”…")))
        log.info("%s: command question from %s in %s", target.request_id, target.user_id, channel_id)
        try:
            answer = self.assistant.ask(question)
            record = self._remember(target, question, [], answer)
            messages = self._render(record, asked_by=target.user_id)
        except InvalidInputError as exc:
            visibility, messages = "ephemeral", [blocks.invalid_question_message(str(exc))]
        except Exception:
            log.exception("%s: answering failed", target.request_id)
            visibility, messages = "ephemeral", [blocks.apology_message(target.request_id)]
        for message in messages:
            try:
                respond(
                    text=message.text,
                    blocks=message.blocks,
                    response_type=visibility,
                    replace_original=False,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except Exception:
                log.exception("%s: sending the answer to response_url failed", target.request_id)
                return

    # --- feedback ---------------------------------------------------------------------------------------

    def _on_feedback(self, ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        ack()
        rating = "up" if action.get("action_id") == FEEDBACK_UP else "down"
        user_id = (body.get("user") or {}).get("id", "unknown")
        answer_id = str(action.get("value", ""))
        try:
            self.store.record_feedback(answer_id, user_id, rating)
        except NotFoundError:
            log.warning("feedback from %s on unknown answer %r", user_id, answer_id)
            reply = blocks.short("I no longer have that answer on record, so I couldn't save your feedback.")
        except Exception:
            request_id = new_request_id()
            log.exception("%s: saving feedback failed", request_id)
            reply = blocks.apology_message(request_id)
        else:
            log.info("feedback %s on answer %s from %s", rating, answer_id, user_id)
            reply = blocks.feedback_thanks_message(rating)
        self._thank(body, user_id, reply, respond)

    def _thank(self, body: dict[str, Any], user_id: str, message: SlackMessage, respond: Any) -> None:
        container = body.get("container") or {}
        channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id")
        try:
            if channel_id and not container.get("is_ephemeral"):
                self.client.chat_postEphemeral(
                    channel=channel_id,
                    user=user_id,
                    text=message.text,
                    blocks=message.blocks,
                    thread_ts=container.get("thread_ts"),
                )
            else:
                respond(
                    text=message.text,
                    blocks=message.blocks,
                    response_type="ephemeral",
                    replace_original=False,
                )
        except Exception:
            log.warning("could not thank %s for feedback", user_id, exc_info=True)

    # --- helpers ----------------------------------------------------------------------------------------

    def _history(self, target: Target, context: Any) -> list[ChatMessage]:
        """Earlier turns: the thread's messages, or recent questions of a direct-message conversation."""
        limit = self.settings.history_messages
        if limit == 0:
            return []
        if target.thread_ts and target.thread_ts != target.message_ts:
            return thread_history(
                self.poster.thread_messages(target),
                before_ts=target.message_ts or target.thread_ts,
                bot_user_id=context.bot_user_id,
                bot_id=context.bot_id,
                answer_text=lambda ts: self._answer_text(target.channel_id, ts),
                limit=limit,
            )
        if target.origin == "direct" and self.settings.dm_history_minutes > 0:
            since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=self.settings.dm_history_minutes)
            turns: list[ChatMessage] = []
            recent = self.store.recent_answers(
                target.channel_id, target.user_id, since.isoformat(timespec="seconds"), max(1, limit // 2)
            )
            for record in recent:
                if record.thread_ts is None:  # top-level exchanges only, not other threads
                    turns += [
                        ChatMessage(role="user", content=record.question),
                        ChatMessage(role="assistant", content=record.answer.text),
                    ]
            return turns[-limit:]
        return []

    def _answer_text(self, channel_id: str, ts: str) -> tuple[str, int] | None:
        """The full answer a bot message in this channel shows, and which part of it the message is."""
        found = self.store.message_answer(channel_id, ts)
        return (found[0].answer.text, found[1]) if found else None

    def _remember(
        self, target: Target, question: str, history: list[ChatMessage], answer: Answer
    ) -> AnswerRecord:
        record = AnswerRecord(
            id=uuid.uuid4().hex,
            created_at=utc_now(),
            team_id=target.team_id,
            channel_id=target.channel_id,
            thread_ts=target.thread_ts,
            user_id=target.user_id,
            origin=target.origin,
            question=question,
            history=history,
            answer=answer,
        )
        self.store.save_answer(record)
        return record

    def _render(self, record: AnswerRecord, asked_by: str | None = None) -> list[SlackMessage]:
        return blocks.render_answer(
            record.answer,
            answer_id=record.id,
            public_url=self.public_url,
            fallback_backend=FALLBACK_BACKEND,
            asked_by=asked_by,
        )


def _ack_args(message: SlackMessage) -> dict[str, Any]:
    return {"text": message.text, "blocks": message.blocks, "response_type": "ephemeral"}
