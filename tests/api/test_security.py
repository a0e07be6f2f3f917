"""API keys (hashed), scopes, per-key rate limits and CORS, over real HTTP."""

from __future__ import annotations

import pytest

from assistant.api.security import KeyRing, generate_key, hash_key
from assistant.config import ApiKeySettings
from assistant.errors import ConfigError
from tests.api.conftest import FLAGSHIP

READER = "pa-reader-0123456789abcdef"
ADMIN = "pa-admin-0123456789abcdef"
KEYS = [
    {"name": "reader", "sha256": hash_key(READER), "scopes": ["read"]},
    {"name": "admin", "sha256": hash_key(ADMIN), "scopes": ["read", "admin"]},
]


@pytest.fixture
def keyed(serve, corpus_assistant):
    return serve(corpus_assistant, api_keys=KEYS)


def test_every_v1_route_needs_a_key_when_keys_are_configured(keyed):
    routes = [
        ("POST", "/v1/ask", {"question": FLAGSHIP}),
        ("POST", "/v1/chat", {"messages": [{"role": "user", "content": FLAGSHIP}]}),
        ("POST", "/v1/chat/completions", {"model": "policy-assistant", "messages": []}),
        ("GET", "/v1/models", None),
        ("GET", "/v1/documents", None),
        ("GET", "/v1/documents/eu-ai-act-risk-tiers", None),
        ("DELETE", "/v1/documents/eu-ai-act-risk-tiers", None),
        ("GET", "/v1/passages/x:1", None),
    ]
    with keyed.client() as anonymous, keyed.client("pa-wrong-key") as wrong:
        for method, path, body in routes:
            for client, message in ((anonymous, "needs a key"), (wrong, "not valid")):
                response = client.request(method, path, json=body)
                assert response.status_code == 401, (method, path, response.text)
                assert response.headers["www-authenticate"] == "Bearer"
                assert message in response.json()["error"]["message"]
        # probes, metrics and the page stay open
        for path in ("/healthz", "/readyz", "/metrics", "/", "/ui/settings", "/static/app.js"):
            assert anonymous.get(path).status_code == 200, path
        assert anonymous.get("/ui/settings").json()["auth_required"] is True


def test_read_scope_may_ask_but_not_change_documents(keyed):
    with keyed.client(READER) as reader:
        assert reader.post("/v1/ask", json={"question": FLAGSHIP}).status_code == 200
        assert reader.get("/v1/documents").status_code == 200
        for response in (
            reader.delete("/v1/documents/eu-ai-act-risk-tiers"),
            reader.post("/v1/documents", files={"file": ("x.md", b"# X\n\nSome text here.")}),
        ):
            assert response.status_code == 403
            assert "'admin' scope" in response.json()["error"]["message"]
        assert reader.get("/v1/documents/eu-ai-act-risk-tiers").status_code == 200


def test_admin_scope_may_change_documents(serve, make_assistant):
    live = serve(make_assistant(), api_keys=KEYS)
    with live.client(ADMIN) as admin:
        added = admin.post("/v1/documents", files={"file": ("x.md", b"# X\n\nThe harbour closes at nine.")})
        assert added.status_code == 201
        assert admin.post("/v1/ask", json={"question": "When does the harbour close?"}).status_code == 200
        assert admin.delete("/v1/documents/x").status_code == 200


def test_rate_limit_per_key_with_retry_after(serve, corpus_assistant):
    live = serve(corpus_assistant, api_keys=KEYS, rate_limit="3/minute")
    with live.client(READER) as reader, live.client(ADMIN) as admin:
        statuses = [reader.get("/v1/documents").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = reader.get("/v1/documents")
        assert refused.status_code == 429
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 60
        assert refused.json()["error"]["type"] == "rate_limit_error"
        # another key has its own budget
        assert admin.get("/v1/documents").status_code == 200
        metrics = admin.get("/metrics").text
    assert "assistant_rate_limited_total 2.0" in metrics


def test_without_keys_the_limit_applies_per_client_address(serve, corpus_assistant):
    live = serve(corpus_assistant, rate_limit="2/minute")
    with live.client() as client:
        assert [client.get("/v1/models").status_code for _ in range(3)] == [200, 200, 429]
        assert client.get("/healthz").status_code == 200  # probes are never limited


def test_keys_from_the_environment_are_hashes(monkeypatch, tmp_path):
    import json

    from assistant.config import load_settings

    monkeypatch.setenv("ASSISTANT_SERVER__API_KEYS", json.dumps([KEYS[0]]))
    settings = load_settings(profile="test", data_dir=tmp_path)
    ring = KeyRing(settings.server.api_keys)
    assert ring.identify(READER).name == "reader"
    assert ring.identify(hash_key(READER)) is None  # the stored hash is not itself a key
    monkeypatch.setenv("ASSISTANT_SERVER__API_KEYS", json.dumps([{"name": "x", "sha256": READER}]))
    with pytest.raises(ConfigError, match="sha256"):
        load_settings(profile="test", data_dir=tmp_path)


def test_generated_keys_are_unique_and_duplicate_names_refused():
    assert generate_key() != generate_key()
    entry = ApiKeySettings(name="same", sha256=hash_key("a"))
    with pytest.raises(ConfigError, match="share a name"):
        KeyRing([entry, entry])


def test_cors_is_off_by_default_and_configurable(serve, corpus_assistant):
    preflight = {"Origin": "https://intranet.example", "Access-Control-Request-Method": "POST"}
    closed = serve(corpus_assistant)
    with closed.client() as client:
        response = client.options("/v1/ask", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
        assert (
            "access-control-allow-origin"
            not in client.get("/v1/models", headers={"Origin": "https://x"}).headers
        )
    opened = serve(corpus_assistant, cors_origins=["https://intranet.example"])
    with opened.client() as client:
        response = client.options(
            "/v1/ask", headers={**preflight, "Access-Control-Request-Headers": "authorization,content-type"}
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://intranet.example"
        other = client.options("/v1/ask", headers={**preflight, "Origin": "https://evil.example"})
        assert other.headers.get("access-control-allow-origin") != "https://evil.example"


@pytest.mark.parametrize("value", ["off", "null", "none", ""])
def test_the_rate_limit_can_be_turned_off_from_the_environment(monkeypatch, tmp_path, value):
    from assistant.config import load_settings

    monkeypatch.setenv("ASSISTANT_SERVER__RATE_LIMIT", value)
    assert load_settings(profile="test", data_dir=tmp_path).server.rate_limit is None
    monkeypatch.setenv("ASSISTANT_SERVER__RATE_LIMIT", "lots")
    with pytest.raises(ConfigError, match="not a rate like"):
        load_settings(profile="test", data_dir=tmp_path)
