"""The `assistant mcp` command: the MCP server over stdio, for a client that starts it as a subprocess."""

from __future__ import annotations

from typing import Any

import click


@click.command("mcp")
@click.pass_obj
def mcp(cli: Any) -> None:
    """Serve the assistant to an MCP client over stdin/stdout (tools: ask, search, get_passage,
    list_documents, check_claim; documents as policy://documents/{id} resources). Logs go to stderr.
    Over HTTP, `assistant serve` offers the same server at /mcp."""
    import anyio

    from .server import serve_stdio

    assistant = cli.assistant
    try:
        assistant.warm_up()
        anyio.run(serve_stdio, assistant)
    except KeyboardInterrupt:
        pass
    finally:
        assistant.close()
