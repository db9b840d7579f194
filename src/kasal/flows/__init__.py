"""Flows: crews chained by routers and approvals, as versioned documents."""
