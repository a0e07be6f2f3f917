"""Precision and recall of lifecycle detection against a labelled list (evals/relations-policy-corpus.jsonl).

Each label is one line: `doc_id`, `relation` (a relation kind, or a date kind: `entry_into_force`,
`applies_from`, `revoked_on`, `expires`), `target` (an identifier, or YYYY-MM-DD for a date), optional
`target_status`, and a verbatim `evidence` snippet. Detection runs over the files directly (no index needed):

    python -m assistant.lifecycle.evaluate ../shared/data/policy-corpus evals/relations-policy-corpus.jsonl
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..ingest.loaders import load_document
from . import identifiers as ids
from .extract import document_lifecycle

# Dates that are part of the lifecycle (signature and publication dates are metadata, not evaluated).
EVALUATED_DATES = ("entry_into_force", "applies_from", "revoked_on", "expires")
Fact = tuple[str, str, str, str | None]


@dataclass
class Scores:
    true_positives: list[Fact] = field(default_factory=list)
    false_positives: list[Fact] = field(default_factory=list)
    false_negatives: list[Fact] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = len(self.true_positives) + len(self.false_positives)
        return len(self.true_positives) / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = len(self.true_positives) + len(self.false_negatives)
        return len(self.true_positives) / wanted if wanted else 1.0


def target_key(target: str) -> str:
    """The matching key of a label's target: a date, a recognised identifier, a 《title》 or a plain name."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", target):
        return f"date:{target}"
    title = re.fullmatch(r"《(.+)》", target)
    if title:
        return ids.cn_title(title.group(1)).key
    found = ids.find_all(target)
    return found[0].key if found else ids.name(target).key


def load_labels(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def detected_facts(corpus: Path, doc_ids: set[str] | None = None) -> set[Fact]:
    """(doc_id, relation or date kind, target key, target status) of everything detected in the corpus."""
    facts: set[Fact] = set()
    for path in sorted(corpus.glob("*.md")):
        if path.name.lower() == "readme.md" or (doc_ids is not None and path.stem not in doc_ids):
            continue
        lifecycle = document_lifecycle(load_document(path).model_copy(update={"id": path.stem}))
        for r in lifecycle.relations:
            facts.add((path.stem, r.relation, r.target_key, r.target_status))
        for d in lifecycle.dates:
            if d.kind in EVALUATED_DATES:
                facts.add((path.stem, d.kind, f"date:{d.date}", None))
    return facts


def evaluate(corpus: Path, labels_path: Path) -> Scores:
    labels = load_labels(labels_path)
    wanted = {(x["doc_id"], x["relation"], target_key(x["target"]), x.get("target_status")) for x in labels}
    found = detected_facts(corpus)
    return Scores(
        true_positives=sorted(found & wanted, key=str),
        false_positives=sorted(found - wanted, key=str),
        false_negatives=sorted(wanted - found, key=str),
    )


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    corpus = Path(args[0] if args else "../shared/data/policy-corpus")
    labels = Path(args[1] if len(args) > 1 else "evals/relations-policy-corpus.jsonl")
    if not corpus.is_dir():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2
    scores = evaluate(corpus, labels)
    for name, facts in (("false positive", scores.false_positives), ("missed", scores.false_negatives)):
        for fact in facts:
            print(f"{name}: {fact}")
    tp, fp, fn = len(scores.true_positives), len(scores.false_positives), len(scores.false_negatives)
    print(
        f"labels {tp + fn}  detected {tp + fp}  precision {scores.precision:.3f}  recall {scores.recall:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
