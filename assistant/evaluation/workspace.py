"""Evaluation indexes: a corpus indexed into its own data folder, through the same ingest pipeline.

Public datasets bring their passages as `SourceDocument`s; they are written as Markdown files (front
matter: id, title, tags) into `<index dir>/documents/` and ingested from there, so a kept index dir is
re-used incrementally: unchanged documents are not embedded again.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..config import Settings
from ..errors import AssistantError

if TYPE_CHECKING:
    from ..index.embedder import Embedder
    from ..service import Assistant


@dataclass
class SourceDocument:
    """A document that a dataset brings with it."""

    id: str
    title: str
    text: str
    tags: list[str] = field(default_factory=list)


def derive_settings(settings: Settings, **changes: Any) -> Settings:
    """A copy of the settings with nested changes, e.g. `answer={"abstain_threshold": 0.0}`."""
    data = settings.model_dump(by_alias=True)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = _merge(data[key], value)
        else:
            data[key] = value
    return Settings.model_validate(data)


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        out[key] = (
            _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def index_settings(settings: Settings, data_dir: Path) -> Settings:
    """Settings of an evaluation index: its own data folder and an embedded Chroma store inside it."""
    return derive_settings(settings, data_dir=str(data_dir), store={"mode": "persistent", "path": None})


def write_documents(documents: Sequence[SourceDocument], folder: Path) -> None:
    """Write the documents as Markdown files, skipping unchanged ones and removing stale ones."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted: set[str] = set()
    for document in documents:
        name = f"{document.id}.md"
        if name in wanted:
            raise AssistantError(f"two documents share the id {document.id!r}")
        wanted.add(name)
        header = {"id": document.id, "title": document.title, "language": "en", "tags": document.tags}
        content = (
            "---\n" + yaml.safe_dump(header, allow_unicode=True, sort_keys=False) + "---\n" + document.text
        )
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
    for stale in folder.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()


@contextmanager
def evaluation_index(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    index_dir: str | Path | None = None,
    corpus: Sequence[str | Path] = (),
    documents: Sequence[SourceDocument] | None = None,
    progress: bool = False,
) -> Iterator[Assistant]:
    """An assistant over its own index of `corpus` (files and folders) or `documents`.

    Without `index_dir` the index lives in a temporary folder removed afterwards; with it, the folder is
    kept and the next run only embeds what changed.
    """
    from ..service import Assistant

    temporary = index_dir is None
    folder = Path(tempfile.mkdtemp(prefix="assistant-eval-")) if temporary else Path(index_dir)  # type: ignore[arg-type]
    folder.mkdir(parents=True, exist_ok=True)
    assistant = Assistant(index_settings(settings, folder), embedder=embedder)
    try:
        paths = [Path(p) for p in corpus]
        if documents is not None:
            write_documents(documents, folder / "documents")
            paths.append(folder / "documents")
        if paths:
            report = assistant.ingest(paths, progress=progress)
            failed = [f"{i.source}: {i.message}" for i in report.items if i.status == "failed"]
            if failed:
                raise AssistantError(
                    f"{len(failed)} document(s) could not be indexed: " + "; ".join(failed[:5])
                )
        yield assistant
    finally:
        assistant.close()
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
