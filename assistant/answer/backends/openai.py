"""The `openai` backend: any OpenAI-compatible Chat Completions server, over plain httpx.

OpenAI itself, vLLM (`vllm serve`), llama.cpp's `llama-server`, Ollama's `/v1`, LM Studio and TGI all
speak this wire format: `POST {base_url}/chat/completions`, answered with JSON or, when `stream` is true,
with server-sent events (`data: {chunk}` frames closed by `data: [DONE]`). The API key is read from the
environment variable named by `api_key_env` (or given as `api_key`); it only ever travels in the
Authorization header and is never logged or echoed in an error.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

import httpx
from httpx_sse import EventSource, SSEError
from pydantic import Field, SecretStr, field_validator

from ...errors import BackendError, ConfigError
from .chat import ChatBackend, ChatOptions, Messages, backend_error, parse_options

if TYPE_CHECKING:
    from ...config import Settings

log = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"
_RETRYABLE_STATUS = {408, 409, 429}


class OpenAIOptions(ChatOptions):
    """Settings of the `openai` backend (`answer.openai`)."""

    base_url: str = Field(OPENAI_BASE_URL, description="The server's OpenAI-compatible root, ending in /v1.")
    model: str = Field("gpt-4o-mini", min_length=1, description="Model name as the server knows it.")
    api_key_env: str | None = Field(
        "OPENAI_API_KEY", description="Environment variable holding the API key (never logged)."
    )
    api_key: SecretStr | None = Field(None, description="The key itself; prefer api_key_env.")
    timeout: float = Field(
        60.0, gt=0, description="Seconds to wait for the server (and between streamed chunks)."
    )
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to wait for a connection.")
    stream: bool = Field(True, description="Stream the answer as server-sent events.")
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = Field(
        "max_tokens",
        description="Request field for the output limit (OpenAI's reasoning models need the second).",
    )
    headers: dict[str, str] = Field(
        default_factory=dict, description="Extra HTTP headers (e.g. a gateway's)."
    )
    extra_body: dict[str, Any] = Field(
        default_factory=dict, description="Extra request fields (e.g. vLLM's top_k, Ollama's options)."
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class OpenAIBackend(ChatBackend):
    """Answers with a model behind an OpenAI-compatible Chat Completions endpoint."""

    name = "openai"
    options: OpenAIOptions

    def __init__(self, settings: Settings, **options: Any) -> None:
        parsed = parse_options(OpenAIOptions, self.name, settings, **options)
        super().__init__(settings, parsed)
        self._api_key = self._resolve_key(parsed)
        headers = {"Accept": "application/json", **parsed.headers}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        self.client = httpx.Client(
            base_url=parsed.base_url,
            headers=headers,
            timeout=httpx.Timeout(parsed.timeout, connect=parsed.connect_timeout),
        )

    @staticmethod
    def _resolve_key(options: OpenAIOptions) -> str | None:
        key = options.api_key.get_secret_value() if options.api_key else None
        if not key and options.api_key_env:
            key = os.environ.get(options.api_key_env) or None
        if not key and options.base_url.startswith(OPENAI_BASE_URL):
            raise ConfigError(
                f"the openai backend needs an API key for {OPENAI_BASE_URL}: "
                f"set {options.api_key_env or 'answer.openai.api_key_env'}"
            )
        return key

    def close(self) -> None:
        self.client.close()

    # --- transport --------------------------------------------------------------------------------------

    def request_body(self, messages: Messages, max_tokens: int) -> dict[str, Any]:
        o = self.options
        body: dict[str, Any] = {
            "model": o.model,
            "messages": messages,
            "temperature": o.temperature,
            o.max_tokens_field: max_tokens,
            "stream": o.stream,
        }
        body.update(o.extra_body)
        return body

    def stream_chat(self, messages: Messages, *, max_tokens: int) -> Iterator[str]:
        body = self.request_body(messages, max_tokens)
        started = time.perf_counter()
        try:
            if body.get("stream"):
                yield from self._stream(body)
            else:
                response = self.client.post("/chat/completions", json=body)
                self._check_status(response)
                yield self._completion_text(response)
        except BackendError:
            raise
        except httpx.TimeoutException as exc:
            raise backend_error(
                f"openai: no answer from {self.options.base_url} within {self.options.timeout:g}s "
                f"({type(exc).__name__})",
                kind="timeout",
                retryable=True,
            ) from exc
        except httpx.ConnectError as exc:
            raise backend_error(
                f"openai: cannot connect to {self.options.base_url} ({self._redact(str(exc))})",
                kind="connection",
                retryable=True,
            ) from exc
        except (httpx.TransportError, httpx.StreamError) as exc:
            raise backend_error(
                f"openai: the connection to {self.options.base_url} failed mid-response "
                f"({type(exc).__name__}: {self._redact(str(exc))})",
                kind="connection",
                retryable=True,
            ) from exc
        finally:
            log.debug(
                "openai: %s answered in %.0f ms", self.options.model, (time.perf_counter() - started) * 1e3
            )

    def _stream(self, body: dict[str, Any]) -> Iterator[str]:
        with self.client.stream("POST", "/chat/completions", json=body) as response:
            if response.status_code != 200:
                response.read()
                self._check_status(response)
            if "text/event-stream" not in response.headers.get("content-type", ""):
                # Some servers ignore stream=true and answer with one JSON body.
                response.read()
                yield self._completion_text(response)
                return
            done = False
            finish: str | None = None
            try:
                for event in EventSource(response).iter_sse():
                    data = event.data.strip()
                    if data == "[DONE]":
                        done = True
                        break
                    if not data:
                        continue
                    chunk = self._json(data, "stream chunk")
                    for choice in chunk.get("choices") or []:
                        if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                            continue
                        content = (choice.get("delta") or {}).get("content")
                        if isinstance(content, str) and content:
                            yield content
                        finish = choice.get("finish_reason") or finish
            except SSEError as exc:
                raise backend_error(
                    f"openai: malformed event stream ({exc})", kind="malformed", retryable=True
                ) from exc
            if not done and finish is None:
                raise backend_error(
                    "openai: the event stream ended before the answer was complete (no [DONE])",
                    kind="stream_broken",
                    retryable=True,
                )
            if finish == "length":
                log.warning("openai: the answer was cut at max_tokens=%d", self.options.max_tokens)

    def _check_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status == 200:
            return
        detail = self._error_detail(response)
        where = f"{self.options.base_url}/chat/completions"
        if status == 429:
            raise backend_error(
                f"openai: rate limited by {where} (HTTP 429{detail})",
                kind="rate_limited",
                retryable=True,
                retry_after=retry_after_seconds(response.headers),
            )
        if status >= 500 or status in _RETRYABLE_STATUS:
            raise backend_error(
                f"openai: HTTP {status} from {where}{detail}",
                kind="server_error" if status >= 500 else "http_error",
                retryable=True,
                retry_after=retry_after_seconds(response.headers),
            )
        raise backend_error(f"openai: HTTP {status} from {where}{detail}", kind="http_error", retryable=False)

    def _error_detail(self, response: httpx.Response) -> str:
        try:
            payload = response.json()
            error = payload.get("error") if isinstance(payload, dict) else None
            message = error.get("message") if isinstance(error, dict) else error
        except ValueError:
            message = response.text
        message = " ".join(str(message or "").split())[:200]
        return f": {self._redact(message)}" if message else ""

    def _completion_text(self, response: httpx.Response) -> str:
        payload = self._json(response.text, "response")
        try:
            message = payload["choices"][0]["message"]
            content = message.get("content")
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise backend_error(
                f"openai: the response has no choices[0].message ({response.text[:120]!r})",
                kind="malformed",
                retryable=True,
            ) from exc
        if content is not None and not isinstance(content, str):
            raise backend_error("openai: message.content is not text", kind="malformed", retryable=True)
        if payload["choices"][0].get("finish_reason") == "length":
            log.warning("openai: the answer was cut at max_tokens=%d", self.options.max_tokens)
        return content or ""

    def _json(self, text: str, what: str) -> dict[str, Any]:
        try:
            payload = json.loads(text)
        except ValueError as exc:
            raise backend_error(
                f"openai: malformed JSON in the {what}: {text[:80]!r}", kind="malformed", retryable=True
            ) from exc
        if not isinstance(payload, dict):
            raise backend_error(f"openai: the {what} is not a JSON object", kind="malformed", retryable=True)
        if "error" in payload and "choices" not in payload:
            error = payload["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise backend_error(
                f"openai: the server reported an error: {self._redact(str(message))[:200]}",
                kind="server_error",
                retryable=True,
            )
        return payload

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[redacted]") if self._api_key else text


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds a server asks us to wait: `retry-after-ms`, or `Retry-After` as seconds or an HTTP date."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
