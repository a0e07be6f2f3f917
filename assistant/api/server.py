"""Running the app under uvicorn: one process (model loaded once, shared by every request) or several."""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI

from ..config import Settings
from ..errors import ConfigError
from .app import create_app
from .observability import configure_logging

log = logging.getLogger(__name__)

# How `assistant serve` hands its effective settings to worker processes (uvicorn starts them afresh).
SETTINGS_ENV = "ASSISTANT_SERVE_SETTINGS_JSON"


def browser_url(settings: Settings, host: str, port: int) -> str:
    """Where a person should point a browser."""
    if settings.server.public_url:
        return settings.server.public_url + "/"
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve the API and the web page until interrupted."""
    if workers > 1 and settings.store.mode != "http":
        raise ConfigError(
            "several workers cannot share an embedded Chroma store; use --workers 1 or a Chroma server "
            "(store.mode: http, e.g. --profile chroma-server)"
        )
    configure_logging(settings.log_level, json_lines=settings.server.json_logs)
    if not settings.server.api_keys and not _is_loopback(host):
        log.warning(
            "listening on %s without API keys: anyone who can reach it may change the documents", host
        )
    url = browser_url(settings, host, port)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,  # the app logs one structured line per request itself
        "timeout_graceful_shutdown": 10,
    }
    if workers == 1:
        config = uvicorn.Config(create_app(settings), **options)
        _AnnouncingServer(config, url).run()
        return
    os.environ[SETTINGS_ENV] = settings.model_dump_json(by_alias=True)
    _announce(url, workers)
    uvicorn.run("assistant.api.server:worker_app", factory=True, workers=workers, **options)


def worker_app() -> FastAPI:
    """The app of one worker process, built from the settings `serve` handed over."""
    payload = os.environ.get(SETTINGS_ENV)
    if not payload:
        raise ConfigError(f"{SETTINGS_ENV} is not set; start workers with `assistant serve`")
    settings = Settings.model_validate_json(payload)
    configure_logging(settings.log_level, json_lines=settings.server.json_logs)
    return create_app(settings)


class _AnnouncingServer(uvicorn.Server):
    """Says where to point the browser once the socket is actually listening."""

    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self.url = url

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            _announce(self.url, 1)


def _announce(url: str, workers: int) -> None:
    plural = f" ({workers} workers)" if workers > 1 else ""
    print(
        f"\nPolicy Assistant is serving{plural}. Open {url} in a browser.\n"
        f"  API docs: {url}docs   health: {url}readyz   Ctrl-C stops it.\n",
        file=sys.stdout,
        flush=True,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
