"""Shared pytest fixtures, registered as a plugin by tests/conftest.py."""

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from kasal.engine.spec import LLMConfig
from tests.support.llm_server import ScriptedLLMServer


@pytest.fixture(scope="session")
def _llm_server_session() -> Iterator[ScriptedLLMServer]:
    server = ScriptedLLMServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def llm_server(_llm_server_session: ScriptedLLMServer) -> Iterator[ScriptedLLMServer]:
    """The scripted OpenAI-compatible LLM, started once per session, reset for each test."""
    _llm_server_session.reset()
    yield _llm_server_session
    _llm_server_session.reset()


@pytest.fixture
def scripted_llm(llm_server: ScriptedLLMServer) -> LLMConfig:
    """An `openai` model resolved to the scripted server (model key "scripted")."""
    return LLMConfig(
        key="scripted",
        provider="openai",
        model="gpt-4o-mini",
        base_url=llm_server.base_url,
        api_key=SecretStr("sk-test-key"),
        input_price_per_mtok=1.0,
        output_price_per_mtok=4.0,
    )
