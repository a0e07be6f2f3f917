"""The web chat page at `/` (plain HTML, CSS and JavaScript from `static/`, no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ... import __version__
from ..deps import SettingsDep
from ..schemas import UiSettings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["web page"])


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/ui/settings", response_model=UiSettings, summary="What the web page needs to start")
def ui_settings(settings: SettingsDep) -> UiSettings:
    server = settings.server
    return UiSettings(
        auth_required=bool(server.api_keys),
        max_question_chars=settings.answer.max_question_chars,
        max_upload_mb=server.max_upload_mb,
        upload_extensions=server.upload_extensions,
        version=__version__,
    )
