"""`kasal secrets rotate` and `prune`: new keys, every secret re-encrypted, nothing lost."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner, Result

from kasal import cli
from kasal.core import crypto
from kasal.core.config import Settings
from kasal.core.context import GroupContext, Role
from kasal.core.crypto import SecretBox, SecretUnreadable, generate_key
from kasal.secrets import service as secrets
from kasal.secrets.models import ApiKey
from kasal.secrets.schemas import ApiKeyCreate
from tests.factories import make_actor, make_group

VALUES = {
    "openai": "sk-proj-rotate-me-0001",
    "anthropic": "sk-ant-rotate-me-0002",
    "databricks": "dapi-rotate-me-0003",
}


async def _store(app: FastAPI, client: httpx.AsyncClient, box: SecretBox) -> None:
    """Three keys in two groups, encrypted by `box`, through the service."""
    actor = await make_actor(app, client)
    team = await make_group(client, actor)
    groups = [actor.user.personal_group_id, team, team]
    previous = crypto.install(box)
    try:
        async with app.state.sessionmaker() as session:
            for group_id, (provider, value) in zip(groups, VALUES.items(), strict=True):
                ctx = GroupContext(actor.user.id, group_id, Role.admin)
                body = ApiKeyCreate(name=provider, provider=provider, value=SecretStr(value))
                await secrets.create(session, ctx, body)
    finally:
        crypto.install(previous)


async def _ciphertexts(app: FastAPI) -> dict[str, str]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(select(ApiKey.provider, ApiKey.value_encrypted))
        return {row[0]: row[1] for row in rows}


async def _plaintexts(app: FastAPI, box: SecretBox) -> dict[str, str]:
    return {p: box.decrypt(token) for p, token in (await _ciphertexts(app)).items()}


async def _kasal(settings: Settings, data_dir: Path, *args: str, keys: str = "") -> Result:
    env = {
        "KASAL_DATABASE_URL": settings.db_url,
        "KASAL_DATA_DIR": str(data_dir),
        "KASAL_SECRET_KEYS": keys,
    }
    return await asyncio.to_thread(lambda: CliRunner().invoke(cli.app, list(args), env=env))


def _said(result: Result) -> str:
    """The command's output with line wrapping undone."""
    return " ".join(result.output.split())


def _key_file(data_dir: Path) -> Path:
    return data_dir / crypto.KEY_FILE_NAME


async def test_rotate_with_a_key_file_then_prune(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    original = SecretBox([generate_key()])
    _key_file(tmp_path).write_text(f"{original.primary}\n")
    await _store(app, client, original)

    rotated = await _kasal(settings, tmp_path, "secrets", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "re-encrypted 3 stored secret(s)" in _said(rotated)
    keys = _key_file(tmp_path).read_text().split()
    assert len(keys) == 2
    assert keys[1] == original.primary
    new_only = SecretBox([keys[0]])
    assert await _plaintexts(app, new_only) == VALUES
    assert not any(original.can_decrypt(t) for t in (await _ciphertexts(app)).values())

    pruned = await _kasal(settings, tmp_path, "secrets", "prune")
    assert pruned.exit_code == 0, pruned.output
    assert _key_file(tmp_path).read_text().split() == [keys[0]]
    after_prune = SecretBox.from_settings(Settings(data_dir=tmp_path, secret_keys=[]))
    assert await _plaintexts(app, after_prune) == VALUES


async def test_rotate_with_keys_from_the_environment(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    old, new = generate_key(), generate_key()
    await _store(app, client, SecretBox([old]))
    result = await _kasal(settings, tmp_path, "secrets", "rotate", "--new-key", new, keys=old)
    assert result.exit_code == 0, result.output
    assert f"KASAL_SECRET_KEYS={new},{old}" in _said(result)
    assert not _key_file(tmp_path).exists()
    assert await _plaintexts(app, SecretBox([new])) == VALUES


async def test_env_flow_add_key_reencrypt_then_prune(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    old, new = generate_key(), generate_key()
    await _store(app, client, SecretBox([old]))
    both = f"{new},{old}"
    refused = await _kasal(settings, tmp_path, "secrets", "prune", keys=both)
    assert refused.exit_code == 1
    assert "3 stored secret(s) still need an older key" in _said(refused)
    assert "Traceback" not in _said(refused)
    result = await _kasal(settings, tmp_path, "secrets", "rotate", "--reencrypt-only", keys=both)
    assert result.exit_code == 0, result.output
    assert await _plaintexts(app, SecretBox([new])) == VALUES
    pruned = await _kasal(settings, tmp_path, "secrets", "prune", keys=both)
    assert pruned.exit_code == 0, pruned.output
    assert f"KASAL_SECRET_KEYS={new}\n" in pruned.output


async def test_a_missing_key_file_is_a_clear_error(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    await _store(app, client, SecretBox([generate_key()]))
    before = await _ciphertexts(app)
    result = await _kasal(settings, tmp_path, "secrets", "rotate")
    assert result.exit_code == 1
    assert "does not exist" in _said(result)
    assert "Traceback" not in _said(result)
    assert not _key_file(tmp_path).exists()
    assert await _ciphertexts(app) == before


async def test_a_fresh_install_gets_its_first_key(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    result = await _kasal(settings, tmp_path, "secrets", "rotate")
    assert result.exit_code == 0, result.output
    assert "re-encrypted 0 stored secret(s)" in _said(result)
    assert len(_key_file(tmp_path).read_text().split()) == 2


async def test_a_corrupt_key_file_is_a_clear_error(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    _key_file(tmp_path).write_text("garbage\n")
    result = await _kasal(settings, tmp_path, "secrets", "rotate")
    assert result.exit_code == 1
    assert "not a valid Fernet key" in _said(result)
    assert "Traceback" not in _said(result)
    assert _key_file(tmp_path).read_text() == "garbage\n"


async def test_the_wrong_key_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    await _store(app, client, SecretBox([generate_key()]))
    before = await _ciphertexts(app)
    wrong = generate_key()
    _key_file(tmp_path).write_text(f"{wrong}\n")
    result = await _kasal(settings, tmp_path, "secrets", "rotate")
    assert result.exit_code == 1
    assert "3 stored secret(s) cannot be decrypted" in _said(result)
    assert "Nothing was changed" in _said(result)
    assert "Traceback" not in _said(result)
    assert _key_file(tmp_path).read_text() == f"{wrong}\n"
    assert await _ciphertexts(app) == before


async def test_an_invalid_new_key_is_refused(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    key = generate_key()
    result = await _kasal(settings, tmp_path, "secrets", "rotate", "--new-key", "nope", keys=key)
    assert result.exit_code == 1
    assert "not a valid Fernet key" in _said(result)
    assert "Traceback" not in _said(result)


async def test_reencryption_is_all_or_nothing(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    readable, unreadable = generate_key(), generate_key()
    await _store(app, client, SecretBox([readable]))
    async with app.state.sessionmaker() as session:
        row = await session.scalar(select(ApiKey).where(ApiKey.provider == "databricks"))
        assert row is not None
        row.value_encrypted = SecretBox([unreadable]).encrypt("lost")
        await session.commit()
    before = await _ciphertexts(app)
    target = SecretBox([generate_key(), readable])
    async with app.state.sessionmaker() as session:
        assert await secrets.undecryptable(session, target) == 1
        with pytest.raises(SecretUnreadable):
            await secrets.reencrypt_all(session, target)
    assert await _ciphertexts(app) == before


async def test_the_app_reads_keys_the_api_stored(app: FastAPI, client: httpx.AsyncClient) -> None:
    """The app's own box (installed at start-up) is the one the API encrypts with."""
    actor = await make_actor(app, client)
    body = {"name": "k", "provider": "openai", "value": VALUES["openai"]}
    response = await client.post("/api/v1/api-keys", json=body, headers=actor.headers)
    assert response.status_code == 201
    async with app.state.sessionmaker() as session:
        keys = await secrets.decrypted_keys(
            session, uuid.UUID(str(actor.user.personal_group_id)), ["openai"]
        )
    assert keys["openai"].get_secret_value() == VALUES["openai"]
