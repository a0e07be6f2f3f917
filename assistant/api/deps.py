"""Dependencies the routes declare: the shared service, the settings, metrics and the caller's key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..answer.backends import available_backends
from ..config import Settings
from ..service import Assistant
from .metrics import Metrics
from .security import KeyRing, Principal, RateLimiter

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key from server.api_keys, sent as `Authorization: Bearer KEY` (only when keys are on).",
)


# The dependencies are coroutines because they never block: FastAPI runs a plain-function dependency on the
# thread pool, and under load those hand-offs queue behind the answers being computed there.


async def get_assistant(request: Request) -> Assistant:
    return request.app.state.assistant  # type: ignore[no-any-return]


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics  # type: ignore[no-any-return]


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def _authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    keys: KeyRing = request.app.state.keys
    if not keys.enabled:
        client = request.client.host if request.client else "unknown"
        return Principal(f"client:{client}", frozenset({"read", "admin"}), anonymous=True)
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(401, "this API needs a key: send 'Authorization: Bearer KEY'", headers=challenge)
    principal = keys.identify(credentials.credentials)
    if principal is None:
        raise HTTPException(401, "the API key is not valid", headers=challenge)
    return principal


async def _authorize(
    request: Request, credentials: HTTPAuthorizationCredentials | None, scope: str
) -> Principal:
    principal = _authenticate(request, credentials)
    request.state.principal = principal.name
    if not principal.allows(scope):
        raise HTTPException(403, f"the key {principal.name!r} lacks the {scope!r} scope this route needs")
    limiter: RateLimiter = request.app.state.rate_limiter
    if limiter.blocking:  # a networked counter store (redis://...) must not stall the event loop
        wait = await run_in_threadpool(limiter.check, principal.name)
    else:
        wait = limiter.check(principal.name)
    if wait is not None:
        request.app.state.metrics.rate_limited.inc()
        raise HTTPException(
            429,
            f"rate limit of {limiter.description} exceeded for {principal.name!r}; retry in {wait:.0f} s",
            headers={"Retry-After": f"{wait:.0f}"},
        )
    return principal


async def require_read(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """Any valid key (read or admin scope), rate-limited."""
    return await _authorize(request, credentials, "read")


async def require_admin(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """A key with the admin scope, rate-limited."""
    return await _authorize(request, credentials, "admin")


async def authorize_request(request: Request, scope: str) -> Principal:
    """The same check for an endpoint outside FastAPI's dependencies (the MCP transport at /mcp)."""
    return await _authorize(request, await _bearer(request), scope)


ReadAccess = Annotated[Principal, Depends(require_read)]
AdminAccess = Annotated[Principal, Depends(require_admin)]


def check_backend(name: str | None) -> str | None:
    """Refuse an unknown backend name up front with the list of the known ones."""
    if name is None:
        return None
    known = available_backends()
    if name not in known:
        raise HTTPException(422, f"unknown answer backend {name!r}; available: {', '.join(known)}")
    return name
