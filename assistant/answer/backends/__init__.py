"""Answer backends: the extractive default and pluggable generators."""

from .base import (
    ENTRY_POINT_GROUP,
    AnswerBackend,
    GenerationRequest,
    available_backends,
    create_backend,
    register_backend,
    unregister_backend,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "AnswerBackend",
    "GenerationRequest",
    "available_backends",
    "create_backend",
    "register_backend",
    "unregister_backend",
]
