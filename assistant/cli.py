"""The `assistant` command: parses arguments, calls the service, prints for people (or JSON)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import textwrap
from pathlib import Path
from typing import Any

import click

from .api import commands as api_commands
from .bench import command as bench_commands
from .config import Settings, load_settings
from .errors import AssistantError
from .evaluation import cli as eval_commands
from .mcp import commands as mcp_commands
from .models import Answer, Filters, IngestReport
from .slack import commands as slack_commands

log = logging.getLogger("assistant")


class Context:
    """Settings from the global options, and the service built from them on first use."""

    def __init__(self, config: str | None, profile: str | None, data_dir: str | None) -> None:
        self._config = config
        self._profile = profile
        self._data_dir = data_dir
        self._settings: Settings | None = None
        self._assistant: Any = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            overrides: dict[str, Any] = {}
            if self._data_dir:
                overrides["data_dir"] = Path(self._data_dir)
            self._settings = load_settings(self._config, self._profile, **overrides)
            logging.basicConfig(
                level=self._settings.log_level.upper(),
                format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            )
            _quiet_libraries()
        return self._settings

    @property
    def assistant(self) -> Any:
        return self.open_assistant()

    def open_assistant(self, *, rebuild: bool = False) -> Any:
        """The service, built on first use; with `rebuild`, over an emptied index (of any model)."""
        if self._assistant is None:
            from .service import Assistant

            self._assistant = Assistant(self.settings, rebuild=rebuild)
        elif rebuild:
            self._assistant.rebuild()
        return self._assistant

    def global_options(self) -> list[str]:
        """The --config and --profile given, to pass on to a child `assistant` process."""
        options = ["--config", str(Path(self._config).resolve())] if self._config else []
        return options + (["--profile", self._profile] if self._profile else [])


pass_context = click.make_pass_decorator(Context)


class AssistantGroup(click.Group):
    """Turns the assistant's own errors into one clear line on stderr instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AssistantError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=AssistantGroup)
@click.option("--config", "config", type=click.Path(dir_okay=False), help="A YAML file of settings to apply.")
@click.option("--profile", help="A named profile from configs/ (or ASSISTANT_PROFILE).")
@click.option("--data-dir", help="Where the index lives (or ASSISTANT_DATA_DIR).")
@click.version_option(package_name="policy-assistant")
@click.pass_context
def main(ctx: click.Context, config: str | None, profile: str | None, data_dir: str | None) -> None:
    """Ask questions about policy documents and get answers that cite the exact passages."""
    ctx.obj = Context(config, profile, data_dir)


# --- ingest ---------------------------------------------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--rebuild", is_flag=True, help="Drop the index and embed everything again.")
@click.option(
    "--no-prune", is_flag=True, help="Keep documents whose files were deleted from an ingested folder."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_context
def ingest(ctx: Context, paths: tuple[str, ...], rebuild: bool, no_prune: bool, as_json: bool) -> None:
    """Index files and folders (default: the configured ingest.paths). Unchanged documents are skipped."""
    targets = list(paths) or [str(p) for p in ctx.settings.ingest.paths]
    if not targets:
        raise click.UsageError("give files or folders to ingest")
    assistant = ctx.open_assistant(rebuild=rebuild)
    report = assistant.ingest(targets, progress=sys.stderr.isatty() and not as_json, prune=not no_prune)
    if as_json:
        click.echo(json.dumps({"summary": report.summary, **report.model_dump(mode="json")}, indent=2))
    else:
        click.echo(format_report(report))
    if report.count("failed"):
        sys.exit(3)


def format_report(report: IngestReport) -> str:
    lines = []
    for item in report.items:
        if item.status in ("failed", "skipped", "removed", "added", "updated"):
            detail = f" ({item.chunks} chunks)" if item.status in ("added", "updated") else ""
            message = f": {item.message}" if item.message else ""
            lines.append(f"  {item.status:<9} {item.source}{detail}{message}")
    s = report.summary
    lines.append(
        f"{s['added']} added, {s['updated']} updated, {s['unchanged']} unchanged, {s['removed']} removed, "
        f"{s['failed']} failed, {s['skipped']} skipped; {s['chunks_embedded']} chunks embedded, "
        f"{s['chunks_total']} in the index ({report.seconds:.1f} s)"
    )
    return "\n".join(lines)


# --- ask ------------------------------------------------------------------------------------------------


def parse_filters(values: tuple[str, ...]) -> Filters | None:
    """`doc=ID`, `language=en`, `body=NAME`, `tag=T`, `from=YYYY-MM-DD`, `to=YYYY-MM-DD`,
    `in_force_on=YYYY-MM-DD`; repeat to add values."""
    if not values:
        return None
    fields: dict[str, Any] = {}
    names = {
        "doc": "doc_ids",
        "document": "doc_ids",
        "language": "language",
        "lang": "language",
        "body": "issuing_body",
        "issuing_body": "issuing_body",
        "tag": "tags",
        "tags": "tags",
    }
    for value in values:
        key, sep, raw = value.partition("=")
        key = key.strip().lower()
        if not sep or not raw.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", param_hint="--filter")
        if key in ("from", "date_from", "to", "date_to", "in_force_on", "in_force"):
            try:
                day = dt.date.fromisoformat(raw.strip())
            except ValueError as exc:
                raise click.BadParameter(
                    f"{raw!r} is not a date (YYYY-MM-DD)", param_hint="--filter"
                ) from exc
            if key.startswith("in_force"):
                fields["in_force_on"] = day
            else:
                fields["date_from" if key.endswith("from") else "date_to"] = day
        elif key in names:
            fields.setdefault(names[key], []).append(raw.strip())
        else:
            raise click.BadParameter(
                f"unknown filter {key!r}; use doc, language, body, tag, from, to or in_force_on",
                param_hint="--filter",
            )
    try:
        return Filters(**fields)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--filter") from exc


@main.command()
@click.argument("question")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    help="doc=ID, language=en, body=NAME, tag=T, from=DATE, to=DATE, in_force_on=DATE.",
)
@click.option("--top-k", type=click.IntRange(1, 100), help="Passages to answer from.")
@click.option("--backend", help="Answer backend for this question.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), help="Retrieval mode.")
@click.option("--json", "as_json", is_flag=True, help="Print the full Answer as JSON.")
@pass_context
def ask(
    ctx: Context,
    question: str,
    filters: tuple[str, ...],
    top_k: int | None,
    backend: str | None,
    mode: str | None,
    as_json: bool,
) -> None:
    """Answer QUESTION from the indexed documents, citing the passages."""
    answer = ctx.assistant.ask(
        question, filters=parse_filters(filters), top_k=top_k, backend=backend, mode=mode
    )
    if as_json:
        click.echo(answer.model_dump_json(indent=2))
    else:
        click.echo(format_answer(answer))


def format_answer(answer: Answer, width: int = 100) -> str:
    # Paragraphs stay apart: a status notice follows the answer on its own.
    lines = ["\n\n".join(textwrap.fill(part, width=width) for part in answer.text.split("\n\n"))]
    if answer.standalone_question != answer.question:
        lines.insert(0, f"(answering: {answer.standalone_question})\n")
    if answer.abstained:
        return "\n".join(lines)
    lines += ["", "Sources"]
    for c in answer.citations:
        where = " — ".join(part for part in (c.title, c.heading_path) if part)
        page = f" (p. {c.page})" if c.page is not None else ""
        lines.append(f"[{c.n}] {where}{page}")
        quote = " ".join(c.quote.split())
        lines.append(
            textwrap.fill(f"“{quote}”", width=width, initial_indent="    ", subsequent_indent="    ")
        )
        if c.gloss:
            lines.append(
                textwrap.fill(
                    f"Gloss (not the document's words): {c.gloss}",
                    width=width,
                    initial_indent="    ",
                    subsequent_indent="    ",
                )
            )
        lines.append(f"    {c.doc_id} @ {c.start}-{c.end}, support {c.score:.2f}")
    if answer.backend_fallback:
        lines.append(f"\n(backend {answer.backend} failed: {answer.fallback_reason}; answered extractively)")
    return "\n".join(lines)


# --- sources --------------------------------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def sources(ctx: Context, as_json: bool) -> None:
    """List the indexed documents."""
    documents = ctx.assistant.documents()
    if as_json:
        click.echo(json.dumps([d.model_dump(mode="json") for d in documents], indent=2, ensure_ascii=False))
        return
    if not documents:
        click.echo("No documents are indexed yet: run `assistant ingest`.")
        return
    for d in documents:
        meta = ", ".join(x for x in (d.issuing_body, d.date, d.language) if x)
        status = f"[{d.status}]" + (f" {', '.join(d.identifiers)}" if d.identifiers else "")
        click.echo(f"{d.id}  ({d.n_chunks} chunks)\n    {d.title}\n    {meta}\n    {status}")
        for r in d.relations:
            click.echo(f"      {_relation_line(r)}")


@main.command()
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def relations(ctx: Context, doc_id: str, as_json: bool) -> None:
    """List a document's status, dates and its incoming and outgoing relations, with their evidence."""
    from .api.routes.documents import document_relations

    found = document_relations(ctx.assistant, doc_id)
    if as_json:
        click.echo(found.model_dump_json(indent=2))
        return
    since = f" since {found.since}" if found.since else ""
    ids = f" ({', '.join(found.identifiers)})" if found.identifiers else ""
    click.echo(f"{doc_id}{ids}: {found.status}{since}")
    for d in found.dates:
        scope = f" [{d.scope}]" if d.scope else ""
        click.echo(f"  {d.kind} {d.date}{scope}")
    if not found.relations:
        click.echo("  no relations found")
    for r in found.relations:
        click.echo(f"  {_relation_line(r)}")
        where = (
            f"front matter '{r.evidence.field}'"
            if r.evidence.origin == "front_matter"
            else f"{r.stated_in} @ {r.evidence.start}-{r.evidence.end}"
        )
        quote = " ".join(r.evidence.quote.split())
        click.echo(
            textwrap.fill(
                f"“{quote}” ({where})", width=100, initial_indent="      ", subsequent_indent="      "
            )
        )


def _relation_line(r: Any) -> str:
    """'revoked_by EO 14148 (2025-01-20)', 'referred_to_by EO 14179 as revoked'."""
    status = f" as {r.target_status}" if r.target_status else ""
    date = f" ({r.date})" if r.date else ""
    indexed = f" [{r.other_doc_id}]" if r.other_doc_id and r.other_doc_id != r.stated_in else ""
    return f"{r.direction:<8} {r.relation} {r.other}{indexed}{status}{date}"


@main.command("config")
@pass_context
def show_config(ctx: Context) -> None:
    """Print the effective settings (YAML files, profile and environment applied)."""
    import yaml

    click.echo(
        yaml.safe_dump(
            ctx.settings.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True
        )
    )


# `assistant slack --socket` and `assistant slack export-feedback` (defined with the bot).
main.add_command(slack_commands.slack)

# `assistant eval run|retrieval|calibrate|compare|validate` (defined with the evaluation harness).
main.add_command(eval_commands.eval_group)

# `assistant bench` (defined with the benchmarks).
main.add_command(bench_commands.bench)

# `assistant serve` and `assistant keygen` (defined with the HTTP service).
main.add_command(api_commands.serve)
main.add_command(api_commands.keygen)

# `assistant mcp`: the MCP server over stdio (over HTTP it is part of `assistant serve`).
main.add_command(mcp_commands.mcp)


def _quiet_libraries() -> None:
    for name in ("httpx", "chromadb", "sentence_transformers", "urllib3", "bm25s", "transformers"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover
        pass


if __name__ == "__main__":  # pragma: no cover
    main()
