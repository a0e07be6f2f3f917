"""Evaluation datasets: the JSONL schema, its validation, and the gold evidence spans in the documents.

A dataset line is one case (see `evals/README.md`). Loading validates every line before any work starts
and names the file, line and field of each problem; gold quotes are located in the indexed documents
before any question is asked, and a quote that is not there is an error, never a silent zero.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import AssistantError
from ..models import ChatMessage, Filters

MAX_REPORTED_PROBLEMS = 20

# A dataset is split in two fixed halves: one to tune on, one kept aside to check that what was tuned
# generalises. A case's half is a hash of its id, so it never moves when cases are added or reordered; the
# salt was chosen once so that the real-corpus set's kinds (cross-lingual, follow-ups, two-document,
# unanswerable of each kind) fall about evenly in both halves.
HALVES = ("tune", "check")
HALF_SALT = "742:"


class DatasetError(AssistantError):
    """A dataset that cannot be evaluated: malformed lines, duplicate ids, no cases."""


class MissingEvidenceError(DatasetError):
    """Gold quotes that do not occur in their documents (or name documents that are not indexed)."""


class EvidenceItem(BaseModel):
    """A verbatim quote from a document that supports the reference answer."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(min_length=1)
    quote: str = Field(min_length=1)
    start: int | None = Field(
        None, ge=0, description="Offset of the quote in the document text, when it occurs more than once."
    )


class Turn(BaseModel):
    """An earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class EvalCase(BaseModel):
    """One question with its expected outcome."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answerable: bool
    reference_answer: str
    alternative_answers: list[str] = Field(default_factory=list)
    evidence: list[EvidenceItem] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    history: list[Turn] = Field(default_factory=list)
    filters: Filters | None = None

    @field_validator("question", "id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EvalCase:
        if self.answerable:
            if not self.reference_answer.strip():
                raise ValueError("reference_answer: an answerable case needs a reference answer")
            if not self.evidence:
                raise ValueError("evidence: an answerable case needs at least one evidence item")
            if "unanswerable" in self.tags:
                raise ValueError("tags: an answerable case cannot be tagged 'unanswerable'")
        else:
            if self.reference_answer.strip() or self.alternative_answers:
                raise ValueError("reference_answer: must be empty when answerable is false")
            if self.evidence:
                raise ValueError("evidence: must be [] when answerable is false")
        if "follow-up" in self.tags and not self.history:
            raise ValueError("history: a 'follow-up' case needs the earlier turns")
        if "multi-passage" in self.tags and len(self.evidence) < 2:
            raise ValueError("evidence: a 'multi-passage' case needs at least two evidence items")
        return self

    @property
    def references(self) -> list[str]:
        return [self.reference_answer, *self.alternative_answers] if self.answerable else []

    def chat_history(self) -> list[ChatMessage]:
        return [ChatMessage(role=t.role, content=t.content) for t in self.history]


@dataclass
class Dataset:
    """Cases to evaluate, with where they came from."""

    name: str
    cases: list[EvalCase]
    source: str = ""
    fingerprint: str = ""
    notes: list[str] = field(default_factory=list)  # what a loader skipped, and why

    def __len__(self) -> int:
        return len(self.cases)

    def half(self, name: str | None) -> Dataset:
        """The cases of one fixed half, 'tune' or 'check' (all of them when None or 'all')."""
        if name in (None, "all"):
            return self
        if name not in HALVES:
            raise DatasetError(f"unknown half {name!r}; use one of {', '.join(HALVES)} or all")
        cases = [case for case in self.cases if half_of(case.id) == name]
        return Dataset(f"{self.name}-{name}", cases, self.source, fingerprint_cases(cases), self.notes)

    def limited(self, limit: int | None) -> Dataset:
        """The first `limit` cases (all when None)."""
        if limit is None or limit >= len(self.cases):
            return self
        return Dataset(self.name, self.cases[:limit], self.source, self.fingerprint, self.notes)


def half_of(case_id: str) -> str:
    """The half ('tune' or 'check') a case belongs to, by a hash of its id."""
    return HALVES[hashlib.sha256((HALF_SALT + case_id).encode("utf-8")).digest()[0] % 2]


def fingerprint_cases(cases: Iterable[EvalCase]) -> str:
    digest = hashlib.sha256()
    for case in cases:
        digest.update(case.model_dump_json().encode("utf-8"))
    return digest.hexdigest()[:16]


def load_jsonl_dataset(path: str | Path) -> Dataset:
    """Read and validate a JSONL dataset; every problem names the file, line and field."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot be read as UTF-8 text: {exc}") from exc
    cases: list[EvalCase] = []
    problems: list[str] = []
    first_line_of: dict[str, int] = {}
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(data, dict):
            problems.append(f"{path}:{number}: expected a JSON object, got {type(data).__name__}")
            continue
        try:
            case = EvalCase.model_validate(data)
        except ValidationError as exc:
            problems.extend(f"{path}:{number}: {message}" for message in describe(exc))
            continue
        if case.id in first_line_of:
            problems.append(
                f"{path}:{number}: field 'id': {case.id!r} is already used on line {first_line_of[case.id]}"
            )
            continue
        first_line_of[case.id] = number
        cases.append(case)
    if problems:
        raise DatasetError(summarise(f"{path} has {len(problems)} problem(s)", problems))
    if not cases:
        raise DatasetError(f"{path}: the dataset is empty (no cases)")
    return Dataset(path.stem, cases, str(path), fingerprint_cases(cases))


def describe(exc: ValidationError) -> list[str]:
    """One line per validation error: the field path and what is wrong."""
    out = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if not location and ":" in message:  # a cross-field check names its field first
            location, _, message = message.partition(": ")
        out.append(f"field '{location}': {message}" if location else message)
    return out


def summarise(headline: str, problems: list[str]) -> str:
    shown = problems[:MAX_REPORTED_PROBLEMS]
    more = len(problems) - len(shown)
    tail = [f"... and {more} more"] if more else []
    return "\n  ".join([headline + ":", *shown, *tail])


# --- gold evidence in the documents -----------------------------------------------------------------------


@dataclass(frozen=True)
class GoldSpan:
    """Where an evidence item's quote sits in its document."""

    item: int  # index into the case's evidence list
    doc_id: str
    start: int
    end: int

    def overlaps(self, doc_id: str, start: int, end: int) -> bool:
        return doc_id == self.doc_id and start < self.end and self.start < end


def locate_evidence(
    dataset: Dataset, document_text: Callable[[str], str | None]
) -> dict[str, list[GoldSpan]]:
    """Every case's gold spans; raises `MissingEvidenceError` listing each quote that is not found.

    `document_text(doc_id)` returns a document's text, or None when the document is not indexed. A quote
    that occurs several times counts at each place, unless the item gives its `start`.
    """
    texts: dict[str, str | None] = {}
    spans: dict[str, list[GoldSpan]] = {}
    problems: list[str] = []
    for case in dataset.cases:
        found: list[GoldSpan] = []
        for index, item in enumerate(case.evidence):
            if item.doc_id not in texts:
                texts[item.doc_id] = document_text(item.doc_id)
            text = texts[item.doc_id]
            where = f"case {case.id!r}, evidence {index}"
            if text is None:
                problems.append(f"{where}: document {item.doc_id!r} is not in the index")
                continue
            if item.start is not None:
                if text[item.start : item.start + len(item.quote)] != item.quote:
                    problems.append(f"{where}: the quote is not at offset {item.start} of {item.doc_id!r}")
                    continue
                found.append(GoldSpan(index, item.doc_id, item.start, item.start + len(item.quote)))
                continue
            places = _occurrences(text, item.quote)
            if not places:
                problems.append(f"{where}: quote not found verbatim in {item.doc_id!r}: {item.quote[:80]!r}")
            found.extend(GoldSpan(index, item.doc_id, start, end) for start, end in places)
        spans[case.id] = found
    if problems:
        raise MissingEvidenceError(summarise(f"{len(problems)} gold quote(s) of {dataset.name}", problems))
    return spans


def _occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    """Where `quote` stands in `text` (start, end), whitespace runs matching any whitespace run.

    A PDF's text breaks a sentence over lines ("deliver \nthe first AI Growth Zone") where a quote written
    by hand has one space, and the same sentence often stands twice in a document (in its summary and in its
    body), once on one line and once broken: both places are the quote.
    """
    words = quote.split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(re.escape(word) for word in words))
    return [match.span() for match in _overlapping(pattern, text)]


def _overlapping(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    position = 0
    while (match := pattern.search(text, position)) is not None:
        yield match
        position = match.start() + 1
