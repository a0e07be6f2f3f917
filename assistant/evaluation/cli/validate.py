"""`assistant eval validate`: check a dataset and its gold quotes without embedding anything."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ...config import Settings
from ...errors import AssistantError
from ..dataset import locate_evidence
from ..sources import FORMATS, load_source
from .common import (
    context,
    eval_group,
)

if TYPE_CHECKING:
    pass


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
    from ...ingest.loaders import load_document
    from ...ingest.pipeline import discover

    settings: Settings = context().settings
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
