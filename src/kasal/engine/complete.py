"""One streamed chat completion, for a request-scoped interaction of the API process.

Runs go through crewai (`llm.py`) in worker processes; a short exchange such as designing a
crew from a sentence happens in the API process and must not import crewai (3 s, and its
process-wide event bus), so it calls litellm directly. The credential rule is the one
`llm.py` applies: a key always passed, never read from the environment.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from kasal.engine.errors import InvalidSpec
from kasal.engine.providers import KEYLESS
from kasal.engine.spec import LLMConfig

# litellm's name for each provider's models (crewai's native clients are not used here).
_LITELLM_PREFIX = {"ollama": "ollama_chat"}
COMPLETION_TIMEOUT_S = 120.0


class CompletionFailed(RuntimeError):
    """The provider refused or failed the call; the message is safe to show (no key)."""


def api_key(config: LLMConfig) -> str:
    """The key to send: the model's own, or a placeholder where none is needed.

    Always a value: without one the clients fall back to OPENAI_API_KEY & co. from the
    environment, i.e. to someone else's credentials. Local servers (Ollama, a self-hosted
    OpenAI-compatible endpoint) accept any placeholder.
    """
    if config.api_key is not None:
        return config.api_key.get_secret_value()
    if config.provider not in KEYLESS and not config.base_url:
        raise InvalidSpec(
            f"No API key is configured for model {config.key!r} ({config.provider}). "
            "Add one in the model settings."
        )
    return "ollama" if config.provider == "ollama" else "not-needed"


def litellm_model(config: LLMConfig) -> str:
    return f"{_LITELLM_PREFIX.get(config.provider, config.provider)}/{config.model}"


async def stream_text(
    config: LLMConfig,
    messages: list[dict[str, str]],
    *,
    json_schema: dict[str, Any] | None = None,
    schema_name: str = "answer",
) -> AsyncIterator[str]:
    """The answer's text, piece by piece as the provider streams it.

    With `json_schema` the provider is asked for structured output (OpenAI's
    `response_format: json_schema`; litellm translates it for the others and drops it
    where a provider has no such option, so the caller still checks what comes back).
    """
    # Here, not at import: both are slow to import (seconds) and only this path needs them.
    import litellm
    from openai import OpenAIError

    # litellm prints a line per call to its own stdout handler; the API log stays Kasal's.
    litellm.suppress_debug_info = True
    logging.getLogger("LiteLLM").setLevel(logging.WARNING)

    options: dict[str, Any] = {
        "model": litellm_model(config),
        "messages": messages,
        "stream": True,
        "api_key": api_key(config),
        "timeout": COMPLETION_TIMEOUT_S,
        "drop_params": True,
    }
    if config.base_url:
        options["api_base"] = config.base_url
    if config.temperature is not None:
        options["temperature"] = config.temperature
    if json_schema is not None:
        options["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "schema": json_schema},
        }
    try:
        response = await litellm.acompletion(**options)
        async for chunk in response:
            choices = getattr(chunk, "choices", None) or []
            piece = choices[0].delta.content if choices else None
            if piece:
                yield piece
    except OpenAIError as exc:  # the base of every provider error litellm raises
        raise CompletionFailed(_safe_message(exc, config)) from None


def _safe_message(exc: Exception, config: LLMConfig) -> str:
    message = str(getattr(exc, "message", None) or exc)
    if config.api_key is not None:
        message = message.replace(config.api_key.get_secret_value(), "***")
    return f"The model {config.key!r} failed: {message[:500]}"
