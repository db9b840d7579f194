"""Request and response bodies of the triggers endpoints. A secret goes out once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class TriggerCreate(BaseModel):
    crew_id: uuid.UUID
    name: Name


class TriggerRead(BaseModel):
    id: uuid.UUID
    crew_id: uuid.UUID
    name: str
    token_hint: str = Field(description="The secret's first characters")
    owner_id: uuid.UUID | None = Field(description="Runs start as this user")
    fire_url: str = Field(description="POST here with Authorization: Bearer <secret>")
    revoked_at: datetime | None
    last_fired_at: datetime | None
    created_at: datetime


class TriggerCreated(TriggerRead):
    token: str = Field(description="The kasal_trg_... secret. Shown this once: store it now")
