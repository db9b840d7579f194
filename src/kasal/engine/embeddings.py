"""Text embeddings for memory and knowledge: one interface, two ways to compute them.

The built-in offline model (provider `demo`, model `wordllama-l2-256`) runs in this
process from weights shipped inside the `wordllama` wheel: no key, no network, no
model hub, ~16 MB and well under a millisecond per sentence on one core. Every other
provider is asked over the OpenAI embeddings API (`POST {base_url}/embeddings`), which
OpenAI, Ollama and Databricks model serving all speak.

Nothing here imports crewai: the API process embeds search queries with it too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx

from kasal.engine.errors import InvalidSpec
from kasal.engine.spec import LLMConfig

if TYPE_CHECKING:
    from wordllama.inference import WordLlamaInference

# The offline model, and the providers serving the OpenAI embeddings API (default URLs).
OFFLINE_MODEL = "wordllama-l2-256"
OPENAI_STYLE: dict[str, str | None] = {
    "openai": "https://api.openai.com/v1",
    "ollama": "http://localhost:11434/v1",
    "databricks": None,  # the workspace's serving URL, always configured
}
BATCH = 64  # texts per embeddings request
TIMEOUT_S = 60.0


class EmbeddingError(RuntimeError):
    """The embedding model could not be reached or answered something unusable."""


class Embedder(Protocol):
    """Turns texts into unit-length vectors of one fixed size."""

    key: str  # the model key, recorded beside stored vectors

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [float(x) / norm for x in vector]


@cache
def _wordllama() -> WordLlamaInference:
    import wordllama

    # The wheel holds the weights and the tokenizer; `cache_dir` pointing at the package
    # lets the loader find both there, and `disable_download` makes a miss an error
    # instead of a fetch from the model hub.
    return wordllama.WordLlama.load(
        cache_dir=Path(wordllama.__file__).parent, disable_download=True
    )


class OfflineEmbedder:
    """The built-in model: static word embeddings averaged and normalised (256 dims)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return [_unit(row) for row in _wordllama().embed(list(texts), norm=True).tolist()]


class HttpEmbedder:
    """A model served over the OpenAI embeddings API."""

    def __init__(self, key: str, model: str, base_url: str, api_key: str | None) -> None:
        self.key = key
        self._model = model
        self._url = base_url.rstrip("/") + "/embeddings"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        with httpx.Client(timeout=TIMEOUT_S) as client:
            for start in range(0, len(texts), BATCH):
                vectors += self._batch(client, list(texts[start : start + BATCH]))
        return vectors

    def _batch(self, client: httpx.Client, texts: list[str]) -> list[list[float]]:
        try:
            response = client.post(
                self._url, json={"model": self._model, "input": texts}, headers=self._headers
            )
        except httpx.HTTPError as exc:
            raise EmbeddingError(f"Embedding model {self.key!r} is unreachable: {exc}") from exc
        if response.status_code != 200:
            raise EmbeddingError(
                f"Embedding model {self.key!r} answered HTTP {response.status_code}: "
                f"{response.text[:200]}"
            )
        try:
            rows = sorted(response.json()["data"], key=lambda row: row["index"])
            vectors = [_unit(row["embedding"]) for row in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingError(f"Embedding model {self.key!r} answered no embeddings.") from exc
        if len(vectors) != len(texts):
            raise EmbeddingError(
                f"Embedding model {self.key!r} answered {len(vectors)} vectors for {len(texts)}."
            )
        return vectors


def embedder_for(config: LLMConfig) -> Embedder:
    """The embedder for a resolved embedding model, or InvalidSpec if it cannot embed."""
    if config.provider == "demo":
        if config.model != OFFLINE_MODEL:
            raise InvalidSpec(
                f"Model {config.key!r} cannot embed: the offline embedder is {OFFLINE_MODEL!r}."
            )
        return OfflineEmbedder(config.key)
    if config.provider not in OPENAI_STYLE:
        supported = ", ".join(["demo", *sorted(OPENAI_STYLE)])
        raise InvalidSpec(
            f"Model {config.key!r} ({config.provider}) cannot be used as an embedder; "
            f"embedding models come from: {supported}."
        )
    base_url = config.base_url or OPENAI_STYLE[config.provider]
    if not base_url:
        raise InvalidSpec(f"Embedding model {config.key!r} needs the workspace serving URL.")
    api_key = config.api_key.get_secret_value() if config.api_key else None
    if api_key is None and config.provider != "ollama":
        raise InvalidSpec(f"No API key is configured for embedding model {config.key!r}.")
    return HttpEmbedder(config.key, config.model, base_url, api_key)
