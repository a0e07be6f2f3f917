"""The MCP server: the assistant's tools and its documents (as resources) for LLM clients and agents.

Built on the official SDK's low-level `Server`, so each tool's input schema is exactly its pydantic argument
model (unknown arguments are refused) and every error leaves as a clear message: invalid arguments and the
assistant's own errors (an empty question, an unknown passage, ...) as tool results with `isError` that the
model can read and correct; an unknown tool or document as a JSON-RPC error; anything unexpected as a
generic message, its traceback going to the server's log only. The same server runs over stdio
(`assistant mcp`) and over Streamable HTTP inside `assistant serve` (see `http.py`).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote, unquote

import anyio
from mcp import types
from mcp.server import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, ValidationError

from .. import __version__
from ..api.admission import AnswerGate, Overloaded
from ..errors import AssistantError, NotFoundError
from ..models import Document, DocumentInfo
from ..service import Assistant
from .tools import TOOLS, ToolSpec

log = logging.getLogger(__name__)

SERVER_NAME = "policy-assistant"
DOCUMENT_URI_PREFIX = "policy://documents/"
DOCUMENT_URI_TEMPLATE = DOCUMENT_URI_PREFIX + "{doc_id}"
DOCUMENT_MIME_TYPE = "text/plain"
INSTRUCTIONS = """\
Answers questions about the indexed policy documents with verified citations, and abstains when the documents
do not answer. Use `ask` for an answer (quote its citations; when `abstained` is true, say the documents do not
cover it), `search` for passages, `get_passage` to read a cited passage, `check_claim` to check a statement
against the documents, and `list_documents` (or the policy://documents/{id} resources) for what is indexed.
Citation offsets (`start`, `end`) index the document text of those resources."""


def create_mcp_server(assistant: Assistant, gate: AnswerGate | None = None) -> Server[Any]:
    """An MCP server over `assistant` (the caller owns the assistant and closes it). With `gate` (inside the
    HTTP service), answering tools wait their turn there like the REST routes, and are refused with a tool
    error saying when to retry when the queue is full."""

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[_tool(spec) for spec in TOOLS.values()])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        spec = TOOLS.get(params.name)
        if spec is None:
            raise MCPError(
                types.INVALID_PARAMS, f"unknown tool {params.name!r}; the tools are: {', '.join(TOOLS)}"
            )
        try:
            arguments = spec.arguments.model_validate(params.arguments or {})
        except ValidationError as exc:
            return _tool_error(f"invalid arguments for {spec.name}: {describe_errors(exc)}")
        slot = None
        if spec.answers and gate is not None:
            try:
                slot = await gate.acquire()
            except Overloaded as exc:
                log.warning("tool %s refused: %s", spec.name, exc)
                return _tool_error(f"{spec.name}: {exc}")
        try:
            result = await anyio.to_thread.run_sync(spec.run, assistant, arguments)
        except AssistantError as exc:
            log.info("tool %s refused: %s", spec.name, exc)
            return _tool_error(f"{spec.name}: {exc}")
        except Exception:
            log.exception("tool %s failed", spec.name)
            return _tool_error(f"{spec.name} failed unexpectedly; the server log has the details")
        finally:
            if slot is not None:
                slot.release()
        return _tool_result(result)

    async def list_resources(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        documents = await anyio.to_thread.run_sync(assistant.documents)
        return types.ListResourcesResult(resources=[_resource(d) for d in documents])

    async def list_resource_templates(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        template = types.ResourceTemplate(
            name="document",
            title="An indexed policy document",
            uri_template=DOCUMENT_URI_TEMPLATE,
            description="The full text of a document by id (see list_documents); citation offsets index it.",
            mime_type=DOCUMENT_MIME_TYPE,
        )
        return types.ListResourceTemplatesResult(resource_templates=[template])

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        if not uri.startswith(DOCUMENT_URI_PREFIX) or uri == DOCUMENT_URI_PREFIX:
            raise MCPError(
                types.INVALID_PARAMS, f"unknown resource {uri!r}; documents are at {DOCUMENT_URI_TEMPLATE}"
            )
        doc_id = unquote(uri.removeprefix(DOCUMENT_URI_PREFIX))
        try:
            document: Document = await anyio.to_thread.run_sync(assistant.document, doc_id)
        except NotFoundError as exc:
            raise MCPError(types.INVALID_PARAMS, f"{exc}; list_documents gives the ids") from None
        except AssistantError as exc:
            raise MCPError(types.INTERNAL_ERROR, str(exc)) from None
        contents = types.TextResourceContents(uri=uri, mime_type=DOCUMENT_MIME_TYPE, text=document.text)
        return types.ReadResourceResult(contents=[contents])

    return Server(
        SERVER_NAME,
        version=__version__,
        title="Policy Assistant",
        description="Questions about policy documents, answered with cited, verifiable passages.",
        instructions=INSTRUCTIONS,
        get_tool_input_schema=lambda name: _input_schema(TOOLS[name]) if name in TOOLS else None,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_resource_templates,
        on_read_resource=read_resource,
    )


async def serve_stdio(assistant: Assistant) -> None:
    """Serve one client over this process's stdin and stdout until it disconnects."""
    server = create_mcp_server(assistant)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def document_uri(doc_id: str) -> str:
    return DOCUMENT_URI_PREFIX + quote(doc_id, safe="")


def describe_errors(exc: ValidationError) -> str:
    """pydantic's errors as one line: `top_k: Input should be greater than or equal to 1; ...`."""
    parts = []
    for error in exc.errors()[:10]:
        where = ".".join(str(part) for part in error.get("loc", ()))
        if error.get("type") == "extra_forbidden":
            parts.append(f"unknown argument {where!r}")
        elif error.get("type") == "missing":
            parts.append(f"{where}: this argument is required")
        else:
            parts.append(f"{where}: {error.get('msg', 'invalid value')}" if where else error.get("msg", ""))
    return "; ".join(parts) or "the arguments are invalid"


def _input_schema(spec: ToolSpec) -> dict[str, Any]:
    return spec.arguments.model_json_schema()


def _tool(spec: ToolSpec) -> types.Tool:
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=_input_schema(spec),
        output_schema=spec.result.model_json_schema(mode="serialization"),
        annotations=types.ToolAnnotations(title=spec.title, read_only_hint=True, open_world_hint=False),
    )


def _tool_result(result: BaseModel) -> types.CallToolResult:
    data = result.model_dump(mode="json")
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=data)


def _tool_error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


def _resource(document: DocumentInfo) -> types.Resource:
    about = ", ".join(part for part in (document.issuing_body, document.date, document.language) if part)
    return types.Resource(
        name=document.id,
        title=document.title,
        uri=document_uri(document.id),
        description=f"{document.title} ({about})" if about else document.title,
        mime_type=DOCUMENT_MIME_TYPE,
    )
