"""OpenAPI sources: documents a group registers so that each operation becomes a tool."""
