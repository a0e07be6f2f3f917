"""The corpus a benchmark runs on: a folder of documents or a BEIR corpus, copied into a scratch folder.

The copy is what every contender reads (so a change made for the re-ingest test touches no one's data);
a BEIR corpus (`corpus.jsonl`, `queries.jsonl`) becomes one Markdown file per record, its title in the
front matter.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import InvalidInputError
from ..ingest.pipeline import discover
from .command import DEFAULT_CORPUS
from .questions import POLICY_QUESTIONS

_CHANGE = (
    "\n\nAmendment (benchmark). The responsible authority shall review the measures in this document every "
    "two years and publish a summary of the findings, including the risks identified and the steps taken.\n"
)


@dataclass
class BenchCorpus:
    """The files every contender ingests, and the questions asked of them."""

    name: str
    kind: str  # "folder" or "beir"
    source: Path
    root: Path  # the scratch copy
    files: list[Path]
    questions: list[str]
    bytes: int

    def changed_document(self) -> Path:
        """The file the one-document re-ingest edits: the one of median size (a typical document)."""
        by_size = sorted(self.files, key=lambda p: (p.stat().st_size, p.name))
        return by_size[len(by_size) // 2]

    def change(self, path: Path) -> str:
        """Append a paragraph to `path`; returns the original text so that it can be restored."""
        original = path.read_text(encoding="utf-8")
        path.write_text(original + _CHANGE, encoding="utf-8")
        return original


def is_beir(folder: Path) -> bool:
    return (folder / "corpus.jsonl").is_file()


def prepare_corpus(
    source: Path,
    workdir: Path,
    settings: Settings,
    *,
    max_docs: int | None = None,
    questions: int | None = None,
) -> BenchCorpus:
    """Copy (at most `max_docs` of) the corpus into `workdir/corpus` and pick the questions."""
    source = source.expanduser()
    if not source.is_dir():
        raise InvalidInputError(
            f"benchmark corpus {source} is not a folder (give one with --corpus; the default is "
            f"{DEFAULT_CORPUS})"
        )
    root = workdir / "corpus"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    if is_beir(source):
        files, asked = _from_beir(source, root, max_docs)
        kind = "beir"
    else:
        files, asked = _from_folder(source, root, settings, max_docs), list(POLICY_QUESTIONS)
        kind = "folder"
    if not files:
        raise InvalidInputError(f"benchmark corpus {source} holds no documents to ingest")
    if questions is not None:
        asked = asked[:questions]
    if not asked:
        raise InvalidInputError(f"no questions to ask of {source}")
    return BenchCorpus(
        name=source.name,
        kind=kind,
        source=source,
        root=root,
        files=files,
        questions=asked,
        bytes=sum(p.stat().st_size for p in files),
    )


def _from_folder(source: Path, root: Path, settings: Settings, max_docs: int | None) -> list[Path]:
    found, _, _ = discover([source], settings.ingest.extensions)
    # With a limit, the smallest documents: a quick run still sees several whole documents.
    chosen = sorted(found, key=lambda p: (p.stat().st_size, str(p)))[:max_docs] if max_docs else found
    copies = []
    for path in sorted(chosen):
        target = root / path.resolve().relative_to(source.resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copies.append(target)
    return copies


def _from_beir(source: Path, root: Path, max_docs: int | None) -> tuple[list[Path], list[str]]:
    files = []
    with (source / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if max_docs is not None and len(files) >= max_docs:
                break
            if not line.strip():
                continue
            record = json.loads(line)
            doc_id = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in str(record["_id"]))
            title = (record.get("title") or f"Document {record['_id']}").strip()
            title = " ".join(title.replace("\\", "/").replace('"', "'").split())
            path = root / f"beir-{doc_id}.md"
            path.write_text(f'---\ntitle: "{title}"\n---\n\n{record.get("text", "")}\n', encoding="utf-8")
            files.append(path)
    asked: list[str] = []
    queries = source / "queries.jsonl"
    if queries.is_file():
        with queries.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    asked.append(json.loads(line)["text"])
                if len(asked) >= len(POLICY_QUESTIONS):
                    break
    return files, asked or list(POLICY_QUESTIONS)
