"""`assistant eval run`: every question of a dataset through the assistant, scored, with reports and a gate."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

import click

from ...config import Settings
from ..runs import DEFAULT_RUNS_DIR, RunFolder, RunFolderError
from ..sources import FORMATS, load_source
from .common import (
    apply_gate,
    assistant_for,
    check_same_settings,
    context,
    eval_group,
    half_option,
    make_judge,
    print_metrics,
    run_meta,
    split_values,
)

if TYPE_CHECKING:
    from ..dataset import Dataset
    from ..workspace import SourceDocument


# --- run ------------------------------------------------------------------------------------------------


@eval_group.command("run")
@click.argument("dataset", required=False, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="Dataset format: the project's JSONL, PolicyQA (SQuAD JSON) or ClapNQ (JSONL).",
)
@click.option(
    "--corpus",
    multiple=True,
    type=click.Path(),
    help="Files or folders a JSONL dataset is about (default: the ingest.paths setting).",
)
@click.option(
    "--index-dir",
    type=click.Path(file_okay=False),
    help="Keep the evaluation index here and re-use it next time (default: a temporary folder).",
)
@click.option("--use-index", is_flag=True, help="Evaluate the configured index as it is (no ingest).")
@click.option(
    "--mode",
    "modes",
    multiple=True,
    help="Retrieval mode(s) to compare: hybrid, dense, bm25 or all (repeat or comma-separate).",
)
@click.option(
    "--backend", "backends", multiple=True, help="Answer backend(s) to compare, by registered name."
)
@click.option("--limit", type=click.IntRange(1), help="Only the first N questions.")
@half_option("Only one fixed half of the dataset: 'tune' to tune on, 'check' to report (split by id hash).")
@click.option(
    "--judge",
    type=click.Choice(["overlap", "llm"]),
    default="overlap",
    show_default=True,
    help="How citation support and faithfulness are judged: term/embedding overlap or an LLM.",
)
@click.option("--judge-backend", help="The backend the LLM judge asks (default: answer.backend).")
@click.option(
    "--gate",
    "gate_path",
    type=click.Path(dir_okay=False),
    help="Fail (exit 1) when the metrics break this quality gate, e.g. configs/quality-gate.yaml.",
)
@click.option(
    "--runs-dir", type=click.Path(file_okay=False), default=str(DEFAULT_RUNS_DIR), show_default=True
)
@click.option("--name", help="Name of the run folder (default: the dataset's name).")
@click.option(
    "--resume",
    "resume",
    type=click.Path(file_okay=False, exists=True),
    help="Continue an interrupted run folder with its recorded options.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def run_command(
    dataset: str | None,
    fmt: str,
    corpus: tuple[str, ...],
    index_dir: str | None,
    use_index: bool,
    modes: tuple[str, ...],
    backends: tuple[str, ...],
    limit: int | None,
    half: str,
    judge: str,
    judge_backend: str | None,
    gate_path: str | None,
    runs_dir: str,
    name: str | None,
    resume: str | None,
    as_json: bool,
) -> None:
    """Ask every question of DATASET, score it, print the metric table and write the reports."""
    settings: Settings = context().settings
    if resume:
        folder = RunFolder(resume)
        meta = folder.meta()
        if meta.get("kind") != "answers":
            raise RunFolderError(f"{resume} is not a question-answering run")
        check_same_settings(meta.get("settings", {}), settings)
        options = meta["options"]
    else:
        if dataset is None:
            raise click.UsageError("give a DATASET, or --resume RUN")
        options = {
            "dataset": dataset,
            "format": fmt,
            "corpus": list(corpus),
            "index_dir": index_dir,
            "use_index": use_index,
            "limit": limit,
            "half": half,
            "judge": judge,
            "judge_backend": judge_backend,
            "modes": split_values(modes, ("hybrid", "dense", "bm25")) or [settings.retrieval.mode],
            "backends": split_values(backends) or [settings.answer.backend],
        }
        folder = None
    data, documents = load_source(options["dataset"], options["format"])
    data = data.half(options.get("half")).limited(options["limit"])
    if resume and meta["dataset"]["fingerprint"] != data.fingerprint:
        raise RunFolderError(
            f"the dataset {options['dataset']} changed since {resume} started; start a new run"
        )
    if folder is None:
        folder = RunFolder.create(runs_dir, name or data.name)
        folder.write_meta(run_meta("answers", data, options, settings))
    result = _evaluate(settings, data, documents, options, folder)
    results = _finish_answers(folder, data, options, settings, result)
    print_metrics(results["metrics"], as_json)
    click.echo(f"\nreports: {folder.path / 'report.html'}  {folder.path / 'report.md'}", err=as_json)
    for note in data.notes[:5]:
        click.echo(f"note: {note}", err=True)
    if gate_path:
        apply_gate(gate_path, results["metrics"])


def _evaluate(
    settings: Settings,
    data: Dataset,
    documents: list[SourceDocument] | None,
    options: dict[str, Any],
    folder: RunFolder,
) -> Any:
    from ..runner import Evaluation, variants_for

    progress = sys.stderr.isatty()
    done = folder.records()
    with assistant_for(settings, options, documents, progress) as assistant:
        judge = make_judge(assistant, options)
        variants = variants_for(options["modes"], options["backends"])
        evaluation = Evaluation(assistant, data, variants=variants, judge=judge)
        try:
            return evaluation.run(done=done, sink=folder.append, progress=progress)
        except KeyboardInterrupt:
            saved = len(folder.records())
            click.echo(
                f"interrupted: {saved} results saved; continue with: assistant eval run --resume {folder.path}",
                err=True,
            )
            sys.exit(130)


def _finish_answers(
    folder: RunFolder, data: Dataset, options: dict[str, Any], settings: Settings, result: Any
) -> dict[str, Any]:
    from ..report import write_answer_report

    results = {
        **folder.meta(),
        "finished": dt.datetime.now().isoformat(timespec="seconds"),
        "notes": data.notes,
        "metrics": result.metrics,
        "by_tag": result.by_tag,
        "records": result.records,
    }
    folder.write_results(results)
    write_answer_report(folder.path, results)
    return results
