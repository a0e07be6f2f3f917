"""Slack's feedback export is the shared one (`assistant/feedback/export.py`); the names stay importable here."""

from __future__ import annotations

from ..feedback.export import feedback_cases, feedback_comments

__all__ = ["feedback_cases", "feedback_comments"]
