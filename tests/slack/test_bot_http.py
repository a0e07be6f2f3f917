"""The bot end to end over HTTP: signed events into the FastAPI route, the real Assistant over corpus/,
and a fake Slack Web API on loopback that records what the bot does."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from assistant.slack.blocks import BLOCKS_PER_MESSAGE, SECTION_TEXT_LIMIT
from tests.slack.fake_slack import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    Call,
    FakeSlack,
    mention,
    message_event,
)
from tests.support import free_port

CHANNEL = "C0GENERAL"
Q2027 = "What penetration rate for intelligent terminals and agents does the AI+ plan target for 2027?"
OFF_CORPUS = "What is the capital of Peru?"


def ask_by_mention(
    stack: Any, text: str, *, channel: str = CHANNEL, user: str = "U0ALICE", **extra: Any
) -> dict:
    message = stack.fake.add_message(channel, f"<@{BOT_USER}> {text}", user=user, **extra)
    response = stack.sender.event(mention(channel, message))
    assert response.status_code == 200
    return message


def answered(fake: FakeSlack, message: dict[str, Any]) -> Call:
    """Wait until the bot finished with a question (its reaction is taken off); the final chat.update."""
    fake.wait_for("reactions.remove", where=lambda c: c.args["timestamp"] == message["ts"])
    placeholder = placeholder_for(fake, message)
    return fake.wait_for("chat.update", where=lambda c: c.args["ts"] == placeholder)[-1]


def placeholder_for(fake: FakeSlack, message: dict[str, Any]) -> str:
    """The ts of the "looking…" message the bot posted for a question (right after its reaction)."""
    calls = list(fake.calls)
    index = next(
        i for i, c in enumerate(calls) if c.method == "reactions.add" and c.args["timestamp"] == message["ts"]
    )
    post = next(c for c in calls[index:] if c.method == "chat.postMessage")
    return str(post.response["ts"])


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for block in blocks:
        if block["type"] == "section":
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out.extend(e["text"] for e in block["elements"])
    return out


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def within_slack_limits(blocks: list[dict[str, Any]]) -> bool:
    return len(blocks) <= BLOCKS_PER_MESSAGE and all(
        len(b["text"]["text"]) <= SECTION_TEXT_LIMIT for b in blocks if b["type"] == "section"
    )


# --- answering ------------------------------------------------------------------------------------------


def test_a_mention_is_acknowledged_first_then_answered_in_its_thread(slack_stack):
    stack = slack_stack(public_url="https://policy.example.org/")
    fake = stack.fake
    message = fake.add_message(CHANNEL, f"<@{BOT_USER}> {Q2027}")
    response = stack.sender.event(mention(CHANNEL, message))
    acknowledged = time.monotonic()
    assert response.status_code == 200

    update = answered(fake, message)
    reaction = fake.calls_to("reactions.add")[0]
    looking = fake.calls_to("chat.postMessage")[0]
    assert reaction.args == {"channel": CHANNEL, "timestamp": message["ts"], "name": "eyes"}
    assert looking.args["thread_ts"] == message["ts"] and "Looking" in looking.args["text"]
    # Slack got its 200 before the answer existed; the "looking…" message was then replaced in place.
    assert acknowledged < update.at
    assert reaction.at <= looking.at < update.at
    assert update.args["channel"] == CHANNEL
    assert len(fake.calls_to("chat.postMessage")) == 1  # the answer replaced "looking…", no second message
    removed = fake.calls_to("reactions.remove")[0]
    assert removed.args == reaction.args and removed.at > update.at

    blocks = update.args["blocks"]
    shown = texts(blocks)
    assert within_slack_limits(blocks)
    assert "70%" in shown[0] and "[1]" in shown[0]
    assert "*Sources*" in shown
    sources = [t for t in shown if t.startswith("*[")]
    assert sources and sources[0].startswith("*[1]* <https://policy.example.org/?passage=")
    assert "&start=" in sources[0] and "&end=" in sources[0]
    assert "\n>" in sources[0]  # the quoted sentence
    assert any(t.startswith("Answered by *extractive*") for t in shown)
    assert update.args["text"].startswith(shown[0][:40].split("[")[0].strip()[:20])  # notification fallback

    votes = buttons(blocks)
    assert [b["action_id"] for b in votes] == ["feedback_up", "feedback_down"]
    record = stack.bot.store.answer(votes[0]["value"])
    assert votes[1]["value"] == record.id
    assert record.question == Q2027 and record.origin == "mention" and record.thread_ts == message["ts"]
    assert record.answer.citations and not record.answer.abstained
    # every Web API call carried the bot token
    assert {c.headers["authorization"] for c in fake.calls} == {f"Bearer {BOT_TOKEN}"}


def test_slacks_retries_of_an_event_never_produce_a_second_answer(slack_stack, caplog):
    caplog.set_level(logging.INFO, logger="assistant.slack")
    stack = slack_stack()
    fake, sender = stack.fake, stack.sender
    message = fake.add_message(CHANNEL, f"<@{BOT_USER}> {Q2027}")
    event = mention(CHANNEL, message)
    first = sender.event(event, event_id="EvRETRIED01")
    retry_while_busy = sender.event(event, event_id="EvRETRIED01", retry=1)
    answered(fake, message)
    retry_after = sender.event(event, event_id="EvRETRIED01", retry=2)
    assert [r.status_code for r in (first, retry_while_busy, retry_after)] == [200, 200, 200]

    # A later, different question is answered, so a retry that slipped through would have shown by now.
    sentinel = ask_by_mention(stack, "Which body coordinates the rollout of the AI+ opinions?")
    answered(fake, sentinel)
    assert len(fake.calls_to("reactions.add", lambda c: c.args["timestamp"] == message["ts"])) == 1
    assert len(fake.calls_to("chat.postMessage", lambda c: c.args.get("thread_ts") == message["ts"])) == 1
    assert len(fake.calls_to("chat.update")) == 2
    dropped = [r.getMessage() for r in caplog.records if "dropped repeated delivery" in r.getMessage()]
    assert len(dropped) == 2 and "retry 1, reason http_timeout" in dropped[0]


def test_a_follow_up_in_the_thread_is_answered_with_the_thread_as_history(slack_stack):
    stack = slack_stack()
    fake, sender = stack.fake, stack.sender
    question = ask_by_mention(stack, Q2027)
    first = answered(fake, question)
    first_id = buttons(first.args["blocks"])[0]["value"]

    follow_up = fake.add_message(CHANNEL, "And by 2030?", thread_ts=question["ts"])
    assert sender.event(message_event(CHANNEL, follow_up)).status_code == 200
    update = answered(fake, follow_up)

    replies = fake.calls_to("conversations.replies")
    assert replies and replies[-1].args["ts"] == question["ts"] and replies[-1].args["channel"] == CHANNEL
    shown = texts(update.args["blocks"])
    assert "90%" in shown[0]
    assert any(t.startswith("Understood as:") and "2030" in t for t in shown)
    record = stack.bot.store.answer(buttons(update.args["blocks"])[0]["value"])
    assert record.origin == "thread" and record.thread_ts == question["ts"]
    assert [m.role for m in record.history] == ["user", "assistant"]
    assert record.history[0].content == Q2027  # the mention is gone from the history
    assert record.history[1].content == stack.bot.store.answer(first_id).answer.text
    # the follow-up's "looking…" went into the same thread
    assert fake.calls_to("chat.postMessage")[-1].args["thread_ts"] == question["ts"]


def test_direct_messages_are_answered_and_recent_questions_are_history(slack_stack):
    stack = slack_stack()
    fake, sender = stack.fake, stack.sender
    question = fake.add_message("D0ALICE", Q2027)
    sender.event(message_event("D0ALICE", question, channel_type="im"))
    first = answered(fake, question)
    assert fake.calls_to("chat.postMessage")[0].args.get("thread_ts") is None  # top level of the DM
    assert "70%" in texts(first.args["blocks"])[0]

    follow_up = fake.add_message("D0ALICE", "And by 2030?")
    sender.event(message_event("D0ALICE", follow_up, channel_type="im"))
    second = answered(fake, follow_up)
    assert "90%" in texts(second.args["blocks"])[0]
    record = stack.bot.store.answer(buttons(second.args["blocks"])[0]["value"])
    assert record.origin == "direct" and record.history[0].content == Q2027
    assert fake.calls_to("conversations.replies") == []  # top-level DMs need no thread reads


def test_an_unanswerable_question_gets_a_friendly_abstention_with_feedback_buttons(slack_stack):
    stack = slack_stack()
    question = ask_by_mention(stack, OFF_CORPUS)
    update = answered(stack.fake, question)
    shown = texts(update.args["blocks"])
    assert "do not answer this question" in shown[0] and "Try rephrasing" in shown[0]
    assert "*Sources*" not in shown
    assert len(buttons(update.args["blocks"])) == 2
    record = stack.bot.store.answer(buttons(update.args["blocks"])[0]["value"])
    assert record.answer.abstained


def test_an_empty_mention_gets_help_privately(slack_stack):
    stack = slack_stack()
    message = stack.fake.add_message(CHANNEL, f"<@{BOT_USER}>   ")
    stack.sender.event(mention(CHANNEL, message))
    note = stack.fake.wait_for("chat.postEphemeral")[0]
    assert note.args["user"] == "U0ALICE" and note.args["thread_ts"] == message["ts"]
    assert "/policy" in note.args["text"]
    assert stack.fake.calls_to("chat.postMessage") == []


# --- what it ignores ------------------------------------------------------------------------------------


def test_it_ignores_itself_other_bots_chatter_edits_and_threads_it_is_not_in(slack_stack):
    stack = slack_stack()
    fake, sender = stack.fake, stack.sender
    question = ask_by_mention(stack, Q2027)
    answered(fake, question)
    thread = question["ts"]
    ignored = [
        # the message event twin of the mention that was just answered
        message_event(CHANNEL, question),
        # its own message in the thread (bolt drops these), and another bot's
        message_event(
            CHANNEL, fake.add_message(CHANNEL, "Answer", user=BOT_USER, bot_id=BOT_ID, thread_ts=thread)
        ),
        message_event(
            CHANNEL,
            fake.add_message(CHANNEL, "beep", user="U0OTHERBOT", bot_id="B0OTHER", thread_ts=thread),
        ),
        message_event(
            CHANNEL,
            fake.add_message(
                CHANNEL, "And by 2030?", subtype="bot_message", bot_id="B0OTHER", thread_ts=thread
            ),
        ),
        mention(
            CHANNEL, fake.add_message(CHANNEL, f"<@{BOT_USER}> {Q2027}", user="U0OTHERBOT", bot_id="B0OTHER")
        ),
        # people talking at the top level, in a thread the bot is not part of, and thanking it
        message_event(CHANNEL, fake.add_message(CHANNEL, "What does the AI+ plan target for 2030?")),
        message_event(
            CHANNEL,
            fake.add_message(CHANNEL, "And by 2030?", thread_ts=fake.add_message(CHANNEL, "lunch?")["ts"]),
        ),
        message_event(CHANNEL, fake.add_message(CHANNEL, "thanks! :tada:", thread_ts=thread)),
        # an edit
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": CHANNEL,
            "channel_type": "channel",
            "ts": fake.next_ts(),
            "message": {"type": "message", "user": "U0ALICE", "text": "And by 2030?", "ts": thread},
        },
    ]
    for event in ignored:
        event.setdefault("type", "message")
        assert sender.event(event).status_code == 200
    sentinel = fake.add_message(CHANNEL, "And by 2030?", thread_ts=thread)
    sender.event(message_event(CHANNEL, sentinel))
    answered(fake, sentinel)
    assert len(fake.calls_to("reactions.add")) == 2  # the question and the sentinel, nothing else
    assert len(fake.calls_to("chat.postMessage")) == 2


def test_other_bots_are_answered_when_configured(slack_stack):
    stack = slack_stack(answer_bots=True)
    message = ask_by_mention(stack, Q2027, user="U0OTHERBOT", bot_id="B0OTHER")
    update = answered(stack.fake, message)
    assert "70%" in texts(update.args["blocks"])[0]


# --- allow-lists and the rate limit ---------------------------------------------------------------------


def test_workspace_and_channel_allow_lists(slack_stack):
    stack = slack_stack(allowed_teams=["T0TEAM"], allowed_channels=[CHANNEL])
    fake, sender = stack.fake, stack.sender

    elsewhere = fake.add_message("C0RANDOM", f"<@{BOT_USER}> {Q2027}")
    sender.event(mention("C0RANDOM", elsewhere))
    note = fake.wait_for("chat.postEphemeral")[0]
    assert note.args["channel"] == "C0RANDOM" and "not enabled in this channel" in note.args["text"]

    foreign = fake.add_message(CHANNEL, f"<@{BOT_USER}> {Q2027}")
    assert sender.event(mention(CHANNEL, foreign), team="T0FOREIGN").status_code == 200
    command = sender.command(Q2027, response_url=fake.response_url("foreign"), team_id="T0FOREIGN")
    assert command.status_code == 200 and "not enabled in this workspace" in command.json()["text"]
    command = sender.command(Q2027, response_url=fake.response_url("random"), channel="C0RANDOM")
    assert "not enabled in this channel" in command.json()["text"]

    allowed = ask_by_mention(stack, Q2027)
    answered(fake, allowed)
    assert [c.args["timestamp"] for c in fake.calls_to("reactions.add")] == [allowed["ts"]]
    assert len(fake.calls_to("chat.postEphemeral")) == 1
    assert fake.calls_to("response_url") == []


def test_direct_messages_can_be_turned_off(slack_stack):
    stack = slack_stack(direct_messages=False)
    fake, sender = stack.fake, stack.sender
    command = sender.command(
        Q2027, response_url=fake.response_url("dm"), channel="D0ALICE", channel_name="directmessage"
    )
    assert "not enabled in direct messages" in command.json()["text"]
    message = fake.add_message("D0ALICE", Q2027)
    sender.event(message_event("D0ALICE", message, channel_type="im"))
    sentinel = ask_by_mention(stack, Q2027)
    answered(fake, sentinel)
    assert [c.args["timestamp"] for c in fake.calls_to("reactions.add")] == [sentinel["ts"]]


def test_the_per_user_rate_limit_replies_politely(slack_stack):
    stack = slack_stack(rate_limit={"questions": 2, "window_seconds": 3600})
    fake, sender = stack.fake, stack.sender
    for _ in range(2):
        answered(fake, ask_by_mention(stack, Q2027))
    third = ask_by_mention(stack, Q2027)
    note = fake.wait_for("chat.postEphemeral")[0]
    assert note.args["user"] == "U0ALICE" and note.args["thread_ts"] == third["ts"]
    assert "You've asked 2 questions in the last 60 minutes" in note.args["text"]
    assert "try again in about" in note.args["text"]
    command = sender.command(Q2027, response_url=fake.response_url("limited"))
    assert "You've asked 2 questions" in command.json()["text"]

    other_user = ask_by_mention(stack, Q2027, user="U0BOB")
    answered(fake, other_user)
    assert len(fake.calls_to("reactions.add")) == 3  # Alice twice, Bob once: the third question did no work


# --- slash command --------------------------------------------------------------------------------------


def test_the_slash_command_answers_privately_by_default_and_publicly_on_request(slack_stack):
    stack = slack_stack()
    fake, sender = stack.fake, stack.sender
    response = sender.command(Q2027, response_url=fake.response_url("private"))
    assert response.status_code == 200
    ack = response.json()
    assert ack["response_type"] == "ephemeral" and ack["text"].startswith(
        ":hourglass_flowing_sand: Looking up"
    )

    private = fake.wait_for("response_url", where=lambda c: c.args["hook"] == "private")[0]
    assert private.args["response_type"] == "ephemeral"
    shown = texts(private.args["blocks"])
    assert shown[0].startswith("<@U0ALICE> asked:") and Q2027 in shown[0]
    assert "70%" in shown[1] and "*Sources*" in shown
    assert within_slack_limits(private.args["blocks"])
    record = stack.bot.store.answer(buttons(private.args["blocks"])[0]["value"])
    assert record.origin == "command" and record.question == Q2027

    sender.command(f"--public {Q2027}", response_url=fake.response_url("public"))
    public = fake.wait_for("response_url", where=lambda c: c.args["hook"] == "public")[0]
    assert public.args["response_type"] == "in_channel"

    help_reply = sender.command("help", response_url=fake.response_url("help")).json()
    assert "--public" in help_reply["text"] and help_reply["response_type"] == "ephemeral"


def test_public_is_the_default_when_configured(slack_stack):
    stack = slack_stack(command_visibility="in_channel")
    stack.sender.command(Q2027, response_url=stack.fake.response_url("default"))
    stack.sender.command(f"--private {Q2027}", response_url=stack.fake.response_url("private"))
    calls = stack.fake.wait_for("response_url", 2)
    kinds = {c.args["hook"]: c.args["response_type"] for c in calls}
    assert kinds == {"default": "in_channel", "private": "ephemeral"}


def test_a_too_long_question_is_explained_not_apologised_for(slack_stack):
    stack = slack_stack()
    stack.sender.command("why " * 600, response_url=stack.fake.response_url("long"))
    reply = stack.fake.wait_for("response_url")[0]
    assert reply.args["response_type"] == "ephemeral"
    assert "I can't answer that as asked" in reply.args["text"] and "limit is 2000" in reply.args["text"]


# --- failures -------------------------------------------------------------------------------------------


def test_when_answering_fails_the_thread_gets_an_apology_and_the_log_the_request_id(
    slack_stack, make_assistant, caplog
):
    caplog.set_level(logging.INFO, logger="assistant.slack")
    broken = make_assistant(
        store={"mode": "http", "port": free_port(), "timeout": 2}
    )  # nothing listens there
    stack = slack_stack(assistant=broken)
    question = ask_by_mention(stack, Q2027)
    update = answered(stack.fake, question)
    text = update.args["text"]
    assert text.startswith(":warning: Sorry, something went wrong")
    request_id = text.split("`")[1]
    assert request_id.startswith("slk-")
    failures = [r for r in caplog.records if r.levelno == logging.ERROR and request_id in r.getMessage()]
    assert failures and failures[0].exc_info is not None
    assert "StoreUnavailableError" in caplog.text

    stack.sender.command(Q2027, response_url=stack.fake.response_url("broken"))
    reply = stack.fake.wait_for("response_url")[0]
    assert reply.args["text"].startswith(":warning: Sorry") and reply.args["response_type"] == "ephemeral"


def test_when_slack_refuses_the_update_the_answer_is_posted_instead(slack_stack):
    stack = slack_stack()
    stack.fake.fail("chat.update", "message_not_found")  # e.g. someone deleted "looking…"
    question = ask_by_mention(stack, Q2027)
    stack.fake.wait_for("reactions.remove", where=lambda c: c.args["timestamp"] == question["ts"])
    posts = stack.fake.calls_to("chat.postMessage")
    assert len(posts) == 2 and "70%" in texts(posts[1].args["blocks"])[0]
    assert posts[1].args["thread_ts"] == question["ts"]


def test_secrets_never_reach_the_logs(slack_stack, caplog):
    caplog.set_level(logging.DEBUG)
    stack = slack_stack()
    answered(stack.fake, ask_by_mention(stack, Q2027))
    stack.sender.post("{}", "application/json", timestamp=1)  # a rejected request is logged too
    assert caplog.records
    assert BOT_TOKEN not in caplog.text and SIGNING_SECRET not in caplog.text


@pytest.mark.parametrize("reaction", [""])
def test_the_reaction_can_be_turned_off(slack_stack, reaction):
    stack = slack_stack(reaction=reaction)
    question = ask_by_mention(stack, Q2027)
    stack.fake.wait_for("chat.update")
    assert stack.fake.calls_to("reactions.add") == [] and question["ts"]
