"""The evaluation runner: every question of a dataset through the real `Assistant`, for each variant.

A variant is a retrieval mode and an answer backend; several variants in one run are the ablations, side
by side. Records are handed to a sink as they are made (the run folder appends them to a JSONL file), and
questions already done are skipped, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..answer.backends.base import available_backends
from ..errors import AssistantError, ConfigError
from .dataset import Dataset, EvalCase
from .evaluators import DEFAULT_KS, AnswerEvaluator, Gold, RetrievalEvaluator, summarise, summarise_by_tag
from .judges import OverlapJudge, SupportJudge

if TYPE_CHECKING:
    from ..models import Answer, Passage
    from ..service import Assistant

MODES = ("hybrid", "dense", "bm25")
Record = dict[str, Any]


@dataclass(frozen=True)
class Variant:
    """One configuration under test: how passages are retrieved and which backend answers."""

    mode: str
    backend: str

    @property
    def name(self) -> str:
        return f"{self.mode}/{self.backend}"

    @classmethod
    def parse(cls, name: str) -> Variant:
        mode, _, backend = name.partition("/")
        return cls(mode, backend)


def variants_for(modes: Iterable[str], backends: Iterable[str]) -> list[Variant]:
    """Every combination of retrieval mode and backend, in the order given."""
    return [Variant(m, b) for b in dict.fromkeys(backends) for m in dict.fromkeys(modes)]


@dataclass
class EvaluationResult:
    """Per-question records and aggregate metrics of each variant."""

    records: dict[str, list[Record]] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, dict[str, float]]:
        return {name: summarise(records) for name, records in self.records.items()}

    @property
    def by_tag(self) -> dict[str, dict[str, dict[str, float]]]:
        return {name: summarise_by_tag(records) for name, records in self.records.items()}


class Evaluation:
    """Runs a dataset through an assistant and scores retrieval, answers, citations and abstention.

    Usable from Python as well as from the CLI::

        evaluation = Evaluation(assistant, load_jsonl_dataset("evals/dev.jsonl"))
        result = evaluation.run()
        result.metrics["hybrid/extractive"]["token_f1"]
    """

    def __init__(
        self,
        assistant: Assistant,
        dataset: Dataset,
        *,
        variants: Sequence[Variant] | None = None,
        ks: Sequence[int] = DEFAULT_KS,
        judge: SupportJudge | None = None,
    ) -> None:
        self.assistant = assistant
        self.dataset = dataset
        settings = assistant.settings
        self.variants = list(variants or [Variant(settings.retrieval.mode, settings.answer.backend)])
        known = available_backends()
        for variant in self.variants:
            if variant.mode not in MODES:
                raise ConfigError(f"unknown retrieval mode {variant.mode!r}; use {', '.join(MODES)}")
            if variant.backend not in known:  # fail before any question, not once per question
                raise ConfigError(
                    f"unknown answer backend {variant.backend!r}; available: {', '.join(known)}"
                )
        self.retrieval = RetrievalEvaluator(ks)
        self.answers = AnswerEvaluator(
            judge or OverlapJudge(assistant.embedder, settings.retrieval.bm25.stemmer)
        )
        self.gold = Gold.build(assistant, dataset)  # fails on a missing gold quote before any question
        self._retrieved: dict[tuple[str, str], list[Passage]] = {}

    def run(
        self,
        *,
        done: Iterable[Record] = (),
        sink: Callable[[Record], None] | None = None,
        progress: bool = False,
    ) -> EvaluationResult:
        """Evaluate every (variant, question) not already in `done`; each new record goes to `sink`."""
        result = EvaluationResult({v.name: [] for v in self.variants})
        finished: set[tuple[str, str]] = set()
        for record in done:
            if record["variant"] in result.records:
                result.records[record["variant"]].append(record)
                finished.add((record["variant"], record["id"]))
        todo = [
            (variant, case)
            for variant in self.variants
            for case in self.dataset.cases
            if (variant.name, case.id) not in finished
        ]
        bar = _progress(progress, len(todo), len(finished), self.dataset.name)
        try:
            for variant, case in todo:
                record = self.evaluate_case(case, variant)
                result.records[variant.name].append(record)
                if sink is not None:
                    sink(record)
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        order = {case.id: i for i, case in enumerate(self.dataset.cases)}
        for records in result.records.values():
            records.sort(key=lambda r: order.get(r["id"], len(order)))
        return result

    def evaluate_case(self, case: EvalCase, variant: Variant) -> Record:
        """Ask one question with one variant and score it."""
        record: Record = {
            "variant": variant.name,
            "id": case.id,
            "question": case.question,
            "tags": case.tags,
            "answerable": case.answerable,
            "reference_answer": case.reference_answer,
        }
        spans = self.gold.spans.get(case.id, [])
        history = case.chat_history()
        try:
            passages = self._retrieve(case, variant)
            answer = self.assistant.ask(
                case.question,
                history=history,
                filters=case.filters,
                backend=variant.backend,
                mode=variant.mode,
            )
        except AssistantError as exc:
            record.update(error=f"{type(exc).__name__}: {exc}", abstained=False, scores={}, retrieval=None)
            return record
        relevant = self.gold.relevant.get(case.id, set())
        record.update(_describe_answer(answer))
        record["retrieved"] = [
            {"id": p.id, "doc_id": p.doc_id, "start": p.start, "end": p.end, "relevant": p.id in relevant}
            for p in passages
        ]
        record["retrieval"] = self.retrieval(passages, spans, relevant) if case.answerable else None
        record["scores"] = self.answers(case, answer, spans)
        return record

    def _retrieve(self, case: EvalCase, variant: Variant) -> list[Passage]:
        """The ranked passages for the question's standalone form (shared by variants of the same mode)."""
        key = (variant.mode, case.id)
        if key not in self._retrieved:
            condensed = self.assistant.condensed(case.question, case.chat_history())
            retrieval = self.assistant.retrieve(
                condensed.search_text, filters=case.filters, top_k=self.retrieval.depth, mode=variant.mode
            )
            self._retrieved[key] = retrieval.passages
        return self._retrieved[key]


def _describe_answer(answer: Answer) -> Record:
    return {
        "standalone_question": answer.standalone_question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "abstain_reason": answer.abstain_reason,
        "evidence_score": answer.evidence_score,
        "backend_fallback": answer.backend_fallback,
        "citations": [
            {"n": c.n, "doc_id": c.doc_id, "start": c.start, "end": c.end, "quote": c.quote, "score": c.score}
            for c in answer.citations
        ],
        "timings": answer.timings.model_dump(),
    }


def _progress(enabled: bool, total: int, initial: int, name: str):  # type: ignore[no-untyped-def]
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total + initial, initial=initial, desc=name, unit="question", leave=False)
