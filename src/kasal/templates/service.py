"""Prompt templates: the defaults shipped in the seed data, and each group's edits.

A template's default text lives in `seeds/data/templates.yaml` (a new Kasal version can
improve it); a group that edits one stores its own text, which wins for that group until
it resets it. Placeholders are `{{name}}`, replaced verbatim: the texts are full of JSON
braces, so Python's `{name}` formatting would not do.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.context import GroupContext
from kasal.core.db import committed_unless_taken
from kasal.core.errors import Conflict, InvalidInput, NotFound
from kasal.core.pagination import Page
from kasal.templates.models import PromptTemplate
from kasal.templates.repository import TemplateRepository
from kasal.templates.schemas import TemplateRead, TemplateUpdate

VARIABLE = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


class DefaultTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    description: str
    variables: tuple[str, ...] = ()
    content: str


@cache
def defaults() -> dict[str, DefaultTemplate]:
    text = resources.files("kasal.seeds").joinpath("data/templates.yaml").read_text()
    entries = TypeAdapter(list[DefaultTemplate]).validate_python(yaml.safe_load(text))
    return {entry.key: entry for entry in entries}


async def list_templates(session: AsyncSession, ctx: GroupContext) -> Page[TemplateRead]:
    own = await TemplateRepository(session, ctx.group_id).overrides()
    return Page(items=[_read(default, own.get(key)) for key, default in defaults().items()])


async def get(session: AsyncSession, ctx: GroupContext, key: str) -> TemplateRead:
    default = _default(key)
    return _read(default, await TemplateRepository(session, ctx.group_id).by_key(key))


async def update(
    session: AsyncSession, ctx: GroupContext, key: str, body: TemplateUpdate
) -> TemplateRead:
    default = _default(key)
    unknown = sorted(set(VARIABLE.findall(body.content)) - set(default.variables))
    if unknown:
        allowed = ", ".join(f"{{{{{v}}}}}" for v in default.variables) or "none"
        raise InvalidInput(
            "unknown_template_variable",
            f"The template {key!r} has no variable {', '.join(unknown)} (it has: {allowed}).",
            [{"loc": ["body", "content"], "variable": v} for v in unknown],
        )
    repo = TemplateRepository(session, ctx.group_id)
    row = await repo.by_key(key)
    taken = Conflict("template_changed", f"The template {key!r} was changed at the same time")
    async with committed_unless_taken(session, taken):
        if row is None:
            row = await repo.add(PromptTemplate(key=key, content=body.content))
        else:
            row.content = body.content
    return _read(default, row)


async def reset(session: AsyncSession, ctx: GroupContext, key: str) -> TemplateRead:
    """Back to the default text (the group's own is deleted)."""
    default = _default(key)
    repo = TemplateRepository(session, ctx.group_id)
    row = await repo.by_key(key)
    if row is not None:
        await repo.delete(row)
        await session.commit()
    return _read(default, None)


async def texts(session: AsyncSession, ctx: GroupContext, *keys: str) -> dict[str, str]:
    """The texts in use by the group for these templates (their own, else the default)."""
    own = await TemplateRepository(session, ctx.group_id).overrides()
    return {key: own[key].content if key in own else _default(key).content for key in keys}


def render(text: str, **values: str) -> str:
    """The text with each `{{name}}` replaced; a name without a value stays as written."""
    return VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _default(key: str) -> DefaultTemplate:
    default = defaults().get(key)
    if default is None:
        raise NotFound("template_not_found", f"No prompt template {key!r}")
    return default


def _read(default: DefaultTemplate, row: PromptTemplate | None) -> TemplateRead:
    return TemplateRead(
        key=default.key,
        description=default.description,
        variables=list(default.variables),
        content=row.content if row is not None else default.content,
        default_content=default.content,
        overridden=row is not None,
        updated_at=row.updated_at if row is not None else None,
    )
