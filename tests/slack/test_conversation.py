"""Reading Slack messages: question text, thread history, slash-command options, allow-lists, rate limits
and the bot's own store."""

from __future__ import annotations

import pytest

from assistant.config import SlackSettings
from assistant.models import Answer
from assistant.slack.conversation import is_small_talk, mentions, parse_command, plain_text, thread_history
from assistant.slack.guards import AccessPolicy, RateLimiter
from assistant.slack.store import AnswerRecord, SlackStore


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@U0BOT> What is the 2027 target?", "What is the 2027 target?"),
        ("<@U0BOT|policybot>   what   about\n2030?", "what about 2030?"),
        ("Does <@U0ALICE> know? cc <#C0POLICY|policy>", "Does @U0ALICE know? cc #policy"),
        (
            "See <https://example.org/a?b=1&amp;c=2|the text> and <https://x.org>",
            "See the text and https://x.org",
        ),
        ("<!here> is R&amp;D &lt;covered&gt;?", "is R&D <covered>?"),
        ("<@U0BOT>", ""),
    ],
)
def test_plain_text_reads_slack_markup_as_a_person_would(raw, expected):
    assert plain_text(raw, "U0BOT") == expected


def test_mentions_only_counts_real_mentions_of_that_user():
    assert mentions("hey <@U0BOT> there", "U0BOT")
    assert not mentions("hey <@U0BOTX> there", "U0BOT") and not mentions("hey @U0BOT", "U0BOT")
    assert not mentions("hey <@U0BOT>", None)


@pytest.mark.parametrize("text", ["thanks!", "Thank you so much", "ok", ":+1:", "👍", "got it.", "  "])
def test_small_talk_in_a_thread_is_not_a_question(text):
    assert is_small_talk(text)


@pytest.mark.parametrize(
    "text", ["thanks, and what about 2030?", "ok so when does it apply?", "And by 2030?"]
)
def test_questions_are_not_small_talk(text):
    assert not is_small_talk(text)


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("What is X?", "ephemeral", ("ephemeral", "What is X?")),
        ("--public What is X?", "ephemeral", ("in_channel", "What is X?")),
        ("--PRIVATE   What is X?", "in_channel", ("ephemeral", "What is X?")),
        ("--share", "ephemeral", ("in_channel", "")),
        ("what is --public?", "ephemeral", ("ephemeral", "what is --public?")),
        ("", "in_channel", ("in_channel", "")),
    ],
)
def test_parse_command(text, default, expected):
    assert parse_command(text, default) == expected


def test_thread_history_turns_people_and_the_bots_answers_into_turns():
    answers = {"1.5": ("Above 70%. [1]", 1), "1.6": ("continued", 2)}
    messages = [
        {"ts": "1.8", "user": "U0BOB", "text": "And by 2030?"},  # the current message
        {"ts": "1.1", "user": "U0ALICE", "text": "<@U0BOT> What is the 2027 target?", "thread_ts": "1.1"},
        {"ts": "1.2", "bot_id": "B0BOT", "user": "U0BOT", "text": "Looking…"},  # not on record: skipped
        {"ts": "1.5", "bot_id": "B0BOT", "user": "U0BOT", "text": "Above 70%…"},
        {"ts": "1.6", "bot_id": "B0BOT", "text": "(answer continued)"},
        {"ts": "1.3", "bot_id": "B0OTHER", "text": "I am another bot"},
        {"ts": "1.4", "subtype": "channel_join", "user": "U0CAROL", "text": "<@U0CAROL> has joined"},
        {"ts": "1.7", "user": "U0BOB", "text": "and the <https://x.org|source>?"},
        {"ts": "1.9", "user": "U0BOB", "text": "later message"},
    ]
    turns = thread_history(
        messages, before_ts="1.8", bot_user_id="U0BOT", bot_id="B0BOT", answer_text=answers.get, limit=20
    )
    assert [(t.role, t.content) for t in turns] == [
        ("user", "What is the 2027 target?"),
        ("assistant", "Above 70%. [1]"),
        ("user", "and the source?"),
    ]
    limited = thread_history(
        messages, before_ts="1.8", bot_user_id="U0BOT", bot_id="B0BOT", answer_text=answers.get, limit=2
    )
    assert [t.role for t in limited] == ["assistant", "user"]
    assert (
        thread_history(
            messages, before_ts="1.8", bot_user_id="U0BOT", bot_id="B0BOT", answer_text=answers.get, limit=0
        )
        == []
    )


def test_access_policy_allow_lists():
    open_policy = AccessPolicy(SlackSettings())
    assert (
        open_policy.check("T1", "C1", direct=False) == "ok"
        and open_policy.check(None, "D1", direct=True) == "ok"
    )
    policy = AccessPolicy(SlackSettings(allowed_teams=["T1"], allowed_channels=["C1"], direct_messages=False))
    assert policy.check("T1", "C1", direct=False) == "ok"
    assert policy.check("T1", "C2", direct=False) == "channel"
    assert policy.check("T2", "C1", direct=False) == "team"
    assert policy.check("T1", "D1", direct=True) == "direct"


def test_rate_limiter_is_a_sliding_window_per_key():
    now = [1000.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])
    assert limiter.acquire("alice") is None and limiter.acquire("alice") is None
    assert limiter.acquire("alice") == pytest.approx(60)
    assert limiter.acquire("bob") is None
    now[0] += 30
    assert limiter.acquire("alice") == pytest.approx(30)  # refused questions do not count
    now[0] += 30.001
    assert limiter.acquire("alice") is None
    assert RateLimiter(0, 60).acquire("anyone") is None  # 0 turns the limit off


def test_store_remembers_events_for_their_ttl_and_survives_reopening(tmp_path):
    now = [0.0]
    store = SlackStore(tmp_path / "s.sqlite3", event_ttl_seconds=100, clock=lambda: now[0])
    assert store.first_sighting("Ev1") is True and store.first_sighting("Ev1") is False
    store.close()
    reopened = SlackStore(tmp_path / "s.sqlite3", event_ttl_seconds=100, clock=lambda: now[0])
    assert reopened.first_sighting("Ev1") is False  # another worker or a restart still knows it
    now[0] = 1000.0
    for i in range(199):  # the 200th insert prunes expired ids
        reopened.first_sighting(f"Other{i}")
    assert reopened.first_sighting("Ev1") is True


def test_store_answers_threads_and_recent_direct_messages(tmp_path):
    store = SlackStore(tmp_path / "s.sqlite3")
    assert not store.in_thread("C1", "1.1")
    store.join_thread("C1", "1.1")
    store.join_thread("C1", "1.1")
    assert store.in_thread("C1", "1.1") and not store.in_thread("C2", "1.1")

    def record(i: int, created: str) -> AnswerRecord:
        a = Answer(question=f"q{i}", standalone_question=f"q{i}", text=f"a{i}", backend="extractive")
        return AnswerRecord(
            id=f"id{i}",
            created_at=created,
            channel_id="D1",
            user_id="U1",
            origin="direct",
            question=f"q{i}",
            answer=a,
        )

    store.save_answer(record(1, "2026-01-01T10:00:00+00:00"))
    store.save_answer(record(2, "2026-01-01T11:00:00+00:00"))
    store.save_answer(record(3, "2026-01-01T12:00:00+00:00"))
    recent = store.recent_answers("D1", "U1", "2026-01-01T10:30:00+00:00", limit=5)
    assert [r.id for r in recent] == ["id2", "id3"]
    assert [r.id for r in store.recent_answers("D1", "U1", "2026-01-01T00:00:00+00:00", limit=2)] == [
        "id2",
        "id3",
    ]
    store.link_messages("id3", "D1", ["5.1", "5.2"])
    assert store.message_answer("D1", "5.2")[1] == 2 and store.message_answer("D1", "5.1")[0].id == "id3"
    assert store.message_answer("D1", "9.9") is None
