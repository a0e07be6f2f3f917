"""A stand-in for Slack on 127.0.0.1: the Web API over real HTTP, response URLs, and a Socket Mode WebSocket.

It records every call (method, arguments, headers), keeps the messages it was sent so `conversations.replies`
returns real threads, checks the bearer token the way Slack does, and can be told to fail a method. The test
side of Slack (signed requests to the app) lives in `SlackSender`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from assistant.slack.signing import RequestSigner

BOT_TOKEN = "xoxb-1111-2222-fakebottoken"
APP_TOKEN = "xapp-1-A111-3333-fakeapptoken"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0TEAM"
BOT_USER = "U0BOT"
BOT_ID = "B0BOT"


@dataclass
class Call:
    """One request the fake received."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


class FakeSlack:
    """Slack's Web API (`/api/<method>`) and response URLs (`/hooks/<id>`), recording every call."""

    def __init__(self, *, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.socket_url: str | None = None
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self._failures: dict[str, str] = {}
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle ----------------------------------------------------------------------------------------

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/hooks/{name}"

    # --- test controls ------------------------------------------------------------------------------------

    def next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ts):06d}"

    def add_message(
        self, channel: str, text: str, *, user: str = "U0ALICE", thread_ts: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """A message as people post it (Slack stores it, then sends the app its event)."""
        message = {"type": "message", "user": user, "text": text, "ts": self.next_ts(), **extra}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._lock:
            self.messages.setdefault(channel, []).append(message)
        return dict(message)

    def fail(self, method: str, error: str) -> None:
        """Make every later call of `method` fail with this Slack error code."""
        self._failures[method] = error

    def calls_to(self, method: str, where: Callable[[Call], bool] | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (where is None or where(c))]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        where: Callable[[Call], bool] | None = None,
        timeout: float = 90.0,
    ) -> list[Call]:
        """Block until `count` matching calls arrived (answers run on the app's worker threads)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if c.method == method and (where is None or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"expected {count} call(s) to {method}; calls so far: {seen}")
                self._lock.wait(left)

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                m
                for m in self.messages.get(channel, [])
                if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts
            ]

    # --- the Web API --------------------------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _api(self, method: str, args: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != expected:
            return {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        if method in self._failures:
            return {"ok": False, "error": self._failures[method]}
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(args)

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://policy-team.slack.com/",
            "team": "Policy Team",
            "user": "policybot",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if len(args.get("blocks") or []) > 50:
            return {"ok": False, "error": "invalid_blocks"}
        message = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "text": args.get("text", ""),
            "blocks": args.get("blocks") or [],
            "ts": self.next_ts(),
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        with self._lock:
            self.messages.setdefault(args["channel"], []).append(message)
        return {"ok": True, "channel": args["channel"], "ts": message["ts"], "message": message}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if len(args.get("blocks") or []) > 50:
            return {"ok": False, "error": "invalid_blocks"}
        with self._lock:
            for message in self.messages.get(args.get("channel", ""), []):
                if message["ts"] == args.get("ts") and message.get("bot_id") == BOT_ID:
                    message.update(text=args.get("text", ""), blocks=args.get("blocks") or [])
                    return {
                        "ok": True,
                        "channel": args["channel"],
                        "ts": message["ts"],
                        "text": message["text"],
                    }
        return {"ok": False, "error": "message_not_found"}

    def _api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel") or not args.get("user"):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "message_ts": self.next_ts()}

    def _api_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True} if args.get("name") and args.get("timestamp") else {"ok": False, "error": "bad"}

    def _api_reactions_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._api_reactions_add(args)

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        thread = sorted(
            self.thread(args.get("channel", ""), args.get("ts", "")), key=lambda m: float(m["ts"])
        )
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 1000)
        page = thread[start : start + limit]
        more = start + limit < len(thread)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not self.socket_url:
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_url}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _args(self) -> dict[str, Any]:
                parsed = urllib.parse.urlsplit(self.path)
                args: dict[str, Any] = dict(urllib.parse.parse_qsl(parsed.query))
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                if raw:
                    if self.headers.get("content-type", "").startswith("application/json"):
                        args.update(json.loads(raw))
                    else:
                        args.update(dict(urllib.parse.parse_qsl(raw)))
                if isinstance(args.get("blocks"), str):
                    args["blocks"] = json.loads(args["blocks"])
                return args

            def _reply(self, status: int, body: str, content_type: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                path = urllib.parse.urlsplit(self.path).path
                headers = {k.lower(): v for k, v in self.headers.items()}
                args = self._args()
                if path.startswith("/api/"):
                    method = path.removeprefix("/api/")
                    call = Call(method, args, headers)
                    call.response = fake._api(method, args, headers)
                    fake._record(call)
                    self._reply(200, json.dumps(call.response), "application/json")
                elif path.startswith("/hooks/"):
                    fake._record(
                        Call("response_url", {"hook": path.removeprefix("/hooks/"), **args}, headers)
                    )
                    self._reply(200, "ok", "text/plain")
                else:
                    self._reply(404, "not found", "text/plain")

            do_GET = _handle
            do_POST = _handle

        return Handler


class SlackSender:
    """Slack's side of the conversation: signed event, command and interaction requests to the app."""

    def __init__(self, url: str, *, secret: str = SIGNING_SECRET, team: str = TEAM) -> None:
        self.url = url
        self.team = team
        self.signer = RequestSigner(secret)
        self._events = itertools.count(1)

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        extra: dict[str, str] | None = None,
    ) -> httpx.Response:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "content-type": content_type,
            "x-slack-request-timestamp": ts,
            "x-slack-signature": self.signer.sign(ts, body),
            **(extra or {}),
        }
        return httpx.post(self.url, content=body.encode(), headers=headers, timeout=30)

    def event_body(
        self, event: dict[str, Any], *, team: str | None = None, event_id: str | None = None
    ) -> str:
        return json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": team or self.team,
                "api_app_id": "A0APP",
                "event": event,
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(self._events):08d}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": team or self.team, "user_id": BOT_USER, "is_bot": True}],
            }
        )

    def event(
        self,
        event: dict[str, Any],
        *,
        team: str | None = None,
        event_id: str | None = None,
        retry: int | None = None,
    ) -> httpx.Response:
        extra = {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"} if retry else None
        body = self.event_body(event, team=team, event_id=event_id)
        return self.post(body, "application/json", extra=extra)

    def command(
        self,
        text: str,
        *,
        response_url: str,
        channel: str = "C0GENERAL",
        user: str = "U0ALICE",
        **fields: str,
    ) -> httpx.Response:
        form = {
            "token": "legacy-verification-token",
            "team_id": fields.pop("team_id", self.team),
            "team_domain": "policy-team",
            "channel_id": channel,
            "channel_name": fields.pop("channel_name", "general"),
            "user_id": user,
            "user_name": "alice",
            "command": fields.pop("command", "/policy"),
            "text": text,
            "api_app_id": "A0APP",
            "response_url": response_url,
            "trigger_id": "1337.42.abcdef",
            **fields,
        }
        return self.post(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")

    def action(self, payload: dict[str, Any]) -> httpx.Response:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded")


def mention(channel: str, message: dict[str, Any]) -> dict[str, Any]:
    """The `app_mention` event for a message that mentions the bot."""
    return {**message, "type": "app_mention", "channel": channel, "event_ts": message["ts"]}


def message_event(channel: str, message: dict[str, Any], channel_type: str = "channel") -> dict[str, Any]:
    """The `message` event Slack sends for a stored message."""
    return {
        **message,
        "type": "message",
        "channel": channel,
        "channel_type": channel_type,
        "event_ts": message["ts"],
    }


def button_click(
    answer_message: dict[str, Any], channel: str, *, user: str, action_id: str, response_url: str
) -> dict[str, Any]:
    """The `block_actions` payload of a click on one of the feedback buttons of a bot message."""
    actions_block = next(b for b in answer_message["blocks"] if b["type"] == "actions")
    button = next(e for e in actions_block["elements"] if e["action_id"] == action_id)
    container = {
        "type": "message",
        "message_ts": answer_message["ts"],
        "channel_id": channel,
        "is_ephemeral": False,
    }
    if answer_message.get("thread_ts"):
        container["thread_ts"] = answer_message["thread_ts"]
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "container": container,
        "trigger_id": "1337.42.abcdef",
        "team": {"id": TEAM, "domain": "policy-team"},
        "channel": {"id": channel, "name": "general"},
        "message": answer_message,
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": actions_block["block_id"],
                "text": button["text"],
                "value": button["value"],
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }


class FakeSocketMode:
    """Slack's Socket Mode WebSocket on 127.0.0.1: says hello, sends envelopes and collects their acks."""

    def __init__(self) -> None:
        from websockets.sync.server import serve

        self._connection: Any = None
        self._acks: dict[str, dict[str, Any]] = {}
        self._envelopes = itertools.count(1)
        self._lock = threading.Condition()
        self._server = serve(self._session, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link/?ticket=fake-ticket"

    def _session(self, connection: Any) -> None:
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": "A0APP"},
                }
            )
        )
        with self._lock:
            self._connection = connection
            self._lock.notify_all()
        for raw in connection:
            message = json.loads(raw)
            if "envelope_id" in message:
                with self._lock:
                    self._acks[message["envelope_id"]] = message
                    self._lock.notify_all()

    def wait_connected(self, timeout: float = 180.0) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: self._connection is not None, timeout):
                raise AssertionError("the app did not connect over Socket Mode")

    def send(
        self, kind: str, payload: dict[str, Any], *, retry: int = 0, timeout: float = 30.0
    ) -> dict[str, Any]:
        """Deliver one envelope and return the app's acknowledgement of it."""
        envelope_id = f"env-{next(self._envelopes)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry,
            "retry_reason": "timeout" if retry else "",
            "payload": payload,
        }
        self._connection.send(json.dumps(envelope))
        with self._lock:
            if not self._lock.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"no acknowledgement of {envelope_id} within {timeout} s")
            return self._acks[envelope_id]
