"""Request and response bodies of the connections endpoints. A URL goes in, never out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, SecretStr, StringConstraints

from kasal.engine.tools.catalog import CONNECTION_NAME_PATTERN


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


ConnectionName = Annotated[
    str,
    StringConstraints(pattern=CONNECTION_NAME_PATTERN),
    Field(description="The handle a tool configuration names: a-z, 0-9, _ and -"),
]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
SecretUrl = Annotated[SecretStr, BeforeValidator(_strip), Field(min_length=1, max_length=4096)]
Password = Annotated[SecretStr, Field(max_length=1024)]

_URL_HELP = (
    "A SQLAlchemy URL: postgresql://user:password@host:5432/db, mysql://user:password@host/db "
    "(MariaDB too) or sqlite:////absolute/path/on/the/server.db. Write-only."
)


class ConnectionCreate(BaseModel):
    name: ConnectionName
    url: SecretUrl = Field(description=_URL_HELP)
    password: Password | None = Field(
        None, description="The password, if not written in the URL (this one wins). Write-only."
    )
    description: Description = ""


class ConnectionUpdate(BaseModel):
    name: ConnectionName | None = None
    url: SecretUrl | None = Field(
        None,
        description=_URL_HELP + " To keep the stored password, send *** as the password, "
        "as the URL is shown.",
    )
    password: Password | None = Field(
        None, description="A new password (an empty one removes it). Write-only."
    )
    description: Description | None = None


class ConnectionRead(BaseModel):
    id: uuid.UUID
    name: str
    dialect: str = Field(description="postgresql, mysql, mariadb or sqlite")
    url: str = Field(description="The URL with its password shown as ***")
    has_password: bool
    description: str
    created_at: datetime
    updated_at: datetime


class ConnectionCheck(BaseModel):
    """What `POST /connections/{id}/test` found. A failure is an answer, not an error."""

    ok: bool
    server_version: str | None = Field(description='e.g. "PostgreSQL 16.4", when it answered')
    error: str | None = Field(description="Why it could not connect, in plain words")
    elapsed_ms: int
