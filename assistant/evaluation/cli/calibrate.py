"""`assistant eval calibrate`: sweep the abstention threshold over datasets and pick the best."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ...config import Settings
from ..runs import DEFAULT_RUNS_DIR, RunFolder
from ..sources import load_source
from .common import (
    assistant_for,
    context,
    eval_group,
    half_option,
)

if TYPE_CHECKING:
    pass


# --- calibrate ------------------------------------------------------------------------------------------


@eval_group.command("calibrate")
@click.argument("datasets", nargs=-1, required=True, type=click.Path())
@click.option("--corpus", multiple=True, type=click.Path(), help="Corpus of the JSONL datasets.")
@click.option("--limit", type=click.IntRange(1), help="Only the first N questions of each dataset.")
@half_option("Only one fixed half of each project dataset (calibrate on 'tune', report on 'check').")
@click.option(
    "--index-dir",
    type=click.Path(file_okay=False),
    help="Keep each dataset's index in a subfolder here and re-use it.",
)
@click.option("--step", type=click.FloatRange(0.001, 0.5), default=0.01, show_default=True)
@click.option(
    "--max-false-refusals",
    type=click.FloatRange(0, 1),
    help="Only thresholds whose mean false refusal rate is at most this (answerable questions refused).",
)
@click.option(
    "--runs-dir", type=click.Path(file_okay=False), default=str(DEFAULT_RUNS_DIR), show_default=True
)
def calibrate_command(
    datasets: tuple[str, ...],
    corpus: tuple[str, ...],
    limit: int | None,
    half: str,
    index_dir: str | None,
    step: float,
    max_false_refusals: float | None,
    runs_dir: str,
) -> None:
    """Sweep answer.abstain_threshold over DATASETS and pick the one with the best abstention F1."""
    from ...index.embedder import Embedder
    from ..calibrate import choose, default_thresholds, sweep
    from ..runner import Evaluation
    from ..workspace import derive_settings

    base: Settings = context().settings
    settings = derive_settings(base, answer={"abstain_threshold": 0.0})
    embedder = Embedder(settings.embedding)
    progress = sys.stderr.isatty()
    runs: dict[str, list[dict[str, Any]]] = {}
    for path in datasets:
        data, documents = load_source(path)
        data = data.half(half if documents is None else "all").limited(limit)
        options = {
            "corpus": list(corpus),
            "index_dir": str(Path(index_dir) / data.name) if index_dir else None,
        }
        with assistant_for(settings, options, documents, progress, embedder) as assistant:
            result = Evaluation(assistant, data).run(progress=progress)
        runs[data.name] = next(iter(result.records.values()))
    rows = sweep(runs, default_thresholds(step))
    best = choose(rows, max_false_refusals)
    current = min(rows, key=lambda r: abs(r["threshold"] - base.answer.abstain_threshold))
    folder = RunFolder.create(runs_dir, "calibrate-" + "+".join(runs))
    _write_calibration(folder, runs, rows, best, base, max_false_refusals)
    # The terminal shows F1 and false refusals; the reports keep precision and recall too.
    columns = [c for c in rows[0] if c.endswith(("abstention_f1", "false_refusal_rate"))]
    table = [["threshold", *columns]]
    shown = {round(t * 20) / 20 for t in default_thresholds(0.05)} | {best["threshold"], current["threshold"]}
    for row in rows:
        if row["threshold"] in shown:
            mark = " *" if row is best else (" (current)" if row is current else "")
            table.append([f"{row['threshold']:.2f}{mark}", *(f"{row[c]:.3f}" for c in columns)])
    from ..report import text_table

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
    max_false_refusals: float | None = None,
) -> None:
    from ..report import ReportDocument, plot_lines

    folder.write_results(
        {
            "kind": "calibration",
            "created": dt.datetime.now().isoformat(timespec="seconds"),
            "datasets": list(runs),
            "criterion": "mean abstention F1, then fewer false refusals, then lower threshold"
            + (
                f", among mean false refusal rates <= {max_false_refusals}"
                if max_false_refusals is not None
                else ""
            ),
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
