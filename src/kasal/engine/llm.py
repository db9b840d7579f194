"""LLMConfig → a crewai LLM, with this run's credentials.

Credentials go to the LLM object, never to `os.environ`: several runs share a
worker process, and the environment is process-wide. OpenAI, DeepSeek and
Ollama use crewai's native OpenAI client; Anthropic, Gemini and Databricks go
through litellm (their native crewai clients need SDKs we do not ship). Every
model streams, so the UI can show text as it is generated (`llm.chunk`).
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import httpx._transports.default as httpx_transports
from crewai import LLM
from crewai.llms.base_llm import BaseLLM

from kasal.engine.complete import api_key
from kasal.engine.demo import DemoLLM
from kasal.engine.errors import InvalidSpec
from kasal.engine.spec import LLMConfig

NATIVE = {"openai", "deepseek", "ollama"}
VIA_LITELLM = {"anthropic", "gemini", "databricks"}


def share_tls_context() -> None:
    """One verified TLS context for every default httpx transport in this process.

    crewai builds a sync and an async OpenAI client for every LLM of every run, and each
    httpx client loads the CA bundle anew: about 20 ms apiece, over 100 ms of a 3-agent
    crew's start. An `SSLContext` is safe to share once configured, so the default one is
    made once. Only the default (verify=True, no client certificate) is shared; any other
    request for a context is passed through. httpx is pinned by uv.lock: this hooks the
    function its transports call (`httpx._transports.default.create_ssl_context`).
    """
    original = httpx.create_ssl_context
    shared = original()

    def create(
        verify: ssl.SSLContext | str | bool = True, cert: Any = None, trust_env: bool = True
    ) -> ssl.SSLContext:
        if verify is True and cert is None and trust_env:
            return shared
        return original(verify=verify, cert=cert, trust_env=trust_env)

    httpx_transports.create_ssl_context = create  # type: ignore[attr-defined]


share_tls_context()


def build_llm(config: LLMConfig) -> BaseLLM:
    """A fresh LLM object for one run (its token counters then count this run only)."""
    if config.provider == "demo":
        return DemoLLM(model=config.model or "demo", stream=True)
    options: dict[str, Any] = {"stream": True, "api_key": api_key(config)}
    if config.temperature is not None:
        options["temperature"] = config.temperature
    if config.max_tokens is not None:
        options["max_tokens"] = config.max_tokens
    if config.provider in NATIVE:
        if config.base_url:
            options["base_url"] = config.base_url
        return LLM(model=config.model, provider=config.provider, **options)
    if config.provider in VIA_LITELLM:
        if config.base_url:
            options["api_base"] = config.base_url
        if config.context_window:
            options["context_window_size"] = config.context_window
        return LLM(model=f"{config.provider}/{config.model}", is_litellm=True, **options)
    known = ", ".join(sorted(NATIVE | VIA_LITELLM | {"demo"}))
    raise InvalidSpec(f"Unknown provider {config.provider!r} for model {config.key!r}: {known}.")
