"""Request and response bodies of the auth, users and groups endpoints."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from kasal.core.context import Role


def _normalise_email(value: str) -> str:
    return value.strip().lower()


# Deliberately permissive: internal domains such as `kasal.local` are normal in self-hosting.
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$"),
    AfterValidator(_normalise_email),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[str, Field(min_length=8, max_length=1024)]


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class LoginRequest(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class RefreshRequest(BaseModel):
    refresh_token: str | None = None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int


class UserRead(_Read):
    id: uuid.UUID
    email: str
    name: str
    is_admin: bool
    is_active: bool
    personal_group_id: uuid.UUID
    created_at: datetime


class UserCreate(BaseModel):
    email: Email
    password: Password
    name: Name
    is_admin: bool = False


class UserUpdate(BaseModel):
    name: Name | None = None
    is_active: bool | None = None
    is_admin: bool | None = None


def _in_future(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("must include a timezone, e.g. 2030-01-01T00:00:00Z")
    if value <= datetime.now(UTC):
        raise ValueError("must be in the future")
    return value


class AccessTokenCreate(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    expires_at: Annotated[datetime | None, AfterValidator(_in_future)] = None


class AccessTokenRead(_Read):
    id: uuid.UUID
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class AccessTokenCreated(AccessTokenRead):
    token: str = Field(description="Shown once. Store it now; only its hash is kept.")


class GroupRead(BaseModel):
    id: uuid.UUID
    name: str
    is_personal: bool
    role: Role
    created_at: datetime


class GroupCreate(BaseModel):
    name: Name


class GroupUpdate(BaseModel):
    name: Name


class MemberRead(BaseModel):
    user_id: uuid.UUID
    email: str
    name: str
    role: Role


class MemberAdd(BaseModel):
    email: Email
    role: Role = Role.viewer


class MemberUpdate(BaseModel):
    role: Role
