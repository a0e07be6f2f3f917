"""One exception tree for the whole assistant.

Front ends translate these at their edge (HTTP status, CLI message, Slack reply)::

    AssistantError
    ├── ConfigError              settings that cannot work (bad YAML, unknown backend, ...)
    ├── InvalidInputError        a question, filter or request the user must fix
    ├── DocumentError            one document could not be loaded or chunked
    │   ├── UnsupportedFileType
    │   ├── EmptyDocument
    │   └── DecodeError          binary data, undecodable text, corrupt PDF
    ├── NotFoundError            an unknown document or passage id
    ├── IndexMismatchError       the index was built with another embedding model
    ├── StoreUnavailableError    the vector store cannot be reached
    └── BackendError             an answer backend failed (timeouts, HTTP errors, bad output)
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""


class ConfigError(AssistantError):
    """The configuration is invalid or names something that does not exist."""


class InvalidInputError(AssistantError, ValueError):
    """Input from a user that cannot be processed as given."""


class DocumentError(AssistantError):
    """A document could not be turned into text."""


class UnsupportedFileType(DocumentError):
    """No loader handles this file type."""


class EmptyDocument(DocumentError):
    """The document holds no text."""


class DecodeError(DocumentError):
    """The bytes could not be decoded into text (binary, corrupt or unknown encoding)."""


class NotFoundError(AssistantError, KeyError):
    """A document or passage id that is not in the index."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "not found"


class IndexMismatchError(AssistantError):
    """The index on disk was built with a different embedding model."""


class StoreUnavailableError(AssistantError):
    """The vector store cannot be reached."""


class BackendError(AssistantError):
    """An answer backend failed to produce usable output.

    `kind` names the failure for metrics and fallback decisions: timeout, connection, rate_limited,
    server_error (5xx), http_error (other 4xx), malformed, empty, stream_broken, ungrounded or error.
    """

    def __init__(self, message: str, *, retryable: bool = False, kind: str = "error") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.kind = kind
