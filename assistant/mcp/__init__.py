"""The assistant as a Model Context Protocol server: tools and document resources for LLM clients and agents.

`server.py` builds the server over the one `Assistant`; `assistant mcp` runs it over stdio (`commands.py`)
and `assistant serve` mounts it at `/mcp` over Streamable HTTP, behind the API keys (`http.py`).
"""
