"""The answer-backend contract and its registry.

A backend turns a question and numbered passages into answer text whose claims carry `[n]` markers, n being
the passage number (1-based). It yields the text in pieces so front ends can stream it. Everything else —
abstention, citation checking, fallbacks — is the service's job, the same for every backend.

Backends are found through the entry-point group `policy_assistant.backends` (the built-in ones register
there too, in pyproject.toml), so a third-party package adds one without touching this code:

    [project.entry-points."policy_assistant.backends"]
    mymodel = "my_package.backend:MyBackend"

An entry point names a class (or factory) called as `factory(settings)` with the full `Settings`; the
backend reads its own block with `settings.answer.backend_options(name)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ...errors import ConfigError
from ...models import ChatMessage, Passage

if TYPE_CHECKING:
    from ...config import Settings
    from ...language.translation import QueryTranslation
    from ..evidence import Evidence

ENTRY_POINT_GROUP = "policy_assistant.backends"


@dataclass
class GenerationRequest:
    """What a backend receives: the standalone question, the passages (numbered from 1) and their evidence."""

    question: str
    passages: list[Passage]
    evidence: Evidence
    history: list[ChatMessage] = field(default_factory=list)
    named_documents: tuple[str, ...] = ()  # documents the question names (each should be answered from)
    translation: QueryTranslation | None = None  # the question in the other language's words, if searched so


@runtime_checkable
class AnswerBackend(Protocol):
    """Generates answer text with [n] passage markers."""

    name: str

    def generate(self, request: GenerationRequest) -> Iterator[str]:
        """Yield the answer text in pieces (deltas)."""
        ...


BackendFactory = Callable[["Settings"], AnswerBackend]
_registered: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Register a backend in-process (tests, notebooks); entry points are the way for packages."""
    _registered[name] = factory


def unregister_backend(name: str) -> None:
    _registered.pop(name, None)


def available_backends() -> list[str]:
    names = set(_registered)
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def create_backend(name: str, settings: Settings) -> AnswerBackend:
    """Instantiate the backend registered under `name`."""
    factory = _registered.get(name)
    if factory is None:
        matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        if not matches:
            raise ConfigError(
                f"unknown answer backend {name!r}; available: {', '.join(available_backends()) or 'none'}"
            )
        try:
            factory = matches[0].load()
        except ImportError as exc:
            raise ConfigError(f"answer backend {name!r} cannot be loaded: {exc}") from exc
    backend = factory(settings)
    if not isinstance(backend, AnswerBackend):
        raise ConfigError(f"answer backend {name!r} does not implement generate()")
    return backend
