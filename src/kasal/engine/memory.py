"""Crew memory with an explicit embedder, never crewai's default.

`Crew(memory=True)` would embed with OpenAI's default model and an API key from
the environment: wrong provider, wrong credentials, and a network call offline.
Here the embedder comes from the run's own model configuration, and the store
lives in the run's working directory (memory lasts for the run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crewai.llms.base_llm import BaseLLM
from crewai.memory.unified_memory import Memory

from kasal.engine.errors import InvalidSpec
from kasal.engine.spec import LLMConfig

# Providers serving the OpenAI embeddings API (`POST {base_url}/embeddings`).
OPENAI_STYLE = {"openai": None, "ollama": "http://localhost:11434/v1", "databricks": None}


def embedder_spec(config: LLMConfig) -> dict[str, Any]:
    """crewai's embedder configuration for `config`, or InvalidSpec if it cannot embed."""
    if config.provider not in OPENAI_STYLE:
        supported = ", ".join(sorted(OPENAI_STYLE))
        raise InvalidSpec(
            f"Model {config.key!r} ({config.provider}) cannot be used as an embedder; "
            f"memory needs an embedding model from: {supported}."
        )
    base_url = config.base_url or OPENAI_STYLE[config.provider]
    if config.provider == "databricks" and not base_url:
        raise InvalidSpec(f"Embedding model {config.key!r} needs the workspace serving URL.")
    api_key = config.api_key.get_secret_value() if config.api_key else None
    if api_key is None and config.provider != "ollama":
        raise InvalidSpec(f"No API key is configured for embedding model {config.key!r}.")
    options: dict[str, Any] = {"api_key": api_key or "ollama", "model_name": config.model}
    if base_url:
        options["api_base"] = base_url
    return {"provider": "openai", "config": options}


def build_memory(embedder: LLMConfig, analysis_llm: BaseLLM, work_dir: Path) -> Memory:
    """A Memory for one run: `analysis_llm` files the memories, `embedder` indexes them."""
    return Memory(
        llm=analysis_llm,
        embedder=embedder_spec(embedder),
        storage=str(work_dir / ".memory"),
    )
