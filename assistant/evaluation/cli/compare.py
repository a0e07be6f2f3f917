"""`assistant eval compare`: metric deltas between two runs and the questions that got worse."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..runs import RunFolder, RunFolderError
from .common import (
    eval_group,
)

if TYPE_CHECKING:
    pass


# --- compare --------------------------------------------------------------------------------------------


@eval_group.command("compare")
@click.argument("run_a", type=click.Path(file_okay=False, exists=True))
@click.argument("run_b", type=click.Path(file_okay=False, exists=True))
@click.option("--limit", type=click.IntRange(1), default=40, show_default=True, help="Worse questions shown.")
def compare_command(run_a: str, run_b: str, limit: int) -> None:
    """Show metric deltas from RUN_A to RUN_B and the questions that got worse."""
    from ..compare import metric_deltas, worse_questions
    from ..report import text_table

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
