"""Crews: versioned documents of agents, tasks and their canvas layout."""
