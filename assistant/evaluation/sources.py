"""Open any supported dataset by path: the project's JSONL, PolicyQA (SQuAD JSON) or ClapNQ (JSONL)."""

from __future__ import annotations

import json
from pathlib import Path

from .clapnq import load_clapnq
from .dataset import Dataset, DatasetError, load_jsonl_dataset
from .policyqa import load_policyqa
from .workspace import SourceDocument

FORMATS = ("auto", "jsonl", "policyqa", "clapnq")


def detect_format(path: Path) -> str:
    """'policyqa' for a SQuAD JSON file, 'clapnq' for ClapNQ records or a folder of them, else 'jsonl'."""
    if path.is_dir():
        return "clapnq"
    if path.suffix.lower() == ".json":
        return "policyqa"
    if path.is_file():
        with path.open(encoding="utf-8", errors="replace") as handle:
            first = next((line for line in handle if line.strip()), "")
        try:
            row = json.loads(first)
        except json.JSONDecodeError:
            return "jsonl"  # its own validation names the line
        if isinstance(row, dict) and "input" in row and "passages" in row:
            return "clapnq"
    return "jsonl"


def load_source(path: str | Path, fmt: str = "auto") -> tuple[Dataset, list[SourceDocument] | None]:
    """The dataset, and the documents it brings (None for the project's JSONL, which names a corpus)."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    if fmt not in FORMATS:
        raise DatasetError(f"unknown dataset format {fmt!r}; use one of {', '.join(FORMATS)}")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "policyqa":
        return load_policyqa(path)
    if fmt == "clapnq":
        return load_clapnq(path)
    return load_jsonl_dataset(path), None
