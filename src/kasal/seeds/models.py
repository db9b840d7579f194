"""Seeds the global model catalog from data/models.yaml.

Missing models are inserted. A model already there is updated field by field, but only
where it still holds what the seed last wrote (kept in `seeded_values`): an admin's edit
always wins over a later seed, and models an admin added are never touched. Models that
left the data file stay (crews may use them); admins disable them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.config import Settings
from kasal.engine.providers import Provider
from kasal.llms.models import LLMModel
from kasal.llms.repository import GlobalModelRepository
from kasal.llms.schemas import BaseUrl, Kind, Label, ModelKey, ModelName, Price, Temperature, Tokens


class SeedModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: ModelKey
    provider: Provider
    model: ModelName
    kind: Kind = "chat"
    label: Label
    context_window: Tokens | None = None
    max_output_tokens: Tokens | None = None
    default_temperature: Temperature | None = None
    enabled: bool = True
    base_url: BaseUrl | None = None
    input_price_per_mtok: Price | None = None
    output_price_per_mtok: Price | None = None


@cache
def seed_models() -> tuple[SeedModel, ...]:
    text = resources.files("kasal.seeds").joinpath("data/models.yaml").read_text()
    return tuple(TypeAdapter(list[SeedModel]).validate_python(yaml.safe_load(text)))


async def seed(session: AsyncSession, settings: Settings) -> None:
    repo = GlobalModelRepository(session)
    existing = {row.key: row for row in await repo.all_models()}
    for entry in seed_models():
        values = entry.model_dump(exclude={"key"})
        row = existing.get(entry.key)
        if row is None:
            await repo.add(LLMModel(key=entry.key, **values, seeded_values=values))
        elif row.seeded_values is not None and row.seeded_values != values:
            _merge(row, row.seeded_values, values)
    await session.flush()


def _merge(row: LLMModel, last: dict[str, Any], new: dict[str, Any]) -> None:
    for field, value in new.items():
        if value != last.get(field) and getattr(row, field) == last.get(field):
            setattr(row, field, value)
    row.seeded_values = new
