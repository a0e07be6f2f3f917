"""PolicyQA (SQuAD v1.1 format): each privacy policy becomes one document, each question one case.

A policy's paragraphs are joined with blank lines into the document text; an answer span becomes an
evidence item at its exact offset in that text, and each case is filtered to its own policy (PolicyQA asks
about one policy at a time). Cases are shuffled with a fixed seed so that `--limit N` spreads over all
policies.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from ..models import Filters
from .dataset import Dataset, DatasetError, EvalCase, EvidenceItem, fingerprint_cases
from .workspace import SourceDocument

SEED = 13


def policy_id(title: str) -> str:
    return "policyqa-" + (re.sub(r"[^a-z0-9_.-]+", "-", title.lower()).strip("-.") or "policy")


def load_policyqa(path: str | Path) -> tuple[Dataset, list[SourceDocument]]:
    """The cases and the policy documents of a PolicyQA (SQuAD-format) JSON file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: not a readable JSON file: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise DatasetError(f"{path}: field 'data': expected a list of policies (SQuAD format)")
    documents: list[SourceDocument] = []
    cases: list[EvalCase] = []
    problems: list[str] = []
    for p_index, policy in enumerate(data["data"]):
        where = f"{path}: data[{p_index}]"
        try:
            document, policy_cases, skipped = _policy(policy, where)
        except (KeyError, TypeError, ValueError) as exc:
            raise DatasetError(f"{where}: malformed policy ({type(exc).__name__}: {exc})") from exc
        documents.append(document)
        cases.extend(policy_cases)
        problems.extend(skipped)
    if not cases:
        raise DatasetError(f"{path}: the dataset is empty (no questions with answers)")
    random.Random(SEED).shuffle(cases)
    return Dataset("policyqa-" + path.stem, cases, str(path), fingerprint_cases(cases), problems), documents


def _policy(policy: dict[str, Any], where: str) -> tuple[SourceDocument, list[EvalCase], list[str]]:
    title = str(policy["title"])
    doc_id = policy_id(title)
    parts: list[str] = []
    cases: list[EvalCase] = []
    skipped: list[str] = []
    offset = 0
    for paragraph in policy["paragraphs"]:
        context = str(paragraph["context"]).replace("\r\n", "\n").replace("\r", "\n")
        for qa in paragraph["qas"]:
            answers = _answers(qa, context, offset)
            if not answers:
                skipped.append(f"{where}: question {qa.get('id')!r}: no answer span found in its paragraph")
                continue
            texts = list(dict.fromkeys(a[0] for a in answers))
            category = str(qa.get("type", "")).split("|||")[0]
            tags = ["policyqa"] + (
                [re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-")] if category else []
            )
            cases.append(
                EvalCase(
                    id=str(qa["id"]),
                    question=str(qa["question"]),
                    answerable=True,
                    reference_answer=texts[0],
                    alternative_answers=texts[1:],
                    evidence=[
                        EvidenceItem(doc_id=doc_id, quote=text, start=start) for text, start in answers[:1]
                    ],
                    tags=tags,
                    filters=Filters(doc_ids=[doc_id]),
                )
            )
        parts.append(context)
        offset += len(context) + 2
    return SourceDocument(doc_id, title, "\n\n".join(parts), ["policyqa"]), cases, skipped


def _answers(qa: dict[str, Any], context: str, offset: int) -> list[tuple[str, int]]:
    """(answer text, offset in the document) of each answer whose span is found in the paragraph."""
    out = []
    for answer in qa.get("answers", []):
        text = str(answer.get("text", "")).strip()
        if not text:
            continue
        start = int(answer.get("answer_start", -1))
        if context[start : start + len(text)] != text:
            found = [m.start() for m in re.finditer(re.escape(text), context)]
            if not found:
                continue
            start = min(found, key=lambda s: abs(s - start))  # the occurrence nearest the stated offset
        out.append((text, offset + start))
    return out
