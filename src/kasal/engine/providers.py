"""The providers Kasal stores API keys for, and the one rule for where a model's key comes from.

The providers are what the engine can build an LLM for (see `llm.py`), so the list lives
in the engine: a leaf module (no crewai, no database, no domains) that the model catalog,
the API keys domain, the seeds and the SDK all import. Were it in one of those domains,
the keys domain and the model catalog would import each other.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

PROVIDERS: dict[str, str] = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "gemini": "Google Gemini",
    "deepseek": "DeepSeek",
    "ollama": "Ollama",
    "databricks": "Databricks model serving",
    "demo": "Demo (offline)",
}

# Providers that serve without any credential: a local server, or no server at all.
KEYLESS = frozenset({"demo", "ollama"})

# Services a tool calls with the group's key (see `engine.tools.catalog`). They are not LLM
# providers: the model catalog never offers them, only `/api-keys` and the tools do.
TOOL_KEY_PROVIDERS: dict[str, str] = {
    "serper": "Serper (Google search)",
    "tavily": "Tavily search",
    "brave": "Brave Search",
}

# The name of the service a tool calls with a group's key, as a missing key is reported: the
# search providers, and the Databricks workspace (whose token also serves Databricks models).
TOOL_KEY_LABELS: dict[str, str] = {**TOOL_KEY_PROVIDERS, "databricks": "the Databricks workspace"}

# Providers an API key may be stored for (the demo model has nothing to authenticate).
KEYED = (*(p for p in PROVIDERS if p != "demo"), *TOOL_KEY_PROVIDERS)

KeyProvider = Literal[
    "openai", "anthropic", "gemini", "deepseek", "ollama", "databricks", "serper", "tavily", "brave"
]
Provider = Literal["openai", "anthropic", "gemini", "deepseek", "ollama", "databricks", "demo"]


class Credential(StrEnum):
    """Where a run's credential for a model comes from."""

    not_needed = "not_needed"  # keyless provider (a stored key is still used if there is one)
    stored = "stored"  # the group's API key for the provider
    on_behalf_of = "on_behalf_of"  # Databricks Apps: the request's forwarded user token
    missing = "missing"


def credential_source(
    provider: str, *, has_stored_key: bool, databricks_token: str | None = None
) -> Credential:
    """The single decision on credentials, shared by the catalog (has_key) and run resolution.

    Databricks needs a token: in Databricks Apps mode (KASAL_AUTH_MODE=databricks) the
    request's on-behalf-of token is used, so the run acts as the signed-in user; elsewhere a
    Databricks token stored as the group's `databricks` API key.
    """
    if provider == "databricks" and databricks_token:
        return Credential.on_behalf_of
    if has_stored_key:
        return Credential.stored
    if provider in KEYLESS:
        return Credential.not_needed
    return Credential.missing
