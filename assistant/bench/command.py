"""The `assistant bench` command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

# Beside the checkout: ../shared/data/policy-corpus (the project's 27 real AI-policy documents).
DEFAULT_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "policy-corpus"


def _ints(value: str, name: str) -> tuple[int, ...]:
    try:
        numbers = tuple(int(part.replace("_", "")) for part in value.split(",") if part.strip())
    except ValueError as exc:
        raise click.BadParameter(
            f"expected numbers separated by commas, got {value!r}", param_hint=name
        ) from exc
    if not numbers or min(numbers) < 1:
        raise click.BadParameter("give at least one number, each 1 or more", param_hint=name)
    return numbers


@click.command("bench")
@click.option(
    "--corpus",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"A folder of documents or a BEIR corpus (corpus.jsonl). Default: {DEFAULT_CORPUS}.",
)
@click.option("--max-docs", type=click.IntRange(1), help="Use at most this many documents (the smallest).")
@click.option("--questions", type=click.IntRange(1), help="Ask only the first N questions.")
@click.option("--repeats", type=click.IntRange(1), help="Repeats of every measurement (default 3).")
@click.option("--sizes", help="Index sizes in chunks for the query benchmark (default 1000,10000,100000).")
@click.option("--only", help="Run only these phases: ingest, query, http, precision (comma-separated).")
@click.option("--no-baseline", is_flag=True, help="Skip the LangChain baseline (needs the bench extra).")
@click.option(
    "--no-sentence-vectors",
    is_flag=True,
    help="Skip the extra ingest with ingest.sentence_vectors off (or encoded, when the default is off).",
)
@click.option("--concurrency", help="HTTP client concurrencies (default 1,8,32).")
@click.option("--http-requests", type=click.IntRange(1), help="Requests per concurrency level (default 160).")
@click.option(
    "--http-seconds", type=click.FloatRange(1), help="Time bound per concurrency level (default 90)."
)
@click.option(
    "--no-distinct", is_flag=True, help="Skip the HTTP load with distinct questions (and the soak)."
)
@click.option(
    "--soak-seconds",
    type=click.FloatRange(0),
    help="Soak with distinct questions at concurrency 8 for this long (default 300; 0: no soak).",
)
@click.option("--smoke", is_flag=True, help="A run of seconds over the first documents: checks every path.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("bench-results"),
    show_default=True,
    help="Where the JSON and Markdown results go.",
)
@click.option("--keep", is_flag=True, help="Keep the scratch folder (indexes, server logs).")
@click.pass_obj
def bench(
    obj: Any,
    corpus: Path | None,
    max_docs: int | None,
    questions: int | None,
    repeats: int | None,
    sizes: str | None,
    only: str | None,
    no_baseline: bool,
    no_sentence_vectors: bool,
    concurrency: str | None,
    http_requests: int | None,
    http_seconds: float | None,
    no_distinct: bool,
    soak_seconds: float | None,
    smoke: bool,
    out: Path,
    keep: bool,
) -> None:
    """Measure ingest and query speed against the embedding limit and LangChain's textbook pipeline."""
    from .report import fmt, write_results
    from .runner import PHASES, BenchConfig, run

    overrides: dict[str, Any] = {}
    if max_docs is not None:
        overrides["max_docs"] = max_docs
    if questions is not None:
        overrides["questions"] = questions
    if repeats is not None:
        overrides["repeats"] = repeats
    if sizes:
        overrides["sizes"] = _ints(sizes, "--sizes")
    if concurrency:
        overrides["concurrency"] = _ints(concurrency, "--concurrency")
    if http_requests is not None:
        overrides["http_requests"] = http_requests
    if http_seconds is not None:
        overrides["http_seconds"] = http_seconds
    if soak_seconds is not None:
        overrides["soak_seconds"] = soak_seconds
    overrides["distinct"] = not no_distinct
    if only:
        phases = tuple(p.strip() for p in only.split(",") if p.strip())
        unknown = sorted(set(phases) - set(PHASES))
        if unknown or not phases:
            raise click.BadParameter(f"phases are {', '.join(PHASES)}; got {only!r}", param_hint="--only")
        overrides["phases"] = phases
    overrides["baseline"] = not no_baseline
    overrides["sentence_vectors"] = not no_sentence_vectors
    overrides["keep"] = keep
    overrides["server_options"] = obj.global_options()
    source = corpus or DEFAULT_CORPUS
    config = BenchConfig.for_smoke(source, **overrides) if smoke else BenchConfig(corpus=source, **overrides)

    results = run(config, obj.settings, say=lambda line: click.echo(line, err=True))
    json_path, md_path = write_results(results, out)
    click.echo(md_path.read_text(encoding="utf-8"))
    click.echo(f"results: {json_path} and {md_path}", err=True)
    missed = [t for t in results["targets"] if t["verdict"] == "missed"]
    for target in missed:
        click.echo(
            f"missed: {target['target']} {target['wanted']} (measured {fmt(target['value'])})", err=True
        )
