"""Crews: versioned documents. The rules and the transaction of every crew operation.

Every save (create, PUT, PATCH, restore, import, duplicate) writes an immutable version
row holding the whole document. A save names the version it started from; the write is
a compare-and-set on the crew's version column, so of two saves based on the same
version exactly one wins and the other gets `version_conflict` (409).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.connections import service as connections
from kasal.core.context import GroupContext
from kasal.core.errors import InvalidInput, StoredDataInvalid
from kasal.core.pagination import Page, PageParams
from kasal.core.versioning import Saved, Versions
from kasal.crews import document, porting, validation
from kasal.crews.deps import ImportUpload
from kasal.crews.models import Crew, CrewVersion
from kasal.crews.porting import ExportFile, ExportFormat
from kasal.crews.repository import CrewRepository, CrewVersionRepository
from kasal.crews.schemas import (
    BasedOn,
    CrewBody,
    CrewCreate,
    CrewImported,
    CrewPatch,
    CrewRead,
    CrewReplace,
    CrewSort,
    CrewSummary,
    CrewVersionRead,
    DuplicateRequest,
    ImportNote,
    Problem,
    ValidationReport,
    VersionSummary,
)
from kasal.crews.validation import Catalog, ModelFacts
from kasal.engine.spec import CrewSpec
from kasal.engine.validate import required_inputs
from kasal.knowledge import service as knowledge
from kasal.llms import service as llms
from kasal.mcp import service as mcp
from kasal.openapi import service as openapi
from kasal.secrets import service as secrets
from kasal.tools import service as tools


@dataclass(frozen=True)
class CrewSnapshot:
    """What a run needs of a crew: the spec of one version, frozen at that moment. A
    draft that no crew stores (a chat with a library agent) has no `crew_id`."""

    crew_id: uuid.UUID | None
    name: str
    version: int
    spec: CrewSpec
    inputs: list[str]
    default_inputs: dict[str, str]
    problems: list[Problem]

    @property
    def model_keys(self) -> list[str]:
        """Every model key the spec uses (agents, manager, embedder), for credentials."""
        keys = [a.llm for a in self.spec.agents] + [self.spec.manager_llm, self.spec.embedder]
        return list(dict.fromkeys(k for k in keys if k is not None))


async def catalog_of(
    session: AsyncSession, ctx: GroupContext, databricks_token: str | None = None
) -> Catalog:
    """The group's models, tools, keys, tool sources (MCP servers, OpenAPI documents),
    database connections and knowledge bases, as validation sees them. In Databricks Apps
    mode the request's forwarded token counts as the key of Databricks models and of the
    workspace tools."""
    return Catalog(
        models=await llms.catalog(session, ctx, databricks_token),
        tools=await tools.tool_states(session, ctx),
        sources={
            **await openapi.tool_sources(session, ctx),
            **await mcp.source_facts(session, ctx),
        },
        tool_keys=frozenset(
            await secrets.tool_key_providers(session, ctx.group_id, databricks_token)
        ),
        connections=await connections.names(session, ctx),
        knowledge_bases=await knowledge.base_ids(session, ctx),
    )


# ---------------------------------------------------------------- reading


async def list_crews(
    session: AsyncSession,
    ctx: GroupContext,
    params: PageParams,
    q: str | None = None,
    sort: CrewSort = "-updated_at",
) -> Page[CrewSummary]:
    rows, cursor = await CrewRepository(session, ctx.group_id).search(params, q, sort)
    return Page(items=[_summary(crew) for crew in rows], next_cursor=cursor)


async def get(
    session: AsyncSession,
    ctx: GroupContext,
    crew_id: uuid.UUID,
    *,
    databricks_token: str | None = None,
) -> CrewRead:
    crew = await _crew(session, ctx, crew_id)
    return await _read(crew, await catalog_of(session, ctx, databricks_token))


async def list_versions(
    session: AsyncSession, ctx: GroupContext, crew_id: uuid.UUID, params: PageParams
) -> Page[VersionSummary]:
    await _crew(session, ctx, crew_id)
    rows, cursor = await CrewVersionRepository(session, ctx.group_id).history(crew_id, params)
    items = [
        VersionSummary(version=v.version, created_at=v.created_at, author_email=v.author_email)
        for v in rows
    ]
    return Page(items=items, next_cursor=cursor)


async def get_version(
    session: AsyncSession,
    ctx: GroupContext,
    crew_id: uuid.UUID,
    version: int,
    *,
    databricks_token: str | None = None,
) -> CrewVersionRead:
    crew = await _crew(session, ctx, crew_id)
    row = await _version(session, ctx, crew_id, version)
    catalog = await catalog_of(session, ctx, databricks_token)
    return CrewVersionRead(
        id=crew.id,
        version=row.version,
        created_at=crew.created_at,
        updated_at=row.created_at,
        author_email=row.author_email,
        **await asyncio.to_thread(_document, row.content, catalog),
    )


async def validate(
    session: AsyncSession,
    ctx: GroupContext,
    crew_id: uuid.UUID,
    draft: CrewCreate | None,
    *,
    databricks_token: str | None = None,
) -> ValidationReport:
    """The problems of the stored crew, or of an unsaved draft of it when one is sent."""
    crew = await _crew(session, ctx, crew_id)
    catalog = await catalog_of(session, ctx, databricks_token)
    return await asyncio.to_thread(_report, draft if draft is not None else crew.content, catalog)


async def snapshot_for_run(
    session: AsyncSession,
    ctx: GroupContext,
    crew_id: uuid.UUID,
    version: int | None = None,
    *,
    databricks_token: str | None = None,
) -> CrewSnapshot:
    """The crew as a run must see it (the current version unless one is named).

    Raises InvalidInput `crew_invalid`, listing every problem, when any is an error.
    """
    crew = await _crew(session, ctx, crew_id)
    if version is None or version == crew.version:
        content, number = crew.content, crew.version
    else:
        content, number = (await _version(session, ctx, crew_id, version)).content, version
    return await _snapshot(session, ctx, content, crew.id, number, databricks_token)


async def snapshot_of_draft(
    session: AsyncSession,
    ctx: GroupContext,
    draft: CrewBody,
    *,
    databricks_token: str | None = None,
) -> CrewSnapshot:
    """An unsaved document, checked exactly as a stored crew is before it runs."""
    return await _snapshot(session, ctx, _content(draft), None, 1, databricks_token)


async def _snapshot(
    session: AsyncSession,
    ctx: GroupContext,
    content: dict[str, Any],
    crew_id: uuid.UUID | None,
    version: int,
    databricks_token: str | None,
) -> CrewSnapshot:
    catalog = await catalog_of(session, ctx, databricks_token)
    body, found, spec = await asyncio.to_thread(_checked, content, catalog)
    if validation.has_errors(found):
        errors = sum(p.severity == "error" for p in found)
        raise InvalidInput(
            "crew_invalid",
            f"The crew cannot run: {errors} problem{'s' if errors != 1 else ''} to fix first.",
            [p.model_dump() for p in found],
        )
    return CrewSnapshot(
        crew_id=crew_id,
        name=body.name,
        version=version,
        spec=spec,
        inputs=required_inputs(spec),
        default_inputs=body.default_inputs,
        problems=found,
    )


async def export(
    session: AsyncSession, ctx: GroupContext, crew_id: uuid.UUID, fmt: ExportFormat
) -> ExportFile:
    crew = await _crew(session, ctx, crew_id)
    return porting.export(_body(crew.content), fmt)


# ---------------------------------------------------------------- writing


async def create(
    session: AsyncSession,
    ctx: GroupContext,
    body: CrewCreate,
    *,
    databricks_token: str | None = None,
) -> CrewRead:
    crew = await _insert(session, ctx, body)
    await session.commit()
    return await _read(crew, await catalog_of(session, ctx, databricks_token))


async def replace(
    session: AsyncSession,
    ctx: GroupContext,
    crew_id: uuid.UUID,
    body: CrewReplace,
    *,
    databricks_token: str | None = None,
) -> CrewRead:
    crew = await _crew(session, ctx, crew_id)
    return await _save(session, ctx, crew, body, body.version, databricks_token)


async def patch(
    session: AsyncSession,
    ctx: GroupContext,
    crew_id: uuid.UUID,
    body: CrewPatch,
    *,
    databricks_token: str | None = None,
) -> CrewRead:
    crew = await _crew(session, ctx, crew_id)
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    merged = CrewBody.model_validate({**_body(crew.content).model_dump(), **changes})
    return await _save(session, ctx, crew, merged, body.version, databricks_token)


async def restore(
    session: AsyncSession,
    ctx: GroupContext,
    crew_id: uuid.UUID,
    version: int,
    body: BasedOn,
    *,
    databricks_token: str | None = None,
) -> CrewRead:
    crew = await _crew(session, ctx, crew_id)
    old = _body((await _version(session, ctx, crew_id, version)).content)
    return await _save(session, ctx, crew, old, body.version or crew.version, databricks_token)


async def duplicate(
    session: AsyncSession,
    ctx: GroupContext,
    crew_id: uuid.UUID,
    body: DuplicateRequest,
    *,
    databricks_token: str | None = None,
) -> CrewRead:
    source = _body((await _crew(session, ctx, crew_id)).content)
    name = body.name or await _versions(session, ctx).free_name(source.name, "copy")
    crew = await _insert(session, ctx, source.model_copy(update={"name": name}))
    await session.commit()
    return await _read(crew, await catalog_of(session, ctx, databricks_token))


async def delete(session: AsyncSession, ctx: GroupContext, crew_id: uuid.UUID) -> None:
    await CrewRepository(session, ctx.group_id).delete(await _crew(session, ctx, crew_id))
    await session.commit()


async def import_crew(
    session: AsyncSession,
    ctx: GroupContext,
    upload: ImportUpload,
    *,
    databricks_token: str | None = None,
) -> CrewImported:
    """A new crew from a file. A name already taken gets a number: `Research (2)`."""
    catalog = await catalog_of(session, ctx, databricks_token)
    resolve = model_resolver(catalog.models)
    default = await llms.default_model(session, ctx.group_id, databricks_token)
    mcp_server = await mcp.server_at_url(session, ctx)
    # Parsing a large YAML file takes seconds of CPU: keep the event loop free meanwhile.
    imported = await asyncio.to_thread(
        porting.import_file,
        upload.filename,
        upload.data,
        resolve,
        default,
        named=upload.named,
        mcp_server=mcp_server,
    )
    name = await free_name(session, ctx, imported.body.name)
    crew = await _insert(session, ctx, imported.body.model_copy(update={"name": name}))
    await session.commit()
    read = await _read(crew, catalog)
    located = [
        imported.locate(p.pointer, p.message) for p in read.problems if p.severity == "error"
    ]
    return CrewImported(
        **read.model_dump(),
        notes=[ImportNote(file=n.file, line=n.line, message=n.message) for n in imported.notes],
        blocking=[ImportNote(file=n.file, line=n.line, message=n.message) for n in located],
    )


async def latest_versions(session: AsyncSession, ctx: GroupContext) -> dict[uuid.UUID, int]:
    """Every crew of the group with its latest version (what a flow's steps may name)."""
    return await CrewRepository(session, ctx.group_id).versions()


async def named_crews(session: AsyncSession, ctx: GroupContext) -> dict[str, uuid.UUID]:
    """The group's crews by lower-cased name (what an imported flow's reference names)."""
    rows = await CrewRepository(session, ctx.group_id).all(
        CrewRepository(session, ctx.group_id).select()
    )
    return {crew.name_key: crew.id for crew in rows}


async def document_at(
    session: AsyncSession, ctx: GroupContext, crew_id: uuid.UUID, version: int | None
) -> CrewBody:
    """The crew's document at `version` (the latest when None), e.g. to export it."""
    crew = await _crew(session, ctx, crew_id)
    if version is None or version == crew.version:
        return _body(crew.content)
    return _body((await _version(session, ctx, crew_id, version)).content)


async def add_imported(session: AsyncSession, ctx: GroupContext, body: CrewBody) -> uuid.UUID:
    """Add an imported crew under a free name. Flushes only: the importer (a flow) commits
    it with the rest of what it imports, or nothing."""
    name = await free_name(session, ctx, body.name)
    crew = await _insert(session, ctx, body.model_copy(update={"name": name}))
    return crew.id


async def ensure_named(session: AsyncSession, ctx: GroupContext, body: CrewBody) -> bool:
    """Add the crew unless the group has one of that name. Flushes only (for seeders)."""
    if await CrewRepository(session, ctx.group_id).named(body.name) is not None:
        return False
    await _insert(session, ctx, body)
    return True


async def require_version(
    session: AsyncSession, ctx: GroupContext, crew_id: uuid.UUID, based_on: int
) -> None:
    """Raise `version_conflict` (409) now if a save based on `based_on` would meet one."""
    crew = await _crew(session, ctx, crew_id)
    if based_on != crew.version:
        raise await _versions(session, ctx).conflict(crew_id, based_on)


async def free_name(session: AsyncSession, ctx: GroupContext, stem: str) -> str:
    """`stem` if the group has no crew of that name, else `stem (2)`, `stem (3)`..."""
    return await _versions(session, ctx).free_name(stem)


def model_resolver(models: Mapping[str, ModelFacts]) -> Callable[[str], str]:
    """Map CrewAI-style model names (`openai/gpt-4o`, `gpt-4o`) to the group's model keys.

    A value that matches nothing is kept as written; validation then reports it.
    """
    aliases: dict[str, str] = {}
    for key, model in models.items():
        aliases.setdefault(f"{model.provider}/{model.model}".lower(), key)
    for key, model in models.items():
        aliases.setdefault(model.model.lower(), key)

    def resolve(value: str) -> str:
        if value in models:
            return value
        return aliases.get(value.strip().lower(), value)

    return resolve


# ---------------------------------------------------------------- internals


def _versions(session: AsyncSession, ctx: GroupContext) -> Versions[Crew, CrewVersion]:
    return Versions(session, ctx, CrewRepository, CrewVersionRepository, "crew")


def _saved(body: CrewBody) -> Saved:
    return Saved(name=body.name, description=body.description, content=_content(body))


async def _insert(session: AsyncSession, ctx: GroupContext, body: CrewBody) -> Crew:
    return await _versions(session, ctx).insert(_saved(body))


async def _save(
    session: AsyncSession,
    ctx: GroupContext,
    crew: Crew,
    body: CrewBody,
    based_on: int,
    databricks_token: str | None,
) -> CrewRead:
    await _versions(session, ctx).save(crew, _saved(body), based_on)
    await session.commit()
    await session.refresh(crew)
    return await _read(crew, await catalog_of(session, ctx, databricks_token))


async def _crew(session: AsyncSession, ctx: GroupContext, crew_id: uuid.UUID) -> Crew:
    return await _versions(session, ctx).head(crew_id)


async def _version(
    session: AsyncSession, ctx: GroupContext, crew_id: uuid.UUID, version: int
) -> CrewVersion:
    return await _versions(session, ctx).version(crew_id, version)


def _content(body: CrewBody) -> dict[str, Any]:
    """The stored document: exactly CrewBody's fields (a CrewReplace also carries version)."""
    return body.model_dump(mode="json", include=set(CrewBody.model_fields))


def _body(content: dict[str, Any]) -> CrewBody:
    """A stored document, parsed. One that no longer parses is the server's fault."""
    try:
        return CrewBody.model_validate(content)
    except ValidationError as exc:
        raise StoredDataInvalid(f"A stored crew document does not validate: {exc}") from exc


# Parsing and checking a large crew takes CPU time (a 200-task crew whose tasks each take
# all earlier ones as context has 20,000 context entries): the functions below run in a
# thread (asyncio.to_thread), so the event loop keeps serving other requests meanwhile.


def _checked(content: dict[str, Any], catalog: Catalog) -> tuple[CrewBody, list[Problem], CrewSpec]:
    body = _body(content)
    spec = document.to_spec(body)
    return body, validation.problems_of(spec, catalog), spec


def _report(source: CrewBody | dict[str, Any], catalog: Catalog) -> ValidationReport:
    body = source if isinstance(source, CrewBody) else _body(source)
    spec = document.to_spec(body)
    return ValidationReport(
        problems=validation.problems_of(spec, catalog), inputs=required_inputs(spec)
    )


def _document(content: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The stored document's fields plus what is derived from it."""
    body, found, spec = _checked(content, catalog)
    return {
        **{name: getattr(body, name) for name in CrewBody.model_fields},
        "edges": document.edges(body),
        "inputs": required_inputs(spec),
        "problems": found,
    }


async def _read(crew: Crew, catalog: Catalog) -> CrewRead:
    return CrewRead(
        id=crew.id,
        version=crew.version,
        created_at=crew.created_at,
        updated_at=crew.updated_at,
        **await asyncio.to_thread(_document, crew.content, catalog),
    )


def _summary(crew: Crew) -> CrewSummary:
    content = crew.content
    return CrewSummary(
        id=crew.id,
        name=crew.name,
        description=crew.description,
        version=crew.version,
        process=content.get("process", "sequential"),
        agent_count=len(content.get("agents", [])),
        task_count=len(content.get("tasks", [])),
        created_at=crew.created_at,
        updated_at=crew.updated_at,
    )
