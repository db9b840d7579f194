"""Request and response bodies of the OpenAPI sources endpoints. A secret goes in, never out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field, SecretStr, StringConstraints, model_validator

from kasal.agents.schemas import LongText, Strict
from kasal.engine.openapi_spec import AuthType, KeyLocation, ParameterLocation

# The handle in tool references (`openapi:<name>/<operation>`): no ':' or '/'.
SourceName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
# A header name is an HTTP token; a query parameter name is kept as short and plain.
KeyName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,200}$")]
Secret = Annotated[SecretStr, Field(min_length=1, max_length=4096)]
MAX_DOCUMENT_SIZE = 4_000_000  # characters of a document sent as text, bytes of a fetched one
DocumentText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_DOCUMENT_SIZE)]
TimeoutS = Annotated[float, Field(gt=0, le=120, description="Seconds a call may take")]
MaxResponseBytes = Annotated[
    int, Field(ge=1_000, le=1_000_000, description="Longer answers are cut")
]


class AuthIn(Strict):
    """How calls authenticate. `secret` is write-only; on a change it may be left out to
    keep the stored one."""

    type: AuthType = "none"
    location: KeyLocation | None = Field(None, description="api_key: header or query")
    name: KeyName | None = Field(None, description="api_key: the header or query parameter")
    secret: Secret | None = None

    @model_validator(mode="after")
    def _fits_type(self) -> Self:
        if self.type == "api_key" and (self.location is None or self.name is None):
            raise ValueError("an api_key auth needs `location` (header or query) and `name`")
        if self.type != "api_key" and (self.location is not None or self.name is not None):
            raise ValueError("`location` and `name` belong to an api_key auth only")
        if self.type == "none" and self.secret is not None:
            raise ValueError("an auth of type none takes no secret")
        return self


class AuthRead(BaseModel):
    type: AuthType
    location: KeyLocation | None
    name: str | None
    has_secret: bool


class _Document(Strict):
    document: dict[str, Any] | DocumentText | None = Field(
        None, description="The OpenAPI 3 document: a JSON object, or its JSON or YAML text"
    )
    url: Url | None = Field(None, description="Where to fetch the document from, once")


class OpenApiSourceCreate(_Document):
    name: SourceName
    description: LongText = ""
    base_url: Url | None = Field(None, description="Default: the document's first server")
    auth: AuthIn = Field(default_factory=AuthIn)
    enabled: bool = True
    timeout_s: TimeoutS = 15.0
    max_response_bytes: MaxResponseBytes = 100_000

    @model_validator(mode="after")
    def _one_document(self) -> Self:
        if (self.document is None) == (self.url is None):
            raise ValueError("send either `document` or `url`")
        return self


class OpenApiSourceUpdate(_Document):
    """Fields left out keep their value; a `document` or `url` replaces the operations."""

    name: SourceName | None = None
    description: LongText | None = None
    base_url: Url | None = None
    auth: AuthIn | None = None
    enabled: bool | None = None
    timeout_s: TimeoutS | None = None
    max_response_bytes: MaxResponseBytes | None = None

    @model_validator(mode="after")
    def _at_most_one_document(self) -> Self:
        if self.document is not None and self.url is not None:
            raise ValueError("send `document` or `url`, not both")
        return self


class OpenApiSourceRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    title: str = Field(description="The document's info.title")
    doc_version: str = Field(description="The document's info.version")
    source_url: str | None = Field(description="Where the document was fetched from")
    base_url: str
    auth: AuthRead
    enabled: bool
    timeout_s: float
    max_response_bytes: int
    operation_count: int
    created_at: datetime
    updated_at: datetime


class ParameterRead(BaseModel):
    name: str
    arg: str = Field(description="The name of the tool argument that fills it")
    location: ParameterLocation
    required: bool
    description: str
    json_schema: dict[str, Any]


class OpenApiToolRead(BaseModel):
    """One operation, as an agent or a task uses it."""

    tool_id: str = Field(description="What a tool list names: openapi:<source>/<operation>")
    name: str
    method: str
    path: str
    summary: str
    description: str
    parameters: list[ParameterRead]
    body_schema: dict[str, Any] | None
    body_required: bool
