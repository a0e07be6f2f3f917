"""What the `assistant eval` commands share: the group, option parsing, the evaluated assistant, gates."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from ...config import Settings
from ...errors import ConfigError
from ..runs import RunFolderError

if TYPE_CHECKING:
    from ...index.embedder import Embedder
    from ...service import Assistant
    from ..dataset import Dataset
    from ..workspace import SourceDocument


# Settings that do not change what a run measures (where things are stored, how much is logged).
NEUTRAL_SETTINGS = ("data_dir", "log_level", "profile", "store")


def context() -> Any:
    """The `assistant` command's context object (settings from --config, --profile, --data-dir)."""
    return click.get_current_context().obj


def split_values(values: tuple[str, ...], every: tuple[str, ...] = ()) -> list[str]:
    """Repeated and comma-separated option values; 'all' means every one of `every`."""
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part == "all" and every:
                out.extend(every)
            elif part:
                out.append(part)
    return list(dict.fromkeys(out))


def half_option(help: str) -> Any:
    """The --half option: one fixed half of a dataset ('tune' or 'check', by id hash), or all of it."""
    return click.option(
        "--half", type=click.Choice(["tune", "check", "all"]), default="all", show_default=True, help=help
    )


@click.group("eval")
def eval_group() -> None:
    """Measure retrieval, answers, citations, faithfulness and abstention on datasets."""


@contextmanager
def assistant_for(
    settings: Settings,
    options: dict[str, Any],
    documents: list[SourceDocument] | None,
    progress: bool,
    embedder: Embedder | None = None,
) -> Iterator[Assistant]:
    from ..workspace import evaluation_index

    if options.get("use_index"):
        if documents is not None:
            raise ConfigError("--use-index works with a JSONL dataset about an ingested corpus")
        from ...service import Assistant

        assistant = Assistant(settings, embedder=embedder)
        try:
            yield assistant
        finally:
            assistant.close()
        return
    corpus = options.get("corpus") or (
        [] if documents is not None else [str(p) for p in settings.ingest.paths]
    )
    with evaluation_index(
        settings,
        embedder=embedder,
        index_dir=options.get("index_dir"),
        corpus=corpus,
        documents=documents,
        progress=progress,
    ) as assistant:
        yield assistant


def make_judge(assistant: Assistant, options: dict[str, Any]) -> Any:
    from ..judges import LLMJudge, OverlapJudge

    if options.get("judge") == "llm":
        from ...answer.backends import create_backend

        name = options.get("judge_backend") or assistant.settings.answer.backend
        return LLMJudge(create_backend(name, assistant.settings))
    return OverlapJudge(assistant.embedder, assistant.settings.retrieval.bm25.stemmer)


def run_meta(kind: str, data: Dataset, options: dict[str, Any], settings: Settings) -> dict[str, Any]:
    return {
        "kind": kind,
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "dataset": {
            "name": data.name,
            "source": data.source,
            "cases": len(data),
            "fingerprint": data.fingerprint,
        },
        "options": options,
        "settings": settings.model_dump(mode="json", by_alias=True),
    }


def check_same_settings(recorded: dict[str, Any], settings: Settings) -> None:
    current = settings.model_dump(mode="json", by_alias=True)
    changed = sorted(
        k
        for k in set(recorded) | set(current)
        if k not in NEUTRAL_SETTINGS and recorded.get(k) != current.get(k)
    )
    if changed:
        raise RunFolderError(
            f"the settings changed since the run started ({', '.join(changed)}); resume with the same settings"
        )


def print_metrics(metrics: dict[str, dict[str, float]], as_json: bool) -> None:
    from ..report import metric_rows, text_table

    if as_json:
        click.echo(json.dumps(metrics, indent=2))
    else:
        click.echo(text_table(metric_rows(metrics)))


def apply_gate(path: str, metrics: dict[str, dict[str, float]]) -> None:
    from ..gate import check_gate, load_gate

    gate = load_gate(path)
    if gate.variant not in metrics:
        raise ConfigError(f"the gate judges variant {gate.variant!r}, which this run did not evaluate")
    verdict = check_gate(gate, metrics[gate.variant])
    if verdict.passed:
        click.echo(f"quality gate passed ({len(verdict.checked)} metrics)", err=True)
        return
    for failure in verdict.failures:
        click.echo(f"quality gate: {failure}", err=True)
    sys.exit(1)
