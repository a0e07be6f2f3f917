"""The bot's state lives in the feedback store shared with the web page (`assistant/feedback/store.py`).

The names stay importable from here; `SlackStore` is that store.
"""

from __future__ import annotations

from ..feedback.store import (
    AnswerRecord,
    FeedbackRecord,
    FeedbackStore,
    Origin,
    Rating,
    feedback_store_path,
    utc_now,
)

SlackStore = FeedbackStore

__all__ = [
    "AnswerRecord",
    "FeedbackRecord",
    "FeedbackStore",
    "Origin",
    "Rating",
    "SlackStore",
    "feedback_store_path",
    "utc_now",
]
