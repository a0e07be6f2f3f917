"""Feedback on the web page's answers: kept in the store Slack's go to, exported by the same command."""

from __future__ import annotations

import json

from click.testing import CliRunner

from assistant.api.security import hash_key
from assistant.cli import main
from assistant.evaluation.dataset import load_jsonl_dataset
from assistant.feedback.store import FeedbackStore, feedback_store_path
from tests.api.conftest import FLAGSHIP, read_events
from tests.support import old_sqlite_file

KEY = "pa-feedback-key-0123456789abcdef"
OTHER = "pa-feedback-other-0123456789abcdef"
KEYS = [
    {"name": "analyst", "sha256": hash_key(KEY), "scopes": ["read"]},
    {"name": "other", "sha256": hash_key(OTHER), "scopes": ["read"]},
]


def _votes(live):
    store = FeedbackStore(feedback_store_path(live.app.state.settings))
    try:
        return store.feedback()
    finally:
        store.close()


def test_a_kept_answer_is_rated_and_a_later_rating_replaces_it(serve, corpus_assistant):
    live = serve(corpus_assistant)
    with live.client() as http:
        plain = http.post("/v1/ask", json={"question": FLAGSHIP})
        assert plain.status_code == 200 and "X-Answer-ID" not in plain.headers

        kept = http.post("/v1/ask", json={"question": FLAGSHIP, "keep_for_feedback": True})
        assert kept.status_code == 200
        answer_id = kept.headers["X-Answer-ID"]

        down = http.post(
            "/v1/feedback", json={"answer_id": answer_id, "rating": "down", "comment": "  Wrong year.  "}
        )
        assert down.status_code == 200, down.text
        assert down.json()["rating"] == "down" and down.json()["comment"] == "Wrong year."
        up = http.post("/v1/feedback", json={"answer_id": answer_id, "rating": "up"})
        assert up.json() == {**up.json(), "rating": "up", "comment": "Wrong year."}  # the comment stays

        unknown = http.post("/v1/feedback", json={"answer_id": "no-such-answer", "rating": "up"})
        assert unknown.status_code == 404 and "no answer with id" in unknown.json()["error"]["message"]
        bad = http.post("/v1/feedback", json={"answer_id": answer_id, "rating": "meh"})
        assert bad.status_code == 422 and bad.json()["error"]["param"] == "rating"
        long = http.post("/v1/feedback", json={"answer_id": answer_id, "rating": "up", "comment": "x" * 2001})
        assert long.status_code == 422

    [vote] = _votes(live)
    assert (vote.rating, vote.comment, vote.user_id) == ("up", "Wrong year.", "client:127.0.0.1")
    assert vote.answer.origin == "web" and vote.answer.question == FLAGSHIP
    assert "70%" in vote.answer.answer.text and vote.answer.answer.citations
    assert vote.answer.answer.passages == []  # the store keeps the answer without the retrieved passages


def test_a_streamed_chat_answer_is_kept_with_its_history(serve, corpus_assistant):
    live = serve(corpus_assistant)
    messages = [
        {"role": "user", "content": FLAGSHIP},
        {"role": "assistant", "content": "Above 70% adoption. [1]"},
        {"role": "user", "content": "And by 2030?"},
    ]
    with live.client() as http:
        body = {"messages": messages, "stream": True, "keep_for_feedback": True}
        with http.stream("POST", "/v1/chat", json=body) as response:
            answer_id = response.headers["X-Answer-ID"]
            events = [event for event, _ in read_events(response)]
        assert events[0] == "sources" and events[-1] == "final"
        rated = http.post("/v1/feedback", json={"answer_id": answer_id, "rating": "up"})
        assert rated.status_code == 200, rated.text

    [vote] = _votes(live)
    assert vote.answer.question == "And by 2030?"
    assert [m.content for m in vote.answer.history] == [FLAGSHIP, "Above 70% adoption. [1]"]
    assert "90%" in vote.answer.answer.text


def test_only_the_caller_who_got_the_answer_may_rate_it(serve, corpus_assistant):
    live = serve(corpus_assistant, api_keys=KEYS)
    with live.client(KEY) as mine, live.client(OTHER) as theirs, live.client() as nobody:
        answer_id = mine.post("/v1/ask", json={"question": FLAGSHIP, "keep_for_feedback": True}).headers[
            "X-Answer-ID"
        ]
        vote = {"answer_id": answer_id, "rating": "down"}
        assert nobody.post("/v1/feedback", json=vote).status_code == 401
        assert theirs.post("/v1/feedback", json=vote).status_code == 404
        assert mine.post("/v1/feedback", json=vote).status_code == 200
    assert [(v.user_id, v.rating) for v in _votes(live)] == [("analyst", "down")]


def test_web_feedback_is_exported_with_slack_s_as_candidate_cases(serve, corpus_assistant, tmp_path):
    live = serve(corpus_assistant)
    with live.client() as http:
        for question, rating, comment in (
            (FLAGSHIP, "up", None),
            ("How do I bake sourdough bread at home?", "down", "It should know bread."),
        ):
            answer_id = http.post("/v1/ask", json={"question": question, "keep_for_feedback": True}).headers[
                "X-Answer-ID"
            ]
            vote = {"answer_id": answer_id, "rating": rating, "comment": comment}
            assert http.post("/v1/feedback", json=vote).status_code == 200

    out, comments = tmp_path / "cases.jsonl", tmp_path / "comments.jsonl"
    data_dir = str(live.app.state.settings.data_dir)
    args = ["--profile", "test", "--data-dir", data_dir, "slack", "export-feedback", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--comments", str(comments)])
    assert result.exit_code == 0, result.output
    assert "wrote 2 candidate cases (1 approved, 1 to review)" in result.output
    assert len(load_jsonl_dataset(out)) == 2  # the evaluation harness's own loader accepts every case
    cases = {case["question"]: case for case in map(json.loads, out.read_text().splitlines())}
    approved, rejected = cases[FLAGSHIP], cases["How do I bake sourdough bread at home?"]
    assert approved["id"].startswith("web-") and approved["tags"] == ["from-web", "feedback-up"]
    assert approved["answerable"] and "70%" in approved["reference_answer"] and approved["evidence"]
    assert rejected["tags"] == ["from-web", "feedback-down", "needs-review"] and not rejected["answerable"]
    [note] = [json.loads(line) for line in comments.read_text().splitlines()]
    assert note["case_id"] == rejected["id"] and note["comment"] == "It should know bread."

    only_slack = CliRunner().invoke(main, [*args, "--source", "slack"])
    assert only_slack.exit_code == 0 and "wrote 0 candidate cases" in only_slack.output


def test_a_store_written_before_comments_were_kept_gains_the_column(tmp_path):
    from assistant.feedback.store import AnswerRecord, utc_now
    from assistant.models import Answer

    path = old_sqlite_file(
        tmp_path / "slack.sqlite3",
        "CREATE TABLE feedback (answer_id TEXT NOT NULL, user_id TEXT NOT NULL, rating TEXT NOT NULL, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (answer_id, user_id));",
    )
    store = FeedbackStore(path)
    try:
        answer = Answer(question="q?", standalone_question="q?", text="No.", backend="extractive")
        store.save_answer(
            AnswerRecord(id="a1", created_at=utc_now(), origin="mention", question="q?", answer=answer)
        )
        assert store.record_feedback("a1", "U1", "down", "too short").comment == "too short"
        assert store.record_feedback("a1", "U1", "up").comment == "too short"
        [vote] = store.feedback()
        assert (vote.rating, vote.comment) == ("up", "too short")
    finally:
        store.close()
