"""Key rotation re-encrypts connection URLs with the API keys: nothing is left behind."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from kasal.connections import service as connections
from kasal.connections.models import DatabaseConnection
from kasal.connections.schemas import ConnectionCreate
from kasal.core import crypto
from kasal.core.config import Settings
from kasal.core.context import GroupContext, Role
from kasal.core.crypto import SecretBox, generate_key
from kasal.secrets import rotation
from tests.factories import make_actor

URL = "postgresql+psycopg://reader:rotate-me@db.internal/sales"


async def test_rotation_reencrypts_connection_urls(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    old, new = generate_key(), generate_key()
    actor = await make_actor(app, client)
    ctx = GroupContext(actor.user.id, actor.user.personal_group_id, Role.admin)
    previous = crypto.install(SecretBox([old]))
    try:
        async with app.state.sessionmaker() as session:
            body = ConnectionCreate(name="sales", url=SecretStr(URL))
            await connections.create(session, ctx, body, settings.data_dir)
            with_old_key = settings.model_copy(update={"secret_keys": [SecretStr(old)]})
            change = await rotation.rotate(session, with_old_key, new)
    finally:
        crypto.install(previous)
    assert change.reencrypted == 1
    async with app.state.sessionmaker() as session:
        token = await session.scalar(select(DatabaseConnection.url_encrypted))
    assert token is not None
    assert SecretBox([new]).decrypt(token) == URL
    assert not SecretBox([old]).can_decrypt(token)
