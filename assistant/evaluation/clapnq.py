"""ClapNQ (JSONL): every distinct passage becomes a document; answerable and unanswerable questions.

An answerable question's evidence is its annotators' selected sentences, located in the passage; its
reference answer is the first long-form answer (the others count as alternatives). An unanswerable
question's passage is on topic but does not answer it, so a grounded system should abstain. Cases are
shuffled with a fixed seed so that `--limit N` mixes both halves.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

from .dataset import Dataset, DatasetError, EvalCase, EvidenceItem, fingerprint_cases
from .workspace import SourceDocument

SEED = 13


def clapnq_files(path: Path) -> list[Path]:
    """The JSONL files of a ClapNQ folder (or the one file given)."""
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if files:
            return files
        raise DatasetError(f"{path}: no .jsonl files in this folder")
    raise DatasetError(f"{path}: no such file or folder")


def load_clapnq(path: str | Path) -> tuple[Dataset, list[SourceDocument]]:
    """The cases and passage documents of ClapNQ JSONL files."""
    path = Path(path)
    documents: dict[str, SourceDocument] = {}
    cases: list[EvalCase] = []
    notes: list[str] = []
    seen: set[str] = set()
    for file in clapnq_files(path):
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                case = _case(row, documents, notes, f"{file}:{number}")
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise DatasetError(
                    f"{file}:{number}: malformed ClapNQ record ({type(exc).__name__}: {exc})"
                ) from exc
            if case is None:
                continue
            if case.id in seen:
                raise DatasetError(f"{file}:{number}: field 'id': {case.id!r} appears twice")
            seen.add(case.id)
            cases.append(case)
    if not cases:
        raise DatasetError(f"{path}: the dataset is empty (no questions)")
    random.Random(SEED).shuffle(cases)
    name = "clapnq-" + (path.stem if path.is_file() else path.name)
    return Dataset(name, cases, str(path), fingerprint_cases(cases), notes), list(documents.values())


def passage_id(title: str, text: str) -> str:
    return "clapnq-" + hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()[:12]


def _case(
    row: dict[str, Any], documents: dict[str, SourceDocument], notes: list[str], where: str
) -> EvalCase | None:
    passages = row["passages"]
    if not passages:
        notes.append(f"{where}: no passage; skipped")
        return None
    doc_ids = []
    for passage in passages:
        title = str(passage.get("title") or "Untitled")
        text = str(passage["text"]).replace("\r\n", "\n").strip()
        doc_id = passage_id(title, text)
        documents.setdefault(doc_id, SourceDocument(doc_id, title, text, ["clapnq"]))
        doc_ids.append(doc_id)
    outputs = [o for o in row.get("output", []) if str(o.get("answer", "")).strip()]
    question = str(row["input"]).strip()
    if not outputs:
        return EvalCase(
            id=str(row["id"]),
            question=question,
            answerable=False,
            reference_answer="",
            tags=["clapnq", "unanswerable"],
        )
    evidence = []
    for sentence in dict.fromkeys(s.strip() for s in outputs[0].get("selected_sentences", []) if s.strip()):
        doc_id = next((d for d in doc_ids if sentence in documents[d].text), None)
        if doc_id is None:
            notes.append(f"{where}: selected sentence not in the passage: {sentence[:60]!r}")
            continue
        evidence.append(EvidenceItem(doc_id=doc_id, quote=sentence))
    if not evidence:
        notes.append(f"{where}: no selected sentence found in the passage; skipped")
        return None
    answers = list(dict.fromkeys(str(o["answer"]).strip() for o in outputs))
    tags = ["clapnq", "answerable"] + (["multi-passage"] if len(evidence) > 1 else [])
    return EvalCase(
        id=str(row["id"]),
        question=question,
        answerable=True,
        reference_answer=answers[0],
        alternative_answers=answers[1:],
        evidence=evidence,
        tags=tags,
    )
