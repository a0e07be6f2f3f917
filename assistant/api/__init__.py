"""The HTTP service: a FastAPI app over the one `Assistant`, with the web chat page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so the CLI's other commands do not pay for loading FastAPI.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
