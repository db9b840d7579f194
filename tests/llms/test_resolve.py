"""Resolving a run's models: the group's view of each model, with decrypted credentials."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from kasal.core.context import GroupContext, Role
from kasal.core.errors import InvalidInput
from kasal.engine.providers import Credential, credential_source
from kasal.engine.spec import LLMConfig
from kasal.llms import service as llms
from tests.factories import add_api_key, make_actor, make_group

OPENAI_KEY = "sk-proj-resolve-0123456789"


async def _resolve(
    app: FastAPI, group_id: uuid.UUID, *keys: str, token: str | None = None
) -> dict[str, LLMConfig]:
    async with app.state.sessionmaker() as session:
        return await llms.resolve_for_run(session, group_id, set(keys), databricks_token=token)


async def test_credentials_are_decrypted_into_the_run_config(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    await add_api_key(client, actor, "openai", OPENAI_KEY)
    await client.patch(
        "/api/v1/models/gpt-4o-mini", json={"default_temperature": 0.3}, headers=actor.headers
    )
    configs = await _resolve(app, actor.user.personal_group_id, "gpt-4o-mini", "demo", "llama3.1")
    mini = configs["gpt-4o-mini"]
    assert (mini.provider, mini.model, mini.temperature) == ("openai", "gpt-4o-mini", 0.3)
    assert mini.api_key is not None
    assert mini.api_key.get_secret_value() == OPENAI_KEY
    assert OPENAI_KEY not in repr(mini)
    assert (mini.input_price_per_mtok, mini.output_price_per_mtok) == (0.15, 0.6)
    assert mini.context_window == 128000
    assert configs["demo"].api_key is None
    assert configs["demo"].provider == "demo"
    assert configs["llama3.1"].base_url == "http://localhost:11434"
    assert configs["llama3.1"].api_key is None


async def test_a_missing_key_names_the_provider_and_models(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    with pytest.raises(InvalidInput) as caught:
        await _resolve(app, actor.user.personal_group_id, "gpt-4o", "gpt-4.1", "demo")
    error = caught.value
    assert error.code == "missing_api_key"
    assert error.message == "No API key for provider openai: add one under Settings > API keys"
    assert error.details == [{"provider": "openai", "models": ["gpt-4.1", "gpt-4o"]}]
    with pytest.raises(InvalidInput) as several:
        await _resolve(app, actor.user.personal_group_id, "gpt-4o", "claude-haiku-4-5")
    assert [d["provider"] for d in several.value.details] == ["anthropic", "openai"]


async def test_keys_of_another_group_do_not_count(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    await add_api_key(client, actor, "openai", OPENAI_KEY)
    team = await make_group(client, actor)
    with pytest.raises(InvalidInput, match="No API key for provider openai"):
        await _resolve(app, team, "gpt-4o")


async def test_unknown_and_disabled_models_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    group = actor.user.personal_group_id
    with pytest.raises(InvalidInput) as unknown:
        await _resolve(app, group, "demo", "gpt-9", "other")
    assert unknown.value.code == "unknown_model"
    assert unknown.value.message == "Unknown models: gpt-9, other"
    await client.patch("/api/v1/models/demo", json={"enabled": False}, headers=actor.headers)
    with pytest.raises(InvalidInput) as disabled:
        await _resolve(app, group, "demo")
    assert disabled.value.code == "model_disabled"
    assert "demo" in disabled.value.message


async def test_another_groups_custom_model_is_unknown(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    stranger = await make_actor(app, client)
    body = {"key": "private-llm", "provider": "ollama", "model": "mistral"}
    assert (await client.post("/api/v1/models", json=body, headers=owner.headers)).is_success
    assert "private-llm" in await _resolve(app, owner.user.personal_group_id, "private-llm")
    with pytest.raises(InvalidInput, match="Unknown model: private-llm"):
        await _resolve(app, stranger.user.personal_group_id, "private-llm")


async def test_databricks_uses_the_on_behalf_of_token_or_a_stored_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    group = actor.user.personal_group_id
    key = "databricks-meta-llama-3-3-70b-instruct"
    with pytest.raises(InvalidInput, match="provider databricks"):
        await _resolve(app, group, key)
    obo = (await _resolve(app, group, key, token="dapi-obo-token"))[key].api_key
    assert obo is not None
    assert obo.get_secret_value() == "dapi-obo-token"
    await add_api_key(client, actor, "databricks", "dapi-stored-0123456789")
    stored = (await _resolve(app, group, key))[key].api_key
    assert stored is not None
    assert stored.get_secret_value() == "dapi-stored-0123456789"
    async with app.state.sessionmaker() as session:
        ctx = GroupContext(user_id=actor.user.id, group_id=group, role=Role.viewer)
        assert (await llms.catalog(session, ctx))[key].has_key is True


def test_the_credential_rule() -> None:
    assert credential_source("demo", has_stored_key=False) is Credential.not_needed
    assert credential_source("ollama", has_stored_key=False) is Credential.not_needed
    assert credential_source("ollama", has_stored_key=True) is Credential.stored
    assert credential_source("openai", has_stored_key=False) is Credential.missing
    assert credential_source("openai", has_stored_key=False, databricks_token="t") is (
        Credential.missing
    )
    assert credential_source("databricks", has_stored_key=False) is Credential.missing
    assert credential_source("databricks", has_stored_key=True, databricks_token="t") is (
        Credential.on_behalf_of
    )
