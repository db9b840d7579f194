"""OpenAPI sources: a group's documents, parsed once, whose operations agents call as tools.

A document comes in the request (a JSON object, or JSON or YAML text) or from a URL, fetched
once through the same SSRF-safe client the tools use (public addresses only unless the
operator allows private ones, with a size and a time limit). It is parsed and checked at
registration (see `document`), so a bad document is a 422 then, never a failed run later.
The auth secret is encrypted with the app's secret box like API keys and is decrypted only
to hand it to a run; a response says only whether one is set.
"""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urljoin, urlsplit

from pydantic import SecretStr, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core import crypto
from kasal.core.config import Settings
from kasal.core.context import GroupContext
from kasal.core.db import committed_unless_taken
from kasal.core.errors import Conflict, InvalidInput, NotFound, StoredDataInvalid
from kasal.core.pagination import Page, PageParams
from kasal.engine import openapi_spec as spec
from kasal.engine.spec import CrewSpec, ToolSettings
from kasal.engine.tools.base import ToolError
from kasal.engine.tools.outbound import Limits, fetch, policy_for
from kasal.engine.tools.refs import SourceFacts, SourceKind, referenced_sources
from kasal.openapi.document import ParsedDocument, load, parse
from kasal.openapi.models import OpenApiSource
from kasal.openapi.repository import OpenApiSourceRepository, name_key
from kasal.openapi.schemas import (
    MAX_DOCUMENT_SIZE,
    AuthIn,
    AuthRead,
    OpenApiSourceCreate,
    OpenApiSourceRead,
    OpenApiSourceUpdate,
    OpenApiToolRead,
)

KIND: SourceKind = "openapi"
FETCH_TIMEOUT_S = 15.0
_ACCEPT = "application/json, application/yaml;q=0.9, */*;q=0.5"


async def list_sources(
    session: AsyncSession, ctx: GroupContext, params: PageParams
) -> Page[OpenApiSourceRead]:
    repo = OpenApiSourceRepository(session, ctx.group_id)
    rows, cursor = await repo.page(repo.select(), params, OpenApiSource.name_key)
    return Page(items=[_read(row) for row in rows], next_cursor=cursor)


async def get(session: AsyncSession, ctx: GroupContext, source_id: uuid.UUID) -> OpenApiSourceRead:
    return _read(await _source(session, ctx, source_id))


async def create(
    session: AsyncSession, ctx: GroupContext, settings: Settings, body: OpenApiSourceCreate
) -> OpenApiSourceRead:
    repo = OpenApiSourceRepository(session, ctx.group_id)
    if await repo.named(body.name) is not None:
        raise _name_taken(body.name)
    parsed, source_url = await _document(settings, body.document, body.url)
    row = OpenApiSource(
        name=body.name,
        name_key=name_key(body.name),
        description=body.description,
        enabled=body.enabled,
        timeout_s=body.timeout_s,
        max_response_bytes=body.max_response_bytes,
    )
    _set_document(row, parsed, source_url, body.base_url)
    _set_auth(row, body.auth)
    async with committed_unless_taken(session, _name_taken(body.name)):
        await repo.add(row)
    return _read(row)


async def update(
    session: AsyncSession,
    ctx: GroupContext,
    settings: Settings,
    source_id: uuid.UUID,
    body: OpenApiSourceUpdate,
) -> OpenApiSourceRead:
    row = await _source(session, ctx, source_id)
    if body.name is not None and name_key(body.name) != row.name_key:
        if await OpenApiSourceRepository(session, ctx.group_id).named(body.name) is not None:
            raise _name_taken(body.name)
        row.name, row.name_key = body.name, name_key(body.name)
    if body.document is not None or body.url is not None:
        parsed, source_url = await _document(settings, body.document, body.url)
        _set_document(row, parsed, source_url, body.base_url or row.base_url)
    elif body.base_url is not None:
        row.base_url = _base_url(body.base_url, row.source_url)
    if body.auth is not None:
        _set_auth(row, body.auth)
    async with committed_unless_taken(session, _name_taken(body.name or row.name)):
        for field in ("description", "enabled", "timeout_s", "max_response_bytes"):
            if (value := getattr(body, field)) is not None:
                setattr(row, field, value)
    return _read(row)


async def delete(session: AsyncSession, ctx: GroupContext, source_id: uuid.UUID) -> None:
    row = await _source(session, ctx, source_id)
    await OpenApiSourceRepository(session, ctx.group_id).delete(row)
    await session.commit()


async def list_tools(
    session: AsyncSession, ctx: GroupContext, source_id: uuid.UUID
) -> Page[OpenApiToolRead]:
    """The operations of the document, each as the tool an agent or a task would use."""
    row = await _source(session, ctx, source_id)
    return Page(items=[_tool(row.name, operation) for operation in _operations(row)])


async def tool_sources(
    session: AsyncSession, ctx: GroupContext
) -> dict[tuple[str, str], SourceFacts]:
    """What the crew rules know of the group's documents: enabled, and their operations."""
    rows = await OpenApiSourceRepository(session, ctx.group_id).every()
    return {
        (KIND, row.name): SourceFacts(row.enabled, frozenset(op["name"] for op in row.operations))
        for row in rows
    }


async def for_run(
    session: AsyncSession, group_id: uuid.UUID, crew: CrewSpec
) -> dict[str, spec.OpenApiSource]:
    """The enabled documents the crew uses, with their secrets decrypted for this run."""
    names = referenced_sources(crew, KIND)
    if not names:
        return {}
    rows = await OpenApiSourceRepository(session, group_id).enabled_named(names)
    return {row.name: _run_source(row) for row in rows}


# ---------------------------------------------------------------- helpers


async def _document(
    settings: Settings, document: object, url: str | None
) -> tuple[ParsedDocument, str | None]:
    """The parsed document, and the URL it came from (None: it was sent)."""
    if url is not None:
        document = await _download(settings, url)
    if isinstance(document, str):
        document = await asyncio.to_thread(load, document)
    return await asyncio.to_thread(parse, document), url


async def _download(settings: Settings, url: str) -> str:
    policy = policy_for(ToolSettings(http_allow_private=settings.tools_http_allow_private))
    limits = Limits(FETCH_TIMEOUT_S, MAX_DOCUMENT_SIZE)
    try:
        fetched = await asyncio.to_thread(
            fetch, url, policy=policy, limits=limits, headers={"Accept": _ACCEPT}
        )
    except ToolError as exc:
        raise InvalidInput(
            "openapi_fetch_failed", f"The document cannot be fetched: {exc}"
        ) from None
    if not 200 <= fetched.status_code < 300:
        raise InvalidInput(
            "openapi_fetch_failed",
            f"{url} answered HTTP {fetched.status_code} {fetched.reason}.",
        )
    if fetched.truncated:
        raise InvalidInput(
            "openapi_document_too_large",
            f"The document at {url} is larger than {MAX_DOCUMENT_SIZE} bytes "
            f"or took longer than {FETCH_TIMEOUT_S:g} s to download.",
        )
    return fetched.text()


def _set_document(
    row: OpenApiSource, parsed: ParsedDocument, source_url: str | None, base_url: str | None
) -> None:
    row.title, row.doc_version = parsed.title, parsed.version
    row.source_url = source_url
    row.base_url = _base_url(base_url or parsed.server_url, source_url)
    row.operations = [operation.model_dump() for operation in parsed.operations]


def _base_url(url: str | None, source_url: str | None) -> str:
    """An absolute http(s) URL; a relative server URL is relative to where the document was."""
    if url is None:
        raise InvalidInput(
            "openapi_base_url_missing", "The document names no server: give a `base_url`."
        )
    absolute = urljoin(source_url, url) if source_url else url
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(
            "openapi_base_url_invalid",
            f"The base URL {absolute!r} is not an absolute http(s) URL: give a `base_url`.",
        )
    return absolute


def _set_auth(row: OpenApiSource, auth: AuthIn) -> None:
    keeps_secret = row.secret_encrypted is not None and row.auth_type != "none"
    if auth.type != "none" and auth.secret is None and not keeps_secret:
        raise InvalidInput(
            "openapi_secret_missing", f"An auth of type {auth.type} needs a `secret`."
        )
    row.auth_type, row.auth_location, row.auth_name = auth.type, auth.location, auth.name
    if auth.type == "none":
        row.secret_encrypted = None
    elif auth.secret is not None:
        row.secret_encrypted = crypto.current().encrypt(auth.secret.get_secret_value())


def _operations(row: OpenApiSource) -> list[spec.OpenApiOperation]:
    try:
        return [spec.OpenApiOperation.model_validate(op) for op in row.operations]
    except ValidationError as exc:
        raise StoredDataInvalid(f"The stored operations of {row.name!r} do not validate.") from exc


def _run_source(row: OpenApiSource) -> spec.OpenApiSource:
    secret = None
    if row.secret_encrypted is not None:
        secret = SecretStr(crypto.current().decrypt(row.secret_encrypted))
    auth = spec.OpenApiAuth.model_validate(
        {"type": row.auth_type, "location": row.auth_location, "name": row.auth_name}
    ).model_copy(update={"secret": secret})
    return spec.OpenApiSource(
        name=row.name,
        base_url=row.base_url,
        auth=auth,
        operations=_operations(row),
        timeout_s=row.timeout_s,
        max_response_bytes=row.max_response_bytes,
    )


async def _source(session: AsyncSession, ctx: GroupContext, source_id: uuid.UUID) -> OpenApiSource:
    row = await OpenApiSourceRepository(session, ctx.group_id).get(source_id)
    if row is None:
        raise NotFound("openapi_source_not_found", "No such OpenAPI source")
    return row


def _read(row: OpenApiSource) -> OpenApiSourceRead:
    auth = AuthRead.model_validate(
        {
            "type": row.auth_type,
            "location": row.auth_location,
            "name": row.auth_name,
            "has_secret": row.secret_encrypted is not None,
        }
    )
    return OpenApiSourceRead(
        id=row.id,
        name=row.name,
        description=row.description,
        title=row.title,
        doc_version=row.doc_version,
        source_url=row.source_url,
        base_url=row.base_url,
        auth=auth,
        enabled=row.enabled,
        timeout_s=row.timeout_s,
        max_response_bytes=row.max_response_bytes,
        operation_count=len(row.operations),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _tool(source: str, operation: spec.OpenApiOperation) -> OpenApiToolRead:
    return OpenApiToolRead.model_validate(
        {**operation.model_dump(), "tool_id": f"{KIND}:{source}/{operation.name}"}
    )


def _name_taken(name: str) -> Conflict:
    return Conflict("openapi_source_exists", f"An OpenAPI source named {name!r} already exists")
