"""`POST /v1/feedback`: 👍/👎 (and a comment) on the web page's answers, kept in the store Slack's go to.

An answer can be rated when it was asked for with `keep_for_feedback`: it is then stored (origin `web`, the
caller's key name as the user) under the id sent back in the `X-Answer-ID` header. `assistant slack
export-feedback` exports these ratings with Slack's, as candidate evaluation cases.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from ...errors import NotFoundError
from ...feedback.store import AnswerRecord, FeedbackStore, feedback_store_path, utc_now
from ...models import Answer, ChatMessage, StreamEvent
from ..deps import ReadAccess
from ..errors import ERROR_RESPONSES
from ..schemas import FeedbackRequest, FeedbackResult

router = APIRouter(prefix="/v1", tags=["feedback"], responses=ERROR_RESPONSES)

ANSWER_ID_HEADER = "X-Answer-ID"
ORIGIN = "web"
_opening = threading.Lock()


def feedback_store(app: FastAPI) -> FeedbackStore:
    """The app's feedback store, opened on first use (the file is shared with the Slack bot)."""
    with _opening:
        store = getattr(app.state, "feedback_store", None)
        if store is None:
            store = FeedbackStore(feedback_store_path(app.state.settings))
            app.state.feedback_store = store
        return store


def close_feedback_store(app: FastAPI) -> None:
    with _opening:
        store = getattr(app.state, "feedback_store", None)
        app.state.feedback_store = None
    if store is not None:
        store.close()


def new_answer_id() -> str:
    return uuid.uuid4().hex


@dataclass
class AnswerKeeper:
    """Keeps one answer in the feedback store, under a new id, for the caller who asked to rate it."""

    store: FeedbackStore
    user: str
    question: str
    history: list[ChatMessage] | None
    answer_id: str = field(default_factory=new_answer_id)

    def keep(self, answer: Answer) -> None:
        self.store.save_answer(
            AnswerRecord(
                id=self.answer_id,
                created_at=utc_now(),
                user_id=self.user,
                origin=ORIGIN,
                question=self.question,
                history=self.history or [],
                answer=answer,
            )
        )

    def keeping(self, events: Iterator[StreamEvent]) -> Iterator[StreamEvent]:
        """Pass a streamed answer's events on, keeping the final answer; closing this closes the stream."""
        try:
            for event in events:
                if event.type == "final" and event.answer is not None:
                    self.keep(event.answer)
                yield event
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()


@router.post(
    "/feedback",
    response_model=FeedbackResult,
    summary="Rate an answer (👍/👎, optional comment)",
    description="Rates an answer that was asked for with `keep_for_feedback: true`, by the id in its "
    "`X-Answer-ID` header. Only the caller who got the answer may rate it; rating it again replaces the "
    "earlier rating (and the comment, when a new one is given).",
    responses={404: {"description": "No answer with this id was kept for this caller."}},
)
async def give_feedback(body: FeedbackRequest, request: Request, principal: ReadAccess) -> FeedbackResult:
    store = feedback_store(request.app)

    def record() -> FeedbackResult:
        try:
            answer = store.answer(body.answer_id)
        except NotFoundError:
            answer = None
        if answer is None or answer.origin != ORIGIN or answer.user_id != principal.name:
            raise NotFoundError(f"no answer with id {body.answer_id!r} to rate")
        saved = store.record_feedback(body.answer_id, principal.name, body.rating, body.comment)
        return FeedbackResult(
            answer_id=body.answer_id, rating=saved.rating, comment=saved.comment, updated_at=saved.updated_at
        )

    return await run_in_threadpool(record)
