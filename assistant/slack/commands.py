"""The `assistant slack` commands: run the bot over Socket Mode, and export feedback for evaluation."""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
import threading
from typing import Any

import click

from ..errors import ConfigError


@click.group(invoke_without_command=True)
@click.option("--socket", "socket_mode", is_flag=True, help="Connect to Slack over Socket Mode and answer.")
@click.pass_context
def slack(ctx: click.Context, socket_mode: bool) -> None:
    """The Slack bot. `--socket` runs it over Socket Mode (no public URL needed); over HTTP it is served
    by the HTTP service at /slack/events when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set."""
    if ctx.invoked_subcommand is not None:
        return
    if not socket_mode:
        click.echo(ctx.get_help())
        return
    _run_socket_mode(ctx.obj)


def _run_socket_mode(cli: Any) -> None:
    from .credentials import APP_TOKEN, BOT_TOKEN, SlackCredentials
    from .socket_mode import run_socket_mode

    credentials = SlackCredentials.from_environment()
    if credentials is None:
        raise ConfigError(f"set {BOT_TOKEN} (and {APP_TOKEN}) in the environment to run the Slack bot")
    credentials.require_app_token()
    assistant = cli.assistant
    assistant.warm_up()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo("Starting the Slack bot over Socket Mode; press Ctrl-C to stop.", err=True)
    try:
        run_socket_mode(assistant, cli.settings, credentials, stop=stop)
    finally:
        assistant.close()


@slack.command("export-feedback")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True),
    default="-",
    help="JSONL file (default: stdout).",
)
@click.option(
    "--rating",
    type=click.Choice(["all", "up", "down"]),
    default="all",
    show_default=True,
    help="Which votes.",
)
@click.option(
    "--source",
    type=click.Choice(["all", "slack", "web"]),
    default="all",
    show_default=True,
    help="Feedback given in Slack, on the web page, or both.",
)
@click.option("--since", help="Only feedback given on or after this day (YYYY-MM-DD).")
@click.option(
    "--comments",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the comments given with the votes (JSONL, by case id) to this file.",
)
@click.pass_obj
def export_feedback(
    cli: Any, out: str, rating: str, source: str, since: str | None, comments: str | None
) -> None:
    """Write 👍/👎 feedback (Slack and the web page) as candidate evaluation cases (evals/ JSONL schema)."""
    from ..feedback.export import feedback_cases, feedback_comments, source_of
    from ..feedback.store import FeedbackStore, feedback_store_path

    if since is not None:
        try:
            since = dt.date.fromisoformat(since).isoformat()
        except ValueError as exc:
            raise click.BadParameter(f"{since!r} is not a date (YYYY-MM-DD)", param_hint="--since") from exc
    path = feedback_store_path(cli.settings)
    if not path.exists():
        raise ConfigError(
            f"no Slack feedback store at {path}; neither the bot nor the web page has recorded feedback here yet"
        )
    store = FeedbackStore(path)
    try:
        records = store.feedback(rating=None if rating == "all" else rating, since=since)  # type: ignore[arg-type]
    finally:
        store.close()
    if source != "all":
        records = [r for r in records if source_of(r.answer) == source]
    cases = feedback_cases(records)
    _write_lines(out, cases)
    up = sum(1 for c in cases if "feedback-up" in c["tags"])
    click.echo(
        f"wrote {len(cases)} candidate cases ({up} approved, {len(cases) - up} to review) to {out}", err=True
    )
    if comments is not None:
        notes = feedback_comments(records)
        _write_lines(comments, notes)
        click.echo(f"wrote {len(notes)} comments to {comments}", err=True)


def _write_lines(out: str, items: list[dict[str, Any]]) -> None:
    lines = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    if out == "-":
        sys.stdout.write(lines)
    else:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(lines)
