"""`assistant eval retrieval`: nDCG, recall and MRR of each retrieval mode on a BEIR dataset."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import click

from ...config import Settings
from ..runs import DEFAULT_RUNS_DIR, RunFolder
from .common import (
    assistant_for,
    context,
    eval_group,
    print_metrics,
    split_values,
)

if TYPE_CHECKING:
    pass


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
    from ..beir import evaluate_beir, load_beir
    from ..report import write_retrieval_report

    settings: Settings = context().settings
    data = load_beir(beir_dir, split)
    chosen = split_values(modes, ("dense", "bm25", "hybrid")) or ["dense", "bm25", "hybrid"]
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
    with assistant_for(settings, options, data.documents, progress) as assistant:
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
    print_metrics(metrics, as_json)
    click.echo(f"\nreports: {folder.path / 'report.html'}  {folder.path / 'report.md'}", err=as_json)
