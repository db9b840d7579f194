"""Every ORM model, imported in one place so Alembic and the tests see the whole schema."""

from __future__ import annotations

import importlib

# Each domain's models module. A new domain adds one line here.
MODEL_MODULES = (
    "kasal.auth.models",
    "kasal.llms.models",
    "kasal.secrets.models",
    "kasal.connections.models",
    "kasal.tools.models",
    "kasal.mcp.models",
    "kasal.knowledge.models",
    "kasal.agents.models",
    "kasal.tasks.models",
    "kasal.crews.models",
    "kasal.flows.models",
    "kasal.openapi.models",
    "kasal.executions.models",
    "kasal.approvals.models",
    "kasal.templates.models",
    "kasal.tracing.models",
    "kasal.chats.models",
    "kasal.schedules.models",
    "kasal.triggers.models",
    "kasal.webhooks.models",
)


def load_all() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
