"""Crew memory with an explicit embedder, never crewai's default.

`Crew(memory=True)` would embed with OpenAI's default model and an API key from
the environment: wrong provider, wrong credentials, and a network call offline.
Here the embedder comes from the run's own model configuration (see `embeddings`),
and the store lives in the run's working directory (memory lasts for the run).
"""

from __future__ import annotations

from pathlib import Path

from crewai.llms.base_llm import BaseLLM
from crewai.memory.unified_memory import Memory

from kasal.engine.embeddings import embedder_for
from kasal.engine.spec import LLMConfig


def build_memory(embedder: LLMConfig, analysis_llm: BaseLLM, work_dir: Path) -> Memory:
    """A Memory for one run: `analysis_llm` files the memories, `embedder` indexes them."""
    return Memory(
        llm=analysis_llm,
        embedder=embedder_for(embedder).embed,
        storage=str(work_dir / ".memory"),
    )
