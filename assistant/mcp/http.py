"""The MCP server over Streamable HTTP at `/mcp` of the HTTP service, behind the API keys.

Every request is authenticated and rate-limited exactly like the REST API's read routes (`Authorization:
Bearer KEY` when `server.api_keys` is set; 401, 403 and 429 come back as the API's JSON errors). The
transport is stateless, so each request stands alone and any worker process can answer it. Without API keys
the endpoint also checks the Host and Origin headers (loopback, `server.public_url`, `server.cors_origins`),
so a web page cannot reach a local server through DNS rebinding.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import Receive, Scope, Send

from ..api.admission import AnswerGate
from ..api.deps import authorize_request
from ..config import ServerSettings
from ..service import Assistant
from .server import create_mcp_server

MCP_PATH = "/mcp"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class McpEndpoint:
    """The ASGI endpoint at `/mcp`: checks the caller's key, then hands the request to the MCP transport.

    `running()` belongs in the app's lifespan: the transport's session manager runs only inside it (a new
    one each time, so an app can be started more than once).
    """

    def __init__(self, assistant: Assistant, server: ServerSettings, gate: AnswerGate | None = None) -> None:
        self.server = create_mcp_server(assistant, gate)
        self.security = transport_security(server)
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        manager = StreamableHTTPSessionManager(
            app=self.server, stateless=True, security_settings=self.security
        )
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await authorize_request(Request(scope, receive), "read")
        if self._manager is None:
            raise HTTPException(503, "the MCP endpoint is not running yet; retry shortly")
        await self._manager.handle_request(scope, receive, send)


def transport_security(server: ServerSettings) -> TransportSecuritySettings:
    """Host and Origin checks when anyone may call (no API keys); with keys, a forged page has no key to send."""
    if server.api_keys:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    hosts = [*LOOPBACK_HOSTS, *(f"{host}:*" for host in LOOPBACK_HOSTS)]
    origins = [f"{scheme}://{host}:*" for scheme in ("http", "https") for host in LOOPBACK_HOSTS]
    origins += [f"{scheme}://{host}" for scheme in ("http", "https") for host in LOOPBACK_HOSTS]
    if server.public_url:
        public = urlsplit(server.public_url)
        hosts.append(public.netloc)
        origins.append(f"{public.scheme}://{public.netloc}")
    origins += [origin.rstrip("/") for origin in server.cors_origins]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )
