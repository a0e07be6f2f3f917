"""👍/👎 clicks are recorded with the question, answer and citations, and exported as candidate eval cases."""

from __future__ import annotations

import json

from click.testing import CliRunner

from assistant.cli import main
from assistant.evaluation.dataset import load_jsonl_dataset
from assistant.slack.export import feedback_cases
from tests.slack.fake_slack import button_click
from tests.slack.test_bot_http import CHANNEL, OFF_CORPUS, Q2027, answered, ask_by_mention, buttons
from tests.support import CORPUS


def stored(fake, update):
    """The bot message (as Slack keeps it) that an update produced."""
    return next(m for m in fake.messages[CHANNEL] if m["ts"] == update.args["ts"])


def test_button_clicks_are_recorded_thanked_and_a_later_click_replaces_the_vote(slack_stack):
    stack = slack_stack()
    fake, sender = stack.fake, stack.sender
    question = ask_by_mention(stack, Q2027)
    message = stored(fake, answered(fake, question))
    answer_id = buttons(message["blocks"])[0]["value"]

    click = button_click(
        message, CHANNEL, user="U0BOB", action_id="feedback_up", response_url=fake.response_url("click")
    )
    response = sender.action(click)
    assert response.status_code == 200
    thanks = fake.wait_for("chat.postEphemeral")[0]
    assert thanks.args["user"] == "U0BOB" and thanks.args["thread_ts"] == question["ts"]
    assert "Thanks" in thanks.args["text"]

    [vote] = stack.bot.store.feedback()
    assert (vote.user_id, vote.rating) == ("U0BOB", "up")
    assert vote.answer.id == answer_id and vote.answer.question == Q2027
    assert vote.answer.answer.text and vote.answer.answer.citations
    assert vote.created_at == vote.updated_at

    sender.action(
        button_click(
            message, CHANNEL, user="U0BOB", action_id="feedback_down", response_url=fake.response_url("c2")
        )
    )
    fake.wait_for("chat.postEphemeral", 2)
    [vote] = stack.bot.store.feedback()
    assert vote.rating == "down"

    sender.action(
        button_click(
            message, CHANNEL, user="U0CAROL", action_id="feedback_up", response_url=fake.response_url("c3")
        )
    )
    fake.wait_for("chat.postEphemeral", 3)
    assert sorted((v.user_id, v.rating) for v in stack.bot.store.feedback()) == [
        ("U0BOB", "down"),
        ("U0CAROL", "up"),
    ]
    assert [v.user_id for v in stack.bot.store.feedback(rating="up")] == ["U0CAROL"]


def test_a_click_on_an_answer_the_store_does_not_know_is_explained(slack_stack):
    stack = slack_stack()
    fake = stack.fake
    message = stored(fake, answered(fake, ask_by_mention(stack, Q2027)))
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if "value" in element:
                element["value"] = "no-such-answer"
    stack.sender.action(
        button_click(
            message, CHANNEL, user="U0BOB", action_id="feedback_up", response_url=fake.response_url("x")
        )
    )
    note = fake.wait_for("chat.postEphemeral")[0]
    assert "no longer have that answer" in note.args["text"]
    assert stack.bot.store.feedback() == []


def test_clicks_on_ephemeral_slash_command_answers_are_thanked_through_the_response_url(slack_stack):
    stack = slack_stack()
    fake = stack.fake
    stack.sender.command(Q2027, response_url=fake.response_url("answer"))
    answer = fake.wait_for("response_url", where=lambda c: c.args["hook"] == "answer")[0]
    message = {"ts": "", "blocks": answer.args["blocks"]}
    click = button_click(
        message,
        "C0GENERAL",
        user="U0ALICE",
        action_id="feedback_down",
        response_url=fake.response_url("thanks"),
    )
    click["container"].update(is_ephemeral=True)
    click.pop("message")
    stack.sender.action(click)
    thanks = fake.wait_for("response_url", where=lambda c: c.args["hook"] == "thanks")[0]
    assert thanks.args["response_type"] == "ephemeral" and thanks.args["replace_original"] is False
    [vote] = stack.bot.store.feedback()
    assert vote.rating == "down" and vote.answer.origin == "command"


def test_feedback_exports_as_candidate_cases_in_the_evals_schema(slack_stack, tmp_path):
    stack = slack_stack()
    fake, sender = stack.fake, stack.sender

    def ask_and_rate(text, rating, thread_ts=None, users=("U0BOB",)):
        if thread_ts:
            message = fake.add_message(CHANNEL, text, thread_ts=thread_ts)
            sender.event({**message, "type": "message", "channel": CHANNEL, "channel_type": "channel"})
        else:
            message = ask_by_mention(stack, text)
        shown = stored(fake, answered(fake, message))
        for user in users:
            click = button_click(
                shown,
                CHANNEL,
                user=user,
                action_id=f"feedback_{rating}",
                response_url=fake.response_url(user),
            )
            assert sender.action(click).status_code == 200
        return message

    first = ask_and_rate(Q2027, "up")
    ask_and_rate("And by 2030?", "up", thread_ts=first["ts"])
    ask_and_rate(OFF_CORPUS, "up")
    ask_and_rate("Which body coordinates the AI+ opinions?", "down", users=("U0BOB", "U0CAROL"))
    fake.wait_for("chat.postEphemeral", 5)

    out = tmp_path / "candidates.jsonl"
    result = CliRunner().invoke(
        main,
        [
            "--profile",
            "test",
            "--config",
            str(_config(tmp_path, stack)),
            "slack",
            "export-feedback",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "wrote 4 candidate cases (3 approved, 1 to review)" in result.output
    cases = [json.loads(line) for line in out.read_text().splitlines()]
    assert [set(case) for case in cases] == [
        {"id", "question", "answerable", "reference_answer", "evidence", "tags", "history"}
    ] * 4
    assert len(load_jsonl_dataset(out)) == 4  # the evaluation harness's own loader accepts every case
    by_question = {case["question"]: case for case in cases}

    approved = by_question[Q2027]
    assert approved["answerable"] is True and "70%" in approved["reference_answer"]
    assert "[1]" not in approved["reference_answer"]
    assert approved["tags"] == ["from-slack", "feedback-up"] and approved["history"] == []
    for item in approved["evidence"]:  # quotes are verbatim, single-line substrings of the documents
        body = (CORPUS / f"{item['doc_id']}.md").read_text(encoding="utf-8")
        assert item["quote"] in body and "\n" not in item["quote"]

    follow_up = by_question["And by 2030?"]
    assert "follow-up" in follow_up["tags"]
    assert [turn["role"] for turn in follow_up["history"]] == ["user", "assistant"]
    assert follow_up["history"][0]["content"] == Q2027

    unanswerable = by_question[OFF_CORPUS]
    assert unanswerable["answerable"] is False and unanswerable["evidence"] == []
    assert unanswerable["reference_answer"] == "" and "unanswerable" in unanswerable["tags"]

    rejected = by_question["Which body coordinates the AI+ opinions?"]
    assert rejected["tags"] == ["from-slack", "feedback-down", "needs-review"]
    # what the bot said, for a person to correct
    assert rejected["answerable"] is True and rejected["reference_answer"] and rejected["evidence"]

    only_down = CliRunner().invoke(
        main,
        [
            "--profile",
            "test",
            "--config",
            str(_config(tmp_path, stack)),
            "slack",
            "export-feedback",
            "--rating",
            "down",
        ],
    )
    assert only_down.exit_code == 0
    assert [json.loads(line)["question"] for line in only_down.stdout.splitlines()] == [rejected["question"]]
    future = CliRunner().invoke(
        main,
        [
            "--profile",
            "test",
            "--config",
            str(_config(tmp_path, stack)),
            "slack",
            "export-feedback",
            "--since",
            "2999-01-01",
        ],
    )
    assert future.exit_code == 0 and future.stdout == ""
    bad_date = CliRunner().invoke(
        main,
        [
            "--profile",
            "test",
            "--config",
            str(_config(tmp_path, stack)),
            "slack",
            "export-feedback",
            "--since",
            "soon",
        ],
    )
    assert bad_date.exit_code == 2 and "not a date" in bad_date.output


def test_export_without_a_store_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        main, ["--profile", "test", "--data-dir", str(tmp_path / "empty"), "slack", "export-feedback"]
    )
    assert result.exit_code == 1
    assert "no Slack feedback store" in result.output


def test_a_split_vote_is_not_approved():
    from assistant.models import Answer, Citation
    from assistant.slack.store import AnswerRecord, FeedbackRecord

    answer = Answer(
        question="q?",
        standalone_question="q?",
        text="A sentence. [1]",
        backend="extractive",
        citations=[
            Citation(
                n=1,
                passage_id="p",
                doc_id="d",
                title="T",
                quote="Line one\nline two",
                start=0,
                end=17,
                score=1,
            )
        ],
    )
    record = AnswerRecord(
        id="a" * 32, created_at="2026-01-01T00:00:00+00:00", origin="mention", question="q?", answer=answer
    )

    def vote(user, rating):
        return FeedbackRecord(answer=record, user_id=user, rating=rating, created_at="x", updated_at="x")

    [tied] = feedback_cases([vote("U1", "up"), vote("U2", "down")])
    assert "needs-review" in tied["tags"]
    [approved] = feedback_cases([vote("U1", "up")])
    assert approved["evidence"] == [
        {"doc_id": "d", "quote": "Line one"},
        {"doc_id": "d", "quote": "line two"},
    ]
    assert approved["reference_answer"] == "A sentence."


def _config(tmp_path, stack):
    path = tmp_path / "slack-export.yaml"
    path.write_text(
        f"data_dir: {stack.settings.data_dir}\nslack:\n  store_path: {stack.settings.slack.store_path}\n"
    )
    return path
