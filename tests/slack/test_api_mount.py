"""The HTTP service (`create_app`) serves the bot at /slack/events when the Slack environment is set."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest

from assistant.api.app import create_app
from assistant.config import ApiKeySettings
from assistant.errors import ConfigError
from assistant.slack.store import SlackStore
from tests.slack.conftest import ServerThread, slack_settings
from tests.slack.fake_slack import BOT_TOKEN, BOT_USER, SIGNING_SECRET, SlackSender, mention
from tests.slack.test_bot_http import CHANNEL, Q2027, answered, buttons, texts
from tests.support import free_port


def test_the_service_mounts_the_bot_behind_its_own_api_keys_and_middleware(
    corpus_assistant, fake_slack, tmp_path, monkeypatch
):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    settings = slack_settings(corpus_assistant.settings, fake_slack, tmp_path / "slack.sqlite3")
    key = ApiKeySettings(name="ops", sha256=hashlib.sha256(b"sk-test").hexdigest())
    port = free_port()
    server_settings = {"api_keys": [key], "public_url": f"http://127.0.0.1:{port}"}
    settings = settings.model_copy(update={"server": settings.server.model_copy(update=server_settings)})
    app = create_app(settings, corpus_assistant)
    with ServerThread(app, port) as server:
        # The API itself wants a key; Slack cannot send one and is verified by its signature instead.
        assert httpx.get(f"{server.url}/v1/documents", timeout=30).status_code == 401
        sender = SlackSender(f"{server.url}/slack/events")
        unsigned = httpx.post(sender.url, json={"type": "event_callback"}, timeout=30)
        assert unsigned.status_code == 401 and "x-request-id" in unsigned.headers

        question = fake_slack.add_message(CHANNEL, f"<@{BOT_USER}> {Q2027}")
        response = sender.event(mention(CHANNEL, question))
        assert response.status_code == 200 and response.headers.get("x-request-id")
        update = answered(fake_slack, question)
        assert "70%" in texts(update.args["blocks"])[0]

        # Each source links to the service's web page, which opens the passage with the quoted sentence
        # highlighted through the passage route (tests/api/test_web_page.py follows such a link in a browser).
        store = SlackStore(tmp_path / "slack.sqlite3")  # the bot's store, opened as another process would
        record = store.answer(buttons(update.args["blocks"])[0]["value"])
        store.close()
        sources = [t for t in texts(update.args["blocks"]) if t.startswith("*[")]
        for text, citation in zip(sources, record.answer.citations, strict=True):
            link = re.search(r"<(http[^|>]+)\|", text).group(1)
            assert link.startswith(f"http://127.0.0.1:{port}/?passage=")
            assert httpx.get(link, timeout=30).status_code == 200  # the page itself needs no key
            params = dict(parse_qsl(urlsplit(link).query))
            route = f"{server.url}/v1/passages/{quote(params['passage'], safe='')}"
            span = {"start": params["start"], "end": params["end"]}
            view = httpx.get(route, params=span, headers={"authorization": "Bearer sk-test"}, timeout=30)
            assert view.status_code == 200, view.text
            assert view.json()["highlighted"] == citation.quote


def test_without_a_bot_token_there_is_no_slack_route(corpus_assistant, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    app = create_app(corpus_assistant.settings, corpus_assistant)
    assert "/slack/events" not in {getattr(route, "path", "") for route in app.routes}


def test_a_bot_token_without_a_signing_secret_refuses_to_serve_unverified(corpus_assistant, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        create_app(corpus_assistant.settings, corpus_assistant)
