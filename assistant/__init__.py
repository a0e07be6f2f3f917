"""Policy Assistant: question answering over policy documents with cited, verifiable passages."""

from .config import Settings, load_settings
from .errors import (
    AssistantError,
    BackendError,
    ConfigError,
    DecodeError,
    DocumentError,
    EmptyDocument,
    IndexMismatchError,
    InvalidInputError,
    NotFoundError,
    StoreUnavailableError,
    UnsupportedFileType,
)
from .models import Answer, ChatMessage, Citation, Document, Filters, IngestReport, Passage
from .service import Assistant

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "BackendError",
    "ChatMessage",
    "Citation",
    "ConfigError",
    "DecodeError",
    "Document",
    "DocumentError",
    "EmptyDocument",
    "Filters",
    "IndexMismatchError",
    "IngestReport",
    "InvalidInputError",
    "NotFoundError",
    "Passage",
    "Settings",
    "StoreUnavailableError",
    "UnsupportedFileType",
    "__version__",
    "load_settings",
]
