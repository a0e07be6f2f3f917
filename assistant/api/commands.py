"""The `assistant serve` and `assistant keygen` commands."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import click


@click.command()
@click.option("--host", help="Interface to listen on (default: server.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="TCP port (default: server.port, 8080).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Worker processes, each loading the model once (default: server.workers, 1).",
)
@click.pass_obj
def serve(cli: Any, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the HTTP API and the web chat page (model and index loaded once, shared by all requests)."""
    from .server import serve as run_server

    settings = cli.settings
    server = settings.server
    # uvicorn re-raises Ctrl-C after a graceful shutdown: a normal end here
    with contextlib.suppress(KeyboardInterrupt):
        run_server(settings, host or server.host, port or server.port, workers or server.workers)
    # Also when it returns: a process started with SIGINT ignored (a background job of a script) stops on
    # Ctrl-C or SIGTERM all the same, and uvicorn's re-raised signal is then ignored.
    click.echo("stopped", err=True)


@click.command()
@click.argument("name")
@click.option("--admin", is_flag=True, help="Also allow uploading and deleting documents.")
def keygen(name: str, admin: bool) -> None:
    """Make an API key for NAME and print the settings entry that enables it (only its hash is stored)."""
    from .security import generate_key, hash_key

    key = generate_key()
    entry = {"name": name, "sha256": hash_key(key), "scopes": ["read", "admin"] if admin else ["read"]}
    click.echo(f"API key for {name} (shown once; give it to them, it is not stored anywhere):\n\n  {key}\n")
    click.echo("Add this entry under server.api_keys in your config file:\n")
    click.echo(
        f'  - name: {json.dumps(name)}\n    sha256: "{entry["sha256"]}"\n    scopes: {json.dumps(entry["scopes"])}\n'
    )
    click.echo("or, in the environment (a JSON list of every key):\n")
    click.echo(f"  ASSISTANT_SERVER__API_KEYS='{json.dumps([entry])}'")
