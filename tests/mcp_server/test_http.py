"""The MCP server at /mcp of `assistant serve`: Streamable HTTP on 127.0.0.1, behind the API keys."""

from __future__ import annotations

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from assistant.api.security import hash_key
from tests.mcp_server.checks import FLAGSHIP, behaves_as_specified, call, run

READ_KEY = "pa-mcp-read-key-0123456789abcdef"
OTHER_KEY = "pa-mcp-other-key-0123456789abcdef"
KEYS = [
    {"name": "agent", "sha256": hash_key(READ_KEY), "scopes": ["read"]},
    {"name": "admin", "sha256": hash_key(OTHER_KEY), "scopes": ["read", "admin"]},
]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw-test", "version": "0"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _client(url: str, key: str | None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300))
    return Client(streamable_http_client(url + "/mcp", http_client=http))


def _run(test, url: str, key: str | None) -> None:
    run(lambda: _client(url, key), test)


@pytest.fixture
def keyed_server(serve, corpus_assistant):
    return serve(corpus_assistant, api_keys=KEYS)


def test_the_http_server_with_a_key_answers_with_citations_and_does_everything_specified(keyed_server):
    _run(behaves_as_specified, keyed_server.url, READ_KEY)


def test_keys_are_enforced_with_the_api_s_errors(keyed_server):
    with httpx.Client(base_url=keyed_server.url, timeout=30) as http:
        missing = http.post("/mcp", json=INITIALIZE, headers=MCP_HEADERS)
        assert missing.status_code == 401
        assert missing.headers["WWW-Authenticate"] == "Bearer"
        assert "needs a key" in missing.json()["error"]["message"]

        wrong = http.post(
            "/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": "Bearer pa-wrong"}
        )
        assert wrong.status_code == 401 and "not valid" in wrong.json()["error"]["message"]

        right = http.post(
            "/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"Bearer {READ_KEY}"}
        )
        assert right.status_code == 200, right.text

    with pytest.raises(BaseException):  # noqa: B017 - the SDK reports the 401 through its task group
        _run(lambda client: client.list_tools(), keyed_server.url, None)

    async def admin_may_read_too(client: Client) -> None:
        answer = await call(client, "ask", {"question": FLAGSHIP})
        assert answer["citations"]

    _run(admin_may_read_too, keyed_server.url, OTHER_KEY)


def test_the_rate_limit_applies_to_mcp_requests(serve, corpus_assistant):
    live = serve(corpus_assistant, api_keys=KEYS, rate_limit="2/minute")
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {READ_KEY}"}
    with httpx.Client(base_url=live.url, timeout=30) as http:
        statuses = [http.post("/mcp", json=INITIALIZE, headers=headers).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]


def test_without_keys_only_local_or_configured_hosts_may_call(corpus_server):
    with httpx.Client(base_url=corpus_server.url, timeout=30) as http:
        rebound = http.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "Host": "evil.example"})
        assert rebound.status_code == 421
        foreign = http.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "Origin": "http://evil.example"})
        assert foreign.status_code == 403
        local = http.post("/mcp", json=INITIALIZE, headers=MCP_HEADERS)
        assert local.status_code == 200, local.text

    async def lists_tools(client: Client) -> None:
        assert len((await client.list_tools()).tools) == 5

    _run(lists_tools, corpus_server.url, None)
