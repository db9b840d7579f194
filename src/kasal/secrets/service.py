"""API keys: stored encrypted, shown as `last4` only, decrypted only for a run (its models and
the services its tools call).

One key per group and provider (a second is a 409: edit the value instead), so which key
a run uses is never a question. Values never appear in a response, a log line or an error.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from kasal.connections.models import DatabaseConnection
from kasal.core import crypto
from kasal.core.context import GroupContext
from kasal.core.crypto import SecretBox
from kasal.core.db import committed_unless_taken
from kasal.core.errors import Conflict, NotFound
from kasal.core.pagination import Page, PageParams
from kasal.engine.tools.catalog import DATABRICKS_KEY
from kasal.mcp.models import McpServer
from kasal.openapi.models import OpenApiSource
from kasal.secrets.models import ApiKey
from kasal.secrets.repository import ApiKeyRepository, EncryptedColumnRepository
from kasal.secrets.schemas import ApiKeyCreate, ApiKeyRead, ApiKeyUpdate

# Every column holding a secret-box ciphertext. `kasal secrets rotate` re-encrypts them all;
# a domain that stores another kind of secret adds its column here (NULLs are skipped).
ENCRYPTED_COLUMNS: tuple[InstrumentedAttribute[Any], ...] = (
    ApiKey.value_encrypted,
    OpenApiSource.secret_encrypted,
    DatabaseConnection.url_encrypted,
    McpServer.secrets_encrypted,
)

_SHORTEST_WITH_LAST4 = 8  # below this, four characters would give away half the value


def last4(value: str) -> str:
    return value[-4:] if len(value) >= _SHORTEST_WITH_LAST4 else ""


async def list_keys(
    session: AsyncSession, ctx: GroupContext, params: PageParams
) -> Page[ApiKeyRead]:
    repo = ApiKeyRepository(session, ctx.group_id)
    rows, cursor = await repo.page(repo.select(), params, ApiKey.created_at)
    return Page(items=[ApiKeyRead.model_validate(row) for row in rows], next_cursor=cursor)


async def get(session: AsyncSession, ctx: GroupContext, key_id: uuid.UUID) -> ApiKeyRead:
    return ApiKeyRead.model_validate(await _key(ApiKeyRepository(session, ctx.group_id), key_id))


async def create(session: AsyncSession, ctx: GroupContext, body: ApiKeyCreate) -> ApiKeyRead:
    repo = ApiKeyRepository(session, ctx.group_id)
    if await repo.by_provider(body.provider) is not None:
        raise _provider_taken(body.provider)
    value = body.value.get_secret_value()
    row = ApiKey(
        name=body.name,
        provider=body.provider,
        value_encrypted=crypto.current().encrypt(value),
        last4=last4(value),
    )
    async with committed_unless_taken(session, _provider_taken(body.provider)):
        await repo.add(row)
    return ApiKeyRead.model_validate(row)


async def update(
    session: AsyncSession, ctx: GroupContext, key_id: uuid.UUID, body: ApiKeyUpdate
) -> ApiKeyRead:
    row = await _key(ApiKeyRepository(session, ctx.group_id), key_id)
    if body.name is not None:
        row.name = body.name
    if body.value is not None:
        value = body.value.get_secret_value()
        row.value_encrypted = crypto.current().encrypt(value)
        row.last4 = last4(value)
    await session.commit()
    return ApiKeyRead.model_validate(row)


async def delete(session: AsyncSession, ctx: GroupContext, key_id: uuid.UUID) -> None:
    repo = ApiKeyRepository(session, ctx.group_id)
    await repo.delete(await _key(repo, key_id))
    await session.commit()


async def providers_with_keys(session: AsyncSession, group_id: uuid.UUID) -> set[str]:
    """The providers the group has stored a key for (nothing is decrypted)."""
    return await ApiKeyRepository(session, group_id).providers()


async def tool_key_providers(
    session: AsyncSession, group_id: uuid.UUID, databricks_token: str | None = None
) -> set[str]:
    """The providers whose key the group's tools can call with: the stored keys, and in
    Databricks Apps mode the request's forwarded token as the databricks key."""
    stored = await providers_with_keys(session, group_id)
    return stored | {DATABRICKS_KEY} if databricks_token else stored


async def decrypted_keys(
    session: AsyncSession, group_id: uuid.UUID, providers: Collection[str]
) -> dict[str, SecretStr]:
    """The group's keys for `providers`, in clear but wrapped, for a run's models and tools."""
    box = crypto.current()
    rows = await ApiKeyRepository(session, group_id).of_providers(providers)
    return {row.provider: SecretStr(box.decrypt(row.value_encrypted)) for row in rows}


async def stored_count(session: AsyncSession) -> int:
    """How many secrets are stored, across every group and encrypted column."""
    count = 0
    for column in ENCRYPTED_COLUMNS:
        count += len(await EncryptedColumnRepository(session, column).values())
    return count


async def undecryptable(session: AsyncSession, box: SecretBox) -> int:
    """How many stored secrets `box` cannot open (0: safe to rotate or drop other keys)."""
    count = 0
    for column in ENCRYPTED_COLUMNS:
        values = await EncryptedColumnRepository(session, column).values()
        count += sum(1 for _, token in values if not box.can_decrypt(token))
    return count


async def reencrypt_all(session: AsyncSession, box: SecretBox) -> int:
    """Re-encrypt every stored secret under `box`'s primary key, in one transaction.

    All or nothing: a secret no key of `box` opens aborts the whole rotation
    (SecretUnreadable) before anything is committed.
    """
    count = 0
    for column in ENCRYPTED_COLUMNS:
        repo = EncryptedColumnRepository(session, column)
        for id_, token in await repo.values():
            await repo.set_value(id_, box.reencrypt(token))
            count += 1
    await session.commit()
    return count


async def _key(repo: ApiKeyRepository, key_id: uuid.UUID) -> ApiKey:
    row = await repo.get(key_id)
    if row is None:
        raise NotFound("api_key_not_found", "No such API key")
    return row


def _provider_taken(provider: str) -> Conflict:
    return Conflict(
        "api_key_exists",
        f"This group already has an API key for {provider}: change its value or delete it first",
    )
