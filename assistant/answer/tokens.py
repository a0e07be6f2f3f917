"""Token counting for prompt budgets: a real tokenizer file when one is available, an estimate otherwise."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path

from ..config import EmbeddingSettings
from ..errors import ConfigError
from ..language.chinese import has_cjk

log = logging.getLogger(__name__)

TokenCounter = Callable[[str], int]


def estimate_tokens(text: str) -> int:
    """About one token per CJK character and per 3.5 other characters (a conservative BPE estimate)."""
    cjk = sum(1 for ch in text if has_cjk(ch))
    return cjk + math.ceil((len(text) - cjk) / 3.5)


def tokenizer_file_counter(path: Path) -> TokenCounter:
    """Count with a Hugging Face `tokenizer.json` (the file every transformers model folder carries)."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises plain Exceptions for unreadable files
        raise ConfigError(f"cannot read tokenizer file {path}: {exc}") from exc
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    return count


def make_token_counter(spec: str | None, embedding: EmbeddingSettings) -> TokenCounter:
    """A counter for `spec`: a tokenizer.json (or a folder holding one), 'estimate', or None for the
    embedding model's own tokenizer (WordPiece counts run a little above BPE ones, so budgets stay safe)."""
    if spec == "estimate":
        return estimate_tokens
    if spec:
        path = Path(spec).expanduser()
        candidate = path / "tokenizer.json" if path.is_dir() else path
        if not candidate.is_file():
            raise ConfigError(f"tokenizer {spec!r}: no tokenizer.json there (or use 'estimate')")
        return tokenizer_file_counter(candidate)
    from ..index.embedder import resolve_model

    try:
        target, _ = resolve_model(embedding.model)
    except ConfigError:
        target = ""
    candidate = Path(target) / "tokenizer.json" if target else None
    if candidate is not None and candidate.is_file():
        return tokenizer_file_counter(candidate)
    log.info("no local tokenizer.json for %s; estimating prompt tokens from characters", embedding.model)
    return estimate_tokens
