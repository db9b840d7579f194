"""MCP servers: the rules of registering one, testing it, and handing it to a run.

A stdio server is a command run on the host (by the API process for a test, by a worker for
a run), so only executables on the operator's allow-list (`KASAL_MCP_STDIO_COMMANDS`, exact
match) are accepted, checked on every save, test and run. A remote server's URL must pass the
tools' address policy (public addresses unless `KASAL_TOOLS_HTTP_ALLOW_PRIVATE`). Env values
and headers are encrypted together with the secret box and never answered.

A remote server under the Databricks workspace's `/api/2.0/mcp/` (`DATABRICKS_HOST`, set by
the operator) is a Databricks managed MCP server (Genie, Vector Search, Unity Catalog
functions): each run calls it with its Databricks token as the bearer (the signed-in user's,
the app's service principal's, or the group's databricks key), a test with the caller's
forwarded token, never a stored header; the token goes to no other address.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core import crypto
from kasal.core.config import Settings
from kasal.core.context import GroupContext
from kasal.core.db import committed_unless_taken, utcnow
from kasal.core.errors import Conflict, InvalidInput, NotFound
from kasal.core.pagination import Page, PageParams
from kasal.engine.spec import McpServerConfig
from kasal.engine.tools import mcp_client as mcp
from kasal.engine.tools.refs import SourceFacts
from kasal.mcp.models import McpServer
from kasal.mcp.repository import McpServerRepository
from kasal.mcp.schemas import (
    McpServerCreate,
    McpServerRead,
    McpServerTools,
    McpServerUpdate,
    McpToolRead,
)

_STDIO_ONLY = ("command", "args", "env", "cwd")
MANAGED_PATH = "/api/2.0/mcp/"
_REMOTE_ONLY = ("url", "headers")
_WHERE_THE_SERVER_IS = frozenset({"transport", "command", "args", "cwd", "url"})


async def list_servers(
    session: AsyncSession, ctx: GroupContext, params: PageParams
) -> Page[McpServerRead]:
    repo = McpServerRepository(session, ctx.group_id)
    rows, cursor = await repo.page(repo.select(), params, McpServer.name)
    return Page(items=[_read(row) for row in rows], next_cursor=cursor)


async def get(session: AsyncSession, ctx: GroupContext, server_id: uuid.UUID) -> McpServerRead:
    return _read(await _server(McpServerRepository(session, ctx.group_id), server_id))


async def create(
    session: AsyncSession, ctx: GroupContext, settings: Settings, body: McpServerCreate
) -> McpServerRead:
    values = body.model_dump(exclude={"env", "headers"})
    env, headers = _reveal(body.env), _reveal(body.headers)
    await _check(settings, values, env, headers)
    repo = McpServerRepository(session, ctx.group_id)
    if await repo.named(body.name) is not None:
        raise _name_taken(body.name)
    row = McpServer(**values, **_secret_columns(env, headers))
    async with committed_unless_taken(session, _name_taken(body.name)):
        await repo.add(row)
    return _read(row)


async def update(
    session: AsyncSession,
    ctx: GroupContext,
    settings: Settings,
    server_id: uuid.UUID,
    body: McpServerUpdate,
) -> McpServerRead:
    repo = McpServerRepository(session, ctx.group_id)
    row = await _server(repo, server_id)
    changes = body.model_dump(exclude_unset=True, exclude={"env", "headers"})
    values = {**_plain_columns(row), **changes}
    env, headers = _secrets_of(row)
    env = _merged(env, body.env)
    headers = _merged(headers, body.headers)
    moved = bool(changes.keys() & _WHERE_THE_SERVER_IS)
    if moved or body.env is not None or body.headers is not None:
        await _check(settings, values, env, headers)  # a rename or a switch is always allowed
    if "name" in changes and changes["name"] != row.name:
        holder = await repo.named(changes["name"])
        if holder is not None:
            raise _name_taken(changes["name"])
    async with committed_unless_taken(session, _name_taken(str(changes.get("name")))):
        for name, value in {**values, **_secret_columns(env, headers)}.items():
            setattr(row, name, value)
        if moved:  # another server now: its tools are unknown
            row.tools, row.discovered_at, row.last_error = None, None, None
    return _read(row)


async def delete(session: AsyncSession, ctx: GroupContext, server_id: uuid.UUID) -> None:
    repo = McpServerRepository(session, ctx.group_id)
    await repo.delete(await _server(repo, server_id))
    await session.commit()


async def test(
    session: AsyncSession,
    ctx: GroupContext,
    settings: Settings,
    server_id: uuid.UUID,
    databricks_token: str | None,
) -> McpServerTools:
    """Connect, list the tools and keep them; a server that cannot be reached is an answer
    (`ok: false` with the reason in plain words), not an error of the request. A managed
    server is asked with the caller's own Databricks token (the forwarded one in an App):
    the group's stored key is the secrets domain's, which depends on this one."""
    repo = McpServerRepository(session, ctx.group_id)
    row = await _server(repo, server_id)
    _check_command(settings, row.transport, row.command)
    config = _config(row, settings)
    token = SecretStr(databricks_token) if databricks_token else None
    await session.commit()  # no transaction stays open while the server takes its time
    try:
        config = mcp.with_databricks_token(config, token)
        found = await mcp.discover(config, allow_private=settings.tools_http_allow_private)
        tools, error = [_tool_dict(t) for t in found], None
    except mcp.McpUnavailable as exc:
        tools, error = None, str(exc)
    row = await _server(repo, server_id)  # it may have been deleted meanwhile
    if tools is not None:
        row.tools = tools
        row.discovered_at = utcnow()
    row.last_error = error
    await session.commit()
    return _tools(row)


async def tools(session: AsyncSession, ctx: GroupContext, server_id: uuid.UUID) -> McpServerTools:
    return _tools(await _server(McpServerRepository(session, ctx.group_id), server_id))


async def source_facts(
    session: AsyncSession, ctx: GroupContext
) -> dict[tuple[str, str], SourceFacts]:
    """The group's servers as crew validation sees them: enabled, and the tool names last
    discovered (None, so any tool name passes, until a test has listed them)."""
    rows = await McpServerRepository(session, ctx.group_id).every()
    return {
        ("mcp", row.name): SourceFacts(
            enabled=row.enabled,
            tools=None if row.tools is None else frozenset(t["name"] for t in row.tools),
        )
        for row in rows
    }


async def server_at_url(session: AsyncSession, ctx: GroupContext) -> Callable[[str], str | None]:
    """URL → the name of the group's remote server there (for CrewAI imports' `mcps`)."""
    rows = await McpServerRepository(session, ctx.group_id).every()
    names = {_url_key(row.url): row.name for row in rows if row.url}
    return lambda url: names.get(_url_key(url))


async def resolve_for_run(
    session: AsyncSession, group_id: uuid.UUID, settings: Settings, names: Collection[str]
) -> dict[str, McpServerConfig]:
    """The servers a run uses, with their secrets (wrapped). InvalidInput when one is gone,
    disabled, or runs a command the operator no longer allows: the run fails, saying so."""
    if not names:
        return {}
    rows = {row.name: row for row in await McpServerRepository(session, group_id).of_names(names)}
    for name in sorted(names):
        row = rows.get(name)
        if row is None:
            raise InvalidInput("mcp_server_missing", f"There is no MCP server {name!r} any more.")
        if not row.enabled:
            raise InvalidInput("mcp_server_disabled", f"The MCP server {name!r} is disabled.")
        _check_command(settings, row.transport, row.command)
    return {name: _config(row, settings) for name, row in rows.items()}


# ---------------------------------------------------------------- internals


async def _check(
    settings: Settings, values: dict[str, Any], env: dict[str, str], headers: dict[str, str]
) -> None:
    """The fields of the transport, and only those; an allowed command; a usable URL."""
    transport = values["transport"]
    given = {
        **{k: values.get(k) for k in ("command", "args", "cwd", "url")},
        "env": env,
        "headers": headers,
    }
    needed, foreign = ("command", _REMOTE_ONLY) if transport == "stdio" else ("url", _STDIO_ONLY)
    if not given[needed]:
        raise _invalid(f"A {transport} MCP server needs a {needed}.", needed)
    if stray := [k for k in foreign if given[k]]:
        raise _invalid(f"A {transport} MCP server takes no {', '.join(stray)}.", stray[0])
    if transport == "stdio":
        _check_command(settings, transport, values["command"])
        cwd = values.get("cwd")
        if cwd is not None and not cwd.startswith("/"):
            raise _invalid("The working folder (cwd) must be an absolute path.", "cwd")
        return
    problem = await asyncio.to_thread(
        mcp.url_problem, values["url"], settings.tools_http_allow_private
    )
    if problem is not None:
        raise InvalidInput("mcp_url_refused", problem, [{"field": "url"}])


def _check_command(settings: Settings, transport: str, command: str | None) -> None:
    if transport != "stdio" or command in settings.mcp_stdio_commands:
        return
    allowed = ", ".join(settings.mcp_stdio_commands) or "none"
    raise InvalidInput(
        "mcp_stdio_not_allowed",
        f"A stdio MCP server runs its command on the Kasal host, and {command!r} is not "
        f"allowed (allowed: {allowed}). An operator can allow it by adding the executable, "
        f"exactly as written here, to KASAL_MCP_STDIO_COMMANDS (comma-separated), then "
        "restarting Kasal.",
        [{"field": "command"}],
    )


def _url_key(url: str) -> str:
    """URLs that differ only in a trailing slash or the case of scheme and host match."""
    scheme, sep, rest = url.strip().partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}".rstrip("/")


def _invalid(message: str, field: str) -> InvalidInput:
    return InvalidInput("invalid_mcp_server", message, [{"field": field}])


def _name_taken(name: str) -> Conflict:
    return Conflict("mcp_server_name_taken", f"This group already has an MCP server {name!r}")


async def _server(repo: McpServerRepository, server_id: uuid.UUID) -> McpServer:
    row = await repo.get(server_id)
    if row is None:
        raise NotFound("mcp_server_not_found", "No such MCP server")
    return row


def _reveal(values: dict[str, SecretStr]) -> dict[str, str]:
    return {name: value.get_secret_value() for name, value in values.items()}


def _merged(current: dict[str, str], changes: dict[str, SecretStr | None] | None) -> dict[str, str]:
    merged = dict(current)
    for name, value in (changes or {}).items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value.get_secret_value()
    return merged


def _secret_columns(env: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
    document = json.dumps({"env": env, "headers": headers})
    return {
        "secrets_encrypted": crypto.current().encrypt(document),
        "env_names": sorted(env),
        "header_names": sorted(headers),
    }


def _secrets_of(row: McpServer) -> tuple[dict[str, str], dict[str, str]]:
    document = json.loads(crypto.current().decrypt(row.secrets_encrypted))
    return document["env"], document["headers"]


def _plain_columns(row: McpServer) -> dict[str, Any]:
    names = McpServerCreate.model_fields.keys() - {"env", "headers"}
    return {name: getattr(row, name) for name in names}


def is_managed(url: str | None, settings: Settings) -> bool:
    """Whether `url` is a Databricks managed MCP server: on the workspace, under its MCP API."""
    host = settings.databricks_host
    if not url or not host:
        return False
    server, workspace = urlsplit(url), urlsplit(host)
    return (server.scheme, server.netloc) == (workspace.scheme, workspace.netloc) and (
        server.path.startswith(MANAGED_PATH)
    )


def _config(row: McpServer, settings: Settings) -> McpServerConfig:
    env, headers = _secrets_of(row)
    return McpServerConfig(
        name=row.name,
        transport=row.transport,
        command=row.command,
        args=row.args,
        env={k: SecretStr(v) for k, v in env.items()},
        cwd=row.cwd,
        url=row.url,
        headers={k: SecretStr(v) for k, v in headers.items()},
        connect_timeout_s=row.connect_timeout_s,
        call_timeout_s=row.call_timeout_s,
        databricks=is_managed(row.url, settings),
    )


def _tool_dict(tool: mcp.McpToolInfo) -> dict[str, Any]:
    return {"name": tool.name, "description": tool.description, "input_schema": tool.input_schema}


def _tools(row: McpServer) -> McpServerTools:
    """The last discovery. After a failed test, `tools` still lists what an earlier test
    found (a crew keeps validating against it) and `error` says why this one failed."""
    return McpServerTools(
        ok=row.last_error is None,
        error=row.last_error,
        discovered_at=row.discovered_at,
        tools=[McpToolRead.model_validate(tool) for tool in row.tools or []],
    )


def _read(row: McpServer) -> McpServerRead:
    return McpServerRead(
        id=row.id,
        name=row.name,
        transport=row.transport,
        command=row.command,
        args=row.args,
        cwd=row.cwd,
        url=row.url,
        env_names=row.env_names,
        header_names=row.header_names,
        connect_timeout_s=row.connect_timeout_s,
        call_timeout_s=row.call_timeout_s,
        enabled=row.enabled,
        tool_count=None if row.tools is None else len(row.tools),
        discovered_at=row.discovered_at,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
