"""The evaluation harness: datasets, metrics, evaluators, runner, reports, public-dataset loaders.

From Python::

    from assistant.evaluation import Evaluation, load_jsonl_dataset
    result = Evaluation(assistant, load_jsonl_dataset("evals/dev.jsonl")).run()
    print(result.metrics)
"""

from .beir import BeirData, evaluate_beir, load_beir
from .calibrate import choose, sweep
from .clapnq import load_clapnq
from .dataset import (
    Dataset,
    DatasetError,
    EvalCase,
    EvidenceItem,
    GoldSpan,
    MissingEvidenceError,
    load_jsonl_dataset,
    locate_evidence,
)
from .evaluators import AnswerEvaluator, Gold, RetrievalEvaluator, summarise, summarise_by_tag
from .gate import Gate, check_gate, load_gate
from .judges import LLMJudge, OverlapJudge, SupportJudge
from .policyqa import load_policyqa
from .runner import Evaluation, EvaluationResult, Variant, variants_for
from .runs import RunFolder
from .sources import load_source
from .workspace import SourceDocument, evaluation_index

__all__ = [
    "AnswerEvaluator",
    "BeirData",
    "Dataset",
    "DatasetError",
    "EvalCase",
    "Evaluation",
    "EvaluationResult",
    "EvidenceItem",
    "Gate",
    "Gold",
    "GoldSpan",
    "LLMJudge",
    "MissingEvidenceError",
    "OverlapJudge",
    "RetrievalEvaluator",
    "RunFolder",
    "SourceDocument",
    "SupportJudge",
    "Variant",
    "check_gate",
    "choose",
    "evaluate_beir",
    "evaluation_index",
    "load_beir",
    "load_clapnq",
    "load_gate",
    "load_jsonl_dataset",
    "load_policyqa",
    "load_source",
    "locate_evidence",
    "summarise",
    "summarise_by_tag",
    "sweep",
    "variants_for",
]
