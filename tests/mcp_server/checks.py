"""What every transport of the MCP server must do, checked through the official SDK's client."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

FLAGSHIP = "What penetration rate for intelligent terminals and agents does the AI+ plan target for 2027?"
TOOLS = {"ask", "search", "get_passage", "list_documents", "check_claim"}
TRUE_CLAIM = "The AI+ plan targets above 70% adoption of intelligent terminals and agents by 2027."
WRONG_FIGURE = "The AI+ plan targets above 50% adoption of intelligent terminals and agents by 2027."
OFF_CORPUS = "Sourdough bread needs a long, cool fermentation to develop flavour."


def run(
    connect: Callable[[], AbstractAsyncContextManager[Client]], test: Callable[[Client], Awaitable[Any]]
) -> None:
    """Run `test` on a connected client; a failure surfaces as itself, not wrapped in the SDK's task groups."""

    async def main() -> None:
        async with connect() as client:
            await test(client)

    try:
        anyio.run(main)
    except BaseExceptionGroup as group:
        error: BaseException = group
        while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]
        raise error from None


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A successful call's structured result (checked to be the same JSON as its text content)."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


async def error_text(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    """A refused call's message, which must read as a sentence, never as a traceback."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    text = result.content[0].text
    assert "Traceback" not in text and 'File "' not in text
    return text


async def lists_the_tools(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 80, tool.name
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema.get("additionalProperties") is False, tool.name
        assert tool.output_schema and tool.output_schema["type"] == "object"
        assert tool.annotations and tool.annotations.read_only_hint
    assert tools["ask"].input_schema["required"] == ["question"]
    assert tools["check_claim"].input_schema["required"] == ["claim"]


async def gives_a_cited_answer(client: Client) -> dict[str, Any]:
    """`ask` answers the flagship question from corpus/ with verified citations; returns the answer."""
    answer = await call(client, "ask", {"question": FLAGSHIP})
    assert not answer["abstained"] and answer["grounded"]
    assert "70%" in answer["text"]
    assert answer["citations"], answer
    citation = answer["citations"][0]
    assert f"[{citation['n']}]" in answer["text"]
    assert citation["quote"] and citation["end"] > citation["start"]
    assert citation["doc_id"] in {d["id"] for d in answer["documents"]}
    assert answer["passages"] == []  # the citations carry the evidence; `search` gives passages

    abstained = await call(client, "ask", {"question": "How do I bake sourdough bread at home?"})
    assert abstained["abstained"] and abstained["abstain_reason"] and not abstained["citations"]

    follow_up = await call(
        client,
        "ask",
        {
            "question": "And by 2030?",
            "history": [
                {"role": "user", "content": FLAGSHIP},
                {"role": "assistant", "content": answer["text"]},
            ],
        },
    )
    assert "2030" in follow_up["standalone_question"] and "90%" in follow_up["text"]
    return answer


async def answers_every_tool(client: Client, answer: dict[str, Any]) -> None:
    citation = answer["citations"][0]

    found = await call(client, "search", {"query": FLAGSHIP})
    assert citation["passage_id"] in {p["id"] for p in found["passages"]}
    for passage in found["passages"]:
        assert passage["end"] > passage["start"] and passage["scores"]["fused"] > 0 and passage["text"]
    fewer = await call(client, "search", {"query": FLAGSHIP, "top_k": 2, "mode": "bm25"})
    assert 1 <= len(fewer["passages"]) <= 2
    assert all(p["scores"]["bm25"] is not None for p in fewer["passages"])

    only_eu = await call(
        client, "search", {"query": "prohibited practices", "filters": {"doc_ids": ["eu-ai-act-risk-tiers"]}}
    )
    assert {p["doc_id"] for p in only_eu["passages"]} == {"eu-ai-act-risk-tiers"}

    view = await call(
        client,
        "get_passage",
        {"passage_id": citation["passage_id"], "start": citation["start"], "end": citation["end"]},
    )
    assert view["passage"]["id"] == citation["passage_id"]
    assert " ".join(view["highlighted"].split()) == " ".join(citation["quote"].split())

    listed = await call(client, "list_documents", {})
    assert listed["total"] == len(listed["documents"]) >= 10
    assert citation["doc_id"] in {d["id"] for d in listed["documents"]}

    supported = await call(client, "check_claim", {"claim": TRUE_CLAIM})
    assert supported["verdict"] == "supported", supported
    assert citation["doc_id"] in {f["doc_id"] for f in supported["supporting"]}
    assert any("70" in f["quote"] for f in supported["supporting"])
    assert all(f["score"] >= 0.35 and f["end"] > f["start"] for f in supported["supporting"])

    contradicted = await call(client, "check_claim", {"claim": WRONG_FIGURE})
    assert contradicted["verdict"] == "contradicted", contradicted
    assert not contradicted["supporting"]
    assert any("70" in f["figures"] for f in contradicted["contradicting"]), contradicted

    unrelated = await call(client, "check_claim", {"claim": OFF_CORPUS})
    assert unrelated["verdict"] == "unsupported" and not unrelated["supporting"]


async def offers_documents_as_resources(client: Client, answer: dict[str, Any]) -> None:
    citation = answer["citations"][0]
    resources = {str(r.uri): r for r in (await client.list_resources()).resources}
    uri = f"policy://documents/{citation['doc_id']}"
    assert uri in resources and resources[uri].title
    templates = (await client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["policy://documents/{doc_id}"]

    [content] = (await client.read_resource(uri)).contents
    assert content.text[citation["start"] : citation["end"]] == citation["quote"]  # offsets index the text

    with pytest.raises(MCPError, match="no document with id 'no-such-document'"):
        await client.read_resource("policy://documents/no-such-document")
    with pytest.raises(MCPError, match="unknown resource"):
        await client.read_resource("file:///etc/passwd")


async def rejects_bad_arguments(client: Client, answer: dict[str, Any]) -> None:
    assert "question" in await error_text(client, "ask", {"question": ""})
    assert "top_k" in await error_text(client, "ask", {"question": FLAGSHIP, "top_k": 0})
    misspelt = await error_text(client, "ask", {"questoin": FLAGSHIP})
    assert "unknown argument 'questoin'" in misspelt and "question: this argument is required" in misspelt
    assert "mode" in await error_text(client, "search", {"query": "x", "mode": "fuzzy"})
    assert "unknown answer backend 'nope'" in await error_text(
        client, "ask", {"question": FLAGSHIP, "backend": "nope"}
    )
    assert "no passage with id 'no-such-passage'" in await error_text(
        client, "get_passage", {"passage_id": "no-such-passage"}
    )
    passage_id = answer["citations"][0]["passage_id"]
    assert "both start and end" in await error_text(
        client, "get_passage", {"passage_id": passage_id, "start": 3}
    )
    assert "start" in await error_text(
        client, "get_passage", {"passage_id": passage_id, "start": -1, "end": 4}
    )
    assert "the question is" in await error_text(client, "check_claim", {"claim": "x" * 5000})
    assert "date_from is after date_to" in await error_text(
        client, "search", {"query": "x", "filters": {"date_from": "2025-01-01", "date_to": "2024-01-01"}}
    )
    with pytest.raises(MCPError, match="unknown tool 'delete_everything'"):
        await client.call_tool("delete_everything", {})


async def behaves_as_specified(client: Client) -> None:
    """Every check above, in order, over one connection."""
    await lists_the_tools(client)
    answer = await gives_a_cited_answer(client)
    await answers_every_tool(client, answer)
    await offers_documents_as_resources(client, answer)
    await rejects_bad_arguments(client, answer)
