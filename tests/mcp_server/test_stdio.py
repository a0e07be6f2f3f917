"""`assistant mcp` as a real process, driven over stdio by the official MCP SDK's client."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.mcp_server.checks import FLAGSHIP, behaves_as_specified, call, run
from tests.support import ROOT

pytestmark = pytest.mark.slow

ASSISTANT = str(Path(sys.executable).parent / "assistant")


def _server(data_dir: Path) -> StdioServerParameters:
    passed = {k: v for k, v in os.environ.items() if k.startswith(("HF_", "TRANSFORMERS_", "ANONYMIZED"))}
    return StdioServerParameters(
        command=ASSISTANT,
        args=["mcp"],
        cwd=ROOT,
        env={
            **passed,
            "ASSISTANT_PROFILE": "test",
            "ASSISTANT_DATA_DIR": str(data_dir),
            "HF_HUB_OFFLINE": "1",
        },
    )


def _run(test, data_dir: Path, log: Path) -> None:
    try:
        with log.open("w") as errors:
            run(lambda: Client(stdio_client(_server(data_dir), errlog=errors)), test)
    except BaseException:
        print(log.read_text()[-4000:], file=sys.stderr)  # the server's stderr, for the failure report
        raise


def test_the_stdio_server_answers_with_citations_and_does_everything_specified(corpus_index, tmp_path):
    _run(behaves_as_specified, corpus_index, tmp_path / "server.log")


def test_nothing_but_protocol_messages_reach_stdout_and_the_server_logs_to_stderr(corpus_index, tmp_path):
    log = tmp_path / "server.log"

    async def ask_once(client: Client) -> None:
        assert client.server_info is not None and client.server_info.name == "policy-assistant"
        assert "abstained" in (client.instructions or "")
        answer = await call(client, "ask", {"question": FLAGSHIP})
        assert answer["citations"]
        await client.call_tool("get_passage", {"passage_id": "no-such-passage"})

    _run(ask_once, corpus_index, log)  # a stray print on stdout would have broken the JSON-RPC stream
    assert "Traceback" not in log.read_text()
