"""Every HTTP request must carry Slack's signature of `v0:timestamp:body`, made within five minutes."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from assistant.slack.signing import RequestSigner
from tests.slack.fake_slack import SIGNING_SECRET

# The example on Slack's "Verifying requests from Slack" page.
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TIMESTAMP = 1531420618
DOC_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def doc_headers(timestamp: str = str(DOC_TIMESTAMP), signature: str = DOC_SIGNATURE) -> dict[str, str]:
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
    }


def test_slacks_documented_example_signs_and_verifies_with_the_clock_at_its_timestamp():
    signer = RequestSigner(DOC_SECRET, clock=lambda: DOC_TIMESTAMP + 42)
    assert signer.sign(DOC_TIMESTAMP, DOC_BODY) == DOC_SIGNATURE
    assert signer.is_valid(DOC_BODY.encode(), doc_headers())


@pytest.mark.parametrize("skew", [-301, 301, 10_000_000])
def test_the_documented_request_is_refused_more_than_five_minutes_away(skew):
    late = RequestSigner(DOC_SECRET, clock=lambda: DOC_TIMESTAMP + skew)
    assert late.is_valid(DOC_BODY.encode(), doc_headers()) is False
    # exactly five minutes away is still accepted
    for edge in (-300, 300):
        on_time = RequestSigner(DOC_SECRET, clock=lambda edge=edge: DOC_TIMESTAMP + edge)
        assert on_time.is_valid(DOC_BODY.encode(), doc_headers()) is True


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-slack-request-timestamp": str(DOC_TIMESTAMP)},
        {"x-slack-signature": DOC_SIGNATURE},
        doc_headers(signature=DOC_SIGNATURE.replace("a2114", "a2115")),
        doc_headers(signature=DOC_SIGNATURE.removeprefix("v0=")),
        doc_headers(timestamp="1531420618.0"),
        doc_headers(timestamp="not-a-time"),
        doc_headers(timestamp="-1531420618"),
    ],
)
def test_missing_forged_or_malformed_signatures_are_invalid(headers):
    signer = RequestSigner(DOC_SECRET, clock=lambda: DOC_TIMESTAMP)
    assert signer.is_valid(DOC_BODY.encode(), headers) is False


def test_a_changed_body_or_another_secret_breaks_the_signature():
    clock = lambda: DOC_TIMESTAMP  # noqa: E731
    assert not RequestSigner(DOC_SECRET, clock=clock).is_valid((DOC_BODY + "x").encode(), doc_headers())
    assert not RequestSigner(DOC_SECRET[::-1], clock=clock).is_valid(DOC_BODY.encode(), doc_headers())
    assert not RequestSigner(DOC_SECRET, clock=clock).is_valid(b"\xff\xfe" + DOC_BODY.encode(), doc_headers())


def test_the_documented_request_passes_the_http_route_when_the_clock_agrees(slack_stack):
    # The documented slash command, sent byte for byte to the mounted route with the clock at its time.
    stack = slack_stack(clock=lambda: DOC_TIMESTAMP + 1, secret=DOC_SECRET, command="/webhook-collect")
    response = httpx.post(stack.sender.url, content=DOC_BODY.encode(), headers=doc_headers(), timeout=30)
    assert response.status_code == 200
    assert "Ask me about the indexed policy documents" in response.json()["text"]  # empty text: the help
    assert response.json()["response_type"] == "ephemeral"


def test_the_same_request_with_the_real_clock_is_stale_and_refused(slack_stack, fake_slack):
    stack = slack_stack(secret=DOC_SECRET, command="/webhook-collect")
    response = httpx.post(stack.sender.url, content=DOC_BODY.encode(), headers=doc_headers(), timeout=30)
    assert response.status_code == 401
    assert fake_slack.calls == []


def test_forged_stale_and_unsigned_requests_get_401_before_any_work(slack_stack, fake_slack):
    stack = slack_stack()
    sender = stack.sender
    event = {
        "type": "app_mention",
        "channel": "C0GENERAL",
        "user": "U0ALICE",
        "text": "<@U0BOT> hi",
        "ts": "1.1",
    }
    body = sender.event_body(event, event_id="EvFORGED")
    now = int(time.time())

    unsigned = httpx.post(sender.url, content=body, headers={"content-type": "application/json"}, timeout=30)
    forged = RequestSigner("not-the-signing-secret").sign(now, body)
    wrong_secret = httpx.post(
        sender.url,
        content=body,
        headers={"x-slack-request-timestamp": str(now), "x-slack-signature": forged},
        timeout=30,
    )
    tampered_body = body.replace("hi", "tell me everything")
    tampered = httpx.post(
        sender.url,
        content=tampered_body,
        headers={"x-slack-request-timestamp": str(now), "x-slack-signature": sender.signer.sign(now, body)},
        timeout=30,
    )
    stale = sender.post(body, "application/json", timestamp=now - 6 * 60)
    future = sender.post(body, "application/json", timestamp=now + 6 * 60)

    for response in (unsigned, wrong_secret, tampered, stale, future):
        assert response.status_code == 401
        assert response.json() == {"error": "invalid_signature"}
    # No work was done: Slack was never called (not even auth.test) and the event id was not consumed.
    assert fake_slack.calls == []
    assert stack.bot.store.first_sighting("EvFORGED") is True


def test_a_signed_url_verification_gets_its_challenge_back(slack_stack):
    stack = slack_stack()
    body = json.dumps(
        {
            "token": "legacy",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    response = stack.sender.post(body, "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_oversized_and_unreadable_bodies_are_refused_cleanly(slack_stack):
    stack = slack_stack()
    huge = stack.sender.post("x" * 1_100_000, "application/json")
    assert huge.status_code == 413
    garbled = stack.sender.post("{not json", "application/json")
    assert garbled.status_code == 400
    wrong_method = httpx.get(stack.sender.url, timeout=30)
    assert wrong_method.status_code == 405


def test_credentials_come_from_the_environment_and_never_show():
    from assistant.errors import ConfigError
    from assistant.slack.credentials import SlackCredentials

    assert SlackCredentials.from_environment({}) is None
    credentials = SlackCredentials.from_environment(
        {
            "SLACK_BOT_TOKEN": "xoxb-secret-bot",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_APP_TOKEN": "xapp-secret",
        }
    )
    assert credentials is not None
    shown = repr(credentials) + str(credentials)
    assert "xoxb-secret-bot" not in shown and SIGNING_SECRET not in shown and "xapp-secret" not in shown
    assert credentials.require_signing_secret() == SIGNING_SECRET
    with pytest.raises(ConfigError, match="xoxb-"):
        SlackCredentials.from_environment({"SLACK_BOT_TOKEN": "xoxp-a-user-token"})
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        SlackCredentials.from_environment({"SLACK_BOT_TOKEN": "xoxb-1"}).require_signing_secret()  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        SlackCredentials.from_environment({"SLACK_BOT_TOKEN": "xoxb-1"}).require_app_token()  # type: ignore[union-attr]
