"""Request and response bodies of the API keys endpoints. A value goes in, never out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, StringConstraints

from kasal.engine.providers import KeyProvider


def _strip(value: object) -> object:
    """Pasted keys often carry a newline; a value of only whitespace is empty."""
    return value.strip() if isinstance(value, str) else value


KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
SecretValue = Annotated[SecretStr, BeforeValidator(_strip), Field(min_length=1, max_length=4096)]


class ApiKeyCreate(BaseModel):
    name: KeyName
    provider: KeyProvider
    value: SecretValue


class ApiKeyUpdate(BaseModel):
    name: KeyName | None = None
    value: SecretValue | None = Field(default=None, description="A new value replaces the old")


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    provider: str
    last4: str = Field(description="The value's last four characters (empty if it is short)")
    created_at: datetime
    updated_at: datetime
