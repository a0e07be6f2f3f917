"""The feedback store in SQLite: answers given, 👍/👎 (and comments) on them, seen event ids and joined threads.

One file shared by the front ends that collect feedback: the Slack bot (which also keeps its seen event ids and
joined threads here) and the web page. `assistant slack export-feedback` turns the ratings into candidate
evaluation cases (see `export.py`).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ..config import Settings
from ..errors import NotFoundError
from ..index.catalog import add_missing_column
from ..models import Answer, ChatMessage

Rating = Literal["up", "down"]
# Where an answer was given: the Slack bot's four ways of being asked, or the web page.
Origin = Literal["mention", "thread", "direct", "command", "web"]
SLACK_ORIGINS: frozenset[str] = frozenset({"mention", "thread", "direct", "command"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    team_id TEXT,
    channel_id TEXT,
    thread_ts TEXT,
    user_id TEXT,
    origin TEXT NOT NULL,
    question TEXT NOT NULL,
    history TEXT NOT NULL,
    answer TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_channel ON answers (channel_id, user_id, created_at);
CREATE TABLE IF NOT EXISTS answer_messages (
    channel_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    answer_id TEXT NOT NULL REFERENCES answers (id),
    part INTEGER NOT NULL,
    PRIMARY KEY (channel_id, ts)
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT NOT NULL REFERENCES answers (id),
    user_id TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
CREATE TABLE IF NOT EXISTS seen_events (
    event_id TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS threads (
    channel_id TEXT NOT NULL,
    thread_ts TEXT NOT NULL,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (channel_id, thread_ts)
);
"""

_PRUNE_EVERY = 200  # seen-event inserts between two prunes of expired ids


class AnswerRecord(BaseModel):
    """One answer given: where (Slack channel and thread, or the web page), to whom, for which question and
    conversation."""

    id: str
    created_at: str
    team_id: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    user_id: str | None = None
    origin: Origin
    question: str
    history: list[ChatMessage] = Field(default_factory=list)
    answer: Answer


class FeedbackRecord(BaseModel):
    """A user's 👍 or 👎 on an answer (a later click by the same user replaces the earlier one), with the
    comment they gave, if any."""

    answer: AnswerRecord
    user_id: str
    rating: Rating
    comment: str | None = None
    created_at: str
    updated_at: str


def feedback_store_path(settings: Settings) -> Path:
    """The one store file of every front end: `slack.store_path` (default `<data_dir>/slack.sqlite3`)."""
    return settings.slack.store_path or settings.data_dir / "slack.sqlite3"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class FeedbackStore:
    """SQLite store shared by every front end, transport and worker process (WAL mode, short transactions)."""

    def __init__(
        self, path: Path, *, event_ttl_seconds: float = 86_400, clock: Callable[[], float] = time.time
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._ttl = event_ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._inserts = 0
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            add_missing_column(self._db, "feedback", "comment", "TEXT")  # a store from before comments

    # --- retries ----------------------------------------------------------------------------------------

    def first_sighting(self, event_id: str) -> bool:
        """Remember an event id; False when it was seen before (a retry or a duplicate delivery)."""
        now = self._clock()
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO seen_events (event_id, seen_at) VALUES (?, ?)", (event_id, now)
            )
            self._inserts += 1
            if self._inserts % _PRUNE_EVERY == 0:
                self._db.execute("DELETE FROM seen_events WHERE seen_at < ?", (now - self._ttl,))
            return cursor.rowcount == 1

    # --- threads ----------------------------------------------------------------------------------------

    def join_thread(self, channel_id: str, thread_ts: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO threads (channel_id, thread_ts, joined_at) VALUES (?, ?, ?)",
                (channel_id, thread_ts, utc_now()),
            )

    def in_thread(self, channel_id: str, thread_ts: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM threads WHERE channel_id = ? AND thread_ts = ?", (channel_id, thread_ts)
            ).fetchone()
        return row is not None

    # --- answers ----------------------------------------------------------------------------------------

    def save_answer(self, record: AnswerRecord) -> None:
        answer_json = record.answer.model_dump_json(exclude={"passages"})
        history_json = json.dumps([m.model_dump() for m in record.history], ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT INTO answers (id, created_at, team_id, channel_id, thread_ts, user_id, origin, "
                "question, history, answer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.created_at,
                    record.team_id,
                    record.channel_id,
                    record.thread_ts,
                    record.user_id,
                    record.origin,
                    record.question,
                    history_json,
                    answer_json,
                ),
            )

    def link_messages(self, answer_id: str, channel_id: str, timestamps: list[str]) -> None:
        """Remember which Slack messages show an answer (so thread history can quote it in full)."""
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO answer_messages (channel_id, ts, answer_id, part) VALUES (?, ?, ?, ?)",
                [(channel_id, ts, answer_id, part) for part, ts in enumerate(timestamps, start=1)],
            )

    def message_answer(self, channel_id: str, ts: str) -> tuple[AnswerRecord, int] | None:
        """The answer a bot message shows, and which part of it the message is (1 = the first)."""
        with self._lock:
            row = self._db.execute(
                "SELECT a.*, m.part FROM answer_messages m JOIN answers a ON a.id = m.answer_id "
                "WHERE m.channel_id = ? AND m.ts = ?",
                (channel_id, ts),
            ).fetchone()
        return (_answer_record(row), int(row["part"])) if row else None

    def answer(self, answer_id: str) -> AnswerRecord:
        with self._lock:
            row = self._db.execute("SELECT * FROM answers WHERE id = ?", (answer_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no answer with id {answer_id!r}")
        return _answer_record(row)

    def recent_answers(self, channel_id: str, user_id: str, since: str, limit: int) -> list[AnswerRecord]:
        """This user's latest answers in a conversation since an ISO time, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM answers WHERE channel_id = ? AND user_id = ? AND created_at >= ? "
                "ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (channel_id, user_id, since, limit),
            ).fetchall()
        return [_answer_record(row) for row in reversed(rows)]

    # --- feedback ---------------------------------------------------------------------------------------

    def record_feedback(
        self, answer_id: str, user_id: str, rating: Rating, comment: str | None = None
    ) -> FeedbackRecord:
        """Store a click; the same user's later click on the same answer replaces the earlier rating (and the
        comment, when the later click gives one)."""
        record = self.answer(answer_id)
        now = utc_now()
        comment = (comment.strip() or None) if comment is not None else None
        with self._lock:
            self._db.execute(
                "INSERT INTO feedback (answer_id, user_id, rating, comment, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (answer_id, user_id) "
                "DO UPDATE SET rating = excluded.rating, updated_at = excluded.updated_at, "
                "comment = COALESCE(excluded.comment, feedback.comment)",
                (answer_id, user_id, rating, comment, now, now),
            )
            row = self._db.execute(
                "SELECT created_at, comment FROM feedback WHERE answer_id = ? AND user_id = ?",
                (answer_id, user_id),
            ).fetchone()
        return FeedbackRecord(
            answer=record,
            user_id=user_id,
            rating=rating,
            comment=row["comment"],
            created_at=row["created_at"],
            updated_at=now,
        )

    def feedback(self, *, rating: Rating | None = None, since: str | None = None) -> list[FeedbackRecord]:
        """Every recorded rating (optionally only one kind, or updated since an ISO date), oldest first."""
        query = (
            "SELECT a.*, f.user_id AS f_user, f.rating AS f_rating, f.comment AS f_comment, "
            "f.created_at AS f_created, "
            "f.updated_at AS f_updated FROM feedback f JOIN answers a ON a.id = f.answer_id WHERE 1 = 1"
        )
        args: list[str] = []
        if rating is not None:
            query += " AND f.rating = ?"
            args.append(rating)
        if since is not None:
            query += " AND f.updated_at >= ?"
            args.append(since)
        query += " ORDER BY f.updated_at, a.created_at, f.user_id"
        with self._lock:
            rows = self._db.execute(query, args).fetchall()
        return [
            FeedbackRecord(
                answer=_answer_record(row),
                user_id=row["f_user"],
                rating=row["f_rating"],
                comment=row["f_comment"],
                created_at=row["f_created"],
                updated_at=row["f_updated"],
            )
            for row in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _answer_record(row: sqlite3.Row) -> AnswerRecord:
    return AnswerRecord(
        id=row["id"],
        created_at=row["created_at"],
        team_id=row["team_id"],
        channel_id=row["channel_id"],
        thread_ts=row["thread_ts"],
        user_id=row["user_id"],
        origin=row["origin"],
        question=row["question"],
        history=[ChatMessage(**m) for m in json.loads(row["history"])],
        answer=Answer.model_validate_json(row["answer"]),
    )
