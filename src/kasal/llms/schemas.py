"""Request and response bodies of the model catalog endpoints."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from kasal.engine.providers import Provider

KEY_PATTERN = r"^[a-z0-9][a-z0-9._:/-]{0,99}$"


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return value


ModelKey = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
ModelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
BaseUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(_http_url)
]
Kind = Literal["chat", "embedding"]
Tokens = Annotated[int, Field(ge=1, le=100_000_000)]
Temperature = Annotated[float, Field(ge=0, le=2)]
Price = Annotated[float, Field(ge=0, le=1_000_000, description="USD per million tokens")]
Scope = Literal["group", "global"]


class ModelRead(BaseModel):
    """A model as one group sees it: the global entry with the group's overrides applied."""

    key: str
    provider: str
    model: str
    kind: str
    label: str
    context_window: int | None
    max_output_tokens: int | None
    default_temperature: float | None
    enabled: bool
    base_url: str | None
    is_custom: bool = Field(description="The group's own model, not from the global catalog")
    overridden: bool = Field(description="The group changed some settings of a global model")
    has_key: bool = Field(description="A credential is available (or none is needed)")
    input_price_per_mtok: float | None
    output_price_per_mtok: float | None
    is_default: bool = Field(
        default=False,
        description="What an agent with no model gets: the first chat model that can run now",
    )


class ModelCreate(BaseModel):
    key: ModelKey
    provider: Provider
    model: ModelName
    kind: Kind = "chat"
    label: Label | None = Field(default=None, description="Defaults to the model name")
    context_window: Tokens | None = None
    max_output_tokens: Tokens | None = None
    default_temperature: Temperature | None = None
    enabled: bool = True
    base_url: BaseUrl | None = None
    input_price_per_mtok: Price | None = None
    output_price_per_mtok: Price | None = None


class ModelUpdate(BaseModel):
    """Only the fields sent change. On a global model, `null` means "as the catalog says"."""

    provider: Provider | None = None
    model: ModelName | None = None
    kind: Kind | None = None
    label: Label | None = None
    context_window: Tokens | None = None
    max_output_tokens: Tokens | None = None
    default_temperature: Temperature | None = None
    enabled: bool | None = None
    base_url: BaseUrl | None = None
    input_price_per_mtok: Price | None = None
    output_price_per_mtok: Price | None = None


class DiscoveredModel(BaseModel):
    """A model the provider offers the caller, and whether the catalog has it yet."""

    name: str = Field(description="The provider's model name (a serving endpoint's name)")
    kind: Kind
    task: str
    ready: bool = Field(description="The endpoint is serving now")
    catalog_key: str | None = Field(description="The catalog's model for it, if there is one")
