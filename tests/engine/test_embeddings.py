"""The one embedding interface: the built-in offline model and the OpenAI embeddings API."""

import math

import pytest
from pydantic import SecretStr

from kasal.engine.embeddings import OFFLINE_MODEL, EmbeddingError, embedder_for
from kasal.engine.errors import InvalidSpec
from kasal.engine.spec import LLMConfig
from tests.support.llm_server import ScriptedLLMServer

OFFLINE = LLMConfig(key=OFFLINE_MODEL, provider="demo", model=OFFLINE_MODEL)


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_the_offline_model_ranks_related_text_first_with_unit_vectors() -> None:
    query, related, unrelated = embedder_for(OFFLINE).embed(
        ["how do I get my money back", "refund policy for returned goods", "sunny weather"]
    )

    assert len(query) == 256
    assert math.isclose(sum(x * x for x in query), 1.0, rel_tol=1e-6)
    assert _cosine(query, related) > _cosine(query, unrelated)


def test_an_http_model_is_asked_in_batches_with_its_key(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig
) -> None:
    config = scripted_llm.model_copy(update={"model": "text-embedding-3-small"})

    vectors = embedder_for(config).embed([f"text {n}" for n in range(70)])

    assert len(vectors) == 70
    calls = [r for r in llm_server.requests if r.path == "/v1/embeddings"]
    assert [len(r.body["input"]) for r in calls] == [64, 6]
    assert {r.headers["authorization"] for r in calls} == {"Bearer sk-test-key"}


def test_an_unreachable_model_is_a_clear_error() -> None:
    config = LLMConfig(
        key="gone",
        provider="openai",
        model="m",
        base_url="http://127.0.0.1:9/v1",
        api_key=SecretStr("k"),
    )

    with pytest.raises(EmbeddingError, match="'gone' is unreachable"):
        embedder_for(config).embed(["x"])


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (LLMConfig(key="demo", provider="demo", model="demo"), "offline embedder"),
        (LLMConfig(key="c", provider="anthropic", model="claude"), "cannot be used as an embedder"),
        (LLMConfig(key="o", provider="openai", model="e"), "No API key"),
    ],
)
def test_models_that_cannot_embed_are_refused(config: LLMConfig, message: str) -> None:
    with pytest.raises(InvalidSpec, match=message):
        embedder_for(config)
