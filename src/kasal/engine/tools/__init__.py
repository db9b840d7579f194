"""Built-in tools and tools of configured sources (MCP servers).

Crewai-free, for the API process too: `catalog`, `refs`, `base`, `addresses` (the address
policy) and `mcp_client` (connecting to MCP servers). The rest imports crewai.
"""
