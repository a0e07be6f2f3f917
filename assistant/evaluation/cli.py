"""`assistant eval ...`: run datasets through the assistant, benchmark retrieval, calibrate, compare runs."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..config import Settings
from ..errors import AssistantError, ConfigError
from .dataset import DatasetError, locate_evidence
from .runs import DEFAULT_RUNS_DIR, RunFolder, RunFolderError
from .sources import FORMATS, load_source

if TYPE_CHECKING:
    from ..index.embedder import Embedder
    from ..service import Assistant
    from .dataset import Dataset
    from .workspace import SourceDocument

# Settings that do not change what a run measures (where things are stored, how much is logged).
_NEUTRAL_SETTINGS = ("data_dir", "log_level", "profile", "store")


def _context() -> Any:
    """The `assistant` command's context object (settings from --config, --profile, --data-dir)."""
    return click.get_current_context().obj


def _split(values: tuple[str, ...], every: tuple[str, ...] = ()) -> list[str]:
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


@click.group("eval")
def eval_group() -> None:
    """Measure retrieval, answers, citations, faithfulness and abstention on datasets."""


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
    judge: str,
    judge_backend: str | None,
    gate_path: str | None,
    runs_dir: str,
    name: str | None,
    resume: str | None,
    as_json: bool,
) -> None:
    """Ask every question of DATASET, score it, print the metric table and write the reports."""
    settings: Settings = _context().settings
    if resume:
        folder = RunFolder(resume)
        meta = folder.meta()
        if meta.get("kind") != "answers":
            raise RunFolderError(f"{resume} is not a question-answering run")
        _check_same_settings(meta.get("settings", {}), settings)
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
            "judge": judge,
            "judge_backend": judge_backend,
            "modes": _split(modes, ("hybrid", "dense", "bm25")) or [settings.retrieval.mode],
            "backends": _split(backends) or [settings.answer.backend],
        }
        folder = None
    data, documents = load_source(options["dataset"], options["format"])
    data = data.limited(options["limit"])
    if resume and meta["dataset"]["fingerprint"] != data.fingerprint:
        raise RunFolderError(
            f"the dataset {options['dataset']} changed since {resume} started; start a new run"
        )
    if folder is None:
        folder = RunFolder.create(runs_dir, name or data.name)
        folder.write_meta(_meta("answers", data, options, settings))
    result = _evaluate(settings, data, documents, options, folder)
    results = _finish_answers(folder, data, options, settings, result)
    _print_metrics(results["metrics"], as_json)
    click.echo(f"\nreports: {folder.path / 'report.html'}  {folder.path / 'report.md'}", err=as_json)
    for note in data.notes[:5]:
        click.echo(f"note: {note}", err=True)
    if gate_path:
        _apply_gate(gate_path, results["metrics"])


def _evaluate(
    settings: Settings,
    data: Dataset,
    documents: list[SourceDocument] | None,
    options: dict[str, Any],
    folder: RunFolder,
) -> Any:
    from .runner import Evaluation, variants_for

    progress = sys.stderr.isatty()
    done = folder.records()
    with _assistant_for(settings, options, documents, progress) as assistant:
        judge = _make_judge(assistant, options)
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


@contextmanager
def _assistant_for(
    settings: Settings,
    options: dict[str, Any],
    documents: list[SourceDocument] | None,
    progress: bool,
    embedder: Embedder | None = None,
) -> Iterator[Assistant]:
    from .workspace import evaluation_index

    if options.get("use_index"):
        if documents is not None:
            raise ConfigError("--use-index works with a JSONL dataset about an ingested corpus")
        from ..service import Assistant

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


def _make_judge(assistant: Assistant, options: dict[str, Any]) -> Any:
    from .judges import LLMJudge, OverlapJudge

    if options.get("judge") == "llm":
        from ..answer.backends import create_backend

        name = options.get("judge_backend") or assistant.settings.answer.backend
        return LLMJudge(create_backend(name, assistant.settings))
    return OverlapJudge(assistant.embedder, assistant.settings.retrieval.bm25.stemmer)


def _meta(kind: str, data: Dataset, options: dict[str, Any], settings: Settings) -> dict[str, Any]:
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


def _check_same_settings(recorded: dict[str, Any], settings: Settings) -> None:
    current = settings.model_dump(mode="json", by_alias=True)
    changed = sorted(
        k
        for k in set(recorded) | set(current)
        if k not in _NEUTRAL_SETTINGS and recorded.get(k) != current.get(k)
    )
    if changed:
        raise RunFolderError(
            f"the settings changed since the run started ({', '.join(changed)}); resume with the same settings"
        )


def _finish_answers(
    folder: RunFolder, data: Dataset, options: dict[str, Any], settings: Settings, result: Any
) -> dict[str, Any]:
    from .report import write_answer_report

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


def _print_metrics(metrics: dict[str, dict[str, float]], as_json: bool) -> None:
    from .report import metric_rows, text_table

    if as_json:
        click.echo(json.dumps(metrics, indent=2))
    else:
        click.echo(text_table(metric_rows(metrics)))


def _apply_gate(path: str, metrics: dict[str, dict[str, float]]) -> None:
    from .gate import check_gate, load_gate

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


# --- validate -------------------------------------------------------------------------------------------


@eval_group.command("validate")
@click.argument("dataset", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option(
    "--corpus",
    multiple=True,
    type=click.Path(),
    help="Files or folders holding the documents (default: the ingest.paths setting).",
)
def validate_command(dataset: str, fmt: str, corpus: tuple[str, ...]) -> None:
    """Check DATASET's schema and that every gold quote occurs in its document (nothing is embedded)."""
    from ..ingest.loaders import load_document
    from ..ingest.pipeline import discover

    settings: Settings = _context().settings
    data, documents = load_source(dataset, fmt)
    if documents is not None:
        texts = {d.id: d.text for d in documents}
    else:
        paths = [Path(p) for p in corpus] or list(settings.ingest.paths)
        files, _, _ = discover(paths, settings.ingest.extensions)
        texts = {}
        for file in files:
            try:
                document = load_document(file)
            except AssistantError:
                continue
            texts[document.id] = document.text
    spans = locate_evidence(data, texts.get)
    tags: dict[str, int] = {}
    for case in data.cases:
        for tag in case.tags:
            tags[tag] = tags.get(tag, 0) + 1
    click.echo(
        f"{data.source}: {len(data)} cases, {sum(len(c.evidence) for c in data.cases)} evidence items, "
        f"{sum(len(s) for s in spans.values())} gold spans located"
    )
    click.echo("tags: " + ", ".join(f"{t} {n}" for t, n in sorted(tags.items(), key=lambda x: (-x[1], x[0]))))


# --- retrieval (BEIR) -----------------------------------------------------------------------------------


@eval_group.command("retrieval")
@click.option(
    "--beir",
    "beir_dir",
    required=True,
    type=click.Path(),
    help="A BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv.",
)
@click.option("--split", default="test", show_default=True, help="Which qrels file to score against.")
@click.option("--mode", "modes", multiple=True, help="Retrieval modes (default: dense, bm25 and hybrid).")
@click.option("--limit", type=click.IntRange(1), help="Only the first N judged queries.")
@click.option(
    "--index-dir",
    type=click.Path(file_okay=False),
    help="Keep the index here and re-use it (default: a temporary folder).",
)
@click.option(
    "--runs-dir", type=click.Path(file_okay=False), default=str(DEFAULT_RUNS_DIR), show_default=True
)
@click.option("--name", help="Name of the run folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def retrieval_command(
    beir_dir: str,
    split: str,
    modes: tuple[str, ...],
    limit: int | None,
    index_dir: str | None,
    runs_dir: str,
    name: str | None,
    as_json: bool,
) -> None:
    """Index a BEIR corpus and report nDCG@10, Recall@10/100 and MRR@10 per retrieval mode."""
    from .beir import evaluate_beir, load_beir
    from .report import write_retrieval_report

    settings: Settings = _context().settings
    data = load_beir(beir_dir, split)
    chosen = _split(modes, ("dense", "bm25", "hybrid")) or ["dense", "bm25", "hybrid"]
    progress = sys.stderr.isatty()
    folder = RunFolder.create(runs_dir, name or f"beir-{data.name}-{split}")
    queries = min(len(data.queries), limit or len(data.queries))
    meta = {
        "kind": "retrieval",
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "dataset": {
            "name": f"{data.name} ({split})",
            "source": beir_dir,
            "cases": queries,
            "documents": len(data.documents),
        },
        "options": {"modes": chosen, "limit": limit, "split": split, "index_dir": index_dir},
        "settings": settings.model_dump(mode="json", by_alias=True),
    }
    folder.write_meta(meta)
    options = {"index_dir": index_dir}
    with _assistant_for(settings, options, data.documents, progress) as assistant:
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=queries * len(chosen), desc="queries", unit="query", leave=False)
        try:
            metrics, records = evaluate_beir(
                assistant, data, chosen, limit=limit, on_query=(bar.update if bar is not None else None)
            )
        finally:
            if bar is not None:
                bar.close()
        meta["dataset"]["chunks"] = assistant.index.count()
    results = {
        **meta,
        "finished": dt.datetime.now().isoformat(timespec="seconds"),
        "metrics": metrics,
        "records": records,
    }
    folder.write_results(results)
    write_retrieval_report(folder.path, results)
    _print_metrics(metrics, as_json)
    click.echo(f"\nreports: {folder.path / 'report.html'}  {folder.path / 'report.md'}", err=as_json)


# --- calibrate ------------------------------------------------------------------------------------------


@eval_group.command("calibrate")
@click.argument("datasets", nargs=-1, required=True, type=click.Path())
@click.option("--corpus", multiple=True, type=click.Path(), help="Corpus of the JSONL datasets.")
@click.option("--limit", type=click.IntRange(1), help="Only the first N questions of each dataset.")
@click.option(
    "--index-dir",
    type=click.Path(file_okay=False),
    help="Keep each dataset's index in a subfolder here and re-use it.",
)
@click.option("--step", type=click.FloatRange(0.001, 0.5), default=0.01, show_default=True)
@click.option(
    "--runs-dir", type=click.Path(file_okay=False), default=str(DEFAULT_RUNS_DIR), show_default=True
)
def calibrate_command(
    datasets: tuple[str, ...],
    corpus: tuple[str, ...],
    limit: int | None,
    index_dir: str | None,
    step: float,
    runs_dir: str,
) -> None:
    """Sweep answer.abstain_threshold over DATASETS and pick the one with the best abstention F1."""
    from ..index.embedder import Embedder
    from .calibrate import choose, default_thresholds, sweep
    from .runner import Evaluation
    from .workspace import derive_settings

    base: Settings = _context().settings
    settings = derive_settings(base, answer={"abstain_threshold": 0.0})
    embedder = Embedder(settings.embedding)
    progress = sys.stderr.isatty()
    runs: dict[str, list[dict[str, Any]]] = {}
    for path in datasets:
        data, documents = load_source(path)
        data = data.limited(limit)
        options = {
            "corpus": list(corpus),
            "index_dir": str(Path(index_dir) / data.name) if index_dir else None,
        }
        with _assistant_for(settings, options, documents, progress, embedder) as assistant:
            result = Evaluation(assistant, data).run(progress=progress)
        runs[data.name] = next(iter(result.records.values()))
    rows = sweep(runs, default_thresholds(step))
    best = choose(rows)
    current = min(rows, key=lambda r: abs(r["threshold"] - base.answer.abstain_threshold))
    folder = RunFolder.create(runs_dir, "calibrate-" + "+".join(runs))
    _write_calibration(folder, runs, rows, best, base)
    # The terminal shows F1 and false refusals; the reports keep precision and recall too.
    columns = [c for c in rows[0] if c.endswith(("abstention_f1", "false_refusal_rate"))]
    table = [["threshold", *columns]]
    shown = {round(t * 20) / 20 for t in default_thresholds(0.05)} | {best["threshold"], current["threshold"]}
    for row in rows:
        if row["threshold"] in shown:
            mark = " *" if row is best else (" (current)" if row is current else "")
            table.append([f"{row['threshold']:.2f}{mark}", *(f"{row[c]:.3f}" for c in columns)])
    from .report import text_table

    click.echo(text_table(table))
    click.echo(
        f"\nbest threshold: {best['threshold']:.2f} (mean abstention F1 {best['mean_abstention_f1']:.3f}, "
        f"false refusals {best['mean_false_refusal_rate']:.3f}); current {base.answer.abstain_threshold}"
    )
    click.echo(f"reports: {folder.path / 'report.html'}  {folder.path / 'report.md'}")


def _write_calibration(
    folder: RunFolder,
    runs: dict[str, list[dict[str, Any]]],
    rows: list[dict[str, float]],
    best: dict[str, float],
    settings: Settings,
) -> None:
    from .report import ReportDocument, plot_lines

    folder.write_results(
        {
            "kind": "calibration",
            "created": dt.datetime.now().isoformat(timespec="seconds"),
            "datasets": list(runs),
            "criterion": "mean abstention F1, then fewer false refusals, then lower threshold",
            "best": best,
            "sweep": rows,
            "records": runs,
            "settings": settings.model_dump(mode="json", by_alias=True),
        }
    )
    doc = ReportDocument("Abstention calibration: " + ", ".join(runs), folder.path)
    doc.paragraph(
        f"Best threshold {best['threshold']:.2f}: mean abstention F1 {best['mean_abstention_f1']:.3f}, "
        f"mean false refusal rate {best['mean_false_refusal_rate']:.3f}."
    )
    (folder.path / "plots").mkdir(exist_ok=True)
    x = [r["threshold"] for r in rows]
    for name in runs:
        series = {
            m: [r.get(f"{name}:{m}", 0.0) for r in rows]
            for m in ("abstention_precision", "abstention_recall", "abstention_f1", "false_refusal_rate")
            if f"{name}:{m}" in rows[0]
        }
        plot = folder.path / "plots" / f"sweep-{name}.png"
        if plot_lines(x, series, plot, xlabel="abstain_threshold", title=name, mark=best["threshold"]):
            doc.image(plot, f"Sweep on {name}")
    columns = list(rows[0])
    doc.table([columns, *([f"{r[c]:.3f}" for c in columns] for r in rows[:: max(1, len(rows) // 20)])])
    doc.write()


# --- compare --------------------------------------------------------------------------------------------


@eval_group.command("compare")
@click.argument("run_a", type=click.Path(file_okay=False, exists=True))
@click.argument("run_b", type=click.Path(file_okay=False, exists=True))
@click.option("--limit", type=click.IntRange(1), default=40, show_default=True, help="Worse questions shown.")
def compare_command(run_a: str, run_b: str, limit: int) -> None:
    """Show metric deltas from RUN_A to RUN_B and the questions that got worse."""
    from .compare import metric_deltas, worse_questions
    from .report import text_table

    a, b = RunFolder(run_a).results(), RunFolder(run_b).results()
    if a.get("kind") != b.get("kind"):
        raise RunFolderError(f"cannot compare a {a.get('kind')} run with a {b.get('kind')} run")
    deltas = metric_deltas(a, b)
    if len(deltas) == 1:
        raise RunFolderError("the runs share no variant to compare")
    click.echo(text_table(deltas))
    worse = worse_questions(a, b)
    click.echo(f"\n{len(worse) - 1} question(s) got worse" + (":" if len(worse) > 1 else "."))
    if len(worse) > 1:
        click.echo(text_table(worse[: limit + 1]))


__all__ = ["DatasetError", "eval_group"]
