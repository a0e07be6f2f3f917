"""`assistant slack --socket` as a real process: it connects to a Socket Mode WebSocket on loopback, answers,
drops retries, records feedback, keeps its secrets out of its output, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from assistant.slack.store import SlackStore
from tests.slack.fake_slack import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER,
    TEAM,
    FakeSlack,
    FakeSocketMode,
    SlackSender,
    button_click,
    mention,
)
from tests.slack.test_bot_http import CHANNEL, Q2027, buttons, texts


@pytest.fixture
def socket_bot(corpus_assistant, tmp_path):
    """The bot process, connected over Socket Mode to the fakes."""
    with FakeSlack() as fake, FakeSocketMode() as socket:
        fake.socket_url = socket.url
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "ASSISTANT_SLACK__API_BASE_URL": fake.api_url,
            "ASSISTANT_SLACK__STORE_PATH": str(tmp_path / "slack.sqlite3"),
            "ASSISTANT_LOG_LEVEL": "INFO",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
        env.pop("SLACK_SIGNING_SECRET", None)  # Socket Mode needs none
        command = [sys.executable, "-m", "assistant.cli", "--profile", "test"]
        command += ["--data-dir", str(corpus_assistant.settings.data_dir), "slack", "--socket"]
        output = tmp_path / "bot.log"
        with open(output, "wb") as log:
            process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
            try:
                socket.wait_connected()
                yield fake, socket, process, output, tmp_path / "slack.sqlite3"
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=30)


def test_socket_mode_answers_drops_retries_records_feedback_and_stops_cleanly(socket_bot):
    fake, socket, process, output, store_path = socket_bot
    assert fake.calls_to("apps.connections.open")[0].headers["authorization"] == f"Bearer {APP_TOKEN}"
    events = SlackSender("unused")

    # A mention, delivered over the socket, is acknowledged and answered in its thread.
    question = fake.add_message(CHANNEL, f"<@{BOT_USER}> {Q2027}")
    body = json.loads(events.event_body(mention(CHANNEL, question), event_id="EvSOCKET1"))
    ack = socket.send("events_api", body)
    assert ack == {"envelope_id": ack["envelope_id"]}
    update = fake.wait_for("chat.update", timeout=180)[0]
    assert "70%" in texts(update.args["blocks"])[0]
    assert fake.calls_to("chat.postMessage")[0].args["thread_ts"] == question["ts"]

    # Slack's redelivery of the same event is acknowledged and nothing more.
    socket.send("events_api", body, retry=1)

    # A slash command: the ack carries "looking…", the answer goes to the response URL.
    command = {
        "token": "legacy",
        "team_id": TEAM,
        "channel_id": CHANNEL,
        "channel_name": "general",
        "user_id": "U0ALICE",
        "command": "/policy",
        "text": f"--public {Q2027}",
        "response_url": fake.response_url("socket-command"),
        "trigger_id": "1.2.3",
    }
    ack = socket.send("slash_commands", command)
    assert ack["payload"]["response_type"] == "ephemeral" and "Looking up" in ack["payload"]["text"]
    answer = fake.wait_for("response_url", timeout=180)[0]
    assert answer.args["response_type"] == "in_channel" and "70%" in texts(answer.args["blocks"])[1]

    # By now the retry would have shown: still one answer for the mention.
    assert len(fake.calls_to("reactions.add")) == 1 and len(fake.calls_to("chat.update")) == 1

    # A feedback click over the socket.
    stored = next(m for m in fake.messages[CHANNEL] if m["ts"] == update.args["ts"])
    click = button_click(
        stored, CHANNEL, user="U0BOB", action_id="feedback_up", response_url=fake.response_url("click")
    )
    socket.send("interactive", click)
    fake.wait_for("chat.postEphemeral", timeout=60)

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    log = output.read_text(errors="replace")
    assert "connected to Slack in Socket Mode" in log and "disconnecting from Slack" in log
    assert "dropped repeated delivery of event EvSOCKET1 (retry 1, reason timeout)" in log
    assert BOT_TOKEN not in log and APP_TOKEN not in log

    store = SlackStore(store_path)
    try:
        [vote] = store.feedback()
        assert vote.user_id == "U0BOB" and vote.answer.id == buttons(update.args["blocks"])[0]["value"]
    finally:
        store.close()


def test_socket_mode_without_an_app_token_is_a_clear_error(tmp_path):
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "ASSISTANT_DATA_DIR": str(tmp_path)}
    env.pop("SLACK_APP_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--profile", "test", "slack", "--socket"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: Socket Mode needs SLACK_APP_TOKEN")
    assert "Traceback" not in result.stderr
