"""MCP servers a group registers: their tools become `mcp:<server>` tools of its crews."""
