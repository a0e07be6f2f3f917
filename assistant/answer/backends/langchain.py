"""The `langchain` backend: any LangChain chat model, named by import path and built from keyword arguments.

    answer:
      backend: langchain
      langchain:
        model: langchain_ollama:ChatOllama        # or langchain_openai.ChatOpenAI, langchain_anthropic...
        kwargs: {model: llama3.1:8b, temperature: 0}

The model's own package (langchain-openai, langchain-ollama, ...) must be installed; a missing one is a
clear configuration error naming it. Streaming uses the model's `stream()`, otherwise `invoke()`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field

from ...errors import BackendError, ConfigError
from .chat import ChatBackend, ChatOptions, Messages, backend_error, parse_options

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from ...config import Settings


class LangChainOptions(ChatOptions):
    """Settings of the `langchain` backend (`answer.langchain`)."""

    model: Any = Field(
        ..., description="Import path of a chat model class ('package.module:Class'), or a model instance."
    )
    kwargs: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments for the class.")
    stream: bool = Field(True, description="Stream with model.stream() rather than model.invoke().")
    max_retries: int = Field(1, ge=0, le=10, description="Retries after a failure before any text arrived.")


def import_object(path: str) -> Any:
    """The object at 'package.module:Name' or 'package.module.Name'."""
    module_name, _, attribute = path.partition(":") if ":" in path else path.rpartition(".")
    if not module_name or not attribute:
        raise ConfigError(
            f"answer.langchain.model {path!r} is not an import path like 'package.module:Class'"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        package = module_name.split(".")[0].replace("_", "-")
        raise ConfigError(
            f"cannot import {module_name!r} for the langchain backend ({exc}); pip install {package}"
        ) from exc
    try:
        return getattr(module, attribute)
    except AttributeError as exc:
        raise ConfigError(f"{module_name!r} has no {attribute!r}") from exc


def build_model(options: LangChainOptions) -> BaseChatModel:
    """Instantiate the configured chat model and check it is one."""
    from langchain_core.language_models import BaseChatModel

    model = options.model
    if isinstance(model, str):
        factory = import_object(model)
        try:
            model = factory(**options.kwargs)
        except Exception as exc:  # a model class validates its own arguments
            raise ConfigError(f"cannot create {options.model}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(model, BaseChatModel):
        raise ConfigError(
            f"answer.langchain.model must be a LangChain chat model, not {type(model).__name__}"
        )
    return model


def to_langchain(messages: Messages) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m["role"]](content=m["content"]) for m in messages]


def message_text(message: Any) -> str:
    """The text of a message or chunk, whether its content is a string or a list of content blocks."""
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
        return "".join(parts)
    return ""


def classify(exc: Exception) -> BackendError:
    """A model library's exception as a BackendError, retryable when another try could help."""
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
    name = type(exc).__name__
    text = f"langchain: {name}: {exc}"[:300]
    if isinstance(status, int):
        if status == 429:
            return backend_error(text, kind="rate_limited", retryable=True)
        if status >= 500 or status in (408, 409):
            return backend_error(text, kind="server_error", retryable=True)
        return backend_error(text, kind="http_error", retryable=False)
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return backend_error(text, kind="timeout", retryable=True)
    if isinstance(exc, ConnectionError) or "Connect" in name:
        return backend_error(text, kind="connection", retryable=True)
    if "RateLimit" in name:
        return backend_error(text, kind="rate_limited", retryable=True)
    return backend_error(text, kind="error", retryable=True)


class LangChainBackend(ChatBackend):
    """Answers with a LangChain chat model."""

    name = "langchain"
    options: LangChainOptions

    def __init__(self, settings: Settings, **options: Any) -> None:
        parsed = parse_options(LangChainOptions, self.name, settings, **options)
        super().__init__(settings, parsed)
        self.model = build_model(parsed)

    def stream_chat(self, messages: Messages, *, max_tokens: int) -> Iterator[str]:
        lc_messages = to_langchain(messages)
        try:
            if self.options.stream:
                for chunk in self.model.stream(lc_messages):
                    text = message_text(chunk)
                    if text:
                        yield text
            else:
                yield message_text(self.model.invoke(lc_messages))
        except BackendError:
            raise
        except Exception as exc:  # whatever the model's library raises
            raise classify(exc) from exc
