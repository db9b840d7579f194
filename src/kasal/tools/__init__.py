"""The built-in tools a group may use (the catalog itself is code, in engine.tools)."""
